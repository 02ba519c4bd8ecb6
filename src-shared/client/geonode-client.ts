import type { GroupProfileDto, MapLayerDto, PermSpecDto, ResourceDto, UploadDto, UserDto } from '../api/dto'

/** A non-2xx answer, with the parsed JSON body the server sent (field map or `{ detail }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown
  ) {
    super(ApiError.describe(status, body))
  }

  static describe(status: number, body: unknown): string {
    if (body && typeof body === 'object' && 'detail' in body) return String((body as { detail: unknown }).detail)
    if (Array.isArray(body)) return body.map(String).join(' ')
    if (body && typeof body === 'object') {
      return Object.entries(body as Record<string, unknown>)
        .map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(' ') : String(messages)}`)
        .join('; ')
    }
    return `HTTP ${status}`
  }
}

export type Credentials = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string } | { kind: 'session'; csrf: string }

export interface ListPage<T> {
  total: number
  page: number
  page_size: number
  links: { next: string | null; previous: string | null }
  items: T[]
}

/** Query values; arrays repeat the key (`filter{keywords.slug.in}`, `sort[]`). */
export type Query = Record<string, string | number | boolean | (string | number)[] | undefined>

export interface RequestOptions {
  query?: Query
  /** Sent as JSON. */
  body?: unknown
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>
  /** Sent as multipart/form-data (files: uploads, documents). */
  multipart?: FormData
  signal?: AbortSignal
}

export interface ClientOptions {
  /** Server root, e.g. http://127.0.0.1:8000 (no trailing slash needed). */
  baseUrl: string
  credentials?: Credentials
  fetch?: typeof fetch
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

/**
 * Typed client of GeoNode's API v2, used by the renderer against the local server and by sync
 * against a remote one. Runs in browsers and in Node (global fetch).
 *
 * @example
 * const client = new GeoNodeClient({ baseUrl: 'http://127.0.0.1:8000' })
 * const page = await client.list('resources', { search: 'roads', page_size: 20 })
 */
export class GeoNodeClient {
  private readonly base: string
  private credentials: Credentials
  private readonly fetcher: typeof fetch

