import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applicablePermissions } from '../../src-shared/api/permissions'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import {
  dataFolderEntries,
  extentOf,
  extentOfPolygon,
  fileBytes,
  fixtureBytes,
  getBytes,
  isoXml,
  pollUntil,
  postMultipart,
  sldXml,
  townsShapefile,
  townsUtm,
  uploadLayer,
  utm33ToLonLat
} from '../helpers/uploads'
import { buildZip } from '../helpers/fixtures-files'

// The upload wizard over HTTP (spec 2.5, 3.2, 3.10, 5): POST runs every step, PUT the first one.

const t = useSeededServer({ resources: 20 })
const { all, one } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)

const layerPk = (upload: number): number => one('SELECT layer_id FROM uploads WHERE id = ?', upload).layer_id
const anonymousGrants = (id: number) =>
  all("SELECT p.codename FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ? AND g.name = 'anonymous' ORDER BY 1", id).map((r) => r.codename)

/** The towns' extent in EPSG:4326, projected here from the .shp's own coordinates. */
const townsExtent = () => extentOf(townsUtm().map(utm33ToLonLat))

function expectExtent(actual: number[], expected: number[], digits = 6) {
  expect(actual).toHaveLength(4)
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits))
}

describe('POST /api/v2/uploads/upload/ with a shapefile', () => {
  let uploadId: number
  let pk: number

  it('answers the final step: finished, with the layer url, bbox and crs', async () => {
    const permissions = JSON.stringify({ users: { AnonymousUser: ['view_resourcebase'] }, groups: {} })
    const res = await uploadLayer(t.server, uploader(), townsShapefile({ cpg: true }), { permissions, charset: 'windows-1252', layer_title: 'Towns of the Alps', abstract: 'Three towns' })
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(['bbox', 'crs', 'id', 'status', 'success', 'url'])
    uploadId = res.body.id
    pk = layerPk(uploadId)
    expect(res.body).toEqual({
      status: 'finished',
      id: uploadId,
      url: '/layers/geonode_data:geonode:towns_utm33',
      bbox: expect.any(String),
      crs: { type: 'name', properties: 'EPSG:32633' },
      success: true
    })
    expectExtent(res.body.bbox.split(',').map(Number), townsExtent())
    expect(one('SELECT state, complete FROM uploads WHERE id = ?', uploadId)).toEqual({ state: 'PROCESSED', complete: 1 })
  })

  it('creates the layer as GeoNode describes it (spec 3.2)', async () => {
    const res = await request(t.server, `/api/v2/layers/${pk}`, { who: uploader() })
    expect(res.status, res.text).toBe(200)
    const layer = res.body.layer
    expect(layer).toMatchObject({
      pk: expect.anything(),
      title: 'Towns of the Alps',
      abstract: 'Three towns',
      alternate: 'geonode:towns_utm33',
      name: 'towns_utm33',
      storeType: 'dataStore',
      srid: 'EPSG:32633',
      resource_type: 'layer',
      owner: { username: t.fx.plainUser }
    })
    expect(Number(layer.pk)).toBe(pk)
    expectExtent(extentOfPolygon(layer.ll_bbox_polygon), townsExtent())
    // Europe, not a degenerate UTM-as-degrees box.
    expect(layer.ll_bbox_polygon.coordinates[0][0][0]).toBeGreaterThan(10)
    expect(layer.attribute_set.map((a: { attribute: string; attribute_type: string }) => [a.attribute, a.attribute_type])).toEqual([
      ['the_geom', 'gml:PointPropertyType'],
      ['name', 'xsd:string'],
      ['kind', 'xsd:string'],
      ['pop', 'xsd:int'],
      ['area', 'xsd:double']
    ])
    expect(layer.default_style).toMatchObject({ name: 'towns_utm33' })
    expect(layer.perms.slice().sort()).toEqual(applicablePermissions('layer', 'dataStore').slice().sort())
    expect(one('SELECT feature_count FROM layers WHERE resource_id = ?', pk).feature_count).toBe(3)
  })

  it('decodes the cp1252 attributes', async () => {
    const res = await request(t.server, `/api/v2/mapshelf/layers/${pk}/features`, { who: uploader() })
    expect(res.status, res.text).toBe(200)
    const names = res.body.features.map((f: { properties: { name: string } }) => f.properties.name).sort()
    expect(names).toEqual(['Wiener Straße', 'Ærøskøbing', 'Škofja Loka'].sort())
  })

  it('serves a PNG thumbnail at thumbnail_url', async () => {
    const layer = (await request(t.server, `/api/v2/layers/${pk}`, { who: uploader() })).body.layer
    expect(layer.thumbnail_url).toMatch(/uploaded\/thumbs\/[0-9a-f-]{36}\.png$/)
    const thumb = await getBytes(t.server, new URL(layer.thumbnail_url, t.server.url).pathname)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('content-type')).toMatch(/^image\/png/)
    expect(thumb.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  })

  it('grants what `permissions` says: anonymous may view, not download', async () => {
    expect(anonymousGrants(pk)).toEqual(['view_resourcebase'])
    expect((await request(t.server, `/api/v2/layers/${pk}`)).status).toBe(200)
    const list = await request(t.server, `/api/v2/layers?filter{name}=towns_utm33`)
    expect(list.body.layers.map((l: { pk: unknown }) => Number(l.pk))).toEqual([pk])
  })

  it('records the session: PROCESSED, progress 100, complete, with its files (spec 3.10)', async () => {
    const res = await request(t.server, `/api/v2/uploads/${uploadId}`, { who: uploader() })
    expect(res.status, res.text).toBe(200)
    const upload = res.body.upload
    expect(upload).toMatchObject({ id: uploadId, name: 'towns_utm33', state: 'PROCESSED', progress: 100, complete: true, import_id: uploadId, delete_url: null, resume_url: null })
    expect(upload.link).toBe(`${t.server.url}/api/v2/uploads/${uploadId}`)
    const files = upload.uploadfile_set as { pk: number; name: string; slug: string; base: boolean; file: string }[]
    expect(files.map((f) => [f.name, f.base]).sort()).toEqual([
      ['towns_utm33.cpg', false],
      ['towns_utm33.dbf', false],
      ['towns_utm33.prj', false],
      ['towns_utm33.shp', true],
      ['towns_utm33.shx', false]
    ])
    for (const f of files) {
      expect(Object.keys(f).sort()).toEqual(['base', 'file', 'name', 'pk', 'slug'])
      const got = await getBytes(t.server, new URL(f.file).pathname, uploader())
      expect(got.status, f.file).toBe(200)
      expect(got.bytes.equals(fixtureBytes(f.name)), f.name).toBe(true)
    }
  })

  it('keeps the originals under files/<uuid>/ and leaves tmp/uploads empty', () => {
    const { uuid } = one('SELECT uuid FROM resources WHERE id = ?', pk)
    const dir = join(t.server.dataDir, 'files', uuid)
    expect(existsSync(join(dir, 'thumbnail.png'))).toBe(true)
    expect(readFileSync(join(dir, 'original', 'towns_utm33.shp')).equals(fixtureBytes('towns_utm33.shp'))).toBe(true)
    expect(dataFolderEntries(t.server.dataDir).uploads).toEqual([])
  })

  it('names a second upload of the same file name_2, with default grants when no permissions are given', async () => {
    const res = await uploadLayer(t.server, uploader(), townsShapefile())
    expect(res.status, res.text).toBe(200)
    expect(res.body.url).toBe('/layers/geonode_data:geonode:towns_utm33_2')
    const second = layerPk(res.body.id)
    expect(second).not.toBe(pk)
    const layer = (await request(t.server, `/api/v2/layers/${second}`, { who: uploader() })).body.layer
    expect(layer).toMatchObject({ name: 'towns_utm33_2', alternate: 'geonode:towns_utm33_2', title: 'towns_utm33' })
    expect(anonymousGrants(second)).toEqual(['download_resourcebase', 'view_resourcebase'])
  })

  it('shows uploads to their owner and superusers only', async () => {
    expect((await request(t.server, `/api/v2/uploads/${uploadId}`, { who: user(t.fx.otherUser) })).status).toBe(404)
    expect((await request(t.server, `/api/v2/uploads/${uploadId}`, { who: 'admin' })).status).toBe(200)
    const anonymous = await request(t.server, '/api/v2/uploads')
    expect(anonymous.status).toBe(200)
    expect(anonymous.body.total).toBe(0)
  })
})

