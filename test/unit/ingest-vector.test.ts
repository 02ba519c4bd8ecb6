import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Feature, Geometry, LineString, Point } from 'geojson'
import iconv from 'iconv-lite'
import yazl from 'yazl'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FieldInferrer,
  GeometryTypeCollector,
  dbfFieldType,
  geometryPropertyType,
  sqliteColumnType,
  textType,
  widenType
} from '../../src-main/ingest/attributes'
import {
  bboxOf,
  bboxToWgs84,
  checkLonLatBbox,
  crsFromEpsg,
  crsFromPrj,
  epsgFromName,
  reprojectGeometry,
  transformerToWgs84,
  type Bbox
} from '../../src-main/ingest/crs'
import { openCsv } from '../../src-main/ingest/csv.reader'
import { FeatureSplitter, openGeoJson } from '../../src-main/ingest/geojson.reader'
import { openGeoPackage, parseGpkgGeometry } from '../../src-main/ingest/geopackage.reader'
import { openGpx } from '../../src-main/ingest/gpx.reader'
import { openKml, openKmz } from '../../src-main/ingest/kml.reader'
import { normalizeCharset, openShapefile } from '../../src-main/ingest/shapefile.reader'
import { IngestError, type VectorSource } from '../../src-main/ingest/types'
import { PRJ_WGS84_ESRI, gpkgBlob, writeGeoPackage, writePointsGeoJson, writeShapefile, type DbfFieldSpec } from '../helpers/fixtures-vector'

const FIXTURES = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url))
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mapshelf-vector-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function readAll(source: VectorSource): Promise<{ features: Feature<Geometry | null>[]; batches: number[] }> {
  const features: Feature<Geometry | null>[] = []
  const batches: number[] = []
  for await (const batch of source.features()) {
    batches.push(batch.length)
    features.push(...batch)
  }
  return { features, batches }
}

function write(name: string, text: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

async function ingestError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(IngestError)
  return (error as IngestError).message
}

const utm33Wkt = JSON.parse(readFileSync(join(FIXTURES, '../../../node_modules/epsg-index/s/25833.json'), 'utf8')).wkt as string

describe('crs', () => {
  it('builds EPSG definitions from the index, with 4326 and 3857 built in', () => {
    expect(crsFromEpsg(4326)).toEqual({ epsg: 4326, definition: 'EPSG:4326' })
    expect(crsFromEpsg(3857)).toEqual({ epsg: 3857, definition: 'EPSG:3857' })
    expect(crsFromEpsg(32633)).toEqual({ epsg: 32633, definition: '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs +type=crs' })
    expect(() => crsFromEpsg(999999)).toThrow('EPSG:999999: unknown EPSG code')
  })

  it('finds the EPSG code of ESRI .prj files by name', () => {
    expect(crsFromPrj(PRJ_WGS84_ESRI, 'a.prj').epsg).toBe(4326)
    expect(crsFromPrj(readFileSync(join(FIXTURES, 'towns_utm33.prj'), 'utf8'), 'towns_utm33.prj').epsg).toBe(32633)
    expect(epsgFromName('WGS_84_UTM_zone_33N')).toBe(32633)
    expect(epsgFromName('WGS 84 / UTM zone 18S')).toBe(32718)
    expect(epsgFromName('NAD_1983_UTM_Zone_10N')).toBe(26910)
    expect(epsgFromName('ETRS_1989_UTM_Zone_32N')).toBe(25832)
    expect(epsgFromName('WGS_1984_Web_Mercator_Auxiliary_Sphere')).toBe(3857)
    expect(epsgFromName('My local grid')).toBeNull()
  })

  it('reads the EPSG code from the root AUTHORITY of an OGC WKT', () => {
    expect(crsFromPrj(utm33Wkt, 'b.prj')).toEqual(crsFromEpsg(25833))
  })

  it('keeps the WKT when a known name is attached to different parameters', () => {
    const lying = readFileSync(join(FIXTURES, 'towns_utm33.prj'), 'utf8').replace('"Central_Meridian",15.0', '"Central_Meridian",16.0')
    const crs = crsFromPrj(lying, 'c.prj')
    expect(crs.epsg).toBeNull()
    expect(crs.definition).toBe(lying)
    const [lon] = transformerToWgs84(crs)([500000, 5000000])
    expect(lon).toBeCloseTo(16, 6)
  })

  it('refuses garbage .prj files', () => {
    expect(() => crsFromPrj('hello world', 'roads.prj')).toThrow(
      'roads.prj: the projection (.prj) cannot be read: it is not WKT (starts with "hello world")'
    )
    expect(() => crsFromPrj('PROJCS["x",GEOGCS["y"', 'roads.prj')).toThrow(
      'roads.prj: the projection (.prj) cannot be read: its brackets or quotes do not match'
    )
    expect(() => crsFromPrj('', 'roads.prj')).toThrow('roads.prj: the projection (.prj) cannot be read: it is empty')
  })

  it('transforms and reprojects geometries to lon/lat', () => {
    const toWgs84 = transformerToWgs84(crsFromEpsg(32633))
    const [lon, lat] = toWgs84([500000, 0])
    expect(lon).toBeCloseTo(15, 9)
    expect(lat).toBeCloseTo(0, 9)
    const identity = transformerToWgs84(crsFromEpsg(4326))
    expect(identity([1, 2])).toEqual([1, 2])
    const polygon = reprojectGeometry(
      { type: 'Polygon', coordinates: [[[0, 0, 5], [1113194.9079, 0, 5], [1113194.9079, 1118889.9749, 5], [0, 0, 5]]] },
      transformerToWgs84(crsFromEpsg(3857))
    )
    expect(polygon.coordinates[0][1][0]).toBeCloseTo(10, 6)
    expect(polygon.coordinates[0][2][1]).toBeCloseTo(10, 4)
    expect(polygon.coordinates[0][0][2]).toBe(5)
    expect(bboxOf(polygon)?.map((v) => +v.toFixed(4))).toEqual([0, 0, 10, 10])
    expect(bboxOf({ type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [3, -1] }, { type: 'Point', coordinates: [-2, 4] }] })).toEqual([
      -2, -1, 3, 4
    ])
    expect(bboxOf({ type: 'MultiPoint', coordinates: [] })).toBeNull()
  })

  it('densifies bbox edges: a UTM box becomes the lon/lat box of its curved edges', () => {
    const bbox: Bbox = [200000, 5000000, 800000, 6000000]
    const crs = crsFromEpsg(32633)
    const result = bboxToWgs84(bbox, crs)
    // Reference: a very dense sample of the edges.
    const t = transformerToWgs84(crs)
    const ref: Bbox = [Infinity, Infinity, -Infinity, -Infinity]
    for (let i = 0; i <= 2000; i++) {
      const x = 200000 + 600000 * (i / 2000)
      const y = 5000000 + 1000000 * (i / 2000)
      for (const [lon, lat] of [t([x, 5000000]), t([x, 6000000]), t([200000, y]), t([800000, y])]) {
        ref[0] = Math.min(ref[0], lon)
        ref[1] = Math.min(ref[1], lat)
        ref[2] = Math.max(ref[2], lon)
        ref[3] = Math.max(ref[3], lat)
      }
    }
    result.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 2))
    // The corners alone miss the bulge of the northern edge (its midpoint lies further north).
    const corners = [t([200000, 6000000]), t([800000, 6000000])]
    expect(result[3]).toBeGreaterThan(Math.max(corners[0][1], corners[1][1]) + 0.05)
    expect(() => checkLonLatBbox([500000, 0, 600000, 10], 'x.shp')).toThrow('x.shp: the coordinates are not longitude/latitude degrees')
    expect(() => checkLonLatBbox(result, 'x.shp')).not.toThrow()
  })
})