  constructor(options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '')
    this.credentials = options.credentials ?? { kind: 'none' }
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init))
  }

  setCredentials(credentials: Credentials): void {
    this.credentials = credentials
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v))
    }
    const search = params.toString()
    return `${this.base}${path}${search ? `?${search}` : ''}`
  }

  /** Whether a URL is on this client's server (`http://host:80` is not `http://host:8000`'s). */
  isOwn(url: string): boolean {
    return url === this.base || url.startsWith(`${this.base}/`) || url.startsWith(`${this.base}?`)
  }

  /** The Authorization header of the current credentials (for libraries that fetch by themselves). */
  authHeaders(): Record<string, string> {
    const c = this.credentials
    if (c.kind === 'bearer') return { authorization: `Bearer ${c.token}` }
    if (c.kind === 'basic') return { authorization: `Basic ${toBase64(`${c.username}:${c.password}`)}` }
    return {}
  }

  /**
   * A URL for places that cannot send headers (img, iframe, download links): with a bearer token
   * it rides along as `access_token`, which the API accepts (spec 1.2).
   */
  signedUrl(url: string): string {
    const c = this.credentials
    if (c.kind !== 'bearer' || !this.isOwn(url)) return url
    return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(c.token)}`
  }

  /** The status of a HEAD request (0 when nothing answered): does a file URL serve anything? */
  async probe(url: string): Promise<number> {
    try {
      // Credentials go to this client's own server only, never to an address a record names.
      const response = await this.fetcher(url, { method: 'HEAD', headers: this.isOwn(url) ? this.authHeaders() : {}, credentials: 'omit' })
      return response.status
    } catch {
      return 0
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() }
    const c = this.credentials
    if (c.kind === 'session' && method !== 'GET') headers['x-csrftoken'] = c.csrf
    let body: string | FormData | undefined
    if (options.multipart) {
      // fetch sets the multipart boundary itself: no content-type header here.
      body = options.multipart
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(options.form).toString()
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const response = await this.fetcher(this.url(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: c.kind === 'session' ? 'include' : 'omit'
    })
    const text = await response.text()
    let parsed: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text)
    if (!response.ok) throw new ApiError(response.status, parsed)
    return parsed as T
  }

  async list<T = ResourceDto>(
    family: string,
    query: Query = {},
    key = family === 'groups' ? 'group_profiles' : family,
    signal?: AbortSignal
  ): Promise<ListPage<T>> {
    const body = await this.request<Record<string, unknown>>('GET', `/api/v2/${family}/`, { query, signal })
    return {
      total: body.total as number,
      page: body.page as number,
      page_size: body.page_size as number,
      links: body.links as ListPage<T>['links'],
      items: body[key] as T[]
    }
  }

  async get<T = ResourceDto>(family: string, key: string, id: number | string, query: Query = {}): Promise<T> {
    const body = await this.request<Record<string, T>>('GET', `/api/v2/${family}/${id}/`, { query })
    return body[key]
  }

  resource(id: number | string): Promise<ResourceDto> {
    return this.get('resources', 'resource', id)
  }

  resourceTypes(): Promise<{ resource_types: { name: string; count: number }[] }> {
    return this.request('GET', '/api/v2/resources/resource_types/')
  }

  getPerms(id: number | string): Promise<PermSpecDto> {
    return this.request('GET', `/api/v2/resources/${id}/get_perms/`)
  }

  mapLayers(id: number | string): Promise<MapLayerDto[]> {
    return this.request('GET', `/api/v2/maps/${id}/layers/`)
  }

  user(id: number): Promise<UserDto> {
    return this.get('users', 'user', id)
  }

  group(id: number): Promise<GroupProfileDto> {
    return this.get('groups', 'group_profile', id)
  }

  upload(id: number): Promise<UploadDto> {
    return this.get('uploads', 'upload', id)
  }

  /** Password grant at /o/token/; switches this client to the bearer token it returns. */
  async signIn(username: string, password: string): Promise<string> {
    const grant = await this.request<{ access_token: string }>('POST', '/o/token/', {
      form: { grant_type: 'password', username, password }
    })
    this.credentials = { kind: 'bearer', token: grant.access_token }
    return grant.access_token
  }

  whoAmI(): Promise<{ sub: string; preferred_username: string; groups: string[] }> {
    return this.request('GET', '/api/o/v4/userinfo')
  }

  /** Forgets the credentials: later calls are anonymous. (The token itself expires on the server.) */
  signOut(): void {
    this.credentials = { kind: 'none' }
  }

  /** POST `body` to a family's list URL; answers the created object (unwrapped from `singular`). */
  async create<T = ResourceDto>(family: string, singular: string, body: unknown, query: Query = {}): Promise<T> {
    const created = await this.request<Record<string, T>>('POST', `/api/v2/${family}/`, { body, query })
    return created[singular]
  }

  /** PATCH an object's detail URL; a 400 arrives as ApiError with the field map as `body`. */
  async patch<T = ResourceDto>(family: string, singular: string, id: number | string, body: unknown, query: Query = {}): Promise<T> {
    const updated = await this.request<Record<string, T>>('PATCH', `/api/v2/${family}/${id}/`, { body, query })
    return updated[singular]
  }

  async remove(family: string, id: number | string): Promise<void> {
    await this.request<unknown>('DELETE', `/api/v2/${family}/${id}/`)
  }

  /** Replaces every grant on a resource (spec 4.2); answers the body it was sent. */
  setPerms(id: number | string, spec: PermSpecDto): Promise<PermSpecDto> {
    return this.request('PUT', `/api/v2/resources/${id}/set_perms/`, { body: spec })
  }

  /** The catalogue layers of a map, as layer objects (to resolve a map layer's name to a pk). */
  mapLocalLayers(id: number | string): Promise<ResourceDto[]> {
    return this.request('GET', `/api/v2/maps/${id}/local_layers/`)
  }

  linkedResources(documentId: number | string, query: Query = {}): Promise<ListPage<ResourceDto>> {
    return this.list('documents/' + documentId + '/linked_resources', query, 'resources')
  }

  userGroups(id: number): Promise<GroupProfileDto[]> {
    return this.request('GET', `/api/v2/users/${id}/groups/`)
  }

  groupMembers(id: number, role: 'members' | 'managers' = 'members'): Promise<UserDto[]> {
    return this.request('GET', `/api/v2/groups/${id}/${role}/`)
  }

  /** MapStore's admin user list: the only read of `email` and `is_active` (superusers only, unpaginated). */
  mapstoreUsers(): Promise<{ username: string; email: string; is_staff: boolean; is_active: boolean; is_superuser: boolean }[]> {
    return this.request('GET', '/mapstore/rest/users/')
  }

  /** Adds (POST) or removes (DELETE) users as members or managers of a group. */
  changeGroupMembers(id: number, role: 'members' | 'managers', users: (string | number)[], change: 'add' | 'remove'): Promise<unknown> {
    return this.request(change === 'add' ? 'POST' : 'DELETE', `/api/v2/groups/${id}/${role}/`, { body: { users } })
  }

  /**
   * Sends files to the upload wizard (spec 5.1): `base_file` plus side-cars, answers its last step's
   * reply. A refused upload arrives as ApiError 400 with `{ success: false, errors: [...] }`.
   */
  uploadDataset(form: FormData, signal?: AbortSignal): Promise<UploadStepReply> {
    return this.request('POST', '/api/v2/uploads/upload/', { multipart: form, signal })
  }

  /**
   * Features of a catalogue layer inside a lon/lat box (Mapshelf extension, EPSG:4326 GeoJSON);
   * `resolution` is in degrees per pixel so the server may simplify or thin.
   */
  layerFeatures(pk: number | string, bbox: [number, number, number, number], resolution: number, signal?: AbortSignal): Promise<FeatureCollectionDto> {
    return this.request('GET', `/api/v2/mapshelf/layers/${pk}/features`, { query: { bbox: bbox.join(','), resolution }, signal })
  }

  /** The GeoTIFF of a raster layer (Mapshelf extension), served with HTTP range requests. */
  layerRasterUrl(pk: number | string): string {
    return this.url(`/api/v2/mapshelf/layers/${pk}/raster`)
  }

  /** Creates a document from a file (`doc_file`) in a multipart body. */
  async createDocument(form: FormData): Promise<ResourceDto> {
    const created = await this.request<{ document: ResourceDto }>('POST', '/api/v2/documents/', { multipart: form })
    return created.document
  }
}

/** One reply of the upload wizard (spec 5.2). */
export interface UploadStepReply {
  success: boolean
  status?: 'incomplete' | 'running' | 'finished' | 'error' | string
  id?: number
  url?: string
  redirect_to?: string
  required_input?: boolean
  error_msg?: string
  errors?: string[]
  [extra: string]: unknown
}

/** A GeoJSON FeatureCollection as the feature endpoint returns it (EPSG:4326). */
export interface FeatureCollectionDto {
  type: 'FeatureCollection'
  features: { type: 'Feature'; geometry: unknown; properties: Record<string, unknown> | null; id?: string | number }[]
}
