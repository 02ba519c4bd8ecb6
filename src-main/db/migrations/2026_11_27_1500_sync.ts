import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

const NOW = `(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))`

/**
 * Sync with remote GeoNode-compatible servers. Local edits need no outbox table of their own: the
 * change log is written by triggers in each edit's transaction, and a binding keeps the last state
 * both sides agreed on (`base`), so what to push is exactly what differs from it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`CREATE TABLE sync_remotes (
    id INTEGER PRIMARY KEY,
    base_url TEXT NOT NULL,
    username TEXT NOT NULL,
    auth_kind TEXT NOT NULL CHECK (auth_kind IN ('basic', 'token')),
    secret TEXT NOT NULL,
    follow_types TEXT NOT NULL DEFAULT '[]',
    follow_owners TEXT NOT NULL DEFAULT '[]',
    follow_groups TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL DEFAULT ${NOW},
    last_updated TEXT NOT NULL DEFAULT ${NOW},
    UNIQUE (base_url, username)
  )`)
    .execute(db)
  // One row per remote: where each phase stands, so a stopped sync resumes where it was.
  await sql
    .raw(`CREATE TABLE sync_state (
    remote_id INTEGER PRIMARY KEY REFERENCES sync_remotes(id) ON DELETE CASCADE,
    run_id TEXT,
    phase TEXT NOT NULL DEFAULT 'idle',
    pull_cursor TEXT,
    pull_tie TEXT NOT NULL DEFAULT '[]',
    pushed_seq INTEGER NOT NULL DEFAULT 0,
    last_reconciled TEXT,
    started TEXT,
    finished TEXT,
    last_result TEXT,
    last_error TEXT,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0
  )`)
    .execute(db)
  // A local resource and its remote twin; `base` is the normalised record both last agreed on.
  // local_id becomes NULL when the local resource is deleted: the binding is then its tombstone.
  await sql
    .raw(`CREATE TABLE sync_bindings (
    id INTEGER PRIMARY KEY,
    remote_id INTEGER NOT NULL REFERENCES sync_remotes(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    remote_pk INTEGER,
    remote_uuid TEXT,
    local_id INTEGER REFERENCES resources(id) ON DELETE SET NULL,
    local_uuid TEXT NOT NULL,
    base TEXT,
    base_hash TEXT,
    remote_last_updated TEXT,
    state TEXT NOT NULL DEFAULT 'synced' CHECK (state IN ('synced', 'creating', 'conflict', 'gone')),
    create_started TEXT,
    created TEXT NOT NULL DEFAULT ${NOW},
    last_synced TEXT,
    UNIQUE (remote_id, remote_pk)
  )`)
    .execute(db)
  await sql`CREATE INDEX sync_bindings_local ON sync_bindings (remote_id, local_uuid)`.execute(db)
  await sql
    .raw(`CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY,
    binding_id INTEGER NOT NULL REFERENCES sync_bindings(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    base_value TEXT,
    local_value TEXT,
    remote_value TEXT,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    resolution TEXT,
    created TEXT NOT NULL DEFAULT ${NOW},
    resolved TEXT
  )`)
    .execute(db)
  await sql`CREATE INDEX sync_conflicts_open ON sync_conflicts (state, binding_id)`.execute(db)
  await sql
    .raw(`CREATE TABLE sync_journal (
    id INTEGER PRIMARY KEY,
    remote_id INTEGER NOT NULL REFERENCES sync_remotes(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT ${NOW},
    direction TEXT NOT NULL,
    action TEXT NOT NULL,
    local_id INTEGER,
    remote_pk INTEGER,
    outcome TEXT NOT NULL,
    message TEXT
  )`)
    .execute(db)
  await sql`CREATE INDEX sync_journal_run ON sync_journal (remote_id, id)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sync_journal', 'sync_conflicts', 'sync_bindings', 'sync_state', 'sync_remotes']) await sql.raw(`DROP TABLE ${table}`).execute(db)
}
