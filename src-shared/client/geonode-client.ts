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

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown; form?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const c = this.credentials
    if (c.kind === 'bearer') headers.authorization = `Bearer ${c.token}`
    if (c.kind === 'basic') headers.authorization = `Basic ${toBase64(`${c.username}:${c.password}`)}`
    if (c.kind === 'session' && method !== 'GET') headers['x-csrftoken'] = c.csrf
    let body: string | undefined
    if (options.form) {
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
      credentials: c.kind === 'session' ? 'include' : 'omit'
    })
    const text = await response.text()
    let parsed: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text)
    if (!response.ok) throw new ApiError(response.status, parsed)
    return parsed as T
  }

  async list<T = ResourceDto>(family: string, query: Query = {}, key = family === 'groups' ? 'group_profiles' : family): Promise<ListPage<T>> {
    const body = await this.request<Record<string, unknown>>('GET', `/api/v2/${family}/`, { query })
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
}
