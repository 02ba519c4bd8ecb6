import { type Kysely, Migrator, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type OpenedDatabase, openDatabase } from '../../src-main/db/database'

// Migrations run in one transaction with their records: a migration that stops half way (an
// error here, a crash or a kill -9 in life) leaves the schema as it was, so the next start can
// run it again. Kysely's SQLite adapter runs them statement by statement unless told otherwise.

let store: OpenedDatabase
const tables = () => store.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'probe_%' ORDER BY name").pluck().all()

beforeEach(() => {
  store = openDatabase(':memory:')
})
afterEach(() => store.close())

function migrator(failSecond: boolean): Migrator {
  const migrations = {
    '0001_first': { up: async (db: Kysely<unknown>) => void (await sql`CREATE TABLE probe_first (id INTEGER PRIMARY KEY)`.execute(db)) },
    '0002_second': {
      up: async (db: Kysely<unknown>) => {
        await sql`CREATE TABLE probe_second (id INTEGER PRIMARY KEY)`.execute(db)
        await sql`ALTER TABLE probe_first ADD COLUMN label TEXT`.execute(db)
        if (failSecond) throw new Error('stopped half way')
      }
    }
  }
  return new Migrator({ db: store.db, provider: { getMigrations: async () => migrations } })
}

describe('migrations', () => {
  it('leave nothing behind when one stops half way, and run again whole', async () => {
    const failed = await migrator(true).migrateToLatest()
    expect(failed.error).toBeInstanceOf(Error)
    expect(tables()).toEqual([])
    expect(store.sqlite.prepare('SELECT count(*) FROM kysely_migration').pluck().get()).toBe(0)

    const done = await migrator(false).migrateToLatest()
    expect(done.error).toBeUndefined()
    expect(tables()).toEqual(['probe_first', 'probe_second'])
    expect(store.sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all()).toEqual(['0001_first', '0002_second'])
  })
})
