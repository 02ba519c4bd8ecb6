import { sample } from '../helpers/samples'
import type Sqlite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, envelopeKeys, request, startTestServer, user } from '../helpers/server'

// Typed endpoints /layers, /maps, /documents, /geoapps, /geostories and their actions (spec 2.2, 3.2-3.7, 1.8, 7).


let server: TestServer
let db: Sqlite.Database
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 200 })
  db = server.running.database.sqlite
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const rows = <T = any>(sql: string, ...params: unknown[]): T[] => db.prepare(sql).all(...params) as T[]
const one = <T = any>(sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T
const get = (path: string, who: Who = 'anonymous') => request(server, path, { who })
const numeric = (list: any[]) => list.map((r) => Number(r.pk)).sort((a, b) => a - b)
const lastChange = () => one('SELECT coalesce(max(seq), 0) AS seq FROM changes').seq

/** Sample keys, `links` included: every resource has its catalogue records' metadata links (spec 10 item 9). */
function keysFor(sampleObject: object, _id: number): string[] {
  return [...new Set([...Object.keys(sampleObject), 'links'])].sort()
}

/** Ids anonymous callers may view (view grant to the anonymous group; spec 4.4, typed endpoints). */
function anonymousViewable(types: string[]): number[] {
  return rows(
    `SELECT r.id FROM resources r WHERE r.metadata_only = 0 AND r.dirty_state = 0
       AND r.resource_type IN (${types.map(() => '?').join(',')})
       AND r.id IN (SELECT p.resource_id FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
                    WHERE g.name = 'anonymous' AND p.codename = 'view_resourcebase')
     ORDER BY r.id`,
    ...types
  ).map((r) => r.id)
}

const ENDPOINTS: [endpoint: string, plural: string, singular: string, types: string[]][] = [
  ['layers', 'layers', 'layer', ['layer']],
  ['maps', 'maps', 'map', ['map']],
  ['documents', 'documents', 'document', ['document']],
  ['geoapps', 'geoapps', 'geoapp', ['geoapp', 'geostory', 'dashboard']],
  ['geostories', 'geostories', 'geostory', ['geostory']]
]

describe('typed lists', () => {
  for (const [endpoint, plural, singular, types] of ENDPOINTS) {
    it(`/${endpoint} lists only ${types.join('/')} resources anonymous callers may view`, async () => {
      const expected = anonymousViewable(types)
      expect(expected.length).toBeGreaterThan(0)
      const res = await get(`/api/v2/${endpoint}?page_size=1000`)
      expect(res.status).toBe(200)
      expect(Object.keys(res.body).sort()).toEqual(envelopeKeys(plural))
      expect(numeric(res.body[plural])).toEqual(expected)
      for (const item of res.body[plural]) {
        expect(types).toContain(item.resource_type)
        expect(item.link).toBe(`${server.url}/api/v2/${endpoint}/${item.pk}`)
      }
      const detail = await get(`/api/v2/${endpoint}/${expected[0]}`)
      expect(Object.keys(detail.body)).toEqual([singular])
      expect(detail.body[singular].pk).toBe(String(expected[0]))
    })
  }

  it('answers 404 for an id of another type on a typed detail URL', async () => {
    for (const path of [`/api/v2/maps/${fx.vectorLayerId}`, `/api/v2/layers/${fx.mapId}`, `/api/v2/documents/${fx.vectorLayerId}`]) {
      const res = await get(path)
      expect(res.status, path).toBe(404)
      expect(res.body).toEqual({ detail: 'Not found.' })
    }
  })

  it('sorts and excludes ResourceBase fields on typed endpoints (spec 0.1)', async () => {
    const res = await get('/api/v2/layers?page_size=1000&sort[]=title&exclude[]=abstract', 'admin')
    expect(res.status).toBe(200)
    const titles = rows("SELECT title FROM resources WHERE resource_type = 'layer' ORDER BY title").map((r) => r.title)
    expect(res.body.layers.map((l: any) => l.title)).toEqual(titles)
    for (const item of res.body.layers) expect(item).not.toHaveProperty('abstract')
  })

  it('filters documents with filter{doc_type}[]= as the MapStore client sends it', async () => {
    const expected = anonymousViewable(['document']).filter((id) => one('SELECT doc_type FROM documents WHERE resource_id = ?', id).doc_type === 'image')
    expect(expected.length).toBeGreaterThan(0)
    const res = await get('/api/v2/documents?page_size=1000&filter{doc_type}[]=image')
    expect(numeric(res.body.documents)).toEqual(expected)
  })
})

describe('layers', () => {
  it('give the owner the keys of the layer detail sample', async () => {
    const res = await get(`/api/v2/layers/${fx.vectorLayerId}`, user(fx.plainUser))
    expect(res.status).toBe(200)
    expect(Object.keys(res.body.layer).sort()).toEqual(keysFor(sample('api_v2_layers_detail.json').layer, fx.vectorLayerId))
    const anonymous = await get(`/api/v2/layers/${fx.vectorLayerId}/`)
    expect(Object.keys(anonymous.body.layer).sort()).toEqual(keysFor(sample('api_v2_layers_detail.json').layer, fx.vectorLayerId).filter((k) => k !== 'favorite'))
  })

  for (const [name, id] of [['vector', () => fx.vectorLayerId], ['raster', () => fx.rasterLayerId]] as const) {
    it(`render the ${name} layer fields, attributes and styles the database holds`, async () => {
      const layer = (await get(`/api/v2/layers/${id()}`)).body.layer
      const row = one('SELECT * FROM layers WHERE resource_id = ?', id())
      expect([layer.name, layer.workspace, layer.store, layer.storeType, layer.charset]).toEqual([row.name, row.workspace, row.store, row.store_type, row.charset])
      expect(layer.storeType).toBe(name === 'vector' ? 'dataStore' : 'coverageStore')
      expect(layer.ptype).toBe('gxp_wmscsource')
      expect(layer.upload_session).toBe(row.upload_session_id)
      const attributeKeys = Object.keys(sample('api_v2_layers_detail.json').layer.attribute_set[0]).sort()
      const attributes = rows('SELECT * FROM layer_attributes WHERE layer_id = ? ORDER BY display_order', id())
      expect(attributes.length).toBeGreaterThan(0)
      expect(layer.attribute_set.map((a: any) => [a.pk, a.attribute, a.attribute_type, a.attribute_label, a.display_order])).toEqual(
        attributes.map((a) => [a.id, a.attribute, a.attribute_type, a.attribute_label, a.display_order])
      )
      for (const a of layer.attribute_set) {
        expect(Object.keys(a).sort()).toEqual(attributeKeys)
        expect(typeof a.visible).toBe('boolean')
        for (const stat of ['min', 'max', 'average', 'median', 'stddev', 'sum', 'unique_values']) expect(typeof a[stat]).toBe('string')
      }
      const styleKeys = Object.keys(sample('api_v2_layers_detail.json').layer.default_style).sort()
      expect(Object.keys(layer.default_style).sort()).toEqual(styleKeys)
      expect(layer.default_style.pk).toBe(row.default_style_id)
      expect(layer.default_style.name).toBe(one('SELECT name FROM styles WHERE id = ?', row.default_style_id).name)
      expect(layer.styles.map((s: any) => s.pk)).toContain(row.default_style_id)
    })
  }

  it("render ows_url as the OGC services' address, as GeoNode names its GeoServer's", async () => {
    const layer = (await get(`/api/v2/layers/${fx.vectorLayerId}`)).body.layer
    expect(layer).toHaveProperty('ows_url', `${server.url}/geoserver/ows`)
  })

  it('serve the SLD of the default style at its sld_url', async () => {
    const style = (await get(`/api/v2/layers/${fx.vectorLayerId}`)).body.layer.default_style
    const res = await fetch(style.sld_url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('StyledLayerDescriptor')
  })

  it('answer {field_name} routes: owner wrapped in user, keywords in keywords', async () => {
    const r = one('SELECT owner_id, poc_id FROM resources WHERE id = ?', fx.vectorLayerId)
    const owner = await get(`/api/v2/layers/${fx.vectorLayerId}/owner`)
    expect(owner.status).toBe(200)
    expect(Object.keys(owner.body)).toEqual(['user'])
    expect(Object.keys(owner.body.user).sort()).toEqual(Object.keys(sample('api_v2_layers_detail.json').layer.owner).sort())
    expect(owner.body.user.pk).toBe(r.owner_id)
    expect(owner.body.user.username).toBe(fx.plainUser)
    expect((await get(`/api/v2/layers/${fx.vectorLayerId}/poc`)).body.user.pk).toBe(r.poc_id)
    const keywords = await get(`/api/v2/layers/${fx.vectorLayerId}/keywords`)
    expect(Object.keys(keywords.body)).toEqual(['keywords'])
    const expected = rows('SELECT k.name, k.slug FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = ? ORDER BY k.slug', fx.vectorLayerId)
    expect(expected.length).toBeGreaterThan(0)
    expect([...keywords.body.keywords].sort((a: any, b: any) => (a.slug < b.slug ? -1 : 1))).toEqual(expected)
    const hidden = await get(`/api/v2/layers/${fx.privateLayerId}/owner`)
    expect(hidden.status).toBe(404)
    expect(hidden.body).toEqual({ detail: 'Not found.' })
  })
})

describe('maps', () => {
  it('render zoom, projection, center and suffixes from the database', async () => {
    const map = (await get(`/api/v2/maps/${fx.mapId}`)).body.map
    const row = one('SELECT * FROM maps WHERE resource_id = ?', fx.mapId)
    expect([map.zoom, map.projection, map.center_x, map.center_y, map.urlsuffix, map.featuredurl]).toEqual([
      row.zoom, row.projection, row.center_x, row.center_y, row.urlsuffix, row.featuredurl
    ])
    expect(Number.isInteger(map.zoom)).toBe(true)
  })

  it('list /maps/{id}/layers as a bare array of MapLayer objects in stack order', async () => {
    const res = await get(`/api/v2/maps/${fx.mapId}/layers`)
    expect(res.status).toBe(200)
    expect(Array.isArray(res.body)).toBe(true)
    const stored = rows('SELECT * FROM map_layers WHERE map_id = ? ORDER BY stack_order', fx.mapId)
    expect(stored.length).toBe(3)
    const keys = Object.keys(sample('mapstore_rest_resources_detail_full.json').layers[0]).sort()
    expect(res.body.map((l: any) => l.pk)).toEqual(stored.map((l) => l.id))
    res.body.forEach((l: any, i: number) => {
      const s = stored[i]
      expect(Object.keys(l).sort()).toEqual(keys)
      expect([l.name, l.store, l.stack_order, l.format, l.opacity, l.styles, l.group]).toEqual([s.name, s.store, s.stack_order, s.format, s.opacity, s.styles, s.group_name])
      expect([l.transparent, l.fixed, l.visibility, l.local]).toEqual([s.transparent === 1, s.fixed === 1, s.visibility === 1, s.local === 1])
      expect(l.ows_url === null || typeof l.ows_url === 'string').toBe(true)
      expect(JSON.parse(l.layer_params)).toEqual(JSON.parse(s.layer_params))
      expect(JSON.parse(l.source_params)).toEqual(JSON.parse(s.source_params))
    })
    expect(res.body[0].group).toBe('background')
    for (const path of [`/api/v2/maps/${fx.mapId}/layers/`, `/api/v2/maps/${fx.mapId}/local_layers/`, `/api/v2/documents/${fx.imageDocumentId}/linked_resources/`]) {
      expect((await get(path)).status, path).toBe(200)
    }
  })

  it('list /maps/{id}/local_layers as a bare array of layers rendered without request context', async () => {
    const res = await get(`/api/v2/maps/${fx.mapId}/local_layers`, user(fx.plainUser))
    expect(res.status).toBe(200)
    expect(Array.isArray(res.body)).toBe(true)
    const expected = rows('SELECT dataset_id FROM map_layers WHERE map_id = ? AND local = 1 ORDER BY stack_order', fx.mapId).map((r) => String(r.dataset_id))
    expect(res.body.map((l: any) => l.pk)).toEqual(expected)
    expect(expected).toEqual([String(fx.vectorLayerId), String(fx.rasterLayerId)])
    for (const layer of res.body) {
      expect(layer.resource_type).toBe('layer')
      expect(typeof layer.storeType).toBe('string')
      expect(layer.perms).toEqual([])
      expect(layer).not.toHaveProperty('favorite')
    }
  })
})

describe('documents', () => {
  it('render doc_type, extension, mime_type, name, href and the link embed_url', async () => {
    const doc = (await get(`/api/v2/documents/${fx.imageDocumentId}`)).body.document
    const row = one('SELECT d.*, r.title FROM documents d JOIN resources r ON r.id = d.resource_id WHERE d.resource_id = ?', fx.imageDocumentId)
    expect([doc.doc_type, doc.extension, doc.mime_type, doc.name]).toEqual([row.doc_type, row.extension, row.mime_type, row.title])
    expect(doc.doc_type).toBe('image')
    expect(doc.href).toBe(`${server.url}/documents/${fx.imageDocumentId}/download`)
    expect(doc.embed_url).toBe(`${server.url}/documents/${fx.imageDocumentId}/link`)
  })

  it('page linked_resources under the key resources', async () => {
    const res = await get(`/api/v2/documents/${fx.imageDocumentId}/linked_resources`)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
    const linked = rows('SELECT resource_id FROM document_links WHERE document_id = ? ORDER BY resource_id', fx.imageDocumentId).map((r) => r.resource_id)
    expect(linked).toEqual([fx.vectorLayerId])
    expect(numeric(res.body.resources)).toEqual(linked)
    expect(res.body.total).toBe(1)
  })
})

describe('geoapps and geostories', () => {
  const blob = (id: number) => JSON.parse(one('SELECT data FROM geoapps WHERE resource_id = ?', id).data)

  for (const [endpoint, plural] of [['geoapps', 'geoapps'], ['geostories', 'geostories']]) {
    it(`/${endpoint} renders data only with include[]=data`, async () => {
      const plain = await get(`/api/v2/${endpoint}?page_size=100`)
      expect(plain.body[plural].length).toBeGreaterThan(0)
      for (const item of plain.body[plural]) expect(item).not.toHaveProperty('data')
      const withData = await get(`/api/v2/${endpoint}?page_size=100&include[]=data`)
      for (const item of withData.body[plural]) expect(item.data).toEqual(blob(Number(item.pk)))
    })
  }

  it('renders a geostory detail with include[]=data with the keys of the sample', async () => {
    const id = anonymousViewable(['geostory'])[0]
    const res = await get(`/api/v2/geostories/${id}?include[]=data`, user(fx.plainUser))
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['geostory'])
    expect(Object.keys(res.body.geostory).sort()).toEqual(keysFor(sample('api_v2_geostories_detail_include_data.json').geostory, id))
    expect((await get(`/api/v2/geostories/${id}`, user(fx.plainUser))).body.geostory).not.toHaveProperty('data')
    const row = one('SELECT * FROM geoapps WHERE resource_id = ?', id)
    expect(res.body.geostory.app_type).toBe(row.app_type)
    expect(res.body.geostory.resource_type).toBe('geostory')
    expect(res.body.geostory.data).toEqual(JSON.parse(row.data))
    expect([res.body.geostory.zoom, res.body.geostory.projection, res.body.geostory.center_x]).toEqual([row.zoom, row.projection, row.center_x])
  })
})

describe('method rules (spec 1.2, 1.8)', () => {
  const writes: [method: string, detail: boolean][] = [
    ['POST', false], ['PATCH', false], ['DELETE', false], ['PUT', true], ['PATCH', true], ['DELETE', true]
  ]
  for (const [method, detail] of writes) {
    it(`refuses anonymous ${method} on /api/v2/layers${detail ? '/{id}' : ''} with 403 and changes nothing`, async () => {
      const before = [lastChange(), one('SELECT count(*) AS n FROM resources').n]
      const path = detail ? `/api/v2/layers/${fx.vectorLayerId}` : '/api/v2/layers'
      const body = method === 'DELETE' && !detail ? [{ id: fx.vectorLayerId }] : { title: 'changed by a stranger' }
      const res = await request(server, path, { method, body })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
      expect([lastChange(), one('SELECT count(*) AS n FROM resources').n]).toEqual(before)
      expect(one('SELECT title FROM resources WHERE id = ?', fx.vectorLayerId).title).not.toBe('changed by a stranger')
    })
  }

  it('answers PUT on the list URL by a signed-in user with 405', async () => {
    const before = lastChange()
    const res = await request(server, '/api/v2/layers', { method: 'PUT', who: user(fx.plainUser), body: { title: 'x' } })
    expect(res.status).toBe(405)
    expect(res.body).toEqual({ detail: 'Method "PUT" not allowed.' })
    expect(lastChange()).toBe(before)
  })
})

describe('server health', () => {
  it('logged no failure while answering this file', () => {
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})
