import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, request, startTestServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Bulk PATCH and DELETE on list URLs, and patch-all (spec 1.7 and the Mapshelf table in 0.1).

let server: TestServer
let withPatchAll: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 60 })
  withPatchAll = await startTestServer({ resources: 60, flags: { 'enable-patch-all': true } })
  fx = server.seed!.fixtures
})
afterAll(async () => {
  await server.close()
  await withPatchAll.close()
})

const truth = groundTruth(() => server)
const other = groundTruth(() => withPatchAll)
const changeCount = () => truth.one('SELECT count(*) AS n FROM changes').n as number
const ownedMaps = (t = truth) => t.all('SELECT id FROM resources WHERE owner_id = ? AND resource_type = ? ORDER BY id', t.userId(fx.plainUser), 'map').map((r) => r.id as number)

describe('bulk PATCH on a list URL', () => {
  it('updates every item (ids as numbers or strings) and answers the bare list', async () => {
    const [a, b] = ownedMaps()
    const res = await request(server, '/api/v2/maps', { method: 'PATCH', who: user(fx.plainUser), body: [{ id: a, title: 'Bulk A' }, { id: String(b), title: 'Bulk B', zoom: 3 }] })
    expect(res.status, res.text).toBe(200)
    expect(res.body.map((m: { pk: string; title: string }) => [Number(m.pk), m.title])).toEqual([[a, 'Bulk A'], [b, 'Bulk B']])
    expect(truth.one('SELECT zoom FROM maps WHERE resource_id = ?', b).zoom).toBe(3)
  })

  it('writes nothing when one item is bad, and names it', async () => {
    const [a, b] = ownedMaps()
    const before = changeCount()
    const res = await request(server, '/api/v2/maps', { method: 'PATCH', who: user(fx.plainUser), body: { maps: [{ id: a, title: 'Fine' }, { id: b, zoom: 'far' }] } })
    expect(res.status).toBe(400)
    expect(res.body.maps).toEqual([])
    expect(res.body.errors[0].source).toEqual({ index: 1 })
    expect(Object.keys(res.body.errors[0].detail)).toEqual(['zoom'])
    expect(changeCount()).toBe(before)
  })

  it('refuses a single object on the list URL with a bare-list 400', async () => {
    const res = await request(server, '/api/v2/maps', { method: 'PATCH', who: user(fx.plainUser), body: { title: 'where?' } })
    expect(res.status).toBe(400)
    expect(Array.isArray(res.body)).toBe(true)
  })

  it('refuses the whole request when one item belongs to someone else', async () => {
    const mine = ownedMaps()[0]
    const theirs = truth.one('SELECT id FROM resources WHERE owner_id <> ? AND audience = 2 ORDER BY id LIMIT 1', truth.userId(fx.plainUser)).id
    const before = changeCount()
    const res = await request(server, '/api/v2/resources', { method: 'PATCH', who: user(fx.plainUser), body: [{ id: mine, title: 'ok' }, { id: theirs, title: 'not mine' }] })
    expect(res.status).toBe(403)
    expect(changeCount()).toBe(before)
  })
})

describe('patch-all', () => {
  it('is refused with a clear message unless the server enables it', async () => {
    const res = await request(server, '/api/v2/maps?patch-all=true', { method: 'PATCH', who: 'admin', body: { is_approved: false } })
    expect(res.status).toBe(400)
    expect(res.body.detail).toMatch(/--enable-patch-all/)
  })

  it('patch-all=true updates every matching record the caller may change, one by one', async () => {
    const maps = other.all("SELECT id FROM resources WHERE resource_type = 'map'").map((r) => r.id)
    const res = await request(withPatchAll, '/api/v2/maps?patch-all=true', { method: 'PATCH', who: 'admin', body: { is_approved: false, keywords: ['reviewed'] } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ meta: { updated: maps.length } })
    expect(other.one("SELECT count(*) AS n FROM resources WHERE resource_type = 'map' AND is_approved = 0").n).toBe(maps.length)
    expect(other.one("SELECT count(*) AS n FROM resource_keywords j JOIN keywords k ON k.id = j.keyword_id WHERE k.name = 'reviewed'").n).toBe(maps.length)
  })

  it('patch-all=query updates plain fields in one statement, within the filter, for rows the caller may change', async () => {
    const mine = ownedMaps(other)
    const res = await request(withPatchAll, '/api/v2/resources?patch-all=query&filter{resource_type}=map', { method: 'PATCH', who: user(fx.plainUser), body: { purpose: 'Field season' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toEqual({ meta: { updated: mine.length } })
    expect(other.all("SELECT id FROM resources WHERE purpose = 'Field season' ORDER BY id").map((r) => r.id)).toEqual(mine)
    const related = await request(withPatchAll, '/api/v2/resources?patch-all=query', { method: 'PATCH', who: 'admin', body: { keywords: ['x'] } })
    expect(related.status).toBe(400)
    expect(related.body.non_field_errors[0]).toMatch(/keywords/)
  })
})

describe('bulk DELETE on a list URL', () => {
  it('deletes every item in either body form', async () => {
    const [a, b, c] = ownedMaps()
    expect((await request(server, '/api/v2/maps', { method: 'DELETE', who: user(fx.plainUser), body: [{ id: a }] })).status).toBe(204)
    expect((await request(server, '/api/v2/maps', { method: 'DELETE', who: user(fx.plainUser), body: { maps: [{ id: b }, { id: c }] } })).status).toBe(204)
    expect(truth.all('SELECT id FROM resources WHERE id IN (?, ?, ?)', a, b, c)).toEqual([])
  })

  it('answers an empty 405 without a body, 403 to anonymous callers, and deletes nothing when one item is not allowed', async () => {
    const none = await request(server, '/api/v2/maps', { method: 'DELETE', who: user(fx.plainUser) })
    expect(none.status).toBe(405)
    expect(none.text).toBe('')
    expect((await request(server, '/api/v2/maps', { method: 'DELETE', body: [{ id: 1 }] })).status).toBe(403)
    const theirs = truth.one("SELECT id FROM resources WHERE owner_id <> ? AND resource_type = 'layer' AND audience = 2 ORDER BY id LIMIT 1", truth.userId(fx.plainUser)).id
    const mine = truth.one("SELECT id FROM resources WHERE owner_id = ? AND resource_type = 'layer' ORDER BY id LIMIT 1", truth.userId(fx.plainUser)).id
    const res = await request(server, '/api/v2/layers', { method: 'DELETE', who: user(fx.plainUser), body: [{ id: mine }, { id: theirs }] })
    expect(res.status).toBe(403)
    expect(truth.all('SELECT id FROM resources WHERE id IN (?, ?) ORDER BY id', mine, theirs).length).toBe(2)
  })
})

it('logged no failed request while serving this file', () => {
  expect([...server.logs, ...withPatchAll.logs].filter((line) => line.includes('failed'))).toEqual([])
})
