/**
 * Sync benchmark: a remote Mapshelf server (child process, on a copy of a seeded catalogue) behind
 * a counting pass-through proxy, and a client (in this process) syncing with it through the
 * proxy. Each round, on fresh copies: the remote's full listing downloaded once (the baseline),
 * the first pull into an empty client, an incremental sync after edits on the remote, and a sync
 * pushing edits made on the client. Per step: time, HTTP requests, the share spent waiting on the
 * remote and inside the client's SQLite statements; medians over the rounds.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, Agent, createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type Sqlite from 'better-sqlite3'
import { loadConfig } from '../../src-main/config'
import { MAX_PAGE_SIZE } from '../../src-main/query/drest.parse'
import { type RunningServer, startServer } from '../../src-main/server'
import type { SyncSummary } from '../../src-main/sync/engine'
import { Remote } from '../../src-main/sync/remote'
import { prng } from '../helpers/prng'
import { BENCH_ADMIN_PASSWORD, type SeedParams, ensureCatalogue } from './catalogue'
import { type ChildServer, startChild } from './children'
import { type SectionContext, fmt, runLines } from './report'

/** The sync engine's listing page size (PAGE_SIZE in src-main/sync/context.ts); checked against what the pull sends. */
const ENGINE_PAGE_SIZE = 100
/** Reads the engine keeps in flight (READ_AHEAD in src-main/sync/records.ts), used by the grants row too. */
const ENGINE_READ_AHEAD = 8
const FOLLOWED_TYPES = ['layer', 'map', 'document', 'geoapp', 'geostory']
export const FIRST_PULL_RATIO_TARGET = 2
export const INCREMENTAL_TARGET_S = 2

export const SYNC_SECTION_START = '<!-- sync-bench:start -->'
export const SYNC_SECTION_END = '<!-- sync-bench:end -->'

export interface SyncSizes {
  catalogue: SeedParams
  remoteEdits: number
  localEdits: number
}

export interface SyncSettings {
  root: string
  sizes: SyncSizes
  rounds: number
}

type Log = (line: string) => void

// ---- counting what goes over the wire --------------------------------------------------------

type RequestKind = 'list' | 'detail' | 'perms' | 'write' | 'auth' | 'other'

interface Counted {
  method: string
  url: string
  kind: RequestKind
  /** When the request arrived and when the remote's answer ended (performance.now()). */
  start: number
  end: number
}

/** Seconds with at least one request waiting on the remote (requests overlap when sent a few at a time). */
function busySeconds(requests: Counted[]): number {
  const spans = requests.map((r) => [r.start, r.end || r.start] as const).sort((a, b) => a[0] - b[0])
  let total = 0
  let open: [number, number] | null = null
  for (const [start, end] of spans) {
    if (open && start <= open[1]) open[1] = Math.max(open[1], end)
    else {
      if (open) total += open[1] - open[0]
      open = [start, end]
    }
  }
  return (total + (open ? open[1] - open[0] : 0)) / 1000
}

function kindOf(method: string, url: string): RequestKind {
  const path = url.split('?')[0]!
  if (path.startsWith('/o/') || path.includes('/userinfo')) return 'auth'
  if (method !== 'GET' && method !== 'HEAD') return 'write'
  if (path.endsWith('/get_perms/') || path.endsWith('/get_perms')) return 'perms'
  // A type's list filtered by pk is the engine's read of several records' details at once.
  if (/^\/api\/v2\/[a-z_]+\/?$/.test(path)) return url.includes('filter{pk.in}') ? 'detail' : 'list'
  if (/^\/api\/v2\/[a-z_]+\/\d+\/?$/.test(path)) return 'detail'
  return 'other'
}

/** Forwards every request to the remote as it is, streaming both ways, and notes each one. */
class CountingProxy {
  readonly log: Counted[] = []
  private server: Server | null = null
  private readonly agent = new Agent({ keepAlive: true })
  private readonly target: URL

  constructor(target: string) {
    this.target = new URL(target)
  }

  url = ''

