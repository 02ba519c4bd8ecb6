import { ApiError, GeoNodeClient } from '../src-shared/client/geonode-client'

/** The local API client: the desktop shell hands over a token; a browser signs in for one. */
export function createClient(): GeoNodeClient {
  const bridge = window.mapshelf
  if (bridge?.baseUrl) return new GeoNodeClient({ baseUrl: bridge.baseUrl, credentials: { kind: 'bearer', token: bridge.token } })
  return new GeoNodeClient({ baseUrl: window.location.origin })
}

export const client = createClient()

/** The server root the client talks to, shown in the status bar. */
export const serverUrl = window.mapshelf?.baseUrl || window.location.origin

/** What a failed call should say to the user: the `detail`, the field messages, or the error text. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The local server did not answer.'
    return error.message
  }
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.'
  if (error instanceof TypeError) return 'The local server did not answer.'
  return error instanceof Error ? error.message : String(error)
}

/** The 400 field map of an ApiError (`{ field: [messages] }`), or an empty map. */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (!(error instanceof ApiError) || error.status !== 400) return {}
  const body = error.body
  if (Array.isArray(body)) return { non_field_errors: body.map(String) }
  if (!body || typeof body !== 'object') return {}
  const out: Record<string, string[]> = {}
  for (const [field, messages] of Object.entries(body as Record<string, unknown>)) {
    out[field] = Array.isArray(messages) ? messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))) : [String(messages)]
  }
  return out
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}
