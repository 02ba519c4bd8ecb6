/**
 * The OGC section: Mapshelf's WMS and WFS beside MapServer 8 and QGIS Server 3.22 (Debian's, each
 * as persistent FastCGI processes behind lighttpd), all serving the same data in the same run: a
 * 1,000,000-point GeoPackage and a large Float32 elevation model. Every server gets the same
 * sequence of random requests: a 256x256 PNG GetMap of 1/16 of the extent, and a GeoJSON
 * GetFeature of up to 5,000 features in such a box; 1 client and 10 clients.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { prng } from '../helpers/prng'
import type { ChildServer } from './children'
import { adminToken, mapshelfRun, storedLayer, upload } from './ingest'
import { type Sample, firePaths, median } from './load'
import { type Peers, POINTS_EXTENT, POINTS_LAYER, RASTER_LAYER, demGeoTiff, missingPeerPrograms, PEER_PACKAGES, pointsGeoPackage, startPeers } from './ogc-peers'
import { type SectionContext, fmt, runLines } from './report'

export const OGC_DIR = '/tmp/mapshelf-bench-ogc'
export const OGC_SECTION_START = '<!-- ogc-bench:start -->'
export const OGC_SECTION_END = '<!-- ogc-bench:end -->'

/** Targets of the issue: one client's p99, and ten clients' throughput against the faster peer. */
export const TARGETS = { getMapP99: 100, getFeatureP99: 60, throughputRatio: 4 }

export interface OgcSettings {
  points: number
  demSize: number
  duration: number
  rounds: number
  warmup: number
  /** FastCGI processes per peer. */
  processes: number
  port: number
}

export type ServerName = 'Mapshelf' | 'MapServer 8' | 'QGIS Server 3.22'
export type RequestKind = 'WMS GetMap 256² PNG, points' | 'WMS GetMap 256² PNG, elevation model' | 'WFS GetFeature GeoJSON ≤ 5,000'

export interface OgcRow {
  server: ServerName
  kind: RequestKind
  clients: number
  sample: (Sample & { bytes: number }) | null
  error: string | null
}

export interface OgcResults {
  settings: OgcSettings
  rows: OgcRow[]
  /** Features each server returned for the first box (the same box everywhere). */
  sanity: Record<string, number | string>
  minutes: number
  load: { start: number; end: number }
}

type Log = (line: string) => void

const round6 = (v: number) => Math.round(v * 1e6) / 1e6

/** `count` random boxes of 1/16 of the extent (a quarter of each side), the same for every server. */
function boxes(count: number): [number, number, number, number][] {
  const [x0, y0, x1, y1] = POINTS_EXTENT
  const w = (x1 - x0) / 4
  const h = (y1 - y0) / 4
  const next = prng(0x0c5)
  return Array.from({ length: count }, () => {
    const x = x0 + next() * (x1 - x0 - w)
    const y = y0 + next() * (y1 - y0 - h)
    return [round6(x), round6(y), round6(x + w), round6(y + h)]
  })
}

const getMap = (layer: string, [a, b, c, d]: number[]) =>
  `SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=${encodeURIComponent(layer)}&STYLES=&SRS=EPSG:4326&BBOX=${a},${b},${c},${d}&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=true`

/**
 * The GetFeature each server is asked, in the form each documents: WFS 2.0.0 with COUNT and a
 * lat,lon BBOX in urn:ogc:def:crs:EPSG::4326 for Mapshelf and MapServer, WFS 1.1.0 with MAXFEATURES
 * and an x,y BBOX for QGIS Server (whose 2.0 support is partial).
 */
function getFeature(server: ServerName, typename: string, [a, b, c, d]: number[]): string {
  if (server === 'QGIS Server 3.22') return `SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=${typename}&MAXFEATURES=5000&OUTPUTFORMAT=application/json&BBOX=${a},${b},${c},${d}`
  return `SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=${encodeURIComponent(typename)}&COUNT=5000&OUTPUTFORMAT=application/json&BBOX=${b},${a},${d},${c},urn:ogc:def:crs:EPSG::4326`
}

interface Endpoint {
  server: ServerName
  /** Base URL and path of the OWS endpoint. */
  base: string
  path: string
  points: string
  raster: string
  headers: Record<string, string>
}

function split(url: string): { base: string; path: string } {
  const u = new URL(url)
  return { base: `${u.protocol}//${u.host}`, path: u.pathname }
}

