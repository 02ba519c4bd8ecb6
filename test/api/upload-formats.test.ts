import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { buildZip } from '../helpers/fixtures-files'
import { extentOf, extentOfPolygon, fileBytes, fileOnDisk, fixtureBytes, fixturePath, getBytes, townsShapefile, townsUtm, uploadLayer, utm33ToLonLat } from '../helpers/uploads'

// One upload per accepted format (src-main/ingest/detect.ts LAYER_EXTENSIONS): the layer, its
// attributes, and its features back in EPSG:4326 from /api/v2/mapshelf/layers/{pk}/features.

const t = useSeededServer({ resources: 10 })
const { all, one } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)

type Feature = { type: 'Feature'; geometry: { type: string; coordinates: any }; properties: Record<string, unknown> }

/** Uploads, expects `finished`, and answers the created layers (by the upload session), oldest first. */
async function uploaded(files: Parameters<typeof uploadLayer>[2], fields: Record<string, string> = {}) {
  const res = await uploadLayer(t.server, uploader(), files, fields)
  expect(res.status, res.text).toBe(200)
  expect(res.body, res.text).toMatchObject({ status: 'finished', success: true })
  const ids = all('SELECT resource_id AS id FROM layers WHERE upload_session_id = ? ORDER BY resource_id', res.body.id).map((r) => r.id as number)
  const layers = []
  for (const id of ids) {
    const got = await request(t.server, `/api/v2/layers/${id}`, { who: uploader() })
    expect(got.status).toBe(200)
    layers.push(got.body.layer)
  }
  return { reply: res.body, layers }
}

async function featuresOf(pk: number): Promise<Feature[]> {
  const res = await request(t.server, `/api/v2/mapshelf/layers/${pk}/features`, { who: uploader() })
  expect(res.status, res.text).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/)
  expect(res.body.type).toBe('FeatureCollection')
  return JSON.parse(res.text).features
}

const attributes = (layer: { attribute_set: { attribute: string; attribute_type: string }[] }) => layer.attribute_set.map((a) => [a.attribute, a.attribute_type])

function expectPoints(features: Feature[], expected: [number, number][], digits = 6) {
  const got = features.map((f) => f.geometry.coordinates as [number, number]).sort((a, b) => a[0] - b[0])
  const want = expected.slice().sort((a, b) => a[0] - b[0])
  expect(got).toHaveLength(want.length)
  got.forEach((p, i) => {
    expect(p[0]).toBeCloseTo(want[i]![0], digits)
    expect(p[1]).toBeCloseTo(want[i]![1], digits)
  })
}

const TOWNS_ATTRIBUTES = [
  ['the_geom', 'gml:PointPropertyType'],
  ['name', 'xsd:string'],
  ['kind', 'xsd:string'],
  ['pop', 'xsd:int'],
  ['area', 'xsd:double']
]

