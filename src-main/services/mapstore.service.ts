import { sql } from 'kysely'
import type { MapLayerDto } from '../../src-shared/api/dto'
import type { Db } from '../db/database'
import { allKeys } from '../db/repositories/listing.repository'
import { MAX_JSON_DEPTH, jsonDepthWithin } from '../../src-shared/api/schemas'
import { BadRequest, NotFound, PermissionDenied, ValidationError } from '../errors'
import { type Caller, isAdmin } from './caller'
import type { ResourceWriteService } from './resource-writes.service'
import type { ResourceService } from './resources.service'
import { parseJson } from './serializers/common'

interface Attribute {
  name: string
  type?: string
  label?: string
  value?: unknown
}

interface MapStoreLayer {
  type?: string
  name?: string
  title?: string
  url?: string
  group?: string
  visibility?: boolean
  opacity?: number
  format?: string
  source?: string
}

export interface MapStoreRecord {
  id: number
  user: string
  layers: MapLayerDto[]
  name: string
  creation_date: string
  last_update: string
  data?: unknown
  attributes?: Attribute[]
}

const ATTRIBUTE_LABELS: Record<string, string> = { title: 'Title', abstract: 'Abstract' }

/** The attribute value a MapStore client sent (`name` can be title, abstract or anything with "thumb"). */
function attribute(attributes: Attribute[], predicate: (name: string) => boolean): string | undefined {
  const found = attributes.find((a) => typeof a.name === 'string' && predicate(a.name))
  return typeof found?.value === 'string' ? found.value : undefined
}

export type MapStoreService = ReturnType<typeof createMapStoreService>

/**
 * The MapStore adapter's `/mapstore/rest/resources/` (spec 6.1): one record per map the caller may
 * view, with the MapStore map configuration (`data`) and `attributes` when `full` is asked for.
 */
