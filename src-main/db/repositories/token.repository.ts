import { createHash } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../schema'

type Executor = Kysely<Database> | Transaction<Database>

/**
 * Tokens, session ids and refresh tokens are stored by their SHA-256 only.
 *
 * @example findTokenByHash(db, tokenHash(bearer))
 */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

export interface TokenRecord {
  id: number
  user_id: number
  kind: 'bearer' | 'session'
  scope: string
  csrf_token: string | null
  expires: string
  /** When it was issued: a refresh token lasts a while from then. */
  created: string
}

const RECORD_COLUMNS = ['id', 'user_id', 'kind', 'scope', 'csrf_token', 'expires', 'created'] as const

export function findTokenByHash(db: Executor, hash: string): Promise<TokenRecord | undefined> {
  return db
    .selectFrom('access_tokens')
    .select(RECORD_COLUMNS)
    .where('token_hash', '=', hash)
    .executeTakeFirst()
}

export function findTokenByRefreshHash(db: Executor, refreshHash: string): Promise<TokenRecord | undefined> {
  return db
    .selectFrom('access_tokens')
    .select(RECORD_COLUMNS)
    .where('refresh_hash', '=', refreshHash)
    .executeTakeFirst()
}

export async function insertToken(
  db: Executor,
  row: { token_hash: string; refresh_hash: string | null; user_id: number; kind: 'bearer' | 'session'; scope: string; csrf_token: string | null; expires: string; created: string }
): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute()
}

export async function deleteToken(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('access_tokens').where('id', '=', id).execute()
}

/**
 * Revokes a user's tokens and sessions (their refresh tokens with them), all of them or all but
 * one (the credential a request is using, by its hash).
 */
export async function deleteTokensOfUser(db: Executor, userId: number, keepHash?: string): Promise<void> {
  let query = db.deleteFrom('access_tokens').where('user_id', '=', userId)
  if (keepHash !== undefined) query = query.where('token_hash', '<>', keepHash)
  await query.execute()
}

/**
 * Deletes what can no longer be used: access tokens and sessions past `now` (the format of
 * `expires`) whose refresh token, if any, was issued before `refreshIssuedBefore` (the format of
 * `created`).
 */
export async function deleteExpiredTokens(db: Executor, now: string, refreshIssuedBefore: string): Promise<void> {
  await db
    .deleteFrom('access_tokens')
    .where('expires', '<', now)
    .where((eb) => eb.or([eb('refresh_hash', 'is', null), eb('created', '<', refreshIssuedBefore)]))
    .execute()
}

/** Moves whenever a user, group, membership or token changes: resolved callers stay valid until it does. */
export async function findAuthGeneration(db: Executor): Promise<number> {
  const row = await db.selectFrom('auth_generation').select('value').where('id', '=', 1).executeTakeFirst()
  return row?.value ?? 0
}
