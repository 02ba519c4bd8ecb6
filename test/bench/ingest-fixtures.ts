/**
 * Input files for the ingest benchmark, written streamed (a 1 MB buffer at a time, whatever the
 * size) from a seeded random generator, so every run reads the same bytes. Cached under
 * /tmp/mapshelf-bench-ingest/ and reused while a marker file says they are complete and their
 * sizes still match.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { prng as random } from '../helpers/prng'

export const FIXTURE_DIR = '/tmp/mapshelf-bench-ingest'

/** The region the generated data covers (central Europe, EPSG:4326). */
export const REGION = { minx: 5, miny: 45, maxx: 15, maxy: 55 } as const

export interface FixtureFile {
  /** The files to upload: the base file first, then side-cars (shapefile). */
  paths: string[]
  /** The file ogr2ogr converts (the base file). */
  base: string
  bytes: number
  features: number
}


const CLASSES = ['river', 'lake', 'forest', 'village', 'town', 'summit', 'pass', 'bridge']
const WORDS = ['Alder', 'Birch', 'Cedar', 'Dale', 'Elm', 'Fern', 'Glen', 'Heath', 'Ivy', 'Juniper', 'Kestrel', 'Linden']

/** The attribute values of feature `i`: string, int, double, date and a short category. */
function attributes(i: number, next: () => number) {
  const day = 1 + Math.floor(next() * 28)
  const month = 1 + Math.floor(next() * 12)
  const year = 1990 + Math.floor(next() * 35)
  return {
    id: i,
    name: `${WORDS[i % WORDS.length]} ${WORDS[Math.floor(next() * WORDS.length)]} ${i}`,
    population: Math.floor(next() * 100_000),
    elevation: Math.round(next() * 3_000_000) / 1000,
    surveyed: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    class: CLASSES[Math.floor(next() * CLASSES.length)]!
  }
}

const coord = (v: number) => Math.round(v * 1e6) / 1e6

/** Buffered synchronous writes to one file: memory is one buffer whatever the file's size. */
class Out {
  private readonly fd: number
  private buffer = Buffer.allocUnsafe(1 << 20)
  private used = 0
  written = 0

  constructor(path: string) {
    this.fd = openSync(path, 'w')
  }

  bytes(data: Buffer): void {
    if (this.used + data.length > this.buffer.length) this.drain()
    if (data.length > this.buffer.length) {
      writeSync(this.fd, data)
    } else {
      data.copy(this.buffer, this.used)
      this.used += data.length
    }
    this.written += data.length
  }

  text(data: string): void {
    this.bytes(Buffer.from(data, 'utf8'))
  }

  private drain(): void {
    if (this.used > 0) writeSync(this.fd, this.buffer, 0, this.used)
    this.used = 0
  }

  /** Writes `data` at `position` (a header whose values are known only at the end). */
  patch(position: number, data: Buffer): void {
    this.drain()
    writeSync(this.fd, data, 0, data.length, position)
  }

  close(): void {
    this.drain()
    closeSync(this.fd)
  }
}

interface Marker {
  kind: string
  features: number
  sizes: Record<string, number>
}

/** The cached fixture if its marker and every file size still match, else null. */
function cached(name: string, kind: string): FixtureFile | null {
  const markerPath = join(FIXTURE_DIR, `${name}.marker.json`)
  if (!existsSync(markerPath)) return null
  try {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker
    if (marker.kind !== kind) return null
    const paths = Object.keys(marker.sizes)
    for (const path of paths) if (!existsSync(path) || statSync(path).size !== marker.sizes[path]) return null
    return { paths, base: paths[0]!, bytes: Object.values(marker.sizes).reduce((a, b) => a + b, 0), features: marker.features }
  } catch {
    return null
  }
}

function remember(name: string, kind: string, paths: string[], features: number): FixtureFile {
  const sizes = Object.fromEntries(paths.map((p) => [p, statSync(p).size]))
  writeFileSync(join(FIXTURE_DIR, `${name}.marker.json`), `${JSON.stringify({ kind, features, sizes }, null, 2)}\n`)
  return { paths, base: paths[0]!, bytes: Object.values(sizes).reduce((a, b) => a + b, 0), features }
}

