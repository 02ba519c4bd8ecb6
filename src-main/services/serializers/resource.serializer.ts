import type { AttributeDto, Geometry, LinkDto, ResourceDto, StyleDto } from '../../../src-shared/api/dto'
import { type StoreType, applicablePermissions } from '../../../src-shared/api/permissions'
import { POLYMORPHIC_CTYPE_IDS, type ResourceType } from '../../../src-shared/api/resource-types'
import type { Db } from '../../db/database'
import * as related from '../../db/repositories/resource-related.repository'
import { findUsersByIds, membersOf } from '../../db/repositories/user.repository'
import type { GeoappRow, LayerRow, ResourceRow, UserRow } from '../../db/schema'
import type { Caller } from '../caller'
import { type UrlContext, absolute, parseJson, rawText, userDto } from './common'
import { API_LINK_TYPES, OWS_PATH, resourceLinks } from './links'

export type ResourceEndpoint = 'resources' | 'layers' | 'maps' | 'documents' | 'geoapps' | 'geostories'

export interface RenderOptions {
  /** null renders as GeoNode does without a request: `perms: []` and no `favorite`. */
  caller: Caller | null
  endpoint: ResourceEndpoint
  /** Deferred fields asked for with include[] (`data`, `metadata`). */
  deferred?: ReadonlySet<string>
}

export interface RenderContext extends UrlContext {
  db: Db
  contributorsGroupId: number
}

function detailUrl(ctx: UrlContext, row: ResourceRow, layer?: LayerRow): string | null {
  switch (row.resource_type) {
    case 'layer':
      return layer ? absolute(ctx, `layers/${layer.store}:${row.alternate ?? `${layer.workspace}:${layer.name}`}`) : null
    case 'map':
      return absolute(ctx, `maps/${row.id}`)
    case 'document':
      return absolute(ctx, `documents/${row.id}`)
    default:
      return absolute(ctx, `apps/${row.id}`)
  }
}

function embedUrl(ctx: UrlContext, row: ResourceRow): string {
  switch (row.resource_type) {
    case 'layer':
      return row.alternate ? absolute(ctx, `layers/${row.alternate}/embed`) : ''
    case 'map':
      return absolute(ctx, `maps/${row.id}/embed`)
    case 'document':
      return absolute(ctx, `documents/${row.id}/link`)
    default:
      return absolute(ctx, `apps/${row.id}/embed`)
  }
}

function styleDto(ctx: UrlContext, style: { id: number; name: string; workspace: string | null; sld_title: string | null }): StyleDto {
  return {
    pk: style.id,
    name: style.name,
    workspace: style.workspace,
    sld_title: style.sld_title,
    sld_url: absolute(ctx, `styles/${style.id}.sld`)
  }
}

function attributeDto(row: Record<string, any>): AttributeDto {
  return {
    pk: row.id,
    attribute: row.attribute,
    description: row.description,
    attribute_label: row.attribute_label,
    attribute_type: row.attribute_type,
    visible: row.visible === 1,
    display_order: row.display_order,
    featureinfo_type: row.featureinfo_type,
    count: row.count,
    min: row.min,
    max: row.max,
    average: row.average,
    median: row.median,
    stddev: row.stddev,
    sum: row.sum,
    unique_values: row.unique_values,
    last_stats_updated: row.last_stats_updated
  }
}

const code = (map: Map<number, string>, id: number | null) => (id !== null && map.has(id) ? { identifier: map.get(id) as string } : null)

/**
 * Renders resources in the order of `ids`, batching every related lookup for the page.
 * Missing ids are skipped.
 */
