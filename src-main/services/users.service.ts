import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { GroupProfileDto, UserDto } from '../../src-shared/api/dto'
import type { Db } from '../db/database'
import { allKeys } from '../db/repositories/listing.repository'
import { findUserById, findUsersByIds, membersOf } from '../db/repositories/user.repository'
import { NotFound } from '../errors'
import { type FieldTable, checkFieldNames, filterConditions, orderBySql, orderTerms, searchFieldsCondition } from '../query/drest.kysely'
import type { DrestQuery } from '../query/drest.parse'
import { groupTable, userTable } from '../query/fields'
import type { Caller, SystemIds } from './caller'
import { pageOf } from './paging'
import type { AuthService } from './auth.service'
import type { ResourceService } from './resources.service'
import { type UrlContext, applyFields, userDto } from './serializers/common'
import { renderGroups } from './serializers/group.serializer'

/** Conditions for filter{}, search and search_fields over a non-resource table. */
export function tableConditions(table: FieldTable, query: DrestQuery): RawBuilder<SqlBool>[] {
  checkFieldNames(table, [...query.include, ...query.exclude])
  const conditions = filterConditions(table, query)
  if (query.search) {
    const fields = query.search.fields.length > 0 ? query.search.fields : (table.defaultSearch ?? [])
    if (fields.length > 0) conditions.push(searchFieldsCondition(table, query.search.terms, [...fields]))
  }
  return conditions
}

export type UserService = ReturnType<typeof createUserService>

export function createUserService(deps: { db: Db; system: SystemIds; url: UrlContext; resources: ResourceService; auth: AuthService }) {
  const { db, system, url, resources, auth } = deps

  async function renderUsers(ids: number[]): Promise<UserDto[]> {
    const rows = await findUsersByIds(db, ids)
    const contributors = await membersOf(db, system.contributorsGroupId, ids)
    const byId = new Map(rows.map((r) => [r.id, r]))
    return ids
      .filter((id) => byId.has(id))
      .map((id) => {
        const u = byId.get(id)!
        const canAdd = u.id !== -1 && (contributors.has(u.id) || u.is_staff === 1 || u.is_superuser === 1)
        return userDto(url, u, canAdd)
      })
  }

  function visibleGroupsCondition(caller: Caller): RawBuilder<SqlBool> {
    if (caller.superuser) return sql<SqlBool>`1`
    return sql<SqlBool>`(gp.access IN ('public', 'public-invite') OR gp.group_id IN (${sql.join(caller.groupIds)}))`
  }

  async function findVisibleGroup(caller: Caller, id: number): Promise<{ id: number; group_id: number }> {
    const row = await db.selectFrom('group_profiles').select(['id', 'group_id', 'access']).where('id', '=', id).executeTakeFirst()
    const visible = row && (caller.superuser || row.access !== 'private' || caller.groupIds.includes(row.group_id))
    if (!row || !visible) throw new NotFound()
    return row
  }

  return {
    renderUsers,

    async list(query: DrestQuery) {
      const orderBy = orderBySql(orderTerms(userTable, query, [{ path: ['username'], desc: false, raw: 'username' }], 'u.id'))
      const page = await pageOf(db, { from: 'users u', key: 'u.id', conditions: tableConditions(userTable, query), orderBy }, query)
      return { ...page, items: applyFields(await renderUsers(page.keys), query) }
    },

    async get(id: number, query?: DrestQuery): Promise<UserDto> {
      if (query) checkFieldNames(userTable, [...query.include, ...query.exclude])
      const [user] = await renderUsers([id])
      if (!user) throw new NotFound()
      return query ? applyFields([user], query)[0] : user
    },

    async groupNamesOf(userId: number): Promise<string[]> {
      const rows = await db
        .selectFrom('group_members as m')
        .innerJoin('auth_groups as g', 'g.id', 'm.group_id')
        .select('g.name')
        .where('m.user_id', '=', userId)
        .orderBy('g.name')
        .execute()
      return rows.map((r) => r.name)
    },

    async groupsOf(caller: Caller, userId: number): Promise<GroupProfileDto[]> {
      if (!(await findUserById(db, userId))) throw new NotFound()
      const ids = await allKeys(db, {
        from: 'group_profiles gp',
        key: 'gp.id',
        conditions: [
          sql<SqlBool>`gp.group_id IN (SELECT group_id FROM group_members WHERE user_id = ${userId})`,
          visibleGroupsCondition(caller)
        ],
        orderBy: sql`gp.title, gp.id`
      })
      return renderGroups({ ...url, db }, ids)
    },

    /** What the user can view (spec 2.3), narrowed to what the caller can view too. */
    async resourcesOf(caller: Caller, userId: number) {
      const target = await findUserById(db, userId)
      if (!target) throw new NotFound()
      return resources.viewableByBoth(caller, await auth.callerFor(target, 'internal'))
    },

    async listGroups(caller: Caller, query: DrestQuery) {
      const orderBy = orderBySql(orderTerms(groupTable, query, [{ path: ['title'], desc: false, raw: 'title' }], 'gp.id'))
      const conditions = [visibleGroupsCondition(caller), ...tableConditions(groupTable, query)]
      const page = await pageOf(db, { from: 'group_profiles gp', key: 'gp.id', conditions, orderBy }, query)
      return { ...page, items: applyFields(await renderGroups({ ...url, db }, page.keys), query) }
    },

    async getGroup(caller: Caller, id: number, query?: DrestQuery): Promise<GroupProfileDto> {
      if (query) checkFieldNames(groupTable, [...query.include, ...query.exclude])
      await findVisibleGroup(caller, id)
      const [group] = await renderGroups({ ...url, db }, [id])
      return query ? applyFields([group], query)[0] : group
    },

    async groupMembers(caller: Caller, id: number, role?: 'manager') {
      const group = await findVisibleGroup(caller, id)
      let q = db.selectFrom('group_members as m').innerJoin('users as u', 'u.id', 'm.user_id').select('u.id').where('m.group_id', '=', group.group_id)
      if (role) q = q.where('m.role', '=', role)
      const rows = await q.orderBy('u.username').execute()
      return renderUsers(rows.map((r) => r.id))
    },

    async groupResources(caller: Caller, id: number) {
      const group = await findVisibleGroup(caller, id)
      return resources.ownedBy(caller, sql<SqlBool>`r.group_id = ${group.group_id}`)
    }
  }
}
