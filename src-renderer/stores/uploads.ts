import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { UploadDto } from '../../src-shared/api/dto'
import { ApiError, type UploadStepReply } from '../../src-shared/client/geonode-client'
import { client, messageOf } from '../api'
import type { PlannedUpload } from './upload-files'

export interface UploadItem {
  key: number
  name: string
  files: string[]
  notes: string[]
  state: 'uploading' | 'processing' | 'done' | 'failed'
  progress: number
  step: string
  errors: string[]
  layerPk: string | null
}

const POLL_MS = 800
let keys = 0

/** Refused uploads answer 400 `{ success: false, errors: [...] }` (spec 5.1). */
function errorsOf(error: unknown): string[] {
  if (error instanceof ApiError) {
    const body = error.body as { errors?: unknown; detail?: unknown } | null
    if (body && Array.isArray(body.errors)) return body.errors.map(String)
    if (error.status === 404 || error.status === 405) return [`This server does not take uploads yet (HTTP ${error.status}).`]
    return [error.message]
  }
  return [messageOf(error)]
}

const stem = (name: string) => name.replace(/\.[^.]+$/, '').toLowerCase()

/** Uploads of this window: each file set goes to the upload wizard; progress comes from its session. */
export const useUploadsStore = defineStore('uploads', () => {
  const items = ref<UploadItem[]>([])
  const history = ref<UploadDto[]>([])
  const historyState = ref<'loading' | 'loaded' | 'error'>('loading')
  const historyError = ref('')

  async function loadHistory(): Promise<void> {
    try {
      history.value = (await client.list<UploadDto>('uploads', { page_size: 20 })).items
      historyState.value = 'loaded'
    } catch (e) {
      historyError.value = messageOf(e)
      historyState.value = 'error'
    }
  }

  /** The upload session of a running request: the newest of mine with the file's name. */
  async function sessionOf(item: UploadItem, importId?: number): Promise<UploadDto | undefined> {
    const query = importId !== undefined ? { 'filter{import_id}': importId, page_size: 1 } : { page_size: 10 }
    const page = await client.list<UploadDto>('uploads', query).catch(() => null)
    return page?.items.find((u) => importId !== undefined || stem(u.name) === stem(item.name) || u.name.toLowerCase().startsWith(stem(item.name)))
  }

  function show(item: UploadItem, session: UploadDto | undefined): void {
    if (!session) return
    item.step = session.state
    if (typeof session.progress === 'number') item.progress = Math.max(item.progress, session.progress)
  }

  async function layerOf(reply: UploadStepReply, session: UploadDto | undefined): Promise<string | null> {
    if (session) {
      const full = await client.get<UploadDto>('uploads', 'upload', session.id, { full: true }).catch(() => null)
      if (full?.layer?.pk) return String(full.layer.pk)
    }
    const alternate = typeof reply.url === 'string' ? /\/layers\/(?:[^:/]+:)?([^/?]+:[^/?]+)/.exec(reply.url)?.[1] : undefined
    if (!alternate) return null
    const page = await client.list('layers', { 'filter{alternate}': alternate, page_size: 1 }, 'layers').catch(() => null)
    return page?.items[0]?.pk ?? null
  }

  async function start(plan: PlannedUpload): Promise<void> {
    const item: UploadItem = {
      key: ++keys,
      name: plan.name,
      files: [plan.base.name, ...plan.sidecars.map((s) => s.file.name)],
      notes: plan.notes,
      state: 'uploading',
      progress: 0,
      step: 'Sending files',
      errors: [],
      layerPk: null
    }
    items.value.unshift(item)
    // The reactive proxy of the item, so progress shows as it changes.
    const live = items.value[0]
    const form = new FormData()
    form.append('base_file', plan.base, plan.base.name)
    for (const s of plan.sidecars) form.append(s.field, s.file, s.file.name)
    form.append('charset', 'UTF-8')
    form.append('time', 'false')
    form.append('non_interactive', 'true')
    let done = false
    const poll = async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, POLL_MS))
        if (done) break
        show(live, await sessionOf(live))
        if (live.state === 'uploading' && live.step !== 'Sending files') live.state = 'processing'
      }
    }
    void poll()
    try {
      const reply = await client.uploadDataset(form)
      done = true
      const session = await sessionOf(live, typeof reply.id === 'number' ? reply.id : undefined)
      show(live, session)
      if (reply.success === false || reply.status === 'error') {
        live.state = 'failed'
        live.errors = reply.errors?.length ? reply.errors.map(String) : [String(reply.error_msg ?? 'The server could not import this file.')]
      } else if (reply.status === 'finished') {
        live.state = 'done'
        live.progress = 100
        live.step = 'PROCESSED'
        live.layerPk = await layerOf(reply, session)
      } else {
        live.state = 'failed'
        live.errors = [reply.required_input ? 'The server needs more input (for example a .prj file with the projection).' : `The import stopped at “${reply.status ?? 'unknown'}”.`]
      }
    } catch (e) {
      done = true
      live.state = 'failed'
      live.errors = errorsOf(e)
    }
    void loadHistory()
  }

  function dismiss(key: number): void {
    items.value = items.value.filter((i) => i.key !== key)
  }

  return { items, history, historyState, historyError, loadHistory, start, dismiss }
})
