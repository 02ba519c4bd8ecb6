import { describe, expect, it } from 'vitest'
import { GeoNodeClient } from '../../src-shared/client/geonode-client'

describe("the API client's credentials stay on its own server", () => {
  const seen: { url: string; authorization: string | null }[] = []
  const fetcher: typeof fetch = async (input, init) => {
    seen.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') })
    return new Response(null, { status: 200 })
  }
  const client = new GeoNodeClient({ baseUrl: 'http://127.0.0.1:8000/', credentials: { kind: 'bearer', token: 'secret-token' }, fetch: fetcher })

  it('probes its own server with the token and any other server without it', async () => {
    seen.length = 0
    for (const url of ['http://127.0.0.1:8000/documents/3/download', 'http://127.0.0.1:80001/x', 'http://127.0.0.1:8000.evil.example/x', 'https://tracker.example/doc.pdf']) await client.probe(url)
    expect(seen).toEqual([
      { url: 'http://127.0.0.1:8000/documents/3/download', authorization: 'Bearer secret-token' },
      { url: 'http://127.0.0.1:80001/x', authorization: null },
      { url: 'http://127.0.0.1:8000.evil.example/x', authorization: null },
      { url: 'https://tracker.example/doc.pdf', authorization: null }
    ])
  })

  it('signs only URLs of its own server with the token', () => {
    expect(client.signedUrl('http://127.0.0.1:8000/uploaded/thumbs/a.png')).toBe('http://127.0.0.1:8000/uploaded/thumbs/a.png?access_token=secret-token')
    expect(client.signedUrl('http://127.0.0.1:8000.evil.example/a.png')).toBe('http://127.0.0.1:8000.evil.example/a.png')
    expect(client.signedUrl('http://127.0.0.1:80001/a.png')).toBe('http://127.0.0.1:80001/a.png')
  })
})