describe('attributes', () => {
  it('types text cells', () => {
    expect(['12', '-3', '3000000000', '1.5', '1e3', '007', 'true', 'FALSE', '2024-02-29', '2024-02-29T10:00:00Z', '2024-13-01', 'abc', ''].map(textType)).toEqual([
      'xsd:int',
      'xsd:int',
      'xsd:long',
      'xsd:double',
      'xsd:double',
      'xsd:string',
      'xsd:boolean',
      'xsd:boolean',
      'xsd:date',
      'xsd:dateTime',
      'xsd:string',
      'xsd:string',
      null
    ])
    expect(widenType('xsd:int', 'xsd:long')).toBe('xsd:long')
    expect(widenType('xsd:long', 'xsd:double')).toBe('xsd:double')
    expect(widenType('xsd:date', 'xsd:dateTime')).toBe('xsd:dateTime')
    expect(widenType('xsd:int', 'xsd:boolean')).toBe('xsd:string')
  })

  it('maps dBase and SQLite types to GeoServer names', () => {
    expect(dbfFieldType('N', 9, 0)).toBe('xsd:int')
    expect(dbfFieldType('N', 10, 0)).toBe('xsd:long')
    expect(dbfFieldType('N', 19, 0)).toBe('xsd:double')
    expect(dbfFieldType('N', 12, 3)).toBe('xsd:double')
    expect(dbfFieldType('C', 50, 0)).toBe('xsd:string')
    expect(dbfFieldType('D', 8, 0)).toBe('xsd:date')
    expect(dbfFieldType('L', 1, 0)).toBe('xsd:boolean')
    expect(dbfFieldType('M', 10, 0)).toBeNull()
    expect(['INTEGER', 'MEDIUMINT', 'BOOLEAN', 'REAL', 'DOUBLE', 'TEXT(20)', 'DATE', 'DATETIME', 'BLOB'].map(sqliteColumnType)).toEqual([
      'xsd:long',
      'xsd:int',
      'xsd:boolean',
      'xsd:double',
      'xsd:double',
      'xsd:string',
      'xsd:date',
      'xsd:dateTime',
      null
    ])
  })

  it('infers fields in first-seen order and merges geometry types', () => {
    const inferrer = new FieldInferrer()
    inferrer.observe({ a: 1, b: null, c: 'x' })
    inferrer.observe({ a: 2.5, d: { nested: true }, c: 3 })
    expect(inferrer.fields()).toEqual([
      { name: 'a', type: 'xsd:double' },
      { name: 'b', type: 'xsd:string' },
      { name: 'c', type: 'xsd:string' },
      { name: 'd', type: 'xsd:string' }
    ])
    const geometries = new GeometryTypeCollector()
    geometries.add({ type: 'Polygon', coordinates: [] })
    geometries.add({ type: 'MultiPolygon', coordinates: [] })
    expect(geometries.propertyType).toBe('gml:MultiPolygonPropertyType')
    geometries.add({ type: 'Point', coordinates: [0, 0] })
    expect(geometries.propertyType).toBe('gml:GeometryPropertyType')
    expect(geometryPropertyType('MULTILINESTRING')).toBe('gml:MultiLineStringPropertyType')
    expect(geometryPropertyType('GEOMETRY')).toBe('gml:GeometryPropertyType')
  })
})

