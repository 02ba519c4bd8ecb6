import { GeoNodeClient } from '../src-shared/client/geonode-client'

/** The local API client: the desktop shell hands over a token; a browser signs in with a session. */
export function createClient(): GeoNodeClient {
  const bridge = window.mapshelf
  if (bridge?.baseUrl) return new GeoNodeClient({ baseUrl: bridge.baseUrl, credentials: { kind: 'bearer', token: bridge.token } })
  return new GeoNodeClient({ baseUrl: window.location.origin })
}

export const client = createClient()
