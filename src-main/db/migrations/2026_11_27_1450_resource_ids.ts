import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/**
 * Resource ids are never reused, as on GeoNode (a database sequence): scripts, map layers and
 * sync bindings that remember a pk must never meet a different resource under it. SQLite reuses
 * the highest rowid after a delete, so new resources take their id from this counter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE id_sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`.execute(db)
  // The highest id ever used: live rows, and deleted ones as the change log remembers them.
  await sql`INSERT INTO id_sequences (name, value) VALUES ('resources', max(
    coalesce((SELECT max(id) FROM resources), 0),
    coalesce((SELECT max(CAST(row_key AS INTEGER)) FROM changes WHERE table_name = 'resources'), 0)))`.execute(db)
  await sql`CREATE TRIGGER resources_id_sequence AFTER INSERT ON resources BEGIN
    UPDATE id_sequences SET value = max(value, NEW.id) WHERE name = 'resources';
  END`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER resources_id_sequence`.execute(db)
  await sql`DROP TABLE id_sequences`.execute(db)
}
