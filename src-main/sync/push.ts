import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import { asBase, comparableLocal, insertBinding, openConflictFields, recordConflicts, saveBase } from './bindings'
import { type Binding, DELETED, FORCE_DELETE, PAGE_SIZE, type SyncContext, describe } from './context'
import { createWithFiles, pushLayerData } from './files'
import { type RemoteRecord, readAhead, remoteMapLayers, remoteView, viewOf } from './records'
import { ENDPOINTS, SyncCancelled, TransientError } from './remote'
import { type SyncView, mapLayerWrite, merge, normalisePerms, parseLayerEntry, permBody, same, viewHash, writeBody } from './view'

/**
 * The push phase: local records the remote has never seen are created there (retry-safe), and
 * every record written here since the last push is compared with the remote and what differs from
 * its base is sent; local deletes follow, then layers' replaced data.
 */
export class Push {
  constructor(private readonly ctx: SyncContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx
    const state = await ctx.db.selectFrom('sync_state').selectAll().where('remote_id', '=', ctx.config.id).executeTakeFirstOrThrow()
    const { ids: changed, latest, last } = await ctx.local.changedSince(state.pushed_seq)
    await this.pushCreates()
    const bindings = await ctx.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', ctx.config.id).where('state', 'in', ['synced', 'conflict']).execute()
    const resolvedRecently = new Set(
      (await ctx.db.selectFrom('sync_conflicts').innerJoin('sync_bindings as b', 'b.id', 'sync_conflicts.binding_id').select('binding_id').where('b.remote_id', '=', ctx.config.id).where('sync_conflicts.state', '=', 'resolved').where('sync_conflicts.resolved', '>', state.finished ?? '').execute()).map((r) => r.binding_id)
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
      const reads = readAhead(ctx, chunk.filter((b) => b.local_id !== null).map((b) => ({ pk: b.remote_pk!, type: b.resource_type })))
      try {
        for (const binding of chunk) {
          ctx.check()
          if (binding.local_id === null) {
            await this.pushDelete(binding)
            continue
          }
          try {
            await this.pushUpdate(binding, await reads.get(binding.remote_pk!))
          } catch (error) {
            if (error instanceof SyncCancelled || error instanceof TransientError) throw error
            await ctx.journal('push', 'update', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
          }
        }
      } finally {
        reads.stop()
      }
    }
    await pushLayerData(ctx)
    await ctx.db.updateTable('sync_state').set({ pushed_seq: last }).where('remote_id', '=', ctx.config.id).execute()
  }

  /** Whether the pull's own writes settled this record and nothing here moved it since (`SyncContext.settled`). */
  private async stillSettled(binding: Binding, latestSeq: number | undefined): Promise<boolean> {
    const at = this.ctx.settled.get(binding.local_id!)
    if (!at || latestSeq === undefined || latestSeq > at.seq) return false
    return at.missingLayers.length === 0 || (await this.ctx.local.layersByRef(at.missingLayers, this.ctx.config.id)).size === 0
  }

  /** `record`: the remote record as read ahead (null: gone there). */
  private async pushUpdate(binding: Binding, record: RemoteRecord | null): Promise<void> {
    const ctx = this.ctx
    const remote = record && (await viewOf(ctx, record))
    if (!remote) return // gone there: reconciliation decides
    ctx.readThisRun.add(binding.remote_pk!)
    const local = await comparableLocal(ctx, binding.local_id!, binding.resource_type, remote.view)
    const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
    const open = await openConflictFields(ctx, binding.id)
    // Compare-and-set on our side: if the remote moved since the base, merge first.
    // (remote.view is restricted as bases are by comparableLocal.)
    const result = merge(viewHash(remote.view) === binding.base_hash ? remote.view : base, local, remote.view)
    const toRemote = result.toRemote.filter((f) => !open.has(f))
    const toLocal = result.toLocal.filter((f) => !open.has(f))
    // An open conflict shows what is here now: a newer local edit replaces the one it was made of.
    for (const field of open) {
      await ctx.db.updateTable('sync_conflicts').set({ local_value: JSON.stringify(local[field] ?? null), remote_value: JSON.stringify(remote.view[field] ?? null) }).where('binding_id', '=', binding.id).where('field', '=', field).where('state', '=', 'open').execute()
    }
    if (toLocal.length) await ctx.local.apply(binding.local_id!, binding.resource_type, remote.view, toLocal, ctx.config.id)
    if (result.conflicts.length) await recordConflicts(ctx, binding, result.conflicts, base, local, remote.view)
    let answered: ResourceDto | null = null
    if (toRemote.length) {
      const fields = toRemote.filter((f) => f !== 'perms')
      if (fields.length) answered = await this.patchRemote(binding, local, fields)
      if (toRemote.includes('perms')) {
        const full = await ctx.remote.perms(binding.remote_pk!)
        const known = await ctx.local.knownHolders(normalisePerms(full))
        await ctx.remote.setPerms(binding.remote_pk!, mergedPermBody(local.perms as Record<string, string[]> | null, full, known))
      }
    }
    // The record counts as pushed only as the remote now shows it: the PATCH's answer when only
    // fields went (its grants and a map's layers were read just before and did not move), else re-read.
    const after = !toRemote.length
      ? remote
      : answered && !toRemote.includes('perms') && !toRemote.includes('layers')
        ? await viewOf(ctx, { ...record!, dto: answered })
        : await remoteView(ctx, binding.resource_type, binding.remote_pk!)
    if (!after) return
    if (toRemote.length) {
      const applied = toRemote.filter((f) => same(after.view[f], local[f]))
      const refused = toRemote.filter((f) => !applied.includes(f))
      ctx.summary.pushed.updated += 1
      await ctx.journal('push', 'update', refused.length ? 'failed' : 'ok', { local: binding.local_id, remote: binding.remote_pk }, refused.length ? `the remote kept its own value for ${refused.join(', ')}` : toRemote.join(', '))
    }
    const stillOpen = (await openConflictFields(ctx, binding.id)).size > 0
    await saveBase(ctx, binding.id, after.view, after.dto.last_updated, stillOpen ? 'conflict' : 'synced')
  }

  /**
   * PATCH the fields; publishing flags the account may not set are dropped and the rest sent again.
   * Answers the record as the remote shows it after the last PATCH (null if none was sent or answered).
   */
  private async patchRemote(binding: Binding, local: SyncView, fields: string[]): Promise<ResourceDto | null> {
    const ctx = this.ctx
    const body = writeBody(local, fields)
    if (binding.resource_type === 'map' && fields.includes('layers')) body.layers = await this.remoteLayersBody(binding, binding.remote_pk!, (local.layers as string[] | undefined) ?? [])
    try {
      return await ctx.remote.patch(binding.resource_type, binding.remote_pk!, body)
    } catch (error) {
      const publishing: string[] = fields.filter((f) => f === 'is_published' || f === 'featured')
      if (!(error instanceof ApiError && error.status === 403 && publishing.length)) throw error
      const rest = fields.filter((f) => !publishing.includes(f))
      await ctx.journal('push', 'update', 'skipped', { local: binding.local_id, remote: binding.remote_pk }, `this account may not change ${publishing.join(', ')} there`)
      if (rest.length) return ctx.remote.patch(binding.resource_type, binding.remote_pk!, rest.includes('layers') ? { ...writeBody(local, rest), layers: body.layers } : writeBody(local, rest))
      return null
    }
  }

  /**
   * The `layers` body a PATCH of remote map `pk` sends: the remote's layers sync does not compare
   * (base maps, other services, catalogue layers with no copy here) stay underneath as they are;
   * the local entries follow, each by the layer's pk there. A local layer not on the remote yet
   * is left out and reported (a later sync adds it once the layer itself is pushed).
   */
  private async remoteLayersBody(binding: Binding, pk: number, entries: string[]): Promise<Record<string, unknown>[]> {
    const ctx = this.ctx
    if (!ctx.remoteMaps.has(pk)) await remoteMapLayers(ctx, pk)
    const there = ctx.remoteMaps.get(pk)
    const kept = (there?.layers ?? []).filter((l) => !there!.carried.has(l.pk))
    const wanted = entries.map(parseLayerEntry)
    const refs = wanted.map((e) => e.ref)
    const bound = refs.length
      ? await ctx.db.selectFrom('sync_bindings').select(['remote_uuid', 'remote_pk']).where('remote_id', '=', ctx.config.id).where('remote_uuid', 'in', refs).where('remote_pk', 'is not', null).execute()
      : []
    const pkOf = new Map<string, number>([...[...(there?.catalogue.values() ?? [])].map((l) => [l.uuid, l.pk] as const), ...bound.map((b) => [b.remote_uuid!, b.remote_pk!] as const)])
    const missing = wanted.filter((e) => !pkOf.has(e.ref))
    if (missing.length) await ctx.journal('push', 'update', 'skipped', { local: binding.local_id, remote: pk }, `${missing.length} of the map's layers are not on the remote yet; they follow once pushed`)
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

  private async pushDelete(binding: Binding): Promise<void> {
    const ctx = this.ctx
    if (binding.state === 'conflict') return
    const remote = await remoteView(ctx, binding.resource_type, binding.remote_pk!)
    if (!remote) {
      await ctx.db.updateTable('sync_bindings').set({ state: 'gone' }).where('id', '=', binding.id).execute()
      return
    }
    if (binding.base_hash !== FORCE_DELETE && viewHash(await asBase(ctx, remote.view)) !== binding.base_hash) {
      await recordConflicts(ctx, binding, [DELETED], null, { [DELETED]: 'deleted here' }, { [DELETED]: 'changed there' })
      await ctx.db.updateTable('sync_bindings').set({ state: 'conflict' }).where('id', '=', binding.id).execute()
      return
    }
    await ctx.remote.remove(binding.resource_type, binding.remote_pk!)
    await ctx.db.updateTable('sync_bindings').set({ state: 'gone', last_synced: ctx.clock.now() }).where('id', '=', binding.id).execute()
    ctx.summary.pushed.deleted += 1
    await ctx.journal('push', 'delete', 'ok', { remote: binding.remote_pk }, remote.dto.title)
  }

  /** Local records of followed types the remote has never seen, and creates a lost answer left open. */
  private async pushCreates(): Promise<void> {
    const ctx = this.ctx
    const remoteId = ctx.config.id
    const fresh = await ctx.db
      .selectFrom('resources as r')
      .select(['r.id', 'r.uuid', 'r.resource_type', 'r.title'])
      .where('r.resource_type', 'in', ctx.types as ResourceDto['resource_type'][] as never[])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('sync_bindings as b').select('b.id').where('b.remote_id', '=', remoteId).whereRef('b.local_uuid', '=', 'r.uuid'))))
      .orderBy('r.id')
      .execute()
    for (const row of fresh) {
      ctx.check()
      await insertBinding(ctx, { type: row.resource_type, remotePk: null, remoteUuid: null, localId: row.id, localUuid: row.uuid, state: 'creating' })
    }
    const creating = await ctx.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', remoteId).where('state', '=', 'creating').orderBy('id').execute()
    for (const binding of creating) {
      ctx.check()
      if (binding.local_id === null) {
        await ctx.db.deleteFrom('sync_bindings').where('id', '=', binding.id).execute()
        continue
      }
      try {
        await this.pushCreate(binding)
      } catch (error) {
        if (error instanceof SyncCancelled || error instanceof TransientError) throw error
        await ctx.journal('push', 'create', 'failed', { local: binding.local_id }, describe(error))
      }
    }
  }

  /**
   * Retry-safe create: the intent (a 'creating' binding) is written before the request; if an
   * earlier attempt may have reached the remote (its answer was lost), the remote is searched
   * for the record first and adopted instead of created twice.
   */
  private async pushCreate(binding: Binding): Promise<void> {
    const ctx = this.ctx
    const type = binding.resource_type
    const local = await ctx.local.view(binding.local_id!, type, true, ctx.config.id)
    const dto = await ctx.local.render(binding.local_id!, type)
    let created: ResourceDto | null = null
    if (binding.create_started && binding.last_synced) created = await this.findLostCreate(type, dto.title, binding.create_started)
    if (!created) {
      await ctx.db.updateTable('sync_bindings').set({ last_synced: ctx.clock.now(), create_started: binding.create_started ?? ctx.clock.now() }).where('id', '=', binding.id).execute()
      created = (await createWithFiles(ctx, binding, dto)) ?? (await this.createFromFields(type, local, dto))
    }
    const pk = Number(created.pk)
    // Fields the create could not carry (a file upload takes a title and little else) go in a PATCH.
    const made = await remoteView(ctx, type, pk)
    if (made) {
      const missing = Object.keys(local).filter((f) => f !== 'perms' && !same(local[f], made.view[f]))
      if (missing.length) await this.patchRemote({ ...binding, remote_pk: pk }, local, missing)
    }
    if (local.perms) {
      const full = await ctx.remote.perms(pk)
      if (full) await ctx.remote.setPerms(pk, mergedPermBody(restrictToRemoteAccount(local.perms as Record<string, string[]>), full, await ctx.local.knownHolders(normalisePerms(full))))
    }
    const after = await remoteView(ctx, type, pk)
    await ctx.db.updateTable('sync_bindings').set({ remote_pk: pk, remote_uuid: created.uuid, state: 'synced' }).where('id', '=', binding.id).execute()
    if (after) await saveBase(ctx, binding.id, after.view, after.dto.last_updated)
    ctx.summary.pushed.created += 1
    await ctx.journal('push', 'create', 'ok', { local: binding.local_id, remote: pk }, created.title)
  }

  private createFromFields(type: string, local: SyncView, dto: ResourceDto): Promise<ResourceDto> {
    const fields = Object.keys(local).filter((f) => f !== 'perms')
    const body: Record<string, unknown> = { ...writeBody(local, fields), resource_type: type }
    if (type === 'geoapp' || type === 'geostory' || type === 'dashboard') {
      body.name = dto.name ?? dto.title
      body.owner = this.ctx.config.username
    }
    return this.ctx.remote.create(type, body)
  }

  /** A record this account created with this title since the attempt began, not bound yet. */
  private async findLostCreate(type: string, title: string, since: string): Promise<ResourceDto | null> {
    const ctx = this.ctx
    const endpoint = ENDPOINTS[type]!
    const page = await ctx.remote.listPage(endpoint.path, {
      'filter{title}': title,
      'filter{owner.username}': ctx.config.username,
      'filter{created.gte}': new Date(Date.parse(since) - 60_000).toISOString(),
      page_size: '10'
    })
    for (const item of page.items) {
      const bound = await ctx.db.selectFrom('sync_bindings').selectAll().where('remote_id', '=', ctx.config.id).where('remote_pk', '=', Number(item.pk)).executeTakeFirst()
      if (!bound) return item
    }
    return null
  }
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
