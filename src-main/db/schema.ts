import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Columns every tracked row carries: sync-ready stamps and a version counter. */
export interface RowMeta {
  created: Generated<string>
  last_updated: Generated<string>
  version: Generated<number>
}

export interface UserTable extends RowMeta {
  id: Generated<number>
  uuid: string
  username: string
  email: Generated<string>
  first_name: Generated<string>
  last_name: Generated<string>
  password_hash: string | null
  is_superuser: Generated<number>
  is_staff: Generated<number>
  is_active: Generated<number>
  date_joined: Generated<string>
  last_login: string | null
  avatar: string | null
  organization: string | null
  profile: string | null
  position: string | null
  voice: string | null
  fax: string | null
  delivery: string | null
  city: string | null
  area: string | null
  zipcode: string | null
  country: string | null
  language: Generated<string>
  timezone: Generated<string>
}

export interface AuthGroupTable extends RowMeta {
  id: Generated<number>
  name: string
}

export interface GroupProfileTable extends RowMeta {
  id: Generated<number>
  uuid: string
  group_id: number
  title: string
  slug: string
  logo: string | null
  description: Generated<string>
  email: string | null
  access: Generated<'public' | 'public-invite' | 'private'>
}

export interface GroupMemberTable extends RowMeta {
  group_id: number
  user_id: number
  role: Generated<'member' | 'manager'>
}

export interface GroupCategoryTable extends RowMeta {
  id: Generated<number>
  slug: string
  name: string
  description: string | null
}

export interface GroupProfileCategoryTable extends RowMeta {
  group_profile_id: number
  category_id: number
}

export interface GroupProfileKeywordTable extends RowMeta {
  group_profile_id: number
  keyword_id: number
}

/** TopicCategory, RestrictionCodeType and SpatialRepresentationType share one shape. */
export interface CodeListTable extends RowMeta {
  id: Generated<number>
  identifier: string
  description: Generated<string>
  gn_description: string | null
  is_choice: Generated<number>
  fa_class: Generated<string>
}

export interface LicenseTable extends RowMeta {
  id: Generated<number>
  identifier: string
  name: string
  abbreviation: string | null
  description: string | null
  url: string | null
  license_text: string | null
}

export interface RegionTable extends RowMeta {
  id: Generated<number>
  code: string
  name: string
  parent_id: number | null
  bbox_x0: number | null
  bbox_x1: number | null
  bbox_y0: number | null
  bbox_y1: number | null
  srid: Generated<string>
  lft: Generated<number>
  rght: Generated<number>
  tree_id: Generated<number>
  level: Generated<number>
}

export interface KeywordTable extends RowMeta {
  id: Generated<number>
  name: string
  slug: string
  path: Generated<string>
  depth: Generated<number>
  numchild: Generated<number>
}

export interface ThesaurusTable extends RowMeta {
  id: Generated<number>
  identifier: string
  title: string
  uri: Generated<string>
}

export interface ThesaurusKeywordTable extends RowMeta {
  id: Generated<number>
  thesaurus_id: number
  about: Generated<string>
  alt_label: Generated<string>
  slug: string
}

export interface ThesaurusKeywordLabelTable extends RowMeta {
  id: Generated<number>
  keyword_id: number
  lang: string
  label: string
}

export type ResourceType = 'layer' | 'map' | 'document' | 'geoapp' | 'geostory' | 'dashboard'

