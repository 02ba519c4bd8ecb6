import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import type { Clock } from '../clock'
import type { Db } from '../db/database'
import type { SyncBindingTable } from '../db/schema'
import type { Selectable } from 'kysely'
import type { LocalStore } from './local'
import { ENDPOINTS, type Remote, TransientError } from './remote'
import { type SyncView, merge, permBody, same, toView, viewHash, writeBody } from './view'

type Binding = Selectable<SyncBindingTable>

export interface RemoteConfig {
  id: number
  base_url: string
  username: string
  follow_types: string[]
  follow_owners: string[]
  follow_groups: string[]
}

export interface SyncSummary {
  pulled: { created: number; updated: number; deleted: number }
  pushed: { created: number; updated: number; deleted: number }
  conflicts: number
  errors: number
  reconciled: boolean
}

const PAGE_SIZE = 100
/** Pull asks again from a second before its cursor: writes that committed late are not missed. */
const OVERLAP_MS = 1_000
/** More remote deletes than this share of bound records (and at least this many) stop reconciliation. */
const MASS_DELETE_SHARE = 0.25
const MASS_DELETE_MIN = 5
const DEFAULT_TYPES = ['layer', 'map', 'document', 'geoapp', 'geostory']
/** The field name a conflict about a whole record's deletion uses. */
export const DELETED = '__deleted__'
/** A binding's base hash once the user chose to keep a local delete over remote changes. */
export const FORCE_DELETE = 'force-delete'

export class SyncCancelled extends Error {
  constructor() {
    super('The sync was cancelled.')
  }
}

/**
 * One sync run against one remote: pull (keyset on last_updated), push (what differs from each
 * binding's base), and, when due, a full reconciliation that catches silent changes and deletes.
 * Every step is idempotent and checkpointed in SQLite, so a run stopped anywhere resumes.
 */
export class SyncEngine {
  private readonly summary: SyncSummary = { pulled: { created: 0, updated: 0, deleted: 0 }, pushed: { created: 0, updated: 0, deleted: 0 }, conflicts: 0, errors: 0, reconciled: false }
  private readonly types: string[]

  constructor(
    private readonly deps: {
      db: Db
      clock: Clock
      local: LocalStore
      remote: Remote
      config: RemoteConfig
      runId: string
      signal: AbortSignal
      onProgress?: (done: number, total: number) => void
    }
  ) {
    this.types = deps.config.follow_types.length ? deps.config.follow_types : DEFAULT_TYPES
  }

  private get db() {
    return this.deps.db
  }

  private check(): void {
    if (this.deps.signal.aborted) throw new SyncCancelled()
  }

  async journal(direction: 'pull' | 'push' | 'reconcile', action: string, outcome: 'ok' | 'skipped' | 'conflict' | 'failed', ids: { local?: number | null; remote?: number | null }, message?: string): Promise<void> {
    await this.db
      .insertInto('sync_journal')
      .values({ remote_id: this.deps.config.id, run_id: this.deps.runId, direction, action, outcome, local_id: ids.local ?? null, remote_pk: ids.remote ?? null, message: message ?? null, at: this.deps.clock.now() })
      .execute()
    if (outcome === 'failed') this.summary.errors += 1
    if (outcome === 'conflict') this.summary.conflicts += 1
  }

  private async setPhase(phase: string): Promise<void> {
    await this.db.updateTable('sync_state').set({ phase }).where('remote_id', '=', this.deps.config.id).execute()
  }

  async run(options: { reconcile: boolean }): Promise<SyncSummary> {
    await this.deps.remote.signIn()
    const me = await this.deps.remote.whoAmI()
    if (me.preferred_username && me.preferred_username !== this.deps.config.username) {
      throw new Error(`The remote signed us in as ${me.preferred_username}, not ${this.deps.config.username}; sync state belongs to one account.`)
    }
    await this.setPhase('pull')
    await this.pull()
    await this.setPhase('push')
    await this.push()
    if (options.reconcile) {
      await this.setPhase('reconcile')
      await this.reconcile()
      this.summary.reconciled = true
    }
    await this.setPhase('idle')
    return this.summary
  }