describe('vector formats', () => {
  it('shapefile as loose parts (EPSG:32633 reprojected to 4326)', async () => {
    const { layers } = await uploaded(townsShapefile({ cpg: true }))
    expect(layers).toHaveLength(1)
    expect(layers[0]).toMatchObject({ name: 'towns_utm33', storeType: 'dataStore', srid: 'EPSG:32633' })
    expect(attributes(layers[0])).toEqual(TOWNS_ATTRIBUTES)
    const features = await featuresOf(Number(layers[0].pk))
    expectPoints(features, townsUtm().map(utm33ToLonLat))
    expect(features.find((f) => f.properties.pop === 950)?.properties).toMatchObject({ name: 'Ærøskøbing', kind: 'Hôtel', area: 3.25 })
  })

  it('shapefile zipped', async () => {
    const zip = await buildZip(['shp', 'shx', 'dbf', 'prj', 'cpg'].map((ext) => ({ name: `zipped_towns.${ext}`, data: fixtureBytes(`towns_utm33.${ext}`) })))
    const { layers } = await uploaded([fileBytes('base_file', 'zipped_towns.zip', zip)])
    expect(layers).toHaveLength(1)
    expect(layers[0]).toMatchObject({ name: 'zipped_towns', storeType: 'dataStore', srid: 'EPSG:32633' })
    expect(attributes(layers[0])).toEqual(TOWNS_ATTRIBUTES)
    expectPoints(await featuresOf(Number(layers[0].pk)), townsUtm().map(utm33ToLonLat))
    expect(extentOfPolygon(layers[0].ll_bbox_polygon).map((v) => +v.toFixed(6))).toEqual(extentOf(townsUtm().map(utm33ToLonLat)).map((v) => +v.toFixed(6)))
  })

  it('GeoJSON', async () => {
    const geojson = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { label: 'a', count: 1, ratio: 0.5, ok: true }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] } },
        { type: 'Feature', properties: { label: 'b', count: 2, ratio: 1.5, ok: false }, geometry: { type: 'Polygon', coordinates: [[[2, 2], [3, 2], [3, 3], [2, 3], [2, 2]]] } }
      ]
    }
    const { layers } = await uploaded([fileBytes('base_file', 'parcels.geojson', JSON.stringify(geojson))])
    expect(layers[0]).toMatchObject({ name: 'parcels', storeType: 'dataStore', srid: 'EPSG:4326' })
    expect(attributes(layers[0])).toEqual([
      ['the_geom', 'gml:PolygonPropertyType'],
      ['label', 'xsd:string'],
      ['count', 'xsd:int'],
      ['ratio', 'xsd:double'],
      ['ok', 'xsd:boolean']
    ])
    expect(extentOfPolygon(layers[0].ll_bbox_polygon)).toEqual([0, 0, 3, 3])
    const features = await featuresOf(Number(layers[0].pk))
    expect(features.map((f) => f.properties).sort((a, b) => String(a.label).localeCompare(String(b.label)))).toEqual([
      { label: 'a', count: 1, ratio: 0.5, ok: true },
      { label: 'b', count: 2, ratio: 1.5, ok: false }
    ])
    expect(features.map((f) => f.geometry.type)).toEqual(['Polygon', 'Polygon'])
  })

  it('GeoPackage: every table becomes a layer (mixed.gpkg: two)', async () => {
    const { layers } = await uploaded([fileOnDisk('base_file', fixturePath('mixed.gpkg'))])
    expect(layers.map((l) => [l.name, l.storeType, l.title]).sort()).toEqual([
      ['roads', 'dataStore', 'Main roads'],
      ['towns', 'dataStore', 'Towns of Europe']
    ])
    const roads = layers.find((l) => l.name === 'roads')
    const towns = layers.find((l) => l.name === 'towns')
    expect(roads.srid).toBe('EPSG:3857')
    expect(attributes(roads)).toEqual([
      ['the_geom', 'gml:LineStringPropertyType'],
      ['ref', 'xsd:string'],
      ['lanes', 'xsd:int'],
      ['open', 'xsd:date']
    ])
    expect(attributes(towns)).toEqual(TOWNS_ATTRIBUTES)
    const roadFeatures = await featuresOf(Number(roads.pk))
    expect(roadFeatures).toHaveLength(2)
    // 3857 metres came back as degrees: (1335833.889, 5621521.486) is 12°E 45°N.
    const first = roadFeatures.find((f) => f.properties.ref === 'A1')!
    expect(first.geometry.coordinates[0][0]).toBeCloseTo(12, 6)
    expect(first.geometry.coordinates[0][1]).toBeCloseTo(45, 6)
    expect(await featuresOf(Number(towns.pk))).toHaveLength(3)
    expect(one('SELECT count(*) AS n FROM layers WHERE feature_count IS NOT NULL AND resource_id IN (?, ?)', Number(roads.pk), Number(towns.pk)).n).toBe(2)
  })

  const KML = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>stops</name>
  <Placemark><name>Stop A</name><ExtendedData><Data name="line"><value>12</value></Data></ExtendedData><Point><coordinates>16.37,48.21</coordinates></Point></Placemark>
  <Placemark><name>Stop B</name><ExtendedData><Data name="line"><value>13</value></Data></ExtendedData><Point><coordinates>16.40,48.19,0</coordinates></Point></Placemark>
  <Placemark><name>Stop C</name><ExtendedData><Data name="line"><value>14</value></Data></ExtendedData><Point><coordinates>16.31,48.23</coordinates></Point></Placemark>
