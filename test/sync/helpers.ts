import { mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { loadConfig } from '../../src-main/config'
import type { Logger } from '../../src-main/errors'
import { type RunningServer, startServer } from '../../src-main/server'
import { toView, viewHash, type SyncView } from '../../src-main/sync/view'
import { ADMIN_PASSWORD, type TestServer, request, startTestServer } from '../helpers/server'

export { ADMIN_PASSWORD, request }

// ---- the fault-injecting proxy ---------------------------------------------------------------

export interface ProxiedRequest {
  method: string
  /** Path and query as sent, URL-decoded (so `filter{...}` reads plainly). */
  url: string
  path: string
  body: string
  /** How many requests the proxy has seen before this one. */
  index: number
}

/**
 * What the proxy does with one request:
 * - pass: forward and answer what the remote answered
 * - refuse: close the connection without an answer (never reaches the remote)
 * - delay: wait `ms`, then forward (a slow link; the client may time out first)
 * - lost: forward, let the remote commit, then answer `status` (default 500) or, with
 *   status 0, drop the connection: the answer is lost
 * - answer: never forward; answer `status` with `body` (e.g. 401 for an expired token; a Buffer is sent as bytes of `type`)
 * - after: forward, then run `fn` (mutate the remote between two requests), then answer
 */
export type Action =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | { kind: 'delay'; ms: number }
  | { kind: 'lost'; status?: number }
  | { kind: 'answer'; status: number; body: unknown; type?: string }
  | { kind: 'after'; fn: () => void | Promise<void> }

export type Rule = (req: ProxiedRequest) => Action | undefined | void | Promise<Action | undefined | void>

export class FaultProxy {
  private server: Server | null = null
  private sockets = new Set<Socket>()
  port = 0
  readonly log: ProxiedRequest[] = []
  rule: Rule | null = null
  private count = 0

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Listens (again, on the same port after stop()). */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res))
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as AddressInfo).port
    this.server = server
  }

  /** Stops listening and cuts every connection: the remote is "down" (connections refused). */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Requests seen, filtered. */
  seen(filter: (r: ProxiedRequest) => boolean = () => true): ProxiedRequest[] {
    return this.log.filter(filter)
  }

  writes(): ProxiedRequest[] {
    return this.log.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.startsWith('/o/token'))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    let url = req.url ?? '/'
    try {
      url = decodeURIComponent(url)
    } catch {
      /* keep raw */
    }
    const info: ProxiedRequest = { method: req.method ?? 'GET', url, path: url.split('?')[0]!, body: body.toString('utf8'), index: this.count++ }
    this.log.push(info)
    let action: Action = { kind: 'pass' }
    try {
      action = (await this.rule?.(info)) || { kind: 'pass' }
    } catch (error) {
      action = { kind: 'answer', status: 599, body: { detail: String(error) } }
    }
    if (action.kind === 'refuse') {
      req.socket.destroy()
      return
    }
    if (action.kind === 'answer') {
      // Bytes as they are (a file a GeoServer would send), anything else as JSON.
      if (Buffer.isBuffer(action.body)) res.writeHead(action.status, { 'content-type': action.type ?? 'application/octet-stream' }).end(action.body)
      else res.writeHead(action.status, { 'content-type': 'application/json' }).end(JSON.stringify(action.body))
      return
    }
    if (action.kind === 'delay') await new Promise((r) => setTimeout(r, action.ms))
    if (res.destroyed || req.socket.destroyed) {
      // The client gave up while we waited (its timeout): the request still goes through, as on a
      // slow link where the server gets it late.
    }
    let upstream: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }
    try {
      upstream = await this.forward(req, body)
    } catch {
      req.socket.destroy()
      return
    }
    if (action.kind === 'after') await action.fn()
    if (action.kind === 'lost') {
      if (!action.status) {
        req.socket.destroy()
        return
      }
      res.writeHead(action.status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Internal Server Error (injected after the remote committed)' }))
      return
    }
    if (res.destroyed || req.socket.destroyed) return
    const headers = { ...upstream.headers }
    delete headers['transfer-encoding']
    delete headers.connection
    delete headers['keep-alive']
    headers['content-length'] = String(upstream.body.length)
    res.writeHead(upstream.status, headers as Record<string, string>).end(upstream.body)
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const target = new URL(this.target)
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host }
      delete headers.connection
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
        const chunks: Buffer[] = []
        answer.on('data', (c: Buffer) => chunks.push(c))
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }))
        answer.on('error', reject)
      })
      out.on('error', reject)
      out.end(body)
    })
  }
}

// ---- the two servers -------------------------------------------------------------------------

const quiet = (logs: string[]): Logger => ({
  info: (m) => logs.push(m),
  warn: (m) => logs.push(m),
  error: (m, e) => logs.push(`${m} ${e instanceof Error ? e.stack : String(e ?? '')}`)
})

export interface LocalServer {
  url: string
  dataDir: string
  running: RunningServer
  logs: string[]
  close(): Promise<void>
}

