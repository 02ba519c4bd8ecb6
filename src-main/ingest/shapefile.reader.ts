import { existsSync } from 'node:fs'
import { open as openFile, readFile, stat, type FileHandle } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import type { Feature, Geometry } from 'geojson'
import iconv from 'iconv-lite'
import * as shapefile from 'shapefile'
import { dbfFieldType, type ScalarType, type ScalarValue } from './attributes'
import { crsFromPrj } from './crs'
import { IngestError, type AttributeType, type FieldDef, type VectorSource } from './types'

const BATCH = 2000

export interface ShapefilePaths {
  shp: string
  dbf?: string
  shx?: string
  prj?: string
  cpg?: string
}

interface DbfField {
  name: string
  rawName: Buffer
  type: ScalarType
  dbfType: string
  offset: number
  length: number
}

interface DbfHeader {
  records: number
  headerLength: number
  recordLength: number
  languageDriver: number
  fields: DbfField[]
}

const SHAPE_TYPES: Record<number, AttributeType> = {
  0: 'gml:GeometryPropertyType',
  1: 'gml:PointPropertyType',
  11: 'gml:PointPropertyType',
  21: 'gml:PointPropertyType',
  8: 'gml:MultiPointPropertyType',
  18: 'gml:MultiPointPropertyType',
  28: 'gml:MultiPointPropertyType',
  3: 'gml:MultiLineStringPropertyType',
  13: 'gml:MultiLineStringPropertyType',
  23: 'gml:MultiLineStringPropertyType',
  5: 'gml:MultiPolygonPropertyType',
  15: 'gml:MultiPolygonPropertyType',
  25: 'gml:MultiPolygonPropertyType'
}

// dBase language driver ids (byte 29 of the header) that name a code page.
const LANGUAGE_DRIVERS: Record<number, string> = {
  0x01: 'cp437',
  0x02: 'cp850',
  0x03: 'cp1252',
  0x57: 'cp1252',
  0x58: 'cp1252',
  0x59: 'cp1252',
  0x64: 'cp852',
  0x65: 'cp866',
  0x66: 'cp865',
  0x6a: 'cp737',
  0x6b: 'cp857',
  0x78: 'big5',
  0x7a: 'gbk',
  0x7b: 'cp949',
  0x7c: 'cp874',
  0x7d: 'cp1255',
  0x7e: 'cp1256',
  0x4d: 'gbk',
  0x4e: 'cp949',
  0x4f: 'big5',
  0x13: 'shiftjis',
  0xc8: 'cp1250',
  0xc9: 'cp1251',
  0xca: 'cp1254',
  0xcb: 'cp1253',
  0xcc: 'cp1257',
  0x26: 'cp866'
}

const CHARSET_LABELS: Record<string, string> = {
  utf8: 'UTF-8',
  cp1252: 'windows-1252',
  latin1: 'ISO-8859-1',
  iso88591: 'ISO-8859-1'
}

/**
 * The iconv-lite name for a .cpg / user charset ("UTF-8", "1252", "ANSI 1252", "88591", "latin1"),
 * or null when iconv-lite does not know it.
 */
export function normalizeCharset(name: string): string | null {
  let key = name.trim().toLowerCase().replace(/^ansi[\s_-]*/, '')
  if (/^\d{3,4}$/.test(key)) key = key === '8859' ? 'latin1' : `cp${key}`
  else if (/^8859\d+$/.test(key)) key = `iso-8859-${key.slice(4)}`
  else if (/^(iso[-_ ]?)?8859[-_]\d+$/.test(key)) key = `iso-8859-${key.split(/[-_]/).pop()}`
  key = key.replace(/^windows[-_ ]?(\d+)$/, 'cp$1')
  if (!iconv.encodingExists(key)) return null
  const compact = key.replace(/[^a-z0-9]/g, '')
  if (compact === 'utf8') return 'utf8'
  if (compact === 'latin1' || compact === 'iso88591') return 'latin1'
  return key
}

function charsetLabel(charset: string): string {
  return CHARSET_LABELS[charset.replace(/[^a-z0-9]/g, '')] ?? charset
}

