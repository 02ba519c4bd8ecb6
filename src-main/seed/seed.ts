import type Sqlite from 'better-sqlite3'
import {
  ANONYMOUS_GROUP,
  CONTRIBUTORS_GROUP,
  DOWNLOAD,
  REGISTERED_MEMBERS_GROUP,
  VIEW,
  applicablePermissions,
  isDownloadable,
  publicPermissions,
  type StoreType
} from '../../src-shared/api/permissions'
import { INSPIRE_THESAURUS, slugify } from '../db/reference-data'
import { hashPassword } from '../services/passwords'
import { Random } from './random'
import {
  CITIES,
  COMMON_ATTRIBUTES,
  CONSTRAINTS,
  DIRECTIONS,
  DOCUMENT_KINDS,
  FIRST_NAMES,
  FREQUENCIES,
  GEOMETRY_TYPES,
  GROUP_SUBJECTS,
  GROUP_UNITS,
  KEYWORD_TREE,
  LAST_NAMES,
  NOTES,
  ORGANIZATIONS,
  POSITIONS,
  PROJECTS,
  PURPOSES,
  RASTER_THEMES,
  SOURCES,
  THEMES,
  type Theme,
  VECTOR_THEMES
} from './vocabulary'

/** Password of every seeded user. */
export const DEMO_PASSWORD = 'mapshelf-demo'

export interface SeedOptions {
  resources: number
  users?: number
  groups?: number
  seed?: number
  /** Seeded timestamps end just before this instant (default: the current time). */
  now?: Date
}

/** Named rows tests can rely on, whatever the size of the catalogue. */
export interface SeedFixtures {
  /** Non-staff user: owns vectorLayerId, mapId and imageDocumentId; manages publicGroup; not in privateGroup. */
  plainUser: string
  /** Non-staff user: owns rasterLayerId and privateLayerId; manages privateGroup. */
  otherUser: string
  publicGroup: string
  publicInviteGroup: string
  privateGroup: string
  /** Public vector layer (dataStore) with keywords, a category and a thesaurus keyword. */
  vectorLayerId: number
  /** Public raster layer (coverageStore). */
  rasterLayerId: number
  /** Public map showing vectorLayerId and rasterLayerId over an OSM background. */
  mapId: number
  /** Public image document (png, with doc_file) linked to vectorLayerId. */
  imageDocumentId: number
  /** Vector layer of privateGroup, not public, no grants beyond owner, group and its managers. */
  privateLayerId: number
}

export interface SeedSummary {
  users: number
  groups: number
  resources: { total: number; layer: number; map: number; document: number; geoapp: number; geostory: number }
  vectorLayers: number
  rasterLayers: number
  /** map_layers rows, OSM backgrounds included. */
  mapLayers: number
  documentLinks: number
  /** keywords rows inserted (the vocabulary), and resource_keywords rows. */
  keywords: number
  resourceKeywords: number
  userPerms: number
  groupPerms: number
  favorites: number
  fixtures: SeedFixtures
}

type Bbox = [minx: number, miny: number, maxx: number, maxy: number]
type SeededType = 'layer' | 'map' | 'document' | 'geoapp' | 'geostory'

const TYPE_SHARES: [SeededType, number][] = [['layer', 0.55], ['map', 0.2], ['document', 0.2], ['geoapp', 0.03], ['geostory', 0.02]]

const OSM_BACKGROUND = {
  dataset_id: null,
  stack_order: 0,
  name: 'mapnik',
  store: null,
  format: null,
  opacity: 1,
  styles: '',
  transparent: 0,
  fixed: 1,
  group_name: 'background',
  visibility: 1,
  layer_params: '{"title":"Open Street Map","type":"osm"}',
  source_params: '{"ptype":"gxp_olsource"}',
  local: 0
}

const YEAR_US = 365.25 * 24 * 3600 * 1e6
const DAY_US = 24 * 3600 * 1e6
const EARTH_RADIUS = 6378137
const MAX_MERCATOR_LAT = 85.0511

/** ISO-8601 UTC with microseconds, from integer microseconds since the epoch. */
function isoMicros(us: number): string {
  const whole = Math.floor(us)
  return `${new Date(Math.floor(whole / 1000)).toISOString().slice(0, 23)}${String(whole % 1000).padStart(3, '0')}Z`
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits))
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value))
const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

function polygonText([x0, y0, x1, y1]: Bbox): string {
  return `{"type":"Polygon","coordinates":[[[${x0},${y0}],[${x0},${y1}],[${x1},${y1}],[${x1},${y0}],[${x0},${y0}]]]}`
}

function toMercator(lon: number, lat: number): [number, number] {
  const y = Math.log(Math.tan(Math.PI / 4 + (clamp(lat, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT) * Math.PI) / 360))
  return [round((EARTH_RADIUS * lon * Math.PI) / 180, 2), round(EARTH_RADIUS * y, 2)]
}

function mercatorBbox([x0, y0, x1, y1]: Bbox): Bbox {
  const [mx0, my0] = toMercator(x0, y0)
  const [mx1, my1] = toMercator(x1, y1)
  return [mx0, my0, mx1, my1]
}

function unionBbox(boxes: Bbox[]): Bbox {
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3]))
  ]
}

function cleanBbox([x0, y0, x1, y1]: Bbox): Bbox {
  return [round(clamp(x0, -180, 180), 6), round(clamp(y0, -90, 90), 6), round(clamp(x1, -180, 180), 6), round(clamp(y1, -90, 90), 6)]
}

function layerName(title: string, id: number): string {
  const base = slugify(title).replace(/-/g, '_').slice(0, 48).replace(/_+$/, '')
  return `${base}_${id}`
}

function typeQuotas(total: number): Record<SeededType, number> {
  const raw = TYPE_SHARES.map(([type, share]) => [type, total * share] as const)
  const quotas = Object.fromEntries(raw.map(([type, value]) => [type, Math.floor(value)])) as Record<SeededType, number>
  let missing = total - Object.values(quotas).reduce((a, b) => a + b, 0)
  const byRemainder = [...raw].sort((a, b) => b[1] - Math.floor(b[1]) - (a[1] - Math.floor(a[1])))
  for (const [type] of byRemainder) {
    if (missing-- <= 0) break
    quotas[type]++
  }
  return quotas
}

interface RegionInfo {
  id: number
  code: string
  name: string
  parentId: number | null
  level: number
  bbox: Bbox
}

interface Place {
  label: string
  bbox: Bbox
  regionIds: number[]
  country: string | null
  global: boolean
}

interface GroupInfo {
  authId: number
  profileId: number
  slug: string
  access: 'public' | 'public-invite' | 'private'
  managers: number[]
  members: number[]
}

interface LayerRef {
  id: number
  alternate: string
  styleName: string
  title: string
  theme: Theme
  place: Place
  bbox: Bbox
}