describe('openShapefile', () => {
  const fields: DbfFieldSpec[] = [
    { name: 'name', type: 'C', length: 20 },
    { name: 'lanes', type: 'N', length: 4 },
    { name: 'length_km', type: 'N', length: 12, decimals: 3 },
    { name: 'opened', type: 'D', length: 8 },
    { name: 'paved', type: 'L', length: 1 }
  ]
  const records = [
    { shape: { type: 'polyline' as const, parts: [[[10, 45], [11, 46]], [[12, 46], [12.5, 46.5]]] as [number, number][][] }, values: ['Grüne Straße', 2, 12.345, '2001-05-03', true] },
    { shape: null, values: ['Øresund', null, null, null, false] },
    { shape: { type: 'polyline' as const, parts: [[[1, 2], [3, 4]]] as [number, number][][] }, values: [null, 4, 0.5, null, null] }
  ]

  it('reads the committed EPSG:32633 cp1252 shapefile written by GDAL', async () => {
    const base = join(FIXTURES, 'towns_utm33')
    const source = await openShapefile({ shp: `${base}.shp`, dbf: `${base}.dbf`, shx: `${base}.shx`, prj: `${base}.prj`, cpg: `${base}.cpg` }, { charset: 'UTF-8' })
    expect(source).toMatchObject({ name: 'towns_utm33', file: 'towns_utm33.shp', format: 'shapefile', charset: 'windows-1252', countHint: 3 })
    expect(source.crs?.epsg).toBe(32633)
    expect(source.geometryType).toBe('gml:PointPropertyType')
    expect(source.fields).toEqual([
      { name: 'name', type: 'xsd:string' },
      { name: 'kind', type: 'xsd:string' },
      { name: 'pop', type: 'xsd:int' },
      { name: 'area', type: 'xsd:double' }
    ])
    const { features } = await readAll(source)
    expect(features.map((f) => f.properties)).toEqual([
      { name: 'Wiener Straße', kind: 'Café', pop: 1200, area: 12.5 },
      { name: 'Ærøskøbing', kind: 'Hôtel', pop: 950, area: 3.25 },
      { name: 'Škofja Loka', kind: 'Brauerei', pop: 170000, area: 137.67 }
    ])
    const toWgs84 = transformerToWgs84(source.crs!)
    const [lon, lat] = toWgs84((features[0].geometry as Point).coordinates as [number, number])
    expect(lon).toBeCloseTo(15, 6)
    expect(lat).toBeCloseTo(48, 6)
  })

  it('reads lines, nulls, dates and booleans with the .cpg charset, and no .prj means no CRS', async () => {
    const paths = writeShapefile({ dir, name: 'roads', shapeType: 3, fields, records, charset: 'utf8', cpg: 'UTF-8' })
    const source = await openShapefile(paths)
    expect(source.crs).toBeNull()
    expect(source.charset).toBe('UTF-8')
    expect(source.geometryType).toBe('gml:MultiLineStringPropertyType')
    expect(source.fields).toEqual([
      { name: 'name', type: 'xsd:string' },
      { name: 'lanes', type: 'xsd:int' },
      { name: 'length_km', type: 'xsd:double' },
      { name: 'opened', type: 'xsd:date' },
      { name: 'paved', type: 'xsd:boolean' }
    ])
    const { features } = await readAll(source)
    expect(features).toEqual([
      {
        type: 'Feature',
        properties: { name: 'Grüne Straße', lanes: 2, length_km: 12.345, opened: '2001-05-03', paved: true },
        geometry: { type: 'MultiLineString', coordinates: [[[10, 45], [11, 46]], [[12, 46], [12.5, 46.5]]] }
      },
      { type: 'Feature', properties: { name: 'Øresund', lanes: null, length_km: null, opened: null, paved: false }, geometry: null },
      {
        type: 'Feature',
        properties: { name: null, lanes: 4, length_km: 0.5, opened: null, paved: null },
        geometry: { type: 'LineString', coordinates: [[1, 2], [3, 4]] }
      }
    ])
  })

  it('decodes the dbf with the charset option when there is no .cpg, and the language driver otherwise', async () => {
    const sub = mkdtempSync(join(dir, 'latin-'))
    const paths = writeShapefile({ dir: sub, name: 'places', shapeType: 1, fields: [{ name: 'name', type: 'C', length: 20 }], records: [{ shape: { type: 'point', coordinates: [1, 2] }, values: ['Škoda Čáslav'] }], charset: 'cp1250', languageDriver: 0xc8 })
    expect((await readAll(await openShapefile(paths, { charset: 'windows-1250' }))).features[0].properties).toEqual({ name: 'Škoda Čáslav' })
    const byDriver = await openShapefile(paths)
    expect(byDriver.charset).toBe('cp1250')
    expect((await readAll(byDriver)).features[0].properties).toEqual({ name: 'Škoda Čáslav' })
    expect(await ingestError(openShapefile(paths, { charset: 'klingon' }))).toBe('places.shp: unknown charset "klingon"')
    expect(normalizeCharset('ANSI 1252')).toBe('cp1252')
    expect(normalizeCharset('88591')).toBe('latin1')
    expect(normalizeCharset('UTF8')).toBe('utf8')
  })

  it('reads polygons with holes and reads the .prj', async () => {
    const sub = mkdtempSync(join(dir, 'poly-'))
    const outer: [number, number][] = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]
    const hole: [number, number][] = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]
    const paths = writeShapefile({ dir: sub, name: 'parcels', shapeType: 5, fields: [{ name: 'id', type: 'N', length: 9 }], records: [{ shape: { type: 'polygon', rings: [outer, hole] }, values: [7] }], prj: PRJ_WGS84_ESRI })
    const source = await openShapefile(paths)
    expect(source.crs).toEqual({ epsg: 4326, definition: 'EPSG:4326' })
    expect(source.geometryType).toBe('gml:MultiPolygonPropertyType')
    const [feature] = (await readAll(source)).features
    expect(feature.geometry).toEqual({ type: 'Polygon', coordinates: [outer, hole] })
  })

  it('streams in batches of at most 2,000 features', async () => {
    const sub = mkdtempSync(join(dir, 'many-'))
    const many = Array.from({ length: 4500 }, (_, i) => ({ shape: { type: 'point' as const, coordinates: [i, -i] as [number, number] }, values: [i] }))
    const paths = writeShapefile({ dir: sub, name: 'many', shapeType: 1, fields: [{ name: 'n', type: 'N', length: 9 }], records: many })
    const source = await openShapefile(paths)
    expect(source.countHint).toBe(4500)
    const { features, batches } = await readAll(source)
    expect(batches).toEqual([2000, 2000, 500])
    expect(features[4499]).toEqual({ type: 'Feature', properties: { n: 4499 }, geometry: { type: 'Point', coordinates: [4499, -4499] } })
  })

  it('refuses a shapefile without its .dbf or .shx', async () => {
    const sub = mkdtempSync(join(dir, 'missing-'))
    const paths = writeShapefile({ dir: sub, name: 'roads', shapeType: 3, fields, records })
    expect(await ingestError(openShapefile({ shp: paths.shp, shx: paths.shx }))).toBe(
      'roads.shp: the shapefile has no .dbf file (attributes): add roads.dbf to the upload'
    )
    expect(await ingestError(openShapefile({ shp: paths.shp, dbf: paths.dbf }))).toBe(
      'roads.shp: the shapefile has no .shx file (index): add roads.shx to the upload'
    )
    rmSync(paths.dbf)
    expect(await ingestError(openShapefile(paths))).toBe('roads.shp: the shapefile has no .dbf file (attributes): add roads.dbf to the upload')
  })

  it('refuses a broken .prj', async () => {
    const sub = mkdtempSync(join(dir, 'prj-'))
    const paths = writeShapefile({ dir: sub, name: 'roads', shapeType: 3, fields, records, prj: 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"' })
    expect(await ingestError(openShapefile(paths))).toBe('roads.prj: the projection (.prj) cannot be read: its brackets or quotes do not match')
  })

  it('refuses side-cars that do not belong together', async () => {
    const a = writeShapefile({ dir: mkdtempSync(join(dir, 'a-')), name: 'roads', shapeType: 3, fields, records })
    const b = writeShapefile({ dir: mkdtempSync(join(dir, 'b-')), name: 'roads', shapeType: 3, fields, records: records.slice(0, 2) })
    expect(await ingestError(openShapefile({ ...a, dbf: b.dbf }))).toBe(
      'roads.shp: the .shp/.shx/.dbf files do not match: roads.shx indexes 3 records but roads.dbf has 2'
    )
    expect(await ingestError(openShapefile({ ...a, shx: b.shx }))).toBe(
      'roads.shp: the .shp and .shx files do not match: roads.shx indexes records up to byte 236 but roads.shp has 324 bytes'
    )
    const c = writeShapefile({ dir: mkdtempSync(join(dir, 'c-')), name: 'streets', shapeType: 3, fields, records })
    expect(await ingestError(openShapefile({ ...a, dbf: c.dbf }))).toBe("roads.shp: the side-car files do not share the shapefile's name: streets.dbf")
  })
})

