import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { SyncStatus } from '../../src-shared/api/mapshelf'
import type { Clock } from '../clock'
import type { Db } from '../db/database'
import { Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationError } from '../errors'
import { validate } from '../validate'
import { DELETED, FORCE_DELETE, type RemoteConfig, SyncCancelled, SyncEngine, type SyncSummary } from './engine'
import type { LocalStore } from './local'
import { Remote } from './remote'
import type { SecretBox } from './secrets'
import { type SyncValue, describeLayerEntry, parseLayerEntry } from './view'
import { type Caller, isAdmin } from '../services/caller'

const TYPES = ['layer', 'map', 'document', 'geoapp', 'geostory'] as const

const names = z.array(z.string().min(1).max(150)).max(500)

export const RemoteRequest = z
  .object({
    base_url: z
      .string()
      .max(2000)
      .refine((v) => /^https?:\/\/[^\s/]+/i.test(v), 'Expected an http or https URL of the server, e.g. https://geonode.example.org'),
    username: z.string().min(1).max(150),
    password: z.string().min(1).max(500).optional(),
    token: z.string().min(1).max(2000).optional(),
    follow_types: z.array(z.enum(TYPES)).max(10).optional(),
    follow_owners: names.optional(),
    follow_groups: names.optional()
  })
  .strict()

export const ResolveRequest = z
  .object({ choice: z.enum(['mine', 'theirs', 'edit']), value: z.unknown().optional() })
  .strict()
  .refine((v) => v.choice !== 'edit' || v.value !== undefined, { message: 'An edit needs the value to keep.', path: ['value'] })

/** How often a sync also runs a full reconciliation (deletes, silent changes). */
const RECONCILE_EVERY_MS = 24 * 3600_000


export type SyncService = ReturnType<typeof createSyncService>

const parse = (text: string | null): SyncValue => (text === null ? null : (JSON.parse(text) as SyncValue))

/**
 * Remotes, runs and conflicts (the sync panel's API and `npm run sync`). A run works in this
 * process, one at a time per remote; its state lives in SQLite, so a run cut short is shown as
 * unfinished and the next one resumes it.
 */