export interface ResourceTable extends RowMeta {
  id: Generated<number>
  uuid: string
  resource_type: ResourceType
  owner_id: number
  poc_id: number | null
  metadata_author_id: number | null
  title: string
  abstract: Generated<string>
  purpose: string | null
  attribution: string | null
  doi: string | null
  alternate: string | null
  date: Generated<string>
  date_type: Generated<'creation' | 'publication' | 'revision'>
  edition: string | null
  maintenance_frequency: string | null
  restriction_code_type_id: number | null
  constraints_other: string | null
  license_id: number | null
  language: Generated<string>
  spatial_representation_type_id: number | null
  temporal_extent_start: string | null
  temporal_extent_end: string | null
  supplemental_information: Generated<string>
  data_quality_statement: string | null
  group_id: number | null
  category_id: number | null
  bbox_polygon: string | null
  ll_bbox_polygon: string | null
  ll_minx: number | null
  ll_miny: number | null
  ll_maxx: number | null
  ll_maxy: number | null
  srid: Generated<string>
  thumbnail_url: string | null
  /** Originals kept for download, relative to the data folder (files/<uuid>), when the resource has any. */
  files_dir: string | null
  popular_count: Generated<number>
  share_count: Generated<number>
  rating: Generated<number>
  featured: Generated<number>
  is_published: Generated<number>
  is_approved: Generated<number>
  metadata_only: Generated<number>
  dirty_state: Generated<number>
  processed: Generated<number>
  /** Derived by triggers from group grants: 2 anonymous may view, 1 registered members, 0 neither. */
  audience: Generated<number>
}

export interface ResourceKeywordTable extends RowMeta {
  resource_id: number
  keyword_id: number
}

export interface ResourceTkeywordTable extends RowMeta {
  resource_id: number
  tkeyword_id: number
}

export interface ResourceRegionTable extends RowMeta {
  resource_id: number
  region_id: number
}

export interface ResourceLinkTable extends RowMeta {
  id: Generated<number>
  resource_id: number
  extension: string
  link_type: string
  name: string
  mime: string
  url: string
}

export interface ResourceExtraMetadataTable extends RowMeta {
  id: Generated<number>
  resource_id: number
  metadata: Generated<string>
}

export interface ResourceUserPermTable extends RowMeta {
  resource_id: number
  user_id: number
  codename: string
}

export interface ResourceGroupPermTable extends RowMeta {
  resource_id: number
  group_id: number
  codename: string
}

export interface FavoriteTable extends RowMeta {
  user_id: number
  resource_id: number
}

export interface StyleTable extends RowMeta {
  id: Generated<number>
  name: string
  workspace: string | null
  sld_title: string | null
  sld_body: string | null
}

export interface LayerTable extends RowMeta {
  resource_id: number
  name: string
  workspace: Generated<string>
  store: Generated<string>
  store_type: Generated<'dataStore' | 'coverageStore' | 'remoteStore'>
  charset: Generated<string>
  is_mosaic: Generated<number>
  has_time: Generated<number>
  has_elevation: Generated<number>
  time_regex: string | null
  elevation_regex: string | null
  use_featureinfo_custom_template: Generated<number>
  featureinfo_custom_template: string | null
  default_style_id: number | null
  ptype: Generated<string>
  upload_session_id: number | null
  feature_count: number | null
  feature_set_id: number | null
  data_file: string | null
}

export interface LayerStyleTable extends RowMeta {
  layer_id: number
  style_id: number
}

export interface LayerAttributeTable extends RowMeta {
  id: Generated<number>
  layer_id: number
  attribute: string
  description: string | null
  attribute_label: string | null
  attribute_type: Generated<string>
  visible: Generated<number>
  display_order: Generated<number>
  featureinfo_type: Generated<string>
  count: Generated<number>
  min: Generated<string>
  max: Generated<string>
  average: Generated<string>
  median: Generated<string>
  stddev: Generated<string>
  sum: Generated<string>
  unique_values: Generated<string>
  last_stats_updated: string | null
}

export interface MapTable extends RowMeta {
  resource_id: number
  zoom: Generated<number>
  projection: Generated<string>
  center_x: Generated<number>
  center_y: Generated<number>
  urlsuffix: Generated<string>
  featuredurl: Generated<string>
  mapstore_data: string | null
  mapstore_attributes: string | null
}

