import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { CHANGE, VIEW } from '../../src-shared/api/permissions'
import type { Config } from '../config'
import type { Caller, SystemIds } from './caller'

export type VisibilityPolicy = Pick<Config, 'resourcePublishing' | 'adminModerateUploads' | 'groupPrivateResources'>

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
  options: { allowChange?: boolean } = {}
): RawBuilder<SqlBool> {
  const base = sql<SqlBool>`r.metadata_only = 0 AND r.dirty_state = 0`
  if (caller.superuser) return base
  const codenames = options.allowChange ? [VIEW, CHANGE] : [VIEW]
  // The unary + keeps SQLite from driving the query by the audience index: most rows pass, and
  // walking the browse index in the requested order is what keeps pages cheap.
  const audience = caller.authenticated && caller.registeredMember ? sql`+r.audience >= 1` : sql`+r.audience = 2`
  const personalGroups = caller.groupIds.filter((id) => id !== system.anonymousGroupId && id !== system.registeredMembersGroupId)
  const personal: RawBuilder<unknown>[] = []
  if (caller.authenticated) {
    personal.push(sql`SELECT resource_id FROM resource_user_perms WHERE user_id = ${caller.userId} AND codename IN (${sql.join(codenames)})`)
  }
  if (personalGroups.length > 0) {
    personal.push(
      sql`SELECT resource_id FROM resource_group_perms WHERE group_id IN (${sql.join(personalGroups)}) AND codename IN (${sql.join(codenames)})`
    )
  }
  if (options.allowChange) {
    // A change grant to everyone (rare) shows the resource too.
    const everyone = caller.authenticated && caller.registeredMember ? [system.anonymousGroupId, system.registeredMembersGroupId] : [system.anonymousGroupId]
    personal.push(sql`SELECT resource_id FROM resource_group_perms WHERE group_id IN (${sql.join(everyone)}) AND codename = ${CHANGE}`)
  }
  const granted = personal.length > 0 ? sql`(${audience} OR r.id IN (${sql.join(personal, sql` UNION `)}))` : audience
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
