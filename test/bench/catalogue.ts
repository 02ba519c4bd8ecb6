import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { systemClock } from '../../src-main/clock'
import { openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { DATABASE_FILE } from '../../src-main/server'
import { bootstrapCatalogue } from '../../src-main/services/bootstrap.service'
import { type SeedSummary, seedCatalogue } from '../../src-main/seed/seed'

export const BENCH_ADMIN_PASSWORD = 'bench-admin-password'
const MARKER_FILE = 'bench-seed.json'

export interface SeedParams {
  resources: number
  users: number
  groups: number
}

export interface Catalogue {
  dataDir: string
  databaseFile: string
  summary: SeedSummary
  /** True when this run seeded it, false when an earlier run's folder was reused. */
  seeded: boolean
  seedSeconds: number | null
}

interface Marker {
  params: SeedParams
  seededAt: string
  seconds: number
  summary: SeedSummary
}

export function catalogueDir(params: SeedParams): string {
  return join(tmpdir(), `mapshelf-bench-${params.resources}-${params.users}u-${params.groups}g`)
}

function readMarker(dataDir: string, params: SeedParams): Marker | null {
  const file = join(dataDir, MARKER_FILE)
  if (!existsSync(file) || !existsSync(join(dataDir, DATABASE_FILE))) return null
  try {
    const marker = JSON.parse(readFileSync(file, 'utf8')) as Marker
    const same = marker.params.resources === params.resources && marker.params.users === params.users && marker.params.groups === params.groups
    return same && marker.summary?.fixtures ? marker : null
  } catch {
    return null
  }
}

/** Tables, indexes and triggers as SQL, normalised, for comparing two catalogues' schemas. */
function schemaOf(sqlite: Sqlite.Database): string {
  const rows = sqlite
    .prepare(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name`)
    .all() as { type: string; name: string; sql: string }[]
  return rows.map((r) => `${r.type} ${r.name} ${r.sql.replace(/\s+/g, ' ')}`).join('\n')
}

async function currentSchema(): Promise<string> {
  const database = openDatabase(':memory:')
  try {
    await migrateToLatest(database.db)
    return schemaOf(database.sqlite)
  } finally {
    await database.close()
  }
}

/** False when the migrations changed since the folder was seeded (the server would not re-run them). */
async function schemaIsCurrent(databaseFile: string): Promise<boolean> {
  const seeded = new Sqlite(databaseFile, { readonly: true, fileMustExist: true })
  try {
    return schemaOf(seeded) === (await currentSchema())
  } finally {
    seeded.close()
  }
}

async function seedInto(dataDir: string, params: SeedParams): Promise<Marker> {
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const database = openDatabase(join(dataDir, DATABASE_FILE))
  const started = performance.now()
  try {
    await migrateToLatest(database.db)
    bootstrapCatalogue(database.sqlite, { adminPassword: BENCH_ADMIN_PASSWORD, clock: systemClock() })
    const summary = seedCatalogue(database.sqlite, params)
    database.sqlite.pragma('optimize')
    database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
    const seconds = Math.round((performance.now() - started) / 100) / 10
    return { params, seededAt: new Date().toISOString(), seconds, summary }
  } finally {
    await database.close()
  }
}

/**
 * The seeded data folder for these parameters under the temp directory: reused when an earlier
 * run completed it (its marker file holds the seed summary) and its schema is still the one the
 * migrations create; seeded from scratch otherwise.
 */
export async function ensureCatalogue(params: SeedParams, options: { fresh: boolean; log: (line: string) => void }): Promise<Catalogue> {
  const dataDir = catalogueDir(params)
  const databaseFile = join(dataDir, DATABASE_FILE)
  const existing = options.fresh ? null : readMarker(dataDir, params)
  const current = existing !== null && (await schemaIsCurrent(databaseFile))
  if (existing && !current) options.log(`The catalogue in ${dataDir} predates the current migrations; reseeding.`)
  if (existing && current) {
    options.log(`Reusing the catalogue in ${dataDir} (seeded ${existing.seededAt}; --fresh reseeds).`)
    return { dataDir, databaseFile, summary: existing.summary, seeded: false, seedSeconds: null }
  }
  options.log(`Seeding ${params.resources} resources, ${params.users} users, ${params.groups} groups into ${dataDir} ...`)
  const marker = await seedInto(dataDir, params)
  writeFileSync(join(dataDir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`)
  options.log(`Seeded in ${marker.seconds} s.`)
  return { dataDir, databaseFile, summary: marker.summary, seeded: true, seedSeconds: marker.seconds }
}