async function measure(endpoint: Endpoint, kind: RequestKind, clients: number, settings: OgcSettings): Promise<OgcRow> {
  const boxList = boxes(2_000)
  const paths = boxList.map((box) => {
    const query = kind === 'WFS GetFeature GeoJSON ≤ 5,000' ? getFeature(endpoint.server, endpoint.points, box) : getMap(kind.endsWith('points') ? endpoint.points : endpoint.raster, box)
    return `${endpoint.path}?${query}`
  })
  try {
    // One request checked first: an exception report answers 200 in WMS and WFS 1.x, so the status alone proves nothing.
    const check = await fetch(`${endpoint.base}${paths[0]}`, { headers: endpoint.headers })
    const type = check.headers.get('content-type') ?? ''
    const body = Buffer.from(await check.arrayBuffer())
    const wanted = kind.startsWith('WMS') ? type.startsWith('image/png') : /json/.test(type) && body.toString('utf8').includes('"FeatureCollection"')
    if (!check.ok || !wanted) throw new Error(`the first request answered ${check.status} ${type}: ${body.toString('utf8').slice(0, 300)}`)
    if (settings.warmup > 0) await firePaths(endpoint.base, paths, endpoint.headers, { connections: clients, duration: settings.warmup })
    const samples: (Sample & { bytes: number })[] = []
    for (let round = 0; round < settings.rounds; round++) samples.push(await firePaths(endpoint.base, paths, endpoint.headers, { connections: clients, duration: settings.duration }))
    const sample = {
      p50: median(samples.map((s) => s.p50)),
      p99: median(samples.map((s) => s.p99)),
      rps: median(samples.map((s) => s.rps)),
      requests: samples.reduce((n, s) => n + s.requests, 0),
      unexpected: Object.assign({}, ...samples.map((s) => s.unexpected)) as Record<string, number>,
      errors: samples.reduce((n, s) => n + s.errors, 0),
      bytes: median(samples.map((s) => s.bytes))
    }
    const failed = Object.keys(sample.unexpected).length > 0 || sample.errors > 0
    return { server: endpoint.server, kind, clients, sample, error: failed ? `unexpected answers: ${JSON.stringify(sample.unexpected)}, ${sample.errors} errors` : null }
  } catch (error) {
    return { server: endpoint.server, kind, clients, sample: null, error: error instanceof Error ? error.message : String(error) }
  }
}

async function featuresReturned(endpoint: Endpoint, box: number[]): Promise<number | string> {
  const res = await fetch(`${endpoint.base}${endpoint.path}?${getFeature(endpoint.server, endpoint.points, box)}`, { headers: endpoint.headers })
  const text = await res.text()
  try {
    return (JSON.parse(text) as { features: unknown[] }).features.length
  } catch {
    return `${res.status}: ${text.slice(0, 200)}`
  }
}

