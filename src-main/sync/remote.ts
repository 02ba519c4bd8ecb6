import { createWriteStream, existsSync, openAsBlob, rmSync, statSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { basename } from 'node:path'
import type { MapLayerDto, PermSpecDto, ResourceDto } from '../../src-shared/api/dto'
import { ApiError, GeoNodeClient, type ListPage, type Query } from '../../src-shared/client/geonode-client'

/** GeoNode 3.x list and detail endpoints per resource type (`datasets` is 4.x's name for layers). */
export const ENDPOINTS: Record<string, { path: string; key: string }> = {
  layer: { path: 'layers', key: 'layer' },
  map: { path: 'maps', key: 'map' },
  document: { path: 'documents', key: 'document' },
  geoapp: { path: 'geoapps', key: 'geoapp' },
  geostory: { path: 'geostories', key: 'geostory' },
  dashboard: { path: 'geoapps', key: 'geoapp' }
}

/** Types whose app blob (`data`) the API defers: asked for with include[]=data. */
const DEFERRED_DATA = new Set(['geoapp', 'geostory', 'dashboard'])
const DETAILS_PER_REQUEST = 100
const detailQuery = (type: string): Query => (DEFERRED_DATA.has(type) ? { 'include[]': 'data' } : {})

/** A failure that may pass if tried again (network, timeout, 5xx, 429). */
export class TransientError extends Error {}

export class SyncCancelled extends Error {
  constructor() {
    super('The sync was cancelled.')
  }
}

export interface RemoteOptions {
  baseUrl: string
  username: string
  auth: { kind: 'basic'; password: string } | { kind: 'token'; token: string }
  timeoutMs?: number
  fetch?: typeof fetch
  /** Attempts for idempotent requests (GET, PUT set_perms, PATCH, DELETE). */
  attempts?: number
  signal?: AbortSignal
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

/**
 * The remote server as sync sees it: the shared typed client plus timeouts, retries of idempotent
 * calls, and signing in again when a token expires mid-sweep. Creates are never retried here:
 * the engine looks for a lost create's result before sending it again.
 */
export class Remote {
  readonly client: GeoNodeClient
  private readonly attempts: number

  constructor(private readonly options: RemoteOptions) {
    const timeoutMs = options.timeoutMs ?? 30_000
    const base = options.fetch ?? fetch
    this.client = new GeoNodeClient({
      baseUrl: options.baseUrl,
      credentials: options.auth.kind === 'basic' ? { kind: 'basic', username: options.username, password: options.auth.password } : { kind: 'bearer', token: options.auth.token },
      fetch: (input, init) => {
        const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]
        return base(input, { ...init, signal: AbortSignal.any(signals) })
      }
    })
    this.attempts = options.attempts ?? 3
  }

  private signingIn: Promise<void> | null = null

  /**
   * Sign in with the password grant when the remote offers it; Basic stays the fallback. Reads run
   * a few at a time: when a token lapses under all of them, they share one sign-in.
   */
  signIn(): Promise<void> {
    if (!this.signingIn) this.signingIn = this.signInOnce().finally(() => (this.signingIn = null))
    return this.signingIn
  }

  private async signInOnce(): Promise<void> {
    if (this.options.auth.kind !== 'basic') return
    try {
      await this.client.signIn(this.options.username, this.options.auth.password)
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 400)) {
        if (error.status === 400 && JSON.stringify(error.body).includes('invalid_grant')) throw new ApiError(403, { detail: 'The remote refused the username or password.' })
        this.client.setCredentials({ kind: 'basic', username: this.options.username, password: this.options.auth.password })
        return
      }
      throw classify(error)
    }
  }

  /** The remote account as it sees itself; throws 403 when the credentials are refused. */
  whoAmI(): Promise<{ sub: string; preferred_username: string }> {
    return this.call(() => this.client.whoAmI(), true)
  }

  private async call<T>(run: () => Promise<T>, idempotent: boolean): Promise<T> {
    let reauthenticated = false
    for (let attempt = 1; ; attempt++) {
      try {
        return await run()
      } catch (raw) {
        if (this.options.signal?.aborted) throw new SyncCancelled()
        const error = classify(raw)
        if (error instanceof ApiError && (error.status === 401 || error.status === 403) && !reauthenticated && this.options.auth.kind === 'basic' && isTokenProblem(error)) {
          reauthenticated = true
          await this.signIn()
          attempt -= 1
          continue
        }
        if (!(error instanceof TransientError) || !idempotent || attempt >= this.attempts || this.options.signal?.aborted) throw error
        await sleep(200 * 2 ** attempt, this.options.signal)
      }
    }
  }

  listPage(family: string, query: Query): Promise<ListPage<ResourceDto>> {
    return this.call(() => this.client.list<ResourceDto>(family, query, family === 'groups' ? 'group_profiles' : family), true)
  }

  /** A resource's detail from its type's endpoint, or null when the remote answers 404. */
  async detail(type: string, pk: number): Promise<ResourceDto | null> {
    const endpoint = ENDPOINTS[type] ?? { path: 'resources', key: 'resource' }
    try {
      return await this.call(() => this.client.get<ResourceDto>(endpoint.path, endpoint.key, pk, detailQuery(type)), true)
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null
      throw error
    }
  }

  /**
   * Details of several records of one type in one request (their type's list filtered by pk: the
   * same serializer as a detail). A record missing from the answer is gone or no longer visible.
   */
  async details(type: string, pks: number[]): Promise<Map<number, ResourceDto>> {
    const endpoint = ENDPOINTS[type] ?? { path: 'resources', key: 'resource' }
    const found = new Map<number, ResourceDto>()
    // A hundred pks a request keeps the URL short enough for any front server (about 2.5 kB).
    for (let at = 0; at < pks.length; at += DETAILS_PER_REQUEST) {
      const some = pks.slice(at, at + DETAILS_PER_REQUEST)
      const page = await this.listPage(endpoint.path, { 'filter{pk.in}': some.map(String), page_size: String(some.length), ...detailQuery(type) })
      for (const item of page.items) found.set(Number(item.pk), item)
    }
    return found
  }

  /** Grants, or null when the account may not read them (403): sync then leaves them alone. */
  async perms(pk: number): Promise<PermSpecDto | null> {
    try {
      return await this.call(() => this.client.getPerms(pk), true)
    } catch (error) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return null
      throw error
    }
  }

  /**
   * A map's layers (GET /maps/{pk}/layers, in any order) and the catalogue layers among them the
   * account may see (GET /maps/{pk}/local_layers), or null when the map is gone there.
   */
  async mapLayers(pk: number): Promise<{ layers: MapLayerDto[]; catalogue: ResourceDto[] } | null> {
    try {
      const [layers, catalogue] = await Promise.all([
        this.call(() => this.client.request<MapLayerDto[]>('GET', `/api/v2/maps/${pk}/layers/`), true),
        this.call(() => this.client.request<ResourceDto[]>('GET', `/api/v2/maps/${pk}/local_layers/`), true)
      ])
      return { layers, catalogue }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null
      throw error
    }
  }

  setPerms(pk: number, body: unknown): Promise<unknown> {
    return this.call(() => this.client.request('PUT', `/api/v2/resources/${pk}/set_perms/`, { body }), true)
  }

  /** PATCH, answered with the record as the remote now shows it (an app's blob included), or null when the answer has none. */
  async patch(type: string, pk: number, body: Record<string, unknown>): Promise<ResourceDto | null> {
    const endpoint = ENDPOINTS[type]!
    const answer = await this.call(() => this.client.request<Record<string, ResourceDto> | null>('PATCH', `/api/v2/${endpoint.path}/${pk}/`, { body, query: detailQuery(type) }), true)
    const dto = answer?.[endpoint.key]
    return dto && typeof dto === 'object' && dto.pk !== undefined ? dto : null
  }

  async remove(type: string, pk: number): Promise<'deleted' | 'gone'> {
    const endpoint = ENDPOINTS[type]!
    try {
      await this.call(() => this.client.request('DELETE', `/api/v2/${endpoint.path}/${pk}/`), true)
      return 'deleted'
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'gone'
      throw error
    }
  }

  /** POST a new resource (not retried: see the engine's create). */
  async create(type: string, body: Record<string, unknown>): Promise<ResourceDto> {
    const endpoint = ENDPOINTS[type]!
    const answer = await this.call(() => this.client.request<Record<string, ResourceDto>>('POST', `/api/v2/${endpoint.path}/`, { body }), false)
    return answer[endpoint.key]!
  }

  /** A multipart POST (uploads, document files), files streamed from disk; not retried. */
  async multipart<T>(path: string, fields: Record<string, string>, files: Record<string, string>, method: 'POST' | 'PUT' = 'POST'): Promise<T> {
    // Opened before the request: a missing local file is a local error, not the remote's.
    const blobs = await Promise.all(Object.entries(files).map(async ([key, file]) => [key, await openAsBlob(file), basename(file)] as const))
    return this.call(async () => {
      const form = new FormData()
      for (const [key, value] of Object.entries(fields)) form.append(key, value)
      for (const [key, blob, name] of blobs) form.append(key, blob, name)
      return this.client.request<T>(method, path, { multipart: form })
    }, false)
  }

  /**
   * A new layer from its files through the upload wizard (POST, 3.3), answered as the created
   * layer. The reply names the layer by alternate; its pk is read from the layers list.
   */
  /**
   * Replaces a layer's data there (PUT /layers/{pk}/replace, multipart like an upload). Not
   * retried: a second replace with the same files would be harmless but doubles the transfer.
   */
  async replaceLayer(pk: number, files: Record<string, string>, fields: Record<string, string>): Promise<void> {
    await this.multipart(`/api/v2/layers/${pk}/replace`, fields, files, 'PUT')
  }

  async uploadLayer(files: Record<string, string>, fields: Record<string, string>): Promise<ResourceDto> {
    const reply = await this.multipart<{ status?: string; url?: string; error_msg?: string; errors?: string[] }>('/api/v2/uploads/upload/', { ...fields, non_interactive: 'true' }, files)
    if (reply.status !== 'finished' || !reply.url) throw new Error(`the remote did not import the layer: ${reply.error_msg ?? reply.errors?.join(' ') ?? reply.status ?? 'no reply'}`)
    const alternate = reply.url.replace(/^\/layers\//, '').replace(/^[^:]+:(?=[^:]+:)/, '')
    const page = await this.listPage('layers', { 'filter{alternate}': alternate, page_size: '2' })
    if (page.items.length !== 1) throw new Error(`the remote imported the layer but ${alternate} cannot be found in its layers`)
    return page.items[0]!
  }

  /**
   * A layer's data as a file: a Mapshelf remote's export (GeoJSON) or raster route, else GeoNode's
   * WFS (GeoJSON output) for vector layers. Answers the file name to read it as.
   */
  async layerData(layer: ResourceDto, dest: string): Promise<string> {
    const base = this.options.baseUrl.replace(/\/+$/, '')
    const raster = layer.storeType === 'coverageStore'
    const name = String(layer.name ?? layer.alternate ?? `layer-${layer.pk}`).replace(/^.*:/, '')
    try {
      await this.download(`${base}/api/v2/mapshelf/layers/${layer.pk}/${raster ? 'raster' : 'export?format=geojson'}`, dest)
      return `${name}.${raster ? 'tif' : 'geojson'}`
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error
    }
    // A GeoNode: its GeoServer's WCS 2.0 (coverage ids name the workspace with "__") for a raster,
    // WFS as GeoJSON for vector data.
    rmSync(dest, { force: true })
    if (raster) {
      const wcs = new URLSearchParams({ service: 'WCS', version: '2.0.1', request: 'GetCoverage', coverageId: String(layer.alternate).replace(':', '__'), format: 'image/tiff' })
      await this.download(`${base}/geoserver/ows?${wcs}`, dest)
      return `${name}.tif`
    }
    const wfs = new URLSearchParams({ service: 'WFS', version: '1.0.0', request: 'GetFeature', typeName: String(layer.alternate), outputFormat: 'application/json' })
    await this.download(`${base}/geoserver/ows?${wfs}`, dest)
    return `${name}.geojson`
  }

  /**
   * Downloads a file of the remote (a document's href) into `dest`, resuming a partial `dest`
   * with a Range request where the remote takes ranges.
   */
  async download(url: string, dest: string): Promise<void> {
    if (!url.startsWith(this.options.baseUrl.replace(/\/+$/, ''))) throw new Error(`not a file of this remote: ${url}`)
    await this.call(async () => {
      const have = existsSync(dest) ? statSync(dest).size : 0
      const headers: Record<string, string> = { ...this.client.authHeaders(), ...(have ? { range: `bytes=${have}-` } : {}) }
      const base = this.options.fetch ?? fetch
      // A whole file, not one answer: ten minutes at least.
      const signals = [AbortSignal.timeout(Math.max(this.options.timeoutMs ?? 30_000, 600_000)), ...(this.options.signal ? [this.options.signal] : [])]
      const response = await base(url, { headers, signal: AbortSignal.any(signals) })
      if (response.status === 416 && have) return
      if (!response.ok || !response.body) throw new ApiError(response.status, await response.text().catch(() => ''))
      const append = response.status === 206 && have > 0
      await pipeline(Readable.fromWeb(response.body as never), createWriteStream(dest, { flags: append ? 'a' : 'w' }))
    }, true)
  }
}

function isTokenProblem(error: ApiError): boolean {
  const text = JSON.stringify(error.body ?? '')
  return /token|credentials|authenticat/i.test(text)
}

/** Network failures, timeouts, 5xx and 429 are transient; other HTTP errors are answers. */
export function classify(error: unknown): Error {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429 ? Object.assign(new TransientError(`HTTP ${error.status}: ${error.message}`), { status: error.status }) : error
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return new TransientError(`the remote did not answer in time (${error.message})`)
  if (error instanceof TypeError) return new TransientError(`the remote cannot be reached (${(error as Error & { cause?: { code?: string } }).cause?.code ?? error.message})`)
  return error instanceof Error ? error : new Error(String(error))
}