async function readDbfHeader(handle: FileHandle, dbfFile: string): Promise<DbfHeader> {
  const head = Buffer.alloc(32)
  const { bytesRead } = await handle.read(head, 0, 32, 0)
  if (bytesRead < 32) throw new IngestError(dbfFile, 'the .dbf file is too short to be a dBase file')
  const records = head.readUInt32LE(4)
  const headerLength = head.readUInt16LE(8)
  const recordLength = head.readUInt16LE(10)
  if (headerLength < 33 || recordLength < 1) throw new IngestError(dbfFile, 'the .dbf header is corrupt')
  const descriptors = Buffer.alloc(headerLength - 32)
  await handle.read(descriptors, 0, descriptors.length, 32)
  const fields: DbfField[] = []
  let offset = 1
  for (let n = 0; n + 32 <= descriptors.length && descriptors[n] !== 0x0d; n += 32) {
    const nameEnd = descriptors.indexOf(0, n)
    const rawName = Buffer.from(descriptors.subarray(n, Math.min(nameEnd < 0 ? n + 11 : nameEnd, n + 11)))
    const dbfType = String.fromCharCode(descriptors[n + 11])
    const length = descriptors[n + 16]
    const decimals = descriptors[n + 17]
    const type = dbfFieldType(dbfType, length, decimals)
    if (type) fields.push({ name: rawName.toString('latin1').trim(), rawName, type, dbfType, offset, length })
    offset += length
  }
  if (offset > recordLength) throw new IngestError(dbfFile, 'the .dbf field sizes do not add up to its record size')
  return { records, headerLength, recordLength, languageDriver: head[29], fields }
}

function decodeText(bytes: Buffer, charset: string): string {
  if (charset === 'utf8') return bytes.toString('utf8')
  if (charset === 'latin1') return bytes.toString('latin1')
  return iconv.decode(bytes, charset)
}

function julianToIso(day: number, ms: number): string | null {
  if (day === 0) return null
  return new Date((day - 2440588) * 86400000 + ms).toISOString()
}

function readValue(record: Buffer, field: DbfField, charset: string): ScalarValue {
  const start = field.offset
  const end = start + field.length
  switch (field.dbfType) {
    case 'C': {
      let stop = end
      while (stop > start && (record[stop - 1] === 0x20 || record[stop - 1] === 0)) stop--
      return stop === start ? null : decodeText(record.subarray(start, stop), charset)
    }
    case 'N':
    case 'F': {
      const text = record.toString('latin1', start, end).trim()
      if (text === '' || text[0] === '*') return null
      const n = Number(text)
      return Number.isFinite(n) ? n : null
    }
    case 'L': {
      const c = String.fromCharCode(record[start])
      return /[YyTt]/.test(c) ? true : /[NnFf]/.test(c) ? false : null
    }
    case 'D': {
      const text = record.toString('latin1', start, end).trim()
      if (!/^\d{8}$/.test(text) || text === '00000000') return null
      return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
    }
    case 'I':
    case '+':
      return record.readInt32LE(start)
    case 'O':
      return record.readDoubleLE(start)
    case '@':
    case 'T':
      return julianToIso(record.readInt32LE(start), record.readInt32LE(start + 4))
    default:
      return null
  }
}

function sameBase(a: string, b: string): boolean {
  return basename(a, extname(a)).toLowerCase() === basename(b, extname(b)).toLowerCase()
}

async function shxRecordCount(shx: string, shp: string, file: string): Promise<number> {
  const [shxSize, shpSize] = [(await stat(shx)).size, (await stat(shp)).size]
  if (shxSize < 100 || (shxSize - 100) % 8 !== 0) throw new IngestError(file, `${basename(shx)} is not a shapefile index`)
  const count = (shxSize - 100) / 8
  if (count === 0) return 0
  const handle = await openFile(shx, 'r')
  try {
    const last = Buffer.alloc(8)
    await handle.read(last, 0, 8, shxSize - 8)
    const end = (last.readInt32BE(0) + 4 + last.readInt32BE(4)) * 2
    if (end !== shpSize) {
      throw new IngestError(file, `the .shp and .shx files do not match: ${basename(shx)} indexes records up to byte ${end} but ${basename(shp)} has ${shpSize} bytes`)
    }
  } finally {
    await handle.close()
  }
  return count
}

