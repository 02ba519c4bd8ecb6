import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, authHeader, request, startTestServer, user } from '../helpers/server'

// Property: whatever multipart body or headers a client sends to a file-taking route, the answer is
// never a 500 and the server keeps answering; a refused upload leaves no row, no staged feature and
// no file behind.

let server: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 20 })
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const count = (table: string) => (server.running.database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
const snapshot = () => ({ resources: count('resources'), uploads: count('uploads'), sets: count('feature_sets'), features: count('layer_features') })
const tmpEntries = () => readdirSync(join(server.dataDir, 'tmp', 'uploads'))

const FIELDS = ['base_file', 'dbf_file', 'shx_file', 'prj_file', 'cpg_file', 'xml_file', 'sld_file', 'doc_file', 'permissions', 'charset', 'layer_title', 'abstract', 'srs', 'links', 'title', 'base_file_path', 'x']
const NAMES = ['roads.shp', 'roads.dbf', 'a.geojson', 'b.gpkg', 'c.kml', 'd.kmz', 'e.gpx', 'f.csv', 'g.tif', 'h.zip', 'i.txt', 'j.pdf', 'k.png', '../../etc/passwd', 'a/../../b.shp', 'C:\\evil.tif', '.hidden.geojson', '', 'x'.repeat(300) + '.geojson', 'ümlaut €.csv']
const CONTENTS = [
  '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}]}',
  '{"type":"FeatureCollection","features":[',
  '<?xml version="1.0"?><kml><Document><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></Document></kml>',
  'PK\u0003\u0004garbage',
  'II*\u0000garbage',
  'lat,lon,name\n1,2,a\n',
  'SQLite format 3\u0000',
  '<gmd:MD_Metadata>',
  '{"users":{"AnonymousUser":["view_resourcebase"]}}'
]

const part = fc.record({
  field: fc.constantFrom(...FIELDS),
  file: fc.boolean(),
  name: fc.constantFrom(...NAMES),
  content: fc.oneof(fc.constantFrom(...CONTENTS), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')))
})

/** A multipart body built by hand, so it can also be malformed (truncated, wrong boundary). */
function multipart(parts: { field: string; file: boolean; name: string; content: string }[], boundary: string): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = p.file ? `form-data; name="${p.field}"; filename="${p.name.replace(/"/g, '')}"` : `form-data; name="${p.field}"`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.file ? 'Content-Type: application/octet-stream\r\n' : ''}\r\n`, 'latin1'))
    chunks.push(Buffer.from(p.content, 'latin1'))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}

function routes(): [string, string][] {
  return [
    ['POST', '/api/v2/uploads/upload/'],
    ['PUT', '/api/v2/uploads/upload/'],
    ['POST', '/api/v2/documents'],
    ['PUT', `/api/v2/layers/${fx.vectorLayerId}/replace`],
    ['POST', '/upload/srs?id=1'],
    ['POST', '/api/v2/uploads/upload/?x=1']
  ]
}

describe('random multipart bodies at every file route', () => {
  it('never get a 500, and a refused one leaves no row, feature or file', async () => {
    const whos: Who[] = ['admin', user(fx.plainUser), 'anonymous']
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: routes().length - 1 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(part, { maxLength: 6 }),
        fc.constantFrom('ok', 'truncated', 'wrong-boundary', 'no-boundary', 'json'),
        async (r, w, parts, shape) => {
          const [method, path] = routes()[r]!
          const before = snapshot()
          const boundary = 'mapshelfFuzzBoundary'
          let payload = multipart(parts, boundary)
          let type = `multipart/form-data; boundary=${boundary}`
          if (shape === 'truncated') payload = payload.subarray(0, Math.floor(payload.length / 2))
          if (shape === 'wrong-boundary') type = 'multipart/form-data; boundary=somethingElse'
          if (shape === 'no-boundary') type = 'multipart/form-data'
          if (shape === 'json') type = 'application/json'
          const res = await fetch(server.url + path, { method, headers: { ...authHeader(whos[w]!), 'content-type': type }, body: new Uint8Array(payload) })
          const text = await res.text()
          expect(res.status, `${method} ${path} ${shape} ${JSON.stringify(parts).slice(0, 300)}: ${text.slice(0, 200)}`).toBeLessThan(500)
          if (res.status >= 400) {
            expect(snapshot(), `${method} ${path} ${res.status} ${text.slice(0, 200)}`).toEqual(before)
            expect(tmpEntries()).toEqual([])
          }
        }
      ),
      { numRuns: 150, seed: 20261127 }
    )
    // Still answering, and nothing staged is left over.
    expect((await request(server, '/api/v2/resources')).status).toBe(200)
  }, 120_000)
})

/** Sends raw bytes on a socket and returns the status line of the answer (or '' when closed). */
function raw(bytes: string): Promise<string> {
  const { port } = new URL(server.url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes))
    let answer = ''
    socket.on('data', (d) => (answer += d.toString('latin1')))
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''))
    socket.on('error', () => resolve(''))
    socket.setTimeout(5_000, () => socket.destroy())
  })
}

describe('hostile headers', () => {
  it('answer 4xx (never 500, never a hang) for oversized, malformed and duplicated headers and traversal paths, and the server keeps answering', async () => {
    const host = new URL(server.url).host
    const cases = [
      `GET /api/v2/resources HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      `GET /api/v2/resources HTTP/1.1\r\nHost: ${host}\r\nBad Header Line\r\n\r\n`,
      `GET /api/v2/resources HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello`,
      `POST /api/v2/resources HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n`,
      `GET /api/v2/resources HTTP/1.1\r\nHost: evil.example\r\n\r\n`,
      `GET /api/v2/resources HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Basic ${'!'.repeat(100)}\r\n\r\n`,
      `GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /uploaded/thumbs/..%2F..%2Fcatalogue.sqlite HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      `GET /documents/1/download/../../../catalogue.sqlite HTTP/1.1\r\nHost: ${host}\r\n\r\n`
    ]
    for (const bytes of cases) {
      const status = await raw(bytes)
      expect(status, bytes.slice(0, 120)).toMatch(/^HTTP\/1\.1 (4\d\d)/)
    }
    // An unknown bearer token is no credential at all (as with django-oauth-toolkit): an anonymous answer.
    const unknown = await request(server, '/api/v2/resources', { who: { token: 'x'.repeat(5000) } })
    expect(unknown.status).toBe(200)
    expect(unknown.body.total).toBe((await request(server, '/api/v2/resources')).body.total)
    expect((await request(server, '/api/v2/resources')).status).toBe(200)
  })
})
