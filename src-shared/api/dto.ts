/** Wire shapes of GeoNode's API v2 as Mapshelf serves them (spec section 3). */

export interface Geometry {
  type: string
  coordinates: unknown
}

export interface UserDto {
  pk: number
  username: string
  first_name: string
  last_name: string
  avatar: string
  perms: string[]
  is_superuser: boolean
  is_staff: boolean
  link: string
}

export interface KeywordRefDto {
  name: string
  slug: string
}

export interface ThesaurusKeywordDto {
  name: string
  slug: string
  uri: string
  thesaurus: { name: string; slug: string; uri: string }
  i18n: Record<string, string>
}

export interface LinkDto {
  extension: string
  link_type: string
  name: string
  mime: string
  url: string
}

export interface ResourceDto {
  pk: string
  uuid: string
  resource_type: string
  polymorphic_ctype_id: string
  perms: string[]
  owner: UserDto
  poc: UserDto
  metadata_author: UserDto
  keywords: KeywordRefDto[]
  tkeywords: ThesaurusKeywordDto[]
  regions: { code: string; name: string }[]
  category: { identifier: string } | null
  title: string
  abstract: string
  attribution: string | null
  doi: string | null
  alternate: string | null
  bbox_polygon: Geometry | null
  ll_bbox_polygon: Geometry | null
  srid: string
  date: string
  date_type: string
  edition: string | null
  purpose: string | null
  maintenance_frequency: string | null
  restriction_code_type: { identifier: string } | null
  constraints_other: string | null
  license: { identifier: string } | null
  language: string
  spatial_representation_type: { identifier: string } | null
  temporal_extent_start: string | null
  temporal_extent_end: string | null
  supplemental_information: string
  data_quality_statement: string | null
  group: { pk: number; name: string } | null
  popular_count: string
  share_count: string
  rating: string
  featured: boolean
  is_published: boolean
  is_approved: boolean
  detail_url: string | null
  embed_url: string
  created: string
  last_updated: string
  raw_abstract: string
  raw_purpose: string
  raw_constraints_other: string
  raw_supplemental_information: string
  raw_data_quality_statement: string
  metadata_only: boolean
  processed: boolean
  thumbnail_url: string | null
  link: string
  favorite?: boolean
  links?: LinkDto[]
  metadata?: Record<string, unknown>[]
  [extra: string]: unknown
}

export interface StyleDto {
  pk: number
  name: string
  workspace: string | null
  sld_title: string | null
  sld_url: string
}

export interface AttributeDto {
  pk: number
  attribute: string
  description: string | null
  attribute_label: string | null
  attribute_type: string
  visible: boolean
  display_order: number
  featureinfo_type: string
  count: number
  min: string
  max: string
  average: string
  median: string
  stddev: string
  sum: string
  unique_values: string
  last_stats_updated: string | null
}

export interface MapLayerDto {
  pk: number
  name: string | null
  store: string | null
  stack_order: number
  format: string | null
  opacity: number
  styles: string
  transparent: boolean
  fixed: boolean
  group: string | null
  visibility: boolean
  ows_url: string | null
  layer_params: string
  source_params: string
  local: boolean
}

export interface GroupProfileDto {
  pk: number
  title: string
  group: { pk: number; name: string }
  slug: string
  logo: string | null
  description: string
  email: string | null
  keywords: string[]
  access: 'public' | 'public-invite' | 'private'
  categories: string[]
  link: string
}

export interface UploadFileDto {
  pk: number
  name: string
  slug: string
  base: boolean
  file: string
}

export interface UploadDto {
  id: number
  name: string
  date: string
  create_date: string
  user: number | null
  state: string
  progress: number | null
  complete: boolean
  import_id: number | null
  uploadfile_set: UploadFileDto[]
  resume_url: string | null
  delete_url: string | null
  import_url: string | null
  detail_url: string | null
  link: string
  layer?: ResourceDto | null
  session?: Record<string, unknown> | null
}

export interface PermSpecDto {
  users: Record<string, string[]>
  groups: Record<string, string[]>
}

export interface ListEnvelope<K extends string, T> {
  links: { next: string | null; previous: string | null }
  total: number
  page: number
  page_size: number
  // The list key is the family's plural name.
  [key: string]: unknown
}

export type ListOf<K extends string, T> = ListEnvelope<K, T> & { [P in K]: T[] }
