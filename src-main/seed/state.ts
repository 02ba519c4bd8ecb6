/** What every part of the seed shares: the generator's state, the shapes it passes around, its prepared statements and small helpers (timestamps, extents). */
import type Sqlite from 'better-sqlite3'
import type { StoreType } from '../../src-shared/api/permissions'
import { Random } from './random'
import { type Lookups, type RegionInfo, loadLookups } from './reference'
import type { SeedSummary } from './seed'
import { CITIES, type Theme } from './vocabulary'

export type Bbox = [minx: number, miny: number, maxx: number, maxy: number]

export type SeededType = 'layer' | 'map' | 'document' | 'geoapp' | 'geostory'

export const YEAR_US = 365.25 * 24 * 3600 * 1e6
export const DAY_US = 24 * 3600 * 1e6
const EARTH_RADIUS = 6378137
export const MAX_MERCATOR_LAT = 85.0511

/** ISO-8601 UTC with microseconds, from integer microseconds since the epoch. */
export function isoMicros(us: number): string {
  const whole = Math.floor(us)
  return `${new Date(Math.floor(whole / 1000)).toISOString().slice(0, 23)}${String(whole % 1000).padStart(3, '0')}Z`
}

export const round = (value: number, digits: number): number => Number(value.toFixed(digits))
export const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value))
export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

export function polygonText([x0, y0, x1, y1]: Bbox): string {
  return `{"type":"Polygon","coordinates":[[[${x0},${y0}],[${x0},${y1}],[${x1},${y1}],[${x1},${y0}],[${x0},${y0}]]]}`
}

export function toMercator(lon: number, lat: number): [number, number] {
  const y = Math.log(Math.tan(Math.PI / 4 + (clamp(lat, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT) * Math.PI) / 360))
  return [round((EARTH_RADIUS * lon * Math.PI) / 180, 2), round(EARTH_RADIUS * y, 2)]
}

export function mercatorBbox([x0, y0, x1, y1]: Bbox): Bbox {
  const [mx0, my0] = toMercator(x0, y0)
  const [mx1, my1] = toMercator(x1, y1)
  return [mx0, my0, mx1, my1]
}

export function unionBbox(boxes: Bbox[]): Bbox {
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3]))
  ]
}

export function cleanBbox([x0, y0, x1, y1]: Bbox): Bbox {
  return [round(clamp(x0, -180, 180), 6), round(clamp(y0, -90, 90), 6), round(clamp(x1, -180, 180), 6), round(clamp(y1, -90, 90), 6)]
}

export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

export interface Place {
  label: string
  bbox: Bbox
  regionIds: number[]
  country: string | null
  global: boolean
}

export interface GroupInfo {
  authId: number
  profileId: number
  slug: string
  access: 'public' | 'public-invite' | 'private'
  managers: number[]
  members: number[]
}

export interface LayerRef {
  id: number
  alternate: string
  styleName: string
  title: string
  theme: Theme
  place: Place
  bbox: Bbox
}

export interface ResourceDraft {
  id: number
  type: SeededType
  title: string
  abstract: string
  ownerId: number
  theme: Theme
  place: Place
  group: GroupInfo | null
  isPublic: boolean
  storeType: StoreType | null
  srid: string
  keywordCount: number
  withTkeywords: boolean
  extraViewers: number
  registeredView: boolean
  document: DocumentFormat | null
  year: number
  resolution: number
}

export interface DocumentFormat {
  kind: string
  extension: string
  mime: string
}