export async function runOgcBench(settings: OgcSettings, log: Log): Promise<OgcResults> {
  const started = Date.now()
  const loadStart = loadavg()[0]!
  const missing = missingPeerPrograms()
  if (missing.length > 0) throw new Error(`the reference servers are not installed (missing ${missing.join(', ')}; Debian: apt-get install ${PEER_PACKAGES})`)
  mkdirSync(OGC_DIR, { recursive: true })
  const gpkg = pointsGeoPackage(OGC_DIR, settings.points, log)
  const tif = demGeoTiff(OGC_DIR, settings.demSize, log)
  log('Loading both into a fresh Mapshelf data folder through the upload API ...')
  const points = await mapshelfRun({ paths: [gpkg], base: gpkg, bytes: statSync(gpkg).size, features: settings.points }, true)
  const server = points.server as ChildServer
  let peers: Peers | null = null
  try {
    const token = await adminToken(server.url)
    const headers = { authorization: `Bearer ${token}` }
    const raster = await uploadRaster(server.url, token, points.dataDir, tif)
    const pointsName = await alternateOf(server.url, headers, points.layer.pk)
    peers = await startPeers({ dir: OGC_DIR, gpkg, tif, port: settings.port, processes: settings.processes, log })
    const mapshelf = split(`${server.url}/geoserver/ows`)
    const endpoints: Endpoint[] = [
      { server: 'Mapshelf', ...mapshelf, points: pointsName, raster, headers },
      { server: 'MapServer 8', ...split(peers.urls.mapserver), points: POINTS_LAYER, raster: RASTER_LAYER, headers: {} },
      { server: 'QGIS Server 3.22', ...split(peers.urls.qgis), points: POINTS_LAYER, raster: RASTER_LAYER, headers: {} }
    ]
    const sanity: Record<string, number | string> = {}
    for (const endpoint of endpoints) sanity[endpoint.server] = await featuresReturned(endpoint, boxes(1)[0])
    log(`Features returned for the first box: ${JSON.stringify(sanity)}`)
    const rows: OgcRow[] = []
    const kinds: RequestKind[] = ['WMS GetMap 256² PNG, points', 'WMS GetMap 256² PNG, elevation model', 'WFS GetFeature GeoJSON ≤ 5,000']
    for (const kind of kinds) {
      for (const clients of [1, 10]) {
        for (const endpoint of endpoints) {
          const row = await measure(endpoint, kind, clients, settings)
          rows.push(row)
          log(`${kind} · ${clients} client${clients > 1 ? 's' : ''} · ${endpoint.server}: ${row.sample ? `p50 ${fmt(row.sample.p50, 1)} ms, p99 ${fmt(row.sample.p99, 1)} ms, ${fmt(row.sample.rps, 1)} req/s` : row.error}`)
        }
      }
    }
    return { settings, rows, sanity, minutes: (Date.now() - started) / 60_000, load: { start: loadStart, end: loadavg()[0]! } }
  } finally {
    await peers?.stop()
    await server.stop()
    rmSync(points.dataDir, { recursive: true, force: true })
  }
}