interface Lookups {
  anonymousGroupId: number
  contributorsGroupId: number
  registeredGroupId: number
  categories: Map<string, number>
  licenses: [number, number][]
  restrictionIds: number[]
  spatialTypes: Map<string, number>
  regions: RegionInfo[]
  countries: Map<string, RegionInfo>
  regionById: Map<number, RegionInfo>
  inspire: Map<string, number>
  inspireIds: number[]
  groupCategoryIds: number[]
}

interface ResourceDraft {
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

interface DocumentFormat {
  kind: string
  extension: string
  mime: string
}

interface ResourceExtras {
  mapLayers?: LayerRef[]
  documentLinks?: number[]
  imageFixture?: boolean
}

type ResourceOverrides = Partial<Omit<ResourceDraft, 'id' | 'type'>>

const LICENSE_WEIGHTS: Record<string, number> = {
  not_specified: 35,
  'cc-by-4.0': 20,
  'cc-by-sa-4.0': 8,
  'odbl-1.0': 8,
  'cc0-1.0': 5,
  'cc-by-nc-4.0': 5
}

function prepareStatements(sqlite: Sqlite.Database) {
  const p = (source: string) => sqlite.prepare(source)
  return {
    user: p(`INSERT INTO users (id, uuid, username, email, first_name, last_name, password_hash, is_superuser, is_staff, is_active,
        date_joined, last_login, organization, profile, position, voice, city, country, language, created, last_updated)
      VALUES (@id, @uuid, @username, @email, @first_name, @last_name, @password_hash, 0, @is_staff, 1,
        @date_joined, @last_login, @organization, @profile, @position, @voice, @city, @country, 'en', @created, @last_updated)`),
    member: p('INSERT OR IGNORE INTO group_members (group_id, user_id, role) VALUES (?, ?, ?)'),
    authGroup: p('INSERT INTO auth_groups (name) VALUES (?)'),
    groupProfile: p(`INSERT INTO group_profiles (uuid, group_id, title, slug, description, email, access)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    groupCategory: p('INSERT OR IGNORE INTO group_profile_categories (group_profile_id, category_id) VALUES (?, ?)'),
    groupKeyword: p('INSERT OR IGNORE INTO group_profile_keywords (group_profile_id, keyword_id) VALUES (?, ?)'),
    findKeyword: p('SELECT id, path, numchild FROM keywords WHERE slug = ?'),
    keyword: p('INSERT INTO keywords (name, slug, path, depth, numchild) VALUES (?, ?, ?, ?, 0)'),
    keywordChildren: p('UPDATE keywords SET numchild = ? WHERE id = ? AND numchild <> ?'),
    resource: p(`INSERT INTO resources (id, uuid, resource_type, owner_id, poc_id, metadata_author_id, title, abstract, purpose, attribution,
        doi, alternate, date, date_type, edition, maintenance_frequency, restriction_code_type_id, constraints_other, license_id, language,
        spatial_representation_type_id, temporal_extent_start, temporal_extent_end, supplemental_information, data_quality_statement,
        group_id, category_id, bbox_polygon, ll_bbox_polygon, ll_minx, ll_miny, ll_maxx, ll_maxy, srid, thumbnail_url, popular_count,
        share_count, rating, featured, is_published, is_approved, created, last_updated)
      VALUES (@id, @uuid, @resource_type, @owner_id, @poc_id, @metadata_author_id, @title, @abstract, @purpose, @attribution,
        @doi, @alternate, @date, @date_type, @edition, @maintenance_frequency, @restriction_code_type_id, @constraints_other, @license_id,
        @language, @spatial_representation_type_id, @temporal_extent_start, @temporal_extent_end, @supplemental_information,
        @data_quality_statement, @group_id, @category_id, @bbox_polygon, @ll_bbox_polygon, @ll_minx, @ll_miny, @ll_maxx, @ll_maxy, @srid,
        NULL, @popular_count, @share_count, @rating, @featured, @is_published, @is_approved, @created, @last_updated)`),
    resourceKeyword: p('INSERT INTO resource_keywords (resource_id, keyword_id) VALUES (?, ?)'),
    resourceRegion: p('INSERT INTO resource_regions (resource_id, region_id) VALUES (?, ?)'),
    resourceTkeyword: p('INSERT INTO resource_tkeywords (resource_id, tkeyword_id) VALUES (?, ?)'),
    style: p(`INSERT INTO styles (name, workspace, sld_title, created, last_updated) VALUES (?, 'geonode', ?, ?, ?)`),
    layer: p(`INSERT INTO layers (resource_id, name, workspace, store, store_type, default_style_id, ptype, feature_count, created, last_updated)
      VALUES (?, ?, 'geonode', ?, ?, ?, 'gxp_wmscsource', ?, ?, ?)`),
    layerStyle: p('INSERT INTO layer_styles (layer_id, style_id) VALUES (?, ?)'),
    attribute: p(`INSERT INTO layer_attributes (layer_id, attribute, attribute_label, attribute_type, display_order)
      VALUES (?, ?, ?, ?, ?)`),
    map: p(`INSERT INTO maps (resource_id, zoom, projection, center_x, center_y, urlsuffix, featuredurl, created, last_updated)
      VALUES (?, ?, 'EPSG:3857', ?, ?, '', '', ?, ?)`),
    mapLayer: p(`INSERT INTO map_layers (uuid, map_id, dataset_id, stack_order, name, store, format, opacity, styles, transparent, fixed,
        group_name, visibility, ows_url, layer_params, source_params, local)
      VALUES (@uuid, @map_id, @dataset_id, @stack_order, @name, @store, @format, @opacity, @styles, @transparent, @fixed,
        @group_name, @visibility, NULL, @layer_params, @source_params, @local)`),
    document: p(`INSERT INTO documents (resource_id, doc_type, extension, mime_type, doc_file, doc_url, file_size, created, last_updated)
      VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`),
    documentLink: p('INSERT INTO document_links (document_id, resource_id) VALUES (?, ?)'),
    geoapp: p(`INSERT INTO geoapps (resource_id, name, app_type, zoom, projection, center_x, center_y, urlsuffix, data, created, last_updated)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    favorite: p('INSERT OR IGNORE INTO favorites (user_id, resource_id) VALUES (?, ?)')
  }
}

type Statements = ReturnType<typeof prepareStatements>

const FIXTURE_COUNT = 5

class Seeder {
  private readonly rng: Random
  private readonly st: Statements
  private readonly lookups: Lookups
  private readonly startUs: number
  private readonly spanUs: number
  private readonly userIds: number[] = []
  private readonly usernames = new Map<number, string>()
  private readonly bulk = new Map<string, Sqlite.Statement>()
  private readonly groups: GroupInfo[] = []
  private readonly groupsOfUser = new Map<number, GroupInfo[]>()
  private readonly keywordIds = new Map<string, number>()
  private readonly layers: LayerRef[] = []
  private readonly layersByCountry = new Map<string, LayerRef[]>()
  private readonly publicIds: number[] = []
  private readonly cities: [string, string, number, number][]
  private readonly countryList: RegionInfo[]
  private readonly wideRegions: RegionInfo[]
  private readonly summary: Omit<SeedSummary, 'fixtures'>
  private firstResourceId = 1
  private stepUs = 0

  constructor(
    private readonly sqlite: Sqlite.Database,
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

  run(resources: number, users: number, groups: number): SeedSummary {
    this.assertEmpty()
    this.createKeywords()
    this.createUsers(users)
    const groupSlugs = this.createGroups(groups)
    const fixtures = this.createResources(resources)
    this.createFavorites(fixtures)
    return { ...this.summary, fixtures: { ...fixtures, ...groupSlugs } }
  }

  private assertEmpty(): void {
    const seeded = this.sqlite
      .prepare('SELECT (SELECT count(*) FROM resources) AS resources, (SELECT count(*) FROM users WHERE id > 1000) AS users')
      .get() as { resources: number; users: number }
    if (seeded.resources > 0 || seeded.users > 0) throw new Error('seedCatalogue: the catalogue already holds resources or seeded users')
  }

  private createKeywords(): void {
    const existingRoots = this.sqlite.prepare('SELECT count(*) AS n FROM keywords WHERE depth = 1').get() as { n: number }
    let rootCount = existingRoots.n
    for (const [root, children] of Object.entries(KEYWORD_TREE)) {
      const parent = this.ensureKeyword(root, () => treePath('', ++rootCount), 1)
      let childCount = parent.numchild
      for (const child of children) {
        const slug = slugify(child)
        if (this.keywordIds.has(slug)) continue
        this.ensureKeyword(child, () => treePath(parent.path, ++childCount), 2)
      }
      this.st.keywordChildren.run(childCount, parent.id, childCount)
    }
  }

  private ensureKeyword(name: string, path: () => string, depth: number): { id: number; path: string; numchild: number } {
    const slug = slugify(name)
    const found = this.st.findKeyword.get(slug) as { id: number; path: string; numchild: number } | undefined
    if (found) {
      this.keywordIds.set(slug, found.id)
      return found
    }
    const newPath = path()
    const id = Number(this.st.keyword.run(name, slug, newPath, depth).lastInsertRowid)
    this.keywordIds.set(slug, id)
    this.summary.keywords++
    return { id, path: newPath, numchild: 0 }
  }

  private createUsers(count: number): void {
    const passwordHash = hashPassword(DEMO_PASSWORD)
    const taken = new Set<string>()
    for (let i = 0; i < count; i++) {
      const id = 1001 + i
      const first = this.rng.pick(FIRST_NAMES)
      const last = this.rng.pick(LAST_NAMES)
      const username = uniqueName(`${asciiName(first)}.${asciiName(last)}`, taken, '')
      const organization = this.rng.pick(ORGANIZATIONS)
      const position = this.rng.pick(POSITIONS)
      const [city, country] = this.rng.pick(this.cities.length ? this.cities : CITIES)
      const isStaff = i >= 2 && this.rng.chance(0.03)
      const joinedUs = this.startUs - YEAR_US + this.rng.next() * (this.spanUs + YEAR_US - 30 * DAY_US)
      const loginUs = this.rng.chance(0.7) ? joinedUs + this.rng.next() * (this.startUs + this.spanUs - joinedUs) : null
      this.st.user.run({
        id,
        uuid: this.rng.uuid(),
        username,
        email: `${username}@${slugify(organization)}.example.org`,
        first_name: first,
        last_name: last,
        password_hash: passwordHash,
        is_staff: isStaff ? 1 : 0,
        date_joined: isoMicros(joinedUs),
        last_login: loginUs === null ? null : isoMicros(loginUs),
        organization,
        profile: this.rng.chance(0.4) ? `${capitalize(position)} at the ${organization}, based in ${city}.` : null,
        position,
        voice: this.rng.chance(0.3) ? `+${this.rng.int(10, 99)} ${this.rng.int(100, 999)} ${this.rng.int(1000000, 9999999)}` : null,
        city,
        country,
        created: isoMicros(joinedUs),
        last_updated: isoMicros(loginUs ?? joinedUs)
      })
      this.st.member.run(this.lookups.contributorsGroupId, id, 'member')
      this.st.member.run(this.lookups.registeredGroupId, id, 'member')
      this.userIds.push(id)
      this.usernames.set(id, username)
    }
    this.summary.users = count
  }

  private createGroups(count: number): Pick<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
    const takenSlugs = new Set(
      (this.sqlite.prepare('SELECT slug AS s FROM group_profiles UNION SELECT name FROM auth_groups').all() as { s: string }[]).map((r) => r.s)
    )
    const titles = this.rng.shuffle(GROUP_SUBJECTS.flatMap((subject) => GROUP_UNITS.map((unit) => `${subject} ${unit}`)))
    const fixedAccess: GroupInfo['access'][] = ['public', 'private', 'public-invite']
    for (let i = 0; i < count; i++) {
      const base = i < titles.length ? titles[i] : `${this.rng.pick(titles)} ${this.countryList.length ? this.rng.pick(this.countryList).name : i}`
      const slug = uniqueName(slugify(base), takenSlugs, '-')
      const title = slug === slugify(base) ? base : `${base} ${slug.split('-').pop()}`
      const access = fixedAccess[i] ?? this.rng.weighted<GroupInfo['access']>([['public', 50], ['public-invite', 20], ['private', 30]])
      this.groups.push(this.createGroup(i, title, slug, access))
    }
    this.summary.groups = count
    return { publicGroup: this.groups[0].slug, privateGroup: this.groups[1].slug, publicInviteGroup: this.groups[2].slug }
  }

  private createGroup(index: number, title: string, slug: string, access: GroupInfo['access']): GroupInfo {
    const authId = Number(this.st.authGroup.run(slug).lastInsertRowid)
    const organization = this.rng.pick(ORGANIZATIONS)
    const description = `${title} of the ${organization}. ${capitalize(this.rng.pick(PURPOSES))} and data sharing among members.`
    const email = this.rng.chance(0.7) ? `${slug}@example.org` : null
    const profileId = Number(this.st.groupProfile.run(this.rng.uuid(), authId, title, slug, description, email, access).lastInsertRowid)
    const { managers, members } = this.pickMembers(index)
    for (const userId of managers) this.st.member.run(authId, userId, 'manager')
    for (const userId of members) this.st.member.run(authId, userId, 'member')
    const group: GroupInfo = { authId, profileId, slug, access, managers, members }
    for (const userId of [...managers, ...members]) pushTo(this.groupsOfUser, userId, group)
    this.tagGroup(profileId)
    return group
  }

  private pickMembers(index: number): { managers: number[]; members: number[] } {
    const [plain, other] = this.userIds
    const candidates = this.userIds.filter((id) => (index === 1 ? id !== plain && id !== other : index === 0 ? id !== plain : true))
    const fixed = index === 0 ? [plain] : index === 1 ? [other] : []
    const extraManagers = Math.max(0, this.rng.int(1, 2) - fixed.length)
    const drawn = this.rng.sample(candidates, extraManagers + this.rng.int(3, 30))
    return { managers: [...fixed, ...drawn.slice(0, extraManagers)], members: drawn.slice(extraManagers) }
  }

  private tagGroup(profileId: number): void {
    if (this.rng.chance(0.6) && this.lookups.groupCategoryIds.length) {
      for (const id of this.rng.sample(this.lookups.groupCategoryIds, this.rng.int(1, 2))) this.st.groupCategory.run(profileId, id)
    }
    if (this.rng.chance(0.5)) {
      for (const id of this.rng.sample([...this.keywordIds.values()], this.rng.int(1, 3))) this.st.groupKeyword.run(profileId, id)
    }
  }

  private createResources(requested: number): Omit<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
    const total = Math.max(requested, FIXTURE_COUNT)
    const maxId = this.sqlite.prepare('SELECT coalesce(max(id), 0) AS id FROM resources').get() as { id: number }
    this.firstResourceId = maxId.id + 1
    this.stepUs = Math.floor(this.spanUs / total)
    const fixtures = this.createFixtures()
    const quotas = typeQuotas(total)
    quotas.layer -= 3
    quotas.map -= 1
    quotas.document -= 1
    const plan = this.rng.shuffle(
      (Object.entries(quotas) as [SeededType, number][]).flatMap(([type, n]) => Array.from({ length: Math.max(0, n) }, () => type))
    )
    while (plan.length < total - FIXTURE_COUNT) plan.push('layer')
    for (const type of plan.slice(0, total - FIXTURE_COUNT)) this.createResource(type, {})
    return fixtures
  }

  private createFixtures(): Omit<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
    const [plain, other] = this.userIds
    const vectorTheme = THEMES.find((t) => t.label === 'Road network')!
    const common = { group: null, extraViewers: 0, registeredView: false, isPublic: true }
    const vectorLayerId = this.createResource('layer', {
      ...common,
      ownerId: plain,
      theme: vectorTheme,
      storeType: 'dataStore',
      srid: 'EPSG:4326',
      keywordCount: 3,
      withTkeywords: true
    })
    const place = this.layers[0].place
    const rasterLayerId = this.createResource('layer', { ...common, ownerId: other, theme: THEMES[0], place, storeType: 'coverageStore' })
    const mapId = this.createResource('map', { ...common, ownerId: plain }, { mapLayers: this.layers.slice(0, 2) })
    const imageDocumentId = this.createResource(
      'document',
      { ...common, ownerId: plain, theme: vectorTheme, place, title: `Field photograph - road network, ${place.label}` },
      { documentLinks: [vectorLayerId], imageFixture: true }
    )
    const privateLayerId = this.createResource('layer', {
      ...common,
      ownerId: other,
      isPublic: false,
      group: this.groups[1],
      storeType: 'dataStore'
    })
    const [plainUser, otherUser] = [this.usernames.get(plain)!, this.usernames.get(other)!]
    return { plainUser, otherUser, vectorLayerId, rasterLayerId, mapId, imageDocumentId, privateLayerId }
  }