  async start(): Promise<void> {
    const server = createServer((req, res) => this.forward(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.server = server
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.agent.destroy()
    const server = this.server
    this.server = null
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now()
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const entry: Counted = { method, url, kind: kindOf(method, decodeURIComponent(url)), start: started, end: 0 }
    this.log.push(entry)
    const headers = { ...req.headers, host: this.target.host }
    delete headers.connection
    const upstream = httpRequest({ host: this.target.hostname, port: this.target.port, method, path: url, headers, agent: this.agent }, (answer) => {
      const back = { ...answer.headers }
      delete back.connection
      delete back['keep-alive']
      res.writeHead(answer.statusCode ?? 502, back)
      answer.on('end', () => (entry.end = performance.now()))
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }
}

/**
 * Time inside SQLite statements in this process, by SQL text: the client's work on its catalogue
 * (nothing else here runs SQL while a step is measured). Patches better-sqlite3's Statement
 * methods while attached.
 */
class SqlMeter {
  private bySql = new Map<string, { calls: number; ms: number }>()
  private restore: (() => void) | null = null

  attach(sqlite: Sqlite.Database): void {
    const prototype = Object.getPrototypeOf(sqlite.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>
    const originals = { run: prototype.run, get: prototype.get, all: prototype.all }
    const note = (source: string, ms: number) => {
      const entry = this.bySql.get(source) ?? { calls: 0, ms: 0 }
      entry.calls += 1
      entry.ms += ms
      this.bySql.set(source, entry)
    }
    for (const method of ['run', 'get', 'all'] as const) {
      const original = originals[method]
      prototype[method] = function (this: Sqlite.Statement, ...args: unknown[]) {
        const started = performance.now()
        try {
          return original.apply(this, args)
        } finally {
          note(this.source, performance.now() - started)
        }
      }
    }
    this.restore = () => Object.assign(prototype, originals)
  }

  detach(): void {
    this.restore?.()
    this.restore = null
  }

  /** What was measured since the last call: total seconds and the costliest statements. */
  take(): { seconds: number; top: SqlCost[] } {
    // One statement whatever the length of its IN list or the rows of its VALUES.
    const merged = new Map<string, SqlCost>()
    for (const [source, e] of this.bySql) {
      const sql = source
        .replace(/\s+/g, ' ')
        .replace(/\(\?(?:, \?)*\)/g, '(?, …)')
        .replace(/\(\?, …\)(?:, \(\?, …\))+/g, '(?, …), …')
        .trim()
      const entry = merged.get(sql) ?? { sql, calls: 0, seconds: 0 }
      entry.calls += e.calls
      entry.seconds += e.ms / 1000
      merged.set(sql, entry)
    }
    this.bySql = new Map()
    const entries = [...merged.values()]
    return { seconds: entries.reduce((sum, e) => sum + e.seconds, 0), top: entries.sort((a, b) => b.seconds - a.seconds).slice(0, 5) }
  }
}

export interface SqlCost {
  sql: string
  calls: number
  seconds: number
}

// ---- one step, measured ----------------------------------------------------------------------

export interface StepResult {
  seconds: number
  requests: number
  byKind: Record<RequestKind, number>
  /** Seconds with at least one request waiting on the remote's answer (the rest: the client's own work). */
  remoteSeconds: number
  /** Seconds inside the client's SQLite statements, and the costliest of them. */
  sqlSeconds: number
  topSql: SqlCost[]
  /** What the step did, as the engine reports it, or what was downloaded. */
  outcome: string
  /** Set when the step did not do what it should (wrong counts, errors). */
  failure: string | null
}

async function measured(proxy: CountingProxy, sql: SqlMeter, run: () => Promise<{ outcome: string; failure: string | null }>): Promise<StepResult> {
  const from = proxy.log.length
  sql.take()
  const started = performance.now()
  const { outcome, failure } = await run()
  const seconds = (performance.now() - started) / 1000
  const seen = proxy.log.slice(from)
  const byKind: Record<RequestKind, number> = { list: 0, detail: 0, perms: 0, write: 0, auth: 0, other: 0 }
  for (const r of seen) byKind[r.kind] += 1
  const remoteSeconds = busySeconds(seen)
  const statements = sql.take()
  return { seconds, requests: seen.length, byKind, remoteSeconds, sqlSeconds: statements.seconds, topSql: statements.top, outcome, failure }
}

/** The remote's full listing as the engine asks for it (followed types, its page size), page by page. */
async function downloadListing(remote: Remote, pageSize: number): Promise<{ pks: number[]; pages: number }> {
  const pks: number[] = []
  for (let page = 1; ; page++) {
    const listing = await remote.listPage('resources', { 'filter{resource_type.in}': FOLLOWED_TYPES, 'sort[]': ['pk'], page_size: String(pageSize), page: String(page) })
    for (const item of listing.items) pks.push(Number(item.pk))
    if (listing.items.length < pageSize || pks.length >= listing.total) return { pks, pages: page }
  }
}

function syncOutcome(summary: SyncSummary): string {
  const { pulled, pushed } = summary
  return `pulled ${pulled.created} new, ${pulled.updated} updated; pushed ${pushed.updated} updated; ${summary.conflicts} conflicts, ${summary.errors} errors`
}

function expectSummary(summary: SyncSummary, expected: { created?: number; updated?: number; pushed?: number }): string | null {
  const problems: string[] = []
  if (summary.errors) problems.push(`${summary.errors} errors`)
  if (summary.conflicts) problems.push(`${summary.conflicts} conflicts`)
  if (summary.pulled.created !== (expected.created ?? 0)) problems.push(`pulled ${summary.pulled.created} new records, expected ${expected.created ?? 0}`)
  if (summary.pulled.updated !== (expected.updated ?? 0)) problems.push(`pulled ${summary.pulled.updated} updates, expected ${expected.updated ?? 0}`)
  if (summary.pushed.updated !== (expected.pushed ?? 0)) problems.push(`pushed ${summary.pushed.updated} updates, expected ${expected.pushed ?? 0}`)
  return problems.length ? problems.join('; ') : null
}

// ---- the two sides ---------------------------------------------------------------------------

async function bearer(baseUrl: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'password', username: 'admin', password: BENCH_ADMIN_PASSWORD })
  const response = await fetch(`${baseUrl}/o/token/`, { method: 'POST', body })
  const json = (await response.json()) as { access_token?: string }
  if (!json.access_token) throw new Error(`POST ${baseUrl}/o/token/: ${response.status} ${JSON.stringify(json)}`)
  return json.access_token
}

/** PATCHes `abstract` of each resource, a few at a time; throws on any answer but 200. */
async function editAll(baseUrl: string, ids: number[], text: (id: number) => string): Promise<void> {
  const token = await bearer(baseUrl)
  await eachAtOnce(ids, 4, async (id) => {
    const response = await fetch(`${baseUrl}/api/v2/resources/${id}/`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ abstract: text(id) })
    })
    if (response.status !== 200) throw new Error(`PATCH ${baseUrl}/api/v2/resources/${id}/: ${response.status} ${await response.text()}`)
    await response.arrayBuffer()
  })
}

