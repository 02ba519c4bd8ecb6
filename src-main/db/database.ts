import Sqlite from 'better-sqlite3'
import { type DialectAdapter, Kysely, SqliteAdapter, SqliteDialect, type Transaction, sql } from 'kysely'
import type { Database } from './schema'
import { regexpMatches } from './regex'
import { sqliteOptions } from '../platform/sqlite-binding'

export type Db = Kysely<Database>

/**
 * `work` in a transaction: its own, or, when `db` is one already, a savepoint inside it, so that a
 * failure undoes `work` alone and the caller's transaction goes on.
 */
export async function transact<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (!db.isTransaction) return db.transaction().execute(work)
  const trx = db as Transaction<Database>
  await sql`savepoint transact`.execute(trx)
  try {
    const out = await work(trx)
    await sql`release transact`.execute(trx)
    return out
  } catch (error) {
    // A storage error may have ended the whole transaction already: then nothing is left to undo.
    await sql`rollback to transact`.execute(trx).catch(() => undefined)
    await sql`release transact`.execute(trx).catch(() => undefined)
    throw error
  }
}

export interface OpenedDatabase {
  db: Db
  sqlite: Sqlite.Database
  close(): Promise<void>
}

/**
 * Opens (or creates) the catalogue file with the pragmas every connection needs:
 * WAL, foreign keys, a busy timeout, and a REGEXP function for `filter{x.regex}`.
 *
 * @example const { db, close } = openDatabase(':memory:')
 */
export function openDatabase(filename: string | Buffer): OpenedDatabase {
  const sqlite = new Sqlite(filename as string, sqliteOptions())
  if (filename !== ':memory:' && !Buffer.isBuffer(filename)) sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('cache_size = -65536')
  sqlite.pragma('temp_store = MEMORY')
  // Reads map the file instead of copying each page through read(): a bbox answer of 4,000 features
  // joins 4,000 scattered rows, and measured warm this halves its time (writes still go through
  // the WAL, which a read-only mapping leaves safe). Address space only, not memory.
  if (filename !== ':memory:' && !Buffer.isBuffer(filename)) sqlite.pragma(`mmap_size = ${MMAP_BYTES}`)
  registerRegexp(sqlite)
  const db = new Kysely<Database>({ dialect: new CatalogueDialect({ database: withStatementCache(sqlite) }) })
  return {
    db,
    sqlite,
    async close() {
      await db.destroy()
    }
  }
}

/**
 * SQLite runs DDL inside transactions, yet Kysely's SQLite adapter says it cannot, so its Migrator
 * ran every statement of a migration on its own: a crash in the middle left a schema half changed
 * and not recorded, which every later start then failed to migrate ("table ... already exists").
 * Declaring transactional DDL makes the Migrator run the pending migrations and their records in
 * one transaction: after a crash the catalogue is at the old schema or the new one, never between.
 */
class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class CatalogueDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter()
  }
}

/** 1 GiB of the catalogue file mapped for reads. */
const MMAP_BYTES = 1024 ** 3

const STATEMENT_CACHE_SIZE = 400

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs as much as running most of
 * ours. This hands it a connection whose `prepare` reuses statements by SQL text (LRU).
 */
function withStatementCache(sqlite: Sqlite.Database): Sqlite.Database {
  const statements = new Map<string, Sqlite.Statement>()
  const prepare = (text: string): Sqlite.Statement => {
    // Kysely opens transactions with a deferred `begin`; every transaction on this connection
    // writes, and a deferred one that reads first fails at once with SQLITE_BUSY (no busy
    // timeout) when the ingest worker's connection committed in between. IMMEDIATE takes the
    // write lock up front, waiting up to busy_timeout for it.
    const source = text === 'begin' ? 'begin immediate' : text
    // SQLite rolls a transaction back by itself when a statement fails on a full disk or an I/O
    // error; Kysely's own rollback would then fail ("no transaction is active") and replace the
    // error that says what happened (SQLITE_FULL: a 507 instead of a 500).
    if (source === 'rollback' && !sqlite.inTransaction) return prepare('select 0 where 0')
    const cached = statements.get(source)
    if (cached) {
      statements.delete(source)
      statements.set(source, cached)
      return cached
    }
    const statement = sqlite.prepare(source)
    if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string)
    statements.set(source, statement)
    return statement
  }
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

function registerRegexp(sqlite: Sqlite.Database): void {
  sqlite.function('regexp', { deterministic: true }, regexpMatches)
}
