import { request as httpRequest } from 'node:http'
import autocannon from 'autocannon'
import type Sqlite from 'better-sqlite3'
import { ADMIN_PASSWORD, MULTIPART_TYPE, type ServerChild, bearerToken, geojsonUploadBody, openReadonly, percentile, spawnServer } from './common'

/**
 * Check a: mixed load. One autocannon instance per kind of request (so each kind has its own
 * latency distribution), all at once against one server child; writes carry a counter so that
 * afterwards every acknowledged one can be looked up in the database.
 */

export interface KindResult {
  kind: string
  connections: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  p50: number
  p99: number
  statuses: Record<string, number>
}

export interface LoadResult {
  resources: number
  connections: number
  seconds: number
  kinds: KindResult[]
  totalRequests: number
  failures: number
  rss: { start: number; end: number; peak: number; afterWarmup: number; samples: number[] }
  /**
   * What the server keeps after a full garbage collection (test/reliability/gc-probe.ts), after the
   * warm-up, halfway and at the end of the run: a leak grows it, V8's lazily grown heap does not.
   */
  retained: { warm: Retained | null; mid: Retained | null; end: Retained | null }
  acked: { patch: number; setPerms: number; uploads: number }
  lost: string[]
  /** The server's last stderr lines (a 500 logs its stack there). */
  serverLog: string[]
  /** Set by the `midway` hook's result (check d uses it for the backup). */
  midway: unknown
  /** GeoJSON exports of a 50,000-point layer (about 5 MB, more than a socket buffers hold) read a little, stalled 1–3 s, then dropped, during the run. */
  stalledExports: number
}

export interface LoadOptions {
  dataDir: string
  seconds: number
  /** Connections per kind: list, search, detail, patch, set_perms, upload. */
  split: Record<KindName, number>
  log: (line: string) => void
  /** Started once, a quarter of the way through the run; awaited before the run's result is returned. */
  midway?: (server: ServerChild) => Promise<unknown>
  /** Leave the server running for the caller (it must stop it). */
  keepServer?: (server: ServerChild) => void
  /** Run the stalled-download clients (check a; default true). */
  stallDownloads?: boolean
}

/**
 * Clients that start a large download, read its first bytes, stop reading for a while and then go
 * away (a browser cancelling a download), one after another until `until`. No request may hold the
 * catalogue while waiting on such a client: the writes of the load would fail if one did.
 */
