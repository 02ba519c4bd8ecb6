import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { UploadDto } from '../../src-shared/api/dto'
import type { UploadStepReply } from '../../src-shared/client/geonode-client'
import { client, messageOf } from '../api'
import { type CrsHints, sendUpload, uploadCrsHints, uploadErrorsOf, uploadFinal, uploadProgress, uploadSession, uploadSrs } from '../mapshelf-api'
import type { PlannedUpload } from './upload-files'

export interface UploadItem {
  key: number
  name: string
  files: string[]
  notes: string[]
  /** waiting: the server needs a CRS (a shapefile without .prj) before it can go on. */
  state: 'uploading' | 'processing' | 'waiting' | 'done' | 'failed'
  /** 0–100: the first half is the bytes sent, the second the server's import progress. */
  progress: number
  step: string
  errors: string[]
  uploadId: number | null
  layerPk: string | null
  layerTitle: string | null
  bbox: string | null
  crs: string | null
  /** Why the server waits (its message), and the reply to a CRS given. */
  waitingMessage: string
  /** What the coordinates say about the CRS (their range, degrees or not, likely codes). */
  crsHints: CrsHints | null
  srsBusy: boolean
  srsErrors: string[]
}

const POLL_MS = 400
let keys = 0
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Uploads of this window. Each file set goes up with the wizard's PUT (201 and the upload id at
 * once); the bytes sent fill the first half of the bar, then the upload session's import progress
 * (/upload/progress) the second, until /upload/final says finished, failed or waiting for a CRS.
 */
export const useUploadsStore = defineStore('uploads', () => {
  const items = ref<UploadItem[]>([])
  const history = ref<UploadDto[]>([])
  const historyState = ref<'loading' | 'loaded' | 'error'>('loading')
  const historyError = ref('')

  async function loadHistory(): Promise<void> {
    try {
      history.value = (await client.list<UploadDto>('uploads', { page_size: 20, full: true })).items
      historyState.value = 'loaded'
    } catch (e) {
      historyError.value = messageOf(e)
      historyState.value = 'error'
    }
  }

  async function settle(item: UploadItem, reply: UploadStepReply): Promise<void> {
    if (reply.status === 'finished' && reply.success !== false) {
      item.state = 'done'
      item.progress = 100
      item.step = 'Imported'
      item.bbox = typeof reply.bbox === 'string' ? reply.bbox : null
      const crs = reply.crs as { properties?: unknown } | undefined
      item.crs = crs?.properties !== undefined ? String(crs.properties) : null
      if (item.uploadId !== null) {
        const session = await uploadSession(item.uploadId).catch(() => null)
        if (session?.layer?.pk) {
          item.layerPk = String(session.layer.pk)
          item.layerTitle = session.layer.title
        }
      }
    } else if (reply.status === 'incomplete' && reply.required_input) {
      item.state = 'waiting'
      item.step = 'Needs a coordinate reference system'
      item.waitingMessage = typeof reply.error_msg === 'string' ? reply.error_msg : 'The files do not say which coordinate reference system their coordinates are in: give its EPSG code to go on.'
      if (item.uploadId !== null) item.crsHints = await uploadCrsHints(item.uploadId).catch(() => null)
    } else {
      item.state = 'failed'
      item.errors = reply.errors?.length ? reply.errors.map(String) : [String(reply.error_msg ?? `The import stopped at “${reply.status ?? 'unknown'}”.`)]
    }
    void loadHistory()
  }

  /** Follows an upload the server imports in the background until it ends or waits for input. */
  async function follow(item: UploadItem, id: number): Promise<void> {
    for (;;) {
      const progress = await uploadProgress(id).catch(() => null)
      if (progress?.state === 'RUNNING') {
        item.state = 'processing'
        item.step = `Importing ${progress.progress ?? 0}%`
        item.progress = Math.max(item.progress, 50 + (progress.progress ?? 0) / 2)
      } else {
        const reply = await uploadFinal(id)
        if (reply.status !== 'running') return settle(item, reply)
        item.state = 'processing'
        item.step = 'Importing'
      }
      await sleep(POLL_MS)
    }
  }

  async function start(plan: PlannedUpload): Promise<void> {
    items.value.unshift({
      key: ++keys,
      name: plan.name,
      files: [plan.base.name, ...plan.sidecars.map((s) => s.file.name)],
      notes: plan.notes,
      state: 'uploading',
      progress: 0,
      step: 'Sending files',
      errors: [],
      uploadId: null,
      layerPk: null,
      layerTitle: null,
      bbox: null,
      crs: null,
      waitingMessage: '',
      crsHints: null,
      srsBusy: false,
      srsErrors: []
    })
    // The reactive proxy of the item, so progress shows as it changes.
    const item = items.value[0]
    const form = new FormData()
    form.append('base_file', plan.base, plan.base.name)
    for (const s of plan.sidecars) form.append(s.field, s.file, s.file.name)
    form.append('charset', 'UTF-8')
    form.append('time', 'false')
    form.append('non_interactive', 'true')
    try {
      const reply = await sendUpload(form, (fraction) => {
        item.progress = Math.round(fraction * 50)
        item.step = fraction < 1 ? `Sending files ${Math.round(fraction * 100)}%` : 'Files sent'
      })
      item.progress = Math.max(item.progress, 50)
      if (typeof reply.id !== 'number') return settle(item, reply)
      item.uploadId = reply.id
      await follow(item, reply.id)
    } catch (e) {
      item.state = 'failed'
      item.errors = uploadErrorsOf(e, messageOf)
      void loadHistory()
    }
  }

  /** Gives a WAITING upload its CRS (`EPSG:n`); the server imports it then and answers. */
  async function supplySrs(key: number, code: string): Promise<void> {
    const item = items.value.find((i) => i.key === key)
    if (!item || item.uploadId === null) return
    const digits = /^\s*(?:EPSG:)?(\d{4,6})\s*$/i.exec(code)?.[1]
    if (!digits) return void (item.srsErrors = ['Enter an EPSG code, such as 4326 or EPSG:32633.'])
    item.srsBusy = true
    item.srsErrors = []
    try {
      item.state = 'processing'
      item.step = `Importing with EPSG:${digits}`
      const reply = await uploadSrs(item.uploadId, `EPSG:${digits}`)
      if (reply.status === 'running') await follow(item, item.uploadId)
      else await settle(item, reply)
    } catch (e) {
      // A refused code leaves the upload waiting: show why, next to the prompt.
      item.state = 'waiting'
      item.step = 'Needs a coordinate reference system'
      item.srsErrors = uploadErrorsOf(e, messageOf)
    } finally {
      item.srsBusy = false
    }
  }

  function dismiss(key: number): void {
    items.value = items.value.filter((i) => i.key !== key)
  }

  return { items, history, historyState, historyError, loadHistory, start, supplySrs, dismiss }
})
