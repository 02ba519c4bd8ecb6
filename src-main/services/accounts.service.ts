import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { GroupProfileDto, UserDto } from '../../src-shared/api/dto'
import { GroupWrite, MembershipRequest, UserWrite } from '../../src-shared/api/schemas'
import type { Clock } from '../clock'
import type { Db } from '../db/database'
import type { Database } from '../db/schema'
import { nextId } from '../db/id-sequences'
import { slugify } from '../db/reference-data'
import { deleteTokensOfUser, tokenHash } from '../db/repositories/token.repository'
import { Conflict, NotFound, PermissionDenied, ValidationError } from '../errors'
import { validate } from '../validate'
import { type Caller, type SystemIds, isAdmin } from './caller'
import { hashPassword } from './passwords'
import type { UserService } from './users.service'

function requireAdmin(caller: Caller): void {
  if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
  if (!isAdmin(caller)) throw new PermissionDenied()
}

/**
 * What staff may not do, as on GeoNode/Django: only a superuser makes a superuser or changes one
 * (profile, password, flags, deletion). Staff administer every other account (create, edit, set
 * passwords, grant or take staff status, deactivate, delete) and the groups, but never reach
 * superuser power, neither their own nor through a superuser's account. `target` is the account
 * changed (none when creating); `grantsSuperuser` whether the request sets is_superuser to true.
 */
function requireSuperuserPower(caller: Caller, target: { is_superuser: number } | undefined, grantsSuperuser: boolean): void {
  if (caller.superuser) return
  if (target?.is_superuser === 1) throw new PermissionDenied('Only a superuser can change a superuser.')
  if (grantsSuperuser) throw new PermissionDenied('Only a superuser can grant superuser status.')
}

/**
 * The token or session a user is changing their own password with: it survives the change, as a
 * Django session does (update_session_auth_hash); every other token and session of theirs is
 * revoked, refresh tokens with them. A password set by someone else revokes them all, and so does
 * deactivation; deleting a user takes theirs with the row.
 */
function ownCredential(caller: Caller, userId: number): string | undefined {
  const own = caller.userId === userId && (caller.via === 'bearer' || caller.via === 'session') && caller.credential
  return own ? tokenHash(own) : undefined
}

const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0)

export type AccountService = ReturnType<typeof createAccountService>