/** Runs `work` on every item, `width` at a time. */
async function eachAtOnce<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
  }
  await Promise.all(Array.from({ length: width }, worker))
}

/** `count` distinct items of `from`, drawn with a seeded PRNG (the same picks every run). */
function pick<T>(from: T[], count: number, seed: number): T[] {
  const random = prng(seed)
  const pool = [...from]
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return pool.slice(0, count)
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined }

interface Round {
  listing: StepResult
  listingLargest: StepResult
  floor: StepResult
  firstPull: StepResult
  settle: StepResult
  reconcile: StepResult
  incremental: StepResult
  push: StepResult
  idle: StepResult
}

/** The remote (child process), the proxy in front of it and the client (here), the client following the remote. */
interface Sides {
  remote: ChildServer
  proxy: CountingProxy
  client: RunningServer
  remoteId: number
  sql: SqlMeter
}

async function startSides(root: string, work: string, stack: (() => Promise<void> | void)[]): Promise<Sides> {
  const remote = await startChild(
    'remote',
    [process.execPath, '--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--data-dir', join(work, 'remote'), '--port', '0', '--admin-password', BENCH_ADMIN_PASSWORD],
    { cwd: root, timeoutMs: 120_000 }
  )
  stack.push(() => remote.stop())
  const proxy = new CountingProxy(remote.url)
  await proxy.start()
  stack.push(() => proxy.stop())
  const config = loadConfig({ flags: { 'data-dir': join(work, 'client'), port: '0', 'admin-password': BENCH_ADMIN_PASSWORD } })
  const client = await startServer(config, { log: silent })
  stack.push(() => client.close())
  const sql = new SqlMeter()
  sql.attach(client.database.sqlite)
  stack.push(() => sql.detach())
  const remoteId = await client.services.sync.ensureRemote({ base_url: proxy.url, username: 'admin', password: BENCH_ADMIN_PASSWORD })
  return { remote, proxy, client, remoteId, sql }
}

