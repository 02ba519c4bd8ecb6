import { randomBytes, randomUUID } from 'node:crypto'
import type Sqlite from 'better-sqlite3'
import { ANONYMOUS_GROUP, ANONYMOUS_USER_ID, ANONYMOUS_USERNAME, CONTRIBUTORS_GROUP, REGISTERED_MEMBERS_GROUP } from '../../src-shared/api/permissions'
import type { Clock } from '../clock'
import { insertReferenceData } from '../db/reference-data'
import type { SystemIds } from './caller'
import { hashPassword } from './passwords'

export const ADMIN_USER_ID = 1000

export interface BootstrapResult {
  system: SystemIds
  /** Set only when this start created the admin with a generated password (print it once). */
  generatedAdminPassword: string | null
  createdAdmin: boolean
}

/**
 * Makes sure the rows every catalogue needs exist (AnonymousUser, the system groups, the
 * vocabularies, the first superuser), in one transaction. Safe to run at every start.
 */
export function bootstrapCatalogue(sqlite: Sqlite.Database, options: { adminPassword: string | null; clock: Clock }): BootstrapResult {
  return sqlite.transaction(() => {
    const now = options.clock.now()
    sqlite
      .prepare(
        `INSERT OR IGNORE INTO users (id, uuid, username, password_hash, is_active, created, last_updated, date_joined)
         VALUES (?, ?, ?, NULL, 1, ?, ?, ?)`
      )
      .run(ANONYMOUS_USER_ID, randomUUID(), ANONYMOUS_USERNAME, now, now, now)
    const groupId = (name: string): number => {
      sqlite.prepare('INSERT OR IGNORE INTO auth_groups (name, created, last_updated) VALUES (?, ?, ?)').run(name, now, now)
      return (sqlite.prepare('SELECT id FROM auth_groups WHERE name = ?').get(name) as { id: number }).id
    }
    const system: SystemIds = {
      anonymousGroupId: groupId(ANONYMOUS_GROUP),
      contributorsGroupId: groupId(CONTRIBUTORS_GROUP),
      registeredMembersGroupId: groupId(REGISTERED_MEMBERS_GROUP)
    }
    sqlite
      .prepare(
        `INSERT OR IGNORE INTO group_profiles (uuid, group_id, title, slug, description, access, created, last_updated)
         VALUES (?, ?, 'Registered Members', ?, '', 'private', ?, ?)`
      )
      .run(randomUUID(), system.registeredMembersGroupId, REGISTERED_MEMBERS_GROUP, now, now)
    insertReferenceData(sqlite)

    const hasSuperuser = sqlite.prepare('SELECT 1 FROM users WHERE is_superuser = 1 LIMIT 1').get() !== undefined
    let generatedAdminPassword: string | null = null
    if (!hasSuperuser) {
      const password = options.adminPassword ?? randomBytes(12).toString('base64url')
      if (!options.adminPassword) generatedAdminPassword = password
      // ADMIN_USER_ID unless that id was ever used: user ids are never reused (ids_never_reused migration).
      sqlite
        .prepare(
          `INSERT INTO users (id, uuid, username, email, password_hash, is_superuser, is_staff, is_active, created, last_updated, date_joined)
           VALUES ((SELECT max(?, value + 1) FROM id_sequences WHERE name = 'users'), ?, 'admin', '', ?, 1, 1, 1, ?, ?, ?)`
        )
        .run(ADMIN_USER_ID, randomUUID(), hashPassword(password), now, now, now)
      const adminId = (sqlite.prepare("SELECT id FROM users WHERE username = 'admin'").get() as { id: number }).id
      const join = sqlite.prepare('INSERT OR IGNORE INTO group_members (group_id, user_id, role, created, last_updated) VALUES (?, ?, ?, ?, ?)')
      join.run(system.contributorsGroupId, adminId, 'member', now, now)
      join.run(system.registeredMembersGroupId, adminId, 'member', now, now)
    }
    return { system, generatedAdminPassword, createdAdmin: !hasSuperuser }
  })()
}
