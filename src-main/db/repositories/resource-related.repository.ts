import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../schema'

/** Batch loaders for everything a page of resources embeds; each takes the page's ids. */

type Executor = Kysely<Database> | Transaction<Database>

function groupBy<T, K>(rows: T[], key: (row: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>()
  for (const row of rows) {
    const k = key(row)
    const list = map.get(k)
    if (list) list.push(row)
    else map.set(k, [row])
  }
  return map
}

export function findResourcesByIds(db: Executor, ids: number[]) {
  if (ids.length === 0) return Promise.resolve([])
  return db.selectFrom('resources').selectAll().where('id', 'in', ids).execute()
}

export async function findKeywordsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map<number, { name: string; slug: string }[]>()
  const rows = await db
    .selectFrom('resource_keywords as j')
    .innerJoin('keywords as k', 'k.id', 'j.keyword_id')
    .select(['j.resource_id', 'k.name', 'k.slug'])
    .where('j.resource_id', 'in', ids)
    .orderBy('k.name')
    .execute()
  return groupBy(rows, (r) => r.resource_id)
}

export async function findRegionsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map<number, { code: string; name: string }[]>()
  const rows = await db
    .selectFrom('resource_regions as j')
    .innerJoin('regions as g', 'g.id', 'j.region_id')
    .select(['j.resource_id', 'g.code', 'g.name'])
    .where('j.resource_id', 'in', ids)
    .orderBy('g.name')
    .execute()
  return groupBy(rows, (r) => r.resource_id)
}

export interface TkeywordRow {
  resource_id: number
  id: number
  alt_label: string
  slug: string
  about: string
  thesaurus_title: string
  thesaurus_identifier: string
  thesaurus_uri: string
}

export async function findTkeywordsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return { byResource: new Map<number, TkeywordRow[]>(), labels: new Map<number, Record<string, string>>() }
  const rows = await db
    .selectFrom('resource_tkeywords as j')
    .innerJoin('thesaurus_keywords as k', 'k.id', 'j.tkeyword_id')
    .innerJoin('thesauri as t', 't.id', 'k.thesaurus_id')
    .select([
      'j.resource_id',
      'k.id',
      'k.alt_label',
      'k.slug',
      'k.about',
      't.title as thesaurus_title',
      't.identifier as thesaurus_identifier',
      't.uri as thesaurus_uri'
    ])
    .where('j.resource_id', 'in', ids)
    .orderBy('k.id')
    .execute()
  return { byResource: groupBy(rows, (r) => r.resource_id), labels: await findTkeywordLabels(db, [...new Set(rows.map((r) => r.id))]) }
}

export async function findTkeywordLabels(db: Executor, keywordIds: number[]) {
  const labels = new Map<number, Record<string, string>>()
  if (keywordIds.length === 0) return labels
  const rows = await db
    .selectFrom('thesaurus_keyword_labels')
    .select(['keyword_id', 'lang', 'label'])
    .where('keyword_id', 'in', keywordIds)
    .execute()
  for (const row of rows) labels.set(row.keyword_id, { ...labels.get(row.keyword_id), [row.lang]: row.label })
  return labels
}

export async function findIdentifiers(
  db: Executor,
  table: 'topic_categories' | 'licenses' | 'restriction_code_types' | 'spatial_representation_types',
  ids: number[]
) {
  const map = new Map<number, string>()
  if (ids.length === 0) return map
  const rows = await db.selectFrom(table).select(['id', 'identifier']).where('id', 'in', ids).execute()
  for (const row of rows) map.set(row.id, row.identifier)
  return map
}

export async function findGroupNames(db: Executor, ids: number[]) {
  const map = new Map<number, string>()
  if (ids.length === 0) return map
  const rows = await db.selectFrom('auth_groups').select(['id', 'name']).where('id', 'in', ids).execute()
  for (const row of rows) map.set(row.id, row.name)
  return map
}

export async function findLinksFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('resource_links')
    .select(['resource_id', 'extension', 'link_type', 'name', 'mime', 'url'])
    .where('resource_id', 'in', ids)
    .orderBy('id')
    .execute()
  return groupBy(rows, (r) => r.resource_id)
}