</Folder></Document></kml>`

  it('KML', async () => {
    const { layers } = await uploaded([fileBytes('base_file', 'stops.kml', KML)])
    expect(layers[0]).toMatchObject({ name: 'stops', storeType: 'dataStore', srid: 'EPSG:4326' })
    expect(attributes(layers[0])).toEqual(expect.arrayContaining([['the_geom', 'gml:PointPropertyType'], ['name', 'xsd:string'], ['line', 'xsd:int']]))
    expect(attributes(layers[0])[0]).toEqual(['the_geom', 'gml:PointPropertyType'])
    const features = await featuresOf(Number(layers[0].pk))
    expect(features.map((f) => [f.properties.name, f.properties.line]).sort()).toEqual([['Stop A', 12], ['Stop B', 13], ['Stop C', 14]])
    expectPoints(features, [[16.37, 48.21], [16.4, 48.19], [16.31, 48.23]])
  })

  it('KMZ', async () => {
    const kmz = await buildZip([{ name: 'doc.kml', data: KML }])
    const { layers } = await uploaded([fileBytes('base_file', 'stops_packed.kmz', kmz)])
    expect(layers[0]).toMatchObject({ name: 'stops_packed', storeType: 'dataStore' })
    expect(await featuresOf(Number(layers[0].pk))).toHaveLength(3)
  })

  it('GPX: waypoints and tracks become two layers', async () => {
    const gpx = `<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="47.1" lon="11.1"><name>Hut</name><ele>2100</ele></wpt>
  <wpt lat="47.2" lon="11.2"><name>Peak</name><ele>2900</ele></wpt>
  <trk><name>Ascent</name><trkseg><trkpt lat="47.1" lon="11.1"/><trkpt lat="47.15" lon="11.15"/><trkpt lat="47.2" lon="11.2"/></trkseg></trk>
