import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { LinkDto, MapLayerDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'
import { type StoreType, applicablePermissions } from '../../src-shared/api/permissions'
import { LISTED_RESOURCE_TYPES } from '../../src-shared/api/resource-types'
import type { Config } from '../config'
import type { Db } from '../db/database'
import { type ListingSpec, allKeys } from '../db/repositories/listing.repository'
import * as related from '../db/repositories/resource-related.repository'
import { NotFound, PermissionDenied, ValidationError } from '../errors'
import {
  type FieldTable,
  checkFieldNames,
  filterConditions,
  orderBySql,
  orderTerms,
  searchFieldsCondition
} from '../query/drest.kysely'
import { type DrestQuery, strToBool } from '../query/drest.parse'
import { documentFields, geoappFields, geostoryFields, layerFields, mapFields, resourceFields } from '../query/fields'
import { type Caller, type SystemIds, isAdmin } from './caller'
import { type PageRequest, pageOf } from './paging'
import { applyFields, parseJson } from './serializers/common'
import { resourceLinks } from './serializers/links'
import { type RenderContext, type ResourceEndpoint, renderResources, storedLinks } from './serializers/resource.serializer'
import { type Plan, visibleResources } from './visibility'

interface EndpointSpec {
  table: FieldTable
  from: string
  types: string[] | null
}

export const RESOURCE_ENDPOINTS: Record<ResourceEndpoint, EndpointSpec> = {
  resources: { table: resourceFields, from: 'resources r', types: null },
  layers: { table: layerFields, from: 'resources r JOIN layers l ON l.resource_id = r.id', types: ['layer'] },
  maps: { table: mapFields, from: 'resources r JOIN maps m ON m.resource_id = r.id', types: ['map'] },
  documents: { table: documentFields, from: 'resources r JOIN documents d ON d.resource_id = r.id', types: ['document'] },
  geoapps: {
    table: geoappFields,
    from: 'resources r JOIN geoapps a ON a.resource_id = r.id',
    types: ['geoapp', 'geostory', 'dashboard']
  },
  geostories: { table: geostoryFields, from: 'resources r JOIN geoapps a ON a.resource_id = r.id', types: ['geostory'] }
}

/** Past this many rows skipped, testing rows one by one costs more than collecting grants once. */
const DEEP_OFFSET = 1000

const DEFAULT_ORDER = [{ path: ['last_updated'], desc: true, raw: '-last_updated' }]

export interface ListExtras {
  extent?: string
  favorite?: string
}

/** FTS5 query for free-text search: every term must match, as a prefix, in any indexed column. */
export function ftsQuery(terms: string[]): string | null {
  const usable = terms.filter((t) => /[\p{L}\p{N}]/u.test(t)).map((t) => `"${t.replace(/"/g, '""')}"*`)
  return usable.length > 0 ? usable.join(' ') : null
}

/** `extent=minx,miny,maxx,maxy` (or two boxes, 8 numbers); boxes crossing ±180 are split. */
export function parseExtent(raw: string): [number, number, number, number][] {
  const numbers = raw.split(',').map((v) => Number(v.trim()))
  if ((numbers.length !== 4 && numbers.length !== 8) || numbers.some((n) => !Number.isFinite(n))) {
    throw new ValidationError({ extent: ['Expected 4 (or 8) comma-separated numbers: minx,miny,maxx,maxy.'] })
  }
  const boxes: [number, number, number, number][] = []
  for (let i = 0; i < numbers.length; i += 4) {
    const [x0, y0, x1, y1] = numbers.slice(i, i + 4)
    if (y0 > y1) throw new ValidationError({ extent: ['miny must not be greater than maxy.'] })
    if (x0 > x1) boxes.push([x0, y0, 180, y1], [-180, y0, x1, y1])
    else boxes.push([x0, y0, x1, y1])
  }
  return boxes
}

export type ResourceService = ReturnType<typeof createResourceService>

export function createResourceService(deps: { db: Db; config: Config; system: SystemIds; render: RenderContext }) {
  const { db, config, system, render } = deps

  function baseConditions(endpoint: ResourceEndpoint, caller: Caller, plan: Plan = 'probe'): RawBuilder<SqlBool>[] {
    const spec = RESOURCE_ENDPOINTS[endpoint]
    const conditions = [visibleResources(caller, config, system, { allowChange: endpoint === 'resources', plan })]
    if (spec.types) conditions.push(sql<SqlBool>`r.resource_type IN (${sql.join(spec.types)})`)
    return conditions
  }

  function extentCondition(raw: string, plan: Plan): RawBuilder<SqlBool> {
    const boxes = parseExtent(raw).map(([x0, y0, x1, y1]) => {
      const overlaps = sql`minx <= ${x1} AND maxx >= ${x0} AND miny <= ${y1} AND maxy >= ${y0}`
      return plan === 'probe'
        ? sql`EXISTS (SELECT 1 FROM resource_extents e WHERE e.id = r.id AND ${overlaps})`
        : sql`r.id IN (SELECT id FROM resource_extents WHERE ${overlaps})`
    })
    return sql<SqlBool>`(${sql.join(boxes, sql` OR `)})`
  }

  function queryConditions(endpoint: ResourceEndpoint, caller: Caller, query: DrestQuery, extras: ListExtras, plan: Plan) {
    const { table } = RESOURCE_ENDPOINTS[endpoint]
    const conditions = [...baseConditions(endpoint, caller, plan), ...filterConditions(table, query)]
    if (query.search) {
      if (query.search.fields.length > 0) {
        conditions.push(searchFieldsCondition(table, query.search.terms, query.search.fields))
      } else {
        const match = ftsQuery(query.search.terms)
        if (match) conditions.push(sql<SqlBool>`r.id IN (SELECT rowid FROM resource_search WHERE resource_search MATCH ${match})`)
      }
    }
    if (extras.extent !== undefined) conditions.push(extentCondition(extras.extent, plan))
    if (endpoint === 'resources' && extras.favorite !== undefined && strToBool(extras.favorite)) {
      conditions.push(
        caller.authenticated ? sql<SqlBool>`r.id IN (SELECT resource_id FROM favorites WHERE user_id = ${caller.userId})` : sql<SqlBool>`0`
      )
    }
    return conditions
  }

  /** A listing over resources, shaped once for the page and once for the count. */
  function resourceListing(from: string, caller: Caller, endpoint: ResourceEndpoint, extra: RawBuilder<SqlBool>[], orderBy: RawBuilder<unknown>): ListingSpec {
    return {
      from,
      key: 'r.id',
      conditions: [...baseConditions(endpoint, caller, 'probe'), ...extra],
      orderBy,
      count: { from, conditions: [...baseConditions(endpoint, caller, 'set'), ...extra] }
    }
  }

  const browse = (from: string) => from.replace('resources r', 'resources r INDEXED BY resources_browse')

  async function list(endpoint: ResourceEndpoint, caller: Caller, query: DrestQuery, extras: ListExtras = {}) {
    const { table, from } = RESOURCE_ENDPOINTS[endpoint]
    checkFieldNames(table, [...query.include, ...query.exclude])
    const orderBy = orderBySql(orderTerms(table, query, DEFAULT_ORDER, 'r.id'))
    // Full-text and extent matches are broad sets from virtual tables; left alone, SQLite looks up
    // every match in the table and sorts them. Walking the narrow browse index and testing
    // membership is an order of magnitude cheaper (for the page in the default order; for counts always).
    const fullText = query.search !== null && query.search.fields.length === 0
    const broad = fullText || extras.extent !== undefined
    const deep = (query.page - 1) * query.pageSize >= DEEP_OFFSET
    // A plain listing in the default order walks the browse index: with a type condition (the
    // typed endpoints) SQLite 3.53 prefers a skip-scan of the audience index and sorts every
    // matching row (/api/v2/layers page 1 took ~200 ms at 100,000 resources; 0.1 ms this way).
    const plain = query.filters.length === 0 && query.search === null && extras.extent === undefined && extras.favorite === undefined
    const spec: ListingSpec = {
      from: (fullText || plain) && query.sort.length === 0 ? browse(from) : from,
      key: 'r.id',
      conditions: queryConditions(endpoint, caller, query, extras, deep ? 'set' : 'probe'),
      orderBy,
      count: { from: broad ? browse(from) : from, conditions: queryConditions(endpoint, caller, query, extras, 'set') }
    }
    const page = await pageOf(db, spec, query)
    const items = await renderSelected(endpoint, page.keys, caller, query)
    return { ...page, items }
  }

  async function renderSelected(endpoint: ResourceEndpoint, ids: number[], caller: Caller | null, query?: DrestQuery) {
    const deferred = new Set(query?.include.map((n) => n.split('.')[0]) ?? [])
    const dtos = await renderResources(render, ids, { caller, endpoint, deferred })
    return query ? applyFields(dtos, query) : dtos
  }

  /** The resource if the caller may see it through this endpoint, else NotFound (never 403). */
  async function findVisibleId(endpoint: ResourceEndpoint, caller: Caller, id: number): Promise<number> {
    const { from } = RESOURCE_ENDPOINTS[endpoint]
    const ids = await allKeys(db, {
      from,
      key: 'r.id',
      conditions: [...baseConditions(endpoint, caller), sql<SqlBool>`r.id = ${id}`],
      orderBy: sql`r.id`
    })
    if (ids.length === 0) throw new NotFound()
    return id
  }

  async function get(endpoint: ResourceEndpoint, caller: Caller, id: number, query?: DrestQuery): Promise<ResourceDto> {
    if (query) checkFieldNames(RESOURCE_ENDPOINTS[endpoint].table, [...query.include, ...query.exclude])
    await findVisibleId(endpoint, caller, id)
    const [dto] = await renderSelected(endpoint, [id], caller, query)
    if (!dto) throw new NotFound()
    return dto
  }

  async function resourceTypes(caller: Caller) {
    const rows = await sql<{ resource_type: string; n: number }>`SELECT r.resource_type, count(*) AS n FROM resources r WHERE ${visibleResources(caller, config, system, { allowChange: true, plan: 'set' })} GROUP BY r.resource_type`.execute(db)
    const counts = new Map(rows.rows.map((r) => [r.resource_type, r.n]))
    return LISTED_RESOURCE_TYPES.map((name) => ({ name, count: counts.get(name) ?? 0 }))
  }

  /** approved / published / featured: DREST params ignored, rendered without request context. */
  async function flagged(flag: 'is_approved' | 'is_published' | 'featured', caller: Caller, request: PageRequest) {
    const flagged = sql<SqlBool>`${sql.ref(`r.${flag}`)} = 1`
    const page = await pageOf(db, resourceListing('resources r', caller, 'resources', [flagged], sql`r.last_updated DESC, r.id DESC`), request)
    return { ...page, items: await renderSelected('resources', page.keys, null) }
  }

  async function favorites(caller: Caller, request: PageRequest) {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    const favorite = sql<SqlBool>`r.id IN (SELECT resource_id FROM favorites WHERE user_id = ${caller.userId})`
    const page = await pageOf(db, resourceListing('resources r', caller, 'resources', [favorite], sql`r.last_updated DESC, r.id DESC`), request)
    return { ...page, items: await renderSelected('resources', page.keys, null) }
  }

  /** GeoNode's IsOwnerOrAdmin: owner, superuser/staff, or any explicit per-user grant. */
  async function assertCanManage(caller: Caller, id: number): Promise<void> {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    if (isAdmin(caller)) return
    const row = await db
      .selectFrom('resources')
      .select('owner_id')
      .where('id', '=', id)
      .executeTakeFirst()
    if (row?.owner_id === caller.userId) return
    const grant = await db
      .selectFrom('resource_user_perms')
      .select('codename')
      .where('resource_id', '=', id)
      .where('user_id', '=', caller.userId)
      .executeTakeFirst()
    if (!grant) throw new PermissionDenied()
  }

  async function getPerms(caller: Caller, id: number): Promise<PermSpecDto> {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    await findVisibleId('resources', caller, id)
    await assertCanManage(caller, id)
    const [users, groups] = await Promise.all([
      db
        .selectFrom('resource_user_perms as p')
        .innerJoin('users as u', 'u.id', 'p.user_id')
        .select(['u.username as name', 'p.codename'])
        .where('p.resource_id', '=', id)
        .orderBy('u.username')
        .execute(),
      db
        .selectFrom('resource_group_perms as p')
        .innerJoin('auth_groups as g', 'g.id', 'p.group_id')
        .select(['g.name as name', 'p.codename'])
        .where('p.resource_id', '=', id)
        .orderBy('g.name')
        .execute()
    ])
    const layer = await db.selectFrom('layers').select('store_type').where('resource_id', '=', id).executeTakeFirst()
    const type = await db.selectFrom('resources').select('resource_type').where('id', '=', id).executeTakeFirstOrThrow()
    const order = applicablePermissions(type.resource_type, layer?.store_type as StoreType | undefined)
    const rank = (codename: string) => {
      const at = order.indexOf(codename as (typeof order)[number])
      return at < 0 ? order.length : at
    }
    const collect = (rows: { name: string; codename: string }[]) => {
      const out: Record<string, string[]> = {}
      for (const row of rows) (out[row.name] ??= []).push(row.codename)
      for (const list of Object.values(out)) list.sort((a, b) => rank(a) - rank(b))
      return out
    }
    return { users: collect(users), groups: collect(groups) }
  }

  async function linkedResources(caller: Caller, documentId: number, request: PageRequest) {
    await findVisibleId('documents', caller, documentId)
    const linked = sql<SqlBool>`r.id IN (SELECT resource_id FROM document_links WHERE document_id = ${documentId})`
    const page = await pageOf(db, resourceListing('resources r', caller, 'resources', [linked], sql`r.title ASC, r.id ASC`), request)
    return { ...page, items: await renderSelected('resources', page.keys, caller) }
  }

  async function mapLayers(caller: Caller, mapId: number) {
    await findVisibleId('maps', caller, mapId)
    return related.findMapLayers(db, mapId)
  }

  async function mapLayerDtos(caller: Caller, mapId: number): Promise<MapLayerDto[]> {
    const rows = await mapLayers(caller, mapId)
    return rows.map((l) => ({
      pk: l.id,
      name: l.name,
      store: l.store,
      stack_order: l.stack_order,
      format: l.format,
      opacity: l.opacity,
      styles: l.styles,
      transparent: l.transparent === 1,
      fixed: l.fixed === 1,
      group: l.group_name,
      visibility: l.visibility === 1,
      ows_url: l.ows_url,
      layer_params: l.layer_params,
      source_params: l.source_params,
      local: l.local === 1
    }))
  }

  /** GET extra_metadata: the metadata dicts with their ids, narrowed by `?key=value` pairs. */
  async function extraMetadata(caller: Caller, id: number, filters: [string, string][]) {
    await findVisibleId('resources', caller, id)
    await assertCanManage(caller, id)
    const rows = (await related.findExtraMetadataFor(db, [id])).get(id) ?? []
    return rows
      .map((row: { id: number; metadata: string }) => ({ id: row.id, ...parseJson<Record<string, unknown>>(row.metadata, {}) }))
      .filter((item: Record<string, unknown>) => filters.every(([key, value]) => String(item[key]) === value))
  }

  async function localLayers(caller: Caller, mapId: number) {
    await findVisibleId('maps', caller, mapId)
    const candidates = await related.findLocalLayerIds(db, mapId)
    if (candidates.length === 0) return []
    const visible = await allKeys(db, {
      from: 'resources r',
      key: 'r.id',
      conditions: [...baseConditions('layers', caller), sql<SqlBool>`r.id IN (${sql.join(candidates)})`],
      orderBy: sql`r.id`
    })
    const allowed = new Set(visible)
    return renderSelected('layers', candidates.filter((id) => allowed.has(id)), null)
  }

  /** Resources owned by a user (or of a group) that `viewer` may see, by title, rendered bare. */
  async function ownedBy(viewer: Caller, condition: RawBuilder<SqlBool>) {
    const ids = await allKeys(db, {
      from: 'resources r',
      key: 'r.id',
      conditions: [...baseConditions('resources', viewer, 'set'), condition],
      orderBy: sql`r.title ASC, r.id ASC`
    })
    return renderSelected('resources', ids, null)
  }

  /** Resources both callers may view, by title, rendered bare (users/{id}/resources). */
  async function viewableByBoth(caller: Caller, other: Caller) {
    const ids = await allKeys(db, {
      from: 'resources r',
      key: 'r.id',
      conditions: [...baseConditions('resources', caller, 'set'), ...baseConditions('resources', other, 'set')],
      orderBy: sql`r.title ASC, r.id ASC`
    })
    return renderSelected('resources', ids, null)
  }

  /** One resource as the caller sees it, without the visibility test (the caller just wrote it). */
  async function renderOne(endpoint: ResourceEndpoint, caller: Caller, id: number, query?: DrestQuery): Promise<ResourceDto> {
    const [dto] = await renderSelected(endpoint, [id], caller, query)
    if (!dto) throw new NotFound()
    return dto
  }

  /** The visibility conditions of a family for whole lists (alias `r`). */
  function visibleConditions(endpoint: ResourceEndpoint, caller: Caller): RawBuilder<SqlBool>[] {
    return baseConditions(endpoint, caller, 'set')
  }

  /** Every id a list query matches for the caller (patch-all), in no particular order. */
  function matchingIds(endpoint: ResourceEndpoint, caller: Caller, query: DrestQuery, extras: ListExtras = {}): Promise<number[]> {
    const { from } = RESOURCE_ENDPOINTS[endpoint]
    return allKeys(db, { from, key: 'r.id', conditions: queryConditions(endpoint, caller, query, extras, 'set'), orderBy: sql`r.id` })
  }

  /** Several resources as the caller sees them, in the order given (after a create). */
  function renderMany(endpoint: ResourceEndpoint, caller: Caller, ids: number[], query?: DrestQuery): Promise<ResourceDto[]> {
    return renderSelected(endpoint, ids, caller, query)
  }

  /**
   * Every link of a resource GeoNode makes (the service, image and metadata links the API lists,
   * and the data downloads, originals and page it keeps besides), for the GUI's downloads.
   */
  async function allLinks(caller: Caller, id: number): Promise<LinkDto[]> {
    await findVisibleId('resources', caller, id)
    const row = await db.selectFrom('resources').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const layer = row.resource_type === 'layer' ? await db.selectFrom('layers').selectAll().where('resource_id', '=', id).executeTakeFirst() : undefined
    const stored = await related.findLinksFor(db, [id])
    return [...resourceLinks(render, row, layer), ...storedLinks(render, stored.get(id))]
  }

  return {
    allLinks,
    list,
    renderOne,
    renderMany,
    matchingIds,
    visibleConditions,
    viewableByBoth,
    get,
    resourceTypes,
    flagged,
    favorites,
    getPerms,
    linkedResources,
    mapLayers,
    mapLayerDtos,
    extraMetadata,
    localLayers,
    ownedBy,
    findVisibleId,
    assertCanManage
  }
}

