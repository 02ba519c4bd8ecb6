import type { GroupProfileDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'
import { asBase, comparableLocal, holdersOnRemote, insertBinding, mergeInto, recordConflicts, saveBase } from './bindings'
import { type Binding, DELETED, PAGE_SIZE, type SyncContext, describe } from './context'
import { pullDocumentFile } from './files'
import { type ReadAhead, baseQuery, readAhead, viewOf } from './records'
import { ENDPOINTS, SyncCancelled, TransientError } from './remote'
import { type SyncView, normalisePerms, viewHash } from './view'

/** Records a pull writes in one transaction, at least (when that many are read). */
const BATCH = 25
/** Pull asks again from a second before its cursor: writes that committed late are not missed. */
const OVERLAP_MS = 1_000

/**
 * The pull phase: remote records listed by last_updated from the cursor (keyset), read ahead and
 * written here in batches, each record merged with its binding's base.
 */
export class Pull {
  /** Usernames this run knows to exist here (grant holders and owners made here or found). */
  private readonly usersHere = new Set<string>()

  /** Group names this run knows to exist here. */
  private readonly groupsHere = new Set<string>()

  /** Remote group profiles by name (slug), read once a run (null: not visible to this account). */
  private readonly groupsThere = new Map<string, GroupProfileDto | null>()

  /** Records of the running batch settled by the pull (by remote pk): noted once the batch is written (`noteSettled`). */
  private readonly settling = new Map<number, { localId: number; missingLayers: string[] }>()

  constructor(private readonly ctx: SyncContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx
    const state = await ctx.db.selectFrom('sync_state').selectAll().where('remote_id', '=', ctx.config.id).executeTakeFirstOrThrow()
    await this.retryFailedPulls()
    let cursor = state.pull_cursor
    let page = 1
    const progress = { done: 0, total: 0 }
    for (;;) {
      ctx.check()
      const query: Record<string, string | string[]> = { ...baseQuery(ctx), page: String(page) }
      if (cursor) query['filter{last_updated.gte}'] = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString()
      const listing = await ctx.remote.listPage('resources', query)
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
        await ctx.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', ctx.config.id).execute()
        return
      }
      if (news.length === 0) {
        // A whole page of records already seen (a burst sharing one stamp): read on by page.
        page += 1
        continue
      }
      page = 1
      if (last && (!cursor || last > cursor)) cursor = last
      await ctx.db.updateTable('sync_state').set({ pull_cursor: cursor }).where('remote_id', '=', ctx.config.id).execute()
    }
  }

  /**
   * Applies listed records here: their reads go ahead (`readAhead`); the records whose reads came
   * back are written together, in one transaction, each under its own savepoint (one that fails is
   * journalled and undone alone); waiting for the next read happens outside the transaction.
   * Documents' files are downloaded after each batch.
   */
  private async pullItems(items: ResourceDto[], bindings: Map<number, Binding>, progress: { done: number; total: number }): Promise<void> {
    const ctx = this.ctx
    const reads = readAhead(ctx, items.filter((item) => ENDPOINTS[item.resource_type]).map((item) => ({ pk: Number(item.pk), type: item.resource_type })))
    try {
      for (let next = 0; next < items.length; ) {
        ctx.check()
        // Enough reads back to make a batch worth its commit (a commit costs about a record's writes).
        await Promise.all(items.slice(next, next + BATCH).map((item) => reads.settled(Number(item.pk))))
        let end = next
        while (end < items.length && reads.isSettled(Number(items[end]!.pk))) end += 1
        const chunk = items.slice(next, end)
        await this.askAboutHolders(chunk, bindings, reads)
        const files: { localId: number; dto: ResourceDto }[] = []
        this.settling.clear()
        await ctx.batch(async () => {
          for (const item of chunk) {
            if (ctx.signal.aborted) break
            next += 1
            const pk = Number(item.pk)
            try {
              await ctx.atomically(() => this.pullOne(item, bindings.get(pk), reads, files))
              ctx.readThisRun.add(pk)
            } catch (error) {
              // Users and groups it made here went with it, and it settled nothing.
              this.settling.delete(pk)
              this.usersHere.clear()
              this.groupsHere.clear()
              if (error instanceof SyncCancelled || error instanceof TransientError) throw error
              await ctx.journal('pull', 'apply', 'failed', { remote: pk }, `${item.title}: ${describe(error)}`)
            }
            progress.done += 1
          }
          await this.noteSettled()
        })
        for (const file of files) await pullDocumentFile(ctx, file.localId, file.dto)
        ctx.onProgress?.(progress.done, progress.total)
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
    const ctx = this.ctx
    const boundIds = items.map((item) => bindings.get(Number(item.pk))?.local_id).filter((id): id is number => typeof id === 'number')
    const unbound = items.filter((item) => !bindings.has(Number(item.pk))).map((item) => item.uuid)
    const twins = unbound.length ? (await ctx.db.selectFrom('resources').select('id').where('uuid', 'in', unbound).execute()).map((r) => r.id) : []
    const groups = new Set<string>()
    for (const item of items) {
      const record = await reads.get(Number(item.pk)).catch(() => null)
      for (const holder of Object.keys(normalisePerms(record?.perms) ?? {})) ctx.remoteHolders.set(holder, true)
      for (const name of Object.keys(record?.perms?.groups ?? {})) groups.add(name)
    }
    await holdersOnRemote(ctx, await ctx.local.grantHolders([...boundIds, ...twins]), null)
    // Groups the remote's grants name and this side lacks: their profiles there, for making them here.
    const missing = [...groups].filter((name) => !this.groupsHere.has(name) && !this.groupsThere.has(name))
    const here = new Set(missing.length ? (await ctx.db.selectFrom('auth_groups').select('name').where('name', 'in', missing).execute()).map((g) => g.name) : [])
    for (const name of missing) {
      if (here.has(name)) {
        this.groupsHere.add(name)
        continue
      }
      const page = await ctx.remote.listPage('groups', { 'filter{slug}': name, page_size: '1' })
      this.groupsThere.set(name, (page.items[0] as unknown as GroupProfileDto | undefined) ?? null)
    }
  }

  /**
   * Remote records this side failed to write in an earlier run (journalled 'failed' and still not
   * here) are read and applied again first: the cursor went past them, and their stamp may never
   * move. One gone there since ends its retries with a 'skipped' entry.
   */
  private async retryFailedPulls(): Promise<void> {
    const ctx = this.ctx
    const remoteId = ctx.config.id
    // Failures are few: found first, then each one's latest pull entry among them decides.
    const failedOnce = await ctx.db
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
    const latest = await ctx.db
      .selectFrom('sync_journal')
      .select((eb) => eb.fn.max('id').as('last'))
      .where('remote_id', '=', remoteId)
      .where('direction', '=', 'pull')
      .where('remote_pk', 'in', failedOnce.map((r) => r.remote_pk!))
      .groupBy('remote_pk')
      .execute()
    const failed = await ctx.db.selectFrom('sync_journal').select('remote_pk').where('id', 'in', latest.map((r) => Number(r.last))).where('action', '=', 'apply').where('outcome', '=', 'failed').execute()
    const found = await ctx.remote.details('resource', failed.map((r) => r.remote_pk!))
    const items: ResourceDto[] = []
    for (const { remote_pk: pk } of failed) {
      const item = found.get(pk!)
      if (item && ctx.types.includes(item.resource_type)) items.push(item)
      else await ctx.journal('pull', 'apply', 'skipped', { remote: pk }, 'gone there (or no longer followed) since it failed here; not tried again')
    }
    await this.pullItems(items, new Map(), { done: 0, total: items.length })
  }

  private async bindingsByRemote(pks: number[]): Promise<Map<number, Binding>> {
    if (pks.length === 0) return new Map()
    const rows = await this.ctx.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', this.ctx.config.id).where('remote_pk', 'in', pks).execute()
    return new Map(rows.map((row) => [row.remote_pk!, row]))
  }

  /** `files`: documents whose file is to be downloaded once the batch is written. */
  private async pullOne(item: ResourceDto, binding: Binding | undefined, reads: ReadAhead, files: { localId: number; dto: ResourceDto }[]): Promise<void> {
    const ctx = this.ctx
    const pk = Number(item.pk)
    const type = item.resource_type
    if (!ENDPOINTS[type]) return
    const record = await reads.get(pk)
    if (!record) return // deleted since the listing; reconciliation confirms deletes
    await this.ensureGrantHolders(record.perms)
    const remote = await viewOf(ctx, record)
    if (!binding) {
      // The same record under the same uuid (created here, or bound before a lost binding): adopt it.
      const twin = await ctx.db.selectFrom('resources').select(['id', 'resource_type']).where('uuid', '=', remote.dto.uuid).executeTakeFirst()
      if (twin && twin.resource_type === type) {
        const created = await insertBinding(ctx, { type, remotePk: pk, remoteUuid: remote.dto.uuid, localId: twin.id, localUuid: remote.dto.uuid, state: 'synced' })
        const local = await comparableLocal(ctx, twin.id, type, remote.view)
        await mergeInto(ctx, { ...created, base: null }, local, remote.view, item.last_updated)
        return
      }
      // Our own create whose answer was lost: bind it, do not copy it back as a new record.
      if (await this.adoptLostCreate(type, remote.dto, remote.view)) return
      const localId = await ctx.local.create(type, remote.dto, remote.view, ctx.config.id)
      const created = await insertBinding(ctx, { type, remotePk: pk, remoteUuid: remote.dto.uuid, localId, localUuid: remote.dto.uuid, state: 'synced' })
      const local = await comparableLocal(ctx, localId, type, remote.view)
      await saveBase(ctx, created.id, local, item.last_updated)
      if (type === 'document') files.push({ localId, dto: remote.dto })
      this.settledByPull(pk, localId, remote.missingLayers)
      ctx.summary.pulled.created += 1
      await ctx.journal('pull', 'create', 'ok', { local: localId, remote: pk }, remote.dto.title)
      return
    }
    if (binding.local_id === null) {
      // Deleted here. Unchanged there since: the push deletes it. Changed there: a conflict.
      if (binding.base_hash !== viewHash(await asBase(ctx, remote.view))) {
        await recordConflicts(ctx, binding, [DELETED], null, { [DELETED]: 'deleted here' }, { [DELETED]: 'changed there' })
        await ctx.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
      return
    }
    const local = await comparableLocal(ctx, binding.local_id, type, remote.view)
    const agreed = await mergeInto(ctx, binding, local, remote.view, item.last_updated)
    if (type === 'document') files.push({ localId: binding.local_id, dto: remote.dto })
    if (agreed) this.settledByPull(pk, binding.local_id, remote.missingLayers)
  }

  /**
   * The users and groups a remote record's grants name exist here after this: users get a local
   * account (inactive, no password, as owners do), groups a local group with the remote's title,
   * description and access (read before the batch, `askAboutHolders`), without members. So grants
   * are carried whole and compare alike on both sides.
   */
  private async ensureGrantHolders(perms: PermSpecDto | null): Promise<void> {
    for (const name of Object.keys(perms?.users ?? {})) {
      if (name === 'AnonymousUser' || this.usersHere.has(name)) continue
      await this.ctx.local.ensureUser(name)
      this.usersHere.add(name)
    }
    for (const name of Object.keys(perms?.groups ?? {})) {
      if (this.groupsHere.has(name)) continue
      const there = this.groupsThere.get(name)
      await this.ctx.local.ensureGroup({ slug: name, title: there?.title ?? name, description: there?.description ?? '', access: there?.access ?? 'public' })
      this.groupsHere.add(name)
    }
  }

  /**
   * A remote record this account created while a local create of the same type and title was in
   * flight (its answer lost): it is that create. The binding takes it, with the remote state as
   * base, so whatever the create did not carry is pushed as a local change.
   */
  private async adoptLostCreate(type: string, dto: ResourceDto, view: SyncView): Promise<boolean> {
    const ctx = this.ctx
    if (dto.owner?.username !== ctx.config.username) return false
    const pending = await ctx.db
      .selectFrom('sync_bindings as b')
      .innerJoin('resources as r', 'r.id', 'b.local_id')
      .select(['b.id', 'b.local_id', 'b.create_started'])
      .where('b.remote_id', '=', ctx.config.id)
      .where('b.state', '=', 'creating')
      .where('b.resource_type', '=', type)
      .where('r.title', '=', dto.title)
      .where('b.last_synced', 'is not', null)
      .execute()
    const match = pending.find((b) => !b.create_started || Date.parse(dto.created) >= Date.parse(b.create_started) - 60_000)
    if (!match) return false
    await ctx.db.updateTable('sync_bindings').set({ remote_pk: Number(dto.pk), remote_uuid: dto.uuid, state: 'synced' }).where('id', '=', match.id).execute()
    await saveBase(ctx, match.id, view, dto.last_updated)
    ctx.summary.pushed.created += 1
    await ctx.journal('pull', 'adopt', 'ok', { local: match.local_id, remote: Number(dto.pk) }, `${dto.title}: created by an earlier attempt whose answer was lost`)
    return true
  }

  /** A record the pull's own writes settled (`SyncContext.settled`), noted once its batch is written. */
  private settledByPull(pk: number, localId: number, missingLayers: string[]): void {
    this.settling.set(pk, { localId, missingLayers })
  }

  /**
   * The batch's settled records take the change log's last seq once, at its end: nothing else
   * writes while a batch holds the connection, so a later edit here always comes after it.
   */
  private async noteSettled(): Promise<void> {
    if (this.settling.size === 0) return
    const top = await this.ctx.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst()
    for (const { localId, missingLayers } of this.settling.values()) this.ctx.settled.set(localId, { seq: Number(top?.seq ?? 0), missingLayers })
    this.settling.clear()
  }
}
