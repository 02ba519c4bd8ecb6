import { Migrator } from 'kysely'
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

/** Brings the catalogue to the newest schema; throws MigrationFailed naming the failing step. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) throw new MigrationFailed(failed?.migrationName, error ?? 'unknown error')
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
