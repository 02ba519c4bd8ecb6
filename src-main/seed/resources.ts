/**
 * The resources: the named fixtures, then the rest in a shuffled plan of types; each one's resources row,
 * keywords, regions and thesaurus keywords, then the rows of its type and its permissions.
 */
import type { StoreType } from '../../src-shared/api/permissions'
import { slugify } from '../db/reference-data'
import { mapAbstract, mapTitle, resourceAbstract, resourceTitle } from './descriptions'
import { insertDocument } from './documents'
import { insertGeoapp } from './geoapps'
import { insertLayer, layerName } from './layers'
import { insertMap, pickMapLayers } from './maps'
import { insertPermissions } from './permissions'
import { pickPlace } from './places'
import type { SeedFixtures } from './seed'
import {
  type DocumentFormat,
  type LayerRef,
  MAX_MERCATOR_LAT,
  type ResourceDraft,
  type SeedState,
  type SeededType,
  YEAR_US,
  cleanBbox,
  isoMicros,
  mercatorBbox,
  polygonText,
  unionBbox
} from './state'
import { CONSTRAINTS, DOCUMENT_KINDS, FREQUENCIES, KEYWORD_TREE, NOTES, ORGANIZATIONS, PURPOSES, RASTER_THEMES, THEMES, type Theme, VECTOR_THEMES } from './vocabulary'

const TYPE_SHARES: [SeededType, number][] = [['layer', 0.55], ['map', 0.2], ['document', 0.2], ['geoapp', 0.03], ['geostory', 0.02]]

const FIXTURE_COUNT = 5

interface ResourceExtras {
  mapLayers?: LayerRef[]
  documentLinks?: number[]
  imageFixture?: boolean
}

type ResourceOverrides = Partial<Omit<ResourceDraft, 'id' | 'type'>>

export function createResources(state: SeedState, requested: number): Omit<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
  const total = Math.max(requested, FIXTURE_COUNT)
  const maxId = state.sqlite.prepare('SELECT coalesce(max(id), 0) AS id FROM resources').get() as { id: number }
  state.firstResourceId = maxId.id + 1
  state.stepUs = Math.floor(state.spanUs / total)
  const fixtures = createFixtures(state)
  const quotas = typeQuotas(total)
  quotas.layer -= 3
  quotas.map -= 1
  quotas.document -= 1
  const plan = state.rng.shuffle(
    (Object.entries(quotas) as [SeededType, number][]).flatMap(([type, n]) => Array.from({ length: Math.max(0, n) }, () => type))
  )
  while (plan.length < total - FIXTURE_COUNT) plan.push('layer')
  for (const type of plan.slice(0, total - FIXTURE_COUNT)) createResource(state, type, {})
  return fixtures
}

function createFixtures(state: SeedState): Omit<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
  const [plain, other] = state.userIds
  const vectorTheme = THEMES.find((t) => t.label === 'Road network')!
  const common = { group: null, extraViewers: 0, registeredView: false, isPublic: true }
  const vectorLayerId = createResource(state, 'layer', {
    ...common,
    ownerId: plain,
    theme: vectorTheme,
    storeType: 'dataStore',
    srid: 'EPSG:4326',
    keywordCount: 3,
    withTkeywords: true
  })
  const place = state.layers[0].place
  const rasterLayerId = createResource(state, 'layer', { ...common, ownerId: other, theme: THEMES[0], place, storeType: 'coverageStore' })
  const mapId = createResource(state, 'map', { ...common, ownerId: plain }, { mapLayers: state.layers.slice(0, 2) })
  const imageDocumentId = createResource(
    state,
    'document',
    { ...common, ownerId: plain, theme: vectorTheme, place, title: `Field photograph - road network, ${place.label}` },
    { documentLinks: [vectorLayerId], imageFixture: true }
  )
  const privateLayerId = createResource(state, 'layer', {
    ...common,
    ownerId: other,
    isPublic: false,
    group: state.groups[1],
    storeType: 'dataStore'
  })
  const [plainUser, otherUser] = [state.usernames.get(plain)!, state.usernames.get(other)!]
  return { plainUser, otherUser, vectorLayerId, rasterLayerId, mapId, imageDocumentId, privateLayerId }
}

