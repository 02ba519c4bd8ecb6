import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../schema'

type Executor = Kysely<Database> | Transaction<Database>

export interface TokenRecord {
  id: number
  user_id: number
  kind: 'bearer' | 'session'
  scope: string
  csrf_token: string | null
  expires: string
}

export function findTokenByHash(db: Executor, tokenHash: string): Promise<TokenRecord | undefined> {
  return db
    .selectFrom('access_tokens')
    .select(['id', 'user_id', 'kind', 'scope', 'csrf_token', 'expires'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export function findTokenByRefreshHash(db: Executor, refreshHash: string): Promise<TokenRecord | undefined> {
  return db
    .selectFrom('access_tokens')
    .select(['id', 'user_id', 'kind', 'scope', 'csrf_token', 'expires'])
    .where('refresh_hash', '=', refreshHash)
    .executeTakeFirst()
}

export async function insertToken(
  db: Executor,
  row: { token_hash: string; refresh_hash: string | null; user_id: number; kind: 'bearer' | 'session'; scope: string; csrf_token: string | null; expires: string }
): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute()
}

export async function deleteToken(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('access_tokens').where('id', '=', id).execute()
}

export async function deleteExpiredTokens(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('access_tokens').where('expires', '<', now).execute()
}

/** Moves whenever a user, group, membership or token changes: resolved callers stay valid until it does. */
export async function findAuthGeneration(db: Executor): Promise<number> {
  const row = await db.selectFrom('auth_generation').select('value').where('id', '=', 1).executeTakeFirst()
  return row?.value ?? 0
}
