import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type Sqlite from 'better-sqlite3'
import type { Geometry, Position } from 'geojson'
import yazl from 'yazl'
import { wktOfEpsg } from '../../../ingest/crs'
import type { OwsLayer } from '../../../services/ows-layers.service'
import { type FeatureAnswer, type QueryPage, type Sink, attributesOf, chunksOf } from '../output'

/**
 * SHAPE-ZIP as GeoServer answers it: per feature type a shapefile (.shp, .shx, .dbf) with its .prj
 * (the answer's CRS as WKT) and a .cpg saying UTF-8, zipped. The packages on the registry were not
 * honest enough to use (their dBase writers store one byte per UTF-16 unit, so any accented name
 * breaks; no ring orientation, no MultiPoint, no null shapes), so the format is written here: files
 * are filled a chunk of features at a time in a folder of their own, headers patched at the end,
 * then zipped to the client with backpressure. A layer of mixed geometry types gives one
 * shapefile per type (`<name>_Point`, `<name>_Line`...), as GeoServer does.
 */

type Family = 'Point' | 'MultiPoint' | 'Line' | 'Polygon'
const SHAPE_TYPE: Record<Family, number> = { Point: 1, MultiPoint: 8, Line: 3, Polygon: 5 }

function familyOfGeometry(g: Geometry): Family | null {
  switch (g.type) {
    case 'Point':
      return 'Point'
    case 'MultiPoint':
      return 'MultiPoint'
    case 'LineString':
    case 'MultiLineString':
      return 'Line'
    case 'Polygon':
    case 'MultiPolygon':
      return 'Polygon'
    default:
      return null
  }
}

function familyOfLayer(layer: OwsLayer): Family | null {
  const type = layer.geometryType ?? ''
  if (type === 'gml:PointPropertyType') return 'Point'
  if (type === 'gml:MultiPointPropertyType') return 'MultiPoint'
  if (/LineString|Curve/.test(type)) return 'Line'
  if (/Polygon|Surface/.test(type)) return 'Polygon'
  return null
}

interface DbfField {
  name: string
  source: string
  type: 'C' | 'N' | 'L' | 'D'
  length: number
  decimals: number
}

function dbfFields(page: QueryPage): DbfField[] {
  const used = new Set<string>()
  const out: DbfField[] = []
  for (const a of attributesOf(page)) {
    if (a.type.startsWith('gml:')) continue
    let name = a.name.replace(/[^\x20-\x7e]/g, '_').slice(0, 10) || 'field'
    for (let n = 1; used.has(name.toUpperCase()); n++) name = `${name.slice(0, 10 - String(n).length)}${n}`
    used.add(name.toUpperCase())
    const [type, length, decimals]: [DbfField['type'], number, number] =
      a.type === 'xsd:int' ? ['N', 11, 0] : a.type === 'xsd:long' ? ['N', 20, 0] : /xsd:(double|float|decimal)/.test(a.type) ? ['N', 33, 15] : a.type === 'xsd:boolean' ? ['L', 1, 0] : a.type === 'xsd:date' ? ['D', 8, 0] : ['C', 254, 0]
    out.push({ name, source: a.name, type, length, decimals })
  }
  return out
}

