import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError } from '../../src-shared/client/geonode-client'
import { fieldErrorsOf, messageOf } from '../api'
import { type RemoteDraft, type SyncConflict, type SyncJournalEntry, type SyncRemote, type SyncStatus, sync } from '../mapshelf-api'

const POLL_RUNNING_MS = 1000

/** A run's phase as the panel and the status bar say it ('idle' while running: signing in). */
export function phaseLabel(phase: string): string {
  return ({ idle: 'starting', pull: 'pulling', push: 'pushing', reconcile: 'reconciling' } as Record<string, string>)[phase] ?? phase
}

/**
 * Sync with remote GeoNode catalogues (Mapshelf extension, superusers only). A server without the
 * sync routes answers 404: the panel says so and shows nothing else (no made-up data).
 */
export const useSyncStore = defineStore('sync', () => {
  /** unavailable: no sync routes (404); forbidden: not a superuser (401/403). */
  const availability = ref<'unknown' | 'available' | 'unavailable' | 'forbidden' | 'error'>('unknown')
  const error = ref('')
  const remotes = ref<SyncRemote[]>([])
  const statuses = ref<Record<number, SyncStatus | undefined>>({})
  const selectedId = ref<number | null>(null)
  const conflicts = ref<SyncConflict[]>([])
  const conflictsState = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')
  const journal = ref<SyncJournalEntry[]>([])
  const journalState = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')
  const actionError = ref('')
  const resolving = ref<Record<number, boolean>>({})
  const resolveErrors = ref<Record<number, string>>({})
  let timer: ReturnType<typeof setTimeout> | undefined

  const selected = computed(() => remotes.value.find((r) => r.id === selectedId.value) ?? null)
  const selectedStatus = computed(() => (selectedId.value === null ? undefined : statuses.value[selectedId.value]))
  /** What the status bar says: one line over every remote. */
  const summary = computed(() => {
    if (availability.value === 'unavailable') return { kind: 'off', text: 'Sync: not available on this server' }
    if (availability.value !== 'available') return { kind: 'off', text: 'Sync: —' }
    if (remotes.value.length === 0) return { kind: 'off', text: 'Sync: no remotes' }
    const all = remotes.value.map((r) => statuses.value[r.id]).filter((s): s is SyncStatus => Boolean(s))
    const running = all.find((s) => s.running)
    if (running) {
      const { done, total } = running.progress
      return { kind: 'running', text: `Sync: ${phaseLabel(running.phase)}${total ? ` ${Math.round((100 * done) / total)}%` : '…'}` }
    }
    const conflictCount = all.reduce((n, s) => n + s.conflicts, 0)
    if (conflictCount) return { kind: 'warn', text: `Sync: ${conflictCount} conflict${conflictCount === 1 ? '' : 's'}` }
    if (all.some((s) => s.unfinished)) return { kind: 'warn', text: 'Sync: unfinished run' }
    const failed = all.find((s) => s.last_error)
    if (failed) return { kind: 'warn', text: 'Sync: last run failed' }
    const finished = all.map((s) => s.finished).filter((f): f is string => Boolean(f)).sort().pop()
    return { kind: 'ok', text: finished ? `Sync: up to date · ${new Date(finished).toLocaleString()}` : 'Sync: never run' }
  })

  function fail(e: unknown): void {
    if (e instanceof ApiError && e.status === 404) availability.value = 'unavailable'
    else if (e instanceof ApiError && (e.status === 401 || e.status === 403)) availability.value = 'forbidden'
    else {
      availability.value = 'error'
      error.value = messageOf(e)
    }
  }

  async function loadRemotes(): Promise<void> {
    try {
      const list = await sync.remotes()
      remotes.value = list
      availability.value = 'available'
      if (selectedId.value === null || !list.some((r) => r.id === selectedId.value)) selectedId.value = list[0]?.id ?? null
      // Each remote comes with its status: no second round trip per remote.
      const next: Record<number, SyncStatus | undefined> = {}
      for (const r of list) next[r.id] = r.status ?? statuses.value[r.id]
      statuses.value = next
      schedule()
    } catch (e) {
      remotes.value = []
      fail(e)
    }
  }

  async function loadStatus(id: number): Promise<void> {
    try {
      const before = statuses.value[id]
      const status = await sync.status(id)
      statuses.value = { ...statuses.value, [id]: status }
      // A run that just ended changed the conflicts and the journal.
      if (before?.running && !status.running && id === selectedId.value) void loadDetails()
    } catch {
      // The remote's status stays as it was; the list shows the remote's own status field.
    }
  }

  /** While a run goes on its status is polled; nothing is polled otherwise. */
  function schedule(): void {
    clearTimeout(timer)
    if (!remotes.value.some((r) => statuses.value[r.id]?.running)) return
    timer = setTimeout(async () => {
      await Promise.all(remotes.value.filter((r) => statuses.value[r.id]?.running).map((r) => loadStatus(r.id)))
      schedule()
    }, POLL_RUNNING_MS)
  }

  async function loadDetails(): Promise<void> {
    const id = selectedId.value
    if (id === null) {
      conflicts.value = []
      journal.value = []
      return
    }
    conflictsState.value = 'loading'
    journalState.value = 'loading'
    await Promise.all([
      sync.conflicts(id).then(
        (list) => ((conflicts.value = list), (conflictsState.value = 'loaded')),
        () => (conflictsState.value = 'error')
      ),
      sync.journal(id, 100).then(
        (list) => ((journal.value = list), (journalState.value = 'loaded')),
        () => (journalState.value = 'error')
      )
    ])
  }

  async function select(id: number): Promise<void> {
    selectedId.value = id
    await Promise.all([loadStatus(id), loadDetails()])
  }

  /** Creates or changes a remote; answers the 400 field map (empty on success). */
  async function save(draft: RemoteDraft, id: number | null): Promise<Record<string, string[]>> {
    try {
      const remote = id === null ? await sync.create(draft) : await sync.update(id, draft)
      await loadRemotes()
      if (remote?.id !== undefined) await select(remote.id)
      return {}
    } catch (e) {
      const fields = fieldErrorsOf(e)
      return Object.keys(fields).length ? fields : { non_field_errors: [messageOf(e)] }
    }
  }

  async function remove(id: number): Promise<void> {
    actionError.value = ''
    try {
      await sync.remove(id)
      if (selectedId.value === id) selectedId.value = null
      await loadRemotes()
      await loadDetails()
    } catch (e) {
      actionError.value = messageOf(e)
    }
  }

  async function start(id: number): Promise<void> {
    actionError.value = ''
    try {
      statuses.value = { ...statuses.value, [id]: await sync.start(id) }
    } catch (e) {
      actionError.value = messageOf(e)
      // 409: a run is already going (started elsewhere, e.g. `npm run sync`): show it.
      if (e instanceof ApiError && e.status === 409) await loadStatus(id)
    }
    schedule()
  }

  async function cancel(id: number): Promise<void> {
    actionError.value = ''
    try {
      statuses.value = { ...statuses.value, [id]: await sync.cancel(id) }
      if (id === selectedId.value) await loadDetails()
    } catch (e) {
      actionError.value = messageOf(e)
    }
  }

  async function resolve(conflict: SyncConflict, choice: 'mine' | 'theirs' | 'edit', value?: unknown): Promise<void> {
    resolving.value = { ...resolving.value, [conflict.id]: true }
    resolveErrors.value = { ...resolveErrors.value, [conflict.id]: '' }
    try {
      await sync.resolve(conflict.id, choice, value)
      conflicts.value = conflicts.value.filter((c) => c.id !== conflict.id)
      if (selectedId.value !== null) void loadStatus(selectedId.value)
    } catch (e) {
      resolveErrors.value = { ...resolveErrors.value, [conflict.id]: messageOf(e) }
    } finally {
      resolving.value = { ...resolving.value, [conflict.id]: false }
    }
  }

  function stop(): void {
    clearTimeout(timer)
  }

  function reset(): void {
    stop()
    availability.value = 'unknown'
    remotes.value = []
    statuses.value = {}
    selectedId.value = null
    conflicts.value = []
    journal.value = []
  }

  return {
    availability, error, remotes, statuses, selectedId, selected, selectedStatus, conflicts, conflictsState, journal, journalState,
    actionError, resolving, resolveErrors, summary, loadRemotes, loadStatus, loadDetails, select, save, remove, start, cancel, resolve, stop, reset
  }
})