describe('FeatureSplitter', () => {
  const doc = Buffer.from(
    '\uFEFF{"type":"FeatureCollection","name":"t\\"[{","features":[ {"type":"Feature","properties":{"s":"a \\\\\\" ] } [ {","features":[1]},"geometry":null} ,\n' +
      '{"type":"Feature","properties":{"ü":"ñ€😀"},"geometry":{"type":"Point","coordinates":[1,2]}}],"crs":{"type":"name","properties":{"name":"EPSG:3857"}}}\n'
  )

  it('splits features and keeps the rest of the document, whatever the chunk size', () => {
    const expected = [
      { type: 'Feature', properties: { s: 'a \\" ] } [ {', features: [1] }, geometry: null },
      { type: 'Feature', properties: { ü: 'ñ€😀' }, geometry: { type: 'Point', coordinates: [1, 2] } }
    ]
    for (const size of [1, 2, 3, 5, 7, 16, 64, doc.length]) {
      const splitter = new FeatureSplitter()
      const elements: unknown[] = []
      for (let i = 0; i < doc.length; i += size) splitter.feed(doc.subarray(i, i + size), (json) => elements.push(JSON.parse(json)))
      expect(elements, `chunk size ${size}`).toEqual(expected)
      expect(JSON.parse(splitter.end()), `chunk size ${size}`).toEqual({
        type: 'FeatureCollection',
        name: 't"[{',
        features: [],
        crs: { type: 'name', properties: { name: 'EPSG:3857' } }
      })
    }
  })

  it('reports structural errors with their byte offset', () => {
    const errors = ['{"features":[{"a":1}{"b":2}]}', '{"features":[1]}', '{"features":[{"a":[}]}', '{"a":1}}', '{"features":[{"a":1},]}']
    const messages = errors.map((text) => {
      try {
        const splitter = new FeatureSplitter()
        splitter.feed(Buffer.from(text), () => undefined)
        splitter.end()
        return 'ok'
      } catch (error) {
        return (error as Error).message
      }
    })
    expect(messages).toEqual([
      "expected ',' or ']' after a feature at byte 20",
      "unexpected '1': features must be objects at byte 13",
      "unexpected '}' at byte 19",
      "unexpected '}' after the end of the document at byte 7",
      "unexpected ']' after ',' at byte 21"
    ])
  })
})

