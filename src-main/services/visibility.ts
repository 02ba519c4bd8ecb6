import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { CHANGE, VIEW } from '../../src-shared/api/permissions'
import type { Config } from '../config'
import type { Db } from '../db/database'
import { findHeldCodenames } from '../db/repositories/resource-related.repository'
import { type Caller, type SystemIds, isAdmin } from './caller'

export type VisibilityPolicy = Pick<Config, 'resourcePublishing' | 'adminModerateUploads' | 'groupPrivateResources'>

/**
 * How a condition is shaped for SQLite: `probe` tests each row as an index is walked in order
 * (cheap when a page fills after a few rows), `set` collects the matching ids once (cheap when
 * thousands of rows must be tested: counts, deep pages, whole lists).
 */
export type Plan = 'probe' | 'set'

interface Grant {
  table: 'resource_user_perms' | 'resource_group_perms'
  column: 'user_id' | 'group_id'
  ids: number[]
  codenames: string[]
}

function personalGrants(grants: Grant[], plan: Plan, ownerId: number | null): RawBuilder<unknown> {
  const holder = (g: Grant) => sql`${sql.ref(g.column)} IN (${sql.join(g.ids)}) AND codename IN (${sql.join(g.codenames)})`
  if (plan === 'set') {
    const sets = grants.map((g) => sql`SELECT resource_id FROM ${sql.table(g.table)} WHERE ${holder(g)}`)
    return sql`r.id IN (${sql.join(sets, sql` UNION `)})`
  }
  const probes = grants.map((g) => sql`EXISTS (SELECT 1 FROM ${sql.table(g.table)} WHERE resource_id = r.id AND ${holder(g)})`)
  // Owners always hold the full set; owner_id is in the browse index, so this skips the lookups.
  if (ownerId !== null) probes.unshift(sql`r.owner_id = ${ownerId}`)
  return sql`(${sql.join(probes, sql` OR `)})`
}

/**
 * Which resources (alias `r`) the caller may see (spec 4.4): never metadata-only or dirty ones;
 * then, unless superuser, a view grant (or change, on /resources) to the caller or one of its
 * groups, plus the optional publishing, moderation and private-group rules.
 *
 * Grants to `anonymous` and `registered-members` are read from `r.audience` (kept by triggers,
 * present in the browse indexes); only the caller's personal grants need a subquery.
 */
export function visibleResources(
  caller: Caller,
  policy: VisibilityPolicy,
  system: SystemIds,
  options: { allowChange?: boolean; plan?: Plan } = {}
): RawBuilder<SqlBool> {
  const base = sql<SqlBool>`r.metadata_only = 0 AND r.dirty_state = 0`
  if (caller.superuser) return base
  const codenames = options.allowChange ? [VIEW, CHANGE] : [VIEW]
  // The unary + keeps SQLite from driving the query by the audience index: most rows pass, and
  // walking the browse index in the requested order is what keeps pages cheap.
  const audience = caller.authenticated && caller.registeredMember ? sql`+r.audience >= 1` : sql`+r.audience = 2`
  const personalGroups = caller.groupIds.filter((id) => id !== system.anonymousGroupId && id !== system.registeredMembersGroupId)
  // A change grant to everyone (rare) shows the resource on /resources too.
  const everyone = caller.authenticated && caller.registeredMember ? [system.anonymousGroupId, system.registeredMembersGroupId] : [system.anonymousGroupId]
  const grants: Grant[] = []
  if (caller.authenticated) grants.push({ table: 'resource_user_perms', column: 'user_id', ids: [caller.userId], codenames })
  if (personalGroups.length > 0) grants.push({ table: 'resource_group_perms', column: 'group_id', ids: personalGroups, codenames })
  if (options.allowChange) grants.push({ table: 'resource_group_perms', column: 'group_id', ids: everyone, codenames: [CHANGE] })
  const ownerId = caller.authenticated ? caller.userId : null
  const granted = grants.length === 0 ? audience : sql`(${audience} OR ${personalGrants(grants, options.plan ?? 'probe', ownerId)})`
  const rules: RawBuilder<unknown>[] = [base, granted]
  if (!caller.authenticated && policy.resourcePublishing) rules.push(sql`r.is_published = 1`)
  if (!caller.authenticated && policy.adminModerateUploads) rules.push(sql`r.is_approved = 1 AND r.is_published = 1`)
  if (policy.groupPrivateResources) {
    const member = caller.authenticated
      ? sql`r.owner_id = ${caller.userId} OR r.group_id IN (${sql.join(caller.groupIds)})`
      : sql`0`
    rules.push(sql`(r.group_id IS NULL OR r.group_id NOT IN (SELECT group_id FROM group_profiles WHERE access = 'private') OR ${member})`)
  }
  return sql<SqlBool>`(${sql.join(rules, sql` AND `)})`
}

/** Whether the caller holds `codename` on resource `id`: superusers and staff hold every one. */
export async function callerHolds(db: Db, caller: Caller, id: number, codename: string): Promise<boolean> {
  if (isAdmin(caller)) return true
  // Anonymous callers hold what the anonymous group holds (their groupIds are just that group).
  return (await findHeldCodenames(db, id, caller.userId, caller.groupIds)).has(codename)
}
