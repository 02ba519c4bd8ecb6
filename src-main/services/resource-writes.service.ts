import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { z } from 'zod'
import type { ResourceDto } from '../../src-shared/api/dto'
import { ANONYMOUS_GROUP, CHANGE, CHANGE_METADATA, CHANGE_PERMISSIONS, DELETE, PUBLISH, applicablePermissions, publicPermissions } from '../../src-shared/api/permissions'
import { ResourceUpdate } from '../../src-shared/api/schemas'
import type { Clock } from '../clock'
import type { Db } from '../db/database'
import { nextId } from '../db/id-sequences'
import type { Database } from '../db/schema'
import { slugify } from '../db/reference-data'
import { findHeldCodenames } from '../db/repositories/resource-related.repository'
import { PermissionDenied, ValidationError } from '../errors'
import { validate } from '../validate'
import { normaliseDatetime } from '../query/drest.kysely'
import { docTypeOf } from '../ingest/thumbnail'
import type { DrestQuery } from '../query/drest.parse'
import { type Caller, isAdmin } from './caller'
import type { ResourceService } from './resources.service'
import type { ResourceEndpoint } from './serializers/resource.serializer'

type Update = z.output<typeof ResourceUpdate>
type Trx = Transaction<Database>
type Reference = number | string | Record<string, unknown>

const PUBLISHING = ['featured', 'is_published', 'is_approved'] as const
const LAYER_FIELDS = ['is_mosaic', 'has_time', 'has_elevation', 'time_regex', 'elevation_regex', 'use_featureinfo_custom_template', 'featureinfo_custom_template'] as const
const MAP_FIELDS = ['zoom', 'projection', 'center_x', 'center_y', 'urlsuffix', 'featuredurl'] as const
const APP_FIELDS = ['name', 'zoom', 'projection', 'center_x', 'center_y', 'urlsuffix'] as const
const APP_TYPES = new Set(['geoapp', 'geostory', 'dashboard'])

/** The app blob: `data` (or `blob`), an object or JSON text; null when neither was sent. */
function appBlob(update: Update): string | null | undefined {
  const value = update.data !== undefined ? update.data : update.blob
  if (value === undefined) return undefined
  if (value === null) return null
  if (typeof value === 'string') {
    try {
      JSON.parse(value)
    } catch {
      throw new ValidationError({ data: ['Value must be valid JSON.'] })
    }
    return value
  }
  const text = JSON.stringify(value)
  if (text.length > 16 * 1024 * 1024) throw new ValidationError({ data: ['The app data may not exceed 16 MB.'] })
  return text
}
const TEXT_FIELDS = [
  'title', 'abstract', 'purpose', 'attribution', 'doi', 'date_type', 'edition', 'maintenance_frequency', 'constraints_other',
  'language', 'supplemental_information', 'data_quality_statement', 'thumbnail_url'
] as const
const CODE_LISTS = {
  category: ['topic_categories', 'category_id', 'TopicCategory'],
  license: ['licenses', 'license_id', 'License'],
  restriction_code_type: ['restriction_code_types', 'restriction_code_type_id', 'RestrictionCodeType'],
  spatial_representation_type: ['spatial_representation_types', 'spatial_representation_type_id', 'SpatialRepresentationType']
} as const

const bool = (value: boolean) => (value ? 1 : 0)

/** The key a client used to name a related row: a pk, a string, or an object carrying one. */
function keyOf(ref: Reference, names: string[]): number | string | undefined {
  if (typeof ref === 'number' || typeof ref === 'string') return ref
  for (const name of ['pk', 'id', ...names]) {
    const value = ref[name]
    if (typeof value === 'number' || typeof value === 'string') return value
  }
  return undefined
}

function invalid(field: string, model: string, key: unknown): ValidationError {
  const label = typeof key === 'number' ? `ID=${key}` : `"${String(key)}"`
  return new ValidationError({ [field]: [`Invalid value for '${field}': ${model} object with ${label} not found`] })
}

