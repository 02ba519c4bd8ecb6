/**
 * Ingest and bbox rows of the benchmark. Each Mapshelf ingest run gets a fresh data folder and a
 * fresh server child (so the store never grows between runs and the RSS baseline is the idle
 * server's), and times POST /api/v2/uploads/upload/ end to end while sampling the server's VmRSS;
 * `ogr2ogr -f GPKG` converts the same file in the same run, alternating with it. The last
 * 1,000,000-point layer then answers features by bbox under autocannon, beside the bare route.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg } from 'node:os'
import { basename, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Sqlite from 'better-sqlite3'
import { systemClock } from '../../src-main/clock'
import { openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { DATABASE_FILE } from '../../src-main/server'
import { bootstrapCatalogue } from '../../src-main/services/bootstrap.service'
import { type ChildServer, startChild } from './children'
import { viewerFeatureLimit } from '../../src-shared/api/mapshelf'
import { FIXTURE_DIR, type FixtureFile, geoJsonPoints, shapefileLines } from './ingest-fixtures'
import { type Sample, type Target, fire, firePaths, median, summarise } from './load'
import { type SectionContext, fmt, runLines } from './report'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ADMIN_PASSWORD = 'bench-ingest-admin'
const OGR2OGR = '/usr/bin/ogr2ogr'
/** Upload limit for the benchmark's data folders (the default dataset_upload_size is 100 MB). */
const UPLOAD_LIMIT = 4 * 1024 ** 3

export const INGEST_RATIO_TARGET = 2
export const BBOX_P99_TARGET_MS = 50
export const RSS_GROWTH_TARGET_MB = 200

export interface IngestSizes {
  /** Points in the main GeoJSON (also the bbox layer). */
  points: number
  /** Bytes of the large GeoJSON (memory row). */
  largeBytes: number
  /** Bytes of the shapefile (.shp + .shx + .dbf). */
  shapefileBytes: number
}

export interface IngestSettings {
  sizes: IngestSizes
  /** Timed runs per file (median reported), for Mapshelf and for ogr2ogr each. */
  runs: number
  connections: number
  duration: number
  rounds: number
  warmup: number
}

interface MapshelfRun {
  ms: number
  /** When the last byte of the request body was handed to the socket. */
  sentMs: number
  idleRssMb: number
  peakRssMb: number
  hwmMb: number
  samples: number
  features: number
}

interface OgrRun {
  ms: number
  maxRssMb: number
}

export interface IngestRow {
  label: string
  file: FixtureFile
  runs: MapshelfRun[]
  ogr: OgrRun[]
  /** A row for the memory target (the ~500 MB file). */
  memoryTarget: boolean
  error: string | null
}

export interface BboxRow {
  view: string
  areaShare: string
  returned: { min: number; median: number; max: number }
  sampled: boolean
  bytes: number
  /** One connection: the latency of one viewer's requests, one after another. */
  single: Sample | null
  /** `connections` at once, beside the bare route with the same number. */
  query: Sample | null
  bare: Sample | null
  error: string | null
}

export interface IngestResults {
  rows: IngestRow[]
  bbox: BboxRow[]
  bboxLayer: { features: number; extent: number[] } | null
  settings: IngestSettings
  minutes: number
  /** 1-minute load averages at the start and the end (the machine may be shared). */
  load: { start: number; end: number }
}

type Log = (line: string) => void

// ---------------------------------------------------------------------------------------------
// Server, data folder, memory

function prepareDataDir(): Promise<string> {
  mkdirSync(FIXTURE_DIR, { recursive: true })
  const dir = mkdtempSync(join(FIXTURE_DIR, 'data-'))
  const database = openDatabase(join(dir, DATABASE_FILE))
  return (async () => {
    try {
      await migrateToLatest(database.db)
      bootstrapCatalogue(database.sqlite, { adminPassword: ADMIN_PASSWORD, clock: systemClock() })
      // A GeoNode admin raises this in the admin site; there is no API for it (POST creates slugs only).
      database.sqlite.prepare("UPDATE upload_size_limits SET max_size = ? WHERE slug IN ('dataset_upload_size', 'total_upload_size_sum')").run(UPLOAD_LIMIT)
      database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      await database.close()
    }
    return dir
  })()
}

