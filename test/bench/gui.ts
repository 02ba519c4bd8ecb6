/// <reference lib="dom" />
/**
 * GUI benchmark, in headless Chromium (playwright-core, /usr/bin/chromium) against the real server
 * serving the built renderer (out/renderer):
 *
 *  (a) catalogue: time from navigation to an interactive catalogue of 100,000 resources (the first
 *      page of results drawn, the shell ready), median of cold loads, each in a fresh browser
 *      context (empty HTTP cache). Target < 1 s.
 *  (b) map: frame times while panning (mouse drags) a map of a 100,000-point layer uploaded from a
 *      generated GeoJSON; requestAnimationFrame intervals during the drags. Target >= 30 fps.
 *
 * The cached bench catalogue is copied to a temporary folder (never modified).
 * Standalone: `npx tsx test/bench/gui.ts [--runs N] [--pan-seconds S] [--points N]`.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { GeoNodeClient } from '../../src-shared/client/geonode-client'
import { launchBrowser } from '../helpers/browser'
import { writePointsGeoJson } from '../helpers/fixtures-vector'
import { BENCH_ADMIN_PASSWORD, catalogueDir } from './catalogue'
import { type ChildServer, startChild, stopAllChildren } from './children'

const ROOT = resolve(import.meta.dirname, '../..')
const UI_DIR = join(ROOT, 'out/renderer')
const VIEWPORT = { width: 1280, height: 800 }

export interface GuiBenchOptions {
  /** The seeded catalogue to copy (default: the cached 100,000-resource bench catalogue). */
  catalogue?: string
  /** Cold catalogue loads to take the median of (default 5). */
  runs?: number
  /** How long to pan the map (default 4 s). */
  panSeconds?: number
  /** Points in the generated layer (default 100,000). */
  points?: number
  log?: (line: string) => void
}

export interface GuiBenchRow {
  name: string
  value: number
  unit: string
  target: string
  pass: boolean
  detail: string
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const percentile = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

/** One cold load: a fresh context, navigation, and the time (from navigation start) at which results show. */
async function coldCatalogueLoad(browser: Browser, url: string): Promise<{ ms: number; results: number }> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  try {
    const page = await context.newPage()
    await page.goto(`${url}/#/catalogue`, { waitUntil: 'commit' })
    // Interactive: the shell is ready and the first page of results is drawn (cards with titles).
    const handle = await page.waitForFunction(
      () => {
        const shell = document.querySelector('[data-app-state="ready"]')
        const view = document.querySelector('[data-testid="catalogue-view"][data-app-state="loaded"]')
        const cards = document.querySelectorAll('[data-testid="results"] > *:not(.skeleton)').length
        return shell && view && cards > 0 ? { ms: performance.now(), results: cards } : null
      },
      undefined,
      { polling: 'raf', timeout: 60_000 }
    )
    const result = (await handle.jsonValue()) as { ms: number; results: number }
    // What the page asks after its first results (facet counts) ends before the next load starts.
    await page.waitForLoadState('networkidle', { timeout: 120_000 }).catch(() => undefined)
    return result
  } finally {
    await context.close()
  }
}