describe('openGeoJson', () => {
  it('reads a FeatureCollection: fields, types, geometry type, count and a legacy crs', async () => {
    const path = write(
      'mixed.geojson',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', id: 'a', properties: { n: 1, x: 1, s: 'a', d: '2024-01-02', ok: true, o: { k: [1] } }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] } },
          { type: 'Feature', properties: { n: 3000000000, x: 2.5, s: 7, d: '2024-01-03T04:05:06Z', extra: null }, geometry: { type: 'MultiPolygon', coordinates: [] } },
          { type: 'Feature', properties: null, geometry: null }
        ],
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } }
      })
    )
    const source = await openGeoJson(path)
    expect(source).toMatchObject({ name: 'mixed', file: 'mixed.geojson', format: 'geojson', countHint: 3, charset: 'UTF-8' })
    expect(source.crs).toEqual({ epsg: 3857, definition: 'EPSG:3857' })
    expect(source.geometryType).toBe('gml:MultiPolygonPropertyType')
    expect(source.fields).toEqual([
      { name: 'n', type: 'xsd:long' },
      { name: 'x', type: 'xsd:double' },
      { name: 's', type: 'xsd:string' },
      { name: 'd', type: 'xsd:dateTime' },
      { name: 'ok', type: 'xsd:boolean' },
      { name: 'o', type: 'xsd:string' },
      { name: 'extra', type: 'xsd:string' }
    ])
    const { features } = await readAll(source)
    expect(features.map((f) => f.properties)).toEqual([
      { n: 1, x: 1, s: 'a', d: '2024-01-02', ok: true, o: '{"k":[1]}', extra: null },
      { n: 3000000000, x: 2.5, s: '7', d: '2024-01-03T04:05:06Z', ok: null, o: null, extra: null },
      { n: null, x: null, s: null, d: null, ok: null, o: null, extra: null }
    ])
    expect(features[0].id).toBe('a')
    expect(features[2].geometry).toBeNull()
  })

  it('defaults to EPSG:4326 and reads EPSG:n crs names', async () => {
    const plain = await openGeoJson(write('plain.json', '{"type":"FeatureCollection","features":[]}'))
    expect(plain.crs?.epsg).toBe(4326)
    expect(plain.countHint).toBe(0)
    expect(plain.geometryType).toBe('gml:GeometryPropertyType')
    const named = await openGeoJson(write('named.json', '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32633"}},"features":[]}'))
    expect(named.crs?.epsg).toBe(32633)
  })

  it('accepts a single Feature and a bare geometry', async () => {
    const feature = await openGeoJson(write('one.geojson', '{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}'))
    expect(feature.fields).toEqual([{ name: 'name', type: 'xsd:string' }])
    expect(feature.geometryType).toBe('gml:LineStringPropertyType')
    expect((await readAll(feature)).features).toEqual([
      { type: 'Feature', properties: { name: 'x' }, geometry: { type: 'LineString', coordinates: [[1, 2], [3, 4]] } }
    ])
    const bare = await openGeoJson(write('bare.geojson', '{"type":"Point","coordinates":[5,6]}'))
    expect(bare.fields).toEqual([])
    expect((await readAll(bare)).features).toEqual([{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [5, 6] } }])
  })

  it('refuses a truncated file with the byte offset and line', async () => {
    const text = '{"type":"FeatureCollection","features":[\n{"type":"Feature","properties":{},"geometry":null},\n{"type":"Feature","prop'
    const message = await ingestError(openGeoJson(write('cut.geojson', text)))
    expect(message).toBe(`cut.geojson: the file is not valid JSON: the file ends unexpectedly at byte ${Buffer.byteLength(text)} (line 3)`)
  })

  it('refuses invalid JSON inside a feature with the byte offset and line', async () => {
    const text = '{"type":"FeatureCollection","features":[\n{"type":"Feature","properties":{},"geometry":null},\n{"type":"Feature","properties":{"a":tru},"geometry":null}]}'
    const message = await ingestError(openGeoJson(write('bad.geojson', text)))
    expect(message).toBe(`bad.geojson: the file is not valid JSON: Unexpected token '}' at byte ${text.indexOf('tru}') + 3} (line 3)`)
  })

  it('refuses JSON that is not GeoJSON', async () => {
    expect(await ingestError(openGeoJson(write('cfg.json', '{"a":1}')))).toBe('cfg.json: the file is not GeoJSON: unexpected type null')
    expect(await ingestError(openGeoJson(write('notfeat.json', '{"type":"FeatureCollection","features":[{"type":"Point","coordinates":[1,2]}]}')))).toBe(
      'notfeat.json: features[0] is not a GeoJSON Feature'
    )
  })

  it('reads 200,000 points in bounded memory', async () => {
    const path = join(dir, 'points.geojson')
    await writePointsGeoJson(path, 200_000)
    const megabytes = statSync(path).size / 1e6
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const before = process.memoryUsage().heapUsed
    let peak = before
    const started = performance.now()
    const source = await openGeoJson(path)
    let count = 0
    let last: Feature<Geometry | null> | undefined
    for await (const batch of source.features()) {
      count += batch.length
      last = batch[batch.length - 1]
      peak = Math.max(peak, process.memoryUsage().heapUsed)
    }
    const seconds = (performance.now() - started) / 1000
    expect(source.countHint).toBe(200_000)
    expect(count).toBe(200_000)
    expect(source.fields).toEqual([
      { name: 'id', type: 'xsd:int' },
      { name: 'name', type: 'xsd:string' },
      { name: 'value', type: 'xsd:double' },
      { name: 'ok', type: 'xsd:boolean' }
    ])
    expect(last?.properties).toEqual({ id: 199_999, name: 'point "199999"', value: 49999.75, ok: false })
    expect((peak - before) / 1e6).toBeLessThan(100)
    console.info(
      `GeoJSON: ${count} features, ${megabytes.toFixed(1)} MB in ${seconds.toFixed(2)} s (two passes): ` +
        `${Math.round(count / seconds)} features/s, ${(megabytes / seconds).toFixed(1)} MB/s, heap growth ${((peak - before) / 1e6).toFixed(1)} MB`
    )
  }, 60_000)
})