  private createResource(type: SeededType, overrides: ResourceOverrides, extra: ResourceExtras = {}): number {
    const draft = this.draft(type, overrides, extra.imageFixture === true)
    const mapLayers = type === 'map' ? (extra.mapLayers ?? this.pickMapLayers()) : []
    if (mapLayers.length) {
      draft.place = { ...mapLayers[0].place, bbox: cleanBbox(unionBbox(mapLayers.map((l) => l.bbox))) }
      draft.theme = mapLayers[0].theme
      draft.title = this.mapTitle(mapLayers)
      draft.abstract = this.mapAbstract(draft, mapLayers)
    }
    const times = this.timestamps(draft.id)
    // Parents before children, so the change log replays in order.
    this.insertResourceRow(draft, times)
    this.insertTags(draft)
    if (type === 'layer') this.insertLayer(draft, times)
    if (type === 'map') this.insertMap(draft, mapLayers, times)
    if (type === 'document') this.insertDocument(draft, extra.documentLinks, times)
    if (type === 'geoapp' || type === 'geostory') this.insertGeoapp(draft, times)
    this.insertPermissions(draft)
    if (draft.isPublic) this.publicIds.push(draft.id)
    this.summary.resources.total++
    this.summary.resources[type]++
    return draft.id
  }

  private draft(type: SeededType, overrides: ResourceOverrides, imageFixture: boolean): ResourceDraft {
    const id = this.firstResourceId + this.summary.resources.total
    const storeType = type === 'layer' ? (overrides.storeType ?? (this.rng.chance(0.8) ? 'dataStore' : 'coverageStore')) : null
    const theme = overrides.theme ?? this.pickTheme(storeType)
    const place = overrides.place ?? this.pickPlace()
    const ownerId = overrides.ownerId ?? this.pickOwner()
    const ownerGroups = this.groupsOfUser.get(ownerId) ?? []
    const group = overrides.group !== undefined ? overrides.group : ownerGroups.length && this.rng.chance(0.25) ? this.rng.pick(ownerGroups) : null
    const isPublic = overrides.isPublic ?? this.rng.chance(0.7)
    const createdYear = new Date((this.startUs + (id - this.firstResourceId) * this.stepUs) / 1000).getUTCFullYear()
    const projected = type === 'layer' && this.rng.chance(0.08) && place.bbox[1] > -MAX_MERCATOR_LAT && place.bbox[3] < MAX_MERCATOR_LAT
    const draft: ResourceDraft = {
      id,
      type,
      title: '',
      abstract: '',
      ownerId,
      theme,
      place,
      group,
      isPublic,
      storeType,
      srid: overrides.srid ?? (projected ? 'EPSG:3857' : 'EPSG:4326'),
      keywordCount: overrides.keywordCount ?? this.rng.weighted([[0, 10], [1, 15], [2, 25], [3, 25], [4, 15], [5, 10]]),
      withTkeywords: overrides.withTkeywords ?? this.rng.chance(0.15),
      extraViewers: overrides.extraViewers ?? (!isPublic && this.rng.chance(0.4) ? this.rng.int(1, 3) : 0),
      registeredView: overrides.registeredView ?? (!isPublic && this.rng.chance(0.2)),
      document: type === 'document' ? this.pickDocumentFormat(imageFixture) : null,
      year: this.rng.int(createdYear - 6, createdYear),
      resolution: this.rng.pick([10, 20, 30, 90, 100, 250, 1000])
    }
    draft.title = overrides.title ?? this.title(draft)
    draft.abstract = overrides.abstract ?? this.abstract(draft)
    return draft
  }

