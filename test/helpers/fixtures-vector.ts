import { createWriteStream, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Geometry } from 'geojson'
import iconv from 'iconv-lite'
import wkx from 'wkx'

/** Small writers for vector test fixtures, so tests need neither GDAL nor committed binaries. */

export interface DbfFieldSpec {
  name: string
  type: 'C' | 'N' | 'F' | 'D' | 'L'
  length: number
  decimals?: number
}

export type ShapeRecord =
  | { type: 'point'; coordinates: [number, number] }
  | { type: 'polyline'; parts: [number, number][][] }
  | { type: 'polygon'; rings: [number, number][][] }
  | null

export interface ShapefileSpec {
  dir: string
  name: string
  shapeType: 1 | 3 | 5
  fields: DbfFieldSpec[]
  records: { shape: ShapeRecord; values: (string | number | boolean | null)[] }[]
  charset?: string
  languageDriver?: number
  prj?: string
  cpg?: string
}

function shpHeader(fileWords: number, shapeType: number, bbox: number[]): Buffer {
  const head = Buffer.alloc(100)
  head.writeInt32BE(9994, 0)
  head.writeInt32BE(fileWords, 24)
  head.writeInt32LE(1000, 28)
  head.writeInt32LE(shapeType, 32)
  bbox.forEach((v, i) => head.writeDoubleLE(v, 36 + i * 8))
  return head
}

function shapeContent(shape: ShapeRecord): Buffer {
  if (shape === null) {
    const b = Buffer.alloc(4)
    b.writeInt32LE(0, 0)
    return b
  }
  if (shape.type === 'point') {
    const b = Buffer.alloc(20)
    b.writeInt32LE(1, 0)
    b.writeDoubleLE(shape.coordinates[0], 4)
    b.writeDoubleLE(shape.coordinates[1], 12)
    return b
  }
  const parts = shape.type === 'polyline' ? shape.parts : shape.rings
  const points = parts.flat()
  const b = Buffer.alloc(44 + 4 * parts.length + 16 * points.length)
  b.writeInt32LE(shape.type === 'polyline' ? 3 : 5, 0)
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  ;[Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].forEach((v, i) => b.writeDoubleLE(v, 4 + i * 8))
  b.writeInt32LE(parts.length, 36)
  b.writeInt32LE(points.length, 40)
  let start = 0
  parts.forEach((part, i) => {
    b.writeInt32LE(start, 44 + i * 4)
    start += part.length
  })
  const base = 44 + 4 * parts.length
  points.forEach((p, i) => {
    b.writeDoubleLE(p[0], base + i * 16)
    b.writeDoubleLE(p[1], base + i * 16 + 8)
  })
  return b
}

function dbfValue(field: DbfFieldSpec, value: string | number | boolean | null, charset: string): Buffer {
  const out = Buffer.alloc(field.length, 0x20)
  if (value === null) return out
  switch (field.type) {
    case 'C':
      iconv.encode(String(value), charset).copy(out, 0, 0, field.length)
      return out
    case 'N':
    case 'F': {
      const text = Number(value).toFixed(field.decimals ?? 0)
      out.write(text.padStart(field.length), 0, 'latin1')
      return out
    }
    case 'D':
      out.write(String(value).replace(/-/g, ''), 0, 'latin1')
      return out
    case 'L':
      out.write(value ? 'T' : 'F', 0, 'latin1')
      return out
  }
}

/** Writes <name>.shp/.shx/.dbf (and .prj/.cpg when given); returns the paths. */
export function writeShapefile(spec: ShapefileSpec): { shp: string; shx: string; dbf: string; prj?: string; cpg?: string } {
  const charset = spec.charset ?? 'utf8'
  const contents = spec.records.map((r) => shapeContent(r.shape))
  const allPoints = spec.records.flatMap((r) =>
    r.shape === null ? [] : r.shape.type === 'point' ? [r.shape.coordinates] : r.shape.type === 'polyline' ? r.shape.parts.flat() : r.shape.rings.flat()
  )
  const bbox = allPoints.length
    ? [Math.min(...allPoints.map((p) => p[0])), Math.min(...allPoints.map((p) => p[1])), Math.max(...allPoints.map((p) => p[0])), Math.max(...allPoints.map((p) => p[1]))]
    : [0, 0, 0, 0]
  const shpBytes = 100 + contents.reduce((s, c) => s + 8 + c.length, 0)
  const shp: Buffer[] = [shpHeader(shpBytes / 2, spec.shapeType, bbox)]
  const shx: Buffer[] = [shpHeader((100 + 8 * contents.length) / 2, spec.shapeType, bbox)]
  let offset = 100
  contents.forEach((content, i) => {
    const head = Buffer.alloc(8)
    head.writeInt32BE(i + 1, 0)
    head.writeInt32BE(content.length / 2, 4)
    shp.push(head, content)
    const index = Buffer.alloc(8)
    index.writeInt32BE(offset / 2, 0)
    index.writeInt32BE(content.length / 2, 4)
    shx.push(index)
    offset += 8 + content.length
  })

  const recordLength = 1 + spec.fields.reduce((s, f) => s + f.length, 0)
  const headerLength = 32 + 32 * spec.fields.length + 1
  const head = Buffer.alloc(headerLength)
  head[0] = 0x03
  head[1] = 124
  head[2] = 1
  head[3] = 1
  head.writeUInt32LE(spec.records.length, 4)
  head.writeUInt16LE(headerLength, 8)
  head.writeUInt16LE(recordLength, 10)
  head[29] = spec.languageDriver ?? 0
  spec.fields.forEach((f, i) => {
    const at = 32 + i * 32
    iconv.encode(f.name, charset).copy(head, at, 0, 10)
    head[at + 11] = f.type.charCodeAt(0)
    head[at + 16] = f.length
    head[at + 17] = f.decimals ?? 0
  })
  head[headerLength - 1] = 0x0d
  const dbf: Buffer[] = [head]
  for (const record of spec.records) {
    dbf.push(Buffer.from(' '), ...spec.fields.map((f, i) => dbfValue(f, record.values[i] ?? null, charset)))
  }
  dbf.push(Buffer.from([0x1a]))

  const base = join(spec.dir, spec.name)
  const paths: { shp: string; shx: string; dbf: string; prj?: string; cpg?: string } = { shp: `${base}.shp`, shx: `${base}.shx`, dbf: `${base}.dbf` }
  writeFileSync(paths.shp, Buffer.concat(shp))
  writeFileSync(paths.shx, Buffer.concat(shx))
  writeFileSync(paths.dbf, Buffer.concat(dbf))
  if (spec.prj !== undefined) writeFileSync((paths.prj = `${base}.prj`), spec.prj)
  if (spec.cpg !== undefined) writeFileSync((paths.cpg = `${base}.cpg`), spec.cpg)
  return paths
}