describe('openCsv', () => {
  it('reads lat/lon columns case-insensitively and types the other columns', async () => {
    const path = write('cities.csv', '\uFEFFName;Latitude;LONGITUDE;pop;founded;capital\n"Zürich, ZH";47,3769;8,5417;421878;1218-01-01;false\nBern;46.948;7.4474;;1191-05-01;true\n\n')
    const source = await openCsv(path, {})
    expect(source).toMatchObject({ name: 'cities', format: 'csv', countHint: 2, geometryType: 'gml:PointPropertyType' })
    expect(source.crs?.epsg).toBe(4326)
    expect(source.fields).toEqual([
      { name: 'Name', type: 'xsd:string' },
      { name: 'Latitude', type: 'xsd:double' },
      { name: 'LONGITUDE', type: 'xsd:double' },
      { name: 'pop', type: 'xsd:int' },
      { name: 'founded', type: 'xsd:date' },
      { name: 'capital', type: 'xsd:boolean' }
    ])
    expect((await readAll(source)).features).toEqual([
      {
        type: 'Feature',
        properties: { Name: 'Zürich, ZH', Latitude: 47.3769, LONGITUDE: 8.5417, pop: 421878, founded: '1218-01-01', capital: false },
        geometry: { type: 'Point', coordinates: [8.5417, 47.3769] }
      },
      {
        type: 'Feature',
        properties: { Name: 'Bern', Latitude: 46.948, LONGITUDE: 7.4474, pop: null, founded: '1191-05-01', capital: true },
        geometry: { type: 'Point', coordinates: [7.4474, 46.948] }
      }
    ])
  })

  it('reads a WKT column and a latin1 file', async () => {
    const path = write('shapes.csv', iconv.encode('id,label,WKT\n1,Café,"POLYGON((0 0,1 0,1 1,0 0))"\n2,Thé,"MULTIPOLYGON(((5 5,6 5,6 6,5 5)))"\n', 'latin1'))
    const source = await openCsv(path, { charset: 'ISO-8859-1' })
    expect(source.fields).toEqual([
      { name: 'id', type: 'xsd:int' },
      { name: 'label', type: 'xsd:string' }
    ])
    expect(source.geometryType).toBe('gml:MultiPolygonPropertyType')
    const { features } = await readAll(source)
    expect(features.map((f) => f.properties)).toEqual([
      { id: 1, label: 'Café' },
      { id: 2, label: 'Thé' }
    ])
    expect(features[1].geometry).toEqual({ type: 'MultiPolygon', coordinates: [[[[5, 5], [6, 5], [6, 6], [5, 5]]]] })
  })

  it('refuses a CSV without coordinate columns', async () => {
    expect(await ingestError(openCsv(write('plain.csv', 'a,b,c\n1,2,3\n'), {}))).toBe(
      'plain.csv: the CSV has no coordinate columns: expected lat/lon (or latitude/longitude, x/y) or a WKT column; found: a, b, c'
    )
  })

  it('refuses rows with bad coordinates, naming the line', async () => {
    expect(await ingestError(openCsv(write('bad.csv', 'name,lat,lon\na,1,2\nb,95,3\n'), {}))).toBe('bad.csv: line 3: bad coordinates lat="95", lon="3"')
    expect(await ingestError(openCsv(write('bad2.csv', 'name,y,x\na,1,east\n'), {}))).toBe('bad2.csv: line 2: bad coordinates y="1", x="east"')
    expect(await ingestError(openCsv(write('bad3.csv', 'name,geom\na,POINT(1\n'), {}))).toMatch(/^bad3\.csv: line 2: the geom value is not WKT/)
  })
})

