import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/** Tables whose ids the API shows, and whose rows can be deleted. */
const TABLES = ['users', 'auth_groups', 'group_profiles', 'uploads', 'upload_files', 'map_layers', 'layer_attributes']

/**
 * Ids of users, groups, uploads and the rest the API shows are never reused, as on GeoNode (a
 * database sequence), like resource ids since the resource_ids migration: SQLite hands out the
 * highest id again once its row is deleted, and a script, a sync binding or a GeoNode client
 * holding the old id would meet someone else under it. Each table gets a counter in id_sequences,
 * starting at the highest id ever used (live rows, and deleted ones as the change log remembers
 * them), kept up by a trigger; new rows take their id from it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`INSERT INTO id_sequences (name, value) VALUES (${table}, max(
      coalesce((SELECT max(id) FROM ${sql.table(table)}), 0),
      coalesce((SELECT max(CAST(row_key AS INTEGER)) FROM changes WHERE table_name = ${table}), 0)))`.execute(db)
    await sql
      .raw(`CREATE TRIGGER ${table}_id_sequence AFTER INSERT ON ${table} BEGIN
        UPDATE id_sequences SET value = max(value, NEW.id) WHERE name = '${table}';
      END`)
      .execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql.raw(`DROP TRIGGER ${table}_id_sequence`).execute(db)
    await sql`DELETE FROM id_sequences WHERE name = ${table}`.execute(db)
  }
}
