import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/**
 * Which local data of a bound layer both sides last had: the layer's feature set and raster file
 * when its data was last pushed, pulled or bound (null: not noted yet). A layer whose data here
 * differs from it was replaced here, and sync sends the new data there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sync_bindings ADD COLUMN data_sent TEXT`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sync_bindings DROP COLUMN data_sent`.execute(db)
}