export interface MapLayerTable extends RowMeta {
  id: Generated<number>
  uuid: string
  map_id: number
  dataset_id: number | null
  stack_order: number
  name: string | null
  store: string | null
  format: string | null
  opacity: Generated<number>
  styles: Generated<string>
  transparent: Generated<number>
  fixed: Generated<number>
  group_name: string | null
  visibility: Generated<number>
  ows_url: string | null
  layer_params: Generated<string>
  source_params: Generated<string>
  local: Generated<number>
}

export interface DocumentTable extends RowMeta {
  resource_id: number
  doc_type: string | null
  extension: string | null
  mime_type: string | null
  doc_file: string | null
  doc_url: string | null
  file_size: number | null
  sha256: string | null
}

export interface DocumentLinkTable extends RowMeta {
  document_id: number
  resource_id: number
}

export interface GeoappTable extends RowMeta {
  resource_id: number
  name: string
  app_type: string | null
  zoom: number | null
  projection: string | null
  center_x: number | null
  center_y: number | null
  urlsuffix: string | null
  data: string | null
}

export interface UploadTable extends RowMeta {
  id: Generated<number>
  uuid: string
  user_id: number | null
  layer_id: number | null
  name: string
  state: Generated<string>
  date: Generated<string>
  create_date: Generated<string>
  import_id: number | null
  complete: Generated<number>
  upload_dir: string | null
  session: string | null
  error_msg: string | null
}

export interface UploadFileTable extends RowMeta {
  id: Generated<number>
  upload_id: number
  name: string
  slug: string
  base: Generated<number>
  file: string
  size: number | null
  sha256: string | null
}

export interface UploadSizeLimitTable extends RowMeta {
  slug: string
  description: string | null
  max_size: Generated<number>
}

export interface AccessTokenTable extends RowMeta {
  id: Generated<number>
  token_hash: string
  refresh_hash: string | null
  user_id: number
  kind: 'bearer' | 'session'
  scope: Generated<string>
  csrf_token: string | null
  expires: string
}

export interface ChangeTable {
  seq: Generated<number>
  table_name: string
  row_key: string
  row_uuid: string | null
  op: 'insert' | 'update' | 'delete'
  row_version: number | null
  changed_at: Generated<string>
}

export interface ResourceExtentTable {
  id: number
  minx: number
  maxx: number
  miny: number
  maxy: number
}

export interface ResourceSearchTable {
  rowid: number
  title: string
  abstract: string
  purpose: string
  keywords: string
  regions: string
  category: string
  resource_search: string
  rank: number
}

export interface FeatureSetTable {
  id: Generated<number>
  upload_id: number | null
  state: 'staging' | 'ready' | 'dropped'
  feature_count: Generated<number>
  created: Generated<string>
}

export interface LayerFeatureTable {
  id: Generated<number>
  feature_set_id: number
  fid: number
  feature: string
}

export interface SyncRemoteTable {
  id: Generated<number>
  base_url: string
  username: string
  auth_kind: 'basic' | 'token'
  /** The password or token, sealed by the data folder's key (never sent to the renderer). */
  secret: string
  follow_types: Generated<string>
  follow_owners: Generated<string>
  follow_groups: Generated<string>
  created: Generated<string>
  last_updated: Generated<string>
}

export interface SyncStateTable {
  remote_id: number
  run_id: string | null
  phase: Generated<string>
  pull_cursor: string | null
  pull_tie: Generated<string>
  pushed_seq: Generated<number>
  last_reconciled: string | null
  started: string | null
  finished: string | null
  last_result: string | null
  last_error: string | null
  progress_done: Generated<number>
  progress_total: Generated<number>
}

export interface SyncBindingTable {
  id: Generated<number>
  remote_id: number
  resource_type: string
  remote_pk: number | null
  remote_uuid: string | null
  local_id: number | null
  local_uuid: string
  base: string | null
  base_hash: string | null
  remote_last_updated: string | null
  state: Generated<'synced' | 'creating' | 'conflict' | 'gone'>
  create_started: string | null
  created: Generated<string>
  last_synced: string | null
  offline: Generated<number>
  data_pulled: string | null
  /** The local layer data (feature set and raster file) both sides last had; see migration 1900. */
  data_sent: string | null
}