function ringArea(ring: Position[]): number {
  let sum = 0
  for (let i = 0; i + 1 < ring.length; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
  return sum / 2
}

/** Shapefile rings: outer clockwise, holes counter-clockwise. */
function oriented(polygon: Position[][]): Position[][] {
  return polygon.map((ring, i) => {
    const area = ringArea(ring)
    return (i === 0 ? area > 0 : area < 0) ? [...ring].reverse() : ring
  })
}

function partsOf(g: Geometry): Position[][] {
  switch (g.type) {
    case 'LineString':
      return [g.coordinates]
    case 'MultiLineString':
      return g.coordinates
    case 'Polygon':
      return oriented(g.coordinates)
    case 'MultiPolygon':
      return g.coordinates.flatMap(oriented)
    case 'MultiPoint':
      return [g.coordinates]
    case 'Point':
      return [[g.coordinates]]
    default:
      return []
  }
}

function numberText(v: number, field: DbfField): string {
  if (field.decimals === 0 && Number.isInteger(v)) return String(v)
  const fixed = v.toFixed(field.decimals)
  if (fixed.length <= field.length) return fixed
  const plain = String(v)
  return plain.length <= field.length ? plain : v.toExponential(field.length - 8)
}

/** One shapefile being written: .shp, .shx and .dbf in a folder, headers patched by `finish`. */
class ShapefileWriter {
  private readonly shp: number
  private readonly shx: number
  private readonly dbf: number
  private shpLength = 100
  private records = 0
  private readonly box = [Infinity, Infinity, -Infinity, -Infinity]
  private readonly recordLength: number
  private readonly pending: { shp: Buffer[]; shx: Buffer[]; dbf: Buffer[] } = { shp: [], shx: [], dbf: [] }

  constructor(
    private readonly dir: string,
    readonly base: string,
    private readonly family: Family,
    private readonly fields: DbfField[]
  ) {
    this.shp = openSync(join(dir, `${base}.shp`), 'w')
    this.shx = openSync(join(dir, `${base}.shx`), 'w')
    this.dbf = openSync(join(dir, `${base}.dbf`), 'w')
    this.recordLength = 1 + fields.reduce((n, f) => n + f.length, 0)
    writeSync(this.shp, Buffer.alloc(100))
    writeSync(this.shx, Buffer.alloc(100))
    writeSync(this.dbf, this.dbfHeader())
  }

  private dbfHeader(): Buffer {
    const header = Buffer.alloc(32 + 32 * this.fields.length + 1)
    const now = new Date()
    header.writeUInt8(0x03, 0)
    header.writeUInt8(now.getUTCFullYear() - 1900, 1)
    header.writeUInt8(now.getUTCMonth() + 1, 2)
    header.writeUInt8(now.getUTCDate(), 3)
    header.writeUInt32LE(this.records, 4)
    header.writeUInt16LE(header.length, 8)
    header.writeUInt16LE(this.recordLength, 10)
    this.fields.forEach((f, i) => {
      const at = 32 + i * 32
      header.write(f.name, at, 10, 'latin1')
      header.write(f.type, at + 11, 1, 'latin1')
      header.writeUInt8(f.length, at + 16)
      header.writeUInt8(f.decimals, at + 17)
    })
    header.writeUInt8(0x0d, header.length - 1)
    return header
  }

  add(geometry: Geometry | null, properties: Record<string, unknown>): void {
    const content = geometry ? this.shape(geometry) : Buffer.from([0, 0, 0, 0])
    const head = Buffer.alloc(8)
    head.writeInt32BE(this.records + 1, 0)
    head.writeInt32BE(content.length / 2, 4)
    const index = Buffer.alloc(8)
    index.writeInt32BE(this.shpLength / 2, 0)
    index.writeInt32BE(content.length / 2, 4)
    this.pending.shp.push(head, content)
    this.pending.shx.push(index)
    this.pending.dbf.push(this.dbfRecord(properties))
    this.shpLength += 8 + content.length
    this.records++
  }

  private grow(points: Position[]): number[] {
    const b = [Infinity, Infinity, -Infinity, -Infinity]
    for (const p of points) {
      if (p[0] < b[0]) b[0] = p[0]
      if (p[1] < b[1]) b[1] = p[1]
      if (p[0] > b[2]) b[2] = p[0]
      if (p[1] > b[3]) b[3] = p[1]
    }
    this.box[0] = Math.min(this.box[0], b[0])
    this.box[1] = Math.min(this.box[1], b[1])
    this.box[2] = Math.max(this.box[2], b[2])
    this.box[3] = Math.max(this.box[3], b[3])
    return b
  }

  private shape(geometry: Geometry): Buffer {
    const type = SHAPE_TYPE[this.family]
    const parts = partsOf(geometry)
    const points = parts.flat()
    if (points.length === 0) return Buffer.from([0, 0, 0, 0])
    const b = this.grow(points)
    if (this.family === 'Point') {
      const out = Buffer.alloc(20)
      out.writeInt32LE(type, 0)
      out.writeDoubleLE(points[0][0], 4)
      out.writeDoubleLE(points[0][1], 12)
      return out
    }
    if (this.family === 'MultiPoint') {
      const out = Buffer.alloc(40 + 16 * points.length)
      out.writeInt32LE(type, 0)
      b.forEach((v, i) => out.writeDoubleLE(v, 4 + i * 8))
      out.writeInt32LE(points.length, 36)
      points.forEach((p, i) => {
        out.writeDoubleLE(p[0], 40 + i * 16)
        out.writeDoubleLE(p[1], 48 + i * 16)
      })
      return out
    }
    const out = Buffer.alloc(44 + 4 * parts.length + 16 * points.length)
    out.writeInt32LE(type, 0)
    b.forEach((v, i) => out.writeDoubleLE(v, 4 + i * 8))
    out.writeInt32LE(parts.length, 36)
    out.writeInt32LE(points.length, 40)
    let start = 0
    parts.forEach((part, i) => {
      out.writeInt32LE(start, 44 + i * 4)
      start += part.length
    })
    const at = 44 + 4 * parts.length
    points.forEach((p, i) => {
      out.writeDoubleLE(p[0], at + i * 16)
      out.writeDoubleLE(p[1], at + i * 16 + 8)
    })
    return out
  }

  private dbfRecord(properties: Record<string, unknown>): Buffer {
    const out = Buffer.alloc(this.recordLength, 0x20)
    let at = 1
    for (const f of this.fields) {
      const v = properties[f.source]
      if (v !== null && v !== undefined) {
        if (f.type === 'N') {
          const n = Number(v)
          if (Number.isFinite(n)) {
            const text = numberText(n, f)
            out.write(text, at + f.length - text.length, 'latin1')
          }
        } else if (f.type === 'L') {
          out.write(v === true || v === 1 || /^(true|t|1|y|yes)$/i.test(String(v)) ? 'T' : 'F', at, 'latin1')
        } else if (f.type === 'D') {
          const digits = String(v).replace(/-/g, '').slice(0, 8)
          if (/^\d{8}$/.test(digits)) out.write(digits, at, 'latin1')
        } else {
          const text = typeof v === 'object' ? JSON.stringify(v) : String(v)
          // Cut at a character boundary: Buffer.write never writes part of a character.
          out.write(text, at, f.length, 'utf8')
        }
      } else if (f.type === 'L') {
        out.write('?', at, 'latin1')
      }
      at += f.length
    }
    return out
  }

  /** Writes what is pending (once per chunk of features). */
  flush(): void {
    for (const [fd, parts] of [
      [this.shp, this.pending.shp],
      [this.shx, this.pending.shx],
      [this.dbf, this.pending.dbf]
    ] as const) {
      if (parts.length) writeSync(fd, Buffer.concat(parts))
      parts.length = 0
    }
  }

  /** Patches the headers (lengths, extent, record count), ends the .dbf, writes .prj and .cpg; returns the files. */
  finish(epsg: number): string[] {
    this.flush()
    const box = this.box.every(Number.isFinite) ? this.box : [0, 0, 0, 0]
    for (const [fd, length] of [
      [this.shp, this.shpLength],
      [this.shx, 100 + 8 * this.records]
    ] as const) {
      const header = Buffer.alloc(100)
      header.writeInt32BE(9994, 0)
      header.writeInt32BE(length / 2, 24)
      header.writeInt32LE(1000, 28)
      header.writeInt32LE(SHAPE_TYPE[this.family], 32)
      box.forEach((v, i) => header.writeDoubleLE(v, 36 + i * 8))
      writeSync(fd, header, 0, 100, 0)
      closeSync(fd)
    }
    writeSync(this.dbf, Buffer.from([0x1a]))
    writeSync(this.dbf, this.dbfHeader(), 0, 32, 0)
    closeSync(this.dbf)
    const files = ['shp', 'shx', 'dbf'].map((ext) => `${this.base}.${ext}`)
    const wkt = wktOfEpsg(epsg)
    if (wkt) {
      writeFileSync(join(this.dir, `${this.base}.prj`), wkt)
      files.push(`${this.base}.prj`)
    }
    writeFileSync(join(this.dir, `${this.base}.cpg`), 'UTF-8')
    files.push(`${this.base}.cpg`)
    return files
  }

  abandon(): void {
    for (const fd of [this.shp, this.shx, this.dbf]) {
      try {
        closeSync(fd)
      } catch {
        // already closed
      }
    }
  }
}

/** Writes every page's shapefiles into `dir`, a chunk of features per step; returns the file names to zip. */
export async function writeShapefiles(sqlite: Sqlite.Database, answer: FeatureAnswer, dir: string): Promise<string[]> {
  const files: string[] = []
  const names = new Set<string>()
  for (const page of answer.pages) {
    const fields = dbfFields(page)
    const fixed = familyOfLayer(page.layer)
    const writers = new Map<Family, ShapefileWriter>()
    const writerFor = (family: Family) => {
      let writer = writers.get(family)
      if (!writer) {
        let base = fixed ? page.layer.name : `${page.layer.name}_${family}`
        for (let n = 2; names.has(base); n++) base = `${page.layer.name}_${n}`
        names.add(base)
        writer = new ShapefileWriter(dir, base, family, fields)
        writers.set(family, writer)
      }
      return writer
    }
    try {
      for (const chunk of chunksOf(sqlite, page, false)) {
        for (const f of chunk) {
          const family = f.geometry ? familyOfGeometry(f.geometry) : null
          if (fixed) writerFor(fixed).add(family === fixed || (fixed === 'MultiPoint' && family === 'Point') ? f.geometry : null, f.properties)
          else if (family) writerFor(family).add(f.geometry, f.properties)
        }
        for (const w of writers.values()) w.flush()
        // Other requests run between chunks: a large layer is written in many short steps.
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (writers.size === 0) writerFor(fixed ?? 'Point')
      for (const w of writers.values()) files.push(...w.finish(page.crs.epsg))
    } catch (error) {
      for (const w of writers.values()) w.abandon()
      throw error
    }
  }
  return files
}

/** Zips the files of `dir` to the client (yazl streams it; the pipe waits for the client). */
export function zipTo(sink: Sink, dir: string, files: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile()
    for (const name of files) zip.addFile(join(dir, name), name)
    zip.end()
    zip.outputStream.on('error', reject)
    sink.res.on('close', resolve)
    zip.outputStream.on('end', resolve)
    zip.outputStream.pipe(sink.res)
  })
}
