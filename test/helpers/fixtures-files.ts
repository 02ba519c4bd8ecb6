import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeArrayBuffer, type GeotiffWriterMetadata } from 'geotiff'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import yazl from 'yazl'

/** A fresh temp folder and its removal, for one test file. */
export async function makeTempDir(prefix = 'mapshelf-ingest-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export interface ZipInput {
  name: string
  data: Buffer | string
  /** Store (no deflate); default compressed. */
  store?: boolean
  /** Unix mode written to the external attributes (e.g. 0o120777 for a symlink). */
  mode?: number
}

export function buildZip(entries: ZipInput[]): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data
    zip.addBuffer(data, entry.name, { compress: !entry.store, ...(entry.mode === undefined ? {} : { mode: entry.mode }) })
  }
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
    zip.outputStream.on('error', reject)
  })
}

interface CentralRecord {
  /** Offset of the central directory record. */
  central: number
  /** Offset of the local file header. */
  local: number
  name: string
}

/** Walks the central directory of a (non-zip64) archive built by buildZip. */
export function centralRecords(zip: Buffer): CentralRecord[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0) throw new Error('no end of central directory record')
  const count = zip.readUInt16LE(eocd + 10)
  let offset = zip.readUInt32LE(eocd + 16)
  const records: CentralRecord[] = []
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    records.push({
      central: offset,
      local: zip.readUInt32LE(offset + 42),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength)
    })
    offset += 46 + nameLength + extraLength + commentLength
  }
  return records
}

function record(zip: Buffer, name: string): CentralRecord {
  const found = centralRecords(zip).find((entry) => entry.name === name)
  if (!found) throw new Error(`no entry ${name}`)
  return found
}

/**
 * Renames an entry in place, in both headers, to a name of the same byte length: the way to get
 * names yazl refuses to write (`../evil.txt`, `/abs.txt`, `C:/x.txt`, backslashes).
 */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  const out = Buffer.from(zip)
  const target = Buffer.from(to)
  if (target.length !== Buffer.byteLength(from)) throw new Error('renameEntry needs names of equal length')
  const entry = record(out, from)
  target.copy(out, entry.central + 46)
  target.copy(out, entry.local + 30)
  return out
}

/** Sets the "encrypted" general purpose bit of an entry (its data stays readable: only the flag matters). */
export function markEncrypted(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip)
  const entry = record(out, name)
  out.writeUInt16LE(out.readUInt16LE(entry.central + 8) | 1, entry.central + 8)
  out.writeUInt16LE(out.readUInt16LE(entry.local + 6) | 1, entry.local + 6)
  return out
}

/** Makes an entry claim a smaller uncompressed size than its data really inflates to. */
export function understateSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip)
  const entry = record(out, name)
  out.writeUInt32LE(size, entry.central + 24)
  out.writeUInt32LE(size, entry.local + 22)
  return out
}

/** Overwrites the middle of an entry's compressed data with garbage. */
export function corruptEntryData(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip)
  const entry = record(out, name)
  const dataStart = entry.local + 30 + out.readUInt16LE(entry.local + 26) + out.readUInt16LE(entry.local + 28)
  const compressedSize = out.readUInt32LE(entry.central + 20)
  out.fill(0xff, dataStart, dataStart + Math.min(compressedSize, 64))
  return out
}

export interface TiffOptions {
  width: number
  height: number
  values: ArrayLike<number>
  metadata?: Partial<GeotiffWriterMetadata>
}

/** Writes a stripped GeoTIFF with geotiff's writer (EPSG:4326 over the whole world unless metadata says otherwise). */
export async function writeGeoTiff(file: string, options: TiffOptions): Promise<string> {
  const metadata: GeotiffWriterMetadata = { width: options.width, height: options.height, ...options.metadata }
  const buffer = writeArrayBuffer(options.values as number[], metadata)
  await writeFile(file, Buffer.from(buffer))
  return file
}

/** A baseline 8-bit greyscale TIFF with no GeoTIFF tags at all (geotiff's writer always adds some). */
export async function writePlainTiff(file: string, width = 4, height = 3): Promise<string> {
  const pixels = width * height
  const tags: [number, number, number][] = [
    [256, 3, width], // ImageWidth
    [257, 3, height], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: black is zero
    [273, 4, 0], // StripOffsets, patched below
    [277, 3, 1], // SamplesPerPixel
    [278, 3, height], // RowsPerStrip
    [279, 4, pixels] // StripByteCounts
  ]
  const ifdSize = 2 + tags.length * 12 + 4
  const dataOffset = 8 + ifdSize
  const out = Buffer.alloc(dataOffset + pixels)
  out.write('II*\0', 0, 'latin1')
  out.writeUInt32LE(8, 4)
  out.writeUInt16LE(tags.length, 8)
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12
    out.writeUInt16LE(tag, at)
    out.writeUInt16LE(type, at + 2)
    out.writeUInt32LE(1, at + 4)
    if (type === 3) out.writeUInt16LE(value, at + 8)
    else out.writeUInt32LE(tag === 273 ? dataOffset : value, at + 8)
  })
  out.writeUInt32LE(0, 10 + tags.length * 12)
  for (let i = 0; i < pixels; i++) out[dataOffset + i] = (i * 37) % 256
  await writeFile(file, out)
  return file
}

export async function writePng(file: string, width: number, height: number, rgba: [number, number, number, number]): Promise<string> {
  const png = new PNG({ width, height })
  for (let i = 0; i < width * height; i++) png.data.set(rgba, i * 4)
  await writeFile(file, PNG.sync.write(png))
  return file
}

export async function writeJpeg(file: string, width: number, height: number, rgb: [number, number, number]): Promise<string> {
  const data = Buffer.alloc(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4)
  await writeFile(file, jpeg.encode({ width, height, data }, 90).data)
  return file
}

/** Decodes a PNG and gives RGBA access by pixel. */
export function readPng(buffer: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  const png = PNG.sync.read(buffer)
  return {
    width: png.width,
    height: png.height,
    pixel: (x, y) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4))
  }
}

/**
 * Committed fixtures, made once with GDAL 3 so tests never need it:
 * cog-32633.tif: a 256x256 uint8 gradient (0 in the top-left 16x16 block) written with geotiff's
 * writer at 10 m from (500000, 5000000) in EPSG:32633, then
 * `gdal_translate -of COG -a_nodata 0 -co BLOCKSIZE=64 -co COMPRESS=DEFLATE -co OVERVIEW_RESAMPLING=NEAREST`
 * (tiles 64x64, overviews 128 and 64, LAYOUT=COG ghost header).
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url))