/** `node --import tsx` directly (no npx), so the child's pid is the server's own process. */
function startServer(dataDir: string): Promise<ChildServer> {
  const args = ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--data-dir', dataDir, '--port', '0', '--admin-password', ADMIN_PASSWORD]
  return startChild('mapshelf (ingest)', [process.execPath, ...args], { cwd: ROOT, timeoutMs: 120_000 })
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Samples VmRSS every `ms` until stopped; returns the peak in MB. */
function rssSampler(pid: number, ms = 50): { stop(): { peakMb: number; samples: number } } {
  let peak = 0
  let samples = 0
  const read = () => {
    const kb = statusKb(pid, 'VmRSS')
    if (Number.isFinite(kb)) {
      peak = Math.max(peak, kb)
      samples++
    }
  }
  read()
  const timer = setInterval(read, ms)
  return {
    stop() {
      clearInterval(timer)
      read()
      return { peakMb: peak / 1024, samples }
    }
  }
}

export async function adminToken(baseUrl: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD })
  const response = await fetch(`${baseUrl}/o/token/`, { method: 'POST', body })
  const json = (await response.json()) as { access_token?: string }
  if (!json.access_token) throw new Error(`POST /o/token/ for admin: ${response.status} ${JSON.stringify(json)}`)
  return json.access_token
}

// ---------------------------------------------------------------------------------------------
// Upload

const SIDE_CAR_FIELDS: Record<string, string> = { '.dbf': 'dbf_file', '.shx': 'shx_file', '.prj': 'prj_file', '.cpg': 'cpg_file' }

/**
 * POST /api/v2/uploads/upload/ as multipart/form-data, each file streamed from disk (node:http,
 * no client timeout: a large ingest answers after minutes). `sentMs` is when the body was sent.
 */