export async function renderResources(ctx: RenderContext, ids: number[], options: RenderOptions): Promise<ResourceDto[]> {
  const { db } = ctx
  const rows = await related.findResourcesByIds(db, ids)
  if (rows.length === 0) return []
  const byId = new Map(rows.map((r) => [r.id, r]))
  const present = ids.filter((id) => byId.has(id))
  const userIds = [...new Set(rows.flatMap((r) => [r.owner_id, r.poc_id ?? r.owner_id, r.metadata_author_id ?? r.owner_id]))]
  const types = new Set(rows.map((r) => r.resource_type))
  const typed = options.endpoint !== 'resources'
  const caller = options.caller
  const deferred = options.deferred ?? new Set<string>()

  const [
    users,
    contributors,
    keywords,
    regions,
    tkeywords,
    categories,
    licenses,
    restrictions,
    spatial,
    groups,
    links,
    perms,
    favorites,
    layers
  ] = await Promise.all([
    findUsersByIds(db, userIds),
    membersOf(db, ctx.contributorsGroupId, userIds),
    related.findKeywordsFor(db, present),
    related.findRegionsFor(db, present),
    related.findTkeywordsFor(db, present),
    related.findIdentifiers(db, 'topic_categories', ids0(rows.map((r) => r.category_id))),
    related.findIdentifiers(db, 'licenses', ids0(rows.map((r) => r.license_id))),
    related.findIdentifiers(db, 'restriction_code_types', ids0(rows.map((r) => r.restriction_code_type_id))),
    related.findIdentifiers(db, 'spatial_representation_types', ids0(rows.map((r) => r.spatial_representation_type_id))),
    related.findGroupNames(db, ids0(rows.map((r) => r.group_id))),
    related.findLinksFor(db, present),
    caller && !caller.superuser ? related.findCallerPerms(db, present, caller.authenticated ? caller.userId : null, caller.groupIds) : null,
    caller?.authenticated ? related.findFavoriteIds(db, caller.userId, present) : null,
    types.has('layer') ? related.findLayersFor(db, present) : new Map<number, LayerRow>()
  ])

  const userMap = new Map<number, UserRow>(users.map((u) => [u.id, u]))
  const userDtos = new Map(
    users.map((u) => [u.id, userDto(ctx, u, contributors.has(u.id) || u.is_staff === 1 || u.is_superuser === 1)])
  )
  const extras = typed ? await loadTypedExtras(ctx, rows, layers as Map<number, LayerRow>) : null
  const metadata = deferred.has('metadata') && !typed ? await related.findExtraMetadataFor(db, present) : null

  return present.map((id) => {
    const row = byId.get(id) as ResourceRow
    const layer = (layers as Map<number, LayerRow>).get(id)
    const owner = userDtos.get(row.owner_id)
    if (!owner || !userMap.has(row.owner_id)) throw new Error(`resource ${id} has no owner row`)
    let callerPerms: string[] = []
    if (caller?.superuser) {
      callerPerms = applicablePermissions(row.resource_type, layer?.store_type as StoreType | undefined)
    } else if (caller && perms) {
      const held = perms.get(id) ?? new Set<string>()
      callerPerms = applicablePermissions(row.resource_type, layer?.store_type as StoreType | undefined).filter((p) => held.has(p))
    }
    const dto: ResourceDto = {
      pk: String(row.id),
      uuid: row.uuid,
      resource_type: row.resource_type,
      polymorphic_ctype_id: POLYMORPHIC_CTYPE_IDS[row.resource_type as ResourceType] ?? '0',
      perms: callerPerms,
      owner,
      poc: userDtos.get(row.poc_id ?? row.owner_id) ?? owner,
      metadata_author: userDtos.get(row.metadata_author_id ?? row.owner_id) ?? owner,
      keywords: (keywords.get(id) ?? []).map((k) => ({ name: k.name, slug: k.slug })),
      tkeywords: (tkeywords.byResource.get(id) ?? []).map((k) => ({
        name: k.alt_label,
        slug: k.slug,
        uri: k.about,
        thesaurus: { name: k.thesaurus_title, slug: k.thesaurus_identifier, uri: k.thesaurus_uri },
        i18n: tkeywords.labels.get(k.id) ?? {}
      })),
      regions: (regions.get(id) ?? []).map((g) => ({ code: g.code, name: g.name })),
      category: code(categories, row.category_id),
      title: row.title,
      abstract: row.abstract,
      attribution: row.attribution,
      doi: row.doi,
      alternate: row.alternate,
      bbox_polygon: parseJson<Geometry | null>(row.bbox_polygon, null),
      ll_bbox_polygon: parseJson<Geometry | null>(row.ll_bbox_polygon, null),
      srid: row.srid,
      date: row.date,
      date_type: row.date_type,
      edition: row.edition,
      purpose: row.purpose,
      maintenance_frequency: row.maintenance_frequency,
      restriction_code_type: code(restrictions, row.restriction_code_type_id),
      constraints_other: row.constraints_other,
      license: code(licenses, row.license_id),
      language: row.language,
      spatial_representation_type: code(spatial, row.spatial_representation_type_id),
      temporal_extent_start: row.temporal_extent_start,
      temporal_extent_end: row.temporal_extent_end,
      supplemental_information: row.supplemental_information,
      data_quality_statement: row.data_quality_statement,
      group: row.group_id !== null && groups.has(row.group_id) ? { pk: row.group_id, name: groups.get(row.group_id) as string } : null,
      popular_count: String(row.popular_count),
      share_count: String(row.share_count),
      rating: String(row.rating),
      featured: row.featured === 1,
      is_published: row.is_published === 1,
      is_approved: row.is_approved === 1,
      detail_url: detailUrl(ctx, row, layer),
      embed_url: embedUrl(ctx, row),
      created: row.created,
      last_updated: row.last_updated,
      raw_abstract: rawText(row.abstract),
      raw_purpose: rawText(row.purpose),
      raw_constraints_other: rawText(row.constraints_other),
      raw_supplemental_information: rawText(row.supplemental_information),
      raw_data_quality_statement: rawText(row.data_quality_statement),
      metadata_only: row.metadata_only === 1,
      processed: row.processed === 1,
      thumbnail_url: row.thumbnail_url ? absolute(ctx, row.thumbnail_url) : null,
      link: absolute(ctx, `api/v2/${options.endpoint}/${row.id}`)
    }
    if (favorites) dto.favorite = favorites.has(id)
    // GeoNode 3.3's serializer lists only the service, image and metadata links; the rest (data
    // downloads, originals, the page) are at /api/v2/mapshelf/resources/{pk}/links.
    const listed: LinkDto[] = [...resourceLinks(ctx, row, layer), ...storedLinks(ctx, links.get(id))].filter((l) => API_LINK_TYPES.has(l.link_type))
    if (listed.length > 0) dto.links = listed
    if (metadata) {
      dto.metadata = (metadata.get(id) ?? []).map((m: { id: number; metadata: string }) => ({
        id: m.id,
        ...parseJson<Record<string, unknown>>(m.metadata, {})
      }))
    }
    if (extras) Object.assign(dto, extras(row, deferred))
    return dto
  })
}

