import { createHash } from 'node:crypto'
import type { MapLayerDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'

/**
 * The part of a resource that sync carries, normalised so that the local and the remote rendering
 * of the same state compare equal (both speak GeoNode's API v2): plain values, sorted lists,
 * code lists by identifier, datetimes to the second, permissions by user and group name.
 */
export type SyncValue = string | number | boolean | null | string[] | Record<string, string[]>
export type SyncView = Record<string, SyncValue>

const TEXT = [
  'title', 'abstract', 'purpose', 'attribution', 'doi', 'date_type', 'edition', 'maintenance_frequency',
  'constraints_other', 'language', 'supplemental_information', 'data_quality_statement'
] as const
const DATES = ['date', 'temporal_extent_start', 'temporal_extent_end'] as const
const CODES = ['category', 'license', 'restriction_code_type', 'spatial_representation_type'] as const
const FLAGS = ['is_published', 'featured'] as const
const MAP = ['zoom', 'projection', 'center_x', 'center_y'] as const

/** Fields a push may send back as they are (same names on the write side). */
export const WRITABLE_FIELDS: readonly string[] = [...TEXT, ...DATES, ...CODES, ...FLAGS, ...MAP, 'keywords', 'regions', 'data', 'doc_url']

/** Free-text fields that take '' for empty (servers may require them present, e.g. abstract). */
const BLANKABLE = new Set(['title', 'abstract', 'purpose', 'attribution', 'supplemental_information', 'data_quality_statement', 'constraints_other', 'edition', 'doi'])

function second(value: unknown): string | null {
  if (typeof value !== 'string' || !value) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? value : new Date(Math.floor(ms / 1000) * 1000).toISOString()
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null
  const s = String(value)
  return s === '' ? null : s
}

/** Grants by holder name, each list sorted, holders sorted (the owner's full set included). */
export function normalisePerms(perms: PermSpecDto | null | undefined): Record<string, string[]> | null {
  if (!perms) return null
  const out: Record<string, string[]> = {}
  for (const [kind, holders] of [['user', perms.users], ['group', perms.groups]] as const) {
    for (const [name, codes] of Object.entries(holders ?? {})) {
      if (Array.isArray(codes) && codes.length) out[`${kind}:${name}`] = [...codes].sort()
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
}

/** One catalogue layer of a map as sync compares it: the layer by its uuid on the remote, its opacity and visibility. */
export interface MapLayerEntry {
  ref: string
  opacity: number
  visibility: boolean
}

/**
 * A map's catalogue layers in stack order, each as `<uuid> <opacity> visible|hidden`. The uuid is
 * the layer's on the remote (a layer pulled from there keeps it; one pushed there is bound to it),
 * so both sides name the same layer alike. Layers outside the catalogue (base maps, other services)
 * differ between servers by design and are left out.
 */
export function layerEntries(entries: MapLayerEntry[]): string[] {
  return entries.map((e) => `${e.ref} ${Math.round(e.opacity * 100) / 100} ${e.visibility ? 'visible' : 'hidden'}`)
}

export function parseLayerEntry(entry: string): MapLayerEntry {
  const [ref = '', opacity = '1', visibility = 'visible'] = entry.split(' ')
  return { ref, opacity: Number(opacity), visibility: visibility === 'visible' }
}

/** A layer entry for people: the layer's title (by its uuid), its opacity when not full, and whether it is hidden. */
export function describeLayerEntry(entry: MapLayerEntry, titles: Map<string, string>): string {
  const notes = [...(entry.opacity < 1 ? [`opacity ${Math.round(entry.opacity * 100)}%`] : []), ...(entry.visibility ? [] : ['hidden'])]
  const name = titles.get(entry.ref) ?? `a layer not here (${entry.ref})`
  return notes.length ? `${name} (${notes.join(', ')})` : name
}

/** A map layer as served (GET /maps/{id}/layers) back to a `layers` item of a write, without its pk. */
export function mapLayerWrite(layer: MapLayerDto): Record<string, unknown> {
  const { pk: _pk, local: _local, ...fields } = layer
  return fields
}

/** `layers`: a map's catalogue layers (layerEntries), when they were read. */
export function toView(dto: ResourceDto, perms?: PermSpecDto | null, layers?: string[]): SyncView {
  const view: SyncView = {}
  for (const field of TEXT) view[field] = text(dto[field])
  for (const field of DATES) view[field] = second(dto[field])
  for (const field of CODES) view[field] = (dto[field] as { identifier?: string } | null)?.identifier ?? null
  for (const field of FLAGS) view[field] = Boolean(dto[field])
  view.keywords = (dto.keywords ?? []).map((k) => k.name).sort()
  view.regions = (dto.regions ?? []).map((r) => r.code).sort()
  if (dto.resource_type === 'map') for (const field of MAP) view[field] = (dto[field] as number | string | null | undefined) ?? null
  if (dto.resource_type === 'map' && layers !== undefined) view.layers = layers
  if (['geoapp', 'geostory', 'dashboard'].includes(dto.resource_type) && dto.data !== undefined) view.data = JSON.stringify(dto.data ?? null)
  // A document that is a link carries its URL; one with a file carries the file (its href is the server's own).
  if (dto.resource_type === 'document') {
    const href = typeof dto.href === 'string' ? dto.href : null
    view.doc_url = href && !/\/documents\/\d+\/download\/?$/.test(href) ? href : null
  }
  if (perms !== undefined) {
    // The owner always holds every right (each server forces it) and ownership is not synced, so
    // the owner's row says nothing about the record: left out on both sides.
    const normalised = normalisePerms(perms)
    if (normalised && dto.owner?.username) delete normalised[`user:${dto.owner.username}`]
    view.perms = normalised
  }
  return view
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v))
}

export function viewHash(view: SyncView): string {
  return createHash('sha256').update(canonical(view)).digest('hex')
}

export const same = (a: unknown, b: unknown) => canonical(a ?? null) === canonical(b ?? null)

export interface MergeResult {
  /** The agreed state after the merge (conflicted fields keep the local value). */
  merged: SyncView
  /** Fields to write locally (the remote changed them, the local side did not). */
  toLocal: string[]
  /** Fields to write remotely (the local side changed them, the remote did not). */
  toRemote: string[]
  /** Fields both sides changed to different values. */
  conflicts: string[]
}

/**
 * Field-by-field three-way merge: a field changed on one side only takes that side's value; a
 * field changed on both sides to the same value is agreed; to different values, a conflict.
 */
export function merge(base: SyncView | null, local: SyncView, remote: SyncView): MergeResult {
  const fields = new Set([...Object.keys(local), ...Object.keys(remote)])
  const merged: SyncView = {}
  const toLocal: string[] = []
  const toRemote: string[] = []
  const conflicts: string[] = []
  for (const field of fields) {
    const l = local[field] ?? null
    const r = remote[field] ?? null
    if (same(l, r)) {
      merged[field] = l
      continue
    }
    // Without a base (first meeting of two records) every difference is a conflict.
    const b = base ? (base[field] ?? null) : undefined
    if (b !== undefined && same(b, l)) {
      merged[field] = r
      toLocal.push(field)
    } else if (b !== undefined && same(b, r)) {
      merged[field] = l
      toRemote.push(field)
    } else {
      merged[field] = l
      conflicts.push(field)
    }
  }
  return { merged, toLocal, toRemote, conflicts }
}

/** A view's fields as a write body (code lists by identifier, keywords by name, regions by code). */
export function writeBody(view: SyncView, fields: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const field of fields) {
    // Grants go through set_perms, map layers by the ids each side knows them by (the engine's).
    if (field === 'perms' || field === 'layers') continue
    const value = view[field] ?? null
    // A document with a file has no URL to send: its file travels as the file.
    if (field === 'doc_url' && value === null) continue
    if ((CODES as readonly string[]).includes(field)) body[field] = value === null ? null : { identifier: value }
    else if (field === 'data') body.data = value === null ? null : JSON.parse(value as string)
    else if (BLANKABLE.has(field) && value === null) body[field] = ''
    else body[field] = value
  }
  return body
}

/** A normalised permission view back to set_perms' body. */
export function permBody(perms: Record<string, string[]> | null): { users: Record<string, string[]>; groups: Record<string, string[]> } {
  const users: Record<string, string[]> = {}
  const groups: Record<string, string[]> = {}
  for (const [holder, codes] of Object.entries(perms ?? {})) {
    const [kind, ...rest] = holder.split(':')
    const name = rest.join(':')
    if (kind === 'user') users[name] = codes
    else groups[name] = codes
  }
  return { users, groups }
}
