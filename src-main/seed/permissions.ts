/** Who may do what with a resource: its owner and its group's managers everything, a few viewers, and the groups it is shared with. */
import { DOWNLOAD, VIEW, applicablePermissions, isDownloadable, publicPermissions } from '../../src-shared/api/permissions'
import type { ResourceDraft, SeedState } from './state'

export function insertPermissions(state: SeedState, draft: ResourceDraft): void {
  const users = new Map<number, string[]>()
  const grant = (userId: number, perms: string[]) => {
    if (!users.has(userId)) users.set(userId, perms)
  }
  grant(draft.ownerId, applicablePermissions(draft.type, draft.storeType))
  for (const manager of draft.group?.managers ?? []) grant(manager, applicablePermissions(draft.type, draft.storeType))
  const viewer = isDownloadable(draft.type) ? [VIEW, DOWNLOAD] : [VIEW]
  for (const userId of state.rng.sample(state.userIds, draft.extraViewers)) grant(userId, viewer)
  const groups = new Map<number, string[]>()
  if (draft.isPublic) groups.set(state.lookups.anonymousGroupId, publicPermissions(draft.type))
  if (draft.group) groups.set(draft.group.authId, publicPermissions(draft.type))
  if (draft.registeredView) groups.set(state.lookups.registeredGroupId, [VIEW])
  state.summary.userPerms += insertGrants(state, 'resource_user_perms', 'user_id', draft.id, users)
  state.summary.groupPerms += insertGrants(state, 'resource_group_perms', 'group_id', draft.id, groups)
}

/** One multi-row INSERT per resource and table: the per-statement overhead dominates otherwise. */
function insertGrants(state: SeedState, table: string, column: string, resourceId: number, grants: Map<number, string[]>): number {
  const values: (number | string)[] = []
  for (const [holder, perms] of grants) for (const codename of perms) values.push(resourceId, holder, codename)
  const rows = values.length / 3
  if (rows === 0) return 0
  const key = `${table}:${rows}`
  let statement = state.bulk.get(key)
  if (!statement) {
    statement = state.sqlite.prepare(`INSERT INTO ${table} (resource_id, ${column}, codename) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`)
    state.bulk.set(key, statement)
  }
  statement.run(values)
  return rows
}