/** Links kept with a resource (imported with it), beside the ones derived from it. */
export function storedLinks(ctx: UrlContext, rows: LinkDto[] | undefined): LinkDto[] {
  return (rows ?? []).map((l) => ({ extension: l.extension, link_type: l.link_type, name: l.name, mime: l.mime, url: absolute(ctx, l.url) }))
}

function ids0(values: (number | null)[]): number[] {
  return [...new Set(values.filter((v): v is number => v !== null))]
}

async function loadTypedExtras(ctx: RenderContext, rows: ResourceRow[], layers: Map<number, LayerRow>) {
  const { db } = ctx
  const idsOf = (...types: string[]) => rows.filter((r) => types.includes(r.resource_type)).map((r) => r.id)
  const layerIds = idsOf('layer')
  const [styles, defaultStyles, attributes, maps, documents, apps] = await Promise.all([
    related.findStylesFor(db, layerIds),
    related.findStylesByIds(db, ids0([...layers.values()].map((l) => l.default_style_id))),
    related.findAttributesFor(db, layerIds),
    related.findMapsFor(db, idsOf('map')),
    related.findDocumentsFor(db, idsOf('document')),
    related.findGeoappsFor(db, idsOf('geoapp', 'geostory', 'dashboard'))
  ])

  return (row: ResourceRow, deferred: ReadonlySet<string>): Record<string, unknown> => {
    switch (row.resource_type) {
      case 'layer': {
        const layer = layers.get(row.id)
        if (!layer) return {}
        const defaultStyle = layer.default_style_id !== null ? defaultStyles.get(layer.default_style_id) : undefined
        return {
          name: layer.name,
          workspace: layer.workspace,
          store: layer.store,
          storeType: layer.store_type,
          charset: layer.charset,
          is_mosaic: layer.is_mosaic === 1,
          has_time: layer.has_time === 1,
          has_elevation: layer.has_elevation === 1,
          time_regex: layer.time_regex,
          elevation_regex: layer.elevation_regex,
          use_featureinfo_custom_template: layer.use_featureinfo_custom_template === 1,
          featureinfo_custom_template: layer.featureinfo_custom_template,
          default_style: defaultStyle ? styleDto(ctx, defaultStyle) : null,
          styles: (styles.get(row.id) ?? []).map((s: any) => styleDto(ctx, s)),
          attribute_set: (attributes.get(row.id) ?? []).map(attributeDto),
          ptype: layer.ptype,
          ows_url: absolute(ctx, OWS_PATH),
          upload_session: layer.upload_session_id
        }
      }
      case 'map': {
        const map = maps.get(row.id)
        if (!map) return {}
        return {
          zoom: map.zoom,
          projection: map.projection,
          center_x: map.center_x,
          center_y: map.center_y,
          urlsuffix: map.urlsuffix,
          featuredurl: map.featuredurl
        }
      }
      case 'document': {
        const doc = documents.get(row.id)
        let href: string | null = null
        if (doc?.doc_url) href = doc.doc_url
        else if (doc?.doc_file) href = absolute(ctx, `documents/${row.id}/download`)
        return {
          name: row.title || String(row.id),
          href,
          doc_type: doc?.doc_type ?? null,
          extension: doc?.extension ?? null,
          mime_type: doc?.mime_type ?? null
        }
      }
      default: {
        const app = apps.get(row.id) as GeoappRow | undefined
        const fields: Record<string, unknown> = {}
        if (row.resource_type === 'geostory') fields.app_type = app?.app_type ?? 'GeoStory'
        Object.assign(fields, {
          zoom: app?.zoom ?? null,
          projection: app?.projection ?? null,
          center_x: app?.center_x ?? null,
          center_y: app?.center_y ?? null,
          urlsuffix: app?.urlsuffix ?? null
        })
        if (deferred.has('data')) fields.data = parseJson(app?.data ?? null, {})
        return fields
      }
    }
  }
}