export function createMapStoreService(deps: { db: Db; resources: ResourceService; writes: ResourceWriteService }) {
  const { db, resources, writes } = deps

  async function records(caller: Caller, ids: number[], full: boolean): Promise<MapStoreRecord[]> {
    const out: MapStoreRecord[] = []
    for (const id of ids) {
      const row = await db
        .selectFrom('resources as r')
        .innerJoin('maps as m', 'm.resource_id', 'r.id')
        .innerJoin('users as u', 'u.id', 'r.owner_id')
        .select(['r.id', 'r.title', 'r.created', 'r.last_updated', 'u.username', 'm.mapstore_data', 'm.mapstore_attributes'])
        .where('r.id', '=', id)
        .executeTakeFirst()
      if (!row) continue
      const record: MapStoreRecord = {
        id: row.id,
        user: row.username,
        layers: await resources.mapLayerDtos(caller, id),
        name: row.title,
        creation_date: row.created,
        last_update: row.last_updated
      }
      if (full) {
        record.data = parseJson(row.mapstore_data, {})
        record.attributes = parseJson<Attribute[]>(row.mapstore_attributes, [])
      }
      out.push(record)
    }
    return out
  }

  /** MapStore's map configuration becomes the Map's fields and layers. */
  async function mapFields(body: Record<string, unknown>) {
    const data = body.data
    const attributes = body.attributes
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new BadRequest('Map Configuration (data) is Mandatory!')
    if (!Array.isArray(attributes)) throw new BadRequest('Map Metadata (attributes) are Mandatory!')
    // Kept as JSON text and served back: a value nested deeper than the API keeps anywhere would
    // overflow the stack when written (a 500), so it is refused like the other JSON fields.
    for (const [name, value] of [['data', data], ['attributes', attributes]] as const) {
      if (!jsonDepthWithin(value, MAX_JSON_DEPTH)) throw new ValidationError({ [name]: [`Ensure this value nests objects and arrays no more than ${MAX_JSON_DEPTH} levels deep.`] })
    }
    const map = ((data as { map?: Record<string, unknown> }).map ?? {}) as Record<string, unknown>
    const center = (map.center ?? {}) as { x?: unknown; y?: unknown }
    const layers: Record<string, unknown>[] = []
    for (const layer of (Array.isArray(map.layers) ? map.layers : []) as MapStoreLayer[]) {
      const name = typeof layer.name === 'string' ? layer.name : undefined
      const dataset = name
        ? await db.selectFrom('resources').select('id').where('alternate', '=', name).where('resource_type', '=', 'layer').executeTakeFirst()
        : undefined
      layers.push({
        ...(dataset ? { dataset: dataset.id } : { name: name ?? layer.title ?? layer.type ?? 'layer', ows_url: typeof layer.url === 'string' ? layer.url : null }),
        ...(layer.group ? { group: String(layer.group), fixed: layer.group === 'background' } : {}),
        ...(typeof layer.visibility === 'boolean' ? { visibility: layer.visibility } : {}),
        ...(typeof layer.opacity === 'number' && layer.opacity >= 0 && layer.opacity <= 1 ? { opacity: layer.opacity } : {}),
        ...(typeof layer.format === 'string' ? { format: layer.format } : {}),
        layer_params: { title: layer.title, type: layer.type }
      })
    }
    const list = attributes as Attribute[]
    const title = attribute(list, (n) => n === 'title') ?? (typeof body.name === 'string' ? body.name : undefined)
    const abstract = attribute(list, (n) => n === 'abstract')
    const thumbnail = attribute(list, (n) => n.includes('thumb'))
    return {
      fields: {
        ...(title !== undefined ? { title } : {}),
        ...(abstract !== undefined ? { abstract } : {}),
        ...(thumbnail && /^https?:\/\//.test(thumbnail) ? { thumbnail_url: thumbnail } : {}),
        ...(typeof map.zoom === 'number' && Number.isInteger(map.zoom) ? { zoom: map.zoom } : {}),
        ...(typeof map.projection === 'string' ? { projection: map.projection } : {}),
        ...(typeof center.x === 'number' ? { center_x: center.x } : {}),
        ...(typeof center.y === 'number' ? { center_y: center.y } : {}),
        layers
      },
      data: JSON.stringify(data),
      attributes: JSON.stringify(
        list.map((a) => ({ name: a.name, type: a.type ?? 'string', label: a.label ?? ATTRIBUTE_LABELS[a.name] ?? a.name, value: a.value }))
      )
    }
  }

  async function store(id: number, data: string, attributes: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('maps')
        .set((eb) => ({ mapstore_data: data, mapstore_attributes: attributes, version: eb('version', '+', 1) }))
        .where('resource_id', '=', id)
        .execute()
    })
  }

  return {
    async list(caller: Caller, full: boolean): Promise<MapStoreRecord[]> {
      const ids = await allKeys(db, {
        from: 'resources r',
        key: 'r.id',
        conditions: resources.visibleConditions('maps', caller),
        orderBy: sql`r.id`
      })
      return records(caller, ids, full)
    },

    async get(caller: Caller, id: number, full: boolean): Promise<MapStoreRecord> {
      await resources.findVisibleId('maps', caller, id)
      const [record] = await records(caller, [id], full)
      if (!record) throw new NotFound()
      return record
    },

    async create(caller: Caller, body: unknown, full: boolean): Promise<MapStoreRecord> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      const input = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>
      if (!full) throw new BadRequest('Map Configuration (data) is Mandatory!')
      const { fields, data, attributes } = await mapFields(input)
      const [created] = await writes.create('maps', caller, [{ title: 'Untitled map', ...fields }])
      const id = Number(created.pk)
      await store(id, data, attributes)
      return (await records(caller, [id], true))[0]
    },

    async update(caller: Caller, id: number, body: unknown, full: boolean): Promise<MapStoreRecord> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      const input = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>
      if (!full) throw new BadRequest('Map Configuration (data) is Mandatory!')
      const { fields, data, attributes } = await mapFields(input)
      await writes.update('maps', caller, id, fields, true)
      await store(id, data, attributes)
      return (await records(caller, [id], true))[0]
    },

    async remove(caller: Caller, id: number): Promise<void> {
      await writes.remove('maps', caller, id)
    },

    async users(caller: Caller, siteUrl: string) {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      if (!isAdmin(caller)) throw new PermissionDenied()
      const rows = await db.selectFrom('users').select(['id', 'username', 'email', 'is_staff', 'is_active', 'is_superuser']).where('id', '<>', -1).orderBy('username').execute()
      return rows.map((u) => ({
        url: `${siteUrl}mapstore/rest/users/${u.id}/`,
        username: u.username,
        email: u.email,
        is_staff: u.is_staff === 1,
        is_active: u.is_active === 1,
        is_superuser: u.is_superuser === 1
      }))
    }
  }
}
