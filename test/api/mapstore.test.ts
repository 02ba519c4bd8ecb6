import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { sample } from '../helpers/samples'
import { groundTruth } from '../helpers/truth'

// /mapstore/rest/ as the MapStore client uses it (spec 6.1, 7 item 38).

const t = useSeededServer({ resources: 40 })

const { one, visibleTo } = groundTruth(() => t.server)
const SAMPLE = sample('mapstore_rest_resources_detail_full.json')

describe('/mapstore/rest/resources/', () => {
  it('lists the maps the caller may view as a bare array, with the sample keys', async () => {
    const res = await request(t.server, '/mapstore/rest/resources/')
    expect(res.status).toBe(200)
    expect(Array.isArray(res.body)).toBe(true)
    const visibleMaps = [...visibleTo(null)].filter((id) => one('SELECT resource_type FROM resources WHERE id = ?', id).resource_type === 'map').sort((a, b) => a - b)
    expect(res.body.map((r: { id: number }) => r.id)).toEqual(visibleMaps)
    const { data: _d, attributes: _a, ...plain } = SAMPLE
    expect(Object.keys(res.body[0]).sort()).toEqual(Object.keys(plain).sort())
  })

  it('needs the trailing slash', async () => {
    expect((await request(t.server, '/mapstore/rest/resources')).status).toBe(404)
  })

  it('creates a map from a MapStore configuration, then shows data and attributes with full=true', async () => {
    const alternate = one('SELECT alternate FROM resources WHERE id = ?', t.fx.vectorLayerId).alternate
    const data = { ...SAMPLE.data, map: { ...SAMPLE.data.map, layers: [SAMPLE.data.map.layers[0], { ...SAMPLE.data.map.layers[1], name: alternate }] } }
    const attributes = [{ name: 'title', type: 'string', label: 'Title', value: 'Boulder field map' }, { name: 'abstract', type: 'string', label: 'Abstract', value: 'Made in MapStore' }]
    const res = await request(t.server, '/mapstore/rest/resources/?full=true', { method: 'POST', who: user(t.fx.plainUser), body: { name: 'Boulder field map', data, attributes } })
    expect(res.status, res.text).toBe(201)
    const id = res.body.id
    expect(res.body).toMatchObject({ user: t.fx.plainUser, name: 'Boulder field map', data, attributes })
    expect(res.body.layers.map((l: { name: string; local: boolean }) => [l.name, l.local])).toEqual([['mapnik', false], [alternate, true]])
    const map = (await request(t.server, `/api/v2/maps/${id}`, { who: user(t.fx.plainUser) })).body.map
    expect(map).toMatchObject({ title: 'Boulder field map', abstract: 'Made in MapStore', zoom: 11, projection: 'EPSG:3857' })
    const detail = await request(t.server, `/mapstore/rest/resources/${id}/?full=true`, { who: user(t.fx.plainUser) })
    expect(detail.body.data).toEqual(data)
    const lean = await request(t.server, `/mapstore/rest/resources/${id}/`, { who: user(t.fx.plainUser) })
    expect(lean.body.data).toBeUndefined()

    const renamed = [{ ...attributes[0], value: 'Renamed in MapStore' }, attributes[1]]
    const patched = await request(t.server, `/mapstore/rest/resources/${id}/?full=true`, { method: 'PATCH', who: user(t.fx.plainUser), body: { id, name: 'x', data, attributes: renamed } })
    expect(patched.status, patched.text).toBe(200)
    expect(one('SELECT title FROM resources WHERE id = ?', id).title).toBe('Renamed in MapStore')
    expect((await request(t.server, `/mapstore/rest/resources/${id}/`, { method: 'DELETE', who: user(t.fx.otherUser) })).status).toBe(403)
    expect((await request(t.server, `/mapstore/rest/resources/${id}/`, { method: 'DELETE', who: user(t.fx.plainUser) })).status).toBe(204)
    expect(one('SELECT count(*) AS n FROM resources WHERE id = ?', id).n).toBe(0)
  })

  it('answers the adapter messages for missing data or attributes, and 403 to anonymous callers', async () => {
    const noData = await request(t.server, '/mapstore/rest/resources/?full=true', { method: 'POST', who: user(t.fx.plainUser), body: { name: 'x', attributes: [] } })
    expect(noData.status).toBe(400)
    expect(noData.body).toEqual({ detail: 'Map Configuration (data) is Mandatory!' })
    const noAttributes = await request(t.server, '/mapstore/rest/resources/?full=true', { method: 'POST', who: user(t.fx.plainUser), body: { name: 'x', data: { map: {} } } })
    expect(noAttributes.body).toEqual({ detail: 'Map Metadata (attributes) are Mandatory!' })
    expect((await request(t.server, '/mapstore/rest/resources/?full=true', { method: 'POST', body: { data: {}, attributes: [] } })).status).toBe(403)
  })
})

describe('/mapstore/rest/users/', () => {
  it('is for superusers and staff only', async () => {
    expect((await request(t.server, '/mapstore/rest/users/')).status).toBe(403)
    expect((await request(t.server, '/mapstore/rest/users/', { who: user(t.fx.plainUser) })).status).toBe(403)
    const res = await request(t.server, '/mapstore/rest/users/', { who: 'admin' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body[0]).sort()).toEqual(['email', 'is_active', 'is_staff', 'is_superuser', 'url', 'username'])
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
