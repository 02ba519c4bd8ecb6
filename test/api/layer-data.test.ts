import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { dataFolderEntries, extentOf, extentOfPolygon, fileBytes, fileOnDisk, fixturePath, getBytes, pollUntil, postMultipart, townsShapefile, townsUtm, uploadLayer, utm33ToLonLat } from '../helpers/uploads'

// Layer data after an upload: features by bbox (and sampled), GeoJSON export, replace, delete.

const t = useSeededServer({ resources: 10 })
const { all, one } = groundTruth(() => t.server)
const owner = () => user(t.fx.plainUser)
const ANON_VIEW_ONLY = JSON.stringify({ users: { AnonymousUser: ['view_resourcebase'] }, groups: {} })
const PRIVATE = JSON.stringify({ users: {}, groups: {} })

type Feature = { geometry: { type: string; coordinates: any }; properties: Record<string, unknown> }

async function upload(files: Parameters<typeof uploadLayer>[2], fields: Record<string, string> = {}): Promise<number> {
  const res = await uploadLayer(t.server, owner(), files, fields)
  expect(res.status, res.text).toBe(200)
  expect(res.body.status, res.text).toBe('finished')
  return one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
}

const geojson = (features: { p: [number, number]; props: Record<string, unknown> }[]) =>
  JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', properties: f.props, geometry: { type: 'Point', coordinates: f.p } })) })

/** A 200 x 100 grid over lon -100..100, lat -50..50: 20,000 points spread over the whole extent. */
function gridGeoJson(): string {
  const parts: string[] = []
  for (let i = 0; i < 200; i++) for (let j = 0; j < 100; j++) parts.push(`{"type":"Feature","properties":{"i":${i},"j":${j}},"geometry":{"type":"Point","coordinates":[${-100 + i * (200 / 199)},${-50 + j * (100 / 99)}]}}`)
  return `{"type":"FeatureCollection","features":[${parts.join(',')}]}`
}

const featureRowsOfSet = (set: number) => one('SELECT count(*) AS n FROM layer_features WHERE feature_set_id = ?', set).n as number
const setOf = (pk: number) => one('SELECT feature_set_id FROM layers WHERE resource_id = ?', pk).feature_set_id as number

let towns: number
let viewOnly: number
let secret: number
let grid: number

beforeAll(async () => {
  towns = await upload(townsShapefile())
  viewOnly = await upload([fileBytes('base_file', 'view_only.geojson', geojson([{ p: [1, 1], props: { a: 1 } }, { p: [2, 2], props: { a: 2 } }]))], { permissions: ANON_VIEW_ONLY })
  secret = await upload([fileBytes('base_file', 'secret.geojson', geojson([{ p: [3, 3], props: { a: 3 } }]))], { permissions: PRIVATE })
  grid = await upload([fileBytes('base_file', 'grid.geojson', gridGeoJson())])
}, 60_000)

describe('GET /api/v2/mapshelf/layers/{pk}/data', () => {
  it("describes a vector layer: feature count, geometry type, native CRS and its first rows", async () => {
    const res = await request(t.server, `/api/v2/mapshelf/layers/${towns}/data`)
    expect(res.status, res.text).toBe(200)
    const names = all('SELECT feature FROM layer_features WHERE feature_set_id = ? ORDER BY fid', setOf(towns)).map((r) => JSON.parse(r.feature).properties)
    expect(res.body).toEqual({ kind: 'vector', feature_count: 3, geometry_type: 'Point', crs: { code: 'EPSG:32633', name: 'WGS 84 / UTM zone 33N', units: 'm' }, preview: names.map((properties, i) => ({ fid: expect.any(Number), properties })) })
    expect(res.body.preview.map((p: { fid: number }) => p.fid)).toEqual(all('SELECT fid FROM layer_features WHERE feature_set_id = ? ORDER BY fid', setOf(towns)).map((r) => r.fid))
  })

  it('describes a raster: size, band type, nodata, statistics of the valid pixels, resolution, CRS', async () => {
    const pk = await upload([fileOnDisk('base_file', fixturePath('cog-32633.tif'))])
    const res = await request(t.server, `/api/v2/mapshelf/layers/${pk}/data`, { who: owner() })
    expect(res.status, res.text).toBe(200)
    // Read independently with GDAL when the fixture was made: 256 x 256 Byte, nodata 0, valid pixels 1..254, mean 127.93.
    expect(res.body).toMatchObject({ kind: 'raster', width: 256, height: 256, resolution: [10, 10], crs: { code: 'EPSG:32633', name: 'WGS 84 / UTM zone 33N', units: 'm' }, overviews: 2 })
    expect(res.body.bands).toHaveLength(1)
    expect(res.body.bands[0]).toMatchObject({ band: 1, type: 'Byte', nodata: 0, min: 1, max: 254 })
    expect(res.body.bands[0].mean).toBeCloseTo(127.93, 1)
    expect(res.body.file_bytes).toBe(readFileSync(fixturePath('cog-32633.tif')).length)
  })

  it('says a catalogue record has no data here, and follows the view right', async () => {
    const record = await request(t.server, `/api/v2/mapshelf/layers/${t.fx.vectorLayerId}/data`, { who: 'admin' })
    expect(record.body).toEqual({ kind: 'none', reason: 'This layer is a catalogue record: its data are not in this catalogue.' })
    expect((await request(t.server, `/api/v2/mapshelf/layers/${secret}/data`)).status).toBe(404)
    expect((await request(t.server, `/api/v2/mapshelf/layers/${viewOnly}/data`)).status).toBe(200)
  })
})