/**
 * A Mapshelf server on its own empty data dir (the field laptop); `fetch` is what its sync uses
 * to reach remotes. `timeoutMs` puts a shorter client timeout in front of the engine's 30 s one
 * (the engine's Remote.timeoutMs cannot be set from outside).
 */
export async function startLocal(options: { fetch?: typeof fetch; timeoutMs?: number; dataDir?: string } = {}): Promise<LocalServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mapshelf-sync-local-'))
  const logs: string[] = []
  const base = options.fetch ?? fetch
  const timed: typeof fetch | undefined = options.timeoutMs
    ? (input, init) => base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(options.timeoutMs!)]) : AbortSignal.timeout(options.timeoutMs!) })
    : options.fetch
  const config = loadConfig({ flags: { 'data-dir': dataDir, port: '0', 'admin-password': ADMIN_PASSWORD } })
  const running = await startServer(config, { log: quiet(logs), fetch: timed })
  return {
    url: running.url,
    dataDir,
    running,
    logs,
    async close() {
      await running.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export interface Pair {
  remote: TestServer
  proxy: FaultProxy
  local: LocalServer
  remoteId: number
  /** Runs one sync to its end through the service (as the CLI does); answers the summary or throws. */
  sync(options?: { reconcile?: boolean; signal?: AbortSignal }): Promise<import('../../src-main/sync/engine').SyncSummary>
  /** Same, but never throws: answers the error message (or null). */
  trySync(options?: { reconcile?: boolean; signal?: AbortSignal }): Promise<string | null>
  close(): Promise<void>
}

export interface PairOptions {
  /** Records the remote is seeded with (12 unless told). */
  resources?: number
  /** The local side's client timeout (see `startLocal`). */
  timeoutMs?: number
  follow_types?: string[]
}

export async function startPair(options: PairOptions = {}): Promise<Pair> {
  const remote = await startTestServer({ resources: options.resources ?? 12 })
  const proxy = new FaultProxy(remote.url)
  await proxy.start()
  const local = await startLocal({ timeoutMs: options.timeoutMs })
  const added = await request(local, '/api/v2/mapshelf/sync/remotes', {
    method: 'POST',
    who: 'admin',
    body: { base_url: proxy.url, username: 'admin', password: ADMIN_PASSWORD, ...(options.follow_types ? { follow_types: options.follow_types } : {}) }
  })
  if (added.status !== 201) throw new Error(`adding the remote failed: ${added.status} ${added.text}`)
  const remoteId = added.body.remote.id as number
  const sync: Pair['sync'] = (o = {}) => local.running.services.sync.runNow(remoteId, o)
  return {
    remote,
    proxy,
    local,
    remoteId,
    sync,
    async trySync(o = {}) {
      try {
        await sync(o)
        return null
      } catch (error) {
        return (error as Error).message
      }
    },
    async close() {
      await local.close()
      await proxy.stop()
      await remote.close()
    }
  }
}

/**
 * The pair of the tests of the describe block (or file) this is called in: started before them
 * (and synced once when `synced`), closed after them. The object answered is filled in when the
 * pair has started, so the tests and the block's later hooks use it as it is. `setupTimeout`: for
 * a start slower than the hooks' default.
 */
export function usePair(options: PairOptions & { synced?: boolean; setupTimeout?: number } = {}): Pair {
  const pair = {} as Pair
  beforeAll(async () => {
    Object.assign(pair, await startPair(options))
    if (options.synced) await pair.sync()
  }, options.setupTimeout)
  afterAll(() => pair.close?.())
  return pair
}

// ---- reading both sides ----------------------------------------------------------------------

type Sqlite = RunningServer['database']['sqlite']
export const sqliteOf = (s: { running: RunningServer }): Sqlite => s.running.database.sqlite
export const one = <T = any>(s: { running: RunningServer }, q: string, ...p: unknown[]) => sqliteOf(s).prepare(q).get(...p) as T
export const all = <T = any>(s: { running: RunningServer }, q: string, ...p: unknown[]) => sqliteOf(s).prepare(q).all(...p) as T[]

/** The change log's last seq: any write on a server moves it. */
export const maxSeq = (s: { running: RunningServer }): number => Number(one(s, 'SELECT coalesce(max(seq), 0) AS n FROM changes').n)

export const SYNC = '/api/v2/mapshelf/sync'

export function api(s: { url: string }, path: string, options: Parameters<typeof request>[2] = {}) {
  return request(s, path, { who: 'admin', ...options })
}

const ENDPOINT: Record<string, [string, string]> = { layer: ['layers', 'layer'], map: ['maps', 'map'], document: ['documents', 'document'], geoapp: ['geoapps', 'geoapp'], geostory: ['geostories', 'geostory'] }

/** A record's detail as an admin reads it over HTTP (null on 404). */
export async function detail(s: { url: string }, type: string, pk: number): Promise<any | null> {
  const [path, key] = ENDPOINT[type] ?? ['resources', 'resource']
  // An app's blob is deferred in the API: asked for, so that it compares too.
  const res = await api(s, `/api/v2/${path}/${pk}/${type === 'geoapp' || type === 'geostory' ? '?include[]=data' : ''}`)
  if (res.status === 404) return null
  if (res.status !== 200) throw new Error(`GET ${path}/${pk}: ${res.status} ${res.text}`)
  return res.body[key]
}

export async function viewOf(s: { url: string }, type: string, pk: number, withPerms = false): Promise<SyncView | null> {
  const d = await detail(s, type, pk)
  if (!d) return null
  const perms = withPerms ? (await api(s, `/api/v2/resources/${pk}/get_perms/`)).body : undefined
  return toView(d, perms)
}

export async function patch(s: { url: string }, type: string, pk: number, body: Record<string, unknown>) {
  const [path] = ENDPOINT[type]!
  const res = await api(s, `/api/v2/${path}/${pk}/`, { method: 'PATCH', body })
  if (res.status !== 200) throw new Error(`PATCH ${path}/${pk}: ${res.status} ${res.text}`)
  return res.body
}

export async function create(s: { url: string }, type: string, body: Record<string, unknown>): Promise<any> {
  const [path, key] = ENDPOINT[type]!
  const res = await api(s, `/api/v2/${path}/`, { method: 'POST', body })
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`)
  return res.body[key]
}

export async function remove(s: { url: string }, type: string, pk: number) {
  const [path] = ENDPOINT[type]!
  const res = await api(s, `/api/v2/${path}/${pk}/`, { method: 'DELETE' })
  if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE ${path}/${pk}: ${res.status} ${res.text}`)
}

export interface Binding {
  id: number
  resource_type: string
  remote_pk: number | null
  local_id: number | null
  local_uuid: string
  remote_uuid: string | null
  state: string
}

export const bindings = (pair: Pair): Binding[] => all(pair.local, 'SELECT * FROM sync_bindings WHERE remote_id = ? ORDER BY id', pair.remoteId)

export const journal = (pair: Pair, runId?: string) =>
  all<{ run_id: string; direction: string; action: string; outcome: string; local_id: number | null; remote_pk: number | null; message: string | null }>(
    pair.local,
    `SELECT * FROM sync_journal WHERE remote_id = ? ${runId ? 'AND run_id = ?' : ''} ORDER BY id`,
    ...(runId ? [pair.remoteId, runId] : [pair.remoteId])
  )

export const lastRunId = (pair: Pair): string => one(pair.local, 'SELECT run_id FROM sync_state WHERE remote_id = ?', pair.remoteId).run_id

export async function status(pair: Pair) {
  const res = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/status`)
  if (res.status !== 200) throw new Error(`status: ${res.status} ${res.text}`)
  return res.body.status
}

export async function conflicts(pair: Pair): Promise<any[]> {
  const res = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/conflicts`)
  if (res.status !== 200) throw new Error(`conflicts: ${res.status} ${res.text}`)
  return res.body.conflicts
}