const KML = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Style id="red"><LineStyle><color>ff0000ff</color></LineStyle></Style>
  <Folder><name>Sights</name>
    <Placemark><name>Château</name><description>Old &amp; big</description><styleUrl>#red</styleUrl>
      <ExtendedData><Data name="height"><value>12.5</value></Data><Data name="built"><value>1650</value></Data></ExtendedData>
      <Point><coordinates>2.35,48.85,0</coordinates></Point></Placemark>
    <Placemark><name>Pont</name><ExtendedData><Data name="built"><value>1607</value></Data></ExtendedData>
      <Point><coordinates>2.34,48.857</coordinates></Point></Placemark>
  </Folder>
</Document></kml>`

function zip(entries: [string, string][]): Promise<Buffer> {
  const archive = new yazl.ZipFile()
  for (const [name, text] of entries) archive.addBuffer(Buffer.from(text), name)
  archive.end()
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    archive.outputStream.on('data', (c: Buffer) => chunks.push(c))
    archive.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    archive.outputStream.on('error', reject)
  })
}

describe('openKml / openKmz / openGpx', () => {
  it('reads placemarks with name, description and ExtendedData as attributes', async () => {
    const source = await openKml(write('sights.kml', KML))
    expect(source).toMatchObject({ name: 'sights', format: 'kml', countHint: 2, geometryType: 'gml:PointPropertyType' })
    expect(source.crs?.epsg).toBe(4326)
    expect(source.fields).toEqual([
      { name: 'name', type: 'xsd:string' },
      { name: 'description', type: 'xsd:string' },
      { name: 'height', type: 'xsd:double' },
      { name: 'built', type: 'xsd:int' }
    ])
    const { features } = await readAll(source)
    expect(features.map((f) => f.properties)).toEqual([
      { name: 'Château', description: 'Old & big', height: 12.5, built: 1650 },
      { name: 'Pont', description: null, height: null, built: 1607 }
    ])
    expect(features[1].geometry).toEqual({ type: 'Point', coordinates: [2.34, 48.857] })
  })

  it('refuses broken XML', async () => {
    expect(await ingestError(openKml(write('broken.kml', '<kml><Document><Placemark></Document></kml>')))).toMatch(/^broken\.kml: the file is not valid XML: /)
  })

  it('reads doc.kml from a KMZ and refuses entries escaping the folder', async () => {
    const path = write('sights.kmz', await zip([['files/other.kml', '<kml/>'], ['doc.kml', KML]]))
    const source = await openKmz(path, join(dir, 'kmz-out'))
    expect(source).toMatchObject({ name: 'sights', file: 'sights.kmz', countHint: 2 })
    expect(readFileSync(join(dir, 'kmz-out', 'doc.kml'), 'utf8')).toBe(KML)
    // yazl refuses to write `..`; write `aa/` and patch the name bytes in the archive.
    const evil = Buffer.from((await zip([['aa/evil.kml', KML]])).toString('latin1').replaceAll('aa/evil.kml', '../evil.kml'), 'latin1')
    expect(await ingestError(openKmz(write('evil.kmz', evil), join(dir, 'kmz-evil')))).toBe('evil.kmz: the archive holds an unsafe path: ../evil.kml')
    expect(await ingestError(openKmz(write('nokml.kmz', await zip([['a.txt', 'x']])), join(dir, 'kmz-none')))).toBe('nokml.kmz: the KMZ holds no .kml document')
  })

  it('splits a GPX into waypoints, tracks and routes', async () => {
    const gpx = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="46.5" lon="7.1"><ele>1200</ele><name>Hütte</name><desc>nice</desc><time>2024-05-01T10:00:00Z</time></wpt>
  <wpt lat="46.6" lon="7.2"><name>Gipfel</name></wpt>
  <trk><name>Tour</name><trkseg><trkpt lat="46.5" lon="7.1"><time>2024-05-01T10:00:00Z</time></trkpt><trkpt lat="46.6" lon="7.2"><time>2024-05-01T11:00:00Z</time></trkpt></trkseg></trk>
</gpx>`
    const sources = await openGpx(write('hike.gpx', gpx))
    expect(sources.map((s) => [s.name, s.file, s.geometryType, s.countHint])).toEqual([
      ['hike_waypoints', 'hike.gpx:waypoints', 'gml:PointPropertyType', 2],
      ['hike_tracks', 'hike.gpx:tracks', 'gml:LineStringPropertyType', 1]
    ])
    expect(sources[0].fields).toEqual([
      { name: 'name', type: 'xsd:string' },
      { name: 'desc', type: 'xsd:string' },
      { name: 'time', type: 'xsd:dateTime' }
    ])
    const { features } = await readAll(sources[0])
    expect(features[0]).toEqual({
      type: 'Feature',
      properties: { name: 'Hütte', desc: 'nice', time: '2024-05-01T10:00:00Z' },
      geometry: { type: 'Point', coordinates: [7.1, 46.5, 1200] }
    })
    expect((await readAll(sources[1])).features[0].properties).toEqual({ name: 'Tour', time: '2024-05-01T10:00:00Z' })
  })
})

