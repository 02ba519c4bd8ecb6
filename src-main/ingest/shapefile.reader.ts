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

/**
 * Reads a shapefile: geometry from the .shp (through the shapefile package), attributes from the
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
    features: () => readFeatures(paths.shp, paths.dbf as string, header, charset, file)
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

async function* readFeatures(
  shpPath: string,
  dbfPath: string,
  header: DbfHeader,
  charset: string,
  file: string
): AsyncGenerator<Feature<Geometry | null>[]> {
  let shp: Awaited<ReturnType<typeof shapefile.openShp>>
  try {
    shp = await shapefile.openShp(shpPath)
  } catch (error) {
    throw new IngestError(file, `the .shp file cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }
  const dbf = await openFile(dbfPath, 'r')
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
          result = (await shp.read()) as { done: boolean; value: Geometry | null }
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
    await shp.cancel().catch(() => undefined)
  }
}
