import type { TestServer } from './server'

/**
 * Ground truth read straight from a test server's database (never written): what the API answers
 * is compared with this, not with itself.
 */
export function groundTruth(server: () => TestServer) {
  const db = () => server().running.database.sqlite
  const all = <T = any>(query: string, ...params: unknown[]) => db().prepare(query).all(...params) as T[]
  const one = <T = any>(query: string, ...params: unknown[]) => db().prepare(query).get(...params) as T
  const userId = (username: string): number => one('SELECT id FROM users WHERE username = ?', username).id

  /** Resources a user may see with a view or change grant (spec 4.4); null is anonymous. */
  function visibleTo(username: string | null): Set<number> {
    const u = username ? one('SELECT id, is_superuser FROM users WHERE username = ?', username) : { id: -1, is_superuser: 0 }
    const base = 'SELECT id FROM resources WHERE metadata_only = 0 AND dirty_state = 0'
    if (u.is_superuser) return new Set(all(base).map((r) => r.id))
    const codes = `codename IN ('view_resourcebase', 'change_resourcebase')`
    const rows = all(
      `${base} AND (id IN (SELECT resource_id FROM resource_group_perms WHERE ${codes} AND
        (group_id = (SELECT id FROM auth_groups WHERE name = 'anonymous') OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)))
        OR id IN (SELECT resource_id FROM resource_user_perms WHERE ${codes} AND user_id = ?))`,
      u.id,
      u.id
    )
    return new Set(rows.map((r) => r.id))
  }

  return { all, one, userId, visibleTo }
}