/** Codenames the caller holds on each resource, directly or through one of its groups. */
export async function findCallerPerms(db: Executor, ids: number[], userId: number | null, groupIds: number[]) {
  const perms = new Map<number, Set<string>>()
  if (ids.length === 0) return perms
  const add = (rows: { resource_id: number; codename: string }[]) => {
    for (const row of rows) {
      const set = perms.get(row.resource_id) ?? new Set<string>()
      set.add(row.codename)
      perms.set(row.resource_id, set)
    }
  }
  if (groupIds.length > 0) {
    add(
      await db
        .selectFrom('resource_group_perms')
        .select(['resource_id', 'codename'])
        .where('resource_id', 'in', ids)
        .where('group_id', 'in', groupIds)
        .execute()
    )
  }
  if (userId !== null) {
    add(
      await db
        .selectFrom('resource_user_perms')
        .select(['resource_id', 'codename'])
        .where('resource_id', 'in', ids)
        .where('user_id', '=', userId)
        .execute()
    )
  }
  return perms
}

export async function findFavoriteIds(db: Executor, userId: number, ids: number[]) {
  if (ids.length === 0) return new Set<number>()
  const rows = await db
    .selectFrom('favorites')
    .select('resource_id')
    .where('user_id', '=', userId)
    .where('resource_id', 'in', ids)
    .execute()
  return new Set(rows.map((r) => r.resource_id))
}

export async function findExtraMetadataFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('resource_extra_metadata')
    .select(['id', 'resource_id', 'metadata'])
    .where('resource_id', 'in', ids)
    .orderBy('id')
    .execute()
  return groupBy(rows, (r) => r.resource_id)
}

export async function findLayersFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('layers').selectAll().where('resource_id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.resource_id, r]))
}

export async function findStylesFor(db: Executor, layerIds: number[]) {
  if (layerIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('layer_styles as j')
    .innerJoin('styles as s', 's.id', 'j.style_id')
    .select(['j.layer_id', 's.id', 's.name', 's.workspace', 's.sld_title'])
    .where('j.layer_id', 'in', layerIds)
    .orderBy('s.id')
    .execute()
  return groupBy(rows, (r) => r.layer_id)
}

export async function findStylesByIds(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('styles').select(['id', 'name', 'workspace', 'sld_title']).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, r]))
}

export async function findAttributesFor(db: Executor, layerIds: number[]) {
  if (layerIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('layer_attributes')
    .selectAll()
    .where('layer_id', 'in', layerIds)
    .orderBy('display_order')
    .orderBy('id')
    .execute()
  return groupBy(rows, (r) => r.layer_id)
}

export async function findMapsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('maps').selectAll().where('resource_id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.resource_id, r]))
}

export async function findDocumentsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('documents').selectAll().where('resource_id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.resource_id, r]))
}

export async function findGeoappsFor(db: Executor, ids: number[]) {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('geoapps').selectAll().where('resource_id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.resource_id, r]))
}

export function findMapLayers(db: Executor, mapId: number) {
  return db.selectFrom('map_layers').selectAll().where('map_id', '=', mapId).orderBy('stack_order').orderBy('id').execute()
}

export function findLocalLayerIds(db: Executor, mapId: number) {
  return db
    .selectFrom('map_layers')
    .select('dataset_id')
    .where('map_id', '=', mapId)
    .where('dataset_id', 'is not', null)
    .orderBy('stack_order')
    .execute()
    .then((rows) => [...new Set(rows.map((r) => r.dataset_id as number))])
}

/** Codenames a user holds on one resource, directly or through one of its groups. */
export async function findHeldCodenames(db: Executor, resourceId: number, userId: number, groupIds: number[]): Promise<Set<string>> {
  const rows = await db
    .selectFrom('resource_user_perms')
    .select('codename')
    .where('resource_id', '=', resourceId)
    .where('user_id', '=', userId)
    .unionAll(db.selectFrom('resource_group_perms').select('codename').where('resource_id', '=', resourceId).where('group_id', 'in', groupIds))
    .execute()
  return new Set(rows.map((r) => r.codename))
}