/** A group (its Django group named by the slug) and its profile; answers the profile's id. */
export async function insertGroup(
  trx: Transaction<Database>,
  group: { slug: string; title: string; description: string; email: string | null; access: 'public' | 'public-invite' | 'private'; logo: string | null },
  now: string
): Promise<number> {
  const made = await trx.insertInto('auth_groups').values({ id: nextId('auth_groups'), name: group.slug, created: now, last_updated: now }).returning('id').executeTakeFirstOrThrow()
  const profile = await trx
    .insertInto('group_profiles')
    .values({ id: nextId('group_profiles'), uuid: randomUUID(), group_id: made.id, title: group.title, slug: group.slug, description: group.description, email: group.email, access: group.access, logo: group.logo, created: now, last_updated: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  return profile.id
}

/**
 * Users and groups administration (spec 2.3, 2.4): superusers and staff, staff short of superuser
 * power (see requireSuperuserPower); managers may PATCH their group and change its members.
 */
export function createAccountService(deps: { db: Db; clock: Clock; system: SystemIds; users: UserService }) {
  const { db, clock, system, users } = deps

  function userColumns(input: ReturnType<typeof UserWrite.parse>) {
    const columns: Record<string, unknown> = {}
    for (const key of ['username', 'first_name', 'last_name', 'email'] as const) if (input[key] !== undefined) columns[key] = input[key]
    for (const key of ['is_superuser', 'is_staff', 'is_active'] as const) if (input[key] !== undefined) columns[key] = flag(input[key])
    if (input.password !== undefined) columns.password_hash = hashPassword(input.password)
    return columns
  }

  async function usernameFree(username: string | undefined, except?: number): Promise<void> {
    if (username === undefined) return
    let query = db.selectFrom('users').select('id').where('username', '=', username)
    if (except !== undefined) query = query.where('id', '<>', except)
    if (await query.executeTakeFirst()) throw new ValidationError({ username: ['A user with that username already exists.'] })
  }

  async function groupFor(caller: Caller, id: number, needAdmin: boolean) {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    const row = await db.selectFrom('group_profiles').select(['id', 'group_id', 'access']).where('id', '=', id).executeTakeFirst()
    const visible = row && (caller.superuser || row.access !== 'private' || caller.groupIds.includes(row.group_id))
    if (!isAdmin(caller) && (needAdmin || !row || !caller.managedGroupIds.includes(row.group_id))) throw new PermissionDenied()
    if (!row || !visible) throw new NotFound()
    return row
  }

  async function setCategories(trx: Transaction<Database>, profileId: number, slugs: string[], now: string) {
    const rows = slugs.length ? await trx.selectFrom('group_categories').select(['id', 'slug']).where('slug', 'in', slugs).execute() : []
    const unknown = slugs.filter((slug) => !rows.some((r) => r.slug === slug))
    if (unknown.length) throw new ValidationError({ categories: [`Unknown group categories: ${unknown.join(', ')}.`] })
    await trx.deleteFrom('group_profile_categories').where('group_profile_id', '=', profileId).execute()
    if (rows.length) {
      await trx
        .insertInto('group_profile_categories')
        .values(rows.map((r) => ({ group_profile_id: profileId, category_id: r.id, created: now, last_updated: now })))
        .execute()
    }
  }

  return {
    async createUser(caller: Caller, body: unknown): Promise<UserDto> {
      requireAdmin(caller)
      const input = validate(UserWrite, body)
      if (!input.username) throw new ValidationError({ username: ['This field is required.'] })
      requireSuperuserPower(caller, undefined, input.is_superuser === true)
      await usernameFree(input.username)
      const now = clock.now()
      const id = await db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('users')
          .values({ id: nextId('users'), uuid: randomUUID(), username: input.username as string, ...userColumns(input), created: now, last_updated: now, date_joined: now })
          .returning('id')
          .executeTakeFirstOrThrow()
        // New users join contributors (the add_resource capability) and registered members.
        await trx
          .insertInto('group_members')
          .values([system.contributorsGroupId, system.registeredMembersGroupId].map((group_id) => ({ group_id, user_id: created.id, role: 'member' as const, created: now, last_updated: now })))
          .execute()
        return created.id
      })
      return users.get(id)
    },

    async updateUser(caller: Caller, id: number, body: unknown, partial: boolean): Promise<UserDto> {
      requireAdmin(caller)
      const input = validate(UserWrite, body)
      if (!partial && !input.username) throw new ValidationError({ username: ['This field is required.'] })
      const target = await db.selectFrom('users').select(['id', 'is_superuser']).where('id', '=', id).executeTakeFirst()
      if (!target) throw new NotFound()
      if (id === -1) throw new ValidationError({ non_field_errors: ['AnonymousUser cannot be changed.'] })
      requireSuperuserPower(caller, target, input.is_superuser === true)
      await usernameFree(input.username, id)
      const columns = userColumns(input)
      if (Object.keys(columns).length > 0) {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('users')
            .set((eb) => ({ ...columns, last_updated: clock.now(), version: eb('version', '+', 1) }))
            .where('id', '=', id)
            .execute()
          const superusers = await trx.selectFrom('users').select('id').where('is_superuser', '=', 1).where('is_active', '=', 1).execute()
          if (superusers.length === 0) throw new ValidationError({ is_superuser: ['The catalogue needs at least one active superuser.'] })
          if (input.is_active === false) await deleteTokensOfUser(trx, id)
          else if (input.password !== undefined) await deleteTokensOfUser(trx, id, ownCredential(caller, id))
        })
      }
      return users.get(id)
    },

    async deleteUser(caller: Caller, id: number): Promise<void> {
      requireAdmin(caller)
      const target = await db.selectFrom('users').select(['id', 'username', 'is_superuser']).where('id', '=', id).executeTakeFirst()
      if (!target) throw new NotFound()
      if (id === -1) throw new ValidationError({ non_field_errors: ['AnonymousUser cannot be deleted.'] })
      if (id === caller.userId) throw new ValidationError({ non_field_errors: ['You cannot delete your own account.'] })
      requireSuperuserPower(caller, target, false)
      const owned = await db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', id).executeTakeFirstOrThrow()
      if (Number(owned.n) > 0) throw new Conflict(`${target.username} owns ${owned.n} resources; give them another owner first.`)
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('users').where('id', '=', id).execute()
      })
    },

    async createGroup(caller: Caller, body: unknown): Promise<GroupProfileDto> {
      requireAdmin(caller)
      const input = validate(GroupWrite, body)
      if (!input.title) throw new ValidationError({ title: ['This field is required.'] })
      const slug = input.slug ?? slugify(input.title)
      if (!slug) throw new ValidationError({ slug: ['Could not make a slug from the title; give one.'] })
      const taken = await db.selectFrom('auth_groups').select('id').where('name', '=', slug).executeTakeFirst()
      if (taken) throw new ValidationError({ slug: ['group profile with this slug already exists.'] })
      const now = clock.now()
      const id = await db.transaction().execute(async (trx) => {
        const profile = await insertGroup(trx, { slug, title: input.title as string, description: input.description ?? '', email: input.email || null, access: input.access ?? 'public', logo: input.logo ?? null }, now)
        if (input.categories) await setCategories(trx, profile, input.categories, now)
        return profile
      })
      return users.getGroup(caller, id)
    },

    /** PATCH: superuser/staff or a manager of the group; PUT: superuser/staff only (spec 2.4). */
    async updateGroup(caller: Caller, id: number, body: unknown, partial: boolean): Promise<GroupProfileDto> {
      await groupFor(caller, id, !partial)
      const input = validate(GroupWrite, body)
      if (!partial && !input.title) throw new ValidationError({ title: ['This field is required.'] })
      if (input.slug !== undefined) throw new ValidationError({ slug: ['The slug names the group and cannot change.'] })
      const now = clock.now()
      await db.transaction().execute(async (trx) => {
        const columns: Record<string, unknown> = {}
        for (const key of ['title', 'description', 'access', 'logo'] as const) if (input[key] !== undefined) columns[key] = input[key]
        if (input.email !== undefined) columns.email = input.email || null
        await trx
          .updateTable('group_profiles')
          .set((eb) => ({ ...columns, last_updated: now, version: eb('version', '+', 1) }))
          .where('id', '=', id)
          .execute()
        if (input.categories) await setCategories(trx, id, input.categories, now)
      })
      return users.getGroup(caller, id)
    },

    /**
     * Adds users to a group as members or managers (a member promoted keeps one row, now manager),
     * or removes them; superuser/staff or the group's managers. Answers the group's new list.
     */
    async changeMembers(caller: Caller, id: number, role: 'member' | 'manager', body: unknown, action: 'add' | 'remove'): Promise<UserDto[]> {
      const group = await groupFor(caller, id, false)
      const { users: refs } = validate(MembershipRequest, body)
      const names = refs.filter((r): r is string => typeof r === 'string')
      const pks = refs.filter((r): r is number => typeof r === 'number')
      const found = await db
        .selectFrom('users')
        .select(['id', 'username'])
        .where((eb) => eb.or([eb('username', 'in', names.length ? names : ['']), eb('id', 'in', pks.length ? pks : [0])]))
        .execute()
      const missing = refs.filter((r) => !found.some((u) => u.username === r || u.id === r))
      if (missing.length || found.some((u) => u.id === -1)) {
        throw new ValidationError({ users: [`Unknown users: ${[...missing, ...found.filter((u) => u.id === -1).map((u) => u.username)].join(', ')}.`] })
      }
      const now = clock.now()
      await db.transaction().execute(async (trx) => {
        for (const u of found) {
          if (action === 'add') {
            await trx
              .insertInto('group_members')
              .values({ group_id: group.group_id, user_id: u.id, role, created: now, last_updated: now })
              .onConflict((c) => c.columns(['group_id', 'user_id']).doUpdateSet((eb) => ({ role, last_updated: now, version: eb('group_members.version', '+', 1) })))
              .execute()
          } else if (role === 'manager') {
            // Removing a manager keeps them in the group as a member.
            await trx.updateTable('group_members').set((eb) => ({ role: 'member', last_updated: now, version: eb('version', '+', 1) })).where('group_id', '=', group.group_id).where('user_id', '=', u.id).where('role', '=', 'manager').execute()
          } else {
            await trx.deleteFrom('group_members').where('group_id', '=', group.group_id).where('user_id', '=', u.id).execute()
          }
        }
      })
      return users.groupMembers(caller, id, role === 'manager' ? 'manager' : undefined)
    },

    async deleteGroup(caller: Caller, id: number): Promise<void> {
      const row = await groupFor(caller, id, true)
      if (row.group_id === system.registeredMembersGroupId) throw new ValidationError({ non_field_errors: ['The registered members group cannot be deleted.'] })
      await db.transaction().execute(async (trx) => {
        // The auth group's deletion cascades to the profile, memberships and group grants.
        await trx.deleteFrom('auth_groups').where('id', '=', row.group_id).execute()
      })
    }
  }
}