  // ---- bindings ------------------------------------------------------------------------------

  private bindingByRemote(pk: number): Promise<Binding | undefined> {
    return this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', this.deps.config.id).where('remote_pk', '=', pk).executeTakeFirst()
  }

  private async saveBase(bindingId: number, view: SyncView, remoteLastUpdated: string | null, state: Binding['state'] = 'synced'): Promise<void> {
    await this.db
      .updateTable('sync_bindings')
      .set({ base: JSON.stringify(view), base_hash: viewHash(view), remote_last_updated: remoteLastUpdated, state, last_synced: this.deps.clock.now() })
      .where('id', '=', bindingId)
      .execute()
  }

  private async openConflictFields(bindingId: number): Promise<Set<string>> {
    const rows = await this.db.selectFrom('sync_conflicts').select('field').where('binding_id', '=', bindingId).where('state', '=', 'open').execute()
    return new Set(rows.map((r) => r.field))
  }

  private async recordConflicts(binding: Binding, fields: string[], base: SyncView | null, local: SyncView, remote: SyncView): Promise<void> {
    const open = await this.openConflictFields(binding.id)
    for (const field of fields) {
      if (open.has(field)) {
        // Still open: refresh the remote side, the user decides on what is there now.
        await this.db.updateTable('sync_conflicts').set({ remote_value: JSON.stringify(remote[field] ?? null), local_value: JSON.stringify(local[field] ?? null) }).where('binding_id', '=', binding.id).where('field', '=', field).where('state', '=', 'open').execute()
        continue
      }
      await this.db
        .insertInto('sync_conflicts')
        .values({ binding_id: binding.id, field, base_value: JSON.stringify(base?.[field] ?? null), local_value: JSON.stringify(local[field] ?? null), remote_value: JSON.stringify(remote[field] ?? null), created: this.deps.clock.now() })
        .execute()
      await this.journal('pull', 'merge', 'conflict', { local: binding.local_id, remote: binding.remote_pk }, `${field} changed on both sides`)
    }
  }

  // ---- views ---------------------------------------------------------------------------------

  /** The remote record's view; grants only where the account may read them (else left out). */
  private async remoteView(type: string, pk: number, dto?: ResourceDto | null): Promise<{ dto: ResourceDto; view: SyncView } | null> {
    const detail = dto ?? (await this.deps.remote.detail(type, pk))
    if (!detail) return null
    const perms = await this.deps.remote.perms(pk)
    return { dto: detail, view: toView(detail, perms ?? undefined) }
  }

  /** The local view comparable with a remote one: grants restricted to holders both sides know. */
  private async comparableLocal(localId: number, type: string, remote: SyncView): Promise<SyncView> {
    const local = await this.deps.local.view(localId, type, remote.perms !== undefined)
    if (remote.perms !== undefined) {
      const known = await this.deps.local.knownHolders(remote.perms as Record<string, string[]> | null)
      remote.perms = restrict(remote.perms as Record<string, string[]> | null, known)
      local.perms = restrict(local.perms as Record<string, string[]> | null, new Set([...known, ...Object.keys(local.perms ?? {})]))
    }
    return local
  }

  // ---- pull ----------------------------------------------------------------------------------

  private baseQuery(): Record<string, string | string[]> {
    const query: Record<string, string | string[]> = { 'filter{resource_type.in}': this.types, page_size: String(PAGE_SIZE), 'sort[]': ['last_updated', 'pk'] }
    if (this.deps.config.follow_owners.length) query['filter{owner.username.in}'] = this.deps.config.follow_owners
    if (this.deps.config.follow_groups.length) query['filter{group.name.in}'] = this.deps.config.follow_groups
    return query
  }