/** The seed's statements by name, prepared once per seed. */
const STATEMENTS = {
  user: `INSERT INTO users (id, uuid, username, email, first_name, last_name, password_hash, is_superuser, is_staff, is_active,
      date_joined, last_login, organization, profile, position, voice, city, country, language, created, last_updated)
    VALUES (@id, @uuid, @username, @email, @first_name, @last_name, @password_hash, 0, @is_staff, 1,
      @date_joined, @last_login, @organization, @profile, @position, @voice, @city, @country, 'en', @created, @last_updated)`,
  member: 'INSERT OR IGNORE INTO group_members (group_id, user_id, role) VALUES (?, ?, ?)',
  authGroup: 'INSERT INTO auth_groups (name) VALUES (?)',
  groupProfile: `INSERT INTO group_profiles (uuid, group_id, title, slug, description, email, access)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
  groupCategory: 'INSERT OR IGNORE INTO group_profile_categories (group_profile_id, category_id) VALUES (?, ?)',
  groupKeyword: 'INSERT OR IGNORE INTO group_profile_keywords (group_profile_id, keyword_id) VALUES (?, ?)',
  findKeyword: 'SELECT id, path, numchild FROM keywords WHERE slug = ?',
  keyword: 'INSERT INTO keywords (name, slug, path, depth, numchild) VALUES (?, ?, ?, ?, 0)',
  keywordChildren: 'UPDATE keywords SET numchild = ? WHERE id = ? AND numchild <> ?',
  resource: `INSERT INTO resources (id, uuid, resource_type, owner_id, poc_id, metadata_author_id, title, abstract, purpose, attribution,
      doi, alternate, date, date_type, edition, maintenance_frequency, restriction_code_type_id, constraints_other, license_id, language,
      spatial_representation_type_id, temporal_extent_start, temporal_extent_end, supplemental_information, data_quality_statement,
      group_id, category_id, bbox_polygon, ll_bbox_polygon, ll_minx, ll_miny, ll_maxx, ll_maxy, srid, thumbnail_url, popular_count,
      share_count, rating, featured, is_published, is_approved, created, last_updated)
    VALUES (@id, @uuid, @resource_type, @owner_id, @poc_id, @metadata_author_id, @title, @abstract, @purpose, @attribution,
      @doi, @alternate, @date, @date_type, @edition, @maintenance_frequency, @restriction_code_type_id, @constraints_other, @license_id,
      @language, @spatial_representation_type_id, @temporal_extent_start, @temporal_extent_end, @supplemental_information,
      @data_quality_statement, @group_id, @category_id, @bbox_polygon, @ll_bbox_polygon, @ll_minx, @ll_miny, @ll_maxx, @ll_maxy, @srid,
      NULL, @popular_count, @share_count, @rating, @featured, @is_published, @is_approved, @created, @last_updated)`,
  resourceKeyword: 'INSERT INTO resource_keywords (resource_id, keyword_id) VALUES (?, ?)',
  resourceRegion: 'INSERT INTO resource_regions (resource_id, region_id) VALUES (?, ?)',
  resourceTkeyword: 'INSERT INTO resource_tkeywords (resource_id, tkeyword_id) VALUES (?, ?)',
  style: `INSERT INTO styles (name, workspace, sld_title, created, last_updated) VALUES (?, 'geonode', ?, ?, ?)`,
  layer: `INSERT INTO layers (resource_id, name, workspace, store, store_type, default_style_id, ptype, feature_count, created, last_updated)
    VALUES (?, ?, 'geonode', ?, ?, ?, 'gxp_wmscsource', ?, ?, ?)`,
  layerStyle: 'INSERT INTO layer_styles (layer_id, style_id) VALUES (?, ?)',
  attribute: `INSERT INTO layer_attributes (layer_id, attribute, attribute_label, attribute_type, display_order)
    VALUES (?, ?, ?, ?, ?)`,
  map: `INSERT INTO maps (resource_id, zoom, projection, center_x, center_y, urlsuffix, featuredurl, created, last_updated)
    VALUES (?, ?, 'EPSG:3857', ?, ?, '', '', ?, ?)`,
  mapLayer: `INSERT INTO map_layers (uuid, map_id, dataset_id, stack_order, name, store, format, opacity, styles, transparent, fixed,
      group_name, visibility, ows_url, layer_params, source_params, local)
    VALUES (@uuid, @map_id, @dataset_id, @stack_order, @name, @store, @format, @opacity, @styles, @transparent, @fixed,
      @group_name, @visibility, NULL, @layer_params, @source_params, @local)`,
  document: `INSERT INTO documents (resource_id, doc_type, extension, mime_type, doc_file, doc_url, file_size, created, last_updated)
    VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  documentLink: 'INSERT INTO document_links (document_id, resource_id) VALUES (?, ?)',
  geoapp: `INSERT INTO geoapps (resource_id, name, app_type, zoom, projection, center_x, center_y, urlsuffix, data, created, last_updated)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  favorite: 'INSERT OR IGNORE INTO favorites (user_id, resource_id) VALUES (?, ?)'
}

type Statements = Record<keyof typeof STATEMENTS, Sqlite.Statement>

function prepareStatements(sqlite: Sqlite.Database): Statements {
  return Object.fromEntries(Object.entries(STATEMENTS).map(([name, source]) => [name, sqlite.prepare(source)])) as Statements
}

/**
 * What the generator shares while it seeds: the random sequence, the prepared statements, the catalogue's
 * reference rows, and what it has made so far (the later steps draw their owners, groups and layers from it).
 */
export class SeedState {
  readonly rng: Random
  readonly st: Statements
  readonly lookups: Lookups
  readonly startUs: number
  readonly spanUs: number
  readonly userIds: number[] = []
  readonly usernames = new Map<number, string>()
  readonly bulk: Map<string, Sqlite.Statement> = new Map()
  readonly groups: GroupInfo[] = []
  readonly groupsOfUser = new Map<number, GroupInfo[]>()
  readonly keywordIds = new Map<string, number>()
  readonly layers: LayerRef[] = []
  readonly layersByCountry = new Map<string, LayerRef[]>()
  readonly publicIds: number[] = []
  readonly cities: [string, string, number, number][]
  readonly countryList: RegionInfo[]
  readonly wideRegions: RegionInfo[]
  readonly summary: Omit<SeedSummary, 'fixtures'>
  firstResourceId = 1
  stepUs = 0

  constructor(
    readonly sqlite: Sqlite.Database,
    seed: number,
    now: Date
  ) {
    this.rng = new Random(seed)
    this.st = prepareStatements(sqlite)
    this.lookups = loadLookups(sqlite)
    this.spanUs = 10 * YEAR_US
    this.startUs = now.getTime() * 1000 - this.spanUs
    this.cities = CITIES.filter(([, code]) => this.lookups.countries.has(code))
    this.countryList = [...this.lookups.countries.values()]
    this.wideRegions = this.lookups.regions.filter((r) => r.level === 1 || r.level === 2)
    this.summary = {
      users: 0,
      groups: 0,
      resources: { total: 0, layer: 0, map: 0, document: 0, geoapp: 0, geostory: 0 },
      vectorLayers: 0,
      rasterLayers: 0,
      mapLayers: 0,
      documentLinks: 0,
      keywords: 0,
      resourceKeywords: 0,
      userPerms: 0,
      groupPerms: 0,
      favorites: 0
    }
  }
}