async function stallDownloads(url: string, path: string, headers: Record<string, string>, until: number): Promise<number> {
  let stalled = 0
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${url}${path}`, { headers }, (res) => {
        res.once('data', () => {
          res.pause()
          setTimeout(() => {
            req.destroy()
            stalled++
            resolve()
          }, 1000 + Math.random() * 2000)
        })
        res.once('end', resolve)
      })
      req.on('error', () => resolve())
      req.end()
    })
  }
  return stalled
}

/** The line test/reliability/gc-probe.mjs prints on SIGUSR2 starts with this. */
const GC_PROBE_PREFIX = 'mapshelf-gc-probe '

export interface Retained {
  heapUsedMb: number
  externalMb: number
  rssAnonMb: number
  rssFileMb: number
}

/** Allowed growth of the retained heap over the second half of a run: a twentieth, and at least 8 MB. */
export function retainedGrowthLimitMb(mid: Retained): number {
  return Math.max(8, mid.heapUsedMb * 0.05)
}

/** Asks the server's gc-probe for its retained memory; null if it does not answer within 5 s. */
async function probeRetained(server: ServerChild): Promise<Retained | null> {
  const before = server.stderr.filter((line) => line.startsWith(GC_PROBE_PREFIX)).length
  try {
    process.kill(server.pid, 'SIGUSR2')
  } catch {
    return null
  }
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const lines = server.stderr.filter((line) => line.startsWith(GC_PROBE_PREFIX))
    if (lines.length > before) {
      const parsed = JSON.parse(lines[lines.length - 1]!.slice(GC_PROBE_PREFIX.length)) as Retained & { error?: string }
      return parsed.error ? null : parsed
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return null
}

export type KindName = 'list' | 'search' | 'detail' | 'patch' | 'set_perms' | 'upload'

export const FULL_SPLIT: Record<KindName, number> = { list: 12, search: 8, detail: 12, patch: 8, set_perms: 5, upload: 5 }
export const SMOKE_SPLIT: Record<KindName, number> = { list: 2, search: 1, detail: 2, patch: 2, set_perms: 1, upload: 1 }

const SEARCH_WORDS = ['river', 'road', 'forest', 'land', 'water', 'map', 'population', 'soil', 'coast', 'survey']

interface Picked {
  detailIds: number[]
  patchPool: number[]
  permsPool: number[]
  usernames: string[]
  pages: number
}

function pick(db: Sqlite.Database): Picked {
  const ids = db.prepare('SELECT id FROM resources ORDER BY random() LIMIT 2400').pluck().all() as number[]
  // Disjoint pools: details read from the first 80 %, PATCH and set_perms each own a tenth.
  const tenth = Math.max(1, Math.floor(ids.length / 10))
  const usernames = db.prepare("SELECT username FROM users WHERE is_active = 1 AND is_superuser = 0 AND username <> 'AnonymousUser' ORDER BY id LIMIT 50").pluck().all() as string[]
  const total = db.prepare('SELECT count(*) FROM resources').pluck().get() as number
  return { detailIds: ids.slice(0, ids.length - 2 * tenth), patchPool: ids.slice(ids.length - 2 * tenth, ids.length - tenth), permsPool: ids.slice(ids.length - tenth), usernames, pages: Math.max(1, Math.min(200, Math.floor(total / 20))) }
}

const random = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!

interface Tracker {
  issued: Map<number, number>
  acked: Set<number>
}

function newTracker(): Tracker {
  return { issued: new Map(), acked: new Set() }
}

function fire(kind: KindName, url: string, connections: number, seconds: number, request: Record<string, unknown>): { done: Promise<KindResult>; stop: () => void } {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let stop = () => {}
  const done = new Promise<KindResult>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, timeout: 20, requests: [request] } as autocannon.Options, (error, result) => {
      if (error) return reject(error)
      latencies.sort((a, b) => a - b)
      resolve({
        kind,
        connections,
        requests: latencies.length,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        statuses
      })
    })
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms)
      statuses[status] = (statuses[status] ?? 0) + 1
    })
    stop = () => instance.stop()
  })
  return { done, stop }
}

function lastOf(tracker: Tracker, pool: number[], index: number): { acked: number | null; later: number[] } {
  let acked: number | null = null
  const later: number[] = []
  for (const [n, resource] of tracker.issued) {
    if (resource !== pool[index]) continue
    if (tracker.acked.has(n)) acked = acked === null ? n : Math.max(acked, n)
  }
  for (const [n, resource] of tracker.issued) if (resource === pool[index] && !tracker.acked.has(n) && (acked === null || n > acked)) later.push(n)
  return { acked, later }
}

/** Every acknowledged write is in the database (and at most the in-flight one beyond it). */
function verify(db: Sqlite.Database, picked: Picked, patch: Tracker, perms: Tracker, uploads: Tracker, versionsBefore: Map<number, number>): string[] {
  const lost: string[] = []
  const titleOf = db.prepare('SELECT title, version FROM resources WHERE id = ?')
  for (let i = 0; i < picked.patchPool.length; i++) {
    const { acked, later } = lastOf(patch, picked.patchPool, i)
    if (acked === null) continue
    const id = picked.patchPool[i]!
    const row = titleOf.get(id) as { title: string; version: number }
    const allowed = [acked, ...later].map((n) => `rel-load patch ${n}`)
    if (!allowed.includes(row.title)) lost.push(`PATCH resource ${id}: title "${row.title}", expected "${allowed[0]}" (acknowledged)`)
    const ackedCount = [...patch.issued].filter(([n, r]) => r === id && patch.acked.has(n)).length
    const delta = row.version - (versionsBefore.get(id) ?? 0)
    if (delta < ackedCount || delta > ackedCount + later.length) lost.push(`PATCH resource ${id}: version moved by ${delta}, ${ackedCount} PATCHes acknowledged`)
  }
  const granted = db.prepare("SELECT 1 FROM resource_user_perms p JOIN users u ON u.id = p.user_id WHERE p.resource_id = ? AND u.username = ? AND p.codename = 'view_resourcebase'")
  for (let i = 0; i < picked.permsPool.length; i++) {
    const { acked, later } = lastOf(perms, picked.permsPool, i)
    if (acked === null) continue
    const id = picked.permsPool[i]!
    const ok = [acked, ...later].some((n) => granted.get(id, picked.usernames[n % picked.usernames.length]))
    if (!ok) lost.push(`set_perms on ${id}: grant to ${picked.usernames[acked % picked.usernames.length]} (acknowledged, n=${acked}) missing`)
  }
  const layer = db.prepare("SELECT r.id, r.files_dir FROM resources r WHERE r.title = ? AND r.resource_type = 'layer'")
  for (const n of uploads.acked) {
    const row = layer.get(`rel-load upload ${n}`) as { id: number; files_dir: string | null } | undefined
    if (!row) lost.push(`upload ${n}: acknowledged but no layer titled "rel-load upload ${n}"`)
    else if (!row.files_dir) lost.push(`upload ${n}: layer ${row.id} has no files folder`)
  }
  return lost
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const before = openReadonly(options.dataDir)
  const picked = pick(before)
  const versionsBefore = new Map((before.prepare(`SELECT id, version FROM resources WHERE id IN (${picked.patchPool.join(',') || '0'})`).all() as { id: number; version: number }[]).map((r) => [r.id, r.version]))
  const resources = before.prepare('SELECT count(*) FROM resources').pluck().get() as number
  before.close()

  const server = await spawnServer(options.dataDir, [], { nodeArgs: ['--expose-gc', '--import', './test/reliability/gc-probe.mjs'] })
  const token = await bearerToken(server.url, 'admin', ADMIN_PASSWORD)
  // Pages within what an anonymous caller sees (private resources are not listed).
  const visible = ((await (await fetch(`${server.url}/api/v2/resources?page_size=1&filter{resource_type}=map`)).json()) as { total: number }).total
  picked.pages = Math.max(1, Math.min(200, Math.floor(visible / 20)))
  const auth = { authorization: `Bearer ${token}` }
  const json = { ...auth, 'content-type': 'application/json' }
  const patch = newTracker()
  const perms = newTracker()
  const uploads = newTracker()
  let counter = 0
  const ack = (tracker: Tracker) => (status: number, _body: unknown, context: { n?: number }) => {
    if (status >= 200 && status < 300 && context.n !== undefined) tracker.acked.add(context.n)
  }
  const requests: Record<KindName, Record<string, unknown>> = {
    list: {
      method: 'GET',
      path: '/api/v2/resources',
      setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/api/v2/resources?page=${1 + Math.floor(Math.random() * picked.pages)}&page_size=20${Math.random() < 0.3 ? '&filter{resource_type}=map' : ''}` })
    },
    search: {
      method: 'GET',
      path: '/api/v2/resources',
      setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/api/v2/resources?search=${random(SEARCH_WORDS)}&page_size=10` })
    },
    detail: {
      method: 'GET',
      path: '/api/v2/resources/1',
      headers: auth,
      setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/api/v2/resources/${random(picked.detailIds)}` })
    },
    patch: {
      method: 'PATCH',
      path: '/api/v2/resources/1',
      headers: json,
      setupRequest: (req: Record<string, unknown>, context: { n?: number }) => {
        const n = ++counter
        const id = picked.patchPool[n % picked.patchPool.length]!
        context.n = n
        patch.issued.set(n, id)
        return { ...req, path: `/api/v2/resources/${id}`, body: JSON.stringify({ title: `rel-load patch ${n}` }) }
      },
      onResponse: ack(patch)
    },
    set_perms: {
      method: 'PUT',
      path: '/api/v2/resources/1/set_perms',
      headers: json,
      setupRequest: (req: Record<string, unknown>, context: { n?: number }) => {
        const n = ++counter
        const id = picked.permsPool[n % picked.permsPool.length]!
        context.n = n
        perms.issued.set(n, id)
        const username = picked.usernames[n % picked.usernames.length]!
        return { ...req, path: `/api/v2/resources/${id}/set_perms`, body: JSON.stringify({ users: { [username]: ['view_resourcebase', 'download_resourcebase'] }, groups: {} }) }
      },
      onResponse: ack(perms)
    },
    upload: {
      method: 'POST',
      path: '/api/v2/uploads/upload/',
      headers: { ...auth, 'content-type': MULTIPART_TYPE },
      setupRequest: (req: Record<string, unknown>, context: { n?: number }) => {
        const n = ++counter
        context.n = n
        uploads.issued.set(n, 0)
        return { ...req, body: geojsonUploadBody(`rl${n}`, `rel-load upload ${n}`) }
      },
      onResponse: ack(uploads)
    }
  }

  // A layer large enough that its export outgrows the socket's buffers, for the stalling clients.
  const stalling = options.stallDownloads ?? true
  const big = !stalling ? null : await fetch(`${server.url}/api/v2/uploads/upload/`, { method: 'POST', headers: { ...auth, 'content-type': MULTIPART_TYPE }, body: new Uint8Array(geojsonUploadBody('rel-stall', 'rel-load stalled export', 50_000)) })
  const bigBody = big ? ((await big.json()) as { status?: string; id?: number }) : null
  if (big && bigBody?.status !== 'finished') throw new Error(`the layer for stalled exports did not upload: ${big.status} ${JSON.stringify(bigBody)}`)
  const found = !stalling ? { layers: [] } : (await (await fetch(`${server.url}/api/v2/layers?${new URLSearchParams({ 'filter{title}': 'rel-load stalled export' })}`, { headers: auth })).json()) as { layers: { pk: string }[] }
  const bigLayer = found.layers[0]?.pk

  const samples: number[] = []
  const sampler = setInterval(() => {
    const rss = server.rssMb()
    if (rss !== null) samples.push(rss)
  }, 1000)
  const startRss = server.rssMb() ?? Number.NaN
  options.log(`load: ${Object.values(options.split).reduce((a, b) => a + b, 0)} connections for ${options.seconds} s against ${resources} resources (${server.url}, pid ${server.pid}, RSS ${startRss.toFixed(0)} MB)`)
  const runs = (Object.keys(options.split) as KindName[]).filter((k) => options.split[k] > 0).map((kind) => fire(kind, server.url, options.split[kind], options.seconds, requests[kind]))
  const stallers = !stalling
    ? Promise.resolve([])
    : bigLayer
    ? Promise.all([0, 1].map(() => stallDownloads(server.url, `/api/v2/mapshelf/layers/${bigLayer}/export?format=geojson`, auth, Date.now() + options.seconds * 1000 - 2000)))
    : Promise.reject(new Error('the stalled-export layer has no resource'))
  let midway: Promise<unknown> = Promise.resolve(undefined)
  const midTimer = options.midway ? setTimeout(() => (midway = options.midway!(server)), (options.seconds * 1000) / 4) : null
  const retained: LoadResult['retained'] = { warm: null, mid: null, end: null }
  const probes = [
    setTimeout(() => void probeRetained(server).then((r) => (retained.warm = r)), Math.min(10_000, (options.seconds * 1000) / 6)),
    setTimeout(() => void probeRetained(server).then((r) => (retained.mid = r)), (options.seconds * 1000) / 2)
  ]
  let kinds: KindResult[]
  let midwayResult: unknown
  let stalledExports = 0
  try {
    kinds = await Promise.all(runs.map((r) => r.done))
    stalledExports = (await stallers).reduce((a, b) => a + b, 0)
    retained.end = await probeRetained(server)
    if (midTimer) await new Promise((resolve) => setTimeout(resolve, 10))
    midwayResult = await midway
  } finally {
    clearInterval(sampler)
    probes.forEach(clearTimeout)
    if (midTimer) clearTimeout(midTimer)
  }
  const endRss = server.rssMb() ?? Number.NaN
  const exited = server.exited()
  if (options.keepServer && !exited) options.keepServer(server)
  else await server.stop()
  if (exited) throw new Error(`the server exited during the load (${exited}): ${server.stderr.slice(-10).join(' | ')}`)
  const after = openReadonly(options.dataDir)
  let lost: string[]
  try {
    lost = verify(after, picked, patch, perms, uploads, versionsBefore)
  } finally {
    after.close()
  }
  const warm = samples.slice(Math.min(samples.length - 1, 5))
  const totalRequests = kinds.reduce((n, k) => n + k.requests, 0)
  const failures = kinds.reduce((n, k) => n + k.non2xx + k.errors + k.timeouts, 0)
  return {
    resources,
    connections: kinds.reduce((n, k) => n + k.connections, 0),
    seconds: options.seconds,
    kinds,
    totalRequests,
    failures,
    rss: { start: startRss, end: endRss, peak: Math.max(...samples, startRss, endRss), afterWarmup: warm[0] ?? Number.NaN, samples },
    retained,
    acked: { patch: patch.acked.size, setPerms: perms.acked.size, uploads: uploads.acked.size },
    lost,
    serverLog: [...server.stderr],
    midway: midwayResult,
    stalledExports
  }
}
