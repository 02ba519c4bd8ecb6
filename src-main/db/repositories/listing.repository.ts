import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { Db } from '../database'

/**
 * Generic paged listing used by every list endpoint: a FROM clause with fixed aliases, AND-ed
 * conditions, an ORDER BY, and the page window. Returns the primary keys and the total.
 */
export interface ListingSpec {
  from: string
  key: string
  conditions: RawBuilder<SqlBool>[]
  orderBy: RawBuilder<unknown>
  /** The same rows shaped for counting, when that shape differs (see services/visibility.ts). */
  count?: { from: string; conditions: RawBuilder<SqlBool>[] }
}

function whereClause(conditions: RawBuilder<SqlBool>[]): RawBuilder<unknown> {
  return conditions.length > 0 ? sql.join(conditions, sql` AND `) : sql`1`
}

const COUNT_CACHE_SIZE = 500
const countCaches = new WeakMap<Db, Map<string, { generation: number; total: number }>>()

/** The newest change-log sequence: every write bumps it, so it versions cached counts. */
export async function changeGeneration(db: Db): Promise<number> {
  const row = await sql<{ seq: number | null }>`SELECT max(seq) AS seq FROM changes`.execute(db)
  return row.rows[0]?.seq ?? 0
}

/**
 * count(*) of a listing. Counting every visible row of a large catalogue is the one cost that
 * grows with its size, so totals are remembered until the change log moves on.
 */
export async function countListing(db: Db, spec: ListingSpec): Promise<number> {
  const { from, conditions } = spec.count ?? spec
  const query = sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.raw(from)} WHERE ${whereClause(conditions)}`
  const compiled = query.compile(db)
  const key = `${compiled.sql}\u0000${JSON.stringify(compiled.parameters)}`
  let cache = countCaches.get(db)
  if (!cache) countCaches.set(db, (cache = new Map()))
  const generation = await changeGeneration(db)
  const hit = cache.get(key)
  if (hit && hit.generation === generation) return hit.total
  const result = await query.execute(db)
  const total = result.rows[0]?.n ?? 0
  if (cache.size >= COUNT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
  cache.set(key, { generation, total })
  return total
}

export async function pageOfKeys<K = number>(db: Db, spec: ListingSpec, limit: number, offset: number): Promise<K[]> {
  const result = await sql<{ k: K }>`SELECT ${sql.raw(spec.key)} AS k FROM ${sql.raw(spec.from)} WHERE ${whereClause(spec.conditions)} ORDER BY ${spec.orderBy} LIMIT ${limit} OFFSET ${offset}`.execute(db)
  return result.rows.map((r) => r.k)
}

export async function allKeys<K = number>(db: Db, spec: ListingSpec): Promise<K[]> {
  const result = await sql<{ k: K }>`SELECT ${sql.raw(spec.key)} AS k FROM ${sql.raw(spec.from)} WHERE ${whereClause(spec.conditions)} ORDER BY ${spec.orderBy}`.execute(db)
  return result.rows.map((r) => r.k)
}