/** One sync run as `npm run sync` makes it (without reconciliation), measured, its summary checked. */
function syncStep(sides: Sides, expected: Parameters<typeof expectSummary>[1], reconcile = false): Promise<StepResult> {
  return measured(sides.proxy, sides.sql, async () => {
    const summary = await sides.client.services.sync.runNow(sides.remoteId, { reconcile })
    const failure = expectSummary(summary, expected) ?? (summary.reconciled === reconcile ? null : `reconciled: ${summary.reconciled}, expected ${reconcile}`)
    return { outcome: syncOutcome(summary), failure }
  })
}

/** The baseline: the listing through the same proxy with the engine's own HTTP client, signed in first. */
async function listingSteps(sides: Sides): Promise<{ listing: StepResult; listingLargest: StepResult; floor: StepResult; pks: number[] }> {
  const reader = new Remote({ baseUrl: sides.proxy.url, username: 'admin', auth: { kind: 'basic', password: BENCH_ADMIN_PASSWORD } })
  await reader.signIn()
  await reader.listPage('resources', { page_size: '1' })
  let pks: number[] = []
  const listing = await measured(sides.proxy, sides.sql, async () => {
    const got = await downloadListing(reader, ENGINE_PAGE_SIZE)
    pks = got.pks
    return { outcome: `${pks.length} resources in ${got.pages} pages of ${ENGINE_PAGE_SIZE}`, failure: null }
  })
  const listingLargest = await measured(sides.proxy, sides.sql, async () => {
    const got = await downloadListing(reader, MAX_PAGE_SIZE)
    return { outcome: `${got.pks.length} resources in ${got.pages} page(s) of ${MAX_PAGE_SIZE}`, failure: got.pks.length === pks.length ? null : `${got.pks.length} resources, expected ${pks.length}` }
  })
  // What any client that carries grants must ask of GeoNode's API: the listing, then each
  // record's grants (there is no bulk read of them), as many at once as the engine sends.
  const floor = await measured(sides.proxy, sides.sql, async () => {
    const got = await downloadListing(reader, ENGINE_PAGE_SIZE)
    let read = 0
    await eachAtOnce(got.pks, ENGINE_READ_AHEAD, async (pk) => {
      if (await reader.perms(pk)) read += 1
    })
    return { outcome: `${got.pks.length} resources, ${read} grant sets`, failure: read === got.pks.length ? null : `${read} grant sets read of ${got.pks.length}` }
  })
  return { listing, listingLargest, floor, pks }
}

/** Fails loudly when the engine's page size is no longer the one the baseline uses. */
function checkPageSize(sides: Sides, from: number): void {
  const sent = new Set(sides.proxy.log.slice(from).filter((r) => r.kind === 'list').map((r) => new URL(r.url, sides.proxy.url).searchParams.get('page_size')))
  if (!sent.has(String(ENGINE_PAGE_SIZE))) throw new Error(`the pull listed with page_size ${[...sent].join(', ')}, not ${ENGINE_PAGE_SIZE}: update ENGINE_PAGE_SIZE in test/bench/sync.ts`)
}

