import type { Selectable } from 'kysely'
import type { MapLayerDto } from '../../src-shared/api/dto'
import type { SyncSummary } from '../../src-shared/api/mapshelf'
import { ApiError } from '../../src-shared/client/geonode-client'
import type { Clock } from '../clock'
import { type Db, transact } from '../db/database'
import type { SyncBindingTable } from '../db/schema'
import type { LocalStore } from './local'
import { type Remote, SyncCancelled } from './remote'

export type Binding = Selectable<SyncBindingTable>

export interface RemoteConfig {
  id: number
  base_url: string
  username: string
  follow_types: string[]
  follow_owners: string[]
  follow_groups: string[]
}

/** What one sync run is given: the local catalogue, the remote, which remote and run it is. */
export interface SyncDeps {
  db: Db
  clock: Clock
  local: LocalStore
  remote: Remote
  config: RemoteConfig
  runId: string
  signal: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export const PAGE_SIZE = 100
const DEFAULT_TYPES = ['layer', 'map', 'document', 'geoapp', 'geostory']
/** The field name a conflict about a whole record's deletion uses. */
export const DELETED = '__deleted__'
/** A binding's base hash once the user chose to keep a local delete over remote changes. */
export const FORCE_DELETE = 'force-delete'

/** A remote map's layers as last read: all of them in stack order, its catalogue layers by name, and which of those sync carries. */
export interface RemoteMap {
  layers: MapLayerDto[]
  catalogue: Map<string, { uuid: string; pk: number }>
  carried: Set<number>
}

/**
 * What the phases of one run share: the local catalogue (through the running batch's transaction
 * when there is one), the remote, the summary and the journal, and what one phase learns that
 * another uses later in the same run. State only one phase uses stays in that phase.
 */
export class SyncContext {
  readonly summary: SyncSummary = { pulled: { created: 0, updated: 0, deleted: 0 }, pushed: { created: 0, updated: 0, deleted: 0 }, conflicts: 0, errors: 0, reconciled: false }
  readonly types: string[]
  readonly remote: Remote
  readonly config: RemoteConfig
  readonly clock: Clock
  readonly signal: AbortSignal
  readonly onProgress: ((done: number, total: number) => void) | undefined

  /** Remote records this run read whole (detail, grants, layers) and merged: a reconciliation need not read them again. */
  readonly readThisRun = new Set<number>()

  /**
   * Records the pull's own writes settled: after them both sides agree, so the push phase, which
   * looks at every record written since its watermark, need not read these again, unless an edit
   * here follows, or (for a map) one of the catalogue layers it lacked when read is here since.
   * Grants compare whole: their users were made here first (the pull's `ensureGrantHolders`), and
   * groups missing here stay missing through a pull.
   */
  readonly settled = new Map<number, { seq: number; missingLayers: string[] }>()

  /** Whether a grant holder exists on the remote (asked once per run and holder). */
  readonly remoteHolders = new Map<string, boolean>()

  /** Each remote map's layer list as last read, for a push to keep what it does not compare. */
  readonly remoteMaps = new Map<number, RemoteMap>()

  constructor(private readonly deps: SyncDeps) {
    this.types = deps.config.follow_types.length ? deps.config.follow_types : DEFAULT_TYPES
    this.remote = deps.remote
    this.config = deps.config
    this.clock = deps.clock
    this.signal = deps.signal
    this.onProgress = deps.onProgress
  }

  /** While a batch runs, the run's and the local store's SQL goes through its transaction. */
  private scope: { db: Db; local: LocalStore } | null = null

  get db(): Db {
    return this.scope?.db ?? this.deps.db
  }

  get local(): LocalStore {
    return this.scope?.local ?? this.deps.local
  }

  /**
   * Runs `work` in one transaction of the local catalogue (one commit for many records instead of
   * several each). The transaction holds the one connection until it ends: `work` must not wait on
   * the remote, and other requests here wait for it, so batches stay short.
   */
  async batch<T>(work: () => Promise<T>): Promise<T> {
    if (this.scope) return work()
    return this.deps.db.transaction().execute(async (trx) => {
      this.scope = { db: trx, local: this.deps.local.within(trx) }
      try {
        return await work()
      } finally {
        this.scope = null
      }
    })
  }

  /** `work` undone alone when it fails inside a batch (a savepoint), so the batch's other records stay. */
  atomically(work: () => Promise<void>): Promise<void> {
    return this.scope ? transact(this.scope.db, () => work()) : work()
  }

  check(): void {
    if (this.signal.aborted) throw new SyncCancelled()
  }

  async journal(direction: 'pull' | 'push' | 'reconcile', action: string, outcome: 'ok' | 'skipped' | 'conflict' | 'failed', ids: { local?: number | null; remote?: number | null }, message?: string): Promise<void> {
    await this.db
      .insertInto('sync_journal')
      .values({ remote_id: this.config.id, run_id: this.deps.runId, direction, action, outcome, local_id: ids.local ?? null, remote_pk: ids.remote ?? null, message: message ?? null, at: this.clock.now() })
      .execute()
    if (outcome === 'failed') this.summary.errors += 1
    if (outcome === 'conflict') this.summary.conflicts += 1
  }

  /** The remote still knows us as the configured account (an expired token reads as anonymous). */
  async assertSignedIn(): Promise<void> {
    let me: { preferred_username?: string }
    try {
      me = await this.remote.whoAmI()
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        await this.remote.signIn()
        me = await this.remote.whoAmI()
      } else throw error
    }
    if (me.preferred_username !== this.config.username) {
      throw new Error(`The remote answers as ${me.preferred_username ?? 'an anonymous user'}, not ${this.config.username}; sync state belongs to one account, so nothing was decided.`)
    }
  }
}

/** A failure as the journal shows it: field errors in full, other errors by message. */
export function describe(error: unknown): string {
  const fields = (error as { fields?: unknown }).fields
  if (fields) return `refused here: ${JSON.stringify(fields)}`
  return error instanceof Error ? error.message : String(error)
}
