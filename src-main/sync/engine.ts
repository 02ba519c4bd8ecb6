import { mkdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { GroupProfileDto, MapLayerDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'
import type { SyncSummary } from '../../src-shared/api/mapshelf'

export type { SyncSummary }
import { ApiError } from '../../src-shared/client/geonode-client'
import type { Clock } from '../clock'
import { type Db, transact } from '../db/database'
import type { SyncBindingTable } from '../db/schema'
import type { Selectable } from 'kysely'
import type { LocalStore } from './local'
import { ENDPOINTS, type Remote, SyncCancelled, TransientError } from './remote'

export { SyncCancelled }
import { type SyncView, layerEntries, mapLayerWrite, merge, normalisePerms, parseLayerEntry, permBody, same, toView, viewHash, writeBody } from './view'

type Binding = Selectable<SyncBindingTable>

export interface RemoteConfig {
  id: number
  base_url: string
  username: string
  follow_types: string[]
  follow_owners: string[]
  follow_groups: string[]
}


/** A remote map's layers (GET /maps/{pk}/layers) and the catalogue layers among them (local_layers). */
interface MapLayersRead {
  layers: MapLayerDto[]
  catalogue: ResourceDto[]
}

/** One remote record as read: detail, grants (null: this account may not read them), a map's layers. */
interface RemoteRecord {
  dto: ResourceDto
  perms: PermSpecDto | null
  map: MapLayersRead | undefined
}

interface RemoteView {
  dto: ResourceDto
  view: SyncView
  /** A map's catalogue layers (uuids there) with no copy here when it was read. */
  missingLayers: string[]
}

/** A page's records being read from the remote (`readAhead`). */
interface ReadAhead {
  get(pk: number): Promise<RemoteRecord | null>
  /** Resolves once the read of `pk` has an answer or a failure (never rejects). */
  settled(pk: number): Promise<void>
  isSettled(pk: number): boolean
  /** Starts no more reads (the page is done, or the run stopped). */
  stop(): void
}

/** The promise itself, marked handled: a read nobody awaits any more (the run stopped) is no unhandled rejection. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

/** A remote map's layers as last read: all of them in stack order, its catalogue layers by name, and which of those sync carries. */
interface RemoteMap {
  layers: MapLayerDto[]
  catalogue: Map<string, { uuid: string; pk: number }>
  carried: Set<number>
}

const PAGE_SIZE = 100
/** Remote reads a pull keeps in flight while it writes what came back. */
const READ_AHEAD = 8
/** Records a pull writes in one transaction, at least (when that many are read). */
const BATCH = 25
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

  /** While a batch runs, the engine's and the local store's SQL goes through its transaction. */
  private scope: { db: Db; local: LocalStore } | null = null

  private get db(): Db {
    return this.scope?.db ?? this.deps.db
  }

  private get local(): LocalStore {
    return this.scope?.local ?? this.deps.local
  }

  /**
   * Runs `work` in one transaction of the local catalogue (one commit for many records instead of
   * several each). The transaction holds the one connection until it ends: `work` must not wait on
   * the remote, and other requests here wait for it, so batches stay short.
   */
  private async batch<T>(work: () => Promise<T>): Promise<T> {
    if (this.scope) return work()
    return this.deps.db.transaction().execute(async (trx) => {
      this.scope = { db: trx, local: this.deps.local.within(trx) }
      try {
        return await work()
      } finally {
        this.scope = null
      }
    })
  }

  /** `work` undone alone when it fails inside a batch (a savepoint), so the batch's other records stay. */
  private atomically(work: () => Promise<void>): Promise<void> {
    return this.scope ? transact(this.scope.db, () => work()) : work()
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

  /** The remote still knows us as the configured account (an expired token reads as anonymous). */
  private async assertSignedIn(): Promise<void> {
    let me: { preferred_username?: string }
    try {
      me = await this.deps.remote.whoAmI()
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        await this.deps.remote.signIn()
        me = await this.deps.remote.whoAmI()
      } else throw error
    }
    if (me.preferred_username !== this.deps.config.username) {
      throw new Error(`The remote answers as ${me.preferred_username ?? 'an anonymous user'}, not ${this.deps.config.username}; sync state belongs to one account, so nothing was decided.`)
    }
  }

  async run(options: { reconcile: boolean }): Promise<SyncSummary> {
    await this.deps.remote.signIn()
    await this.assertSignedIn()
    await this.setPhase('pull')
    await this.pull()
    await this.pullOfflineData()
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

  /**
   * A view as bases keep it: grants only to holders known here (a grant to a user or group this
   * side does not have cannot be carried, so it is never a difference). Every base is saved so and
   * every remote view compared with a base is read so.
   */
  private async asBase(view: SyncView): Promise<SyncView> {
    if (view.perms === undefined || view.perms === null) return view
    const perms = view.perms as Record<string, string[]>
    return { ...view, perms: restrict(perms, await this.local.knownHolders(perms)) }
  }

  private async saveBase(bindingId: number, given: SyncView, remoteLastUpdated: string | null, state: Binding['state'] = 'synced'): Promise<void> {
    const view = await this.asBase(given)
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

  /** The remote record as read: its detail, its grants (null where the account may not read them), a map's layers. */
  private async readRemote(type: string, pk: number, dto?: ResourceDto | null): Promise<RemoteRecord | null> {
    const detail = dto ?? (await this.deps.remote.detail(type, pk))
    if (!detail) return null
    const [perms, map] = await Promise.all([this.deps.remote.perms(pk), type === 'map' ? this.deps.remote.mapLayers(pk) : undefined])
    if (map === null) return null
    return { dto: detail, perms, map }
  }

  /**
   * A remote record as sync compares it: grants where read (else left out), a map's catalogue
   * layers as they resolve here now; `missingLayers` names the map's catalogue layers not here yet.
   */
  private async viewOf(record: RemoteRecord): Promise<RemoteView> {
    const layers = record.map ? this.resolveMapLayers(Number(record.dto.pk), record.map, await this.layersHere(record.map)) : undefined
    return { dto: record.dto, view: toView(record.dto, record.perms ?? undefined, layers?.entries), missingLayers: layers?.missing ?? [] }
  }

  private async remoteView(type: string, pk: number, dto?: ResourceDto | null): Promise<RemoteView | null> {
    const record = await this.readRemote(type, pk, dto)
    return record ? this.viewOf(record) : null
  }

  /** Each remote map's layer list as last read, for a push to keep what it does not compare. */
  private readonly remoteMaps = new Map<number, RemoteMap>()

  /** The remote map's catalogue layers (by uuid there) that have a copy here. */
  private async layersHere(read: MapLayersRead): Promise<Set<string>> {
    return new Set((await this.local.layersByRef(read.catalogue.map((l) => l.uuid), this.deps.config.id)).keys())
  }

  /**
   * A remote map's catalogue layers as view entries (by the layer's uuid there), in stack order.
   * Layers that have no copy here (not followed, not visible, or not pulled yet) cannot be carried,
   * so they are not a difference: left out, and kept there by a push (`remoteLayersBody`). A map
   * pulled before its layer gets it in the same run: the push phase compares the map again once
   * one of its missing layers is here (`stillSettled`).
   */
  private resolveMapLayers(pk: number, read: MapLayersRead, here: Set<string>): { entries: string[]; missing: string[] } {
    const catalogue = new Map(read.catalogue.filter((l) => l.alternate).map((l) => [l.alternate!, { uuid: l.uuid, pk: Number(l.pk) }]))
    const ordered = [...read.layers].sort((a, b) => a.stack_order - b.stack_order || a.pk - b.pk)
    const candidates = ordered.filter((l) => l.local && l.name !== null && catalogue.has(l.name))
    const carried = candidates.filter((l) => here.has(catalogue.get(l.name!)!.uuid))
    const missing = candidates.filter((l) => !here.has(catalogue.get(l.name!)!.uuid)).map((l) => catalogue.get(l.name!)!.uuid)
    this.remoteMaps.set(pk, { layers: ordered, catalogue, carried: new Set(carried.map((l) => l.pk)) })
    return { entries: layerEntries(carried.map((l) => ({ ref: catalogue.get(l.name!)!.uuid, opacity: l.opacity, visibility: l.visibility }))), missing }
  }

  private async remoteMapLayers(pk: number): Promise<void> {
    const read = await this.deps.remote.mapLayers(pk)
    if (read) this.resolveMapLayers(pk, read, await this.layersHere(read))
  }

  /**
   * The `layers` body a PATCH of remote map `pk` sends: the remote's layers sync does not compare
   * (base maps, other services, catalogue layers with no copy here) stay underneath as they are;
   * the local entries follow, each by the layer's pk there. A local layer not on the remote yet
   * is left out and reported (a later sync adds it once the layer itself is pushed).
   */
  private async remoteLayersBody(binding: Binding, pk: number, entries: string[]): Promise<Record<string, unknown>[]> {
    if (!this.remoteMaps.has(pk)) await this.remoteMapLayers(pk)
    const there = this.remoteMaps.get(pk)
    const kept = (there?.layers ?? []).filter((l) => !there!.carried.has(l.pk))
    const wanted = entries.map(parseLayerEntry)
    const refs = wanted.map((e) => e.ref)
    const bound = refs.length
      ? await this.db.selectFrom('sync_bindings').select(['remote_uuid', 'remote_pk']).where('remote_id', '=', this.deps.config.id).where('remote_uuid', 'in', refs).where('remote_pk', 'is not', null).execute()
      : []
    const pkOf = new Map<string, number>([...[...(there?.catalogue.values() ?? [])].map((l) => [l.uuid, l.pk] as const), ...bound.map((b) => [b.remote_uuid!, b.remote_pk!] as const)])
    const missing = wanted.filter((e) => !pkOf.has(e.ref))
    if (missing.length) await this.journal('push', 'update', 'skipped', { local: binding.local_id, remote: pk }, `${missing.length} of the map's layers are not on the remote yet; they follow once pushed`)
    const layers: Record<string, unknown>[] = [
      ...kept.map((l) => {
        // A catalogue layer with no copy here stays, by its pk there.
        const dataset = l.local && l.name !== null ? there!.catalogue.get(l.name)?.pk : undefined
        return dataset === undefined ? mapLayerWrite(l) : { ...mapLayerWrite(l), dataset }
      }),
      ...wanted.filter((e) => pkOf.has(e.ref)).map((e) => ({ dataset: pkOf.get(e.ref)!, opacity: e.opacity, visibility: e.visibility }))
    ]
    return layers.map((layer, index) => ({ ...layer, stack_order: index }))
  }

  /**
   * The local view comparable with a remote one: grants restricted to holders both sides know
   * (a grant to a user the other side does not have cannot be carried, so it is not a difference).
   */
  private async comparableLocal(localId: number, type: string, remote: SyncView): Promise<SyncView> {
    const local = await this.local.view(localId, type, remote.perms !== undefined, this.deps.config.id)
    if (remote.perms !== undefined) {
      const known = await this.local.knownHolders(remote.perms as Record<string, string[]> | null)
      remote.perms = restrict(remote.perms as Record<string, string[]> | null, known)
      const there = await this.holdersOnRemote(Object.keys(local.perms ?? {}), remote.perms as Record<string, string[]> | null)
      local.perms = restrict(local.perms as Record<string, string[]> | null, there)
    }
    return local
  }

  private readonly remoteHolderCache = new Map<string, boolean>()

  /** Which of these holders exist on the remote (asked once per run and holder). */
  private async holdersOnRemote(holders: string[], remotePerms: Record<string, string[]> | null): Promise<Set<string>> {
    const out = new Set<string>(Object.keys(remotePerms ?? {}))
    for (const holder of holders) {
      if (out.has(holder)) continue
      if (holder === 'group:anonymous' || holder === 'group:registered-members' || holder === `user:${this.deps.config.username}`) {
        out.add(holder)
        continue
      }
      let exists = this.remoteHolderCache.get(holder)
      if (exists === undefined) {
        const [kind, ...rest] = holder.split(':')
        const name = rest.join(':')
        const page = kind === 'user' ? await this.deps.remote.listPage('users', { 'filter{username}': name, page_size: '1' }) : await this.deps.remote.listPage('groups', { 'filter{slug}': name, page_size: '1' })
        exists = page.items.length > 0
        this.remoteHolderCache.set(holder, exists)
      }
      if (exists) out.add(holder)
    }
    return out
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
    await this.retryFailedPulls()
    let cursor = state.pull_cursor
    let page = 1
    const progress = { done: 0, total: 0 }
    for (;;) {
      this.check()
      const query: Record<string, string | string[]> = { ...this.baseQuery(), page: String(page) }
      if (cursor) query['filter{last_updated.gte}'] = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString()
      const listing = await this.deps.remote.listPage('resources', query)
      progress.total = listing.total
      const bindings = await this.bindingsByRemote(listing.items.map((item) => Number(item.pk)))
      const news = listing.items.filter((item) => {
        const binding = bindings.get(Number(item.pk))
        return !(binding?.remote_last_updated === item.last_updated && binding.state !== 'creating')
      })
      await this.pullItems(news, bindings, progress)
      const last = listing.items[listing.items.length - 1]?.last_updated
      // The last page may be full: asking for the next one would be answered 404 (Invalid page).
      if (listing.items.length < PAGE_SIZE || page * PAGE_SIZE >= listing.total) {
        if (last && (!cursor || last > cursor)) cursor = last
        await this.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', this.deps.config.id).execute()
        return
      }
      if (news.length === 0) {
        // A whole page of records already seen (a burst sharing one stamp): read on by page.
        page += 1
        continue
      }
      page = 1
      if (last && (!cursor || last > cursor)) cursor = last
      await this.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', this.deps.config.id).execute()
    }
  }

  /**
   * Applies listed records here: their reads go ahead (`readAhead`); the records whose reads came
   * back are written together, in one transaction, each under its own savepoint (one that fails is
   * journalled and undone alone); waiting for the next read happens outside the transaction.
   * Documents' files are downloaded after each batch.
   */
  private async pullItems(items: ResourceDto[], bindings: Map<number, Binding>, progress: { done: number; total: number }): Promise<void> {
    const reads = this.readAhead(items.filter((item) => ENDPOINTS[item.resource_type]).map((item) => ({ pk: Number(item.pk), type: item.resource_type })))
    try {
      for (let next = 0; next < items.length; ) {
        this.check()
        // Enough reads back to make a batch worth its commit (a commit costs about a record's writes).
        await Promise.all(items.slice(next, next + BATCH).map((item) => reads.settled(Number(item.pk))))
        let end = next
        while (end < items.length && reads.isSettled(Number(items[end]!.pk))) end += 1
        const chunk = items.slice(next, end)
        await this.askAboutHolders(chunk, bindings, reads)
        const files: { localId: number; dto: ResourceDto }[] = []
        this.settling.clear()
        await this.batch(async () => {
          for (const item of chunk) {
            if (this.deps.signal.aborted) break
            next += 1
            const pk = Number(item.pk)
            try {
              await this.atomically(() => this.pullOne(item, bindings.get(pk), reads, files))
              this.readThisRun.add(pk)
            } catch (error) {
              // Users and groups it made here went with it, and it settled nothing.
              this.settling.delete(pk)
              this.usersHere.clear()
              this.groupsHere.clear()
              if (error instanceof SyncCancelled || error instanceof TransientError) throw error
              await this.journal('pull', 'apply', 'failed', { remote: pk }, `${item.title}: ${describe(error)}`)
            }
            progress.done += 1
          }
          await this.noteSettled()
        })
        for (const file of files) await this.pullDocumentFile(file.localId, file.dto)
        this.deps.onProgress?.(progress.done, progress.total)
      }
    } finally {
      reads.stop()
    }
  }

  /**
   * Whether the holders of these records' grants here exist there, asked before their batch, not
   * inside it: a batch holds the catalogue's one connection, and a slow remote must not hold it too.
   * Holders the remote's own grants name exist there; only the others are asked about (once a run).
   */
  private async askAboutHolders(items: ResourceDto[], bindings: Map<number, Binding>, reads: ReadAhead): Promise<void> {
    const boundIds = items.map((item) => bindings.get(Number(item.pk))?.local_id).filter((id): id is number => typeof id === 'number')
    const unbound = items.filter((item) => !bindings.has(Number(item.pk))).map((item) => item.uuid)
    const twins = unbound.length ? (await this.db.selectFrom('resources').select('id').where('uuid', 'in', unbound).execute()).map((r) => r.id) : []
    const groups = new Set<string>()
    for (const item of items) {
      const record = await reads.get(Number(item.pk)).catch(() => null)
      for (const holder of Object.keys(normalisePerms(record?.perms) ?? {})) this.remoteHolderCache.set(holder, true)
      for (const name of Object.keys(record?.perms?.groups ?? {})) groups.add(name)
    }
    await this.holdersOnRemote(await this.local.grantHolders([...boundIds, ...twins]), null)
    // Groups the remote's grants name and this side lacks: their profiles there, for making them here.
    const missing = [...groups].filter((name) => !this.groupsHere.has(name) && !this.groupsThere.has(name))
    const here = new Set(missing.length ? (await this.db.selectFrom('auth_groups').select('name').where('name', 'in', missing).execute()).map((g) => g.name) : [])
    for (const name of missing) {
      if (here.has(name)) {
        this.groupsHere.add(name)
        continue
      }
      const page = await this.deps.remote.listPage('groups', { 'filter{slug}': name, page_size: '1' })
      this.groupsThere.set(name, (page.items[0] as unknown as GroupProfileDto | undefined) ?? null)
    }
  }

  /** Remote group profiles by name (slug), read once a run (null: not visible to this account). */
  private readonly groupsThere = new Map<string, GroupProfileDto | null>()

  /**
   * Remote records this side failed to write in an earlier run (journalled 'failed' and still not
   * here) are read and applied again first: the cursor went past them, and their stamp may never
   * move. One gone there since ends its retries with a 'skipped' entry.
   */
  private async retryFailedPulls(): Promise<void> {
    const remoteId = this.deps.config.id
    // Failures are few: found first, then each one's latest pull entry among them decides.
    const failedOnce = await this.db
      .selectFrom('sync_journal as j')
      .select('j.remote_pk')
      .distinct()
      .where('j.remote_id', '=', remoteId)
      .where('j.direction', '=', 'pull')
      .where('j.action', '=', 'apply')
      .where('j.outcome', '=', 'failed')
      .where('j.remote_pk', 'is not', null)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('sync_bindings as b').select('b.id').where('b.remote_id', '=', remoteId).whereRef('b.remote_pk', '=', 'j.remote_pk'))))
      .execute()
    if (failedOnce.length === 0) return
    const latest = await this.db
      .selectFrom('sync_journal')
      .select((eb) => eb.fn.max('id').as('last'))
      .where('remote_id', '=', remoteId)
      .where('direction', '=', 'pull')
      .where('remote_pk', 'in', failedOnce.map((r) => r.remote_pk!))
      .groupBy('remote_pk')
      .execute()
    const failed = await this.db.selectFrom('sync_journal').select('remote_pk').where('id', 'in', latest.map((r) => Number(r.last))).where('action', '=', 'apply').where('outcome', '=', 'failed').execute()
    const found = await this.deps.remote.details('resource', failed.map((r) => r.remote_pk!))
    const items: ResourceDto[] = []
    for (const { remote_pk: pk } of failed) {
      const item = found.get(pk!)
      if (item && this.types.includes(item.resource_type)) items.push(item)
      else await this.journal('pull', 'apply', 'skipped', { remote: pk }, 'gone there (or no longer followed) since it failed here; not tried again')
    }
    await this.pullItems(items, new Map(), { done: 0, total: items.length })
  }

  /**
   * Reads a page's records from the remote ahead of applying them, a few requests at a time, so the
   * remote answers while this side writes: their details in one request per type (their type's
   * list filtered by pk), then each one's grants (and a map's layers). Nothing is written here.
   */
  private readAhead(items: { pk: number; type: string }[]): ReadAhead {
    const byType = new Map<string, number[]>()
    for (const item of items) byType.set(item.type, [...(byType.get(item.type) ?? []), item.pk])
    const details = new Map([...byType].map(([type, pks]) => [type, handled(this.deps.remote.details(type, pks))] as const))
    const queue: (() => void)[] = []
    let running = 0
    let stopped = false
    const next = () => {
      while (!stopped && running < READ_AHEAD && queue.length) {
        running += 1
        queue.shift()!()
      }
    }
    const reads = new Map<number, Promise<RemoteRecord | null>>()
    const done = new Set<number>()
    for (const item of items) {
      const pk = item.pk
      const read = new Promise<RemoteRecord | null>((resolve, reject) => {
        queue.push(() => {
          ;(async () => {
            if (stopped) throw new SyncCancelled()
            const dto = (await details.get(item.type)!).get(pk)
            return dto ? this.readRemote(item.type, pk, dto) : null
          })()
            .then(resolve, reject)
            .finally(() => {
              running -= 1
              next()
            })
        })
      })
      reads.set(pk, handled(read))
      read.then(
        () => done.add(pk),
        () => done.add(pk)
      )
    }
    next()
    return {
      get: (pk) => reads.get(pk) ?? Promise.resolve(null),
      settled: async (pk) => {
        await reads.get(pk)?.catch(() => undefined)
        done.add(pk)
      },
      isSettled: (pk) => !reads.has(pk) || done.has(pk),
      stop: () => {
        stopped = true
      }
    }
  }

  private async bindingsByRemote(pks: number[]): Promise<Map<number, Binding>> {
    if (pks.length === 0) return new Map()
    const rows = await this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', this.deps.config.id).where('remote_pk', 'in', pks).execute()
    return new Map(rows.map((row) => [row.remote_pk!, row]))
  }

  /** `files`: documents whose file is to be downloaded once the batch is written. */
  private async pullOne(item: ResourceDto, binding: Binding | undefined, reads: ReadAhead, files: { localId: number; dto: ResourceDto }[]): Promise<void> {
    const pk = Number(item.pk)
    const type = item.resource_type
    if (!ENDPOINTS[type]) return
    const record = await reads.get(pk)
    if (!record) return // deleted since the listing; reconciliation confirms deletes
    await this.ensureGrantHolders(record.perms)
    const remote = await this.viewOf(record)
    if (!binding) {
      // The same record under the same uuid (created here, or bound before a lost binding): adopt it.
      const twin = await this.db.selectFrom('resources').select(['id', 'resource_type']).where('uuid', '=', remote.dto.uuid).executeTakeFirst()
      if (twin && twin.resource_type === type) {
        const created = await this.insertBinding({ type, remotePk: pk, remoteUuid: remote.dto.uuid, localId: twin.id, localUuid: remote.dto.uuid, state: 'synced' })
        const local = await this.comparableLocal(twin.id, type, remote.view)
        await this.mergeInto({ ...created, base: null }, local, remote.view, item.last_updated)
        return
      }
      // Our own create whose answer was lost: bind it, do not copy it back as a new record.
      if (await this.adoptLostCreate(type, remote.dto, remote.view)) return
      const localId = await this.local.create(type, remote.dto, remote.view, this.deps.config.id)
      const created = await this.insertBinding({ type, remotePk: pk, remoteUuid: remote.dto.uuid, localId, localUuid: remote.dto.uuid, state: 'synced' })
      const local = await this.comparableLocal(localId, type, remote.view)
      await this.saveBase(created.id, local, item.last_updated)
      if (type === 'document') files.push({ localId, dto: remote.dto })
      this.settledByPull(pk, localId, remote.missingLayers)
      this.summary.pulled.created += 1
      await this.journal('pull', 'create', 'ok', { local: localId, remote: pk }, remote.dto.title)
      return
    }
    if (binding.local_id === null) {
      // Deleted here. Unchanged there since: the push deletes it. Changed there: a conflict.
      if (binding.base_hash !== viewHash(await this.asBase(remote.view))) {
        await this.recordConflicts(binding, [DELETED], null, { [DELETED]: 'deleted here' }, { [DELETED]: 'changed there' })
        await this.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
      return
    }
    const local = await this.comparableLocal(binding.local_id, type, remote.view)
    const agreed = await this.mergeInto(binding, local, remote.view, item.last_updated)
    if (type === 'document') files.push({ localId: binding.local_id, dto: remote.dto })
    if (agreed) this.settledByPull(pk, binding.local_id, remote.missingLayers)
  }

  /** Remote records this run read whole (detail, grants, layers) and merged: a reconciliation need not read them again. */
  private readonly readThisRun = new Set<number>()

  /** Usernames this run knows to exist here (grant holders and owners made here or found). */
  private readonly usersHere = new Set<string>()

  /** Group names this run knows to exist here. */
  private readonly groupsHere = new Set<string>()

  /**
   * The users and groups a remote record's grants name exist here after this: users get a local
   * account (inactive, no password, as owners do), groups a local group with the remote's title,
   * description and access (read before the batch, `askAboutHolders`), without members. So grants
   * are carried whole and compare alike on both sides.
   */
  private async ensureGrantHolders(perms: PermSpecDto | null): Promise<void> {
    for (const name of Object.keys(perms?.users ?? {})) {
      if (name === 'AnonymousUser' || this.usersHere.has(name)) continue
      await this.local.ensureUser(name)
      this.usersHere.add(name)
    }
    for (const name of Object.keys(perms?.groups ?? {})) {
      if (this.groupsHere.has(name)) continue
      const there = this.groupsThere.get(name)
      await this.local.ensureGroup({ slug: name, title: there?.title ?? name, description: there?.description ?? '', access: there?.access ?? 'public' })
      this.groupsHere.add(name)
    }
  }

  /**
   * Layers kept offline: their data is downloaded where it changed there since the last download
   * (or was never downloaded) and read as the local layer's new data. A failed download is
   * journalled and tried again next time; a partial one resumes where the remote takes ranges.
   */
  private async pullOfflineData(): Promise<void> {
    const due = await this.db
      .selectFrom('sync_bindings')
      .selectAll()
      .where('remote_id', '=', this.deps.config.id)
      .where('offline', '=', 1)
      .where('resource_type', '=', 'layer')
      .where('local_id', 'is not', null)
      .where('remote_pk', 'is not', null)
      .where((eb) => eb.or([eb('data_pulled', 'is', null), eb('data_pulled', '<', eb.ref('remote_last_updated'))]))
      .execute()
    const markers = await this.local.dataMarkers(due.map((b) => b.local_id!))
    for (const binding of due) {
      this.check()
      try {
        // Replaced here too since both sides last had the same data: the data replaced here is
        // kept and pushed (never dropped silently), and the journal says so.
        if (binding.data_sent !== null && binding.data_pulled !== null && markers.get(binding.local_id!) !== binding.data_sent) {
          await this.journal('pull', 'data', 'conflict', { local: binding.local_id, remote: binding.remote_pk }, 'the data was replaced here and there; the data replaced here is kept and sent there')
          continue
        }
        const layer = await this.deps.remote.detail('layer', binding.remote_pk!)
        if (!layer) continue
        const part = this.local.transferPath(`${binding.local_uuid}-data`)
        const name = await this.deps.remote.layerData(layer, part)
        await this.local.replaceLayerData(binding.local_id!, part, name)
        const now = (await this.local.dataMarkers([binding.local_id!])).get(binding.local_id!) ?? null
        await this.db.updateTable('sync_bindings').set({ data_pulled: layer.last_updated, data_sent: now }).where('id', '=', binding.id).execute()
        await this.journal('pull', 'data', 'ok', { local: binding.local_id, remote: binding.remote_pk }, `${name} (${layer.title})`)
      } catch (error) {
        if (error instanceof SyncCancelled || error instanceof TransientError) throw error
        await this.journal('pull', 'data', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
      }
    }
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
  /** Answers whether both sides now agree (nothing to push, no conflict). */
  private async mergeInto(binding: Binding, local: SyncView, remote: SyncView, remoteLastUpdated: string | null): Promise<boolean> {
    const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
    const result = merge(base, local, remote)
    const open = await this.openConflictFields(binding.id)
    const toLocal = result.toLocal.filter((f) => !open.has(f))
    if (toLocal.length) {
      await this.local.apply(binding.local_id!, binding.resource_type, remote, toLocal, this.deps.config.id)
      this.summary.pulled.updated += 1
      await this.journal('pull', 'update', 'ok', { local: binding.local_id, remote: binding.remote_pk }, toLocal.join(', '))
    }
    if (result.conflicts.length) await this.recordConflicts(binding, result.conflicts, base, local, remote)
    const conflicted = result.conflicts.length > 0 || open.size > 0
    await this.saveBase(binding.id, remote, remoteLastUpdated, conflicted ? 'conflict' : 'synced')
    return !conflicted && result.toRemote.length === 0
  }

  /**
   * Records the pull's own writes settled: after them both sides agree, so the push phase, which
   * looks at every record written since its watermark, need not read these again, unless an edit
   * here follows, or (for a map) one of the catalogue layers it lacked when read is here since.
   * Grants compare whole: their users were made here first (`ensureGrantHolders`), and groups
   * missing here stay missing through a pull.
   */
  private readonly settled = new Map<number, { seq: number; missingLayers: string[] }>()

  /** Records of the running batch settled by the pull (by remote pk): noted once the batch is written (`noteSettled`). */
  private readonly settling = new Map<number, { localId: number; missingLayers: string[] }>()

  private settledByPull(pk: number, localId: number, missingLayers: string[]): void {
    this.settling.set(pk, { localId, missingLayers })
  }

  /**
   * The batch's settled records take the change log's last seq once, at its end: nothing else
   * writes while a batch holds the connection, so a later edit here always comes after it.
   */
  private async noteSettled(): Promise<void> {
    if (this.settling.size === 0) return
    const top = await this.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst()
    for (const { localId, missingLayers } of this.settling.values()) this.settled.set(localId, { seq: Number(top?.seq ?? 0), missingLayers })
    this.settling.clear()
  }

  private async stillSettled(binding: Binding, latestSeq: number | undefined): Promise<boolean> {
    const at = this.settled.get(binding.local_id!)
    if (!at || latestSeq === undefined || latestSeq > at.seq) return false
    return at.missingLayers.length === 0 || (await this.local.layersByRef(at.missingLayers, this.deps.config.id)).size === 0
  }

  /**
   * Whether a map differs from the agreed state only by catalogue layers that were deleted here
   * since (a delete takes the layer out of every map here): not an edit of the map.
   */
  private async onlyLostDeletedLayers(local: SyncView, agreed: SyncView): Promise<boolean> {
    const fields = Object.keys({ ...local, ...agreed }).filter((f) => !same(local[f], agreed[f]))
    if (fields.length !== 1 || fields[0] !== 'layers') return false
    const here = (local.layers as string[] | undefined) ?? []
    const before = (agreed.layers as string[] | undefined) ?? []
    const lost = before.filter((entry) => !here.includes(entry))
    if (!same(before.filter((entry) => !lost.includes(entry)), here)) return false
    const refs = lost.map((entry) => parseLayerEntry(entry).ref)
    return (await this.local.layersByRef(refs, this.deps.config.id)).size === 0
  }

  // ---- push ----------------------------------------------------------------------------------

  async push(): Promise<void> {
    const state = await this.db.selectFrom('sync_state').selectAll().where('remote_id', '=', this.deps.config.id).executeTakeFirstOrThrow()
    const { ids: changed, latest, last } = await this.local.changedSince(state.pushed_seq)
    await this.pushCreates()
    const bindings = await this.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', this.deps.config.id).where('state', 'in', ['synced', 'conflict']).execute()
    const resolvedRecently = new Set(
      (await this.db.selectFrom('sync_conflicts').innerJoin('sync_bindings as b', 'b.id', 'sync_conflicts.binding_id').select('binding_id').where('b.remote_id', '=', this.deps.config.id).where('sync_conflicts.state', '=', 'resolved').where('sync_conflicts.resolved', '>', state.finished ?? '').execute()).map((r) => r.binding_id)
    )
    const due: Binding[] = []
    for (const binding of bindings) {
      if (binding.local_id === null) due.push(binding)
      else if (!changed.has(binding.local_id) && !resolvedRecently.has(binding.id) && binding.state !== 'conflict') continue
      else if (binding.state !== 'conflict' && !resolvedRecently.has(binding.id) && (await this.stillSettled(binding, latest.get(binding.local_id)))) continue
      else due.push(binding)
    }
    // The records to update are read ahead, a page at a time, while earlier ones are compared and sent.
    for (let at = 0; at < due.length; at += PAGE_SIZE) {
      const chunk = due.slice(at, at + PAGE_SIZE)
      const reads = this.readAhead(chunk.filter((b) => b.local_id !== null).map((b) => ({ pk: b.remote_pk!, type: b.resource_type })))
      try {
        for (const binding of chunk) {
          this.check()
          if (binding.local_id === null) {
            await this.pushDelete(binding)
            continue
          }
          try {
            await this.pushUpdate(binding, await reads.get(binding.remote_pk!))
          } catch (error) {
            if (error instanceof SyncCancelled || error instanceof TransientError) throw error
            await this.journal('push', 'update', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
          }
        }
      } finally {
        reads.stop()
      }
    }
    await this.pushLayerData()
    await this.db.updateTable('sync_state').set({ pushed_seq: last }).where('remote_id', '=', this.deps.config.id).execute()
  }

  /** `record`: the remote record as read ahead (null: gone there). */
  private async pushUpdate(binding: Binding, record: RemoteRecord | null): Promise<void> {
    const remote = record && (await this.viewOf(record))
    if (!remote) return // gone there: reconciliation decides
    this.readThisRun.add(binding.remote_pk!)
    const local = await this.comparableLocal(binding.local_id!, binding.resource_type, remote.view)
    const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
    const open = await this.openConflictFields(binding.id)
    // Compare-and-set on our side: if the remote moved since the base, merge first.
    // (remote.view is restricted as bases are by comparableLocal.)
    const result = merge(viewHash(remote.view) === binding.base_hash ? remote.view : base, local, remote.view)
    const toRemote = result.toRemote.filter((f) => !open.has(f))
    const toLocal = result.toLocal.filter((f) => !open.has(f))
    // An open conflict shows what is here now: a newer local edit replaces the one it was made of.
    for (const field of open) {
      await this.db.updateTable('sync_conflicts').set({ local_value: JSON.stringify(local[field] ?? null), remote_value: JSON.stringify(remote.view[field] ?? null) }).where('binding_id', '=', binding.id).where('field', '=', field).where('state', '=', 'open').execute()
    }
    if (toLocal.length) await this.local.apply(binding.local_id!, binding.resource_type, remote.view, toLocal, this.deps.config.id)
    if (result.conflicts.length) await this.recordConflicts(binding, result.conflicts, base, local, remote.view)
    let answered: ResourceDto | null = null
    if (toRemote.length) {
      const fields = toRemote.filter((f) => f !== 'perms')
      if (fields.length) answered = await this.patchRemote(binding, local, fields)
      if (toRemote.includes('perms')) {
        const full = await this.deps.remote.perms(binding.remote_pk!)
        const known = await this.local.knownHolders(normalisePerms(full))
        await this.deps.remote.setPerms(binding.remote_pk!, mergedPermBody(local.perms as Record<string, string[]> | null, full, known))
      }
    }
    // The record counts as pushed only as the remote now shows it: the PATCH's answer when only
    // fields went (its grants and a map's layers were read just before and did not move), else re-read.
    const after = !toRemote.length
      ? remote
      : answered && !toRemote.includes('perms') && !toRemote.includes('layers')
        ? await this.viewOf({ ...record!, dto: answered })
        : await this.remoteView(binding.resource_type, binding.remote_pk!)
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

  /**
   * PATCH the fields; publishing flags the account may not set are dropped and the rest sent again.
   * Answers the record as the remote shows it after the last PATCH (null if none was sent or answered).
   */
  private async patchRemote(binding: Binding, local: SyncView, fields: string[]): Promise<ResourceDto | null> {
    const body = writeBody(local, fields)
    if (binding.resource_type === 'map' && fields.includes('layers')) body.layers = await this.remoteLayersBody(binding, binding.remote_pk!, (local.layers as string[] | undefined) ?? [])
    try {
      return await this.deps.remote.patch(binding.resource_type, binding.remote_pk!, body)
    } catch (error) {
      const publishing: string[] = fields.filter((f) => f === 'is_published' || f === 'featured')
      if (!(error instanceof ApiError && error.status === 403 && publishing.length)) throw error
      const rest = fields.filter((f) => !publishing.includes(f))
      await this.journal('push', 'update', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, `this account may not change ${publishing.join(', ')} there`)
      if (rest.length) return this.deps.remote.patch(binding.resource_type, binding.remote_pk!, rest.includes('layers') ? { ...writeBody(local, rest), layers: body.layers } : writeBody(local, rest))
      return null
    }
  }

  private async pushDelete(binding: Binding): Promise<void> {
    if (binding.state === 'conflict') return
    const remote = await this.remoteView(binding.resource_type, binding.remote_pk!)
    if (!remote) {
      await this.db.updateTable('sync_bindings').set({ state: 'gone' }).where('id', '=', binding.id).execute()
      return
    }
    if (binding.base_hash !== FORCE_DELETE && viewHash(await this.asBase(remote.view)) !== binding.base_hash) {
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
        await this.journal('push', 'create', 'failed', { local: binding.local_id }, describe(error))
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
    const local = await this.local.view(binding.local_id!, type, true, this.deps.config.id)
    const dto = await this.local.render(binding.local_id!, type)
    let created: ResourceDto | null = null
    if (binding.create_started && binding.last_synced) created = await this.findLostCreate(type, dto.title, binding.create_started)
    if (!created) {
      await this.db.updateTable('sync_bindings').set({ last_synced: this.deps.clock.now(), create_started: binding.create_started ?? this.deps.clock.now() }).where('id', '=', binding.id).execute()
      created = (await this.createWithFiles(binding, dto)) ?? (await this.createFromFields(type, local, dto))
    }
    const pk = Number(created.pk)
    // Fields the create could not carry (a file upload takes a title and little else) go in a PATCH.
    const made = await this.remoteView(type, pk)
    if (made) {
      const missing = Object.keys(local).filter((f) => f !== 'perms' && !same(local[f], made.view[f]))
      if (missing.length) await this.patchRemote({ ...binding, remote_pk: pk }, local, missing)
    }
    if (local.perms) {
      const full = await this.deps.remote.perms(pk)
      if (full) await this.deps.remote.setPerms(pk, mergedPermBody(restrictToRemoteAccount(local.perms as Record<string, string[]>), full, await this.local.knownHolders(normalisePerms(full))))
    }
    const after = await this.remoteView(type, pk)
    await this.db.updateTable('sync_bindings').set({ remote_pk: pk, remote_uuid: created.uuid, state: 'synced' }).where('id', '=', binding.id).execute()
    if (after) await this.saveBase(binding.id, after.view, after.dto.last_updated)
    this.summary.pushed.created += 1
    await this.journal('push', 'create', 'ok', { local: binding.local_id, remote: pk }, created.title)
  }

  /**
   * A remote record this account created while a local create of the same type and title was in
   * flight (its answer lost): it is that create. The binding takes it, with the remote state as
   * base, so whatever the create did not carry is pushed as a local change.
   */
  private async adoptLostCreate(type: string, dto: ResourceDto, view: SyncView): Promise<boolean> {
    if (dto.owner?.username !== this.deps.config.username) return false
    const pending = await this.db
      .selectFrom('sync_bindings as b')
      .innerJoin('resources as r', 'r.id', 'b.local_id')
      .select(['b.id', 'b.local_id', 'b.create_started'])
      .where('b.remote_id', '=', this.deps.config.id)
      .where('b.state', '=', 'creating')
      .where('b.resource_type', '=', type)
      .where('r.title', '=', dto.title)
      .where('b.last_synced', 'is not', null)
      .execute()
    const match = pending.find((b) => !b.create_started || Date.parse(dto.created) >= Date.parse(b.create_started) - 60_000)
    if (!match) return false
    await this.db.updateTable('sync_bindings').set({ remote_pk: Number(dto.pk), remote_uuid: dto.uuid, state: 'synced' }).where('id', '=', match.id).execute()
    await this.saveBase(match.id, view, dto.last_updated)
    this.summary.pushed.created += 1
    await this.journal('pull', 'adopt', 'ok', { local: match.local_id, remote: Number(dto.pk) }, `${dto.title}: created by an earlier attempt whose answer was lost`)
    return true
  }

  private createFromFields(type: string, local: SyncView, dto: ResourceDto): Promise<ResourceDto> {
    const fields = Object.keys(local).filter((f) => f !== 'perms')
    const body: Record<string, unknown> = { ...writeBody(local, fields), resource_type: type }
    if (type === 'geoapp' || type === 'geostory' || type === 'dashboard') {
      body.name = dto.name ?? dto.title
      body.owner = this.deps.config.username
    }
    return this.deps.remote.create(type, body)
  }

  /**
   * A document with its file, or a layer with its data: sent as files (the remote makes the
   * resource from them). Formats GeoNode 3.3 does not take (GeoPackage, GPX) travel as GeoJSON
   * written from the stored features. Null when the record has no files (created from fields).
   */
  private async createWithFiles(binding: Binding, dto: ResourceDto): Promise<ResourceDto | null> {
    const files = await this.local.filesOf(binding.local_id!)
    if (binding.resource_type === 'document' && files.docFile) {
      const answer = await this.deps.remote.multipart<{ document: ResourceDto }>('/api/v2/documents/', { title: dto.title, abstract: dto.abstract ?? '' }, { doc_file: files.docFile })
      return answer.document
    }
    if (binding.resource_type !== 'layer') return null
    const upload = await this.layerUpload(binding.local_id!, { layer_title: dto.title, abstract: dto.abstract ?? '', charset: 'UTF-8' })
    if (!upload) return null
    try {
      return await this.deps.remote.uploadLayer(upload.files, upload.fields)
    } finally {
      upload.done()
    }
  }

  /**
   * A local layer's data as upload parts: its original files (a shapefile with its side-cars, or a
   * file the remote takes as it is), else its features written to GeoJSON (GeoNode 3.3 takes no
   * GeoPackage or GPX). Null when the layer has no data. `done` removes what was written for it.
   */
  private async layerUpload(localId: number, fields: Record<string, string>): Promise<{ files: Record<string, string>; fields: Record<string, string>; done: () => void } | null> {
    const files = await this.local.filesOf(localId)
    if (files.originals.length === 0 && files.featureSetId === null) return null
    const byExt = (ext: string) => files.originals.find((f) => f.toLowerCase().endsWith(`.${ext}`))
    const shp = byExt('shp')
    if (shp) {
      const parts: Record<string, string> = { base_file: shp }
      for (const [field, ext] of [['dbf_file', 'dbf'], ['shx_file', 'shx'], ['prj_file', 'prj'], ['cpg_file', 'cpg']] as const) {
        const part = byExt(ext)
        if (part) parts[field] = part
      }
      return { files: parts, fields, done: () => {} }
    }
    const direct = ['geojson', 'json', 'kml', 'kmz', 'csv', 'zip', 'tif', 'tiff'].map(byExt).find(Boolean)
    if (direct) return { files: { base_file: direct }, fields, done: () => {} }
    if (files.featureSetId === null) return null
    // Named after the layer: the remote names a new layer after the file.
    const dir = this.local.transferPath(`${files.uuid}-export`)
    mkdirSync(dir, { recursive: true })
    const exported = join(dir, `${files.layerName ?? 'layer'}.geojson`)
    this.local.exportGeoJson(files.featureSetId, exported)
    return { files: { base_file: exported }, fields, done: () => rmSync(dir, { recursive: true, force: true }) }
  }

  /**
   * Layers whose data was replaced here since both sides last had the same: the new data goes
   * there (PUT /layers/{pk}/replace). A binding that has noted no data yet notes what is here now
   * (its data came from there, or predates this note) and sends nothing.
   */
  private async pushLayerData(): Promise<void> {
    const bound = await this.db
      .selectFrom('sync_bindings')
      .selectAll()
      .where('remote_id', '=', this.deps.config.id)
      .where('resource_type', '=', 'layer')
      .where('state', '=', 'synced')
      .where('local_id', 'is not', null)
      .where('remote_pk', 'is not', null)
      .execute()
    const markers = await this.local.dataMarkers(bound.map((b) => b.local_id!))
    for (const binding of bound) {
      this.check()
      const marker = markers.get(binding.local_id!)
      if (marker === undefined || marker === binding.data_sent) continue
      if (binding.data_sent === null) {
        await this.db.updateTable('sync_bindings').set({ data_sent: marker }).where('id', '=', binding.id).execute()
        continue
      }
      const upload = await this.layerUpload(binding.local_id!, { charset: 'UTF-8' })
      if (!upload) continue
      try {
        await this.deps.remote.replaceLayer(binding.remote_pk!, upload.files, upload.fields)
        const after = await this.deps.remote.detail('layer', binding.remote_pk!)
        // Our own new data there is not news for a layer kept offline here.
        await this.db
          .updateTable('sync_bindings')
          .set({ data_sent: marker, ...(binding.offline && after ? { data_pulled: after.last_updated } : {}) })
          .where('id', '=', binding.id)
          .execute()
        this.summary.pushed.updated += 1
        await this.journal('push', 'data', 'ok', { local: binding.local_id, remote: binding.remote_pk }, `new data of ${Object.values(upload.files).map((f) => f.split('/').pop()).join(', ')}`)
      } catch (error) {
        if (error instanceof SyncCancelled || error instanceof TransientError) throw error
        await this.journal('push', 'data', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
      } finally {
        upload.done()
      }
    }
  }

  private async pullDocumentFile(localId: number, remote: ResourceDto): Promise<void> {
    const href = typeof remote.href === 'string' ? remote.href : null
    if (!href || !/\/documents\/\d+\/download\/?$/.test(new URL(href).pathname)) return
    // The remote writes its own public address into href; fetch it through the address we use.
    const url = this.deps.config.base_url.replace(/\/+$/, '') + new URL(href).pathname
    const files = await this.local.filesOf(localId)
    if (files.docFile) return
    const part = this.local.transferPath(files.uuid)
    try {
      await this.deps.remote.download(url, part)
      const name = typeof remote.extension === 'string' && remote.extension ? `${slugName(remote.title)}.${remote.extension}` : slugName(remote.title)
      await this.local.attachDocumentFile(localId, part, name, statSync(part).size)
      await this.journal('pull', 'file', 'ok', { local: localId, remote: Number(remote.pk) }, name)
    } catch (error) {
      if (error instanceof SyncCancelled || error instanceof TransientError) throw error
      if (error instanceof ApiError && error.status === 404) {
        await this.journal('pull', 'file', 'skipped', { local: localId, remote: Number(remote.pk) }, 'the remote lists a file for this document but does not have it')
        return
      }
      await this.journal('pull', 'file', 'failed', { local: localId, remote: Number(remote.pk) }, describe(error))
    }
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
    await this.assertSignedIn()
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
    // A login that lapsed makes private records answer 404 like deleted ones: check again.
    if (confirmed.length) await this.assertSignedIn()
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
      const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
      // Compared as a push would compare it: against the last state both sides agreed on, both
      // restricted alike (grants to holders one side does not know are not a difference).
      const agreed: SyncView = { ...(base ?? {}) }
      const local = await this.comparableLocal(binding.local_id, binding.resource_type, agreed)
      if (base && (viewHash(local) === viewHash(agreed) || (await this.onlyLostDeletedLayers(local, agreed)))) {
        await this.local.remove(binding.local_id, binding.resource_type)
        await this.db.updateTable('sync_bindings').set({ state: 'gone', local_id: null }).where('id', '=', binding.id).execute()
        this.summary.pulled.deleted += 1
        await this.journal('reconcile', 'delete', 'ok', { local: binding.local_id, remote: binding.remote_pk }, 'deleted on the remote')
      } else {
        await this.recordConflicts(binding, [DELETED], base, { [DELETED]: 'changed here' }, { [DELETED]: 'deleted there' })
        await this.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
    }
    // Silent changes: records whose state moved without last_updated (grants, extents ...). Those
    // this run read whole already (pulled, pushed) are not read again; the rest are read ahead.
    const due = bindings.filter((b) => seen.has(b.remote_pk!) && b.local_id !== null && !this.readThisRun.has(b.remote_pk!))
    for (let at = 0; at < due.length; at += PAGE_SIZE) {
      const chunk = due.slice(at, at + PAGE_SIZE)
      const reads = this.readAhead(chunk.map((b) => ({ pk: b.remote_pk!, type: b.resource_type })))
      try {
        for (const binding of chunk) {
          this.check()
          const record = await reads.get(binding.remote_pk!)
          const remote = record && (await this.viewOf(record))
          if (!remote || viewHash(await this.asBase(remote.view)) === binding.base_hash) continue
          const local = await this.comparableLocal(binding.local_id!, binding.resource_type, remote.view)
          await this.mergeInto(binding, local, remote.view, remote.dto.last_updated)
        }
      } finally {
        reads.stop()
      }
    }
    await this.db.updateTable('sync_state').set({ last_reconciled: this.deps.clock.now() }).where('remote_id', '=', remoteId).execute()
  }
}

/** A failure as the journal shows it: field errors in full, other errors by message. */
function describe(error: unknown): string {
  const fields = (error as { fields?: unknown }).fields
  if (fields) return `refused here: ${JSON.stringify(fields)}`
  return error instanceof Error ? error.message : String(error)
}

function slugName(title: string): string {
  return title.normalize('NFKD').replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'document'
}

function restrict(perms: Record<string, string[]> | null, known: Set<string>): Record<string, string[]> | null {
  if (!perms) return perms
  return Object.fromEntries(Object.entries(perms).filter(([holder]) => known.has(holder)))
}

/** Local grants, plus the remote's grants to holders that do not exist here (which this side cannot see). */
function mergedPermBody(local: Record<string, string[]> | null, remote: { users?: Record<string, string[]>; groups?: Record<string, string[]> } | null, known: Set<string>) {
  const body = permBody(local)
  for (const [name, codes] of Object.entries(remote?.users ?? {})) if (!known.has(`user:${name}`) && !(name in body.users)) body.users[name] = codes
  for (const [name, codes] of Object.entries(remote?.groups ?? {})) if (!known.has(`group:${name}`) && !(name in body.groups)) body.groups[name] = codes
  return body
}

/** A new record's grants as far as a remote account can carry them (the owner there is the account). */
function restrictToRemoteAccount(perms: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(perms).filter(([holder]) => holder.startsWith('group:')))
}