/** Lon/lat box of a polygon; refuses coordinates outside EPSG:4326. */
function lonLatBox(field: string, polygon: { coordinates: number[][][] }): [number, number, number, number] {
  const points = polygon.coordinates.flat()
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  const box: [number, number, number, number] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
  if (box[0] < -180 || box[2] > 180 || box[1] < -90 || box[3] > 90) {
    throw new ValidationError({ [field]: ['Coordinates must lie within longitude -180..180 and latitude -90..90.'] })
  }
  return box
}

/** The `id` of a bulk item: a number or a numeric string (resource pks are strings on the wire). */
function itemId(item: unknown): number | undefined {
  if (!item || typeof item !== 'object') return undefined
  const raw = (item as Record<string, unknown>).id ?? (item as Record<string, unknown>).pk
  const id = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined
}

const unwrapPlain = (body: unknown) => (body && typeof body === 'object' && !Array.isArray(body) ? body : {})

/** Columns a set-based patch-all may write: plain values of the resource row, nothing related. */
function plainColumns(update: Update): Record<string, unknown> {
  const columns: Record<string, unknown> = {}
  const refused: string[] = []
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue
    if ((TEXT_FIELDS as readonly string[]).includes(key)) columns[key] = value
    else if ([...PUBLISHING, 'metadata_only'].includes(key)) columns[key] = bool(value as boolean)
    else if (['popular_count', 'share_count', 'rating'].includes(key)) columns[key] = Number(value)
    else if (key === 'date') columns[key] = normaliseDatetime(value as string)
    else refused.push(key)
  }
  if (refused.length) throw new ValidationError({ non_field_errors: [`patch-all=query sets plain fields only; use patch-all=true for: ${refused.join(', ')}.`] })
  if (Object.keys(columns).length === 0) throw new ValidationError({ non_field_errors: ['Nothing to change.'] })
  return columns
}

/** A bulk item was refused: nothing was written; the answer names the item (spec 1.7). */
export class BulkError extends Error {
  constructor(
    readonly index: number,
    readonly fields: Record<string, string[]> | string[]
  ) {
    super(`item ${index} is invalid`)
  }
}

export type ResourceWriteService = ReturnType<typeof createResourceWriteService>

