/**
 * HTTP benchmark: seeds (or reuses) a catalogue, starts the real server and a bare Express baseline
 * as child processes, measures each query as anonymous and as a plain user, and writes
 * docs/benchmarks.md.
 *
 * @example npm run bench -- --quick
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEMO_PASSWORD } from '../../src-main/seed/seed'
import { BENCH_ADMIN_PASSWORD, type Catalogue, ensureCatalogue } from './catalogue'
import { type ChildServer, killAllChildrenNow, startChild, stopAllChildren } from './children'
import { guiBench } from './gui'
import { type Target, measurePair } from './load'
import { type WriteContext, largeWrites, loadedWrites, writeTables } from './writes'
import { INGEST_SECTION_END, INGEST_SECTION_START, type IngestResults, ingestSection, ingestTables, runIngestBench } from './ingest'
import { type BenchMode, type BenchOptions, USAGE, parseOptions } from './options'
import { SYNC_SECTION_END, SYNC_SECTION_START, runSyncBench, syncFailed, syncSection, syncTable } from './sync'
import { OGC_SECTION_END, OGC_SECTION_START, ogcFailed, ogcSection, ogcTable, ogcVerdicts, runOgcBench } from './ogc'
import { type BenchQuery, type CallerKind, benchQueries, expectedStatus, pickParams } from './queries'
import { type Row, type RunInfo, type Section, markdownReport, resultsTable, rowFailure, spliceSection } from './report'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const REPORT_FILE = join(ROOT, 'docs', 'benchmarks.md')
const CALLERS: CallerKind[] = ['anonymous', 'plain user']

const log = (line: string) => console.log(line)

function quiet(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

function machine(): string {
  const count = quiet('nproc', []) ?? String(availableParallelism())
  const model = cpus()[0]?.model?.trim()
  return `${count} CPUs (nproc)${model ? `, ${model}` : ''}, ${process.platform} ${process.arch}`
}

function startMapshelf(catalogue: Catalogue, mode: BenchMode): Promise<ChildServer> {
  const args = ['src-main/cli/main.ts', 'serve', '--data-dir', catalogue.dataDir, '--port', '0', '--admin-password', BENCH_ADMIN_PASSWORD, '--enable-patch-all']
  if (mode === 'no-cache') args.push('--response-cache-mb', '0')
  return startChild('mapshelf', ['npx', 'tsx', ...args], { cwd: ROOT, timeoutMs: 120_000 })
}

/** Started once per row, so `node --import tsx` (the same loader as `npx tsx`, without npx's second of start-up). */
function startBare(bytes: number): Promise<ChildServer> {
  return startChild('bare server', [process.execPath, '--import', 'tsx', 'test/bench/bare-server.ts', String(bytes)], { cwd: ROOT })
}

async function bearerToken(baseUrl: string, username: string, password = DEMO_PASSWORD): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'password', username, password })
  const response = await fetch(`${baseUrl}/o/token/`, { method: 'POST', body })
  const json = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || !json.access_token) throw new Error(`POST /o/token/ for ${username}: ${response.status} ${JSON.stringify(json)}`)
  return json.access_token
}

function totalOf(text: string): number | null {
  try {
    const total = (JSON.parse(text) as { total?: unknown }).total
    return typeof total === 'number' ? total : null
  } catch {
    return null
  }
}

/** The check request: status, exact body size, and the list total if any. */
async function check(baseUrl: string, query: BenchQuery, caller: CallerKind, headers: Record<string, string>): Promise<Row> {
  const response = await fetch(baseUrl + query.path, { headers })
  const body = Buffer.from(await response.arrayBuffer())
  const expected = expectedStatus(query, caller)
  return { query, caller, expected, checkStatus: response.status, bytes: body.length, total: totalOf(body.toString('utf8')), measured: null }
}

async function measureRow(row: Row, target: Target, options: BenchOptions): Promise<void> {
  const bare = await startBare(row.bytes)
  try {
    const bareTarget: Target = { url: bare.url, headers: target.headers, expectedStatus: 200 }
    row.measured = await measurePair(target, bareTarget, options)
  } finally {
    await bare.stop()
  }
}

function progressLine(index: number, count: number, row: Row): string {
  const head = `[${index + 1}/${count}] ${row.query.name} · ${row.caller}`
  const failure = rowFailure(row)
  if (!row.measured) return `${head}: ${failure}`
  const { query, bare } = row.measured
  const ratio = (query.rps / bare.rps).toFixed(3)
  const tail = failure ? ` — FAIL: ${failure}` : ''
  return `${head}: p50 ${query.p50.toFixed(2)} ms, p99 ${query.p99.toFixed(2)} ms, ${Math.round(query.rps)} req/s; bare ${Math.round(bare.rps)} req/s; ratio ${ratio}${tail}`
}

