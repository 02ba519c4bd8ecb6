import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/**
 * Lookups sync makes per record: a local record's binding (a map's layers name them by their uuid
 * there) and a binding by the remote uuid. Without these every lookup read all bindings: about
 * 10 ms a call at 10,000 bindings, most of a first pull's local time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX sync_bindings_by_local_id ON sync_bindings (local_id, remote_id)`.execute(db)
  await sql`CREATE INDEX sync_bindings_by_remote_uuid ON sync_bindings (remote_id, remote_uuid)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX sync_bindings_by_remote_uuid`.execute(db)
  await sql`DROP INDEX sync_bindings_by_local_id`.execute(db)
}