function createResource(state: SeedState, type: SeededType, overrides: ResourceOverrides, extra: ResourceExtras = {}): number {
  const draft = draftResource(state, type, overrides, extra.imageFixture === true)
  const mapLayers = type === 'map' ? (extra.mapLayers ?? pickMapLayers(state)) : []
  if (mapLayers.length) {
    draft.place = { ...mapLayers[0].place, bbox: cleanBbox(unionBbox(mapLayers.map((l) => l.bbox))) }
    draft.theme = mapLayers[0].theme
    draft.title = mapTitle(state, mapLayers)
    draft.abstract = mapAbstract(state, draft, mapLayers)
  }
  const times = resourceTimes(state, draft.id)
  // Parents before children, so the change log replays in order.
  insertResourceRow(state, draft, times)
  insertTags(state, draft)
  if (type === 'layer') insertLayer(state, draft, times)
  if (type === 'map') insertMap(state, draft, mapLayers, times)
  if (type === 'document') insertDocument(state, draft, extra.documentLinks, times)
  if (type === 'geoapp' || type === 'geostory') insertGeoapp(state, draft, times)
  insertPermissions(state, draft)
  if (draft.isPublic) state.publicIds.push(draft.id)
  state.summary.resources.total++
  state.summary.resources[type]++
  return draft.id
}

function draftResource(state: SeedState, type: SeededType, overrides: ResourceOverrides, imageFixture: boolean): ResourceDraft {
  const id = state.firstResourceId + state.summary.resources.total
  const storeType = type === 'layer' ? (overrides.storeType ?? (state.rng.chance(0.8) ? 'dataStore' : 'coverageStore')) : null
  const theme = overrides.theme ?? pickTheme(state, storeType)
  const place = overrides.place ?? pickPlace(state)
  const ownerId = overrides.ownerId ?? pickOwner(state)
  const ownerGroups = state.groupsOfUser.get(ownerId) ?? []
  const group = overrides.group !== undefined ? overrides.group : ownerGroups.length && state.rng.chance(0.25) ? state.rng.pick(ownerGroups) : null
  const isPublic = overrides.isPublic ?? state.rng.chance(0.7)
  const createdYear = new Date((state.startUs + (id - state.firstResourceId) * state.stepUs) / 1000).getUTCFullYear()
  const projected = type === 'layer' && state.rng.chance(0.08) && place.bbox[1] > -MAX_MERCATOR_LAT && place.bbox[3] < MAX_MERCATOR_LAT
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
    keywordCount: overrides.keywordCount ?? state.rng.weighted([[0, 10], [1, 15], [2, 25], [3, 25], [4, 15], [5, 10]]),
    withTkeywords: overrides.withTkeywords ?? state.rng.chance(0.15),
    extraViewers: overrides.extraViewers ?? (!isPublic && state.rng.chance(0.4) ? state.rng.int(1, 3) : 0),
    registeredView: overrides.registeredView ?? (!isPublic && state.rng.chance(0.2)),
    document: type === 'document' ? pickDocumentFormat(state, imageFixture) : null,
    year: state.rng.int(createdYear - 6, createdYear),
    resolution: state.rng.pick([10, 20, 30, 90, 100, 250, 1000])
  }
  draft.title = overrides.title ?? resourceTitle(state, draft)
  draft.abstract = overrides.abstract ?? resourceAbstract(state, draft)
  return draft
}

function pickTheme(state: SeedState, storeType: StoreType | null): Theme {
  if (storeType === null) return state.rng.pick(THEMES)
  return state.rng.pick(storeType === 'coverageStore' ? RASTER_THEMES : VECTOR_THEMES)
}

function pickDocumentFormat(state: SeedState, imageFixture: boolean): DocumentFormat {
  if (imageFixture) return { kind: 'image', extension: 'png', mime: 'image/png' }
  const [kind, , formats] = state.rng.weighted(DOCUMENT_KINDS.map((k) => [k, k[1]] as const))
  const [extension, mime] = state.rng.weighted(formats.map((f) => [f, f[2]] as const))
  return { kind, extension, mime }
}