/**
 * A GeoJSON FeatureCollection of random points in REGION, each with six properties (id int, name
 * string, population int, elevation double, surveyed date, class string): `features` of them, or
 * as many as it takes to reach `targetBytes`.
 */
export function geoJsonPoints(spec: { name: string; features?: number; targetBytes?: number }, log: (line: string) => void): FixtureFile {
  const kind = `geojson-points-v1:${spec.features ?? ''}:${spec.targetBytes ?? ''}`
  const hit = cached(spec.name, kind)
  if (hit) return hit
  mkdirSync(FIXTURE_DIR, { recursive: true })
  const path = join(FIXTURE_DIR, `${spec.name}.geojson`)
  const partial = `${path}.partial`
  log(`Writing ${path} ...`)
  const started = performance.now()
  const next = random(0x5eed + (spec.features ?? 0) + (spec.targetBytes ?? 0))
  const out = new Out(partial)
  out.text('{"type":"FeatureCollection","name":"' + spec.name + '","features":[\n')
  let i = 0
  const more = () => (spec.features !== undefined ? i < spec.features : out.written < (spec.targetBytes ?? 0))
  while (more()) {
    const lon = coord(REGION.minx + next() * (REGION.maxx - REGION.minx))
    const lat = coord(REGION.miny + next() * (REGION.maxy - REGION.miny))
    const properties = JSON.stringify(attributes(i + 1, next))
    out.text(`${i > 0 ? ',\n' : ''}{"type":"Feature","geometry":{"type":"Point","coordinates":[${lon},${lat}]},"properties":${properties}}`)
    i++
  }
  out.text('\n]}\n')
  out.close()
  renameSync(partial, path)
  log(`  ${i.toLocaleString('en-US')} points, ${(statSync(path).size / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return remember(spec.name, kind, [path], i)
}

const WGS84_PRJ =
  'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'

interface DbfField {
  name: string
  type: 'C' | 'N' | 'F' | 'D'
  length: number
  decimals: number
}

const DBF_FIELDS: DbfField[] = [
  { name: 'id', type: 'N', length: 10, decimals: 0 },
  { name: 'name', type: 'C', length: 24, decimals: 0 },
  { name: 'population', type: 'N', length: 10, decimals: 0 },
  { name: 'elevation', type: 'F', length: 12, decimals: 3 },
  { name: 'surveyed', type: 'D', length: 8, decimals: 0 },
  { name: 'class', type: 'C', length: 12, decimals: 0 }
]

const VERTICES = 10
const SHP_RECORD = 8 + 44 + 4 + 16 * VERTICES
const DBF_RECORD = 1 + DBF_FIELDS.reduce((n, f) => n + f.length, 0)

function dbfHeader(count: number): Buffer {
  const header = Buffer.alloc(32 + 32 * DBF_FIELDS.length + 1)
  header[0] = 0x03
  header[1] = 124
  header[2] = 1
  header[3] = 1
  header.writeUInt32LE(count, 4)
  header.writeUInt16LE(header.length, 8)
  header.writeUInt16LE(DBF_RECORD, 10)
  header[29] = 0x57 // language driver: ANSI (the .cpg says UTF-8)
  DBF_FIELDS.forEach((field, k) => {
    const at = 32 + 32 * k
    header.write(field.name, at, 11, 'ascii')
    header.write(field.type, at + 11, 1, 'ascii')
    header[at + 16] = field.length
    header[at + 17] = field.decimals
  })
  header[header.length - 1] = 0x0d
  return header
}

function shpHeader(fileBytes: number, bbox: number[]): Buffer {
  const head = Buffer.alloc(100)
  head.writeInt32BE(9994, 0)
  head.writeInt32BE(fileBytes / 2, 24)
  head.writeInt32LE(1000, 28)
  head.writeInt32LE(3, 32)
  bbox.forEach((v, i) => head.writeDoubleLE(v, 36 + i * 8))
  return head
}

function dbfCell(field: DbfField, value: string | number): string {
  let text: string
  if (field.type === 'D') text = String(value).replace(/-/g, '')
  else if (field.type === 'F') text = (value as number).toFixed(field.decimals)
  else text = String(value)
  text = text.slice(0, field.length)
  return field.type === 'C' ? text.padEnd(field.length, ' ') : text.padStart(field.length, ' ')
}

/**
 * A polyline shapefile (.shp, .shx, .dbf, .prj, .cpg; EPSG:4326) of random 10-vertex lines in
 * REGION with the same six attributes, with as many records as make about `targetBytes` across
 * .shp, .shx and .dbf.
 */
export function shapefileLines(spec: { name: string; targetBytes: number }, log: (line: string) => void): FixtureFile {
  const kind = `shapefile-lines-v1:${spec.targetBytes}`
  const hit = cached(spec.name, kind)
  if (hit) return hit
  mkdirSync(FIXTURE_DIR, { recursive: true })
  const stem = join(FIXTURE_DIR, spec.name)
  const count = Math.ceil(spec.targetBytes / (SHP_RECORD + 8 + DBF_RECORD))
  log(`Writing ${stem}.shp (${count.toLocaleString('en-US')} lines) ...`)
  const started = performance.now()
  for (const ext of ['shp', 'shx', 'dbf', 'prj', 'cpg']) rmSync(`${stem}.${ext}`, { force: true })
  const next = random(0x5a9e + count)
  const shp = new Out(`${stem}.shp`)
  const shx = new Out(`${stem}.shx`)
  const dbf = new Out(`${stem}.dbf`)
  const placeholder = Buffer.alloc(100)
  shp.bytes(placeholder)
  shx.bytes(placeholder)
  dbf.bytes(dbfHeader(count))
  const all = [Infinity, Infinity, -Infinity, -Infinity]
  const record = Buffer.alloc(SHP_RECORD)
  const index = Buffer.alloc(8)
  const xs = new Float64Array(VERTICES)
  const ys = new Float64Array(VERTICES)
  for (let i = 0; i < count; i++) {
    let x = REGION.minx + next() * (REGION.maxx - REGION.minx)
    let y = REGION.miny + next() * (REGION.maxy - REGION.miny)
    let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity
    for (let v = 0; v < VERTICES; v++) {
      x = coord(Math.min(REGION.maxx, Math.max(REGION.minx, x + (next() - 0.5) * 0.01)))
      y = coord(Math.min(REGION.maxy, Math.max(REGION.miny, y + (next() - 0.5) * 0.01)))
      xs[v] = x
      ys[v] = y
      minx = Math.min(minx, x); miny = Math.min(miny, y); maxx = Math.max(maxx, x); maxy = Math.max(maxy, y)
    }
    all[0] = Math.min(all[0]!, minx); all[1] = Math.min(all[1]!, miny); all[2] = Math.max(all[2]!, maxx); all[3] = Math.max(all[3]!, maxy)
    index.writeInt32BE(shp.written / 2, 0)
    index.writeInt32BE((SHP_RECORD - 8) / 2, 4)
    shx.bytes(index)
    record.writeInt32BE(i + 1, 0)
    record.writeInt32BE((SHP_RECORD - 8) / 2, 4)
    record.writeInt32LE(3, 8)
    record.writeDoubleLE(minx, 12)
    record.writeDoubleLE(miny, 20)
    record.writeDoubleLE(maxx, 28)
    record.writeDoubleLE(maxy, 36)
    record.writeInt32LE(1, 44)
    record.writeInt32LE(VERTICES, 48)
    record.writeInt32LE(0, 52)
    for (let v = 0; v < VERTICES; v++) {
      record.writeDoubleLE(xs[v]!, 56 + v * 16)
      record.writeDoubleLE(ys[v]!, 64 + v * 16)
    }
    shp.bytes(record)
    const values = attributes(i + 1, next)
    const row = ' ' + DBF_FIELDS.map((f) => dbfCell(f, values[f.name as keyof typeof values])).join('')
    dbf.text(row)
  }
  dbf.bytes(Buffer.from([0x1a]))
  const bbox = [...all, 0, 0, 0, 0]
  shp.patch(0, shpHeader(shp.written, bbox))
  shx.patch(0, shpHeader(shx.written, bbox))
  shp.close()
  shx.close()
  dbf.close()
  writeFileSync(`${stem}.prj`, WGS84_PRJ)
  writeFileSync(`${stem}.cpg`, 'UTF-8')
  const paths = ['shp', 'dbf', 'shx', 'prj', 'cpg'].map((ext) => `${stem}.${ext}`)
  const fixture = remember(spec.name, kind, paths, count)
  log(`  ${(fixture.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return fixture
}
