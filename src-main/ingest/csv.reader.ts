import { createReadStream } from 'node:fs'
import { basename, extname } from 'node:path'
import type { Readable } from 'node:stream'
import type { Feature, Geometry } from 'geojson'
import iconv from 'iconv-lite'
import Papa from 'papaparse'
import wkx from 'wkx'
import { FieldInferrer, GeometryTypeCollector, parseText, type ScalarValue } from './attributes'
import { crsFromEpsg } from './crs'
import { normalizeCharset } from './shapefile.reader'
import { IngestError, type FieldDef, type VectorSource } from './types'

const BATCH = 2000

const LAT_NAMES = ['lat', 'latitude', 'lat_dd', 'latitude_dd', 'lat_deg', 'y', 'ycoord', 'y_coord', 'point_y', 'decimallatitude']
const LON_NAMES = ['lon', 'lng', 'long', 'longitude', 'lon_dd', 'lng_dd', 'long_dd', 'longitude_dd', 'lon_deg', 'x', 'xcoord', 'x_coord', 'point_x', 'decimallongitude']
const WKT_NAMES = ['wkt', 'geom', 'geometry', 'the_geom', 'wkt_geom', 'shape']

type Geo = { kind: 'point'; lat: string; lon: string } | { kind: 'wkt'; column: string }

function findColumn(columns: string[], names: string[]): string | undefined {
  for (const wanted of names) {
    const hit = columns.find((c) => c.trim().toLowerCase() === wanted)
    if (hit !== undefined) return hit
  }
  return undefined
}

/** The coordinate columns of a header: a lat/lon pair first, else a WKT column. */
export function detectCoordinateColumns(columns: string[]): Geo | null {
  const lat = findColumn(columns, LAT_NAMES)
  const lon = findColumn(columns, LON_NAMES)
  if (lat !== undefined && lon !== undefined) return { kind: 'point', lat, lon }
  const wkt = findColumn(columns, WKT_NAMES)
  return wkt !== undefined ? { kind: 'wkt', column: wkt } : null
}

function coordinate(text: string | undefined): number | null {
  let v = (text ?? '').trim()
  // Decimal commas ("45,123") appear in semicolon-separated exports.
  if (/^-?\d+,\d+$/.test(v)) v = v.replace(',', '.')
  if (v === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return null
  return Number(v)
}

function rowGeometry(row: Record<string, string>, geo: Geo, file: string, line: number): Geometry | null {
  if (geo.kind === 'wkt') {
    const text = (row[geo.column] ?? '').trim()
    if (text === '') return null
    try {
      return wkx.Geometry.parse(text).toGeoJSON() as Geometry
    } catch (error) {
      throw new IngestError(file, `line ${line}: the ${geo.column} value is not WKT (${error instanceof Error ? error.message : String(error)})`)
    }
  }
  const latText = (row[geo.lat] ?? '').trim()
  const lonText = (row[geo.lon] ?? '').trim()
  if (latText === '' && lonText === '') return null
  const lat = coordinate(latText)
  const lon = coordinate(lonText)
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    throw new IngestError(file, `line ${line}: bad coordinates ${geo.lat}=${JSON.stringify(latText)}, ${geo.lon}=${JSON.stringify(lonText)}`)
  }
  return { type: 'Point', coordinates: [lon, lat] }
}

function decodedStream(path: string, charset: string): Readable {
  const raw = createReadStream(path)
  // Papa would detect neither a BOM nor a charset: decode first, strip the BOM.
  return raw.pipe(iconv.decodeStream(charset, { stripBOM: true }) as unknown as NodeJS.WritableStream) as unknown as Readable
}

async function* rows(path: string, charset: string, file: string): AsyncGenerator<{ row: Record<string, string>; fields: string[] }> {
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { header: true, skipEmptyLines: 'greedy' }) as NodeJS.ReadWriteStream & Readable
  const input = decodedStream(path, charset)
  input.on('error', (error) => parser.destroy(error))
  input.pipe(parser)
  let fields: string[] | null = null
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      fields ??= Object.keys(row)
      yield { row, fields }
    }
  } catch (error) {
    if (error instanceof IngestError) throw error
    throw new IngestError(file, `the CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    input.destroy()
    parser.destroy()
  }
}

async function headerOf(path: string, charset: string): Promise<string[]> {
  const stream = decodedStream(path, charset)
  let text = ''
  for await (const chunk of stream as AsyncIterable<string | Buffer>) {
    text += chunk.toString()
    if (text.includes('\n') || text.length > 1 << 16) break
  }
  stream.destroy()
  const parsed = Papa.parse<string[]>(text.split(/\r?\n/)[0] ?? '', { header: false })
  return (parsed.data[0] ?? []).filter((c) => c !== '')
}

/**
 * Reads a CSV with lat/lon columns (or a WKT column) as EPSG:4326 points. A first streamed pass
 * finds the columns, counts rows and infers field types; features() streams the rows again.
 */
export async function openCsv(path: string, options: { charset?: string } = {}): Promise<VectorSource> {
  const file = basename(path)
  const charset = normalizeCharset(options.charset ?? 'UTF-8')
  if (!charset) throw new IngestError(file, `unknown charset "${options.charset}"`)
  const columns = await headerOf(path, charset)
  const geo = detectCoordinateColumns(columns)
  if (!geo) {
    throw new IngestError(
      file,
      `the CSV has no coordinate columns: expected lat/lon (or latitude/longitude, x/y) or a WKT column; found: ${columns.join(', ') || 'nothing'}`
    )
  }
  const inferrer = new FieldInferrer()
  const geometries = new GeometryTypeCollector()
  let count = 0
  for await (const { row, fields } of rows(path, charset, file)) {
    count++
    geometries.add(rowGeometry(row, geo, file, count + 1))
    for (const name of fields) if (geo.kind !== 'wkt' || name !== geo.column) inferrer.observeText(name, row[name])
  }
  if (geo.kind === 'point') geometries.add({ type: 'Point', coordinates: [0, 0] })
  const isCoordinate = (name: string): boolean => geo.kind === 'point' && (name === geo.lat || name === geo.lon)
  const fields = inferrer
    .fields()
    .filter((f) => f.name !== '__parsed_extra')
    .map((f): FieldDef => (isCoordinate(f.name) ? { name: f.name, type: 'xsd:double' } : f))
  return {
    kind: 'vector',
    name: basename(path, extname(path)),
    file,
    format: 'csv',
    crs: crsFromEpsg(4326),
    geometryType: geometries.propertyType,
    fields,
    charset: charset === 'utf8' ? 'UTF-8' : charset,
    countHint: count,
    features: () => readFeatures(path, charset, file, geo, fields)
  }
}

async function* readFeatures(path: string, charset: string, file: string, geo: Geo, fields: FieldDef[]): AsyncGenerator<Feature<Geometry | null>[]> {
  let batch: Feature<Geometry | null>[] = []
  let line = 1
  for await (const { row } of rows(path, charset, file)) {
    line++
    const properties: Record<string, ScalarValue> = {}
    for (const field of fields) {
      const text = row[field.name] ?? ''
      properties[field.name] = geo.kind === 'point' && (field.name === geo.lat || field.name === geo.lon) ? coordinate(text) : parseText(text, field.type)
    }
    batch.push({ type: 'Feature', properties, geometry: rowGeometry(row, geo, file, line) })
    if (batch.length >= BATCH) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}