describe('metadata and style files', () => {
  it('fills title, abstract and keywords from an ISO xml_file, and takes the SLD as default_style', async () => {
    const files = [
      ...townsShapefile(),
      fileBytes('xml_file', 'towns_utm33.xml', isoXml('Alpine towns (ISO)', 'Abstract from the ISO record', ['towns', 'alps'])),
      fileBytes('sld_file', 'towns_utm33.sld', sldXml('red_towns', 'Red towns'))
    ]
    const res = await uploadLayer(t.server, uploader(), files)
    expect(res.status, res.text).toBe(200)
    const pk = layerPk(res.body.id)
    const layer = (await request(t.server, `/api/v2/layers/${pk}`, { who: uploader() })).body.layer
    expect(layer.title).toBe('Alpine towns (ISO)')
    expect(layer.abstract).toBe('Abstract from the ISO record')
    expect(layer.keywords.map((k: { name: string }) => k.name).sort()).toEqual(['alps', 'towns'])
    expect(layer.default_style).toMatchObject({ name: 'red_towns', sld_title: 'Red towns' })
    expect(one('SELECT s.sld_body FROM layers l JOIN styles s ON s.id = l.default_style_id WHERE l.resource_id = ?', pk).sld_body).toContain('<Name>red_towns</Name>')
  })

  it('lists the xml and sld files in uploadfile_set, each downloadable', async () => {
    const files = [...townsShapefile(), fileBytes('xml_file', 'meta.xml', isoXml('T', 'A', ['k'])), fileBytes('sld_file', 'style.sld', sldXml('s1', 'S1'))]
    const res = await uploadLayer(t.server, uploader(), files)
    expect(res.status, res.text).toBe(200)
    const upload = (await request(t.server, `/api/v2/uploads/${res.body.id}`, { who: uploader() })).body.upload
    const set = upload.uploadfile_set as { name: string; file: string }[]
    expect(set.map((f) => f.name).sort()).toEqual(['meta.xml', 'style.sld', 'towns_utm33.dbf', 'towns_utm33.prj', 'towns_utm33.shp', 'towns_utm33.shx'])
    for (const f of set) expect((await getBytes(t.server, new URL(f.file).pathname, uploader())).status, f.name).toBe(200)
    for (const row of all('SELECT file FROM upload_files WHERE upload_id = ?', res.body.id)) expect(existsSync(join(t.server.dataDir, row.file)), row.file).toBe(true)
  })
})

