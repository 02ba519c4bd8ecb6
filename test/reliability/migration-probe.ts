import { writeSync } from 'node:fs'
import { Migrator } from 'kysely'

/**
 * Loaded into a server child with `--import` by the migration kill phase (migration-kill.ts): says
 * on stderr when migrate-to-latest starts and ends, so a kill can be aimed inside the migration.
 * Written synchronously, so a line is out before the next statement runs. Changes nothing else.
 */
export const PROBE_START = 'mapshelf-probe: migrations start'
export const PROBE_END = 'mapshelf-probe: migrations end'

const migrateToLatest = Migrator.prototype.migrateToLatest
Migrator.prototype.migrateToLatest = async function (this: Migrator) {
  writeSync(2, `${PROBE_START}\n`)
  try {
    return await migrateToLatest.call(this)
  } finally {
    writeSync(2, `${PROBE_END}\n`)
  }
}