  private pickTheme(storeType: StoreType | null): Theme {
    if (storeType === null) return this.rng.pick(THEMES)
    return this.rng.pick(storeType === 'coverageStore' ? RASTER_THEMES : VECTOR_THEMES)
  }

  private pickDocumentFormat(imageFixture: boolean): DocumentFormat {
    if (imageFixture) return { kind: 'image', extension: 'png', mime: 'image/png' }
    const [kind, , formats] = this.rng.weighted(DOCUMENT_KINDS.map((k) => [k, k[1]] as const))
    const [extension, mime] = this.rng.weighted(formats.map((f) => [f, f[2]] as const))
    return { kind, extension, mime }
  }

  private pickOwner(): number {
    return this.userIds[Math.floor(this.userIds.length * Math.pow(this.rng.next(), 1.8))]
  }

  private pickPlace(): Place {
    const kind = this.rng.weighted([['city', 40], ['part', 30], ['country', 15], ['region', 10], ['global', 5]] as const)
    const countries = this.countryList
    if (kind === 'global' || !countries.length) return this.globalPlace()
    if (kind === 'city' && this.cities.length) return this.cityPlace()
    if (kind === 'region') return this.regionPlace()
    const country = this.rng.pick(countries)
    return kind === 'part' ? this.countryPartPlace(country) : this.countryPlace(country)
  }