export async function resolve(pair: Pair, conflictId: number, body: unknown) {
  return api(pair.local, `${SYNC}/conflicts/${conflictId}/resolve`, { method: 'POST', body })
}

/** Followed records of a server as (uuid → type, pk, title). */
export function catalogue(s: { running: RunningServer }, types = ['layer', 'map', 'document', 'geoapp', 'geostory']) {
  return all<{ id: number; uuid: string; title: string; resource_type: string }>(
    s,
    `SELECT id, uuid, title, resource_type FROM resources WHERE resource_type IN (${types.map(() => '?').join(',')}) ORDER BY id`,
    ...types
  )
}

/**
 * Every bound, live record compared by the normalised view over HTTP on both sides: answers the
 * differences (empty when both sides agree).
 */
export async function differences(pair: Pair, withPerms = false): Promise<string[]> {
  const out: string[] = []
  for (const b of bindings(pair)) {
    if (b.local_id === null || b.remote_pk === null || b.state === 'gone') continue
    const [l, r] = await Promise.all([viewOf(pair.local, b.resource_type, b.local_id, withPerms), viewOf(pair.remote, b.resource_type, b.remote_pk, withPerms)])
    if (!l || !r) {
      out.push(`${b.resource_type} local ${b.local_id} / remote ${b.remote_pk}: ${!l ? 'missing here' : 'missing there'}`)
      continue
    }
    if (viewHash(l) !== viewHash(r)) {
      const fields = Object.keys({ ...l, ...r }).filter((f) => JSON.stringify(l[f] ?? null) !== JSON.stringify(r[f] ?? null))
      out.push(`${b.resource_type} local ${b.local_id} / remote ${b.remote_pk}: ${fields.map((f) => `${f} ${JSON.stringify(l[f])} != ${JSON.stringify(r[f])}`).join('; ')}`)
    }
  }
  return out
}

export { prng } from '../helpers/prng'
