import type { UploadDto } from '../src-shared/api/dto'
import { ApiError, type UploadStepReply } from '../src-shared/client/geonode-client'
import { client } from './api'
import type { HistoryEntry, LayerDataSummary, SyncStatus, SyncSummary } from '../src-shared/api/mapshelf'

export type { HistoryEntry, SyncStatus, SyncSummary }

/**
 * Calls the renderer makes beyond the shared client: the upload wizard's steps, Mapshelf's layer
 * data and history extension routes, and the sync API. All go through `client.request`, so they
 * carry the signed-in caller's credentials.
 */

/** Links for places that cannot send headers (downloads): the token rides along (spec 1.2). */
export const exportUrl = (pk: number | string, format: 'geojson' | 'gpkg') => client.signedUrl(client.url(`/api/v2/mapshelf/layers/${pk}/export`, { format }))
export const originalUrl = (id: number | string) => client.signedUrl(client.url(`/api/v2/mapshelf/resources/${id}/original`))
export const documentFileUrl = (id: number | string) => client.signedUrl(client.url(`/documents/${id}/download`))


export async function resourceHistory(id: number | string): Promise<HistoryEntry[]> {
  return (await client.request<{ history: HistoryEntry[] }>('GET', `/api/v2/mapshelf/resources/${id}/history`)).history
}

// ---------------------------------------------------------------- the upload wizard (spec 5)

/** The progress of an import task: RUNNING with a percentage, COMPLETE, NO_CRS, ERROR or NONE. */
export interface UploadProgress {
  state: string
  progress?: number
  total?: number
  error_msg?: string
}

/**
 * PUT /api/v2/uploads/upload/: the files go up (reporting the bytes sent), the server answers 201
 * with the upload id at once and imports in the background. XMLHttpRequest, because fetch cannot
 * report upload progress.
 */
export function sendUpload(form: FormData, onSent: (fraction: number) => void, signal?: AbortSignal): Promise<UploadStepReply> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', client.url('/api/v2/uploads/upload/'))
    xhr.setRequestHeader('accept', 'application/json')
    for (const [name, value] of Object.entries(client.authHeaders())) xhr.setRequestHeader(name, value)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onSent(e.loaded / e.total)
    }
    xhr.onload = () => {
      let body: unknown = xhr.responseText
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        // not JSON: keep the text
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadStepReply)
      else reject(new ApiError(xhr.status, body))
    }
    xhr.onerror = () => reject(new ApiError(0, null))
    xhr.onabort = () => reject(new DOMException('Aborted', 'AbortError'))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(form)
  })
}

export const uploadProgress = (id: number) => client.request<UploadProgress>('GET', '/upload/progress', { query: { id } })
export const uploadFinal = (id: number) => client.request<UploadStepReply>('GET', '/upload/final', { query: { id } })
/** Supplies the CRS a WAITING upload asked for; the import then runs to its end and answers. */
export const uploadSrs = (id: number, srs: string) => client.request<UploadStepReply>('POST', '/upload/srs', { query: { id }, form: { srs } })
/** For an upload waiting for its CRS: its coordinates' range, whether they are degrees, and likely CRSs. */
export interface CrsHints {
  /** [minx, miny, maxx, maxy] in the file's own (unknown) coordinates. */
  extent: [number, number, number, number] | null
  degrees: boolean | null
  suggestions: { epsg: number; name: string; reason: string }[]
}
/** What a layer's data is: the layer page's data panel. */
export const layerData = (pk: number | string) => client.request<LayerDataSummary>('GET', `/api/v2/mapshelf/layers/${pk}/data`)
export const uploadCrsHints = (id: number) => client.request<CrsHints>('GET', `/api/v2/mapshelf/uploads/${id}/crs`)
export const uploadSession = (id: number) => client.get<UploadDto>('uploads', 'upload', id, { full: true })

/** A refused upload answers 400 `{ success: false, errors: [...] }` (spec 5.1). */
export function uploadErrorsOf(error: unknown, fallback: (e: unknown) => string): string[] {
  if (error instanceof ApiError) {
    const body = error.body as { errors?: unknown; error_msg?: unknown } | null
    if (body && Array.isArray(body.errors)) return body.errors.map(String)
    if (body && typeof body.error_msg === 'string') return [body.error_msg]
    if (error.status === 404 || error.status === 405) return [`This server does not take uploads (HTTP ${error.status}).`]
  }
  return [fallback(error)]
}

// ---------------------------------------------------------------- sync (Mapshelf extension)

const SYNC = '/api/v2/mapshelf/sync'

export interface SyncRemote {
  id: number
  base_url: string
  username: string
  auth_kind: string
  follow_types: string[]
  follow_owners: string[]
  follow_groups: string[]
  /** The remote's sync state, as GET …/status answers it. */
  status: SyncStatus
}



export interface SyncConflict {
  id: number
  binding_id: number
  local_id: number | null
  remote_pk: string | number | null
  title: string
  field: string
  base: unknown
  local: unknown
  remote: unknown
  /** For a map's `layers`: each side's list as the layers' titles, bottom first. */
  readable?: { base?: string[]; local?: string[]; remote?: string[] }
  created: string
}

export interface SyncJournalEntry {
  id: number
  run_id: string
  at: string
  direction: 'pull' | 'push' | 'reconcile'
  action: string
  local_id: number | null
  remote_pk: string | number | null
  outcome: 'ok' | 'skipped' | 'conflict' | 'failed' | string
  message: string | null
}

export interface RemoteDraft {
  base_url: string
  username: string
  password?: string
  token?: string
  follow_types?: string[]
  follow_owners?: string[]
  follow_groups?: string[]
}

export const sync = {
  remotes: async () => (await client.request<{ remotes: SyncRemote[] }>('GET', `${SYNC}/remotes`)).remotes,
  create: async (draft: RemoteDraft) => (await client.request<{ remote: SyncRemote }>('POST', `${SYNC}/remotes`, { body: draft })).remote,
  update: async (id: number, draft: Partial<RemoteDraft>) => {
    const reply = await client.request<{ remote?: SyncRemote } & Partial<SyncRemote>>('PATCH', `${SYNC}/remotes/${id}`, { body: draft })
    return (reply.remote ?? reply) as SyncRemote
  },
  remove: (id: number) => client.request<void>('DELETE', `${SYNC}/remotes/${id}`),
  status: async (id: number) => (await client.request<{ status: SyncStatus }>('GET', `${SYNC}/remotes/${id}/status`)).status,
  start: async (id: number) => (await client.request<{ status: SyncStatus }>('POST', `${SYNC}/remotes/${id}/start`)).status,
  cancel: async (id: number) => (await client.request<{ status: SyncStatus }>('POST', `${SYNC}/remotes/${id}/cancel`)).status,
  conflicts: async (id: number) => (await client.request<{ conflicts: SyncConflict[] }>('GET', `${SYNC}/remotes/${id}/conflicts`)).conflicts,
  resolve: async (conflictId: number, choice: 'mine' | 'theirs' | 'edit', value?: unknown) =>
    (await client.request<{ conflict: SyncConflict }>('POST', `${SYNC}/conflicts/${conflictId}/resolve`, { body: choice === 'edit' ? { choice, value } : { choice } })).conflict,
  journal: async (id: number, limit = 100) => (await client.request<{ journal: SyncJournalEntry[] }>('GET', `${SYNC}/remotes/${id}/journal`, { query: { limit } })).journal
}