  private globalPlace(): Place {
    const glo = this.lookups.regions.find((r) => r.code === 'GLO')
    return { label: 'the world', bbox: [-180, -90, 180, 90], regionIds: glo ? [glo.id] : [], country: null, global: true }
  }

  private cityPlace(): Place {
    const [name, code, lon, lat] = this.rng.pick(this.cities)
    const country = this.lookups.countries.get(code)!
    const width = this.rng.logRange(0.03, 0.8)
    const height = width * this.rng.range(0.6, 1)
    const cx = lon + this.rng.range(-0.3, 0.3) * width
    const cy = lat + this.rng.range(-0.3, 0.3) * height
    const bbox = cleanBbox([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2])
    return { label: name, bbox, regionIds: this.withParent(country, 0.3), country: code, global: false }
  }

  private countryPartPlace(country: RegionInfo): Place {
    const [x0, y0, x1, y1] = country.bbox
    const fx = this.rng.range(0.15, 0.6)
    const fy = this.rng.range(0.15, 0.6)
    const left = x0 + this.rng.next() * (x1 - x0) * (1 - fx)
    const bottom = y0 + this.rng.next() * (y1 - y0) * (1 - fy)
    const bbox = cleanBbox([left, bottom, left + (x1 - x0) * fx, bottom + (y1 - y0) * fy])
    const rx = ((bbox[0] + bbox[2]) / 2 - x0) / (x1 - x0) - 0.5
    const ry = ((bbox[1] + bbox[3]) / 2 - y0) / (y1 - y0) - 0.5
    const direction =
      Math.abs(rx) < 0.15 && Math.abs(ry) < 0.15
        ? DIRECTIONS.centre
        : Math.abs(ry) >= Math.abs(rx)
          ? ry > 0
            ? DIRECTIONS.north
            : DIRECTIONS.south
          : rx > 0
            ? DIRECTIONS.east
            : DIRECTIONS.west
    return { label: `${direction} ${country.name}`, bbox, regionIds: [country.id], country: country.code, global: false }
  }

  private countryPlace(country: RegionInfo): Place {
    return { label: country.name, bbox: cleanBbox(country.bbox), regionIds: this.withParent(country, 0.4), country: country.code, global: false }
  }

  private regionPlace(): Place {
    const wide = this.wideRegions
    if (!wide.length) return this.globalPlace()
    const region = this.rng.pick(wide)
    return { label: region.name, bbox: cleanBbox(region.bbox), regionIds: [region.id], country: null, global: false }
  }

  private withParent(country: RegionInfo, p: number): number[] {
    const parent = country.parentId === null ? undefined : this.lookups.regionById.get(country.parentId)
    return parent && this.rng.chance(p) ? [country.id, parent.id] : [country.id]
  }

  private title(draft: ResourceDraft): string {
    return capitalize(this.titleText(draft))
  }

  private titleText(draft: ResourceDraft): string {
    const { theme: { label: theme }, place: { label: place }, year } = draft
    const lower = theme.toLowerCase()
    if (draft.document) return this.documentTitle(draft.document.kind, lower, theme, place, year)
    if (draft.type === 'geoapp') return `${place} ${lower} dashboard`
    if (draft.type === 'geostory') {
      return this.rng.pick([`The changing ${lower} of ${place}`, `${place}: a ${lower} story`, `Living with ${lower} in ${place}`])
    }
    if (draft.place.global) return this.rng.pick([`Global ${lower}`, `Global ${lower} ${year}`, `World ${lower} (${year})`])
    return this.rng.pick([
      `${theme} of ${place}`,
      `${place} ${lower}`,
      `${theme} - ${place} ${year}`,
      `${theme}, ${place} (${year})`,
      `${place}: ${lower} ${year - this.rng.int(1, 8)}-${year}`,
      draft.theme.geometry === 'raster' ? `${theme} ${draft.resolution}m, ${place}` : `${theme} survey, ${place}`
    ])
  }

  private documentTitle(kind: string, lower: string, theme: string, place: string, year: number): string {
    const titles: Record<string, string[]> = {
      image: [`Field photograph - ${lower}, ${place}`, `Photo: ${lower} in ${place}`, `Aerial view of ${place} (${year})`],
      text: [`${theme} report for ${place} (${year})`, `Technical note: ${lower} in ${place}`, `Survey protocol for ${lower} mapping`],
      presentation: [`${place} ${lower} workshop slides`, `${theme} in ${place}: project briefing`],
      archive: [`${theme} field data archive, ${place}`, `Raw survey files - ${lower}, ${place}`],
      other: [`${theme} data dictionary`, `${place} ${lower} statistics (${year})`]
    }
    return this.rng.pick(titles[kind] ?? titles.other)
  }

  private abstract(draft: ResourceDraft): string {
    if (this.rng.chance(0.03)) return 'No abstract provided'
    const [first, second] = this.abstractSentences(draft)
    const third = this.rng.chance(0.5) ? this.rng.pick(NOTES) : `Produced within the ${this.rng.pick(PROJECTS)} project.`
    if (this.rng.chance(0.3)) return `<p>${first}</p><p>${second} <em>${third}</em></p>`
    if (this.rng.chance(0.05)) return `<p>${first}</p><ul><li>${second}</li><li>${third}</li></ul>`
    return `${first} ${second} ${third}`
  }

