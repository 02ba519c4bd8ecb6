import { describe, expect, it } from 'vitest'
import { applicablePermissions } from '../../src-shared/api/permissions'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// POST on list URLs in the four body forms (spec 1.4, 1.7, 0.1), geoapp rules (3.7, 7 item 41).

const t = useSeededServer({ resources: 40 })

const { all, one, userId } = groundTruth(() => t.server)
const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number
const post = (path: string, body: unknown, who = user(t.fx.plainUser)) => request(t.server, path, { method: 'POST', who, body })

describe('creating resources', () => {
  it('takes a bare object and makes the caller the owner, with GeoNode default grants', async () => {
    const res = await post('/api/v2/layers', { title: 'Water points 2026', abstract: 'Surveyed wells', keywords: ['wells'], category: 'inlandWaters' })
    expect(res.status, res.text).toBe(201)
    expect(Object.keys(res.body)).toEqual(['layer'])
    const layer = res.body.layer
    expect(layer).toMatchObject({ title: 'Water points 2026', abstract: 'Surveyed wells', resource_type: 'layer', owner: { username: t.fx.plainUser }, category: { identifier: 'inlandWaters' } })
    expect(layer.alternate).toMatch(/^geonode:water_points_2026_\d+$/)
    expect(layer.perms.sort()).toEqual(applicablePermissions('layer', 'dataStore').slice().sort())
    const id = Number(layer.pk)
    expect(one('SELECT owner_id FROM resources WHERE id = ?', id).owner_id).toBe(userId(t.fx.plainUser))
    expect(all("SELECT p.codename FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ? AND g.name = 'anonymous' ORDER BY 1", id).map((r) => r.codename)).toEqual(['download_resourcebase', 'view_resourcebase'])
    expect((await request(t.server, `/api/v2/layers/${id}`)).status).toBe(200)
  })

  it('takes an object wrapped in the singular key', async () => {
    const res = await post('/api/v2/maps', { map: { title: 'Field map', abstract: '', zoom: 5 } })
    expect(res.status, res.text).toBe(201)
    expect(res.body.map).toMatchObject({ title: 'Field map', zoom: 5 })
  })

  it('creates a list (bare, or wrapped in the plural key) in one go', async () => {
    const wrapped = await post('/api/v2/documents', { documents: [{ title: 'Report A', doc_url: 'https://example.org/files/report-a.pdf' }, { title: 'Photo B', doc_url: 'https://example.org/photo-b.JPG' }] })
    expect(wrapped.status, wrapped.text).toBe(201)
    expect(Object.keys(wrapped.body)).toEqual(['documents'])
    expect(wrapped.body.documents.map((d: { title: string; doc_type: string; extension: string; href: string }) => [d.title, d.doc_type, d.extension, d.href])).toEqual([
      ['Report A', 'presentation', 'pdf', 'https://example.org/files/report-a.pdf'],
      ['Photo B', 'image', 'jpg', 'https://example.org/photo-b.JPG']
    ])
    const bare = await post('/api/v2/maps', [{ title: 'Map 1' }, { title: 'Map 2' }])
    expect(bare.status).toBe(201)
    expect(bare.body.maps.map((m: { title: string }) => m.title)).toEqual(['Map 1', 'Map 2'])
  })

  it('writes nothing when one item of a bulk create is bad, and says which', async () => {
    const before = changeCount()
    const count = one('SELECT count(*) AS n FROM resources').n
    const res = await post('/api/v2/maps', { maps: [{ title: 'Fine' }, { title: 'Also fine' }, { abstract: 'no title' }] })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ maps: [], errors: [{ detail: { title: ['This field is required.'] }, source: { index: 2 } }] })
    expect(one('SELECT count(*) AS n FROM resources').n).toBe(count)
    expect(changeCount()).toBe(before)
  })

  it('needs resource_type on /resources', async () => {
    const missing = await post('/api/v2/resources', { title: 'What am I' })
    expect(missing.status).toBe(400)
    expect(missing.body).toEqual({ resource_type: ['This field is required.'] })
    const made = await post('/api/v2/resources', { title: 'A document', resource_type: 'document' })
    expect(made.status).toBe(201)
    expect(made.body.resource.resource_type).toBe('document')
  })

  it('refuses anonymous callers before reading the body', async () => {
    const res = await request(t.server, '/api/v2/layers', { method: 'POST', body: { title: 'x' } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
  })
})

describe('creating geoapps and geostories', () => {
  it('creates a geoapp with name and owner, filling the uuid (spec 7 item 41)', async () => {
    const res = await post('/api/v2/geoapps', { geoapp: { name: 'Test Create', title: 'Test Create', owner: t.fx.plainUser } })
    expect(res.status, res.text).toBe(201)
    expect(res.body.geoapp.uuid).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.body.geoapp.owner.username).toBe(t.fx.plainUser)
  })

  it('answers the geoapp errors as bare lists', async () => {
    const noOwner = await post('/api/v2/geoapps', { name: 'No owner' })
    expect(noOwner.status).toBe(400)
    expect(noOwner.body).toEqual(["No valid data: 'name' and 'owner' are mandatory fields!"])
    const ghost = await post('/api/v2/geoapps', { name: 'Ghost owned', owner: 'nobody-here' })
    expect(ghost.body).toEqual(["The specified 'owner' does not exist!"])
    const again = await post('/api/v2/geoapps', { name: 'Test Create', owner: t.fx.plainUser })
    expect(again.body).toEqual(["A GeoApp with the same 'name' already exists!"])
  })

  it('follows the MapStore geostory save flow: JSON text data, echoed with include[]=data', async () => {
    const story = { type: 'cascade', sections: [{ type: 'title', id: 's1', title: 'Flood season', contents: [] }], settings: {} }
    const res = await post('/api/v2/geostories?include[]=data', { name: 'Flood season 1b2c', owner: t.fx.plainUser, title: 'Flood season', abstract: 'Story', data: JSON.stringify(story) })
    expect(res.status, res.text).toBe(201)
    expect(res.body.geostory).toMatchObject({ title: 'Flood season', resource_type: 'geostory', app_type: 'GeoStory', data: story })
    const pk = res.body.geostory.pk
    const update = await request(t.server, `/api/v2/geostories/${pk}?include[]=data`, { method: 'PATCH', who: user(t.fx.plainUser), body: { title: 'Flood season, revised', data: JSON.stringify({ ...story, settings: { theme: 'dark' } }) } })
    expect(update.status).toBe(200)
    expect(update.body.geostory.data.settings).toEqual({ theme: 'dark' })
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
