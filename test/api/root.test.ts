import { sample } from '../helpers/samples'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, request, startTestServer } from '../helpers/server'

const SAMPLE_ROOT = sample<Record<string, string>>('api_v2_root.json')
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ resources: 150 })
})
afterAll(() => server.close())

/** GET with a chosen Host header (Node's fetch cannot set one). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.running.port, path, method: 'GET', headers: { host } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('GET /api/v2/ (API root, spec 1.1)', () => {
  it('lists exactly the families of the sample, keys in the same sorted order', async () => {
    const res = await request(server, '/api/v2/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(Object.keys(res.body)).toEqual(Object.keys(SAMPLE_ROOT))
    expect(Object.keys(res.body)).toEqual([...Object.keys(res.body)].sort())
  })

  it('maps every family to its absolute list URL on the request host, without a trailing slash', async () => {
    const res = await request(server, '/api/v2/')
    for (const [name, value] of Object.entries(res.body)) {
      expect(value, name).toBe(`${server.url}/api/v2/${name}`)
      expect(String(value).endsWith('/'), name).toBe(false)
    }
  })

  it('builds the URLs from the Host header the client used', async () => {
    const host = `localhost:${server.running.port}`
    const res = await getWithHost('/api/v2/', host)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(Object.keys(SAMPLE_ROOT))
    for (const [name, value] of Object.entries(res.body)) expect(value, name).toBe(`http://${host}/api/v2/${name}`)
  })

  it('answers the same without the trailing slash and with ?format=json', async () => {
    const canonical = await request(server, '/api/v2/')
    for (const path of ['/api/v2', '/api/v2/?format=json']) {
      const res = await request(server, path)
      expect(res.status, path).toBe(200)
      expect(res.body, path).toEqual(canonical.body)
    }
  })

  it('gives URLs that each answer 200 with a GeoNode list envelope', async () => {
    const root = await request(server, '/api/v2/')
    const plural: Record<string, string> = { groups: 'group_profiles' }
    for (const [name, url] of Object.entries(root.body as Record<string, string>)) {
      const res = await request(server, url.slice(server.url.length))
      expect(res.status, url).toBe(200)
      expect(Object.keys(res.body).sort(), url).toEqual(['links', 'total', 'page', 'page_size', plural[name] ?? name].sort())
    }
  })

  it('gives URLs to which the MapStore client can append /<pk>', async () => {
    const root = await request(server, '/api/v2/')
    const users = await request(server, '/api/v2/users?page_size=2')
    const pk = users.body.users[1].pk
    const res = await request(server, `${root.body.users.slice(server.url.length)}/${pk}`)
    expect(res.status).toBe(200)
    expect(res.body.user.pk).toBe(pk)
  })
})

describe('GET /version.txt', () => {
  it("answers GeoNode's bare version in plain text, which clients read as a version number", async () => {
    const res = await request(server, '/version.txt')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(res.text).toBe('3.3.2')
    expect(res.headers.get('x-mapshelf-version')).toBe(PACKAGE_VERSION)
  })

  it("names Mapshelf's own version at /api/v2/mapshelf/version and in every answer's header", async () => {
    const res = await request(server, '/api/v2/mapshelf/version')
    expect(res.body).toEqual({ mapshelf: PACKAGE_VERSION, geonode: '3.3.2', api: 'v2' })
    expect((await request(server, '/api/v2/')).headers.get('x-mapshelf-version')).toBe(PACKAGE_VERSION)
  })
})

describe('unknown paths', () => {
  const paths = ['/api/v2/nope', '/api/v2/nope/', '/api/v2/users/not-a-number', '/api/v2/resources/999999999', '/api/v3/', '/nope', '/geoserver/nope']

  it('answer 404 with the JSON detail body of spec 1.8', async () => {
    for (const path of paths) {
      const res = await request(server, path)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/)
      expect(res.body, path).toEqual({ detail: 'Not found.' })
    }
  })

  it('answer 404 JSON to a signed-in caller too', async () => {
    const res = await request(server, '/api/v2/nope', { who: 'admin' })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
