import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/** Layers a user keeps offline: their data is downloaded on each sync where it changed there. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sync_bindings ADD COLUMN offline INTEGER NOT NULL DEFAULT 0`.execute(db)
  // The remote's last_updated of the data last downloaded (null: never).
  await sql`ALTER TABLE sync_bindings ADD COLUMN data_pulled TEXT`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sync_bindings DROP COLUMN data_pulled`.execute(db)
  await sql`ALTER TABLE sync_bindings DROP COLUMN offline`.execute(db)
}
