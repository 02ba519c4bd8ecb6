import type { MapLayerDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'
import { PAGE_SIZE, type SyncContext } from './context'
import { SyncCancelled } from './remote'
import { type SyncView, layerEntries, toView } from './view'

// Remote records as sync reads them: a listing's query, one record whole (detail, grants, a
// map's layers), a page of them read ahead, and the view sync compares.

/** Remote reads a pull keeps in flight while it writes what came back. */
const READ_AHEAD = 8

/** A remote map's layers (GET /maps/{pk}/layers) and the catalogue layers among them (local_layers). */
interface MapLayersRead {
  layers: MapLayerDto[]
  catalogue: ResourceDto[]
}

/** One remote record as read: detail, grants (null: this account may not read them), a map's layers. */
export interface RemoteRecord {
  dto: ResourceDto
  perms: PermSpecDto | null
  map: MapLayersRead | undefined
}

export interface RemoteView {
  dto: ResourceDto
  view: SyncView
  /** A map's catalogue layers (uuids there) with no copy here when it was read. */
  missingLayers: string[]
}

/** A page's records being read from the remote (`readAhead`). */
export interface ReadAhead {
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

export function baseQuery(ctx: SyncContext): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = { 'filter{resource_type.in}': ctx.types, page_size: String(PAGE_SIZE), 'sort[]': ['last_updated', 'pk'] }
  if (ctx.config.follow_owners.length) query['filter{owner.username.in}'] = ctx.config.follow_owners
  if (ctx.config.follow_groups.length) query['filter{group.name.in}'] = ctx.config.follow_groups
  return query
}

/** The remote record as read: its detail, its grants (null where the account may not read them), a map's layers. */
export async function readRemote(ctx: SyncContext, type: string, pk: number, dto?: ResourceDto | null): Promise<RemoteRecord | null> {
  const detail = dto ?? (await ctx.remote.detail(type, pk))
  if (!detail) return null
  const [perms, map] = await Promise.all([ctx.remote.perms(pk), type === 'map' ? ctx.remote.mapLayers(pk) : undefined])
  if (map === null) return null
  return { dto: detail, perms, map }
}

/**
 * A remote record as sync compares it: grants where read (else left out), a map's catalogue
 * layers as they resolve here now; `missingLayers` names the map's catalogue layers not here yet.
 */
export async function viewOf(ctx: SyncContext, record: RemoteRecord): Promise<RemoteView> {
  const layers = record.map ? resolveMapLayers(ctx, Number(record.dto.pk), record.map, await layersHere(ctx, record.map)) : undefined
  return { dto: record.dto, view: toView(record.dto, record.perms ?? undefined, layers?.entries), missingLayers: layers?.missing ?? [] }
}

export async function remoteView(ctx: SyncContext, type: string, pk: number, dto?: ResourceDto | null): Promise<RemoteView | null> {
  const record = await readRemote(ctx, type, pk, dto)
  return record ? viewOf(ctx, record) : null
}

/** The remote map's catalogue layers (by uuid there) that have a copy here. */
async function layersHere(ctx: SyncContext, read: MapLayersRead): Promise<Set<string>> {
  return new Set((await ctx.local.layersByRef(read.catalogue.map((l) => l.uuid), ctx.config.id)).keys())
}

/**
 * A remote map's catalogue layers as view entries (by the layer's uuid there), in stack order.
 * Layers that have no copy here (not followed, not visible, or not pulled yet) cannot be carried,
 * so they are not a difference: left out, and kept there by a push (its `remoteLayersBody`). A map
 * pulled before its layer gets it in the same run: the push phase compares the map again once
 * one of its missing layers is here (its `stillSettled`).
 */
function resolveMapLayers(ctx: SyncContext, pk: number, read: MapLayersRead, here: Set<string>): { entries: string[]; missing: string[] } {
  const catalogue = new Map(read.catalogue.filter((l) => l.alternate).map((l) => [l.alternate!, { uuid: l.uuid, pk: Number(l.pk) }]))
  const ordered = [...read.layers].sort((a, b) => a.stack_order - b.stack_order || a.pk - b.pk)
  const candidates = ordered.filter((l) => l.local && l.name !== null && catalogue.has(l.name))
  const carried = candidates.filter((l) => here.has(catalogue.get(l.name!)!.uuid))
  const missing = candidates.filter((l) => !here.has(catalogue.get(l.name!)!.uuid)).map((l) => catalogue.get(l.name!)!.uuid)
  ctx.remoteMaps.set(pk, { layers: ordered, catalogue, carried: new Set(carried.map((l) => l.pk)) })
  return { entries: layerEntries(carried.map((l) => ({ ref: catalogue.get(l.name!)!.uuid, opacity: l.opacity, visibility: l.visibility }))), missing }
}

export async function remoteMapLayers(ctx: SyncContext, pk: number): Promise<void> {
  const read = await ctx.remote.mapLayers(pk)
  if (read) resolveMapLayers(ctx, pk, read, await layersHere(ctx, read))
}

/**
 * Reads a page's records from the remote ahead of applying them, a few requests at a time, so the
 * remote answers while this side writes: their details in one request per type (their type's
 * list filtered by pk), then each one's grants (and a map's layers). Nothing is written here.
 */
export function readAhead(ctx: SyncContext, items: { pk: number; type: string }[]): ReadAhead {
  const byType = new Map<string, number[]>()
  for (const item of items) byType.set(item.type, [...(byType.get(item.type) ?? []), item.pk])
  const details = new Map([...byType].map(([type, pks]) => [type, handled(ctx.remote.details(type, pks))] as const))
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
          return dto ? readRemote(ctx, item.type, pk, dto) : null
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
