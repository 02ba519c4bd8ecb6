import type { Binding, SyncContext } from './context'
import { type SyncView, merge, viewHash } from './view'

// A binding's agreed state (its base), its conflicts, the three-way merge into it, and the local
// view compared with a remote one: what pull, push and reconciliation all decide with.

export async function insertBinding(ctx: SyncContext, b: { type: string; remotePk: number | null; remoteUuid: string | null; localId: number; localUuid: string; state: Binding['state'] }): Promise<Binding> {
  return ctx.db
    .insertInto('sync_bindings')
    .values({ remote_id: ctx.config.id, resource_type: b.type, remote_pk: b.remotePk, remote_uuid: b.remoteUuid, local_id: b.localId, local_uuid: b.localUuid, state: b.state, created: ctx.clock.now(), create_started: b.state === 'creating' ? ctx.clock.now() : null })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * A view as bases keep it: grants only to holders known here (a grant to a user or group this
 * side does not have cannot be carried, so it is never a difference). Every base is saved so and
 * every remote view compared with a base is read so.
 */
export async function asBase(ctx: SyncContext, view: SyncView): Promise<SyncView> {
  if (view.perms === undefined || view.perms === null) return view
  const perms = view.perms as Record<string, string[]>
  return { ...view, perms: restrict(perms, await ctx.local.knownHolders(perms)) }
}

export async function saveBase(ctx: SyncContext, bindingId: number, given: SyncView, remoteLastUpdated: string | null, state: Binding['state'] = 'synced'): Promise<void> {
  const view = await asBase(ctx, given)
  await ctx.db
    .updateTable('sync_bindings')
    .set({ base: JSON.stringify(view), base_hash: viewHash(view), remote_last_updated: remoteLastUpdated, state, last_synced: ctx.clock.now() })
    .where('id', '=', bindingId)
    .execute()
}

export async function openConflictFields(ctx: SyncContext, bindingId: number): Promise<Set<string>> {
  const rows = await ctx.db.selectFrom('sync_conflicts').select('field').where('binding_id', '=', bindingId).where('state', '=', 'open').execute()
  return new Set(rows.map((r) => r.field))
}

export async function recordConflicts(ctx: SyncContext, binding: Binding, fields: string[], base: SyncView | null, local: SyncView, remote: SyncView): Promise<void> {
  const open = await openConflictFields(ctx, binding.id)
  for (const field of fields) {
    if (open.has(field)) {
      // Still open: refresh the remote side, the user decides on what is there now.
      await ctx.db.updateTable('sync_conflicts').set({ remote_value: JSON.stringify(remote[field] ?? null), local_value: JSON.stringify(local[field] ?? null) }).where('binding_id', '=', binding.id).where('field', '=', field).where('state', '=', 'open').execute()
      continue
    }
    await ctx.db
      .insertInto('sync_conflicts')
      .values({ binding_id: binding.id, field, base_value: JSON.stringify(base?.[field] ?? null), local_value: JSON.stringify(local[field] ?? null), remote_value: JSON.stringify(remote[field] ?? null), created: ctx.clock.now() })
      .execute()
    await ctx.journal('pull', 'merge', 'conflict', { local: binding.local_id, remote: binding.remote_pk }, `${field} changed on both sides`)
  }
}

/**
 * Three-way merge of one bound record: remote-only changes are written here, local-only changes
 * are left for push (the new base is the remote state, so they still differ from it), and fields
 * changed on both sides become conflicts, keeping the local value until the user decides.
 * Answers whether both sides now agree (nothing to push, no conflict).
 */
export async function mergeInto(ctx: SyncContext, binding: Binding, local: SyncView, remote: SyncView, remoteLastUpdated: string | null): Promise<boolean> {
  const base = binding.base ? (JSON.parse(binding.base) as SyncView) : null
  const result = merge(base, local, remote)
  const open = await openConflictFields(ctx, binding.id)
  const toLocal = result.toLocal.filter((f) => !open.has(f))
  if (toLocal.length) {
    await ctx.local.apply(binding.local_id!, binding.resource_type, remote, toLocal, ctx.config.id)
    ctx.summary.pulled.updated += 1
    await ctx.journal('pull', 'update', 'ok', { local: binding.local_id, remote: binding.remote_pk }, toLocal.join(', '))
  }
  if (result.conflicts.length) await recordConflicts(ctx, binding, result.conflicts, base, local, remote)
  const conflicted = result.conflicts.length > 0 || open.size > 0
  await saveBase(ctx, binding.id, remote, remoteLastUpdated, conflicted ? 'conflict' : 'synced')
  return !conflicted && result.toRemote.length === 0
}

/**
 * The local view comparable with a remote one: grants restricted to holders both sides know
 * (a grant to a user the other side does not have cannot be carried, so it is not a difference).
 */
export async function comparableLocal(ctx: SyncContext, localId: number, type: string, remote: SyncView): Promise<SyncView> {
  const local = await ctx.local.view(localId, type, remote.perms !== undefined, ctx.config.id)
  if (remote.perms !== undefined) {
    const known = await ctx.local.knownHolders(remote.perms as Record<string, string[]> | null)
    remote.perms = restrict(remote.perms as Record<string, string[]> | null, known)
    const there = await holdersOnRemote(ctx, Object.keys(local.perms ?? {}), remote.perms as Record<string, string[]> | null)
    local.perms = restrict(local.perms as Record<string, string[]> | null, there)
  }
  return local
}

/** Which of these holders exist on the remote (asked once per run and holder). */
export async function holdersOnRemote(ctx: SyncContext, holders: string[], remotePerms: Record<string, string[]> | null): Promise<Set<string>> {
  const out = new Set<string>(Object.keys(remotePerms ?? {}))
  for (const holder of holders) {
    if (out.has(holder)) continue
    if (holder === 'group:anonymous' || holder === 'group:registered-members' || holder === `user:${ctx.config.username}`) {
      out.add(holder)
      continue
    }
    let exists = ctx.remoteHolders.get(holder)
    if (exists === undefined) {
      const [kind, ...rest] = holder.split(':')
      const name = rest.join(':')
      const page = kind === 'user' ? await ctx.remote.listPage('users', { 'filter{username}': name, page_size: '1' }) : await ctx.remote.listPage('groups', { 'filter{slug}': name, page_size: '1' })
      exists = page.items.length > 0
      ctx.remoteHolders.set(holder, exists)
    }
    if (exists) out.add(holder)
  }
  return out
}

function restrict(perms: Record<string, string[]> | null, known: Set<string>): Record<string, string[]> | null {
  if (!perms) return perms
  return Object.fromEntries(Object.entries(perms).filter(([holder]) => known.has(holder)))
}