  async pull(): Promise<void> {
    const state = await this.db.selectFrom('sync_state').selectAll().where('remote_id', '=', this.deps.config.id).executeTakeFirstOrThrow()
    let cursor = state.pull_cursor
    let page = 1
    let done = 0
    for (;;) {
      this.check()
      const query: Record<string, string | string[]> = { ...this.baseQuery(), page: String(page) }
      if (cursor) query['filter{last_updated.gte}'] = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString()
      const listing = await this.deps.remote.listPage('resources', query)
      let fresh = 0
      for (const item of listing.items) {
        this.check()
        const pk = Number(item.pk)
        const binding = await this.bindingByRemote(pk)
        if (binding?.remote_last_updated === item.last_updated && binding.state !== 'creating') continue
        fresh += 1
        try {
          await this.pullOne(item, binding)
        } catch (error) {
          if (error instanceof SyncCancelled || error instanceof TransientError) throw error
          await this.journal('pull', 'apply', 'failed', { remote: pk }, (error as Error).message)
        }
        done += 1
        this.deps.onProgress?.(done, listing.total)
      }
      const last = listing.items[listing.items.length - 1]?.last_updated
      if (listing.items.length < PAGE_SIZE) {
        if (last && (!cursor || last > cursor)) cursor = last
        await this.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', this.deps.config.id).execute()
        return
      }
      if (fresh === 0) {
        // A whole page of records already seen (a burst sharing one stamp): read on by page.
        page += 1
        continue
      }
      page = 1
      if (last && (!cursor || last > cursor)) cursor = last
      await this.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', this.deps.config.id).execute()
    }
  }

