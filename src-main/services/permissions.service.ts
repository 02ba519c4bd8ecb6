import {
  ANONYMOUS_GROUP,
  ANONYMOUS_USERNAME,
  CHANGE_PERMISSIONS,
  type StoreType,
  applicablePermissions,
  publicPermissions
} from '../../src-shared/api/permissions'
import { PermSpecRequest } from '../../src-shared/api/schemas'
import type { z } from 'zod'
import type { Clock } from '../clock'
import type { Transaction } from 'kysely'
import type { Db } from '../db/database'
import type { Database } from '../db/schema'
import { PermissionDenied } from '../errors'
import { validate } from '../validate'
import type { Caller } from './caller'
import { callerHolds } from './visibility'
import type { ResourceService } from './resources.service'

export type PermSpec = z.infer<typeof PermSpecRequest>

type Grants = Map<number, Set<string>>

function diff(current: Grants, wanted: Grants) {
  const removed: [number, string][] = []
  const added: [number, string][] = []
  for (const [holder, codes] of current) for (const code of codes) if (!wanted.get(holder)?.has(code)) removed.push([holder, code])
  for (const [holder, codes] of wanted) for (const code of codes) if (!current.get(holder)?.has(code)) added.push([holder, code])
  return { removed, added }
}

function collect(rows: { holder: number; codename: string }[]): Grants {
  const grants: Grants = new Map()
  for (const row of rows) grants.set(row.holder, (grants.get(row.holder) ?? new Set()).add(row.codename))
  return grants
}

export type PermissionService = ReturnType<typeof createPermissionService>

/**
 * Replaces the grants of resource `id` with a validated perm spec inside the caller's
 * transaction (set_perms, and the `permissions` field of an upload).
 */
export async function applyPermSpec(trx: Transaction<Database>, id: number, spec: PermSpec, now: string): Promise<void> {
    const resource = await trx
      .selectFrom('resources as r')
      .leftJoin('layers as l', 'l.resource_id', 'r.id')
      .select(['r.id', 'r.resource_type', 'r.owner_id', 'r.group_id', 'l.store_type'])
      .where('r.id', '=', id)
      .executeTakeFirstOrThrow()
    const allowed = new Set<string>(applicablePermissions(resource.resource_type, resource.store_type as StoreType | null))
    const keep = (codes: string[]) => new Set(codes.filter((c) => allowed.has(c)))

    const userNames = Object.keys(spec.users ?? {}).filter((name) => name !== ANONYMOUS_USERNAME)
    const groupNames = [...Object.keys(spec.groups ?? {}), ANONYMOUS_GROUP]
    const [users, groups] = await Promise.all([
      userNames.length ? trx.selectFrom('users').select(['id', 'username']).where('username', 'in', userNames).execute() : [],
      trx.selectFrom('auth_groups').select(['id', 'name']).where('name', 'in', groupNames).execute()
    ])
    const userIds = new Map(users.map((u) => [u.username, u.id]))
    const groupIds = new Map(groups.map((g) => [g.name, g.id]))

    const wantedUsers: Grants = new Map()
    for (const [name, codes] of Object.entries(spec.users ?? {})) {
      const userId = name === ANONYMOUS_USERNAME ? undefined : userIds.get(name)
      if (userId !== undefined && userId !== -1) wantedUsers.set(userId, keep(codes))
    }
    const wantedGroups: Grants = new Map()
    for (const [name, codes] of Object.entries(spec.groups ?? {})) {
      const groupId = groupIds.get(name)
      if (groupId !== undefined) wantedGroups.set(groupId, keep(codes))
    }
    const anonymous = spec.users?.[ANONYMOUS_USERNAME]
    const anonymousGroupId = groupIds.get(ANONYMOUS_GROUP)
    if (anonymous && anonymousGroupId !== undefined) {
      wantedGroups.set(anonymousGroupId, new Set([...(wantedGroups.get(anonymousGroupId) ?? []), ...keep(anonymous)]))
    }

    wantedUsers.set(resource.owner_id, allowed)
    if (resource.group_id !== null) {
      const managers = await trx
        .selectFrom('group_members')
        .select('user_id')
        .where('group_id', '=', resource.group_id)
        .where('role', '=', 'manager')
        .execute()
      for (const m of managers) wantedUsers.set(m.user_id, allowed)
      const memberCodes = keep(publicPermissions(resource.resource_type))
      wantedGroups.set(resource.group_id, new Set([...(wantedGroups.get(resource.group_id) ?? []), ...memberCodes]))
    }

    const [currentUsers, currentGroups] = await Promise.all([
      trx.selectFrom('resource_user_perms').select(['user_id as holder', 'codename']).where('resource_id', '=', id).execute(),
      trx.selectFrom('resource_group_perms').select(['group_id as holder', 'codename']).where('resource_id', '=', id).execute()
    ])
    const users_ = diff(collect(currentUsers), wantedUsers)
    const groups_ = diff(collect(currentGroups), wantedGroups)
    for (const [userId, codename] of users_.removed) {
      await trx.deleteFrom('resource_user_perms').where('resource_id', '=', id).where('user_id', '=', userId).where('codename', '=', codename).execute()
    }
    for (const [groupId, codename] of groups_.removed) {
      await trx.deleteFrom('resource_group_perms').where('resource_id', '=', id).where('group_id', '=', groupId).where('codename', '=', codename).execute()
    }
    if (users_.added.length) {
      await trx
        .insertInto('resource_user_perms')
        .values(users_.added.map(([user_id, codename]) => ({ resource_id: id, user_id, codename, created: now, last_updated: now })))
        .execute()
    }
    if (groups_.added.length) {
      await trx
        .insertInto('resource_group_perms')
        .values(groups_.added.map(([group_id, codename]) => ({ resource_id: id, group_id, codename, created: now, last_updated: now })))
        .execute()
    }
}

export function createPermissionService(deps: { db: Db; clock: Clock; resources: ResourceService }) {
  const { db, clock, resources } = deps

  /** Managing grants needs change_resourcebase_permissions on the object (the owner holds it). */
  async function assertCanChangePermissions(caller: Caller, id: number): Promise<void> {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    if (!(await callerHolds(db, caller, id, CHANGE_PERMISSIONS))) throw new PermissionDenied()
  }

  /**
   * PUT set_perms (spec 4.2): the body replaces every grant. AnonymousUser folds into the
   * `anonymous` group; unknown names and codenames are dropped; the owner keeps the full set; the
   * resource group's managers keep the owner's rights and its members view (and download).
   * Only rows that change are written, so the change log shows the real difference.
   */
  async function setPerms(caller: Caller, id: number, body: unknown): Promise<unknown> {
    if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
    await resources.findVisibleId('resources', caller, id)
    await assertCanChangePermissions(caller, id)
    const spec = validate(PermSpecRequest, body)
    await db.transaction().execute((trx) => applyPermSpec(trx, id, spec, clock.now()))
    return body
  }

  return { setPerms, assertCanChangePermissions }
}