export function upload(baseUrl: string, token: string, paths: string[]): Promise<{ status: number; body: string; ms: number; sentMs: number }> {
  const boundary = `----mapshelf-bench-${Date.now().toString(16)}`
  const parts = paths.map((path, i) => {
    const field = i === 0 ? 'base_file' : (SIDE_CAR_FIELDS[extname(path).toLowerCase()] ?? `file_${i}`)
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${basename(path)}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
    return { path, head, size: statSync(path).size }
  })
  const tail = Buffer.from(`--${boundary}--\r\n`)
  const length = parts.reduce((n, p) => n + p.head.length + p.size + 2, 0) + tail.length
  const started = performance.now()
  return new Promise((resolve, reject) => {
    let sentMs = Number.NaN
    let answered = false
    const req = request(`${baseUrl}/api/v2/uploads/upload/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length }
    })
    req.on('error', reject)
    req.on('finish', () => (sentMs = performance.now() - started))
    req.on('response', (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started, sentMs }))
    })
    void (async () => {
      for (const part of parts) {
        if (answered) return
        req.write(part.head)
        for await (const chunk of createReadStream(part.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
          if (answered) return
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r))
        }
        req.write('\r\n')
      }
      req.end(tail)
    })().catch(reject)
  })
}

export interface StoredLayer {
  pk: number
  features: number
  extent: [number, number, number, number]
}

export function storedLayer(dataDir: string, uploadId: number): StoredLayer | null {
  const db = new Sqlite(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true })
  try {
    const row = db
      .prepare(
        `SELECT u.layer_id AS pk, l.feature_count AS features, r.ll_minx AS minx, r.ll_miny AS miny, r.ll_maxx AS maxx, r.ll_maxy AS maxy
         FROM uploads u JOIN layers l ON l.resource_id = u.layer_id JOIN resources r ON r.id = u.layer_id WHERE u.id = ?`
      )
      .get(uploadId) as { pk: number; features: number; minx: number; miny: number; maxx: number; maxy: number } | undefined
    return row ? { pk: row.pk, features: row.features, extent: [row.minx, row.miny, row.maxx, row.maxy] } : null
  } finally {
    db.close()
  }
}

/** One timed Mapshelf ingest on a fresh data folder and server; the server is returned when `keep`. */
export async function mapshelfRun(file: FixtureFile, keep: boolean): Promise<{ run: MapshelfRun; server: ChildServer | null; dataDir: string; layer: StoredLayer }> {
  const dataDir = await prepareDataDir()
  const server = await startServer(dataDir)
  let kept = false
  try {
    const token = await adminToken(server.url)
    await new Promise((r) => setTimeout(r, 1_000))
    const idleKb = statusKb(server.pid, 'VmRSS')
    const sampler = rssSampler(server.pid)
    const reply = await upload(server.url, token, file.paths)
    const peak = sampler.stop()
    const hwmKb = statusKb(server.pid, 'VmHWM')
    const body = JSON.parse(reply.body) as { status?: string; id?: number; errors?: string[] }
    if (reply.status !== 200 || body.status !== 'finished') throw new Error(`upload of ${basename(file.base)}: ${reply.status} ${reply.body.slice(0, 400)}`)
    const layer = storedLayer(dataDir, body.id!)
    if (!layer) throw new Error(`upload ${body.id}: no layer in the catalogue`)
    if (layer.features !== file.features) throw new Error(`upload of ${basename(file.base)}: ${layer.features} features stored, ${file.features} in the file`)
    const run: MapshelfRun = {
      ms: reply.ms,
      sentMs: reply.sentMs,
      idleRssMb: idleKb / 1024,
      peakRssMb: peak.peakMb,
      hwmMb: hwmKb / 1024,
      samples: peak.samples,
      features: layer.features
    }
    kept = keep
    return { run, server: keep ? server : null, dataDir, layer }
  } finally {
    if (!kept) {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** `ogr2ogr -f GPKG out.gpkg in` under GNU time (for its peak RSS); wall time measured here. */
async function ogrRun(file: FixtureFile): Promise<OgrRun> {
  const outDir = join(FIXTURE_DIR, 'ogr')
  mkdirSync(outDir, { recursive: true })
  const out = join(outDir, `${basename(file.base, extname(file.base))}.gpkg`)
  rmSync(out, { force: true })
  const started = performance.now()
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', OGR2OGR, '-f', 'GPKG', out, file.base], { stdio: ['ignore', 'ignore', 'pipe'] })
    let text = ''
    child.stderr.on('data', (c: Buffer) => (text += c.toString('utf8')))
    child.on('error', reject)
    child.on('close', (exit) => resolve({ code: exit, stderr: text }))
  })
  const ms = performance.now() - started
  if (code !== 0) throw new Error(`ogr2ogr on ${basename(file.base)} exited ${code}: ${stderr.slice(-400)}`)
  const kb = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1])
  rmSync(out, { force: true })
  return { ms, maxRssMb: kb / 1024 }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1)

/**
 * Mapshelf and ogr2ogr on one file, `runs` times each, alternating which goes first each round.
 * With `keepLast`, the last Mapshelf run's server and layer stay up for the bbox rows.
 */
async function ingestRow(
  label: string,
  file: FixtureFile,
  runs: number,
  memoryTarget: boolean,
  keepLast: boolean,
  log: Log
): Promise<{ row: IngestRow; kept: { server: ChildServer; dataDir: string; layer: StoredLayer } | null }> {
  const row: IngestRow = { label, file, runs: [], ogr: [], memoryTarget, error: null }
  let kept: { server: ChildServer; dataDir: string; layer: StoredLayer } | null = null
  try {
    for (let round = 0; round < runs; round++) {
      const last = round === runs - 1
      const steps: (() => Promise<void>)[] = [
        async () => {
          const result = await mapshelfRun(file, keepLast && last)
          row.runs.push(result.run)
          if (result.server) kept = { server: result.server, dataDir: result.dataDir, layer: result.layer }
          const r = result.run
          log(`  Mapshelf run ${round + 1}: ${seconds(r.ms)} s (body sent at ${seconds(r.sentMs)} s), RSS ${r.idleRssMb.toFixed(0)} → peak ${r.peakRssMb.toFixed(0)} MB (HWM ${r.hwmMb.toFixed(0)} MB)`)
        },
        async () => {
          const o = await ogrRun(file)
          row.ogr.push(o)
          log(`  ogr2ogr run ${round + 1}: ${seconds(o.ms)} s, peak RSS ${o.maxRssMb.toFixed(0)} MB`)
        }
      ]
      if (round % 2 === 1) steps.reverse()
      for (const step of steps) await step()
    }
  } catch (error) {
    row.error = error instanceof Error ? error.message : String(error)
    log(`  FAILED: ${row.error}`)
  }
  return { row, kept }
}

// ---------------------------------------------------------------------------------------------
// Features by bbox

interface View {
  view: string
  areaShare: string
  /** Side of the bbox as a fraction of the extent's width and height (1: the whole extent). */
  side: number
  /** The request's limit; absent: the route's default (5,000). */
  limit?: number
}

/** The limit the map viewer asks for in a 1280×800 window (the renderer's own rule). */
const VIEWER_LIMIT = viewerFeatureLimit(1280, 800)

const VIEWS: View[] = [
  { view: 'whole extent', areaShare: '1', side: 1 },
  { view: '1/16 of the extent', areaShare: '1/16', side: 1 / 4 },
  { view: '1/256 of the extent', areaShare: '1/256', side: 1 / 16 },
  { view: `whole extent, the map viewer's request (limit ${VIEWER_LIMIT.toLocaleString('en-US')})`, areaShare: '1', side: 1, limit: VIEWER_LIMIT }
]

function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Paths with random bboxes of the view's size inside the extent (the default limit, 5,000). */
function viewPaths(pk: number, extent: number[], view: View, count: number): string[] {
  const [minx, miny, maxx, maxy] = extent as [number, number, number, number]
  const w = (maxx - minx) * view.side
  const h = (maxy - miny) * view.side
  const next = seeded(0xb0b + Math.round(1 / view.side))
  const round6 = (v: number) => Math.round(v * 1e6) / 1e6
  return Array.from({ length: count }, () => {
    const x = minx + next() * (maxx - minx - w)
    const y = miny + next() * (maxy - miny - h)
    const bbox = view.side === 1 ? [minx, miny, maxx, maxy] : [round6(x), round6(y), round6(x + w), round6(y + h)]
    return `/api/v2/mapshelf/layers/${pk}/features?bbox=${bbox.join(',')}${view.limit ? `&limit=${view.limit}` : ''}`
  })
}

function startBare(bytes: number): Promise<ChildServer> {
  return startChild('bare server', [process.execPath, '--import', 'tsx', 'test/bench/bare-server.ts', String(bytes)], { cwd: ROOT })
}

async function bboxRows(server: ChildServer, layer: StoredLayer, settings: IngestSettings, log: Log): Promise<BboxRow[]> {
  const token = await adminToken(server.url)
  const headers = { authorization: `Bearer ${token}` }
  const rows: BboxRow[] = []
  for (const view of VIEWS) {
    const paths = viewPaths(layer.pk, layer.extent, view, view.side === 1 ? 1 : 1_000)
    const row: BboxRow = { view: view.view, areaShare: view.areaShare, returned: { min: 0, median: 0, max: 0 }, sampled: false, bytes: 0, single: null, query: null, bare: null, error: null }
    rows.push(row)
    try {
      // Check requests: status, features returned and body size over the first 50 views.
      const counts: number[] = []
      const sizes: number[] = []
      for (const path of paths.slice(0, 50)) {
        const response = await fetch(server.url + path, { headers })
        const text = await response.text()
        if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 200)}`)
        const json = JSON.parse(text) as { numberReturned: number; sampled: boolean; features: unknown[] }
        counts.push(json.features.length)
        sizes.push(Buffer.byteLength(text))
        row.sampled ||= json.sampled
      }
      const sortedCounts = [...counts].sort((a, b) => a - b)
      row.returned = { min: sortedCounts[0]!, median: median(counts), max: sortedCounts[sortedCounts.length - 1]! }
      row.bytes = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length)
      const bare = await startBare(row.bytes)
      try {
        const bareTarget: Target = { url: bare.url, headers: {}, expectedStatus: 200 }
        const load = { connections: settings.connections, duration: settings.duration }
        if (settings.warmup > 0) {
          await firePaths(server.url, paths, headers, { ...load, duration: settings.warmup })
          await fire(bareTarget, { ...load, duration: settings.warmup })
        }
        const one: Sample[] = []
        const q: Sample[] = []
        const b: Sample[] = []
        for (let round = 0; round < settings.rounds; round++) {
          const order = [
            async () => one.push(await firePaths(server.url, paths, headers, { ...load, connections: 1 })),
            async () => q.push(await firePaths(server.url, paths, headers, load)),
            async () => b.push(await fire(bareTarget, load))
          ]
          if (round % 2 === 1) order.reverse()
          for (const step of order) await step()
        }
        row.single = summarise(one)
        row.query = summarise(q)
        row.bare = summarise(b)
      } finally {
        await bare.stop()
      }
      log(`  ${view.view}: ${row.returned.median} features (${row.returned.min}–${row.returned.max}), ${Math.round(row.bytes / 1024)} KB; one client p99 ${row.single.p99.toFixed(1)} ms; ${settings.connections} clients p50 ${row.query.p50.toFixed(1)} ms, p99 ${row.query.p99.toFixed(1)} ms, ${Math.round(row.query.rps)} req/s; bare ${Math.round(row.bare.rps)} req/s`)
    } catch (error) {
      row.error = error instanceof Error ? error.message : String(error)
      log(`  ${view.view}: FAILED: ${row.error}`)
    }
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// The section

export async function runIngestBench(settings: IngestSettings, log: Log): Promise<IngestResults> {
  const started = Date.now()
  const loadStart = loadavg()[0]!
  const { sizes, runs } = settings
  const thousands = (n: number) => n.toLocaleString('en-US')
  const mb = (n: number) => Math.round(n / 1e6)
  const points = geoJsonPoints({ name: `points-${sizes.points}`, features: sizes.points }, log)
  const shapefile = shapefileLines({ name: `lines-${mb(sizes.shapefileBytes)}mb`, targetBytes: sizes.shapefileBytes }, log)
  const large = geoJsonPoints({ name: `points-${mb(sizes.largeBytes)}mb`, targetBytes: sizes.largeBytes }, log)
  const rows: IngestRow[] = []
  let bbox: BboxRow[] = []
  let bboxLayer: IngestResults['bboxLayer'] = null

  log(`Ingest: ${thousands(points.features)}-point GeoJSON (${(points.bytes / 1e6).toFixed(0)} MB), ${runs} run(s) each of Mapshelf and ogr2ogr ...`)
  const first = await ingestRow(`GeoJSON, ${thousands(points.features)} points`, points, runs, false, true, log)
  rows.push(first.row)
  if (first.kept) {
    const { server, dataDir, layer } = first.kept
    try {
      log(`Features by bbox on the ${thousands(layer.features)}-feature layer (pk ${layer.pk}) ...`)
      bboxLayer = { features: layer.features, extent: layer.extent }
      bbox = await bboxRows(server, layer, settings, log)
    } finally {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  log(`Ingest: shapefile of ${thousands(shapefile.features)} lines (${(shapefile.bytes / 1e6).toFixed(0)} MB) ...`)
  rows.push((await ingestRow(`Shapefile, ${thousands(shapefile.features)} lines`, shapefile, runs, false, false, log)).row)
  log(`Ingest: ${(large.bytes / 1e6).toFixed(0)} MB GeoJSON (${thousands(large.features)} points) ...`)
  rows.push((await ingestRow(`GeoJSON, ${thousands(large.features)} points`, large, runs, true, false, log)).row)
  return { rows, bbox, bboxLayer, settings, minutes: (Date.now() - started) / 60_000, load: { start: loadStart, end: loadavg()[0]! } }
}

// ---------------------------------------------------------------------------------------------
// Report

const thousands = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a')

function table(header: string[], rows: string[][], right: Set<number>): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map((_, i) => (right.has(i) ? '---:' : '---'))), ...rows.map(line)].join('\n')
}

interface RowFigures {
  ms: number
  ogrMs: number
  ratio: number
  growthMb: number
  featuresPerS: number
  mbPerS: number
}

function figures(row: IngestRow): RowFigures {
  const ms = row.runs.length ? median(row.runs.map((r) => r.ms)) : Number.NaN
  const ogrMs = row.ogr.length ? median(row.ogr.map((r) => r.ms)) : Number.NaN
  const growthMb = row.runs.length ? Math.max(...row.runs.map((r) => r.peakRssMb - r.idleRssMb)) : Number.NaN
  return { ms, ogrMs, ratio: ms / ogrMs, growthMb, featuresPerS: row.file.features / (ms / 1000), mbPerS: row.file.bytes / 1e6 / (ms / 1000) }
}

const verdict = (failed: boolean, ok: boolean) => (failed ? '**FAIL**' : ok ? 'yes' : '**NO**')

export function ingestTables(results: IngestResults): string {
  const ingest = results.rows.map((row) => {
    const f = figures(row)
    const failed = row.error !== null || row.runs.length === 0 || row.ogr.length === 0
    const idle = row.runs.length ? median(row.runs.map((r) => r.idleRssMb)) : Number.NaN
    return [
      row.label + (row.error ? ` — **FAIL**: ${row.error.slice(0, 160)}` : ''),
      fmt(row.file.bytes / 1e6, 1),
      fmt(f.ms / 1000, 2),
      thousands(f.featuresPerS),
      fmt(f.mbPerS, 1),
      `${fmt(idle, 0)} → +${fmt(f.growthMb, 0)}`,
      fmt(f.ogrMs / 1000, 2),
      row.ogr.length ? fmt(Math.max(...row.ogr.map((o) => o.maxRssMb)), 0) : 'n/a',
      fmt(f.ratio, 2),
      verdict(failed, f.ratio <= INGEST_RATIO_TARGET),
      row.memoryTarget ? verdict(failed, f.growthMb <= RSS_GROWTH_TARGET_MB) : '–'
    ]
  })
  const ingestTable = table(
    ['file', 'MB', 'Mapshelf s (median)', 'features/s', 'MB/s', 'server RSS MB: idle → peak growth', 'ogr2ogr s (median)', 'ogr2ogr peak RSS MB', 'ratio', `≤ ${INGEST_RATIO_TARGET}x ogr2ogr?`, `growth ≤ ${RSS_GROWTH_TARGET_MB} MB?`],
    ingest,
    new Set([1, 2, 3, 4, 5, 6, 7, 8])
  )
  const n = results.settings.connections
  const bbox = results.bbox.map((row) => {
    const { single: one, query: q } = row
    const failed = row.error !== null || !q || !one || [q, one].some((x) => Object.keys(x.unexpected).length > 0 || x.errors > 0)
    const faults = [q, one].map((x) => (x ? `${JSON.stringify(x.unexpected)} ${x.errors} errors` : '')).join(', ')
    return [
      row.view + (row.error ? ` — **FAIL**: ${row.error.slice(0, 160)}` : failed ? ` — **FAIL**: ${faults}` : ''),
      `${thousands(row.returned.median)} (${thousands(row.returned.min)}–${thousands(row.returned.max)})`,
      row.sampled ? 'yes' : 'no',
      thousands(row.bytes / 1024),
      one ? fmt(one.p50, 2) : '–',
      one ? fmt(one.p99, 2) : '–',
      verdict(failed, !!one && one.p99 < BBOX_P99_TARGET_MS),
      q ? fmt(q.p50, 2) : '–',
      q ? fmt(q.p99, 2) : '–',
      verdict(failed, !!q && q.p99 < BBOX_P99_TARGET_MS),
      q ? thousands(q.rps) : '–',
      row.bare ? thousands(row.bare.rps) : '–',
      q && row.bare ? fmt(q.rps / row.bare.rps, 3) : '–'
    ]
  })
  const bboxTable = table(
    [
      'view (random position; default limit 5,000 unless named)',
      'features returned: median (min–max)',
      'sampled',
      'response KB',
      '1 client: p50 ms',
      'p99 ms',
      `p99 < ${BBOX_P99_TARGET_MS} ms?`,
      `${n} clients: p50 ms`,
      'p99 ms',
      `p99 < ${BBOX_P99_TARGET_MS} ms?`,
      'req/s',
      'bare req/s',
      'ratio'
    ],
    bbox,
    new Set([1, 3, 4, 5, 7, 8, 10, 11, 12])
  )
  return `${ingestTable}\n\n${bboxTable}`
}

/** One line per target: met or not, with the figure. */
export function ingestVerdicts(results: IngestResults): string[] {
  const lines: string[] = []
  for (const row of results.rows) {
    if (row.error || !row.runs.length || !row.ogr.length) {
      lines.push(`${row.label}: failed (${row.error ?? 'not measured'}).`)
      continue
    }
    const f = figures(row)
    lines.push(
      `${row.label}: ${fmt(f.ratio, 2)}× ogr2ogr's time — ${f.ratio <= INGEST_RATIO_TARGET ? 'meets' : '**misses**'} the ${INGEST_RATIO_TARGET}× target` +
        (row.memoryTarget ? `; server RSS grew by ${fmt(f.growthMb, 0)} MB — ${f.growthMb <= RSS_GROWTH_TARGET_MB ? 'meets' : '**misses**'} the ${RSS_GROWTH_TARGET_MB} MB limit.` : '.')
    )
  }
  for (const row of results.bbox) {
    if (row.error || !row.query || !row.single) {
      lines.push(`bbox, ${row.view}: failed (${row.error ?? 'not measured'}).`)
      continue
    }
    const meets = (p99: number) => (p99 < BBOX_P99_TARGET_MS ? 'meets' : '**misses**')
    lines.push(
      `bbox, ${row.view}: one client p99 ${fmt(row.single.p99, 1)} ms — ${meets(row.single.p99)} the ${BBOX_P99_TARGET_MS} ms target; ` +
        `${results.settings.connections} clients at once p99 ${fmt(row.query.p99, 1)} ms — ${meets(row.query.p99)} it.`
    )
  }
  return lines
}

export const INGEST_SECTION_START = '<!-- ingest-bench:start -->'
export const INGEST_SECTION_END = '<!-- ingest-bench:end -->'

/** The report's ingest section, between markers so `--ingest-only` can replace it alone. */
export function ingestSection(results: IngestResults, context: SectionContext): string {
  const s = results.settings
  const runs = `${s.runs} run${s.runs === 1 ? '' : 's'}`
  const gdal = ogrVersion()
  const layer = results.bboxLayer
  return [
    INGEST_SECTION_START,
    '## Ingest and features by bbox',
    '',
    ...runLines(context, results, { tools: gdal, loadNote: 'the machine is shared' }),
    `- Files (generated, seeded, cached under \`${FIXTURE_DIR}\`): GeoJSON FeatureCollections of random points in 5–15°E, 45–55°N with six properties (id, name, population, elevation, surveyed date, class); a polyline shapefile (10 vertices a line, EPSG:4326, .shp/.shx/.dbf/.prj/.cpg, the same six attributes in the .dbf).`,
    `- Ingest: ${runs} each of Mapshelf and ogr2ogr per file, alternating which goes first; medians shown. Every Mapshelf run gets a fresh data folder and a fresh server child (\`node --import tsx src-main/cli/main.ts serve\`), waits 1 s idle, then times POST /api/v2/uploads/upload/ (multipart, base file and side-cars streamed from disk over loopback) until the reply (\`status: finished\`), while VmRSS of the server process (API and ingest worker thread together) is sampled every 50 ms; the stored feature count is checked against the file. "idle → peak growth" is the idle RSS and the largest peak-minus-idle over the runs. The first upload after a start also starts the ingest worker thread, which is part of the time and the growth, as it is for a user. ogr2ogr: \`ogr2ogr -f GPKG out.gpkg <file>\` (spatial index on, GDAL's default), wall time measured by the benchmark, peak RSS from GNU time. Ratio = Mapshelf ÷ ogr2ogr time; target ≤ ${INGEST_RATIO_TARGET}×. The upload size limit (dataset_upload_size, 100 MB by default) is raised to 4 GB in each benchmark data folder.`,
    `- Features by bbox: ${layer ? `the last ${thousands(layer.features)}-point layer` : 'the point layer'}, GET /api/v2/mapshelf/layers/{pk}/features?bbox=… with the default limit (5,000), and once with the limit the map viewer asks for in a 1280×800 window, as the admin (bearer token), default settings (this route is not served from the response cache: it answers with \`res.send\`, which the cache does not wrap); each request takes the next of 1,000 seeded random bboxes of the view's size inside the layer's extent (the whole-extent row repeats one bbox). ${s.rounds} round${s.rounds === 1 ? '' : 's'} × ${s.duration} s${s.warmup ? ` after a ${s.warmup} s warm-up` : ''}, each round with one connection (requests one after another: the latency a map viewer sees), then ${s.connections} connections at once (where requests queue on the one Node thread that serves them), alternating with the bare Express route answering a body of the row's mean response size with ${s.connections} connections (\`test/bench/bare-server.ts\`); medians over the rounds. Features returned: over the first 50 bboxes of the row. Target: p99 < ${BBOX_P99_TARGET_MS} ms.`,
    '',
    ingestTables(results),
    '',
    ...ingestVerdicts(results).map((line) => `- ${line}`),
    '',
    'Rerun this section alone with `npm run bench -- --ingest-only` (it replaces only this section of the file; `--quick` uses small files and leaves the file alone).',
    INGEST_SECTION_END
  ].join('\n')
}

function ogrVersion(): string {
  try {
    return execFileSync(OGR2OGR, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return 'ogr2ogr (version unknown)'
  }
}