/** Local records to edit: bound ones the remote edits left alone. */
function localRecords(sides: Sides, skip: number[], count: number, seed: number): number[] {
  const skipped = new Set(skip)
  const bound = sides.client.database.sqlite
    .prepare('SELECT local_id AS id, remote_pk AS pk FROM sync_bindings WHERE remote_id = ? AND local_id IS NOT NULL ORDER BY remote_pk')
    .all(sides.remoteId) as { id: number; pk: number }[]
  return pick(bound.filter((b) => !skipped.has(b.pk)), count, seed).map((b) => b.id)
}

async function oneRound(settings: SyncSettings, seeded: string, index: number, log: Log): Promise<Round> {
  const { sizes } = settings
  const work = mkdtempSync(join(tmpdir(), 'mapshelf-bench-sync-'))
  const removeWork = () => rmSync(work, { recursive: true, force: true })
  // An interrupted run (Ctrl-C exits the process) leaves no copy behind either.
  process.once('exit', removeWork)
  const stack: (() => Promise<void> | void)[] = []
  const say = (what: string, step: StepResult) => log(`  round ${index}: ${what} ${step.seconds.toFixed(2)} s (${step.requests} requests; ${step.outcome})`)
  try {
    cpSync(seeded, join(work, 'remote'), { recursive: true })
    const sides = await startSides(settings.root, work, stack)
    const { listing, listingLargest, floor, pks } = await listingSteps(sides)
    say('listing', listing)
    say(`listing in pages of ${MAX_PAGE_SIZE}`, listingLargest)
    say('listing and every grant set', floor)

    const pullFrom = sides.proxy.log.length
    const firstPull = await syncStep(sides, { created: pks.length })
    checkPageSize(sides, pullFrom)
    say('first pull', firstPull)
    const settle = await syncStep(sides, {})
    say('second sync, nothing changed', settle)
    const reconcile = await syncStep(sides, {}, true)
    say('sync with a full reconciliation, nothing changed', reconcile)

    const remoteEdited = pick(pks, sizes.remoteEdits, 6_000 + index)
    await editAll(sides.remote.url, remoteEdited, (pk) => `Edited on the remote for the sync benchmark (round ${index}, record ${pk}).`)
    const incremental = await syncStep(sides, { updated: remoteEdited.length })
    say('incremental sync', incremental)

    const localEdited = localRecords(sides, remoteEdited, sizes.localEdits, 7_000 + index)
    await editAll(sides.client.url, localEdited, (id) => `Edited on the client for the sync benchmark (round ${index}, record ${id}).`)
    const push = await syncStep(sides, { pushed: localEdited.length })
    say('push', push)
    const idle = await syncStep(sides, {})
    say('sync with nothing to do', idle)
    return { listing, listingLargest, floor, firstPull, settle, reconcile, incremental, push, idle }
  } finally {
    for (const undo of stack.reverse()) await undo()
    removeWork()
    process.off('exit', removeWork)
  }
}

// ---- results ---------------------------------------------------------------------------------

export interface SyncResults {
  settings: SyncSettings
  rounds: Round[]
  load: { start: number; end: number }
  minutes: number
  catalogueDir: string
}