  private abstractSentences(draft: ResourceDraft): [string, string] {
    const { place, year } = draft
    const lower = draft.theme.label.toLowerCase()
    const source = this.rng.pick(SOURCES)
    if (draft.type === 'document') {
      const what = draft.document?.kind === 'image' ? 'Photograph' : 'Document'
      return [
        `${what} on ${lower} in ${place.label}, prepared in ${year}.`,
        `Supporting material for the ${lower} datasets of the ${this.rng.pick(ORGANIZATIONS)}.`
      ]
    }
    if (draft.type === 'geoapp') return [`Interactive dashboard on ${lower} in ${place.label}.`, `Charts and maps built from ${source}.`]
    if (draft.type === 'geostory') {
      return [`A story about ${lower} in ${place.label}, told with maps and photographs.`, `Based on ${source} from ${year}.`]
    }
    const raster = draft.theme.geometry === 'raster'
    const verb = this.rng.pick(raster ? ['derived', 'interpolated', 'classified'] : ['compiled', 'digitised', 'collected', 'extracted'])
    return [
      `${draft.theme.label} for ${place.label}, ${verb} from ${source} in ${year}.`,
      raster ? `Raster grid at ${draft.resolution} m resolution.` : `Covers ${draft.theme.noun} across the study area.`
    ]
  }

  private mapTitle(layers: LayerRef[]): string {
    const place = layers[0].place.label
    const themes = [...new Set(layers.map((l) => l.theme.label.toLowerCase()))]
    if (themes.length > 1 && this.rng.chance(0.5)) return `${capitalize(place)} ${themes[0]} and ${themes[1]}`
    const [theme] = themes
    return this.rng.pick([`Map of ${theme} in ${place}`, `${capitalize(place)} ${theme} overview`, `${capitalize(place)} atlas: ${theme}`])
  }

  private mapAbstract(draft: ResourceDraft, layers: LayerRef[]): string {
    const list = layers.map((l) => l.title)
    const layerCount = `${list.length} ${list.length === 1 ? 'layer' : 'layers'}`
    const intro = `Web map of ${draft.place.label} combining ${layerCount} over an OpenStreetMap background.`
    if (this.rng.chance(0.3)) return `<p>${intro}</p><ul>${list.map((t) => `<li>${t}</li>`).join('')}</ul>`
    return `${intro} Layers: ${list.join('; ')}.`
  }

  private timestamps(id: number): { created: string; lastUpdated: string; date: string } {
    const index = id - this.firstResourceId
    const createdUs = Math.floor(this.startUs + (index + this.rng.next() * 0.5) * this.stepUs)
    const updatedUs = createdUs + Math.floor(this.rng.next() * 0.45 * this.stepUs)
    const dateUs = Math.max(this.startUs, createdUs - this.rng.next() * YEAR_US)
    return { created: isoMicros(createdUs), lastUpdated: isoMicros(updatedUs), date: isoMicros(Math.floor(dateUs)) }
  }

  private insertResourceRow(draft: ResourceDraft, times: { created: string; lastUpdated: string; date: string }): void {
    const { lookups, rng } = this
    const bbox = draft.place.bbox
    const restriction = lookups.restrictionIds.length && rng.chance(0.2) ? rng.pick(lookups.restrictionIds) : null
    const otherUser = () => (rng.chance(0.1) ? rng.pick(this.userIds) : draft.ownerId)
    const temporalStart = rng.chance(0.2) ? Date.UTC(rng.int(1990, 2022), rng.int(0, 11), 1) : null
    this.st.resource.run({
      id: draft.id,
      uuid: rng.uuid(),
      resource_type: draft.type,
      owner_id: draft.ownerId,
      poc_id: otherUser(),
      metadata_author_id: otherUser(),
      title: draft.title,
      abstract: draft.abstract,
      purpose: rng.chance(0.4) ? null : `Produced to support ${rng.pick(PURPOSES)} in ${draft.place.label}.`,
      attribution: rng.chance(0.25) ? rng.pick([...ORGANIZATIONS, '© OpenStreetMap contributors']) : null,
      doi: rng.chance(0.03) ? `10.5281/zenodo.${rng.int(1000000, 9999999)}` : null,
      alternate: draft.type === 'layer' ? `geonode:${layerName(draft.title, draft.id)}` : null,
      date: times.date,
      date_type: rng.weighted([['publication', 60], ['creation', 25], ['revision', 15]]),
      edition: rng.chance(0.15) ? rng.pick(['1.0', '1.1', '2.0', 'v3', '2nd edition', String(rng.int(2010, 2025))]) : null,
      maintenance_frequency: rng.chance(0.3) ? rng.pick(FREQUENCIES) : null,
      restriction_code_type_id: restriction,
      constraints_other: restriction !== null && rng.chance(0.6) ? rng.pick(CONSTRAINTS) : null,
      license_id: lookups.licenses.length ? rng.weighted(lookups.licenses) : null,
      language: rng.weighted([['eng', 88], ['fre', 4], ['spa', 4], ['por', 2], ['ger', 1], ['ita', 1]]),
      spatial_representation_type_id: this.spatialType(draft),
      temporal_extent_start: temporalStart === null ? null : isoMicros(temporalStart * 1000),
      temporal_extent_end: temporalStart === null ? null : isoMicros((temporalStart + rng.int(1, 10) * YEAR_US / 1000) * 1000),
      supplemental_information: rng.chance(0.85) ? 'No information provided' : `Contact the ${rng.pick(ORGANIZATIONS)} for the full dataset.`,
      data_quality_statement: rng.chance(0.15) ? rng.pick(NOTES) : null,
      group_id: draft.group?.authId ?? null,
      category_id: this.category(draft),
      bbox_polygon: polygonText(draft.srid === 'EPSG:3857' ? mercatorBbox(bbox) : bbox),
      ll_bbox_polygon: polygonText(bbox),
      ll_minx: bbox[0],
      ll_miny: bbox[1],
      ll_maxx: bbox[2],
      ll_maxy: bbox[3],
      srid: draft.srid,
      popular_count: Math.floor(Math.exp(rng.next() * 6)) - 1,
      share_count: Math.floor(Math.exp(rng.next() * 3)) - 1,
      rating: rng.chance(0.6) ? 0 : rng.int(1, 5),
      featured: rng.chance(0.02) ? 1 : 0,
      is_published: rng.chance(0.97) ? 1 : 0,
      is_approved: rng.chance(0.95) ? 1 : 0,
      created: times.created,
      last_updated: times.lastUpdated
    })
  }

  private spatialType(draft: ResourceDraft): number | null {
    if (draft.type !== 'layer' || !this.rng.chance(0.6)) return null
    return this.lookups.spatialTypes.get(draft.storeType === 'coverageStore' ? 'grid' : 'vector') ?? null
  }

  private category(draft: ResourceDraft): number | null {
    const identifier = draft.theme.category
    if (identifier === null || (draft.id > this.firstResourceId && this.rng.chance(0.1))) return null
    return this.lookups.categories.get(identifier) ?? null
  }

