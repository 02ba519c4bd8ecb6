import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { Query } from '../../src-shared/client/geonode-client'
import { formatBox, type LonLatBox, parseBox } from '../map/extent'

/** Facets the catalogue filters on; each key is a URL parameter and maps to one DREST filter. */
export const FACETS = {
  type: { label: 'Type', filter: 'filter{resource_type.in}' },
  category: { label: 'Category', filter: 'filter{category.identifier.in}' },
  keyword: { label: 'Keyword', filter: 'filter{keywords.slug.in}' },
  owner: { label: 'Owner', filter: 'filter{owner.username.in}' },
  group: { label: 'Group', filter: 'filter{group.name.in}' },
  region: { label: 'Region', filter: 'filter{regions.code.in}' }
} as const
export type FacetKey = keyof typeof FACETS

export const FLAGS = {
  published: { label: 'Published', filter: 'filter{is_published}' },
  approved: { label: 'Approved', filter: 'filter{is_approved}' },
  featured: { label: 'Featured', filter: 'filter{featured}' }
} as const
export type FlagKey = keyof typeof FLAGS

export const SORTS = {
  '-last_updated': 'Recently updated',
  '-date': 'Newest date',
  title: 'Title A–Z',
  '-title': 'Title Z–A',
  '-popular_count': 'Most popular'
} as const
export type SortKey = keyof typeof SORTS

export const PAGE_SIZE = 24

export interface CatalogueQuery {
  q: string
  facets: Record<FacetKey, string[]>
  flags: Record<FlagKey, boolean>
  sort: SortKey
  page: number
  view: 'cards' | 'table'
  extent: LonLatBox | null
}

const list = (value: LocationQuery[string]): string[] =>
  (Array.isArray(value) ? value : value == null ? [] : [value]).filter((v): v is string => typeof v === 'string' && v !== '')
const one = (value: LocationQuery[string]): string => list(value)[0] ?? ''

/** The catalogue state a URL describes (unknown values fall back to defaults). */
export function fromRoute(query: LocationQuery): CatalogueQuery {
  const facets = {} as Record<FacetKey, string[]>
  for (const key of Object.keys(FACETS) as FacetKey[]) facets[key] = list(query[key])
  const flags = {} as Record<FlagKey, boolean>
  for (const key of Object.keys(FLAGS) as FlagKey[]) flags[key] = one(query[key]) === '1'
  const sort = one(query.sort)
  const page = Number(one(query.page))
  return {
    q: one(query.q),
    facets,
    flags,
    sort: sort in SORTS ? (sort as SortKey) : '-last_updated',
    page: Number.isInteger(page) && page > 0 ? page : 1,
    view: one(query.view) === 'table' ? 'table' : 'cards',
    extent: parseBox(one(query.extent))
  }
}

/** The URL of a catalogue state: defaults are left out so URLs stay short. */
export function toRoute(state: CatalogueQuery): LocationQueryRaw {
  const out: LocationQueryRaw = {}
  if (state.q) out.q = state.q
  for (const key of Object.keys(FACETS) as FacetKey[]) if (state.facets[key].length) out[key] = [...state.facets[key]]
  for (const key of Object.keys(FLAGS) as FlagKey[]) if (state.flags[key]) out[key] = '1'
  if (state.sort !== '-last_updated') out.sort = state.sort
  if (state.page > 1) out.page = String(state.page)
  if (state.view !== 'cards') out.view = state.view
  if (state.extent) out.extent = formatBox(state.extent)
  return out
}

/** The resources-list query of a catalogue state: one page, never more. */
export function toApiQuery(state: CatalogueQuery): Query {
  const query: Query = { page: state.page, page_size: PAGE_SIZE, 'sort[]': state.sort }
  if (state.q) query.search = state.q
  for (const key of Object.keys(FACETS) as FacetKey[]) if (state.facets[key].length) query[FACETS[key].filter] = state.facets[key]
  for (const key of Object.keys(FLAGS) as FlagKey[]) if (state.flags[key]) query[FLAGS[key].filter] = 'true'
  if (state.extent) query.extent = formatBox(state.extent)
  return query
}
