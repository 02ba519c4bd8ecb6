import { type MigrationResultSet, Migrator } from 'kysely'
import type { Db } from './database'
import { migrations } from './migrations/index'

export class MigrationFailed extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown
  ) {
    super(`migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

function migratorOf(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

function applied({ error, results }: MigrationResultSet): string[] {
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) throw new MigrationFailed(failed?.migrationName, error ?? 'unknown error')
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Brings the catalogue to the newest schema; throws MigrationFailed naming the failing step. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  return applied(await migratorOf(db).migrateToLatest())
}

/**
 * Brings the catalogue up to the schema of one migration and no further (a data folder as an
 * older version left it: the fixtures under test/fixtures/schemas are made this way).
 *
 * @example await migrateUpTo(db, '2026_11_27_1400_layer_data')
 */
export async function migrateUpTo(db: Db, name: string): Promise<string[]> {
  if (!(name in migrations)) throw new MigrationFailed(name, 'no such migration')
  return applied(await migratorOf(db).migrateTo(name))
}