describe('a shapefile without .prj (the srs step)', () => {
  let id: number

  it('stops with required_input and the upload WAITING', async () => {
    const before = one('SELECT count(*) AS n FROM layers').n
    const res = await uploadLayer(t.server, uploader(), townsShapefile({ prj: false }))
    expect(res.status, res.text).toBe(200)
    id = res.body.id
    expect(res.body).toEqual({
      url: `/upload/?id=${id}`,
      status: 'incomplete',
      success: true,
      id,
      redirect_to: `/upload/srs?id=${id}&force_ajax=true`,
      required_input: true,
      error_msg: expect.stringContaining('coordinate reference system')
    })
    expect(one('SELECT state FROM uploads WHERE id = ?', id).state).toBe('WAITING')
    expect(one('SELECT count(*) AS n FROM layers').n).toBe(before)
    const upload = (await request(t.server, `/api/v2/uploads/${id}`, { who: uploader() })).body.upload
    expect(upload).toMatchObject({ state: 'WAITING', progress: 50, complete: false, resume_url: `/upload/srs?id=${id}`, delete_url: `/upload/delete/${id}` })
  })

  it('reports the wait on /upload/progress and /upload/final', async () => {
    const progress = await request(t.server, `/upload/progress?id=${id}`, { who: uploader() })
    expect(progress.status).toBe(200)
    expect(progress.body).toMatchObject({ state: 'NO_CRS' })
    const final = await request(t.server, `/upload/final?id=${id}`, { who: uploader() })
    expect(final.body).toMatchObject({ status: 'incomplete', required_input: true, id })
    expect((await request(t.server, `/upload/final?id=${id}`, { who: user(t.fx.otherUser) })).status).toBe(404)
  })

  it('finishes once srs=EPSG:32633 is posted to /upload/srs', async () => {
    const res = await request(t.server, `/upload/srs?id=${id}`, { method: 'POST', who: uploader(), form: { srs: 'EPSG:32633' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ status: 'finished', id, success: true, crs: { type: 'name', properties: 'EPSG:32633' } })
    const pk = layerPk(id)
    const layer = (await request(t.server, `/api/v2/layers/${pk}`, { who: uploader() })).body.layer
    expect(layer.srid).toBe('EPSG:32633')
    expectExtent(extentOfPolygon(layer.ll_bbox_polygon), townsExtent())
    expect(one('SELECT state, upload_dir FROM uploads WHERE id = ?', id)).toEqual({ state: 'PROCESSED', upload_dir: null })
    expect((await request(t.server, `/upload/progress?id=${id}`, { who: uploader() })).body).toMatchObject({ state: 'COMPLETE', progress: 100 })
    expect(dataFolderEntries(t.server.dataDir).uploads).toEqual([])
  })

  it('keeps the xml_file and sld_file of an upload that waited for its CRS', async () => {
    const files = [...townsShapefile({ prj: false }), fileBytes('xml_file', 'towns.xml', isoXml('Waited title', 'Waited abstract', ['waited'])), fileBytes('sld_file', 'towns.sld', sldXml('waited_style', 'Waited'))]
    const res = await uploadLayer(t.server, uploader(), files)
    expect(res.body.status).toBe('incomplete')
    const done = await request(t.server, `/upload/srs?id=${res.body.id}`, { method: 'POST', who: uploader(), form: { srs: 'EPSG:32633' } })
    expect(done.body.status, done.text).toBe('finished')
    const layer = (await request(t.server, `/api/v2/layers/${layerPk(res.body.id)}`, { who: uploader() })).body.layer
    expect(layer.title).toBe('Waited title')
    expect(layer.default_style.name).toBe('waited_style')
  })

  it("suggests CRSs for a waiting upload from its coordinates' range and the catalogue's own layers", async () => {
    // A layer of the catalogue in UTM 33N: the towns (metres, not degrees) fall in that zone's area of use.
    await uploadLayer(t.server, uploader(), townsShapefile())
    const res = await uploadLayer(t.server, uploader(), townsShapefile({ prj: false }))
    const hints = await request(t.server, `/api/v2/mapshelf/uploads/${res.body.id}/crs`, { who: uploader() })
    expect(hints.status, hints.text).toBe(200)
    const xs = townsUtm().map((p) => p[0])
    const ys = townsUtm().map((p) => p[1])
    expect(hints.body.extent.map((v: number) => Math.round(v))).toEqual([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].map(Math.round))
    expect(hints.body.degrees).toBe(false)
    expect(hints.body.suggestions[0]).toMatchObject({ epsg: 32633, name: 'WGS 84 / UTM zone 33N' })
    expect(hints.body.suggestions.map((s: { epsg: number }) => s.epsg)).not.toContain(4326)
    expect((await request(t.server, `/api/v2/mapshelf/uploads/${res.body.id}/crs`, { who: user(t.fx.otherUser) })).status).toBe(404)
    expect((await request(t.server, `/upload/delete/${res.body.id}`, { who: uploader() })).status).toBe(200)
  })

  it('finishes a zipped shapefile without .prj once its CRS is given (old GPS and field exports often lack one)', async () => {
    const zip = await buildZip(['shp', 'dbf', 'shx'].map((ext) => ({ name: `towns_utm33.${ext}`, data: fixtureBytes(`towns_utm33.${ext}`) })))
    const res = await uploadLayer(t.server, uploader(), [fileBytes('base_file', 'field_towns.zip', zip)])
    expect(res.body).toMatchObject({ status: 'incomplete', required_input: true })
    const done = await request(t.server, `/upload/srs?id=${res.body.id}`, { method: 'POST', who: uploader(), form: { srs: 'EPSG:32633' } })
    expect(done.status, done.text).toBe(200)
    expect(done.body, done.text).toMatchObject({ status: 'finished', success: true })
    const layer = (await request(t.server, `/api/v2/layers/${layerPk(res.body.id)}`, { who: uploader() })).body.layer
    expect(layer.srid).toBe('EPSG:32633')
    expectExtent(extentOfPolygon(layer.ll_bbox_polygon), townsExtent())
    expect(dataFolderEntries(t.server.dataDir).uploads).toEqual([])
  })

  it('GET /upload/delete/<id> removes a WAITING upload and its folder', async () => {
    const res = await uploadLayer(t.server, uploader(), townsShapefile({ prj: false }))
    const waiting = res.body.id as number
    const { upload_dir } = one('SELECT upload_dir FROM uploads WHERE id = ?', waiting)
    expect(upload_dir).toMatch(/^tmp\/uploads\//)
    expect(existsSync(join(t.server.dataDir, upload_dir))).toBe(true)
    expect((await request(t.server, `/upload/delete/${waiting}`, { who: user(t.fx.otherUser) })).status).toBe(404)
    const deleted = await request(t.server, `/upload/delete/${waiting}`, { who: uploader() })
    expect(deleted.status, deleted.text).toBe(200)
    expect(deleted.body).toEqual({ success: true })
    expect(existsSync(join(t.server.dataDir, upload_dir))).toBe(false)
    expect(one('SELECT count(*) AS n FROM uploads WHERE id = ?', waiting).n).toBe(0)
    expect(one('SELECT count(*) AS n FROM upload_files WHERE upload_id = ?', waiting).n).toBe(0)
    expect((await request(t.server, `/api/v2/uploads/${waiting}`, { who: uploader() })).status).toBe(404)
  })
})

describe('PUT /api/v2/uploads/upload/ (GeoNode 3.2)', () => {
  it('answers 201 with redirect_to, then /upload/final reaches finished', async () => {
    const res = await postMultipart(t.server, '/api/v2/uploads/upload/', { method: 'PUT', who: uploader(), files: [fileBytes('base_file', 'put_points.geojson', JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { a: 1 }, geometry: { type: 'Point', coordinates: [10, 50] } }] }))] })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ success: true, redirect_to: expect.stringMatching(/^\/upload\/final\?id=\d+/) })
    const id = res.body.id as number
    const final = await pollUntil(
      async () => (await request(t.server, `/upload/final?id=${id}`, { who: uploader() })).body,
      (body) => body.status !== 'running'
    )
    expect(final).toMatchObject({ status: 'finished', id, success: true, url: '/layers/geonode_data:geonode:put_points', crs: { type: 'name', properties: 'EPSG:4326' } })
    expect(final.bbox.split(',').map(Number)).toEqual([10, 50, 10, 50])
  })
})
