import type { Kysely, Transaction } from 'kysely'
import { nextId } from '../id-sequences'
import type { Database, NewUserRow, UserRow } from '../schema'

type Executor = Kysely<Database> | Transaction<Database>

export function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByUsername(db: Executor, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
}

export function findUsersByIds(db: Executor, ids: number[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([])
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute()
}

export async function insertUser(db: Executor, row: NewUserRow): Promise<number> {
  const inserted = await db.insertInto('users').values({ id: nextId('users'), ...row }).returning('id').executeTakeFirstOrThrow()
  return inserted.id
}

/** Auth group ids the user belongs to, with the role held in each. */
export function findMemberships(db: Executor, userId: number): Promise<{ group_id: number; role: 'member' | 'manager' }[]> {
  return db.selectFrom('group_members').select(['group_id', 'role']).where('user_id', '=', userId).execute()
}

/** Which of these users belong to the auth group (for the `add_resource` capability). */
export async function membersOf(db: Executor, groupId: number, userIds: number[]): Promise<Set<number>> {
  if (userIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', 'in', userIds)
    .execute()
  return new Set(rows.map((r) => r.user_id))
}

export function findGroupIdByName(db: Executor, name: string): Promise<number | undefined> {
  return db
    .selectFrom('auth_groups')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst()
    .then((r) => r?.id)
}