describe('GET /api/v2/mapshelf/layers/{pk}/features', () => {
  const lonLat = () => townsUtm().map(utm33ToLonLat)

  it('answers every feature in EPSG:4326 without a bbox', async () => {
    const res = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features`)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ type: 'FeatureCollection', numberReturned: 3, sampled: false })
    expect(res.body.features).toHaveLength(3)
  })

  it('keeps features outside the bbox out', async () => {
    const [lon, lat] = lonLat()[0]!
    const res = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?bbox=${lon - 0.01},${lat - 0.01},${lon + 0.01},${lat + 0.01}`)
    expect(res.status).toBe(200)
    expect(res.body.features).toHaveLength(1)
    expect(res.body.features[0].geometry.coordinates[0]).toBeCloseTo(lon, 6)
    expect(res.body.features[0].geometry.coordinates[1]).toBeCloseTo(lat, 6)
    const nowhere = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?bbox=-10,-10,-9,-9`)
    expect(nowhere.body).toEqual({ type: 'FeatureCollection', numberReturned: 0, sampled: false, features: [] })
  })

  it('honours limit', async () => {
    // Over the limit the answer is a sample (a sampling level halves the set): at most `limit`.
    const res = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?limit=2`)
    expect(res.body.features.length).toBeGreaterThanOrEqual(1)
    expect(res.body.features.length).toBeLessThanOrEqual(2)
    const grid1000 = await request(t.server, `/api/v2/mapshelf/layers/${grid}/features?limit=1000&bbox=-100,-50,-60,-30`)
    expect(grid1000.body.features.length).toBeLessThanOrEqual(1000)
  })

  it('refuses a bbox with minx > maxx, and limit=0, naming the parameter', async () => {
    const bad = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?bbox=20,40,10,50`)
    expect(bad.status).toBe(400)
    expect(Object.keys(bad.body)).toEqual(['bbox'])
    const garbage = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?bbox=1,2,3`)
    expect(garbage.status).toBe(400)
    expect(Object.keys(garbage.body)).toEqual(['bbox'])
    const zero = await request(t.server, `/api/v2/mapshelf/layers/${towns}/features?limit=0`)
    expect(zero.status).toBe(400)
    expect(Object.keys(zero.body)).toEqual(['limit'])
  })

  it('answers 404 to anonymous on a layer it cannot view, 200 to its owner', async () => {
    expect(all("SELECT 1 FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ? AND g.name = 'anonymous'", secret)).toEqual([])
    const anonymous = await request(t.server, `/api/v2/mapshelf/layers/${secret}/features`)
    expect(anonymous.status).toBe(404)
    expect(anonymous.body).toEqual({ detail: 'Not found.' })
    expect((await request(t.server, `/api/v2/mapshelf/layers/${secret}/features`, { who: owner() })).status).toBe(200)
  })

  it('samples 20,000 points down to the limit, spread over the extent', async () => {
    expect(one('SELECT feature_count FROM layers WHERE resource_id = ?', grid).feature_count).toBe(20_000)
    const res = await request(t.server, `/api/v2/mapshelf/layers/${grid}/features?limit=1000&bbox=-180,-90,180,90`)
    expect(res.status).toBe(200)
    const features = res.body.features as Feature[]
    expect(res.body.sampled).toBe(true)
    expect(features.length).toBeLessThanOrEqual(1000)
    expect(features.length).toBeGreaterThan(100)
    expect(res.body.numberReturned).toBe(features.length)
    const quadrants = new Set(features.map((f) => `${f.geometry.coordinates[0] < 0 ? 'W' : 'E'}${f.geometry.coordinates[1] < 0 ? 'S' : 'N'}`))
    expect([...quadrants].sort()).toEqual(['EN', 'ES', 'WN', 'WS'])
    // Each quadrant holds a fair share, not a sliver.
    for (const q of quadrants) {
      const n = features.filter((f) => `${f.geometry.coordinates[0] < 0 ? 'W' : 'E'}${f.geometry.coordinates[1] < 0 ? 'S' : 'N'}` === q).length
      expect(n, q).toBeGreaterThan(features.length / 8)
    }
    const small = await request(t.server, `/api/v2/mapshelf/layers/${grid}/features?limit=1000&bbox=0,0,5,5`)
    expect(small.body.sampled).toBe(false)
    const inSmall = JSON.parse(gridGeoJson()).features.filter((f: Feature) => f.geometry.coordinates[0] >= 0 && f.geometry.coordinates[0] <= 5 && f.geometry.coordinates[1] >= 0 && f.geometry.coordinates[1] <= 5).length
    expect(inSmall).toBeGreaterThan(0)
    expect(small.body.features).toHaveLength(inSmall)
  })
})

