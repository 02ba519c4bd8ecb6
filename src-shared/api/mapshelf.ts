/** Bodies of Mapshelf's extension routes (/api/v2/mapshelf/...), shared by the server and its clients. */

/** One entry of a resource's history, read from the change log. */
export interface HistoryEntry {
  seq: number
  at: string
  subject: string
  op: 'insert' | 'update' | 'delete'
  version: number | null
}

/** What one finished sync run did. */
export interface SyncSummary {
  pulled: { created: number; updated: number; deleted: number }
  pushed: { created: number; updated: number; deleted: number }
  conflicts: number
  errors: number
  reconciled: boolean
}

/** Where sync with one remote stands. */
export interface SyncStatus {
  phase: string
  running: boolean
  unfinished: boolean
  started: string | null
  finished: string | null
  last_result: SyncSummary | null
  last_error: string | null
  progress: { done: number; total: number }
  pending: { creates: number; updates: number; deletes: number }
  conflicts: number
}