async function alternateOf(baseUrl: string, headers: Record<string, string>, pk: number): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v2/layers/${pk}`, { headers })
  const body = (await res.json()) as { layer: { alternate: string } }
  return body.layer.alternate
}

async function uploadRaster(baseUrl: string, token: string, dataDir: string, tif: string): Promise<string> {
  const reply = await upload(baseUrl, token, [tif])
  const body = JSON.parse(reply.body) as { status?: string; id?: number }
  if (reply.status !== 200 || body.status !== 'finished' || body.id === undefined) throw new Error(`upload of the elevation model: ${reply.status} ${reply.body.slice(0, 300)}`)
  const layer = storedLayer(dataDir, body.id)
  if (!layer) throw new Error(`upload ${body.id}: no layer in the catalogue`)
  return alternateOf(baseUrl, { authorization: `Bearer ${token}` }, layer.pk)
}

const KINDS: RequestKind[] = ['WMS GetMap 256² PNG, points', 'WMS GetMap 256² PNG, elevation model', 'WFS GetFeature GeoJSON ≤ 5,000']
const PEERS: ServerName[] = ['MapServer 8', 'QGIS Server 3.22']

function rowOf(results: OgcResults, server: ServerName, kind: RequestKind, clients: number): OgcRow | undefined {
  return results.rows.find((r) => r.server === server && r.kind === kind && r.clients === clients)
}

/** Mapshelf's ten-client throughput over the faster peer's, for one kind of request. */
export function throughputRatio(results: OgcResults, kind: RequestKind): number {
  const ours = rowOf(results, 'Mapshelf', kind, 10)?.sample?.rps ?? Number.NaN
  const best = Math.max(...PEERS.map((peer) => rowOf(results, peer, kind, 10)?.sample?.rps ?? Number.NaN).filter(Number.isFinite))
  return ours / best
}

export function ogcTable(results: OgcResults): string {
  const header = ['request', 'clients', 'server', 'p50 ms', 'p99 ms', 'req/s', 'vs faster peer', 'mean body', 'requests']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 3 ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const kind of KINDS) {
    for (const clients of [1, 10]) {
      const best = Math.max(...PEERS.map((peer) => rowOf(results, peer, kind, clients)?.sample?.rps ?? Number.NaN).filter(Number.isFinite))
      for (const server of ['Mapshelf', ...PEERS] as ServerName[]) {
        const row = rowOf(results, server, kind, clients)
        const m = row?.sample
        const name = server === 'Mapshelf' ? '**Mapshelf**' : server
        if (!row || !m || row.error) {
          const why = (row?.error ?? 'not measured').replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 240)
          lines.push(`| ${kind} | ${clients} | ${name} | **FAIL**: ${why} | | | | | |`)
          continue
        }
        const ratio = server === 'Mapshelf' ? `${fmt(m.rps / best, 2)}x` : ''
        lines.push(`| ${kind} | ${clients} | ${name} | ${fmt(m.p50, 1)} | ${fmt(m.p99, 1)} | ${fmt(m.rps, 1)} | ${ratio} | ${fmt(m.bytes / 1024, 0)} KB | ${m.requests} |`)
      }
    }
  }
  return lines.join('\n')
}

/** One line per target of the issue, met or not, with the figure. */
export function ogcVerdicts(results: OgcResults): string[] {
  const p99 = (kind: RequestKind) => rowOf(results, 'Mapshelf', kind, 1)?.sample?.p99 ?? Number.NaN
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')
  const lines: string[] = []
  for (const kind of ['WMS GetMap 256² PNG, points', 'WMS GetMap 256² PNG, elevation model'] as RequestKind[]) {
    lines.push(`- ${kind}: one client's p99 ${fmt(p99(kind), 1)} ms (target ≤ ${TARGETS.getMapP99} ms: ${verdict(p99(kind) <= TARGETS.getMapP99)}); ten clients ${fmt(throughputRatio(results, kind), 2)}x the faster peer's throughput (target ≥ ${TARGETS.throughputRatio}x: ${verdict(throughputRatio(results, kind) >= TARGETS.throughputRatio)})`)
  }
  const wfs: RequestKind = 'WFS GetFeature GeoJSON ≤ 5,000'
  lines.push(`- ${wfs}: one client's p99 ${fmt(p99(wfs), 1)} ms (target ≤ ${TARGETS.getFeatureP99} ms: ${verdict(p99(wfs) <= TARGETS.getFeatureP99)}); ten clients ${fmt(throughputRatio(results, wfs), 2)}x the faster peer's throughput (target ≥ ${TARGETS.throughputRatio}x: ${verdict(throughputRatio(results, wfs) >= TARGETS.throughputRatio)})`)
  return lines
}

export function ogcFailed(results: OgcResults): boolean {
  return results.rows.some((r) => r.error !== null)
}

export function ogcSection(results: OgcResults, context: SectionContext): string {
  const s = results.settings
  return [
    OGC_SECTION_START,
    '## OGC services beside MapServer and QGIS Server',
    '',
    ...runLines(context, results, { tools: 'MapServer 8.0 and QGIS Server 3.22 (Debian 12)', loadNote: 'the machine is shared: compare the ratios more than the times' }),
    `- Data: ${s.points.toLocaleString('en')} seeded random points in lon 10..12, lat 45..46 (a GeoPackage with four attributes) and a ${s.demSize.toLocaleString('en')} x ${s.demSize.toLocaleString('en')} Float32 elevation model over the same extent (tiled, DEFLATE, overviews). Mapshelf ingests both through its upload API; MapServer and QGIS Server read the same files, each as ${s.processes} persistent FastCGI processes behind lighttpd on this machine, in the same run.`,
    '- Requests: the same sequence of random boxes of 1/16 of the extent for every server. GetMap: WMS 1.1.1, EPSG:4326, 256x256 PNG, transparent, each server\'s default style (MapServer a 4 px circle, QGIS a 1 mm circle, Mapshelf the layer\'s default SLD; the elevation model stretched). GetFeature: GeoJSON, at most 5,000 features (WFS 2.0.0 COUNT with a lat,lon BBOX in urn:ogc:def:crs:EPSG::4326 for Mapshelf and MapServer; WFS 1.1.0 MAXFEATURES for QGIS Server). ' +
      `Features returned for the first box: ${Object.entries(results.sanity).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `- Each row: ${s.warmup} s of warm-up, then ${s.rounds} rounds of ${s.duration} s (autocannon, keep-alive connections); medians of the rounds. "vs faster peer" divides Mapshelf's requests/s by the faster of MapServer and QGIS Server for the same request and clients.`,
    '',
    ogcTable(results),
    '',
    ...ogcVerdicts(results),
    '',
    'Rerun this section alone with `npm run bench -- --ogc-only` (needs the Debian packages mapserver-bin, cgi-mapserver, qgis-server, spawn-fcgi, lighttpd, gdal-bin and python3-qgis; it replaces only this section of the file).',
    OGC_SECTION_END
  ].join('\n')
}
