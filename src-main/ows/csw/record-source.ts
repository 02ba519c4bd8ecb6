import type { Geometry } from 'geojson'
import type { LinkDto, ResourceDto, UserDto } from '../../../src-shared/api/dto'
import type { OwsContext } from '../types'
import { recordType } from './records'

export type ElementSet = 'brief' | 'summary' | 'full'

/** One resource as the API renders it for the caller, with every link GeoNode makes for it. */
export interface RecordSource {
  dto: ResourceDto
  links: LinkDto[]
}

/** Renders the resources of `ids` (in that order) as the API does, links included. */
export async function recordSources(ctx: Pick<OwsContext, 'services' | 'caller'>, ids: number[]): Promise<RecordSource[]> {
  if (ids.length === 0) return []
  const dtos = await ctx.services.resources.renderMany('resources', ctx.caller, ids)
  const out: RecordSource[] = []
  for (const dto of dtos) out.push({ dto, links: await ctx.services.resources.allLinks(ctx.caller, Number(dto.pk)) })
  return out
}

export const typeOf = (dto: ResourceDto) => recordType(dto.resource_type)

/** A person as the catalogue names them: first and last name, else the user name. */
export function personName(user: UserDto | null | undefined): string {
  if (!user) return ''
  const full = `${user.first_name ?? ''} ${user.last_name ?? ''}`.trim()
  return full || user.username
}

/** The plain-text abstract (the API's raw_ form), falling back to the rendered one. */
export const abstractOf = (dto: ResourceDto) => dto.raw_abstract || dto.abstract || ''

/**
 * A free-text field in its plain (raw_) form, or null when the resource has none (the API writes
 * a missing raw_ field as the text "None", as GeoNode does).
 */
export function plainText(dto: ResourceDto, field: 'purpose' | 'constraints_other' | 'supplemental_information' | 'data_quality_statement'): string | null {
  const value = dto[field]
  if (value === null || value === undefined || value === '') return null
  return (dto[`raw_${field}`] as string | undefined) || value
}

/** The lon/lat extent of a resource, or null. */
export function lonLatBox(dto: ResourceDto): [number, number, number, number] | null {
  const geometry = dto.ll_bbox_polygon as Geometry | null
  if (!geometry || geometry.type !== 'Polygon') return null
  const ring = geometry.coordinates[0] ?? []
  if (ring.length === 0) return null
  const xs = ring.map((p) => p[0])
  const ys = ring.map((p) => p[1])
  const box: [number, number, number, number] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
  return box.every(Number.isFinite) ? box : null
}

/** A link's protocol as GeoNode gives it to its catalogue: OGC:WMS/WFS/WCS (QGIS MetaSearch adds those as layers), a page, or a download. */
export function protocolOf(link: LinkDto): string {
  if (link.link_type.startsWith('OGC:')) return link.link_type
  return link.link_type === 'html' ? 'WWW:LINK-1.0-http--link' : 'WWW:DOWNLOAD-1.0-http--download'
}

/** The links a record lists: every one but the records of itself. */
export const recordLinks = (source: RecordSource) => source.links.filter((l) => l.link_type !== 'metadata')

/** The name a service link is known by: the layer's typename for OGC services, else the link's own name. */
export const linkName = (source: RecordSource, link: LinkDto) => (link.link_type.startsWith('OGC:') && source.dto.alternate ? source.dto.alternate : link.name)

/** The format a layer's data comes in (GeoNode names GeoTIFF for rasters and ESRI Shapefile for vectors), or null. */
export function formatOf(source: RecordSource): string | null {
  if (source.links.some((l) => l.link_type === 'OGC:WCS')) return 'GeoTIFF'
  if (source.links.some((l) => l.link_type === 'OGC:WFS')) return 'ESRI Shapefile'
  return null
}