export interface SyncConflictTable {
  id: Generated<number>
  binding_id: number
  field: string
  base_value: string | null
  local_value: string | null
  remote_value: string | null
  state: Generated<'open' | 'resolved'>
  resolution: string | null
  created: Generated<string>
  resolved: string | null
}

export interface SyncJournalTable {
  id: Generated<number>
  remote_id: number
  run_id: string
  at: Generated<string>
  direction: string
  action: string
  local_id: number | null
  remote_pk: number | null
  outcome: string
  message: string | null
}

/** One row: moves whenever users, groups, memberships or tokens change (see the migration). */
export interface AuthGenerationTable {
  id: number
  value: number
}

export interface Database {
  users: UserTable
  auth_groups: AuthGroupTable
  group_profiles: GroupProfileTable
  group_members: GroupMemberTable
  group_categories: GroupCategoryTable
  group_profile_categories: GroupProfileCategoryTable
  group_profile_keywords: GroupProfileKeywordTable
  topic_categories: CodeListTable
  restriction_code_types: CodeListTable
  spatial_representation_types: CodeListTable
  licenses: LicenseTable
  regions: RegionTable
  keywords: KeywordTable
  thesauri: ThesaurusTable
  thesaurus_keywords: ThesaurusKeywordTable
  thesaurus_keyword_labels: ThesaurusKeywordLabelTable
  resources: ResourceTable
  resource_keywords: ResourceKeywordTable
  resource_tkeywords: ResourceTkeywordTable
  resource_regions: ResourceRegionTable
  resource_links: ResourceLinkTable
  resource_extra_metadata: ResourceExtraMetadataTable
  resource_user_perms: ResourceUserPermTable
  resource_group_perms: ResourceGroupPermTable
  favorites: FavoriteTable
  styles: StyleTable
  layers: LayerTable
  layer_styles: LayerStyleTable
  layer_attributes: LayerAttributeTable
  maps: MapTable
  map_layers: MapLayerTable
  documents: DocumentTable
  document_links: DocumentLinkTable
  geoapps: GeoappTable
  uploads: UploadTable
  upload_files: UploadFileTable
  upload_size_limits: UploadSizeLimitTable
  access_tokens: AccessTokenTable
  changes: ChangeTable
  auth_generation: AuthGenerationTable
  feature_sets: FeatureSetTable
  layer_features: LayerFeatureTable
  id_sequences: { name: string; value: number }
  sync_remotes: SyncRemoteTable
  sync_state: SyncStateTable
  sync_bindings: SyncBindingTable
  sync_conflicts: SyncConflictTable
  sync_journal: SyncJournalTable
  resource_extents: ResourceExtentTable
  resource_search: ResourceSearchTable
}

export type UserRow = Selectable<UserTable>
export type NewUserRow = Insertable<UserTable>
export type UserRowUpdate = Updateable<UserTable>
export type ResourceRow = Selectable<ResourceTable>
export type NewResourceRow = Insertable<ResourceTable>
export type ResourceRowUpdate = Updateable<ResourceTable>
export type GroupProfileRow = Selectable<GroupProfileTable>
export type LayerRow = Selectable<LayerTable>
export type MapRow = Selectable<MapTable>
export type MapLayerRow = Selectable<MapLayerTable>
export type DocumentRow = Selectable<DocumentTable>
export type GeoappRow = Selectable<GeoappTable>
export type UploadRow = Selectable<UploadTable>
export type UploadFileRow = Selectable<UploadFileTable>
export type KeywordRow = Selectable<KeywordTable>
export type RegionRow = Selectable<RegionTable>
export type CodeListRow = Selectable<CodeListTable>
export type LicenseRow = Selectable<LicenseTable>
export type ChangeRow = Selectable<ChangeTable>
