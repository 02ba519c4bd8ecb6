import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// PATCH / PUT / DELETE on resource detail URLs (spec 1.4, 1.8, 3.1, 4; test 7 of spec 7).

const t = useSeededServer({ resources: 150 })

const { all, one, userId } = groundTruth(() => t.server)
const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number

/** A public resource of a type owned by the plain user, outside any group. */
function owned(type: string): number {
  return one('SELECT id FROM resources WHERE owner_id = ? AND resource_type = ? AND group_id IS NULL AND audience = 2 ORDER BY id LIMIT 1', userId(t.fx.plainUser), type).id
}

const patch = (path: string, body: unknown, who = user(t.fx.plainUser)) => request(t.server, path, { method: 'PATCH', who, body })

describe('PATCH by the owner', () => {
  for (const [family, singular, type] of [['layers', 'layer', 'layer'], ['documents', 'document', 'document'], ['maps', 'map', 'map'], ['resources', 'resource', 'layer']] as const) {
    it(`updates title, abstract, attribution, doi and is_published on /${family}`, async () => {
      const id = owned(type)
      const before = one('SELECT version, last_updated FROM resources WHERE id = ?', id)
      const body = { title: `Edited ${family}`, abstract: '<p>New &amp; better</p>', attribution: 'Field team', doi: '10.1234/abc', is_published: false }
      const res = await patch(`/api/v2/${family}/${id}`, body)
      expect(res.status, res.text).toBe(200)
      expect(Object.keys(res.body)).toEqual([singular])
      expect(res.body[singular]).toMatchObject({ ...body, raw_abstract: 'New & better', pk: String(id) })
      const after = one('SELECT title, abstract, attribution, doi, is_published, version, last_updated FROM resources WHERE id = ?', id)
      expect(after).toMatchObject({ title: body.title, abstract: body.abstract, attribution: 'Field team', doi: '10.1234/abc', is_published: 0, version: before.version + 1 })
      expect(after.last_updated > before.last_updated).toBe(true)
      expect((await request(t.server, `/api/v2/${family}/${id}`, { who: user(t.fx.plainUser) })).body[singular].title).toBe(body.title)
    })
  }

  it('takes a body wrapped in the singular key', async () => {
    const id = owned('map')
    const res = await patch(`/api/v2/maps/${id}`, { map: { zoom: 7, center_x: 1000.5 } })
    expect(res.status).toBe(200)
    expect(res.body.map).toMatchObject({ zoom: 7, center_x: 1000.5 })
    expect(one('SELECT zoom, center_x FROM maps WHERE resource_id = ?', id)).toEqual({ zoom: 7, center_x: 1000.5 })
  })

  it('sets keywords by name (creating new ones), regions by code, category and license by identifier', async () => {
    const id = owned('layer')
    const res = await patch(`/api/v2/layers/${id}`, { keywords: ['flood risk', { name: 'Brand new keyword' }], regions: ['KEN'], category: 'inlandWaters', license: { identifier: 'not_specified' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.layer.keywords.map((k: { name: string }) => k.name).sort()).toEqual(['Brand new keyword', 'flood risk'].sort())
    expect(res.body.layer.regions).toEqual([{ code: 'KEN', name: one("SELECT name FROM regions WHERE code = 'KEN'").name }])
    expect(res.body.layer.category).toEqual({ identifier: 'inlandWaters' })
    expect(res.body.layer.license).toEqual({ identifier: 'not_specified' })
    expect(one("SELECT slug FROM keywords WHERE name = 'Brand new keyword'").slug).toBe('brand-new-keyword')
    const found = await request(t.server, '/api/v2/resources?search=brand%20new&page_size=100')
    expect(found.body.resources.map((r: { pk: string }) => Number(r.pk))).toContain(id)
  })

  it('moves the extent, and the bounding-box filter follows', async () => {
    const id = owned('layer')
    const ring = [[100, 10], [100, 11], [101, 11], [101, 10], [100, 10]]
    const res = await patch(`/api/v2/layers/${id}`, { srid: 'EPSG:4326', bbox_polygon: { type: 'Polygon', coordinates: [ring] } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.layer.ll_bbox_polygon).toEqual({ type: 'Polygon', coordinates: [ring] })
    const hits = await request(t.server, '/api/v2/resources?extent=100.2,10.2,100.4,10.4&page_size=100', { who: user(t.fx.plainUser) })
    expect(hits.body.resources.map((r: { pk: string }) => Number(r.pk))).toContain(id)
  })

  it('ignores read-only fields', async () => {
    const id = owned('document')
    const row = one('SELECT uuid, resource_type, created FROM resources WHERE id = ?', id)
    const res = await patch(`/api/v2/documents/${id}`, { pk: '999999', uuid: 'not-mine', resource_type: 'map', created: '2000-01-01T00:00:00Z', link: 'x', perms: ['everything'] })
    expect(res.status).toBe(200)
    expect(one('SELECT uuid, resource_type, created FROM resources WHERE id = ?', id)).toEqual(row)
  })
})

describe('bad input is a 400 naming the field, and writes nothing', () => {
  const cases: [string, unknown, string][] = [
    ['wrong type', { title: 42 }, 'title'],
    ['blank title', { title: '' }, 'title'],
    ['unknown category', { category: 'no-such-category' }, 'category'],
    ['unknown category pk', { category: 987654 }, 'category'],
    ['unknown region', { regions: ['ZZZ'] }, 'regions'],
    ['keywords not a list', { keywords: 'rivers' }, 'keywords'],
    ['bad date', { date: 'yesterday' }, 'date'],
    ['bad date type', { date_type: 'someday' }, 'date_type'],
    ['extent out of range', { ll_bbox_polygon: { type: 'Polygon', coordinates: [[[200, 0], [200, 1], [201, 1], [200, 0]]] } }, 'll_bbox_polygon'],
    ['not a polygon', { bbox_polygon: { type: 'Point', coordinates: [1, 2] } }, 'bbox_polygon'],
    ['over-long doi', { doi: 'x'.repeat(300) }, 'doi'],
    ['inverted temporal extent', { temporal_extent_start: '2020-01-02', temporal_extent_end: '2020-01-01' }, 'temporal_extent_end']
  ]
  for (const [name, body, field] of cases) {
    it(name, async () => {
      const id = owned('layer')
      const before = changeCount()
      const res = await patch(`/api/v2/layers/${id}`, { title: 'Should not land', ...(body as object) })
      expect(res.status, res.text).toBe(400)
      expect(Object.keys(res.body)).toContain(field)
      expect(changeCount()).toBe(before)
      expect(one('SELECT title FROM resources WHERE id = ?', id).title).not.toBe('Should not land')
    })
  }

  it('a PUT without title and abstract', async () => {
    const res = await request(t.server, `/api/v2/layers/${owned('layer')}`, { method: 'PUT', who: user(t.fx.plainUser), body: { doi: '10.1/x' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ title: ['This field is required.'], abstract: ['This field is required.'] })
  })

  it('malformed JSON', async () => {
    const res = await request(t.server, `/api/v2/layers/${owned('layer')}`, { method: 'PATCH', who: user(t.fx.plainUser), body: '{"title": ' })
    expect(res.status).toBe(400)
    expect(res.body.detail).toMatch(/JSON/)
  })
})

describe('who may write', () => {
  it('refuses anonymous callers with 403, even for an id that does not exist', async () => {
    for (const path of [`/api/v2/layers/${owned('layer')}`, '/api/v2/layers/987654']) {
      for (const method of ['PATCH', 'PUT', 'DELETE']) {
        const res = await request(t.server, path, { method, body: { title: 'x' } })
        expect(res.status).toBe(403)
        expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
      }
    }
  })

  it('refuses another user without grants (403) and hides what they cannot see (404)', async () => {
    const res = await patch(`/api/v2/layers/${owned('layer')}`, { title: 'Not yours' }, user(t.fx.otherUser))
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' })
    expect((await patch(`/api/v2/layers/${t.fx.privateLayerId}`, { title: 'Hidden' })).status).toBe(404)
  })

  it('lets a user edit metadata with change_resourcebase_metadata, but not publish without publish_resourcebase', async () => {
    const id = owned('layer')
    await request(t.server, `/api/v2/resources/${id}/set_perms`, {
      method: 'PUT',
      who: user(t.fx.plainUser),
      body: { users: { [t.fx.otherUser]: ['view_resourcebase', 'change_resourcebase_metadata'] }, groups: { anonymous: ['view_resourcebase'] } }
    })
    expect((await patch(`/api/v2/layers/${id}`, { title: 'Edited by a colleague' }, user(t.fx.otherUser))).status).toBe(200)
    expect((await patch(`/api/v2/layers/${id}`, { is_published: true }, user(t.fx.otherUser))).status).toBe(403)
    expect((await request(t.server, `/api/v2/layers/${id}`, { method: 'DELETE', who: user(t.fx.otherUser) })).status).toBe(403)
  })

  it('lets the admin edit anything', async () => {
    const res = await patch(`/api/v2/layers/${t.fx.privateLayerId}`, { title: 'Admin edit' }, 'admin')
    expect(res.status).toBe(200)
    expect(one('SELECT title FROM resources WHERE id = ?', t.fx.privateLayerId).title).toBe('Admin edit')
  })
})

describe('DELETE', () => {
  it('removes the resource and what hangs off it, leaving tombstones in the change log', async () => {
    const id = owned('map')
    const uuid = one('SELECT uuid FROM resources WHERE id = ?', id).uuid
    const before = changeCount()
    const res = await request(t.server, `/api/v2/maps/${id}`, { method: 'DELETE', who: user(t.fx.plainUser) })
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    expect((await request(t.server, `/api/v2/maps/${id}`, { who: user(t.fx.plainUser) })).status).toBe(404)
    for (const table of ['resources', 'maps', 'map_layers', 'resource_user_perms', 'resource_group_perms', 'resource_keywords']) {
      const column = table === 'resources' ? 'id' : table === 'maps' || table === 'map_layers' ? (table === 'maps' ? 'resource_id' : 'map_id') : 'resource_id'
      expect(one(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, id).n, table).toBe(0)
    }
    const tombstones = all("SELECT table_name, row_uuid FROM changes WHERE seq > ? AND op = 'delete'", before)
    expect(tombstones).toContainEqual({ table_name: 'resources', row_uuid: uuid })
    expect(tombstones.some((t) => t.table_name === 'maps')).toBe(true)
    expect(one('SELECT count(*) AS n FROM resource_extents WHERE id = ?', id).n).toBe(0)
  })
})

describe('geoapps and geostories', () => {
  const app = (type: string) =>
    one('SELECT r.id, a.name FROM resources r JOIN geoapps a ON a.resource_id = r.id WHERE r.resource_type = ? AND r.owner_id = ? ORDER BY r.id LIMIT 1', type, userId(t.fx.plainUser)) ??
    one('SELECT r.id, a.name FROM resources r JOIN geoapps a ON a.resource_id = r.id WHERE r.resource_type = ? ORDER BY r.id LIMIT 1', type)

  it('replaces the blob given as `blob`, and shows it only with include[]=data', async () => {
    const { id } = app('geoapp')
    const blob = { test_data: { test: ['test_1', 'test_2', 'test_3', 'test_4'] } }
    const res = await patch(`/api/v2/geoapps/${id}`, { blob }, 'admin')
    expect(res.status, res.text).toBe(200)
    expect(res.body.geoapp.data).toBeUndefined()
    const read = await request(t.server, `/api/v2/geoapps/${id}?include[]=data`, { who: 'admin' })
    expect(Object.keys(read.body)).toEqual(['geoapp'])
    expect(read.body.geoapp.data).toEqual(blob)
    expect(JSON.parse(one('SELECT data FROM geoapps WHERE resource_id = ?', id).data)).toEqual(blob)
  })

  it('takes the data of a geostory as JSON text, as MapStore sends it, and echoes it with include[]=data', async () => {
    const { id } = app('geostory')
    const story = { type: 'cascade', sections: [{ type: 'title', id: 's1', title: 'Edited story', contents: [] }], settings: {} }
    const res = await patch(`/api/v2/geostories/${id}?include[]=data`, { title: 'Edited story', data: JSON.stringify(story) }, 'admin')
    expect(res.status, res.text).toBe(200)
    expect(res.body.geostory).toMatchObject({ title: 'Edited story', data: story })
  })

  it('refuses data that is not JSON, and a name another app already has', async () => {
    const { id } = app('geostory')
    const before = changeCount()
    const bad = await patch(`/api/v2/geostories/${id}`, { data: '{not json' }, 'admin')
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ data: ['Value must be valid JSON.'] })
    const other = app('geoapp')
    const taken = await patch(`/api/v2/geostories/${id}`, { name: other.name }, 'admin')
    expect(taken.status).toBe(400)
    expect(taken.body).toEqual(["A GeoApp with the same 'name' already exists!"])
    expect(changeCount()).toBe(before)
  })

  it('answers 405 to a POST on a detail URL', async () => {
    const res = await request(t.server, `/api/v2/geoapps/${app('geoapp').id}`, { method: 'POST', who: 'admin', body: {} })
    expect(res.status).toBe(405)
    expect(res.body).toEqual({ detail: 'Method "POST" not allowed.' })
  })
})

describe('the change log', () => {
  it('records every row a PATCH touches, in the same transaction', async () => {
    const id = owned('layer')
    const before = changeCount()
    await patch(`/api/v2/layers/${id}`, { title: 'Logged', keywords: ['logged-keyword'], is_mosaic: true })
    const logged = all('SELECT table_name, op FROM changes WHERE seq > ? ORDER BY seq', before).map((r) => `${r.table_name}:${r.op}`)
    expect(logged).toContain('resources:update')
    expect(logged).toContain('resource_keywords:insert')
    expect(logged).toContain('layers:update')
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