/** The server under test; replaced if it dies mid-run (the machine is shared), which the report notes. */
interface Live {
  server: ChildServer
  catalogue: Catalogue
  mode: BenchMode
  restarts: string[]
}

const headersOf = (caller: CallerKind, token: string): Record<string, string> =>
  caller === 'anonymous' ? {} : { authorization: `Bearer ${token}` }

function targetOf(live: Live, row: Row, token: string): Target {
  return { url: live.server.url + row.query.path, headers: headersOf(row.caller, token), expectedStatus: row.expected }
}

/** Measures the row; if the server died meanwhile, restarts it and measures the row once more. */
async function measureWithRestart(live: Live, row: Row, token: string, options: BenchOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await measureRow(row, targetOf(live, row, token), options)
    const ended = live.server.exited()
    if (!ended) return
    const detail = `${row.query.name} · ${row.caller}: exited (${ended})`
    if (attempt === 2) throw new Error(`The Mapshelf server ${detail} twice; its last stderr lines:\n${live.server.stderr.join('\n')}`)
    log(`The Mapshelf server ${detail}; stderr: ${live.server.stderr.slice(-5).join(' | ') || '(empty)'}. Restarting it and measuring the row again.`)
    live.restarts.push(detail)
    live.server = await startMapshelf(live.catalogue, live.mode)
  }
}

async function measureAll(live: Live, queries: BenchQuery[], token: string, options: BenchOptions): Promise<Row[]> {
  const plan = queries.flatMap((query) => CALLERS.map((caller) => ({ query, caller })))
  const rows: Row[] = []
  for (const { query, caller } of plan) rows.push(await check(live.server.url, query, caller, headersOf(caller, token)))
  for (const [index, row] of rows.entries()) {
    if (row.checkStatus === row.expected) await measureWithRestart(live, row, token, options)
    log(progressLine(index, rows.length, row))
  }
  return rows
}

function estimateMinutes(options: BenchOptions, rows: number): number {
  const perRow = 2 * (options.warmup + options.rounds * options.duration) + 3
  return (perRow * rows) / 60
}

/** A smoke run (--quick) renders the report but leaves the real results in docs/benchmarks.md alone. */
function writeReport(markdown: string, options: BenchOptions): void {
  if (options.quick) return log(`Quick smoke run: ${REPORT_FILE} left unchanged (a full run writes it).`)
  mkdirSync(join(ROOT, 'docs'), { recursive: true })
  writeFileSync(REPORT_FILE, markdown)
  log(`Wrote ${REPORT_FILE}`)
}

/** The commit, marked when src-main has uncommitted changes (the run measures the working tree). */
function commitLabel(): string | null {
  const commit = quiet('git', ['rev-parse', '--short', 'HEAD'])
  const dirty = quiet('git', ['status', '--porcelain', '--', 'src-main'])
  return commit && dirty ? `${commit} (plus uncommitted changes in src-main)` : commit
}

/** The ingest and bbox section: measured, printed, and its markdown. */
async function ingestPart(options: BenchOptions): Promise<{ results: IngestResults; markdown: string }> {
  const started = new Date()
  log('Measuring the ingest and bbox rows ...')
  const results = await runIngestBench(
    {
      sizes: options.ingestSizes,
      runs: options.ingestRuns,
      connections: options.connections,
      duration: options.duration,
      rounds: options.rounds,
      warmup: options.warmup
    },
    log
  )
  log(`\ningest and bbox:\n${ingestTables(results)}\n`)
  const markdown = ingestSection(results, { date: started, machine: machine(), node: process.version, commit: commitLabel(), quick: options.quick })
  return { results, markdown }
}

const ingestFailed = (results: IngestResults) =>
  results.rows.some((r) => r.error !== null) || results.bbox.some((r) => r.error !== null || !r.query || r.query.errors > 0 || Object.keys(r.query.unexpected).length > 0)

export const GUI_SECTION_START = '<!-- gui-bench:start -->'
export const GUI_SECTION_END = '<!-- gui-bench:end -->'

/**
 * The GUI section (test/bench/gui.ts), between its markers: measured on a copy of the bench
 * catalogue (seeded first if missing). A failure (no built renderer, no Chromium) becomes the
 * section's text, so a full run still writes its other sections.
 */