export function createSyncService(deps: { db: Db; clock: Clock; secrets: SecretBox; local: LocalStore; fetch?: typeof fetch }) {
  const { db, clock, secrets, local } = deps
  const running = new Map<number, { controller: AbortController; promise: Promise<void> }>()

  function assertAdmin(caller: Caller): void {
    if (!caller.authenticated) throw new NotAuthenticated()
    if (!isAdmin(caller)) throw new PermissionDenied('Only administrators manage sync.')
  }

  async function remoteRow(id: number) {
    const row = await db.selectFrom('sync_remotes').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFound()
    return row
  }

  function configOf(row: Awaited<ReturnType<typeof remoteRow>>): RemoteConfig {
    return { id: row.id, base_url: row.base_url, username: row.username, follow_types: JSON.parse(row.follow_types), follow_owners: JSON.parse(row.follow_owners), follow_groups: JSON.parse(row.follow_groups) }
  }

  function remoteFor(row: Awaited<ReturnType<typeof remoteRow>>, signal?: AbortSignal): Remote {
    const secret = secrets.open(row.secret)
    return new Remote({ baseUrl: row.base_url, username: row.username, auth: row.auth_kind === 'basic' ? { kind: 'basic', password: secret } : { kind: 'token', token: secret }, fetch: deps.fetch, signal })
  }

  async function status(id: number): Promise<SyncStatus> {
    const state = await db.selectFrom('sync_state').selectAll().where('remote_id', '=', id).executeTakeFirst()
    if (!state) throw new NotFound()
    const row = await remoteRow(id)
    const types = JSON.parse(row.follow_types) as string[]
    const followed = types.length ? types : [...TYPES]
    const [creates, creating, deletes, conflicts, changed] = await Promise.all([
      db
        .selectFrom('resources as r')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('r.resource_type', 'in', followed as never[])
        .where((eb) => eb.not(eb.exists(eb.selectFrom('sync_bindings as b').select('b.id').where('b.remote_id', '=', id).whereRef('b.local_uuid', '=', 'r.uuid'))))
        .executeTakeFirstOrThrow(),
      db.selectFrom('sync_bindings').select((eb) => eb.fn.countAll<number>().as('n')).where('remote_id', '=', id).where('state', '=', 'creating').executeTakeFirstOrThrow(),
      db.selectFrom('sync_bindings').select((eb) => eb.fn.countAll<number>().as('n')).where('remote_id', '=', id).where('state', '=', 'synced').where('local_id', 'is', null).executeTakeFirstOrThrow(),
      db.selectFrom('sync_conflicts as c').innerJoin('sync_bindings as b', 'b.id', 'c.binding_id').select((eb) => eb.fn.countAll<number>().as('n')).where('b.remote_id', '=', id).where('c.state', '=', 'open').executeTakeFirstOrThrow(),
      local.changedSince(state.pushed_seq)
    ])
    const bound = changed.ids.size
      ? await db.selectFrom('sync_bindings').select((eb) => eb.fn.countAll<number>().as('n')).where('remote_id', '=', id).where('state', 'in', ['synced', 'conflict']).where('local_id', 'in', [...changed.ids]).executeTakeFirstOrThrow()
      : { n: 0 }
    const isRunning = running.has(id)
    return {
      phase: state.phase,
      running: isRunning,
      unfinished: !isRunning && state.phase !== 'idle',
      started: state.started,
      finished: state.finished,
      last_result: state.last_result ? (JSON.parse(state.last_result) as SyncSummary) : null,
      last_error: state.last_error,
      progress: { done: state.progress_done, total: state.progress_total },
      pending: { creates: Number(creates.n) + Number(creating.n), updates: Number(bound.n), deletes: Number(deletes.n) },
      conflicts: Number(conflicts.n)
    }
  }

  /** Titles of catalogue layers by their uuid on remote `remoteId` (bound to it, or pulled with it). */
  async function layerTitles(remoteId: number, refs: string[]): Promise<Map<string, string>> {
    const ids = await local.layersByRef(refs, remoteId)
    if (ids.size === 0) return new Map()
    const rows = await db.selectFrom('resources').select(['id', 'title']).where('id', 'in', [...ids.values()]).execute()
    const title = new Map(rows.map((r) => [r.id, r.title]))
    return new Map([...ids].map(([ref, id]) => [ref, title.get(id) ?? ref]))
  }

  async function render(row: Awaited<ReturnType<typeof remoteRow>>) {
    const config = configOf(row)
    return { id: row.id, base_url: row.base_url, username: row.username, auth_kind: row.auth_kind, follow_types: config.follow_types, follow_owners: config.follow_owners, follow_groups: config.follow_groups, status: await status(row.id) }
  }

  /** Runs one sync to its end (or failure); records the outcome in the remote's state. */
  async function execute(id: number, options: { reconcile?: boolean; signal: AbortSignal }): Promise<SyncSummary> {
    const row = await remoteRow(id)
    const state = await db.selectFrom('sync_state').selectAll().where('remote_id', '=', id).executeTakeFirstOrThrow()
    const runId = randomUUID()
    const reconcile = options.reconcile ?? (!state.last_reconciled || Date.now() - Date.parse(state.last_reconciled) > RECONCILE_EVERY_MS)
    await db.updateTable('sync_state').set({ run_id: runId, started: clock.now(), last_error: null, progress_done: 0, progress_total: 0 }).where('remote_id', '=', id).execute()
    const engine = new SyncEngine({
      db,
      clock,
      local,
      remote: remoteFor(row, options.signal),
      config: configOf(row),
      runId,
      signal: options.signal,
      onProgress: (done, total) => void db.updateTable('sync_state').set({ progress_done: done, progress_total: total }).where('remote_id', '=', id).execute()
    })
    try {
      const summary = await engine.run({ reconcile })
      await db.updateTable('sync_state').set({ finished: clock.now(), last_result: JSON.stringify(summary) }).where('remote_id', '=', id).execute()
      return summary
    } catch (error) {
      const message = error instanceof SyncCancelled ? error.message : `${(error as Error).message}`
      await db.updateTable('sync_state').set({ last_error: message }).where('remote_id', '=', id).execute()
      await engine.journal('pull', 'run', 'failed', {}, message).catch(() => undefined)
      throw error
    }
  }

  return {
    async listRemotes(caller: Caller) {
      assertAdmin(caller)
      const rows = await db.selectFrom('sync_remotes').selectAll().orderBy('id').execute()
      return Promise.all(rows.map(render))
    },

    async getRemote(caller: Caller, id: number) {
      assertAdmin(caller)
      return render(await remoteRow(id))
    },

    /** Adds a remote; the credentials are checked against it when it can be reached. */
    async addRemote(caller: Caller, body: unknown) {
      assertAdmin(caller)
      const request = validate(RemoteRequest, body)
      if (!request.password === !request.token) throw new ValidationError({ password: ['Give either a password or a token.'] })
      const baseUrl = request.base_url.replace(/\/+$/, '')
      const taken = await db.selectFrom('sync_remotes').select('id').where('base_url', '=', baseUrl).where('username', '=', request.username).executeTakeFirst()
      if (taken) throw new ValidationError({ base_url: ['This server and account are already a remote.'] })
      const secret = secrets.seal((request.password ?? request.token)!)
      const now = clock.now()
      const id = await db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('sync_remotes')
          .values({ base_url: baseUrl, username: request.username, auth_kind: request.password ? 'basic' : 'token', secret, follow_types: JSON.stringify(request.follow_types ?? []), follow_owners: JSON.stringify(request.follow_owners ?? []), follow_groups: JSON.stringify(request.follow_groups ?? []), created: now, last_updated: now })
          .returning('id')
          .executeTakeFirstOrThrow()
        await trx.insertInto('sync_state').values({ remote_id: created.id }).execute()
        return created.id
      })
      return render(await remoteRow(id))
    },

    async updateRemote(caller: Caller, id: number, body: unknown) {
      assertAdmin(caller)
      const row = await remoteRow(id)
      const request = validate(RemoteRequest.partial(), body)
      if (running.has(id)) throw new Conflict('A sync with this remote is running; cancel it or wait.')
      if ((request.base_url && request.base_url.replace(/\/+$/, '') !== row.base_url) || (request.username && request.username !== row.username)) {
        throw new ValidationError({ base_url: ['Sync state belongs to one server and account: add another remote instead of changing them.'] })
      }
      const set: Record<string, string> = { last_updated: clock.now() }
      if (request.password || request.token) {
        set.secret = secrets.seal((request.password ?? request.token)!)
        set.auth_kind = request.password ? 'basic' : 'token'
      }
      for (const key of ['follow_types', 'follow_owners', 'follow_groups'] as const) if (request[key]) set[key] = JSON.stringify(request[key])
      await db.updateTable('sync_remotes').set(set).where('id', '=', id).execute()
      return render(await remoteRow(id))
    },

    async removeRemote(caller: Caller, id: number): Promise<void> {
      assertAdmin(caller)
      await remoteRow(id)
      running.get(id)?.controller.abort()
      await running.get(id)?.promise
      await db.deleteFrom('sync_remotes').where('id', '=', id).execute()
    },

    status: async (caller: Caller, id: number) => {
      assertAdmin(caller)
      await remoteRow(id)
      return status(id)
    },

    /** Starts a run in the background (202); a second start while one runs is refused. */
    async start(caller: Caller, id: number, options: { reconcile?: boolean } = {}) {
      assertAdmin(caller)
      await remoteRow(id)
      if (running.has(id)) throw new Conflict('A sync with this remote is already running.')
      const controller = new AbortController()
      const promise = execute(id, { ...options, signal: controller.signal })
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => running.delete(id))
      running.set(id, { controller, promise })
      return status(id)
    },

    /** Runs a sync to its end in the caller's await (the command line). */
    async runNow(id: number, options: { reconcile?: boolean; signal?: AbortSignal } = {}): Promise<SyncSummary> {
      if (running.has(id)) throw new Conflict('A sync with this remote is already running.')
      const controller = new AbortController()
      options.signal?.addEventListener('abort', () => controller.abort())
      const promise = execute(id, { reconcile: options.reconcile, signal: controller.signal })
      running.set(id, { controller, promise: promise.then(() => undefined, () => undefined) })
      try {
        return await promise
      } finally {
        running.delete(id)
      }
    },

    async cancel(caller: Caller, id: number) {
      assertAdmin(caller)
      await remoteRow(id)
      const run = running.get(id)
      run?.controller.abort()
      await run?.promise
      return status(id)
    },

    /** Stops every run (shutdown): each ends at its next record, its state saved. */
    async cancelAll(): Promise<void> {
      for (const run of running.values()) run.controller.abort()
      await Promise.all([...running.values()].map((run) => run.promise))
    },

    /** Waits for a background run (tests, shutdown). */
    async settle(id?: number): Promise<void> {
      await Promise.all([...running.entries()].filter(([key]) => id === undefined || key === id).map(([, run]) => run.promise))
    },

    async conflicts(caller: Caller, id: number) {
      assertAdmin(caller)
      await remoteRow(id)
      const rows = await db
        .selectFrom('sync_conflicts as c')
        .innerJoin('sync_bindings as b', 'b.id', 'c.binding_id')
        .leftJoin('resources as r', 'r.id', 'b.local_id')
        .select(['c.id', 'c.binding_id', 'b.local_id', 'b.remote_pk', 'r.title', 'c.field', 'c.base_value', 'c.local_value', 'c.remote_value', 'c.created'])
        .where('b.remote_id', '=', id)
        .where('c.state', '=', 'open')
        .orderBy('c.id')
        .execute()
      const out = rows.map((r) => ({ id: r.id, binding_id: r.binding_id, local_id: r.local_id, remote_pk: r.remote_pk, title: r.title, field: r.field, base: parse(r.base_value), local: parse(r.local_value), remote: parse(r.remote_value), created: r.created }))
      // A map's layers are named by uuid: each side's list also comes as the layers' titles.
      const layerLists = out.filter((c) => c.field === 'layers')
      if (layerLists.length === 0) return out
      const entries = layerLists.flatMap((c) => [c.base, c.local, c.remote]).flatMap((v) => (Array.isArray(v) ? (v as string[]) : []))
      const titles = await layerTitles(id, entries.map((e) => parseLayerEntry(e).ref))
      const readable = (v: unknown) => (Array.isArray(v) ? (v as string[]).map((e) => describeLayerEntry(parseLayerEntry(e), titles)) : undefined)
      return out.map((c) => (c.field === 'layers' ? { ...c, readable: { base: readable(c.base), local: readable(c.local), remote: readable(c.remote) } } : c))
    },

    /**
     * Keep mine (the next push sends it), take theirs (written here now), or edit (the value is
     * written here and pushed). For a record deleted on one side and changed on the other: mine
     * keeps this side's choice (delete there, or create there again), theirs takes the other's.
     */
    async resolve(caller: Caller, conflictId: number, body: unknown) {
      assertAdmin(caller)
      const request = validate(ResolveRequest, body)
      const conflict = await db
        .selectFrom('sync_conflicts as c')
        .innerJoin('sync_bindings as b', 'b.id', 'c.binding_id')
        .select(['c.id', 'c.field', 'c.state', 'c.remote_value', 'b.id as binding_id', 'b.local_id', 'b.resource_type', 'b.remote_id'])
        .where('c.id', '=', conflictId)
        .executeTakeFirst()
      if (!conflict) throw new NotFound()
      if (conflict.state !== 'open') throw new ValidationError({ choice: ['This conflict is already resolved.'] })
      if (running.has(conflict.remote_id)) throw new Conflict('A sync with this remote is running; resolve once it ends.')
      const now = clock.now()
      if (conflict.field === DELETED) {
        if (request.choice === 'edit') throw new ValidationError({ choice: ['A deleted record takes mine or theirs.'] })
        if (conflict.local_id === null) {
          // Deleted here, changed there.
          if (request.choice === 'mine') await db.updateTable('sync_bindings').set({ base_hash: FORCE_DELETE, state: 'synced' }).where('id', '=', conflict.binding_id).execute()
          else await db.deleteFrom('sync_bindings').where('id', '=', conflict.binding_id).execute() // pulled again as new
        } else if (request.choice === 'mine') {
          // Changed here, deleted there: create it there again.
          await db.updateTable('sync_bindings').set({ state: 'creating', remote_pk: null, remote_uuid: null, base: null, base_hash: null, create_started: now, last_synced: null }).where('id', '=', conflict.binding_id).execute()
        } else {
          await local.remove(conflict.local_id, conflict.resource_type)
          await db.updateTable('sync_bindings').set({ state: 'gone', local_id: null }).where('id', '=', conflict.binding_id).execute()
        }
      } else if (request.choice !== 'mine' && conflict.local_id !== null) {
        const value = request.choice === 'theirs' ? parse(conflict.remote_value) : (request.value as SyncValue)
        try {
          await local.apply(conflict.local_id, conflict.resource_type, { [conflict.field]: value }, [conflict.field], conflict.remote_id)
        } catch (error) {
          if (error instanceof ValidationError) throw new ValidationError({ value: [JSON.stringify(error.fields)] })
          throw error
        }
      }
      await db.updateTable('sync_conflicts').set({ state: 'resolved', resolution: request.choice, resolved: now }).where('id', '=', conflictId).execute()
      const open = await db.selectFrom('sync_conflicts').select('id').where('binding_id', '=', conflict.binding_id).where('state', '=', 'open').executeTakeFirst()
      if (!open) await db.updateTable('sync_bindings').set({ state: 'synced' }).where('id', '=', conflict.binding_id).where('state', '=', 'conflict').execute()
      return { id: conflictId, field: conflict.field, state: 'resolved', resolution: request.choice }
    },

    async journal(caller: Caller, id: number, limit: number) {
      assertAdmin(caller)
      await remoteRow(id)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError({ limit: ['Expected a whole number from 1 to 1000.'] })
      return db.selectFrom('sync_journal').select(['id', 'run_id', 'at', 'direction', 'action', 'local_id', 'remote_pk', 'outcome', 'message']).where('remote_id', '=', id).orderBy('id', 'desc').limit(limit).execute()
    },

    /** Whether a local layer is kept offline, and whether it comes from a remote at all. */
    async offline(caller: Caller, localId: number) {
      assertAdmin(caller)
      const rows = await db.selectFrom('sync_bindings').select(['remote_id', 'offline', 'data_pulled', 'resource_type']).where('local_id', '=', localId).where('state', 'in', ['synced', 'conflict']).execute()
      if (rows.length === 0) throw new NotFound('This resource is not bound to a remote.')
      return { local_id: localId, offline: rows.some((r) => r.offline === 1), data_pulled: rows.map((r) => r.data_pulled).filter(Boolean).sort().pop() ?? null, remotes: rows.map((r) => r.remote_id) }
    },

    /** Keep a layer's data offline (downloaded at the next sync and whenever it changes there), or stop. */
    async setOffline(caller: Caller, localId: number, body: unknown) {
      assertAdmin(caller)
      const request = validate(z.object({ offline: z.boolean() }).strict(), body)
      const rows = await db.selectFrom('sync_bindings').select(['id', 'resource_type']).where('local_id', '=', localId).where('state', 'in', ['synced', 'conflict']).execute()
      if (rows.length === 0) throw new NotFound('This resource is not bound to a remote.')
      if (rows.some((r) => r.resource_type !== 'layer')) throw new ValidationError({ offline: ['Only layers have data to keep offline; documents bring their files with them.'] })
      await db.updateTable('sync_bindings').set({ offline: request.offline ? 1 : 0 }).where('id', 'in', rows.map((r) => r.id)).execute()
      return this.offline(caller, localId)
    },

    /** The remote id for a base URL and account, adding it when new (the command line). */
    async ensureRemote(request: { base_url: string; username: string; password?: string; token?: string }): Promise<number> {
      const baseUrl = request.base_url.replace(/\/+$/, '')
      const row = await db.selectFrom('sync_remotes').select('id').where('base_url', '=', baseUrl).where('username', '=', request.username).executeTakeFirst()
      const secret = secrets.seal((request.password ?? request.token)!)
      if (row) {
        await db.updateTable('sync_remotes').set({ secret, auth_kind: request.password ? 'basic' : 'token', last_updated: clock.now() }).where('id', '=', row.id).execute()
        return row.id
      }
      const admin: Caller = { userId: 0, username: 'cli', authenticated: true, superuser: true, staff: true, groupIds: [], managedGroupIds: [], registeredMember: false, via: 'internal', user: null }
      return (await this.addRemote(admin, { base_url: baseUrl, username: request.username, password: request.password, token: request.token })).id
    }
  }
}