  private insertTags(draft: ResourceDraft): void {
    for (const keywordId of this.pickKeywords(draft)) this.st.resourceKeyword.run(draft.id, keywordId)
    for (const regionId of new Set(draft.place.regionIds)) this.st.resourceRegion.run(draft.id, regionId)
    if (!draft.withTkeywords || !this.lookups.inspireIds.length) return
    const themed = this.lookups.inspire.get(draft.theme.inspire)
    const picks = new Set<number>(themed === undefined ? [] : [themed])
    if (picks.size === 0 || this.rng.chance(0.3)) picks.add(this.rng.pick(this.lookups.inspireIds))
    for (const id of picks) this.st.resourceTkeyword.run(draft.id, id)
  }

  private pickKeywords(draft: ResourceDraft): number[] {
    const names = draft.theme.roots.flatMap((root) => [root, ...KEYWORD_TREE[root]])
    const chosen = new Set(this.rng.sample(names, draft.keywordCount).map(slugify))
    if (draft.keywordCount > 0 && this.rng.chance(0.2)) chosen.add(slugify(this.rng.pick(KEYWORD_TREE['open data'])))
    const ids = [...chosen].map((slug) => this.keywordIds.get(slug)).filter((id): id is number => id !== undefined)
    this.summary.resourceKeywords += ids.length
    return ids
  }

  private insertLayer(draft: ResourceDraft, times: { created: string; lastUpdated: string }): void {
    const name = layerName(draft.title, draft.id)
    const alternate = `geonode:${name}`
    const vector = draft.storeType === 'dataStore'
    const styleId = Number(this.st.style.run(name, draft.title, times.created, times.lastUpdated).lastInsertRowid)
    const featureCount = vector ? Math.round(this.rng.logRange(10, draft.theme.geometry === 'line' ? 200000 : 50000)) : null
    this.st.layer.run(draft.id, name, vector ? 'geonode_data' : name, draft.storeType, styleId, featureCount, times.created, times.lastUpdated)
    this.st.layerStyle.run(draft.id, styleId)
    this.insertAttributes(draft, vector)
    const { id, title, theme, place } = draft
    const ref: LayerRef = { id, alternate, styleName: name, title, theme, place, bbox: place.bbox }
    this.layers.push(ref)
    pushTo(this.layersByCountry, draft.place.country ?? draft.place.label, ref)
    if (vector) this.summary.vectorLayers++
    else this.summary.rasterLayers++
  }

  private insertAttributes(draft: ResourceDraft, vector: boolean): void {
    if (!vector) {
      this.st.attribute.run(draft.id, 'GRAY_INDEX', null, 'xsd:double', 1)
      return
    }
    const columns = this.rng.sample([...draft.theme.attributes, ...COMMON_ATTRIBUTES], this.rng.int(2, 7))
    const all: [string, string][] = [['the_geom', GEOMETRY_TYPES[draft.theme.geometry]], ...columns]
    all.forEach(([attribute, type], index) => {
      const label = index > 0 && this.rng.chance(0.3) ? capitalize(attribute.replace(/_/g, ' ')) : null
      this.st.attribute.run(draft.id, attribute, label, type, index + 1)
    })
  }

  private pickMapLayers(): LayerRef[] {
    const first = this.rng.pick(this.layers)
    const nearby = (this.layersByCountry.get(first.place.country ?? first.place.label) ?? []).filter((l) => l.id !== first.id)
    return [first, ...this.rng.sample(nearby, this.rng.int(0, 4))]
  }

  private insertMap(draft: ResourceDraft, layers: LayerRef[], times: { created: string; lastUpdated: string }): void {
    const [x0, y0, x1, y1] = draft.place.bbox
    const [cx, cy] = toMercator((x0 + x1) / 2, (y0 + y1) / 2)
    const zoom = clamp(Math.floor(Math.log2(360 / Math.max(x1 - x0, (y1 - y0) * 2, 1e-6))) + 1, 0, 18)
    this.st.map.run(draft.id, zoom, cx, cy, times.created, times.lastUpdated)
    this.st.mapLayer.run({ ...OSM_BACKGROUND, uuid: this.rng.uuid(), map_id: draft.id })
    layers.forEach((layer, index) => {
      this.st.mapLayer.run({
        uuid: this.rng.uuid(),
        map_id: draft.id,
        dataset_id: layer.id,
        stack_order: index + 1,
        name: layer.alternate,
        store: 'geonode_data',
        format: 'image/png',
        opacity: round(this.rng.range(0.5, 1), 2),
        styles: layer.styleName,
        transparent: 1,
        fixed: 0,
        group_name: null,
        visibility: this.rng.chance(0.9) ? 1 : 0,
        layer_params: '{}',
        source_params: '{"ptype":"gxp_wmscsource"}',
        local: 1
      })
    })
    this.summary.mapLayers += layers.length + 1
  }

  private insertDocument(draft: ResourceDraft, links: number[] | undefined, times: { created: string; lastUpdated: string }): void {
    const { kind, extension, mime } = draft.document!
    const withFile = links !== undefined
    const docFile = withFile ? `documents/${slugify(draft.title)}.${extension}` : null
    this.st.document.run(draft.id, kind, extension, mime, docFile, withFile ? 48213 : null, times.created, times.lastUpdated)
    const targets = links ?? this.pickDocumentLinks(draft.id)
    for (const target of targets) this.st.documentLink.run(draft.id, target)
    this.summary.documentLinks += targets.length
  }

  private pickDocumentLinks(documentId: number): number[] {
    const count = this.rng.weighted([[0, 35], [1, 35], [2, 20], [3, 10]])
    const available = documentId - this.firstResourceId
    const picked = new Set<number>()
    while (picked.size < Math.min(count, available)) picked.add(this.firstResourceId + Math.floor(this.rng.next() * available))
    return [...picked]
  }

  private insertGeoapp(draft: ResourceDraft, times: { created: string; lastUpdated: string }): void {
    const story = draft.type === 'geostory'
    const [x0, y0, x1, y1] = draft.place.bbox
    const [cx, cy] = toMercator((x0 + x1) / 2, (y0 + y1) / 2)
    const data = story ? this.storyData(draft) : this.dashboardData(draft)
    this.st.geoapp.run(
      draft.id,
      `${draft.title} ${draft.id}`,
      story ? 'GeoStory' : 'GeoDashboard',
      story ? null : clamp(Math.floor(Math.log2(360 / Math.max(x1 - x0, 1e-6))) + 1, 0, 18),
      story ? null : 'EPSG:3857',
      story ? null : cx,
      story ? null : cy,
      story ? null : '',
      JSON.stringify(data),
      times.created,
      times.lastUpdated
    )
  }

  private storyData(draft: ResourceDraft): object {
    const text = draft.abstract.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
    return {
      type: 'cascade',
      sections: [
        { type: 'title', id: this.rng.uuid(), title: draft.title, contents: [] },
        {
          type: 'paragraph',
          id: this.rng.uuid(),
          contents: [{ type: 'column', id: this.rng.uuid(), contents: [{ type: 'text', id: this.rng.uuid(), html: `<p>${text}</p>` }] }]
        }
      ],
      settings: {}
    }
  }