export const PRJ_WGS84_ESRI =
  'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'

/** A GeoPackage geometry blob: GP header (little endian, no envelope, or an xy envelope) + WKB. */
export function gpkgBlob(geometry: Geometry | null, srsId: number, envelope = false): Buffer {
  const header = Buffer.alloc(8)
  header.write('GP', 0, 'latin1')
  header[2] = 0
  header[3] = 0x01 | (envelope ? 0x02 : 0) | (geometry === null ? 0x10 : 0)
  header.writeInt32LE(srsId, 4)
  const wkb = (geometry ? wkx.Geometry.parseGeoJSON(geometry) : new wkx.Point(NaN, NaN)).toWkb()
  if (!envelope) return Buffer.concat([header, wkb])
  const env = Buffer.alloc(32)
  const coords = JSON.stringify(geometry)
    .match(/-?\d+(\.\d+)?(e-?\d+)?/g)
    ?.map(Number) ?? [0, 0]
  const xs = coords.filter((_, i) => i % 2 === 0)
  const ys = coords.filter((_, i) => i % 2 === 1)
  ;[Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)].forEach((v, i) => env.writeDoubleLE(v, i * 8))
  return Buffer.concat([header, env, wkb])
}

export interface GpkgTableSpec {
  name: string
  identifier: string
  geometryType: string
  srsId: number
  columns: { name: string; type: string }[]
  rows: { geometry: Geometry | null; values: unknown[]; envelope?: boolean }[]
}

/** Writes a minimal GeoPackage (the three core tables + feature tables) with better-sqlite3. */
export function writeGeoPackage(path: string, tables: GpkgTableSpec[], srs: { id: number; org: string; code: number; definition: string }[] = []): void {
  const db = new Database(path)
  db.pragma('application_id = 1196444487')
  db.exec(`
    CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
      organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
    CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
      last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
    CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
  `)
  const addSrs = db.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, NULL)')
  addSrs.run('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined')
  addSrs.run('Undefined geographic SRS', 0, 'NONE', 0, 'undefined')
  for (const s of srs) addSrs.run(`srs ${s.id}`, s.id, s.org, s.code, s.definition)
  for (const table of tables) {
    const columns = table.columns.map((c) => `"${c.name}" ${c.type}`).join(', ')
    db.exec(`CREATE TABLE "${table.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom ${table.geometryType}${columns ? `, ${columns}` : ''})`)
    db.prepare("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, ?)").run(table.name, table.identifier, table.srsId)
    db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)').run(table.name, 'geom', table.geometryType, table.srsId)
    const insert = db.prepare(
      `INSERT INTO "${table.name}" (geom${table.columns.map((c) => `, "${c.name}"`).join('')}) VALUES (?${', ?'.repeat(table.columns.length)})`
    )
    for (const row of table.rows) insert.run(gpkgBlob(row.geometry, table.srsId, row.envelope), ...row.values)
  }
  db.close()
}

/** Streams a FeatureCollection of `count` points to `path` (about 150 bytes a feature). */
export async function writePointsGeoJson(path: string, count: number): Promise<void> {
  const out = createWriteStream(path)
  const write = (text: string): Promise<void> => new Promise((resolve) => (out.write(text) ? resolve() : out.once('drain', resolve)))
  await write('{"type":"FeatureCollection","name":"points","features":[\n')
  let chunk = ''
  for (let i = 0; i < count; i++) {
    const lon = ((i * 0.0137) % 360) - 180
    const lat = ((i * 0.0071) % 180) - 90
    chunk += `${i ? ',\n' : ''}{"type":"Feature","properties":{"id":${i},"name":"point \\"${i}\\"","value":${i / 4},"ok":${i % 3 === 0}},"geometry":{"type":"Point","coordinates":[${lon.toFixed(6)},${lat.toFixed(6)}]}}`
    if (chunk.length > 1 << 20) {
      await write(chunk)
      chunk = ''
    }
  }
  await write(`${chunk}\n]}\n`)
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