  private async pullOne(item: ResourceDto, binding: Binding | undefined): Promise<void> {
    const pk = Number(item.pk)
    const type = item.resource_type
    if (!ENDPOINTS[type]) return
    const remote = await this.remoteView(type, pk)
    if (!remote) return // deleted since the listing; reconciliation confirms deletes
    if (!binding) {
      // The same record under the same uuid (created here, or bound before a lost binding): adopt it.
      const twin = await this.db.selectFrom('resources').select(['id', 'resource_type']).where('uuid', '=', remote.dto.uuid).executeTakeFirst()
      if (twin && twin.resource_type === type) {
        const created = await this.insertBinding({ type, remotePk: pk, remoteUuid: remote.dto.uuid, localId: twin.id, localUuid: remote.dto.uuid, state: 'synced' })
        const local = await this.comparableLocal(twin.id, type, remote.view)
        await this.mergeInto({ ...created, base: null }, local, remote.view, item.last_updated)
        return
      }
      const localId = await this.deps.local.create(type, remote.dto, remote.view)
      const created = await this.insertBinding({ type, remotePk: pk, remoteUuid: remote.dto.uuid, localId, localUuid: remote.dto.uuid, state: 'synced' })
      const local = await this.comparableLocal(localId, type, remote.view)
      await this.saveBase(created.id, local, item.last_updated)
      this.summary.pulled.created += 1
      await this.journal('pull', 'create', 'ok', { local: localId, remote: pk }, remote.dto.title)
      return
    }
    if (binding.local_id === null) {
      // Deleted here. Unchanged there since: the push deletes it. Changed there: a conflict.
      if (binding.base_hash !== viewHash(remote.view)) {
        await this.recordConflicts(binding, [DELETED], null, { [DELETED]: 'deleted here' }, { [DELETED]: 'changed there' })
        await this.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
      return
    }
    const local = await this.comparableLocal(binding.local_id, type, remote.view)
    await this.mergeInto(binding, local, remote.view, item.last_updated)
  }

  private async insertBinding(b: { type: string; remotePk: number | null; remoteUuid: string | null; localId: number; localUuid: string; state: Binding['state'] }): Promise<Binding> {
    return this.db
      .insertInto('sync_bindings')
      .values({ remote_id: this.deps.config.id, resource_type: b.type, remote_pk: b.remotePk, remote_uuid: b.remoteUuid, local_id: b.localId, local_uuid: b.localUuid, state: b.state, created: this.deps.clock.now(), create_started: b.state === 'creating' ? this.deps.clock.now() : null })
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  /**
   * Three-way merge of one bound record: remote-only changes are written here, local-only changes
   * are left for push (the new base is the remote state, so they still differ from it), and fields
   * changed on both sides become conflicts, keeping the local value until the user decides.
   */
  private async mergeInto(binding: Binding, local: SyncView, remote: SyncView, remoteLastUpdated: string | null): Promise<void> {
    const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
    const result = merge(base, local, remote)
    const open = await this.openConflictFields(binding.id)
    const toLocal = result.toLocal.filter((f) => !open.has(f))
    if (toLocal.length) {
      await this.deps.local.apply(binding.local_id!, binding.resource_type, remote, toLocal)
      this.summary.pulled.updated += 1
      await this.journal('pull', 'update', 'ok', { local: binding.local_id, remote: binding.remote_pk }, toLocal.join(', '))
    }
    if (result.conflicts.length) await this.recordConflicts(binding, result.conflicts, base, local, remote)
    const conflicted = result.conflicts.length > 0 || open.size > 0
    await this.saveBase(binding.id, remote, remoteLastUpdated, conflicted ? 'conflict' : 'synced')
  }

  // ---- push ----------------------------------------------------------------------------------

  async push(): Promise<void> {
    const state = await this.db.selectFrom('sync_state').selectAll().where('remote_id', '=', this.deps.config.id).executeTakeFirstOrThrow()
    const { ids: changed, last } = await this.deps.local.changedSince(state.pushed_seq)
    await this.pushCreates()
    const bindings = await this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', this.deps.config.id).where('state', 'in', ['synced', 'conflict']).execute()
    const resolvedRecently = new Set(
      (await this.db.selectFrom('sync_conflicts').innerJoin('sync_bindings as b', 'b.id', 'sync_conflicts.binding_id').select('binding_id').where('b.remote_id', '=', this.deps.config.id).where('sync_conflicts.state', '=', 'resolved').where('sync_conflicts.resolved', '>', state.started ?? '').execute()).map((r) => r.binding_id)
    )
    for (const binding of bindings) {
      this.check()
      if (binding.local_id === null) {
        await this.pushDelete(binding)
        continue
      }
      if (!changed.has(binding.local_id) && !resolvedRecently.has(binding.id) && binding.state !== 'conflict') continue
      try {
        await this.pushUpdate(binding)
      } catch (error) {
        if (error instanceof SyncCancelled || error instanceof TransientError) throw error
        await this.journal('push', 'update', 'failed', { local: binding.local_id, remote: binding.remote_pk }, (error as Error).message)
      }
    }
    await this.db.updateTable('sync_state').set({ pushed_seq: last }).where('remote_id', '=', this.deps.config.id).execute()
  }

  private async pushUpdate(binding: Binding): Promise<void> {
    const remote = await this.remoteView(binding.resource_type, binding.remote_pk!)
    if (!remote) return // gone there: reconciliation decides
    const local = await this.comparableLocal(binding.local_id!, binding.resource_type, remote.view)
    const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
    const open = await this.openConflictFields(binding.id)
    // Compare-and-set on our side: if the remote moved since the base, merge first.
    const result = merge(viewHash(remote.view) === binding.base_hash ? remote.view : base, local, remote.view)
    const toRemote = result.toRemote.filter((f) => !open.has(f))
    const toLocal = result.toLocal.filter((f) => !open.has(f))
    if (toLocal.length) await this.deps.local.apply(binding.local_id!, binding.resource_type, remote.view, toLocal)
    if (result.conflicts.length) await this.recordConflicts(binding, result.conflicts, base, local, remote.view)
    if (toRemote.length) {
      const fields = toRemote.filter((f) => f !== 'perms')
      if (fields.length) await this.patchRemote(binding, local, fields)
      if (toRemote.includes('perms')) {
        const full = await this.deps.remote.perms(binding.remote_pk!)
        await this.deps.remote.setPerms(binding.remote_pk!, mergedPermBody(local.perms as Record<string, string[]> | null, full))
      }
    }
    // Re-read: the record counts as pushed only as the remote now shows it.
    const after = toRemote.length ? await this.remoteView(binding.resource_type, binding.remote_pk!) : remote
    if (!after) return
    if (toRemote.length) {
      const applied = toRemote.filter((f) => same(after.view[f], local[f]))
      const refused = toRemote.filter((f) => !applied.includes(f))
      this.summary.pushed.updated += 1
      await this.journal('push', 'update', refused.length ? 'failed' : 'ok', { local: binding.local_id, remote: binding.remote_pk }, refused.length ? `the remote kept its own value for ${refused.join(', ')}` : toRemote.join(', '))
    }
    const stillOpen = (await this.openConflictFields(binding.id)).size > 0
    await this.saveBase(binding.id, after.view, after.dto.last_updated, stillOpen ? 'conflict' : 'synced')
  }

  /** PATCH the fields; publishing flags the account may not set are dropped and the rest sent again. */
  private async patchRemote(binding: Binding, local: SyncView, fields: string[]): Promise<void> {
    try {
      await this.deps.remote.patch(binding.resource_type, binding.remote_pk!, writeBody(local, fields))
    } catch (error) {
      const publishing: string[] = fields.filter((f) => f === 'is_published' || f === 'featured')
      if (!(error instanceof ApiError && error.status === 403 && publishing.length)) throw error
      const rest = fields.filter((f) => !publishing.includes(f))
      await this.journal('push', 'update', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, `this account may not change ${publishing.join(', ')} there`)
      if (rest.length) await this.deps.remote.patch(binding.resource_type, binding.remote_pk!, writeBody(local, rest))
    }
  }

  private async pushDelete(binding: Binding): Promise<void> {
    if (binding.state === 'conflict') return
    const remote = await this.remoteView(binding.resource_type, binding.remote_pk!)
    if (!remote) {
      await this.db.updateTable('sync_bindings').set({ state: 'gone' }).where('id', '=', binding.id).execute()
      return
    }
    if (binding.base_hash !== FORCE_DELETE && viewHash(remote.view) !== binding.base_hash) {
      await this.recordConflicts(binding, [DELETED], null, { [DELETED]: 'deleted here' }, { [DELETED]: 'changed there' })
      await this.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      return
    }
    await this.deps.remote.remove(binding.resource_type, binding.remote_pk!)
    await this.db.updateTable('sync_bindings').set({ state: 'gone', last_synced: this.deps.clock.now() }).where('id', '=', binding.id).execute()
    this.summary.pushed.deleted += 1
    await this.journal('push', 'delete', 'ok', { remote: binding.remote_pk }, remote.dto.title)
  }

  /** Local records of followed types the remote has never seen, and creates a lost answer left open. */
  private async pushCreates(): Promise<void> {
    const remoteId = this.deps.config.id
    const fresh = await this.db
      .selectFrom('resources as r')
      .select(['r.id', 'r.uuid', 'r.resource_type', 'r.title'])
      .where('r.resource_type', 'in', this.types as ResourceDto['resource_type'][] as never[])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('sync_bindings as b').select('b.id').where('b.remote_id', '=', remoteId).whereRef('b.local_uuid', '=', 'r.uuid'))))
      .orderBy('r.id')
      .execute()
    for (const row of fresh) {
      this.check()
      await this.insertBinding({ type: row.resource_type, remotePk: null, remoteUuid: null, localId: row.id, localUuid: row.uuid, state: 'creating' })
    }
    const creating = await this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', remoteId).where('state', '=', 'creating').orderBy('id').execute()
    for (const binding of creating) {
      this.check()
      if (binding.local_id === null) {
        await this.db.deleteFrom('sync_bindings').where('id', '=', binding.id).execute()
        continue
      }
      try {
        await this.pushCreate(binding)
      } catch (error) {
        if (error instanceof SyncCancelled || error instanceof TransientError) throw error
        await this.journal('push', 'create', 'failed', { local: binding.local_id }, (error as Error).message)
      }
    }
  }

  /**
   * Retry-safe create: the intent (a 'creating' binding) is written before the request; if an
   * earlier attempt may have reached the remote (its answer was lost), the remote is searched
   * for the record first and adopted instead of created twice.
   */
  private async pushCreate(binding: Binding): Promise<void> {
    const type = binding.resource_type
    const local = await this.deps.local.view(binding.local_id!, type, true)
    const dto = await this.deps.local.render(binding.local_id!, type)
    let created: ResourceDto | null = null
    if (binding.create_started && binding.last_synced) created = await this.findLostCreate(type, dto.title, binding.create_started)
    if (!created) {
      await this.db.updateTable('sync_bindings').set({ last_synced: this.deps.clock.now(), create_started: binding.create_started ?? this.deps.clock.now() }).where('id', '=', binding.id).execute()
      const fields = Object.keys(local).filter((f) => f !== 'perms')
      const body: Record<string, unknown> = { ...writeBody(local, fields), resource_type: type }
      if (type === 'geoapp' || type === 'geostory' || type === 'dashboard') {
        body.name = dto.name ?? dto.title
        body.owner = this.deps.config.username
      }
      created = await this.deps.remote.create(type, body)
    }
    const pk = Number(created.pk)
    if (local.perms) {
      const full = await this.deps.remote.perms(pk)
      if (full) await this.deps.remote.setPerms(pk, mergedPermBody(restrictToRemoteAccount(local.perms as Record<string, string[]>), full))
    }
    const after = await this.remoteView(type, pk)
    await this.db.updateTable('sync_bindings').set({ remote_pk: pk, remote_uuid: created.uuid, state: 'synced' }).where('id', '=', binding.id).execute()
    if (after) await this.saveBase(binding.id, after.view, after.dto.last_updated)
    this.summary.pushed.created += 1
    await this.journal('push', 'create', 'ok', { local: binding.local_id, remote: pk }, created.title)
  }

  /** A record this account created with this title since the attempt began, not bound yet. */
  private async findLostCreate(type: string, title: string, since: string): Promise<ResourceDto | null> {
    const endpoint = ENDPOINTS[type]!
    const page = await this.deps.remote.listPage(endpoint.path, {
      'filter{title}': title,
      'filter{owner.username}': this.deps.config.username,
      'filter{created.gte}': new Date(Date.parse(since) - 60_000).toISOString(),
      page_size: '10'
    })
    for (const item of page.items) {
      const bound = await this.bindingByRemote(Number(item.pk))
      if (!bound) return item
    }
    return null
  }

  // ---- reconcile -----------------------------------------------------------------------------

  /**
   * Lists every followed record the remote shows and compares with the bindings: silent changes
   * (grants, extents, map layers) are merged; records no longer listed are only candidates, each
   * confirmed by its own request (404: deleted; 403: this account lost access, left alone).
   */
  async reconcile(): Promise<void> {
    const remoteId = this.deps.config.id
    const seen = new Set<number>()
    let total = 0
    for (let page = 1; ; page++) {
      this.check()
      const listing = await this.deps.remote.listPage('resources', { ...this.baseQuery(), 'sort[]': ['pk'], page: String(page) })
      total = listing.total
      for (const item of listing.items) seen.add(Number(item.pk))
      if (listing.items.length < PAGE_SIZE || page * PAGE_SIZE >= listing.total) break
    }
    if (seen.size < total) throw new Error(`reconciliation saw ${seen.size} of ${total} remote records (the listing moved); no delete was decided`)
    const bindings = await this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', remoteId).where('state', 'in', ['synced', 'conflict']).where('remote_pk', 'is not', null).execute()
    const candidates = bindings.filter((b) => !seen.has(b.remote_pk!))
    const confirmed: Binding[] = []
    for (const binding of candidates) {
      this.check()
      try {
        const found = await this.deps.remote.detail(binding.resource_type, binding.remote_pk!)
        if (found === null) confirmed.push(binding)
        else await this.journal('reconcile', 'check', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, 'not listed but still there (filters or grants); kept')
      } catch (error) {
        if (error instanceof ApiError && error.status === 403) {
          await this.journal('reconcile', 'check', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, 'this account lost access; the local copy is kept')
          continue
        }
        throw error
      }
    }
    if (confirmed.length > Math.max(MASS_DELETE_MIN, bindings.length * MASS_DELETE_SHARE)) {
      await this.journal('reconcile', 'delete', 'failed', {}, `${confirmed.length} of ${bindings.length} records vanished from the remote at once; nothing was deleted here (mass-delete guard)`)
      throw new Error(`mass-delete guard: ${confirmed.length} of ${bindings.length} records vanished from the remote; nothing was deleted`)
    }
    for (const binding of confirmed) {
      this.check()
      if (binding.local_id === null) {
        await this.db.updateTable('sync_bindings').set({ state: 'gone' }).where('id', '=', binding.id).execute()
        continue
      }
      const local = await this.deps.local.view(binding.local_id, binding.resource_type, binding.base ? 'perms' in JSON.parse(binding.base) : false)
      const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
      if (base && 'perms' in base) {
        const known = await this.deps.local.knownHolders(base.perms as Record<string, string[]> | null)
        local.perms = restrict(local.perms as Record<string, string[]> | null, new Set([...known, ...Object.keys(local.perms ?? {})]))
      }
      if (base && viewHash(local) === binding.base_hash) {
        await this.deps.local.remove(binding.local_id, binding.resource_type)
        await this.db.updateTable('sync_bindings').set({ state: 'gone', local_id: null }).where('id', '=', binding.id).execute()
        this.summary.pulled.deleted += 1
        await this.journal('reconcile', 'delete', 'ok', { local: binding.local_id, remote: binding.remote_pk }, 'deleted on the remote')
      } else {
        await this.recordConflicts(binding, [DELETED], base, { [DELETED]: 'changed here' }, { [DELETED]: 'deleted there' })
        await this.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
    }
    // Silent changes: records whose state moved without last_updated (grants, extents ...).
    for (const binding of bindings) {
      this.check()
      if (!seen.has(binding.remote_pk!) || binding.local_id === null) continue
      const remote = await this.remoteView(binding.resource_type, binding.remote_pk!)
      if (!remote || viewHash(remote.view) === binding.base_hash) continue
      const local = await this.comparableLocal(binding.local_id, binding.resource_type, remote.view)
      await this.mergeInto(binding, local, remote.view, remote.dto.last_updated)
    }
    await this.db.updateTable('sync_state').set({ last_reconciled: this.deps.clock.now() }).where('remote_id', '=', remoteId).execute()
  }
}

function restrict(perms: Record<string, string[]> | null, known: Set<string>): Record<string, string[]> | null {
  if (!perms) return perms
  return Object.fromEntries(Object.entries(perms).filter(([holder]) => known.has(holder)))
}

/** Local grants for the holders known here, plus the remote's grants to holders unknown here. */
function mergedPermBody(local: Record<string, string[]> | null, remote: { users?: Record<string, string[]>; groups?: Record<string, string[]> } | null) {
  const body = permBody(local)
  for (const [name, codes] of Object.entries(remote?.users ?? {})) if (!(name in body.users) && !(local && `user:${name}` in local)) body.users[name] = codes
  for (const [name, codes] of Object.entries(remote?.groups ?? {})) if (!(name in body.groups) && !(local && `group:${name}` in local)) body.groups[name] = codes
  return body
}

/** A new record's grants as far as a remote account can carry them (the owner there is the account). */
function restrictToRemoteAccount(perms: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(perms).filter(([holder]) => holder.startsWith('group:')))
}