describe('GeoJSON export', () => {
  it('streams every feature as an attachment', async () => {
    const res = await getBytes(t.server, `/api/v2/mapshelf/layers/${grid}/export?format=geojson`, owner())
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?grid\.geojson"?$/)
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/)
    const body = JSON.parse(res.bytes.toString('utf8'))
    expect(body.type).toBe('FeatureCollection')
    expect(body.features).toHaveLength(20_000)
    const keys = new Set(body.features.map((f: Feature) => `${f.properties.i}:${f.properties.j}`))
    expect(keys.size).toBe(20_000)
  })

  it('lets anonymous export a layer whose grants include anonymous download', async () => {
    expect(all("SELECT p.codename FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ? AND g.name = 'anonymous' ORDER BY 1", grid).map((r) => r.codename)).toEqual(['download_resourcebase', 'view_resourcebase'])
    const res = await getBytes(t.server, `/api/v2/mapshelf/layers/${grid}/export?format=geojson`)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.bytes.toString('utf8')).features).toHaveLength(20_000)
  })

  it('needs download permission: 403 for anonymous on a view-only layer', async () => {
    expect((await request(t.server, `/api/v2/layers/${viewOnly}`)).status).toBe(200)
    const res = await request(t.server, `/api/v2/mapshelf/layers/${viewOnly}/export?format=geojson`)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: expect.any(String) })
    expect((await request(t.server, `/api/v2/mapshelf/layers/${viewOnly}/export?format=geojson`, { who: owner() })).status).toBe(200)
  })
})

