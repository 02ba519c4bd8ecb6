import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer, user } from '../helpers/server'

// Property: whatever body a client sends to a write route, the answer is never a 500, and a refused
// request (4xx) leaves the store exactly as it was (no change-log row).

let server: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 40, flags: { 'enable-patch-all': true } })
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const changeCount = () => (server.running.database.sqlite.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n

const FIELDS = ['title', 'abstract', 'keywords', 'regions', 'category', 'license', 'owner', 'group', 'date', 'bbox_polygon', 'll_bbox_polygon',
  'is_published', 'featured', 'popular_count', 'zoom', 'layers', 'data', 'name', 'username', 'password', 'access', 'slug', 'users', 'groups', 'id',
  'resource_type', 'doc_url', 'srid', 'temporal_extent_start', 'email', 'is_superuser']

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.dictionary(fc.constantFrom('id', 'name', 'dataset', 'pk'), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })))), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom('type', 'coordinates', 'identifier', 'pk', 'name'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
)
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }),
  fc.array(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 4 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 30 })
)

function routes(): [string, string][] {
  const map = fx.mapId
  const layer = fx.vectorLayerId
  return [
    ['POST', '/api/v2/layers'], ['POST', '/api/v2/maps'], ['POST', '/api/v2/geoapps'], ['POST', '/api/v2/geostories'], ['POST', '/api/v2/resources'],
    ['PATCH', `/api/v2/layers/${layer}`], ['PUT', `/api/v2/maps/${map}`], ['PATCH', `/api/v2/resources/${layer}`], ['PATCH', '/api/v2/maps'],
    ['PATCH', '/api/v2/maps?patch-all=query'], ['PATCH', '/api/v2/layers?patch-all=true&filter{title.icontains}=zzzz'], ['DELETE', '/api/v2/documents'],
    ['PUT', `/api/v2/resources/${layer}/set_perms`], ['POST', '/api/v2/users'], ['PATCH', `/api/v2/groups/1`], ['POST', '/api/v2/groups'], ['POST', '/api/v2/upload-size-limits']
  ]
}

describe('random bodies at every write route', () => {
  it('never get a 500, and a refused one writes nothing', async () => {
    const whos: Who[] = ['admin', user(fx.plainUser), 'anonymous']
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 2 }), body, fc.boolean(), async (r, w, payload, raw) => {
        const [method, path] = routes()[r]
        const before = changeCount()
        const res = await request(server, path, { method, who: whos[w], body: raw && typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
        expect(res.status, `${method} ${path} ${JSON.stringify(payload)}: ${res.text.slice(0, 200)}`).toBeLessThan(500)
        if (res.status >= 400) expect(changeCount(), `${method} ${path} ${res.status} ${JSON.stringify(payload)}`).toBe(before)
      }),
      { numRuns: 400, seed: 20261127 }
    )
    expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
  }, 120_000)
})