</gpx>`
    const { layers } = await uploaded([fileBytes('base_file', 'hike.gpx', gpx)])
    expect(layers.map((l) => l.name).sort()).toEqual(['hike_tracks', 'hike_waypoints'])
    const waypoints = layers.find((l) => l.name === 'hike_waypoints')
    const tracks = layers.find((l) => l.name === 'hike_tracks')
    expect(attributes(waypoints)[0]).toEqual(['the_geom', 'gml:PointPropertyType'])
    expect(attributes(tracks)[0][1]).toMatch(/^gml:(Multi)?LineStringPropertyType$/)
    const points = await featuresOf(Number(waypoints.pk))
    expect(points.map((f) => f.properties.name).sort()).toEqual(['Hut', 'Peak'])
    expectPoints(points, [[11.1, 47.1], [11.2, 47.2]])
    const track = await featuresOf(Number(tracks.pk))
    expect(track).toHaveLength(1)
    expect(track[0]!.properties.name).toBe('Ascent')
  })

  it('CSV with lat/lon columns', async () => {
    const csv = 'id,name,lat,lon,height\n1,Alpha,46.5,7.5,10.5\n2,Beta,46.6,7.6,11\n3,Gamma,46.7,7.7,12.25\n4,Delta,46.8,7.8,13\n'
    const { layers } = await uploaded([fileBytes('base_file', 'stations.csv', csv)])
    expect(layers[0]).toMatchObject({ name: 'stations', storeType: 'dataStore', srid: 'EPSG:4326' })
    expect(attributes(layers[0])).toEqual([
      ['the_geom', 'gml:PointPropertyType'],
      ['id', 'xsd:int'],
      ['name', 'xsd:string'],
      ['lat', 'xsd:double'],
      ['lon', 'xsd:double'],
      ['height', 'xsd:double']
    ])
    const features = await featuresOf(Number(layers[0].pk))
    expect(features).toHaveLength(4)
    expectPoints(features, [[7.5, 46.5], [7.6, 46.6], [7.7, 46.7], [7.8, 46.8]])
    expect(features.find((f) => f.properties.name === 'Gamma')?.properties).toMatchObject({ id: 3, height: 12.25 })
    expect(extentOfPolygon(layers[0].ll_bbox_polygon)).toEqual([7.5, 46.5, 7.8, 46.8])
  })

  it('CSV with a WKT column', async () => {
    const csv = 'name,wkt\nriver,"LINESTRING (10 50, 11 51, 12 50.5)"\ncanal,"LINESTRING (9 49, 9.5 49.5)"\n'
    const { layers } = await uploaded([fileBytes('base_file', 'waterways.csv', csv)])
    expect(layers[0]).toMatchObject({ name: 'waterways', storeType: 'dataStore' })
    expect(attributes(layers[0])).toEqual([
      ['the_geom', 'gml:LineStringPropertyType'],
      ['name', 'xsd:string']
    ])
    const features = await featuresOf(Number(layers[0].pk))
    expect(features.map((f) => [f.properties.name, f.geometry.type, f.geometry.coordinates.length]).sort()).toEqual([
      ['canal', 'LineString', 2],
      ['river', 'LineString', 3]
    ])
    expect(extentOfPolygon(layers[0].ll_bbox_polygon)).toEqual([9, 49, 12, 51])
  })
})

describe('raster', () => {
  const tif = () => readFileSync(fixturePath('cog-32633.tif'))

  /** The layer a GeoTIFF upload made, and its file served whole and by range. */
  async function expectRasterLayer(files: Parameters<typeof uploadLayer>[2], name: string) {
    const { reply, layers } = await uploaded(files)
    expect(reply.crs).toEqual({ type: 'name', properties: 'EPSG:32633' })
    expect(layers).toHaveLength(1)
    const layer = layers[0]
    expect(layer).toMatchObject({ name, storeType: 'coverageStore', srid: 'EPSG:32633', alternate: `geonode:${name}` })
    expect(layer.attribute_set).toEqual([])
    // 500000..502560 E, 4997440..5000000 N in zone 33 is just east of 15°E, 45.1°N.
    const [minx, miny, maxx, maxy] = extentOfPolygon(layer.ll_bbox_polygon)
    expect(minx).toBeCloseTo(15, 4)
    expect(maxx).toBeGreaterThan(15.03)
    expect(maxx).toBeLessThan(15.04)
    expect(miny).toBeGreaterThan(45.1)
    expect(maxy).toBeLessThan(45.2)
    const pk = Number(layer.pk)
    const whole = await getBytes(t.server, `/api/v2/mapshelf/layers/${pk}/raster`, uploader())
    expect(whole.status).toBe(200)
    expect(whole.headers.get('content-type')).toMatch(/^image\/tiff/)
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    expect(whole.bytes.equals(tif())).toBe(true)
    const part = await getBytes(t.server, `/api/v2/mapshelf/layers/${pk}/raster`, uploader(), { range: 'bytes=0-99' })
    expect(part.status).toBe(206)
    expect(part.bytes.length).toBe(100)
    expect(part.bytes.equals(tif().subarray(0, 100))).toBe(true)
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${tif().length}`)
    const features = await request(t.server, `/api/v2/mapshelf/layers/${pk}/features`, { who: uploader() })
    expect(features.status).toBe(400)
    const thumb = await getBytes(t.server, new URL(layer.thumbnail_url, t.server.url).pathname)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('content-type')).toMatch(/^image\/png/)
  }

  it('GeoTIFF: a coverageStore layer whose file is served whole and by range', async () => {
    await expectRasterLayer([fileOnDisk('base_file', fixturePath('cog-32633.tif'))], 'cog_32633')
  })

  it('GeoTIFF in a zip: a coverageStore layer whose file is served whole and by range', async () => {
    const zip = await buildZip([{ name: 'zipped_cog.tif', data: tif() }])
    await expectRasterLayer([fileBytes('base_file', 'zipped_cog.zip', zip)], 'zipped_cog')
  })

  it('answers 404 on /raster for a vector layer', async () => {
    const { layers } = await uploaded([fileBytes('base_file', 'one_point.geojson', '{"type":"Point","coordinates":[1,2]}')])
    expect((await request(t.server, `/api/v2/mapshelf/layers/${layers[0].pk}/raster`, { who: uploader() })).status).toBe(404)
  })
})