describe('openGeoPackage', () => {
  it('reads both feature tables of the committed GDAL GeoPackage', async () => {
    const sources = await openGeoPackage(join(FIXTURES, 'mixed.gpkg'))
    expect(sources.map((s) => [s.name, s.title, s.file, s.crs?.epsg, s.geometryType, s.countHint])).toEqual([
      ['roads', 'Main roads', 'mixed.gpkg:roads', 3857, 'gml:LineStringPropertyType', 2],
      ['towns', 'Towns of Europe', 'mixed.gpkg:towns', 4326, 'gml:PointPropertyType', 3]
    ])
    expect(sources[0].fields).toEqual([
      { name: 'ref', type: 'xsd:string' },
      { name: 'lanes', type: 'xsd:int' },
      { name: 'open', type: 'xsd:date' }
    ])
    expect(sources[1].fields).toEqual([
      { name: 'name', type: 'xsd:string' },
      { name: 'kind', type: 'xsd:string' },
      { name: 'pop', type: 'xsd:int' },
      { name: 'area', type: 'xsd:double' }
    ])
    const roads = (await readAll(sources[0])).features
    expect(roads.map((f) => [f.id, f.properties])).toEqual([
      [1, { ref: 'A1', lanes: 4, open: '2001-05-03' }],
      [2, { ref: 'B2', lanes: 2, open: null }]
    ])
    const [lon, lat] = transformerToWgs84(sources[0].crs!)((roads[0].geometry as LineString).coordinates[1] as [number, number])
    expect(lon).toBeCloseTo(12.5, 6)
    expect(lat).toBeCloseTo(45.5, 6)
    const towns = (await readAll(sources[1])).features
    expect(towns[2]).toEqual({
      type: 'Feature',
      id: 3,
      properties: { name: 'Škofja Loka', kind: 'Brauerei', pop: 170000, area: 137.67 },
      geometry: { type: 'Point', coordinates: [13.38, 49.75] }
    })
  })

  it('parses GP blobs with envelopes, empty geometries, booleans and a WKT-only SRS', async () => {
    const path = join(dir, 'made.gpkg')
    writeGeoPackage(
      path,
      [
        {
          name: 'parcels',
          identifier: 'Parcels',
          geometryType: 'MULTIPOLYGON',
          srsId: 100,
          columns: [
            { name: 'owner', type: 'TEXT' },
            { name: 'public', type: 'BOOLEAN' },
            { name: 'big', type: 'INTEGER' },
            { name: 'photo', type: 'BLOB' }
          ],
          rows: [
            { geometry: { type: 'MultiPolygon', coordinates: [[[[500000, 0], [500100, 0], [500100, 100], [500000, 0]]]] }, values: ['Ann', 1, 2 ** 40, Buffer.from([1])], envelope: true },
            { geometry: null, values: ['Bob', 0, null, null] }
          ]
        }
      ],
      [{ id: 100, org: 'NONE', code: 100, definition: readFileSync(join(FIXTURES, 'towns_utm33.prj'), 'utf8') }]
    )
    const [source] = await openGeoPackage(path)
    expect(source.crs?.epsg).toBe(32633)
    expect(source.geometryType).toBe('gml:MultiPolygonPropertyType')
    expect(source.fields).toEqual([
      { name: 'owner', type: 'xsd:string' },
      { name: 'public', type: 'xsd:boolean' },
      { name: 'big', type: 'xsd:long' }
    ])
    expect((await readAll(source)).features).toEqual([
      {
        type: 'Feature',
        id: 1,
        properties: { owner: 'Ann', public: true, big: 2 ** 40 },
        geometry: { type: 'MultiPolygon', coordinates: [[[[500000, 0], [500100, 0], [500100, 100], [500000, 0]]]] }
      },
      { type: 'Feature', id: 2, properties: { owner: 'Bob', public: false, big: null }, geometry: null }
    ])
    expect(parseGpkgGeometry(gpkgBlob({ type: 'Point', coordinates: [1, 2] }, 4326, true))).toEqual({ type: 'Point', coordinates: [1, 2] })
    expect(() => parseGpkgGeometry(Buffer.from('XX000000'))).toThrow('not a GeoPackage geometry blob (no GP magic)')
  })

  it('refuses a text file renamed .gpkg and a SQLite file that is not a GeoPackage', async () => {
    expect(await ingestError(openGeoPackage(write('notes.gpkg', 'these are my notes, not a database\n'.repeat(10))))).toBe(
      'notes.gpkg: the file is not a GeoPackage: file is not a database'
    )
    const plain = join(dir, 'plain.gpkg')
    const Database = (await import('better-sqlite3')).default
    const db = new Database(plain)
    db.exec('CREATE TABLE notes (body TEXT)')
    db.close()
    expect(await ingestError(openGeoPackage(plain))).toBe(
      'plain.gpkg: the file is not a GeoPackage: it has no gpkg_contents, gpkg_geometry_columns and gpkg_spatial_ref_sys tables'
    )
  })
})