/** The bounding box the .shp header states (bytes 36–67: Xmin, Ymin, Xmax, Ymax), when it is a real box. */
async function shpHeaderBox(shp: string): Promise<[number, number, number, number] | undefined> {
  const handle = await openFile(shp, 'r')
  try {
    const header = Buffer.alloc(100)
    const { bytesRead } = await handle.read(header, 0, 100, 0)
    if (bytesRead < 68) return undefined
    const box: [number, number, number, number] = [header.readDoubleLE(36), header.readDoubleLE(44), header.readDoubleLE(52), header.readDoubleLE(60)]
    return box.every(Number.isFinite) && box[0] <= box[2] && box[1] <= box[3] ? box : undefined
  } finally {
    await handle.close()
  }
}

/**
 * Reads a shapefile: geometry from the .shp (its header checked by the shapefile package, its
 * records decoded from large blocks here), attributes from the
 * .dbf in the charset given by the .cpg, else the `charset` option, else the dBase language driver.
 * Features stream in batches; the files are read record by record, never whole.
 */
export async function openShapefile(paths: ShapefilePaths, options: { charset?: string } = {}): Promise<VectorSource> {
  const file = basename(paths.shp)
  const name = basename(paths.shp, extname(paths.shp))
  if (!paths.dbf || !existsSync(paths.dbf)) {
    throw new IngestError(file, `the shapefile has no .dbf file (attributes): add ${name}.dbf to the upload`)
  }
  if (!paths.shx || !existsSync(paths.shx)) {
    throw new IngestError(file, `the shapefile has no .shx file (index): add ${name}.shx to the upload`)
  }
  const sideCars = [paths.dbf, paths.shx, paths.prj, paths.cpg].filter((p): p is string => Boolean(p))
  const strangers = sideCars.filter((p) => !sameBase(p, paths.shp))
  if (strangers.length > 0) {
    throw new IngestError(file, `the side-car files do not share the shapefile's name: ${strangers.map((p) => basename(p)).join(', ')}`)
  }

  const crs = paths.prj && existsSync(paths.prj) ? crsFromPrj(await readFile(paths.prj, 'utf8'), basename(paths.prj)) : null
  const shxCount = await shxRecordCount(paths.shx, paths.shp, file)

  const dbfHandle = await openFile(paths.dbf, 'r')
  let header: DbfHeader
  try {
    header = await readDbfHeader(dbfHandle, basename(paths.dbf))
  } finally {
    await dbfHandle.close()
  }
  if (header.records !== shxCount) {
    throw new IngestError(
      file,
      `the .shp/.shx/.dbf files do not match: ${basename(paths.shx)} indexes ${shxCount} records but ${basename(paths.dbf)} has ${header.records}`
    )
  }
  const charset = await pickCharset(paths.cpg, options.charset, header.languageDriver, file)
  for (const field of header.fields) field.name = decodeText(field.rawName, charset).trim()

  let shapeType: number
  try {
    const source = await shapefile.openShp(paths.shp)
    shapeType = (source as unknown as { _type: number })._type
    await source.cancel()
  } catch (error) {
    throw new IngestError(file, `the .shp file cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }

  const fields: FieldDef[] = header.fields.map((f) => ({ name: f.name, type: f.type }))
  const extentHint = await shpHeaderBox(paths.shp)
  return {
    kind: 'vector',
    name,
    file,
    format: 'shapefile',
    crs,
    geometryType: SHAPE_TYPES[shapeType] ?? 'gml:GeometryPropertyType',
    fields,
    charset: charsetLabel(charset),
    countHint: header.records,
    ...(extentHint ? { extentHint } : {}),
    features: () => readFeatures(paths.shp, paths.dbf as string, header, charset, shapeType, file)
  }
}

async function pickCharset(cpg: string | undefined, option: string | undefined, languageDriver: number, file: string): Promise<string> {
  if (cpg && existsSync(cpg)) {
    const declared = (await readFile(cpg, 'latin1')).trim()
    const charset = declared ? normalizeCharset(declared) : null
    if (charset) return charset
  }
  if (option) {
    const charset = normalizeCharset(option)
    if (!charset) throw new IngestError(file, `unknown charset "${option}"`)
    return charset
  }
  return LANGUAGE_DRIVERS[languageDriver] ?? 'cp1252'
}

/** Bytes of .shp read at a time: large reads, one buffer reused for the whole file. */
const SHP_BLOCK = 1 << 20

type Point2 = [number, number]

/**
 * Reads .shp records from large blocks of the file and decodes them from the buffer (the shapefile
 * package reads each record through two promises and copies; this is several times faster and its
 * memory stays one block). Geometry is decoded as the shapefile package does it: Z and M are
 * dropped, one-part lines are LineStrings, polygon rings are grouped into polygons by orientation
 * (clockwise = outer) and containment. A record whose header is corrupt is skipped as the package
 * skips it: scanning ahead in 4-byte steps to the next record with the expected number.
 */
class ShpRecords {
  private buffer = Buffer.allocUnsafe(SHP_BLOCK)
  private start = 0
  private end = 0
  private position = 100
  private eof = false
  private index = 0

  constructor(
    private readonly handle: FileHandle,
    private readonly type: number
  ) {}

  /** At least `n` bytes from `start` in the buffer, unless the file ends first (then false). */
  private async ensure(n: number): Promise<boolean> {
    while (this.end - this.start < n) {
      if (this.eof) return false
      if (this.start > 0) {
        this.buffer.copy(this.buffer, 0, this.start, this.end)
        this.end -= this.start
        this.start = 0
      }
      if (n > this.buffer.length) {
        const bigger = Buffer.allocUnsafe(Math.max(n, this.buffer.length * 2))
        this.buffer.copy(bigger, 0, 0, this.end)
        this.buffer = bigger
      }
      const { bytesRead } = await this.handle.read(this.buffer, this.end, this.buffer.length - this.end, this.position)
      if (bytesRead === 0) this.eof = true
      this.position += bytesRead
      this.end += bytesRead
    }
    return true
  }

  /** The next record's geometry (null for a null shape); `done` at the end of the file. */
  async next(): Promise<{ done: boolean; value: Geometry | null }> {
    this.index++
    if (!(await this.ensure(12))) return { done: true, value: null }
    for (;;) {
      const b = this.buffer
      const length = b.readInt32BE(this.start + 4) * 2 - 4
      const type = b.readInt32LE(this.start + 8)
      if (length >= 0 && (type === 0 || type === this.type)) {
        if (!(await this.ensure(12 + length))) return { done: true, value: null }
        const at = this.start + 8
        this.start += 12 + length
        return { done: false, value: type === 0 ? null : this.parse(at, length + 4) }
      }
      // Corrupt header: move on 4 bytes at a time to the record numbered as expected.
      do {
        this.start += 4
        if (!(await this.ensure(12))) return { done: true, value: null }
      } while (this.buffer.readInt32BE(this.start) !== this.index)
    }
  }

  /** Decodes the record content at `at` (its shape type first), `size` bytes. */
  private parse(at: number, size: number): Geometry | null {
    const b = this.buffer
    if (size < 4) throw new Error('record too short')
    switch (this.type) {
      case 1:
      case 11:
      case 21:
        this.need(size, 20)
        return { type: 'Point', coordinates: [b.readDoubleLE(at + 4), b.readDoubleLE(at + 12)] }
      case 8:
      case 18:
      case 28: {
        this.need(size, 40)
        const n = b.readInt32LE(at + 36)
        this.need(size, 40 + n * 16)
        return { type: 'MultiPoint', coordinates: this.points(at + 40, n) }
      }
      case 3:
      case 13:
      case 23:
      case 5:
      case 15:
      case 25: {
        this.need(size, 44)
        const n = b.readInt32LE(at + 36)
        const m = b.readInt32LE(at + 40)
        if (n < 0 || m < 0) throw new Error('negative part or point count')
        this.need(size, 44 + n * 4 + m * 16)
        const parts = new Array<number>(n)
        for (let j = 0; j < n; j++) parts[j] = b.readInt32LE(at + 44 + j * 4)
        const points = this.points(at + 44 + n * 4, m)
        const pieces = parts.map((from, j) => points.slice(from, j + 1 < n ? parts[j + 1] : undefined))
        if (this.type % 10 === 3) return n === 1 ? { type: 'LineString', coordinates: points } : { type: 'MultiLineString', coordinates: pieces }
        return polygonOf(pieces)
      }
      default:
        return null
    }
  }

  private need(size: number, bytes: number): void {
    if (bytes > size) throw new Error(`the record holds ${size} bytes, its shape needs ${bytes}`)
  }

  private points(at: number, n: number): Point2[] {
    const b = this.buffer
    const points = new Array<Point2>(n)
    for (let j = 0, i = at; j < n; j++, i += 16) points[j] = [b.readDoubleLE(i), b.readDoubleLE(i + 8)]
    return points
  }
}

/** Rings to a Polygon or MultiPolygon, as the shapefile package groups them. */
function polygonOf(rings: Point2[][]): Geometry {
  const polygons: Point2[][][] = []
  const holes: Point2[][] = []
  for (const ring of rings) {
    if (ringClockwise(ring)) polygons.push([ring])
    else holes.push(ring)
  }
  for (const hole of holes) {
    const home = polygons.find((polygon) => ringContainsSome(polygon[0]!, hole))
    if (home) home.push(hole)
    else polygons.push([hole])
  }
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0]! } : { type: 'MultiPolygon', coordinates: polygons }
}

function ringClockwise(ring: Point2[]): boolean {
  const n = ring.length
  if (n < 4) return false
  let area = ring[n - 1]![1] * ring[0]![0] - ring[n - 1]![0] * ring[0]![1]
  for (let i = 1; i < n; i++) area += ring[i - 1]![1] * ring[i]![0] - ring[i - 1]![0] * ring[i]![1]
  return area >= 0
}

function ringContainsSome(ring: Point2[], hole: Point2[]): boolean {
  for (const point of hole) {
    const c = ringContains(ring, point)
    if (c) return c > 0
  }
  return false
}

function ringContains(ring: Point2[], point: Point2): number {
  const [x, y] = point
  let contains = -1
  for (let i = 0, n = ring.length, j = n - 1; i < n; j = i++) {
    const pi = ring[i]!
    const pj = ring[j]!
    if (segmentContains(pi, pj, point)) return 0
    if (pi[1] > y !== pj[1] > y && x < ((pj[0] - pi[0]) * (y - pi[1])) / (pj[1] - pi[1]) + pi[0]) contains = -contains
  }
  return contains
}

function segmentContains(p0: Point2, p1: Point2, p2: Point2): boolean {
  const x20 = p2[0] - p0[0]
  const y20 = p2[1] - p0[1]
  if (x20 === 0 && y20 === 0) return true
  const x10 = p1[0] - p0[0]
  const y10 = p1[1] - p0[1]
  if (x10 === 0 && y10 === 0) return false
  const t = (x20 * x10 + y20 * y10) / (x10 * x10 + y10 * y10)
  return t < 0 || t > 1 ? false : t === 0 || t === 1 ? true : t * x10 === x20 && t * y10 === y20
}

async function* readFeatures(
  shpPath: string,
  dbfPath: string,
  header: DbfHeader,
  charset: string,
  shapeType: number,
  file: string
): AsyncGenerator<Feature<Geometry | null>[]> {
  let shpHandle: FileHandle
  try {
    shpHandle = await openFile(shpPath, 'r')
  } catch (error) {
    throw new IngestError(file, `the .shp file cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }
  const shp = new ShpRecords(shpHandle, shapeType)
  let dbf: FileHandle
  try {
    dbf = await openFile(dbfPath, 'r')
  } catch (error) {
    await shpHandle.close()
    throw error
  }
  const { recordLength, fields } = header
  const block = Buffer.alloc(recordLength * BATCH)
  let position = header.headerLength
  let index = 0
  try {
    while (index < header.records) {
      const wanted = Math.min(BATCH, header.records - index)
      const { bytesRead } = await dbf.read(block, 0, wanted * recordLength, position)
      position += bytesRead
      if (bytesRead < wanted * recordLength) {
        throw new IngestError(file, `the .dbf file ends after ${index + Math.floor(bytesRead / recordLength)} of ${header.records} records`)
      }
      const batch: Feature<Geometry | null>[] = []
      for (let k = 0; k < wanted; k++, index++) {
        let result: { done: boolean; value: Geometry | null }
        try {
          result = await shp.next()
        } catch (error) {
          throw new IngestError(file, `record ${index + 1} cannot be read: ${error instanceof Error ? error.message : String(error)}`)
        }
        if (result.done) throw new IngestError(file, `the .shp file ends after ${index} of ${header.records} records`)
        const record = block.subarray(k * recordLength, (k + 1) * recordLength)
        // A deleted dBase record ('*') marks a deleted feature: GDAL skips both halves too.
        if (record[0] === 0x2a) continue
        const properties: Record<string, ScalarValue> = {}
        for (const field of fields) properties[field.name] = readValue(record, field, charset)
        batch.push({ type: 'Feature', properties, geometry: result.value ?? null })
      }
      if (batch.length > 0) yield batch
    }
  } finally {
    await dbf.close()
    await shpHandle.close().catch(() => undefined)
  }
}