describe('PUT /api/v2/layers/{pk}/replace', () => {
  it('swaps the data: features, attributes and extent follow the new file; the old set is cleared', async () => {
    const pk = await upload([fileBytes('base_file', 'to_replace.geojson', geojson([{ p: [-5, -5], props: { old: 'x' } }, { p: [-4, -4], props: { old: 'y' } }, { p: [-3, -3], props: { old: 'z' } }, { p: [-2, -2], props: { old: 'w' } }]))])
    const oldSet = setOf(pk)
    expect(featureRowsOfSet(oldSet)).toBe(4)
    const res = await postMultipart(t.server, `/api/v2/layers/${pk}/replace`, { method: 'PUT', who: owner(), files: townsShapefile() })
    expect(res.status, res.text).toBe(200)
    expect(Object.keys(res.body)).toEqual(['layer'])
    const layer = res.body.layer
    expect(Number(layer.pk)).toBe(pk)
    expect(layer.name).toBe('to_replace')
    expect(layer.srid).toBe('EPSG:32633')
    expect(layer.attribute_set.map((a: { attribute: string }) => a.attribute)).toEqual(['the_geom', 'name', 'kind', 'pop', 'area'])
    const expected = extentOf(townsUtm().map(utm33ToLonLat))
    extentOfPolygon(layer.ll_bbox_polygon).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6))
    expect(one('SELECT feature_count FROM layers WHERE resource_id = ?', pk).feature_count).toBe(3)
    const features = await request(t.server, `/api/v2/mapshelf/layers/${pk}/features`)
    expect(features.body.features.map((f: Feature) => f.properties.pop as number).sort((a: number, b: number) => a - b)).toEqual([950, 1200, 170000])
    expect(setOf(pk)).not.toBe(oldSet)
    const left = await pollUntil(() => featureRowsOfSet(oldSet), (n) => n === 0, 10_000)
    expect(left).toBe(0)
    expect(one('SELECT count(*) AS n FROM feature_sets WHERE id = ?', oldSet).n).toBe(0)
    expect(one('SELECT count(*) AS n FROM layer_attributes WHERE layer_id = ?', pk).n).toBe(5)
  })

  it('answers 403 to a user without change permission, and changes nothing', async () => {
    const set = setOf(towns)
    const res = await postMultipart(t.server, `/api/v2/layers/${towns}/replace`, { method: 'PUT', who: user(t.fx.otherUser), files: [fileBytes('base_file', 'x.geojson', geojson([{ p: [0, 0], props: {} }]))] })
    expect(res.status).toBe(403)
    expect(setOf(towns)).toBe(set)
    expect((await postMultipart(t.server, `/api/v2/layers/${towns}/replace`, { method: 'PUT', files: townsShapefile() })).status).toBe(403)
  })

  it('refuses raster data for a vector layer (and the reverse) with 400', async () => {
    const set = setOf(towns)
    const folders = readdirCount()
    const res = await postMultipart(t.server, `/api/v2/layers/${towns}/replace`, { method: 'PUT', who: owner(), files: [fileOnDisk('base_file', fixturePath('cog-32633.tif'))] })
    expect(res.status, res.text).toBe(400)
    expect(res.body).toEqual({ success: false, errors: ['cog-32633.tif: a vector layer can only be replaced by vector data.'] })
    expect(setOf(towns)).toBe(set)
    expect(readdirCount()).toEqual(folders)
    const raster = t.fx.rasterLayerId
    const reverse = await postMultipart(t.server, `/api/v2/layers/${raster}/replace`, { method: 'PUT', who: 'admin', files: townsShapefile() })
    expect(reverse.status, reverse.text).toBe(400)
    expect(reverse.body).toEqual({ success: false, errors: ['towns_utm33.shp: a raster layer can only be replaced by raster data.'] })
  })

  it('gives a raster layer a new GeoTIFF, served whole and by range', async () => {
    const raster = t.fx.rasterLayerId
    const tif = readFileSync(fixturePath('cog-32633.tif'))
    const res = await postMultipart(t.server, `/api/v2/layers/${raster}/replace`, { method: 'PUT', who: 'admin', files: [fileOnDisk('base_file', fixturePath('cog-32633.tif'))] })
    expect(res.status, res.text).toBe(200)
    expect(res.body.layer).toMatchObject({ storeType: 'coverageStore', srid: 'EPSG:32633' })
    const whole = await getBytes(t.server, `/api/v2/mapshelf/layers/${raster}/raster`, 'admin')
    expect(whole.status).toBe(200)
    expect(whole.bytes.equals(tif)).toBe(true)
    const part = await getBytes(t.server, `/api/v2/mapshelf/layers/${raster}/raster`, 'admin', { range: 'bytes=0-99' })
    expect(part.status).toBe(206)
    expect(part.bytes.length).toBe(100)
  })
})

const readdirCount = () => dataFolderEntries(t.server.dataDir)

describe('DELETE /api/v2/layers/{pk}', () => {
  it('removes the layer folder under files/<uuid> and, eventually, its features', async () => {
    const pk = await upload([fileBytes('base_file', 'doomed.geojson', geojson(Array.from({ length: 50 }, (_, i) => ({ p: [i, i / 2] as [number, number], props: { i } }))))])
    const { uuid } = one('SELECT uuid FROM resources WHERE id = ?', pk)
    const set = setOf(pk)
    const dir = join(t.server.dataDir, 'files', uuid)
    expect(existsSync(dir)).toBe(true)
    expect(featureRowsOfSet(set)).toBe(50)
    const res = await request(t.server, `/api/v2/layers/${pk}`, { method: 'DELETE', who: owner() })
    expect(res.status, res.text).toBe(204)
    expect(existsSync(dir)).toBe(false)
    expect(await pollUntil(() => featureRowsOfSet(set), (n) => n === 0, 10_000)).toBe(0)
    expect(one('SELECT count(*) AS n FROM layer_feature_index WHERE minset <= ? AND maxset >= ?', set, set).n).toBe(0)
    expect((await request(t.server, `/api/v2/mapshelf/layers/${pk}/features`)).status).toBe(404)
  })
})