export async function runSyncBench(settings: SyncSettings, log: Log): Promise<SyncResults> {
  const started = performance.now()
  const load = { start: loadavg()[0]!, end: 0 }
  const catalogue = await ensureCatalogue(settings.sizes.catalogue, { fresh: false, log })
  const rounds: Round[] = []
  for (let index = 1; index <= settings.rounds; index++) rounds.push(await oneRound(settings, catalogue.dataDir, index, log))
  load.end = loadavg()[0]!
  return { settings, rounds, load, minutes: (performance.now() - started) / 60_000, catalogueDir: catalogue.dataDir }
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const thousands = (n: number) => Math.round(n).toLocaleString('en-US')

type StepName = keyof Round

const STEP_LABELS: Record<StepName, string> = {
  listing: 'Baseline: the full listing downloaded once',
  listingLargest: 'The full listing in the largest pages the server allows (for scale)',
  floor: "The listing, then every record's grants (get_perms): the least a client carrying grants must ask of this API",
  firstPull: 'First pull into an empty client',
  settle: 'Second sync right after it, nothing changed',
  reconcile: 'A sync with the full reconciliation (daily, and on a first sync), nothing changed',
  incremental: 'Incremental sync',
  push: 'Push',
  idle: 'Sync with nothing to do, at the end'
}

function stepOf(results: SyncResults, step: StepName) {
  const all = results.rounds.map((r) => r[step])
  return {
    seconds: median(all.map((s) => s.seconds)),
    requests: median(all.map((s) => s.requests)),
    remoteShare: median(all.map((s) => s.remoteSeconds / s.seconds)),
    sqlShare: median(all.map((s) => s.sqlSeconds / s.seconds)),
    kinds: (Object.keys(all[0]!.byKind) as RequestKind[]).map((k) => [k, median(all.map((s) => s.byKind[k]))] as const).filter(([, n]) => n > 0),
    all,
    failure: all.map((s) => s.failure).find((f) => f !== null) ?? null
  }
}

/** First-pull time ÷ listing time, per round, and their median. */
function pullRatio(results: SyncResults): number {
  return median(results.rounds.map((r) => r.firstPull.seconds / r.listing.seconds))
}

function verdicts(results: SyncResults): { pull: boolean; incremental: boolean } {
  return { pull: pullRatio(results) <= FIRST_PULL_RATIO_TARGET, incremental: stepOf(results, 'incremental').seconds < INCREMENTAL_TARGET_S }
}

export const syncFailed = (results: SyncResults) => results.rounds.some((r) => Object.values(r).some((s: StepResult) => s.failure !== null))

export function syncTable(results: SyncResults): string {
  const { sizes } = results.settings
  const n = thousands(sizes.catalogue.resources)
  const listing = stepOf(results, 'listing')
  const v = verdicts(results)
  const label: Record<StepName, string> = {
    ...STEP_LABELS,
    listing: `${STEP_LABELS.listing} (${n} resources, pages of ${ENGINE_PAGE_SIZE})`,
    listingLargest: `${STEP_LABELS.listingLargest} (page_size ${thousands(MAX_PAGE_SIZE)})`,
    floor: `${STEP_LABELS.floor} (${ENGINE_READ_AHEAD} requests at a time)`,
    firstPull: `${STEP_LABELS.firstPull} (${n} resources)`,
    incremental: `${STEP_LABELS.incremental}: ${thousands(sizes.remoteEdits)} remote edits among ${n}`,
    push: `${STEP_LABELS.push} of ${thousands(sizes.localEdits)} local edits`
  }
  const target: Partial<Record<StepName, string>> = {
    firstPull: `≤ ${FIRST_PULL_RATIO_TARGET}× listing: ${v.pull ? 'met' : '**missed**'}`,
    incremental: `< ${INCREMENTAL_TARGET_S} s: ${v.incremental ? 'met' : '**missed**'}`
  }
  const rows = (Object.keys(STEP_LABELS) as StepName[]).map((step) => {
    const s = stepOf(results, step)
    const ratio = step === 'firstPull' ? pullRatio(results) : s.seconds / listing.seconds
    return [
      label[step],
      fmt(s.seconds, 2),
      s.all.map((r) => fmt(r.seconds, 2)).join(', '),
      thousands(s.requests),
      s.kinds.map(([k, count]) => `${thousands(count)} ${k}`).join(', '),
      `${fmt(s.remoteShare * 100, 0)} %`,
      `${fmt(s.sqlShare * 100, 0)} %`,
      step === 'listing' ? '1' : `${fmt(ratio, 1)}×`,
      s.failure ? `**FAIL**: ${s.failure}` : (target[step] ?? '–')
    ]
  })
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [
    line(['step', 'median s', 'rounds s', 'HTTP requests', 'by kind', 'waiting on the remote', 'client SQL', 'vs listing', 'target']),
    line(['---', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---']),
    ...rows.map(line)
  ].join('\n')
}

function findings(results: SyncResults): string[] {
  const { sizes } = results.settings
  const n = sizes.catalogue.resources
  const pull = stepOf(results, 'firstPull')
  const floor = stepOf(results, 'floor')
  const settle = stepOf(results, 'settle')
  const reconcile = stepOf(results, 'reconcile')
  const listing = stepOf(results, 'listing')
  const incremental = stepOf(results, 'incremental')
  const push = stepOf(results, 'push')
  const kind = (s: ReturnType<typeof stepOf>, k: RequestKind) => s.kinds.find(([name]) => name === k)?.[1] ?? 0
  const perRecord = (s: ReturnType<typeof stepOf>, k: RequestKind, records: number) => fmt(kind(s, k) / records, 1)
  const v = verdicts(results)
  const middle = [...results.rounds].sort((a, b) => a.firstPull.seconds - b.firstPull.seconds)[results.rounds.length >> 1]!.firstPull
  const overFloor = median(results.rounds.map((r) => r.firstPull.seconds / r.floor.seconds))
  const floorRatio = median(results.rounds.map((r) => r.floor.seconds / r.listing.seconds))
  const pushedPages = kind(stepOf(results, 'idle'), 'list')
  return [
    `First pull: ${fmt(pullRatio(results), 1)}× the listing download (median of the per-round ratios), target ≤ ${FIRST_PULL_RATIO_TARGET}×: **${v.pull ? 'met' : 'missed'}**. ` +
      `It sends ${fmt(pull.requests / n, 1)} requests per record where the listing needs ${fmt(1 / ENGINE_PAGE_SIZE, 2)}: ${thousands(kind(pull, 'detail'))} detail requests (one per type and listing page), ${perRecord(pull, 'perms', n)} get_perms per record, ${thousands(kind(pull, 'other'))} other requests (maps' layers and their catalogue layers, document files), up to ${ENGINE_READ_AHEAD} at once while the client writes what came back. ` +
      `GeoNode's API has no bulk read of grants: the listing followed by every record's grants alone, nothing written, takes ${fmt(floorRatio, 1)}× the listing download (the row above it), so the ${FIRST_PULL_RATIO_TARGET}× target cannot be met by a client that carries grants; the first pull takes ${fmt(overFloor, 1)}× that floor. ` +
      `Where its time goes: ${fmt(pull.remoteShare * 100, 0)} % of it with a request waiting on the remote (the proxy shares the client's process: an answer that arrives while the client is busy waits too), ${fmt(pull.sqlShare * 100, 0)} % in the client's SQLite statements (every record written through the same services as the API: validation, grants, the change log, the search index), the rest the client's other work (its HTTP client and JSON, Kysely building queries, rendering records to compare, hashing views) and the proxy (these overlap).`,
    `The first pull's costliest SQL statements (round of median time): ${middle.topSql.map((q) => `\`${q.sql.length > 110 ? `${q.sql.slice(0, 110)}…` : q.sql}\` ${fmt(q.seconds, 1)} s in ${thousands(q.calls)} calls (${fmt((q.seconds * 1000) / q.calls, 2)} ms a call)`).join('; ')}.`,
    `The second sync after a first pull: ${thousands(settle.requests)} requests, ${fmt(settle.seconds, 2)} s${kind(settle, 'perms') ? ` (${thousands(kind(settle, 'perms'))} records read again: maps whose catalogue layers arrived after them in the pull, or records the first run changed here after the point in the change log it pushes from)` : ': nothing read again'}.`,
    `A full reconciliation of ${thousands(n)} records where nothing changed: ${fmt(reconcile.seconds, 2)} s, ${thousands(reconcile.requests)} requests (the listing, then every record's details in bulk and grants one by one, as a pull reads them; ${fmt(reconcile.seconds / listing.seconds, 1)}× the listing).`,
    `Incremental sync with ${thousands(sizes.remoteEdits)} remote changes among ${thousands(n)}: ${fmt(incremental.seconds, 2)} s, target < ${INCREMENTAL_TARGET_S} s: **${v.incremental ? 'met' : 'missed'}** (${thousands(incremental.requests)} requests: ${perRecord(incremental, 'perms', sizes.remoteEdits)} grant reads per changed record, their details in ${thousands(kind(incremental, 'detail'))} requests; ${fmt(incremental.sqlShare * 100, 0)} % of its time in SQL).`,
    `Push of ${thousands(sizes.localEdits)} local edits: ${fmt(push.seconds, 2)} s, ${fmt(push.requests / sizes.localEdits, 1)} requests per edited record (details read in bulk and grants one by one before the PATCH, whose answer is taken as the remote's state; a map's layers read with it; no target). The sync after it lists ${thousands(pushedPages)} pages: the pushed records moved on the remote, and pages of records already seen do not move the pull's cursor until the listing ends.`
  ]
}

export function syncSection(results: SyncResults, context: SectionContext): string {
  const { sizes, rounds } = results.settings
  const c = sizes.catalogue
  return [
    SYNC_SECTION_START,
    '## Sync',
    '',
    ...runLines(context, results, { loadNote: 'the machine is shared: compare the ratios more than the times' }),
    `- Remote: a second Mapshelf server (\`node --import tsx src-main/cli/main.ts serve\`, a child process, default settings) on a fresh copy, each round, of a catalogue seeded with \`seedCatalogue\` (${thousands(c.resources)} resources, ${thousands(c.users)} users, ${thousands(c.groups)} groups; cached in \`${results.catalogueDir}\`). Client: a Mapshelf server in the benchmark's process on an empty data folder, syncing as \`admin\` through \`services.sync.runNow\` (what \`npm run sync\` calls) with reconciliation off, except in its own row: the full comparison a sync adds once a day (and on a first sync, where it reads only what the pull did not).`,
    `- Counted: every HTTP request the client (or the baseline) sent, at a pass-through proxy in the benchmark's process in front of the remote, loopback only; sign-in requests included. "waiting on the remote": the share of the step's time with at least one request waiting for its answer at the proxy (the engine sends a few at once). Kinds: list pages, details (a type's list filtered by pk, many records a request, or one record's detail), get_perms, writes (PATCH, PUT set_perms), auth (token, userinfo), other (a map's layers, user and group look-ups, document files).`,
    `- Baseline: the remote's listing of every followed resource (GET /api/v2/resources/ filtered to the followed types, sorted by pk) with the engine's page size (${ENGINE_PAGE_SIZE}) and its own HTTP client (src-main/sync/remote.ts), page after page, JSON parsed; the row below it asks for pages of ${thousands(MAX_PAGE_SIZE)}, the largest this server allows (GeoNode itself has no limit); the third row downloads the listing again and then reads every record's grants (GET get_perms), ${ENGINE_READ_AHEAD} at a time like the engine, writing nothing: the least any client that carries grants must ask of GeoNode's API.`,
    `- Each round, in order: the listing twice (pages of ${ENGINE_PAGE_SIZE}, then of ${thousands(MAX_PAGE_SIZE)}); the listing with every grant set; the first pull; a second sync at once (nothing changed); a sync with the full reconciliation (nothing changed); ${thousands(sizes.remoteEdits)} PATCHes of \`abstract\` on the remote through its API (not counted), then the incremental sync; ${thousands(sizes.localEdits)} PATCHes of \`abstract\` on the client through its API (other records), then the sync that pushes them; then a sync with nothing to do. Each sync's summary is checked (all created, all updated or pushed, no errors, no conflicts). ${rounds} round${rounds === 1 ? '' : 's'}; medians shown, each round's time beside them.`,
    '',
    syncTable(results),
    '',
    ...findings(results).map((line) => `- ${line}`),
    '',
    'Rerun this section alone with `npm run bench -- --sync-only` (it replaces only this section of the file; `--quick` uses a small catalogue and leaves the file alone).',
    SYNC_SECTION_END
  ].join('\n')
}