export function createResourceWriteService(deps: { db: Db; clock: Clock; resources: ResourceService; contributorsGroupId: number; afterDelete?: (uuids: string[]) => void }) {
  const { db, clock, resources, contributorsGroupId } = deps
  /** After resources are deleted: their files and layer data are cleared off the request path. */
  const afterDelete = (uuids: string[]) => deps.afterDelete?.(uuids)

  const heldCodenames = (caller: Caller, id: number) => findHeldCodenames(db, id, caller.userId, caller.groupIds)

  /** Each kind of change needs its own codename (spec 4.1); superusers and staff need none. */
  async function assertMayChange(caller: Caller, id: number, update: Update): Promise<void> {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    if (isAdmin(caller)) return
    const held = await heldCodenames(caller, id)
    const needed = new Set<string>()
    for (const key of Object.keys(update)) {
      if ((PUBLISHING as readonly string[]).includes(key)) needed.add(PUBLISH)
      else if (key === 'owner') needed.add(CHANGE_PERMISSIONS)
      else if (key === 'data' || key === 'blob') needed.add(CHANGE)
      else needed.add(CHANGE_METADATA)
    }
    if (needed.size === 0) needed.add(CHANGE_METADATA)
    for (const codename of needed) if (!held.has(codename)) throw new PermissionDenied()
  }

  /** The id of the row a client named by pk (a number) or by its name column (a string). */
  async function idOf(trx: Trx, table: 'users' | 'auth_groups' | (typeof CODE_LISTS)[keyof typeof CODE_LISTS][0], nameColumn: string, key: unknown) {
    if (typeof key !== 'number' && typeof key !== 'string') return undefined
    const column = typeof key === 'number' ? 'id' : nameColumn
    const row = await trx.selectFrom(table as 'users').select('id').where(column as 'id', '=', key as number).executeTakeFirst()
    return row?.id
  }

  async function codeListId(trx: Trx, field: keyof typeof CODE_LISTS, ref: Reference | null): Promise<number | null> {
    if (ref === null) return null
    const [table, , model] = CODE_LISTS[field]
    const key = keyOf(ref, ['identifier'])
    const id = await idOf(trx, table, 'identifier', key)
    if (id === undefined) throw invalid(field, model, key)
    return id
  }

  async function userId(trx: Trx, field: string, ref: Reference): Promise<number> {
    const key = keyOf(ref, ['username'])
    const id = await idOf(trx, 'users', 'username', key)
    if (id === undefined || id === -1) throw invalid(field, 'User', key)
    return id
  }

  async function groupId(trx: Trx, ref: Reference | null): Promise<number | null> {
    if (ref === null) return null
    const key = keyOf(ref, ['name', 'slug'])
    const id = await idOf(trx, 'auth_groups', 'name', key)
    if (id === undefined) throw invalid('group', 'Group', key)
    return id
  }

  /** Keywords by name (created when new, as django-taggit does), slug or pk. */
  async function keywordIds(trx: Trx, refs: Reference[], now: string): Promise<number[]> {
    const ids: number[] = []
    for (const ref of refs) {
      const key = keyOf(ref, ['name', 'slug'])
      if (typeof key === 'number') {
        const row = await trx.selectFrom('keywords').select('id').where('id', '=', key).executeTakeFirst()
        if (!row) throw invalid('keywords', 'HierarchicalKeyword', key)
        ids.push(row.id)
        continue
      }
      const name = typeof key === 'string' ? key.trim() : ''
      if (!name || name.length > 255) throw new ValidationError({ keywords: ['Each keyword needs a name of 1 to 255 characters.'] })
      const slug = slugify(name) || name.toLowerCase()
      const found = await trx.selectFrom('keywords').select('id').where((eb) => eb.or([eb('name', '=', name), eb('slug', '=', slug)])).executeTakeFirst()
      if (found) {
        ids.push(found.id)
        continue
      }
      const created = await trx
        .insertInto('keywords')
        .values({ name, slug, path: '', depth: 1, numchild: 0, created: now, last_updated: now })
        .returning('id')
        .executeTakeFirstOrThrow()
      ids.push(created.id)
    }
    return [...new Set(ids)]
  }

  async function lookupIds(trx: Trx, field: 'regions' | 'tkeywords', refs: Reference[]): Promise<number[]> {
    const ids: number[] = []
    for (const ref of refs) {
      const key = keyOf(ref, field === 'regions' ? ['code', 'name'] : ['slug', 'uri', 'name'])
      let row: { id: number } | undefined
      if (typeof key === 'number') {
        row = await trx.selectFrom(field === 'regions' ? 'regions' : 'thesaurus_keywords').select('id').where('id', '=', key).executeTakeFirst()
      } else if (typeof key === 'string' && field === 'regions') {
        row = await trx.selectFrom('regions').select('id').where((eb) => eb.or([eb('code', '=', key), eb('name', '=', key)])).executeTakeFirst()
      } else if (typeof key === 'string') {
        row = await trx.selectFrom('thesaurus_keywords').select('id').where((eb) => eb.or([eb('slug', '=', key), eb('about', '=', key)])).executeTakeFirst()
      }
      if (!row) throw invalid(field, field === 'regions' ? 'Region' : 'ThesaurusKeyword', key)
      ids.push(row.id)
    }
    return [...new Set(ids)]
  }

  async function replaceLinks(trx: Trx, table: 'resource_keywords' | 'resource_regions' | 'resource_tkeywords', column: 'keyword_id' | 'region_id' | 'tkeyword_id', id: number, wanted: number[], now: string) {
    const rows = (await trx.selectFrom(table).selectAll().where('resource_id', '=', id).execute()) as unknown as Record<string, number>[]
    const current = rows.map((r) => r[column])
    const gone = current.filter((ref) => !wanted.includes(ref))
    const added = wanted.filter((ref) => !current.includes(ref))
    if (gone.length) await trx.deleteFrom(table).where('resource_id', '=', id).where(column as 'keyword_id', 'in', gone).execute()
    if (added.length) {
      await trx
        .insertInto(table)
        .values(added.map((ref) => ({ resource_id: id, [column]: ref, created: now, last_updated: now }) as never))
        .execute()
    }
  }

  function datetime(field: string, value: string | null | undefined): string | null | undefined {
    if (value === null || value === undefined) return value
    const normalised = normaliseDatetime(value)
    if (!normalised) throw new ValidationError({ [field]: ['Datetime has wrong format.'] })
    return normalised
  }

  /** A map's layers, replaced as a whole in the order given (stack_order when sent, else position). */
  async function replaceMapLayers(trx: Trx, mapId: number, layers: NonNullable<Update['layers']>, now: string): Promise<void> {
    await trx.deleteFrom('map_layers').where('map_id', '=', mapId).execute()
    for (const [index, layer] of layers.entries()) {
      const datasetId = layer.dataset == null ? null : Number(layer.dataset)
      const dataset = datasetId === null ? undefined : await trx.selectFrom('resources').select('alternate').where('id', '=', datasetId).executeTakeFirst()
      const asText = (value: unknown, fallback: string) => (value === undefined ? fallback : typeof value === 'string' ? value : JSON.stringify(value))
      await trx
        .insertInto('map_layers')
        .values({
          id: nextId('map_layers'),
          uuid: randomUUID(),
          map_id: mapId,
          dataset_id: datasetId,
          stack_order: layer.stack_order ?? index,
          name: layer.name ?? dataset?.alternate ?? null,
          store: layer.store ?? (datasetId !== null ? 'geonode_data' : null),
          format: layer.format ?? (datasetId !== null ? 'image/png' : null),
          opacity: layer.opacity ?? 1,
          styles: layer.styles ?? '',
          transparent: bool(layer.transparent ?? datasetId !== null),
          fixed: bool(layer.fixed ?? false),
          group_name: layer.group ?? null,
          visibility: bool(layer.visibility ?? true),
          ows_url: layer.ows_url ?? null,
          layer_params: asText(layer.layer_params, '{}'),
          source_params: asText(layer.source_params, datasetId !== null ? '{"ptype": "gxp_wmscsource"}' : '{}'),
          local: bool(datasetId !== null),
          created: now,
          last_updated: now
        })
        .execute()
    }
  }

  /** Catalogue layers a map names must exist and be visible to the caller. */
  async function checkMapLayers(caller: Caller, update: Update): Promise<void> {
    for (const layer of update.layers ?? []) {
      if (layer.dataset == null) continue
      try {
        await resources.findVisibleId('layers', caller, Number(layer.dataset))
      } catch {
        throw new ValidationError({ layers: [`Layer ${layer.dataset} does not exist or is not visible to you.`] })
      }
    }
  }

  async function apply(trx: Trx, id: number, type: string, update: Update): Promise<void> {
    const now = clock.now()
    const row: Record<string, unknown> = { last_updated: now }
    for (const field of TEXT_FIELDS) if (update[field] !== undefined) row[field] = update[field]
    for (const field of ['date', 'temporal_extent_start', 'temporal_extent_end'] as const) {
      const value = datetime(field, update[field])
      if (value !== undefined) row[field] = value
    }
    const current = await trx.selectFrom('resources').select(['temporal_extent_start', 'temporal_extent_end', 'srid']).where('id', '=', id).executeTakeFirstOrThrow()
    const start = (row.temporal_extent_start ?? current.temporal_extent_start) as string | null
    const end = (row.temporal_extent_end ?? current.temporal_extent_end) as string | null
    if (start && end && start > end) throw new ValidationError({ temporal_extent_end: ['The end of the temporal extent must not be before its start.'] })
    for (const field of ['popular_count', 'share_count', 'rating'] as const) if (update[field] !== undefined) row[field] = Number(update[field])
    for (const field of [...PUBLISHING, 'metadata_only'] as const) if (update[field] !== undefined) row[field] = bool(update[field] as boolean)
    if (update.srid !== undefined) row.srid = update.srid.startsWith('EPSG:') ? update.srid : `EPSG:${update.srid}`
    if (update.bbox_polygon !== undefined) row.bbox_polygon = update.bbox_polygon ? JSON.stringify(update.bbox_polygon) : null
    const srid = (row.srid ?? current.srid) as string
    const lonLat = update.ll_bbox_polygon !== undefined ? update.ll_bbox_polygon : srid === 'EPSG:4326' ? update.bbox_polygon : undefined
    if (lonLat !== undefined) {
      const box = lonLat ? lonLatBox(update.ll_bbox_polygon !== undefined ? 'll_bbox_polygon' : 'bbox_polygon', lonLat) : null
      Object.assign(row, {
        ll_bbox_polygon: lonLat ? JSON.stringify(lonLat) : null,
        ll_minx: box?.[0] ?? null,
        ll_miny: box?.[1] ?? null,
        ll_maxx: box?.[2] ?? null,
        ll_maxy: box?.[3] ?? null
      })
    }
    for (const field of Object.keys(CODE_LISTS) as (keyof typeof CODE_LISTS)[]) {
      if (update[field] !== undefined) row[CODE_LISTS[field][1]] = await codeListId(trx, field, update[field] as Reference | null)
    }
    if (update.group !== undefined) row.group_id = await groupId(trx, update.group as Reference | null)
    if (update.owner !== undefined) row.owner_id = await userId(trx, 'owner', update.owner as Reference)
    for (const field of ['poc', 'metadata_author'] as const) {
      if (update[field] !== undefined) row[`${field}_id`] = update[field] === null ? null : await userId(trx, field, update[field] as Reference)
    }
    await trx
      .updateTable('resources')
      .set((eb) => ({ ...row, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute()
    if (update.keywords !== undefined) await replaceLinks(trx, 'resource_keywords', 'keyword_id', id, await keywordIds(trx, update.keywords as Reference[], now), now)
    if (update.regions !== undefined) await replaceLinks(trx, 'resource_regions', 'region_id', id, await lookupIds(trx, 'regions', update.regions as Reference[]), now)
    if (update.tkeywords !== undefined) await replaceLinks(trx, 'resource_tkeywords', 'tkeyword_id', id, await lookupIds(trx, 'tkeywords', update.tkeywords as Reference[]), now)

    if (type === 'map' && update.layers !== undefined) await replaceMapLayers(trx, id, update.layers, now)
    const isApp = APP_TYPES.has(type)
    const extension = type === 'layer' ? LAYER_FIELDS : type === 'map' ? MAP_FIELDS : isApp ? APP_FIELDS : []
    const extra: Record<string, unknown> = {}
    for (const field of extension) {
      const value = update[field]
      if (value !== undefined) extra[field] = typeof value === 'boolean' ? bool(value) : value
    }
    if (isApp) {
      const blob = appBlob(update)
      if (blob !== undefined) extra.data = blob
      if (typeof extra.name === 'string') {
        const taken = await trx.selectFrom('geoapps').select('resource_id').where('name', '=', extra.name).where('resource_id', '<>', id).executeTakeFirst()
        if (taken) throw new ValidationError(["A GeoApp with the same 'name' already exists!"])
      }
    }
    if (Object.keys(extra).length > 0) {
      const table = type === 'layer' ? 'layers' : type === 'map' ? 'maps' : 'geoapps'
      await trx
        .updateTable(table)
        .set((eb) => ({ ...extra, last_updated: now, version: eb('version', '+', 1) }))
        .where('resource_id', '=', id)
        .execute()
    }
  }

  /** Inserts one resource of a family with its extension row and default grants; fields via apply(). */
  async function insertOne(trx: Trx, type: string, caller: Caller, update: Update, now: string): Promise<number> {
    const isApp = APP_TYPES.has(type)
    if (isApp) {
      if (!update.name) throw new ValidationError(["No valid data: 'name' and 'owner' are mandatory fields!"])
      const taken = await trx.selectFrom('geoapps').select('resource_id').where('name', '=', update.name).executeTakeFirst()
      if (taken) throw new ValidationError(["A GeoApp with the same 'name' already exists!"])
    } else if (!update.title) {
      throw new ValidationError({ title: ['This field is required.'] })
    }
    let ownerId = caller.userId
    if (type === 'geoapp') {
      if (update.owner === undefined) throw new ValidationError(["No valid data: 'name' and 'owner' are mandatory fields!"])
      const key = keyOf(update.owner as Reference, ['username'])
      const owner = await idOf(trx, 'users', 'username', key)
      if (owner === undefined || owner === -1) throw new ValidationError(["The specified 'owner' does not exist!"])
      if (owner !== caller.userId && !isAdmin(caller)) throw new PermissionDenied()
      ownerId = owner
    }
    const created = await trx
      .insertInto('resources')
      .values({
        // Never a deleted resource's id (see the resource_ids migration).
        id: nextId('resources'),
        uuid: randomUUID(),
        resource_type: type as 'layer',
        owner_id: ownerId,
        title: update.title ?? update.name ?? '',
        created: now,
        last_updated: now,
        date: now
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const id = created.id
    if (type === 'layer') {
      const base = slugify(update.title as string).replace(/-/g, '_').slice(0, 60) || 'layer'
      const name = `${base}_${id}`
      await trx.updateTable('resources').set({ alternate: `geonode:${name}` }).where('id', '=', id).execute()
      await trx.insertInto('layers').values({ resource_id: id, name, store: 'geonode_data', store_type: 'dataStore', feature_count: 0, created: now, last_updated: now }).execute()
    } else if (type === 'map') {
      await trx.insertInto('maps').values({ resource_id: id, created: now, last_updated: now }).execute()
    } else if (type === 'document') {
      const extension = update.doc_url ? (/\.([a-z0-9]{1,5})(?:[?#]|$)/i.exec(new URL(update.doc_url).pathname)?.[1]?.toLowerCase() ?? null) : null
      await trx
        .insertInto('documents')
        .values({ resource_id: id, doc_url: update.doc_url ?? null, extension, doc_type: extension ? docTypeOf(extension).doc_type : 'other', mime_type: extension ? docTypeOf(extension).mime_type : null, created: now, last_updated: now })
        .execute()
    } else {
      await trx
        .insertInto('geoapps')
        .values({ resource_id: id, name: update.name as string, app_type: update.app_type ?? (type === 'geostory' ? 'GeoStory' : null), created: now, last_updated: now })
        .execute()
    }
    const { owner: _owner, name: _name, ...rest } = update
    await apply(trx, id, type, rest as Update)
    const grants = applicablePermissions(type, type === 'layer' ? 'dataStore' : null)
    await trx.insertInto('resource_user_perms').values(grants.map((codename) => ({ resource_id: id, user_id: ownerId, codename, created: now, last_updated: now }))).execute()
    const anonymous = await trx.selectFrom('auth_groups').select('id').where('name', '=', ANONYMOUS_GROUP).executeTakeFirstOrThrow()
    await trx
      .insertInto('resource_group_perms')
      .values(publicPermissions(type).map((codename) => ({ resource_id: id, group_id: anonymous.id, codename, created: now, last_updated: now })))
      .execute()
    return id
  }

  function typeFor(endpoint: ResourceEndpoint, update: Update): string {
    if (endpoint !== 'resources') return { layers: 'layer', maps: 'map', documents: 'document', geoapps: 'geoapp', geostories: 'geostory' }[endpoint]
    if (!update.resource_type) throw new ValidationError({ resource_type: ['This field is required.'] })
    return update.resource_type
  }

  return {
    /**
     * Creates one resource inside the caller's transaction with the same rules as POST (owner,
     * default grants, metadata fields): uploads create their layers and documents with it.
     */
    insertWithin(trx: Trx, type: string, caller: Caller, body: unknown, now: string): Promise<number> {
      return insertOne(trx, type, caller, validate(ResourceUpdate, body), now)
    },

    /** Applies metadata fields to a resource inside the caller's transaction (a layer's new extent after a replace). */
    applyWithin(trx: Trx, id: number, type: string, body: unknown): Promise<void> {
      return apply(trx, id, type, validate(ResourceUpdate, body))
    },

    /**
     * POST on a family's list URL: one object, or a list (bulk, all or nothing). Creating needs the
     * add_resource capability (contributors, staff, superusers).
     */
    async create(endpoint: ResourceEndpoint, caller: Caller, items: unknown[], query?: DrestQuery): Promise<ResourceDto[]> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      if (!isAdmin(caller) && !caller.groupIds.includes(contributorsGroupId)) throw new PermissionDenied()
      if (items.length === 0) throw new ValidationError({ non_field_errors: ['Expected at least one item.'] })
      if (items.length > 10_000) throw new ValidationError({ non_field_errors: ['At most 10,000 items per request.'] })
      // Everything that reads through `db` happens before the transaction: the one connection is
      // held by the transaction until it ends, so a read outside it would wait forever.
      const planned: Update[] = []
      for (const [index, item] of items.entries()) {
        try {
          const update = validate(ResourceUpdate, item)
          typeFor(endpoint, update)
          await checkMapLayers(caller, update)
          planned.push(update)
        } catch (error) {
          if (items.length > 1 && error instanceof ValidationError) throw new BulkError(index, error.fields)
          throw error
        }
      }
      const now = clock.now()
      const ids = await db.transaction().execute(async (trx) => {
        const created: number[] = []
        for (const [index, update] of planned.entries()) {
          try {
            created.push(await insertOne(trx, typeFor(endpoint, update), caller, update, now))
          } catch (error) {
            if (items.length > 1 && error instanceof ValidationError) throw new BulkError(index, error.fields)
            throw error
          }
        }
        return created
      })
      return resources.renderMany(endpoint, caller, ids, query)
    },

    /**
     * PATCH (partial) or PUT (title and abstract required) on a resource's detail URL. Read-only
     * and unknown fields are ignored, as DRF does; the whole change is one transaction.
     */
    async update(endpoint: ResourceEndpoint, caller: Caller, id: number, body: unknown, partial: boolean, query?: DrestQuery) {
      // Authentication is checked before the object is looked up (spec 1.8): anonymous is 403 even for a missing id.
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      await resources.findVisibleId(endpoint, caller, id)
      const update = validate(ResourceUpdate, body)
      // Geoapp serializers skip field validation (spec 3.7), so a PUT there needs no title either.
      if (!partial && endpoint !== 'geoapps' && endpoint !== 'geostories') {
        const missing = (['title', 'abstract'] as const).filter((f) => update[f] === undefined)
        if (missing.length) throw new ValidationError(Object.fromEntries(missing.map((f) => [f, ['This field is required.']])))
      }
      await assertMayChange(caller, id, update)
      await checkMapLayers(caller, update)
      await db.transaction().execute(async (trx) => {
        const { resource_type } = await trx.selectFrom('resources').select('resource_type').where('id', '=', id).executeTakeFirstOrThrow()
        await apply(trx, id, resource_type, update)
      })
      // Rendered without the visibility test: the change may have hidden it (metadata_only).
      return resources.renderOne(endpoint, caller, id, query)
    },

    /** Bulk PATCH on a list URL: items carry `id`; every item is checked first, then one transaction. */
    async updateMany(endpoint: ResourceEndpoint, caller: Caller, items: unknown[], query?: DrestQuery): Promise<ResourceDto[]> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      const planned: { id: number; update: Update }[] = []
      for (const [index, item] of items.entries()) {
        const id = itemId(item)
        if (id === undefined) throw new BulkError(index, { id: ['This field is required.'] })
        let update: Update
        try {
          update = validate(ResourceUpdate, item)
        } catch (error) {
          if (error instanceof ValidationError) throw new BulkError(index, error.fields)
          throw error
        }
        await resources.findVisibleId(endpoint, caller, id)
        await assertMayChange(caller, id, update)
        try {
          await checkMapLayers(caller, update)
        } catch (error) {
          if (error instanceof ValidationError) throw new BulkError(index, error.fields)
          throw error
        }
        planned.push({ id, update })
      }
      await db.transaction().execute(async (trx) => {
        for (const [index, { id, update }] of planned.entries()) {
          const { resource_type } = await trx.selectFrom('resources').select('resource_type').where('id', '=', id).executeTakeFirstOrThrow()
          try {
            await apply(trx, id, resource_type, update)
          } catch (error) {
            if (error instanceof ValidationError) throw new BulkError(index, error.fields)
            throw error
          }
        }
      })
      return resources.renderMany(endpoint, caller, planned.map((p) => p.id), query)
    },

    /**
     * `?patch-all=true`: the same rules as single updates, record by record, in one transaction.
     * `?patch-all=query`: one set-based UPDATE of plain columns. Either way only the rows the caller
     * may change are touched, and the answer is `{"meta": {"updated": N}}`.
     */
    async patchAll(caller: Caller, ids: number[], body: unknown, mode: 'true' | 'query'): Promise<number> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      const update = validate(ResourceUpdate, unwrapPlain(body))
      await checkMapLayers(caller, update)
      const allowed: number[] = []
      for (const id of ids) {
        try {
          await assertMayChange(caller, id, update)
          allowed.push(id)
        } catch (error) {
          if (!(error instanceof PermissionDenied)) throw error
        }
      }
      if (allowed.length === 0) return 0
      const now = clock.now()
      if (mode === 'query') {
        const columns = plainColumns(update)
        await db.transaction().execute(async (trx) => {
          for (let at = 0; at < allowed.length; at += 5000) {
            await trx
              .updateTable('resources')
              .set((eb) => ({ ...columns, last_updated: now, version: eb('version', '+', 1) }))
              .where('id', 'in', allowed.slice(at, at + 5000))
              .execute()
          }
        })
        return allowed.length
      }
      await db.transaction().execute(async (trx) => {
        for (const id of allowed) {
          const { resource_type } = await trx.selectFrom('resources').select('resource_type').where('id', '=', id).executeTakeFirstOrThrow()
          await apply(trx, id, resource_type, update)
        }
      })
      return allowed.length
    },

    /** Bulk DELETE on a list URL: every item checked first, then one transaction. */
    async removeMany(endpoint: ResourceEndpoint, caller: Caller, items: unknown[]): Promise<void> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      const ids: number[] = []
      for (const [index, item] of items.entries()) {
        const id = itemId(item)
        if (id === undefined) throw new BulkError(index, { id: ['This field is required.'] })
        await resources.findVisibleId(endpoint, caller, id)
        if (!isAdmin(caller) && !(await heldCodenames(caller, id)).has(DELETE)) throw new PermissionDenied()
        ids.push(id)
      }
      const withFiles = ids.length ? await db.selectFrom('resources').select('uuid').where('id', 'in', ids).where('files_dir', 'is not', null).execute() : []
      await db.transaction().execute(async (trx) => {
        if (ids.length) await trx.deleteFrom('resources').where('id', 'in', ids).execute()
      })
      afterDelete(withFiles.map((r) => r.uuid))
    },

    /** DELETE: needs delete_resourcebase; links, grants and extension rows go with the resource. */
    async remove(endpoint: ResourceEndpoint, caller: Caller, id: number): Promise<void> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      await resources.findVisibleId(endpoint, caller, id)
      if (!isAdmin(caller) && !(await heldCodenames(caller, id)).has(DELETE)) throw new PermissionDenied()
      const withFiles = await db.selectFrom('resources').select('uuid').where('id', '=', id).where('files_dir', 'is not', null).execute()
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('resources').where('id', '=', id).execute()
      })
      afterDelete(withFiles.map((r) => r.uuid))
    }
  }
}