  private dashboardData(draft: ResourceDraft): object {
    const mapId = this.rng.uuid()
    return {
      version: 1,
      widgets: [
        { id: mapId, widgetType: 'map', title: draft.title },
        { id: this.rng.uuid(), widgetType: 'text', title: 'About', text: `<p>${draft.theme.label} in ${draft.place.label}</p>` }
      ],
      layouts: { md: [{ i: mapId, x: 0, y: 0, w: 4, h: 4 }] }
    }
  }

  private insertPermissions(draft: ResourceDraft): void {
    const users = new Map<number, string[]>()
    const grant = (userId: number, perms: string[]) => {
      if (!users.has(userId)) users.set(userId, perms)
    }
    grant(draft.ownerId, applicablePermissions(draft.type, draft.storeType))
    for (const manager of draft.group?.managers ?? []) grant(manager, applicablePermissions(draft.type, draft.storeType))
    const viewer = isDownloadable(draft.type) ? [VIEW, DOWNLOAD] : [VIEW]
    for (const userId of this.rng.sample(this.userIds, draft.extraViewers)) grant(userId, viewer)
    const groups = new Map<number, string[]>()
    if (draft.isPublic) groups.set(this.lookups.anonymousGroupId, publicPermissions(draft.type))
    if (draft.group) groups.set(draft.group.authId, publicPermissions(draft.type))
    if (draft.registeredView) groups.set(this.lookups.registeredGroupId, [VIEW])
    this.summary.userPerms += this.insertGrants('resource_user_perms', 'user_id', draft.id, users)
    this.summary.groupPerms += this.insertGrants('resource_group_perms', 'group_id', draft.id, groups)
  }

  /** One multi-row INSERT per resource and table: the per-statement overhead dominates otherwise. */
  private insertGrants(table: string, column: string, resourceId: number, grants: Map<number, string[]>): number {
    const values: (number | string)[] = []
    for (const [holder, perms] of grants) for (const codename of perms) values.push(resourceId, holder, codename)
    const rows = values.length / 3
    if (rows === 0) return 0
    const key = `${table}:${rows}`
    let statement = this.bulk.get(key)
    if (!statement) {
      statement = this.sqlite.prepare(`INSERT INTO ${table} (resource_id, ${column}, codename) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`)
      this.bulk.set(key, statement)
    }
    statement.run(values)
    return rows
  }

  private createFavorites(fixtures: Pick<SeedFixtures, 'rasterLayerId'>): void {
    let count = this.st.favorite.run(this.userIds[0], fixtures.rasterLayerId).changes
    for (const userId of this.userIds) {
      if (!this.rng.chance(0.15)) continue
      for (const resourceId of this.rng.sample(this.publicIds, this.rng.int(1, 5))) count += this.st.favorite.run(userId, resourceId).changes
    }
    this.summary.favorites = count
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

function treePath(parent: string, index: number): string {
  return parent + index.toString(36).toUpperCase().padStart(4, '0')
}

function asciiName(name: string): string {
  return slugify(name).replace(/-/g, '')
}

function uniqueName(base: string, taken: Set<string>, separator: string): string {
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}${separator}${n}`
  taken.add(name)
  return name
}

function loadLookups(sqlite: Sqlite.Database): Lookups {
  const groupId = (name: string): number => {
    const row = sqlite.prepare('SELECT id FROM auth_groups WHERE name = ?').get(name) as { id: number } | undefined
    if (!row) throw new Error(`seedCatalogue: system group "${name}" is missing; run the bootstrap first`)
    return row.id
  }
  const codes = (table: string) => sqlite.prepare(`SELECT id, identifier FROM ${table} ORDER BY id`).all() as { id: number; identifier: string }[]
  const regions = loadRegions(sqlite)
  const regionById = new Map(regions.map((r) => [r.id, r]))
  const parents = new Set(regions.map((r) => r.parentId))
  const countries = new Map(regions.filter((r) => r.parentId !== null && !parents.has(r.id)).map((r) => [r.code, r]))
  const inspireRows = sqlite
    .prepare('SELECT k.id, k.alt_label FROM thesaurus_keywords k JOIN thesauri t ON t.id = k.thesaurus_id WHERE t.identifier = ? ORDER BY k.id')
    .all(INSPIRE_THESAURUS.identifier) as { id: number; alt_label: string }[]
  return {
    anonymousGroupId: groupId(ANONYMOUS_GROUP),
    contributorsGroupId: groupId(CONTRIBUTORS_GROUP),
    registeredGroupId: groupId(REGISTERED_MEMBERS_GROUP),
    categories: new Map(codes('topic_categories').map((r) => [r.identifier, r.id])),
    licenses: codes('licenses').map((r) => [r.id, LICENSE_WEIGHTS[r.identifier] ?? 2]),
    restrictionIds: codes('restriction_code_types').map((r) => r.id),
    spatialTypes: new Map(codes('spatial_representation_types').map((r) => [r.identifier, r.id])),
    regions,
    countries,
    regionById,
    inspire: new Map(inspireRows.map((r) => [r.alt_label, r.id])),
    inspireIds: inspireRows.map((r) => r.id),
    groupCategoryIds: (sqlite.prepare('SELECT id FROM group_categories ORDER BY id').all() as { id: number }[]).map((r) => r.id)
  }
}

function loadRegions(sqlite: Sqlite.Database): RegionInfo[] {
  type Row = { id: number; code: string; name: string; parent_id: number | null; level: number } & Record<`bbox_${'x' | 'y'}${0 | 1}`, number>
  const rows = sqlite
    .prepare('SELECT id, code, name, parent_id, level, bbox_x0, bbox_y0, bbox_x1, bbox_y1 FROM regions WHERE bbox_x0 IS NOT NULL ORDER BY id')
    .all() as Row[]
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    parentId: r.parent_id,
    level: r.level,
    bbox: [r.bbox_x0, r.bbox_y0, r.bbox_x1, r.bbox_y1]
  }))
}

/**
 * Fills a migrated catalogue (reference data and system rows present) with a deterministic demo catalogue,
 * in one transaction. The same options give the same rows, except password hashes (salted) and the
 * `created` stamps of rows whose time is not generated (keywords, perms, memberships).
 *
 * @example seedCatalogue(sqlite, { resources: 300, seed: 42, now: new Date('2026-01-01T00:00:00Z') })
 */
export function seedCatalogue(sqlite: Sqlite.Database, options: SeedOptions): SeedSummary {
  const resources = Math.max(0, Math.floor(options.resources))
  const users = Math.max(3, options.users ?? Math.max(10, Math.min(1000, Math.floor(resources / 100))))
  const groups = Math.max(3, options.groups ?? Math.max(4, Math.min(100, Math.floor(resources / 1000))))
  const seeder = new Seeder(sqlite, options.seed ?? 1, options.now ?? new Date())
  return sqlite.transaction(() => seeder.run(resources, users, groups))()
}