function pickOwner(state: SeedState): number {
  return state.userIds[Math.floor(state.userIds.length * Math.pow(state.rng.next(), 1.8))]
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

function resourceTimes(state: SeedState, id: number): { created: string; lastUpdated: string; date: string } {
  const index = id - state.firstResourceId
  const createdUs = Math.floor(state.startUs + (index + state.rng.next() * 0.5) * state.stepUs)
  const updatedUs = createdUs + Math.floor(state.rng.next() * 0.45 * state.stepUs)
  const dateUs = Math.max(state.startUs, createdUs - state.rng.next() * YEAR_US)
  return { created: isoMicros(createdUs), lastUpdated: isoMicros(updatedUs), date: isoMicros(Math.floor(dateUs)) }
}

function insertResourceRow(state: SeedState, draft: ResourceDraft, times: { created: string; lastUpdated: string; date: string }): void {
  const { lookups, rng } = state
  const bbox = draft.place.bbox
  const restriction = lookups.restrictionIds.length && rng.chance(0.2) ? rng.pick(lookups.restrictionIds) : null
  const otherUser = () => (rng.chance(0.1) ? rng.pick(state.userIds) : draft.ownerId)
  const temporalStart = rng.chance(0.2) ? Date.UTC(rng.int(1990, 2022), rng.int(0, 11), 1) : null
  state.st.resource.run({
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
    spatial_representation_type_id: pickSpatialType(state, draft),
    temporal_extent_start: temporalStart === null ? null : isoMicros(temporalStart * 1000),
    temporal_extent_end: temporalStart === null ? null : isoMicros((temporalStart + rng.int(1, 10) * YEAR_US / 1000) * 1000),
    supplemental_information: rng.chance(0.85) ? 'No information provided' : `Contact the ${rng.pick(ORGANIZATIONS)} for the full dataset.`,
    data_quality_statement: rng.chance(0.15) ? rng.pick(NOTES) : null,
    group_id: draft.group?.authId ?? null,
    category_id: pickCategory(state, draft),
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

function pickSpatialType(state: SeedState, draft: ResourceDraft): number | null {
  if (draft.type !== 'layer' || !state.rng.chance(0.6)) return null
  return state.lookups.spatialTypes.get(draft.storeType === 'coverageStore' ? 'grid' : 'vector') ?? null
}

function pickCategory(state: SeedState, draft: ResourceDraft): number | null {
  const identifier = draft.theme.category
  if (identifier === null || (draft.id > state.firstResourceId && state.rng.chance(0.1))) return null
  return state.lookups.categories.get(identifier) ?? null
}

function insertTags(state: SeedState, draft: ResourceDraft): void {
  for (const keywordId of pickKeywords(state, draft)) state.st.resourceKeyword.run(draft.id, keywordId)
  for (const regionId of new Set(draft.place.regionIds)) state.st.resourceRegion.run(draft.id, regionId)
  if (!draft.withTkeywords || !state.lookups.inspireIds.length) return
  const themed = state.lookups.inspire.get(draft.theme.inspire)
  const picks = new Set<number>(themed === undefined ? [] : [themed])
  if (picks.size === 0 || state.rng.chance(0.3)) picks.add(state.rng.pick(state.lookups.inspireIds))
  for (const id of picks) state.st.resourceTkeyword.run(draft.id, id)
}

function pickKeywords(state: SeedState, draft: ResourceDraft): number[] {
  const names = draft.theme.roots.flatMap((root) => [root, ...KEYWORD_TREE[root]])
  const chosen = new Set(state.rng.sample(names, draft.keywordCount).map(slugify))
  if (draft.keywordCount > 0 && state.rng.chance(0.2)) chosen.add(slugify(state.rng.pick(KEYWORD_TREE['open data'])))
  const ids = [...chosen].map((slug) => state.keywordIds.get(slug)).filter((id): id is number => id !== undefined)
  state.summary.resourceKeywords += ids.length
  return ids
}