async function uploadPoints(url: string, token: string, points: number, log: (line: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mapshelf-gui-bench-'))
  try {
    const file = join(dir, 'bench-points.geojson')
    await writePointsGeoJson(file, points)
    const form = new FormData()
    form.append('base_file', new Blob([readFileSync(file)], { type: 'application/geo+json' }), 'bench-points.geojson')
    const started = Date.now()
    const response = await fetch(`${url}/api/v2/uploads/upload/`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    const reply = (await response.json()) as { status?: string; id?: number; errors?: string[] }
    if (reply.status !== 'finished' || reply.id === undefined) throw new Error(`upload of ${points} points failed: HTTP ${response.status} ${JSON.stringify(reply).slice(0, 300)}`)
    log(`  uploaded ${points.toLocaleString()} points in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const session = (await (await fetch(`${url}/api/v2/uploads/${reply.id}/?full=true`, { headers: { authorization: `Bearer ${token}` } })).json()) as { upload: { layer?: { pk: string } } }
    const pk = Number(session.upload.layer?.pk)
    if (!Number.isInteger(pk)) throw new Error(`upload ${reply.id} has no layer`)
    return pk
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface PanResult {
  intervals: number[]
  seconds: number
}

/** Pans the map by mouse drags for `seconds`, recording requestAnimationFrame intervals meanwhile. */
async function panMap(page: Page, seconds: number): Promise<PanResult> {
  const canvas = (await page.locator('[data-testid="map-canvas"]').boundingBox())!
  const cx = canvas.x + canvas.width / 2
  const cy = canvas.y + canvas.height / 2
  // A string, so the bundler's helpers (keepNames) do not leak into the page.
  await page.evaluate(`(() => {
    window.__frames = []
    window.__recording = true
    const tick = (t) => {
      window.__frames.push(t)
      if (window.__recording) requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })()`)
  const until = Date.now() + seconds * 1000
  let direction = 1
  while (Date.now() < until) {
    // One drag: 240 px across in small steps (as a hand does), then release; the next goes back.
    await page.mouse.move(cx - direction * 120, cy - direction * 40)
    await page.mouse.down()
    for (let i = 1; i <= 40 && Date.now() < until; i++) await page.mouse.move(cx - direction * 120 + direction * i * 6, cy - direction * 40 + direction * i * 2)
    await page.mouse.up()
    direction = -direction
  }
  const frames = (await page.evaluate('(() => { window.__recording = false; return window.__frames })()')) as number[]
  const intervals = frames.slice(1).map((t, i) => t - frames[i]!)
  return { intervals, seconds: (frames[frames.length - 1]! - frames[0]!) / 1000 }
}

export async function guiBench(opts: GuiBenchOptions = {}): Promise<{ rows: GuiBenchRow[]; markdown: string }> {
  const log = opts.log ?? ((line: string) => console.error(line))
  const runs = opts.runs ?? 5
  const panSeconds = opts.panSeconds ?? 4
  const points = opts.points ?? 100_000
  const source = opts.catalogue ?? catalogueDir({ resources: 100_000, users: 1000, groups: 100 })
  if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error('out/renderer is missing: run `npx electron-vite build` first')
  if (!existsSync(join(source, 'catalogue.sqlite'))) throw new Error(`no bench catalogue at ${source}: run the HTTP bench once (npm run bench) to seed it`)
  const marker = JSON.parse(readFileSync(join(source, 'bench-seed.json'), 'utf8')) as { params: { resources: number } }

  const dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-gui-bench-data-'))
  let server: ChildServer | undefined
  let browser: Browser | undefined
  const rows: GuiBenchRow[] = []
  try {
    log(`copying the catalogue (${marker.params.resources.toLocaleString()} resources) to ${dataDir}`)
    cpSync(source, dataDir, { recursive: true })
    server = await startChild(
      'mapshelf',
      ['npx', 'tsx', 'src-main/cli/main.ts', 'serve', '--data-dir', dataDir, '--port', '0', '--admin-password', BENCH_ADMIN_PASSWORD, '--ui-dir', UI_DIR],
      { cwd: ROOT, timeoutMs: 120_000 }
    )
    const url = server.url.replace(/\/+$/, '')
    log(`server at ${url}`)
    browser = await launchBrowser()

    // (a) cold catalogue loads. The first, discarded, warms the server process (its first queries).
    await coldCatalogueLoad(browser, url)
    const loads: number[] = []
    for (let i = 0; i < runs; i++) {
      const { ms, results } = await coldCatalogueLoad(browser, url)
      loads.push(ms)
      log(`  catalogue load ${i + 1}/${runs}: ${ms.toFixed(0)} ms (${results} results drawn)`)
    }
    const loadMedian = median(loads)
    rows.push({
      name: `Catalogue interactive, ${marker.params.resources.toLocaleString()} resources (median of ${runs} cold loads)`,
      value: Math.round(loadMedian),
      unit: 'ms',
      target: '< 1000 ms',
      pass: loadMedian < 1000,
      detail: `loads ${loads.map((l) => l.toFixed(0)).join(', ')} ms; min ${Math.min(...loads).toFixed(0)}, max ${Math.max(...loads).toFixed(0)}`
    })

    // (b) panning a map of a 100,000-point layer.
    const client = new GeoNodeClient({ baseUrl: url })
    const token = await client.signIn('admin', BENCH_ADMIN_PASSWORD)
    const pk = await uploadPoints(url, token, points, log)
    const context = await browser.newContext({ viewport: VIEWPORT })
    await context.addInitScript((t) => sessionStorage.setItem('mapshelf.token', t), token)
    const page = await context.newPage()
    await page.goto(`${url}/#/maps/new?layer=${pk}`)
    await page.waitForSelector('[data-testid="map-view"][data-view-state="loaded"]')
    // Layers are drawn by the server's WMS: wait for the first map image of the layer.
    await page.waitForSelector('[data-testid="map-layer"][data-status="ready"]', { timeout: 60_000 })
    let images = 0
    page.on('response', (response) => {
      if (/[?&]REQUEST=GetMap/i.test(response.url()) && response.status() === 200) images++
    })
    const pan = await panMap(page, panSeconds)
    await context.close()
    const frameMedian = median(pan.intervals)
    const frameP95 = percentile(pan.intervals, 0.95)
    const fps = pan.intervals.length / pan.seconds
    const detail = `${pan.intervals.length} frames in ${pan.seconds.toFixed(1)} s of mouse-drag panning; the layer drawn by the server's WMS, ${images} map image${images === 1 ? '' : 's'} drawn and loaded during the pan`
    rows.push({ name: `Map pan, ${points.toLocaleString()}-point layer: frames per second`, value: Number(fps.toFixed(1)), unit: 'fps', target: '>= 30 fps', pass: fps >= 30, detail })
    rows.push({ name: 'Map pan: median frame time', value: Number(frameMedian.toFixed(1)), unit: 'ms', target: '<= 33.3 ms', pass: frameMedian <= 1000 / 30, detail: '' })
    rows.push({ name: 'Map pan: p95 frame time', value: Number(frameP95.toFixed(1)), unit: 'ms', target: '<= 33.3 ms', pass: frameP95 <= 1000 / 30, detail: '' })
  } finally {
    await browser?.close()
    await server?.stop()
    await stopAllChildren()
    rmSync(dataDir, { recursive: true, force: true })
  }

  const machine = `${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? 'unknown'}), headless Chromium (${process.env.MAPSHELF_CHROMIUM ?? '/usr/bin/chromium'}, --disable-gpu: software rendering), viewport ${VIEWPORT.width}x${VIEWPORT.height}`
  const markdown = [
    '### GUI',
    '',
    `Machine: ${machine}.`,
    '',
    '| Measure | Value | Target | Result | Detail |',
    '| --- | ---: | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.value} ${r.unit} | ${r.target} | ${r.pass ? 'pass' : '**miss**'} | ${r.detail} |`),
    ''
  ].join('\n')
  return { rows, markdown }
}

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : undefined
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  guiBench({ runs: flag('runs'), panSeconds: flag('pan-seconds'), points: flag('points') })
    .then(({ markdown }) => {
      console.log(markdown)
      process.exit(0)
    })
    .catch((error: unknown) => {
      console.error(error)
      process.exit(1)
    })
}
