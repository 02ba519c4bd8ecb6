import type Sqlite from 'better-sqlite3'
import { createFavorites, createGroups, createUsers } from './people'
import { createKeywords } from './reference'
import { createResources } from './resources'
import { SeedState } from './state'

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

/** The steps in their order: the random sequence runs through them in this order, so moving one changes every catalogue. */
function generate(state: SeedState, resources: number, users: number, groups: number): SeedSummary {
  assertEmpty(state.sqlite)
  createKeywords(state)
  createUsers(state, users, DEMO_PASSWORD)
  const groupSlugs = createGroups(state, groups)
  const fixtures = createResources(state, resources)
  createFavorites(state, fixtures)
  return { ...state.summary, fixtures: { ...fixtures, ...groupSlugs } }
}

function assertEmpty(sqlite: Sqlite.Database): void {
  const seeded = sqlite
    .prepare('SELECT (SELECT count(*) FROM resources) AS resources, (SELECT count(*) FROM users WHERE id > 1000) AS users')
    .get() as { resources: number; users: number }
  if (seeded.resources > 0 || seeded.users > 0) throw new Error('seedCatalogue: the catalogue already holds resources or seeded users')
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
  const state = new SeedState(sqlite, options.seed ?? 1, options.now ?? new Date())
  return sqlite.transaction(() => generate(state, resources, users, groups))()
}