async function guiPart(options: BenchOptions): Promise<{ failed: boolean; markdown: string }> {
  log('Measuring the GUI rows ...')
  const started = new Date()
  const wrap = (body: string) =>
    [
      GUI_SECTION_START,
      '## GUI',
      '',
      `- Date: ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC; commit ${commitLabel() ?? 'unknown'}${options.quick ? ' — **quick smoke run**' : ''}`,
      '- Headless Chromium (playwright-core) against `serve --ui-dir out/renderer` on a copy of the bench catalogue: (a) cold loads until the first page of results is drawn, each in a fresh browser context, median; (b) requestAnimationFrame intervals while panning a map of a generated point layer by mouse drags.',
      '',
      body,
      '',
      'Rerun this section alone with `npm run bench -- --gui-only` (needs `npx electron-vite build`; it replaces only this section of the file).',
      GUI_SECTION_END
    ].join('\n')
  try {
    const catalogue = await ensureCatalogue(options.seed, { fresh: false, log })
    const { markdown } = await guiBench({
      catalogue: catalogue.dataDir,
      runs: options.quick ? 2 : 5,
      panSeconds: options.quick ? 2 : 4,
      points: options.quick ? 20_000 : 100_000,
      log
    })
    log(`\ngui:\n${markdown}\n`)
    return { failed: false, markdown: wrap(markdown.replace(/^### GUI\n\n/, '')) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log(`GUI section FAILED: ${message}`)
    return { failed: true, markdown: wrap(`**FAIL**: ${message}`) }
  }
}

/** Replaces one marked section of docs/benchmarks.md (a run of that section alone). */
function spliceReport(markdown: string, start: string, end: string, what: string): void {
  mkdirSync(join(ROOT, 'docs'), { recursive: true })
  const existing = existsSync(REPORT_FILE) ? readFileSync(REPORT_FILE, 'utf8') : '# Mapshelf HTTP benchmark\n'
  writeFileSync(REPORT_FILE, spliceSection(existing, markdown, start, end))
  log(`Replaced the ${what} section of ${REPORT_FILE}`)
}

/** --gui-only: that section alone; a full run replaces only its part of docs/benchmarks.md. */
async function guiOnly(options: BenchOptions): Promise<number> {
  const { failed, markdown } = await guiPart(options)
  if (options.quick) log(`Quick smoke run: ${REPORT_FILE} left unchanged (a full run writes it).`)
  else spliceReport(markdown, GUI_SECTION_START, GUI_SECTION_END, 'GUI')
  return failed ? 1 : 0
}

/** The sync section: measured, printed, and its markdown; a failure becomes the section's text. */
async function syncPart(options: BenchOptions): Promise<{ failed: boolean; markdown: string }> {
  log('Measuring the sync rows ...')
  const started = new Date()
  try {
    const results = await runSyncBench({ root: ROOT, sizes: options.syncSizes, rounds: options.syncRounds }, log)
    log(`\nsync:\n${syncTable(results)}\n`)
    const markdown = syncSection(results, { date: started, machine: machine(), node: process.version, commit: commitLabel(), quick: options.quick })
    return { failed: syncFailed(results), markdown }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log(`Sync section FAILED: ${message}`)
    return { failed: true, markdown: [SYNC_SECTION_START, '## Sync', '', `**FAIL** (${started.toISOString().slice(0, 16)} UTC): ${message}`, SYNC_SECTION_END].join('\n') }
  }
}

/** --sync-only: that section alone; a full run replaces only its part of docs/benchmarks.md. */
async function syncOnly(options: BenchOptions): Promise<number> {
  const { failed, markdown } = await syncPart(options)
  if (options.quick) log(`Quick smoke run: ${REPORT_FILE} left unchanged (a full run writes it).`)
  else spliceReport(markdown, SYNC_SECTION_START, SYNC_SECTION_END, 'sync')
  return failed ? 1 : 0
}

/** The OGC section: measured, printed, and its markdown; a failure becomes the section's text. */
async function ogcPart(options: BenchOptions): Promise<{ failed: boolean; markdown: string }> {
  log('Measuring the OGC rows ...')
  const started = new Date()
  try {
    const results = await runOgcBench(options.ogcSettings, log)
    log(`\nOGC:\n${ogcTable(results)}\n${ogcVerdicts(results).join('\n')}\n`)
    const markdown = ogcSection(results, { date: started, machine: machine(), node: process.version, commit: commitLabel(), quick: options.quick })
    return { failed: ogcFailed(results), markdown }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    log(`OGC section FAILED: ${message}`)
    return { failed: true, markdown: [OGC_SECTION_START, '## OGC services beside MapServer and QGIS Server', '', `**FAIL** (${started.toISOString().slice(0, 16)} UTC): ${message}`, OGC_SECTION_END].join('\n') }
  }
}

/** --ogc-only: that section alone; a full run replaces only its part of docs/benchmarks.md. */
async function ogcOnly(options: BenchOptions): Promise<number> {
  const { failed, markdown } = await ogcPart(options)
  if (options.quick) log(`Quick smoke run: ${REPORT_FILE} left unchanged (a full run writes it).`)
  else spliceReport(markdown, OGC_SECTION_START, OGC_SECTION_END, 'OGC')
  return failed ? 1 : 0
}

/** --ingest-only: that section alone; a full run replaces only its part of docs/benchmarks.md. */
async function ingestOnly(options: BenchOptions): Promise<number> {
  const { results, markdown } = await ingestPart(options)
  if (options.quick) log(`Quick smoke run: ${REPORT_FILE} left unchanged (a full run writes it).`)
  else spliceReport(markdown, INGEST_SECTION_START, INGEST_SECTION_END, 'ingest')
  return ingestFailed(results) ? 1 : 0
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv)
  if (!options) {
    log(USAGE)
    return 0
  }
  if (options.ingestOnly) return ingestOnly(options)
  if (options.guiOnly) return guiOnly(options)
  if (options.syncOnly) return syncOnly(options)
  if (options.ogcOnly) return ogcOnly(options)
  const started = Date.now()
  const catalogue = await ensureCatalogue(options.seed, { fresh: options.fresh, log })
  const params = pickParams(catalogue.databaseFile, catalogue.summary.fixtures)
  const queries = benchQueries(params)
  const rowCount = queries.length * CALLERS.length * options.modes.length
  log(`Measuring ${rowCount} rows, about ${estimateMinutes(options, rowCount).toFixed(1)} min ...`)
  const sections: Section[] = []
  const restarts: string[] = []
  for (const mode of options.modes) {
    const live: Live = { server: await startMapshelf(catalogue, mode), catalogue, mode, restarts }
    log(`Mapshelf (${mode}) at ${live.server.url}; bench user ${params.plainUser}.`)
    const token = await bearerToken(live.server.url, params.plainUser)
    sections.push({ mode, rows: await measureAll(live, queries, token, options) })
    await live.server.stop()
  }
  log('Measuring the write rows ...')
  const writesServer = await startMapshelf(catalogue, 'cache')
  const bare = await startBare(4096)
  let writes: string
  try {
    const ctx: WriteContext = {
      baseUrl: writesServer.url,
      bareUrl: bare.url,
      adminToken: await bearerToken(writesServer.url, 'admin', BENCH_ADMIN_PASSWORD),
      userToken: await bearerToken(writesServer.url, params.plainUser),
      databaseFile: catalogue.databaseFile,
      ownedResourceId: params.ownedId
    }
    writes = writeTables(await loadedWrites(ctx, options), await largeWrites(ctx))
  } finally {
    await bare.stop()
    await writesServer.stop()
  }
  log(`\nwrites:\n${writes}\n`)
  const ingest = options.ingest ? await ingestPart(options) : null
  const gui = options.gui ? await guiPart(options) : null
  const sync = options.sync ? await syncPart(options) : null
  const ogc = options.ogc ? await ogcPart(options) : null
  const info: RunInfo = {
    date: new Date(started),
    cpus: machine(),
    node: process.version,
    commit: commitLabel(),
    options,
    catalogueDir: catalogue.dataDir,
    reused: !catalogue.seeded,
    params,
    restarts,
    minutes: (Date.now() - started) / 60_000
  }
  for (const section of sections) log(`\n${section.mode}:\n${resultsTable(section.rows)}\n`)
  // A section not measured this run keeps what an earlier run wrote (with its own date and commit).
  const kept = (start: string, end: string) => {
    const existing = existsSync(REPORT_FILE) ? readFileSync(REPORT_FILE, 'utf8') : ''
    const from = existing.indexOf(start)
    const to = existing.indexOf(end)
    return from >= 0 && to > from ? existing.slice(from, to + end.length) : undefined
  }
  const ingestMarkdown = ingest?.markdown ?? kept(INGEST_SECTION_START, INGEST_SECTION_END)
  const guiMarkdown = gui?.markdown ?? kept(GUI_SECTION_START, GUI_SECTION_END)
  const syncMarkdown = sync?.markdown ?? kept(SYNC_SECTION_START, SYNC_SECTION_END)
  const ogcMarkdown = ogc?.markdown ?? kept(OGC_SECTION_START, OGC_SECTION_END)
  writeReport(markdownReport(info, sections, writes, ingestMarkdown, guiMarkdown, syncMarkdown, ogcMarkdown), options)
  const failed =
    sections.some((section) => section.rows.some((row) => rowFailure(row) !== null)) || (ingest !== null && ingestFailed(ingest.results)) || gui?.failed === true || sync?.failed === true || ogc?.failed === true
  return failed ? 1 : 0
}

async function shutdown(code: number, reason?: unknown): Promise<never> {
  if (reason !== undefined) console.error(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason))
  await stopAllChildren()
  process.exit(code)
}

process.on('exit', killAllChildrenNow)
process.once('SIGINT', () => void shutdown(130, 'Interrupted; stopping the servers.'))
process.once('SIGTERM', () => void shutdown(143, 'Terminated; stopping the servers.'))

main(process.argv.slice(2)).then(
  (code) => shutdown(code),
  (error: unknown) => shutdown(1, error)
)
