import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/** Tables a resolved caller (user row, memberships, tokens) is made from. */
const AUTH_TABLES = ['users', 'auth_groups', 'group_members', 'access_tokens']

/**
 * A counter that moves whenever anything a caller is made of changes, so the server can keep
 * resolved credentials across catalogue writes (which move the change log on every request).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE auth_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)`.execute(db)
  await sql`INSERT INTO auth_generation (id, value) VALUES (1, 0)`.execute(db)
  for (const table of AUTH_TABLES) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      await sql
        .raw(`CREATE TRIGGER ${table}_auth_generation_${event.toLowerCase()} AFTER ${event} ON ${table} BEGIN
          UPDATE auth_generation SET value = value + 1 WHERE id = 1;
        END`)
        .execute(db)
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of AUTH_TABLES) {
    for (const event of ['insert', 'update', 'delete']) await sql.raw(`DROP TRIGGER ${table}_auth_generation_${event}`).execute(db)
  }
  await sql`DROP TABLE auth_generation`.execute(db)
}
