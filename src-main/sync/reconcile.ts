import { ApiError } from '../../src-shared/client/geonode-client'
import { asBase, comparableLocal, mergeInto, recordConflicts } from './bindings'
import { type Binding, DELETED, PAGE_SIZE, type SyncContext } from './context'
import { baseQuery, readAhead, viewOf } from './records'
import { type SyncView, parseLayerEntry, same, viewHash } from './view'

/** More remote deletes than this share of bound records (and at least this many) stop reconciliation. */
const MASS_DELETE_SHARE = 0.25
const MASS_DELETE_MIN = 5

/** The full reconciliation, when due: remote deletes and silent changes a pull by last_updated cannot see. */
export class Reconcile {
  constructor(private readonly ctx: SyncContext) {}

  /**
   * Lists every followed record the remote shows and compares with the bindings: silent changes
   * (grants, extents, map layers) are merged; records no longer listed are only candidates, each
   * confirmed by its own request (404: deleted; 403: this account lost access, left alone).
   */
  async run(): Promise<void> {
    const ctx = this.ctx
    const remoteId = ctx.config.id
    const seen = new Set<number>()
    let total = 0
    for (let page = 1; ; page++) {
      ctx.check()
      const listing = await ctx.remote.listPage('resources', { ...baseQuery(ctx), 'sort[]': ['pk'], page: String(page) })
      total = listing.total
      for (const item of listing.items) seen.add(Number(item.pk))
      if (listing.items.length < PAGE_SIZE || page * PAGE_SIZE >= listing.total) break
    }
    if (seen.size < total) throw new Error(`reconciliation saw ${seen.size} of ${total} remote records (the listing moved); no delete was decided`)
    await ctx.assertSignedIn()
    const bindings = await ctx.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', remoteId).where('state', 'in', ['synced', 'conflict']).where('remote_pk', 'is not', null).execute()
    const candidates = bindings.filter((b) => !seen.has(b.remote_pk!))
    const confirmed: Binding[] = []
    for (const binding of candidates) {
      ctx.check()
      try {
        const found = await ctx.remote.detail(binding.resource_type, binding.remote_pk!)
        if (found === null) confirmed.push(binding)
        else await ctx.journal('reconcile', 'check', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, 'not listed but still there (filters or grants); kept')
      } catch (error) {
        if (error instanceof ApiError && error.status === 403) {
          await ctx.journal('reconcile', 'check', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, 'this account lost access; the local copy is kept')
          continue
        }
        throw error
      }
    }
    // A login that lapsed makes private records answer 404 like deleted ones: check again.
    if (confirmed.length) await ctx.assertSignedIn()
    if (confirmed.length > Math.max(MASS_DELETE_MIN, bindings.length * MASS_DELETE_SHARE)) {
      await ctx.journal('reconcile', 'delete', 'failed', {}, `${confirmed.length} of ${bindings.length} records vanished from the remote at once; nothing was deleted here (mass-delete guard)`)
      throw new Error(`mass-delete guard: ${confirmed.length} of ${bindings.length} records vanished from the remote; nothing was deleted`)
    }
    for (const binding of confirmed) {
      ctx.check()
      if (binding.local_id === null) {
        await ctx.db.updateTable('sync_bindings').set({ state: 'gone' }).where('id', '=', binding.id).execute()
        continue
      }
      const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
      // Compared as a push would compare it: against the last state both sides agreed on, both
      // restricted alike (grants to holders one side does not know are not a difference).
      const agreed: SyncView = { ...(base ?? {}) }
      const local = await comparableLocal(ctx, binding.local_id, binding.resource_type, agreed)
      if (base && (viewHash(local) === viewHash(agreed) || (await this.onlyLostDeletedLayers(local, agreed)))) {
        await ctx.local.remove(binding.local_id, binding.resource_type)
        await ctx.db.updateTable('sync_bindings').set({ state: 'gone', local_id: null }).where('id', '=', binding.id).execute()
        ctx.summary.pulled.deleted += 1
        await ctx.journal('reconcile', 'delete', 'ok', { local: binding.local_id, remote: binding.remote_pk }, 'deleted on the remote')
      } else {
        await recordConflicts(ctx, binding, [DELETED], base, { [DELETED]: 'changed here' }, { [DELETED]: 'deleted there' })
        await ctx.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      }
    }
    // Silent changes: records whose state moved without last_updated (grants, extents ...). Those
    // this run read whole already (pulled, pushed) are not read again; the rest are read ahead.
    const due = bindings.filter((b) => seen.has(b.remote_pk!) && b.local_id !== null && !ctx.readThisRun.has(b.remote_pk!))
    for (let at = 0; at < due.length; at += PAGE_SIZE) {
      const chunk = due.slice(at, at + PAGE_SIZE)
      const reads = readAhead(ctx, chunk.map((b) => ({ pk: b.remote_pk!, type: b.resource_type })))
      try {
        for (const binding of chunk) {
          ctx.check()
          const record = await reads.get(binding.remote_pk!)
          const remote = record && (await viewOf(ctx, record))
          if (!remote || viewHash(await asBase(ctx, remote.view)) === binding.base_hash) continue
          const local = await comparableLocal(ctx, binding.local_id!, binding.resource_type, remote.view)
          await mergeInto(ctx, binding, local, remote.view, remote.dto.last_updated)
        }
      } finally {
        reads.stop()
      }
    }
    await ctx.db.updateTable('sync_state').set({ last_reconciled: ctx.clock.now() }).where('remote_id', '=', remoteId).execute()
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
    return (await this.ctx.local.layersByRef(refs, this.ctx.config.id)).size === 0
  }
}
