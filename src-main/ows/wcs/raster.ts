import { fromFile, type GeoTIFF, type GeoTIFFImage, type TypedArray } from 'geotiff'
import type { Bbox } from '../crs'
import { transformer } from '../crs'
import { OwsException } from '../exceptions'

/** A band's sample type, as GDAL names it (DescribeCoverage and the written TIFF use it). */
export type SampleType = 'Byte' | 'Int8' | 'UInt16' | 'Int16' | 'UInt32' | 'Int32' | 'Float32' | 'Float64'

/** What a stored GeoTIFF offers: its grid, bands and overviews (no pixels). */
export interface RasterInfo {
  width: number
  height: number
  /** Upper-left corner and pixel size (positive both ways) in the native CRS. */
  originX: number
  originY: number
  resX: number
  resY: number
  bbox: Bbox
  bands: number
  sampleType: SampleType
  noData: number | null
  /** Three 8-bit bands drawn as RGB. */
  rgb: boolean
}

/** One output grid: CRS, extent (x, y order) and size. */
export interface OutputGrid {
  epsg: number
  bbox: Bbox
  width: number
  height: number
}

/** The largest coverage one GetCoverage answers: more is refused, naming the limit. */
export const MAX_OUTPUT_SIDE = 10_000
export const MAX_OUTPUT_BYTES = 512 * 1024 * 1024
/** Bytes of source samples one read may decode; larger windows are read in fewer output rows at a time. */
const MAX_WINDOW_BYTES = 64 * 1024 * 1024
const ROWS_PER_CHUNK = 256

const BYTES: Record<SampleType, number> = { Byte: 1, Int8: 1, UInt16: 2, Int16: 2, UInt32: 4, Int32: 4, Float32: 4, Float64: 8 }
export const bytesPerSample = (type: SampleType) => BYTES[type]

function sampleTypeOf(image: GeoTIFFImage): SampleType {
  const bits = image.getBitsPerSample(0)
  const format = image.getSampleFormat(0)
  if (format === 3) return bits === 64 ? 'Float64' : 'Float32'
  if (format === 2) return bits === 8 ? 'Int8' : bits === 16 ? 'Int16' : 'Int32'
  return bits <= 8 ? 'Byte' : bits === 16 ? 'UInt16' : 'UInt32'
}

function infoOf(image: GeoTIFFImage): RasterInfo {
  const [originX, originY] = image.getOrigin()
  const [resX, resY] = image.getResolution()
  const width = image.getWidth()
  const height = image.getHeight()
  const bands = image.getSamplesPerPixel()
  const photometric = Number(image.fileDirectory.getValue('PhotometricInterpretation') ?? 1)
  const sampleType = sampleTypeOf(image)
  const dx = Math.abs(resX)
  const dy = Math.abs(resY)
  return {
    width,
    height,
    originX,
    originY,
    resX: dx,
    resY: dy,
    bbox: [originX, originY - dy * height, originX + dx * width, originY],
    bands,
    sampleType,
    noData: image.getGDALNoData(),
    rgb: photometric === 2 && bands >= 3 && sampleType === 'Byte'
  }
}

async function withTiff<T>(file: string, use: (tiff: GeoTIFF) => Promise<T>): Promise<T> {
  let tiff: GeoTIFF
  try {
    tiff = await fromFile(file)
  } catch {
    throw new OwsException('NoApplicableCode', 'The coverage\u2019s stored raster cannot be read.', 'coverage', 500)
  }
  try {
    return await use(tiff)
  } finally {
    await tiff.close()
  }
}

/** The grid and bands of a stored GeoTIFF. */
export function readRasterInfo(file: string): Promise<RasterInfo> {
  return withTiff(file, async (tiff) => infoOf(await tiff.getImage(0)))
}

/** The full image and its overviews (reduced-resolution images, not masks), largest first. */
async function pyramid(tiff: GeoTIFF): Promise<GeoTIFFImage[]> {
  const count = await tiff.getImageCount()
  const images = [await tiff.getImage(0)]
  for (let index = 1; index < count; index++) {
    const image = await tiff.getImage(index)
    if (Number(image.fileDirectory.getValue('NewSubfileType') ?? 0) & 4) continue
    images.push(image)
  }
  return images.sort((a, b) => b.getWidth() - a.getWidth())
}

/** Checks an output grid against the limits, with an exception a client can act on. */
export function checkOutputSize(grid: OutputGrid, info: RasterInfo, bands: number): void {
  if (!(grid.width >= 1 && grid.height >= 1) || !Number.isInteger(grid.width) || !Number.isInteger(grid.height)) {
    throw new OwsException('InvalidParameterValue', `The output would be ${grid.width} x ${grid.height} pixels; it needs at least one pixel each way.`, 'size')
  }
  const bytes = grid.width * grid.height * bands * BYTES[info.sampleType]
  if (grid.width > MAX_OUTPUT_SIDE || grid.height > MAX_OUTPUT_SIDE || bytes > MAX_OUTPUT_BYTES) {
    throw new OwsException(
      'InvalidParameterValue',
      `The output would be ${grid.width} x ${grid.height} pixels (${Math.ceil(bytes / 1048576)} MB); this server answers at most ${MAX_OUTPUT_SIDE} pixels a side and ${MAX_OUTPUT_BYTES / 1048576} MB. Ask for a smaller area or scale it down.`,
      'size',
      413
    )
  }
}

interface Sampler {
  image: GeoTIFFImage
  /** The height of the image's tiles (or strips): reads aligned to it decode each tile once. */
  tileHeight: number
  /** Fills the source column and row (in `image`) under the centre of each pixel of output row j, -1 outside. */
  locateRow(j: number, cols: Int32Array, rows: Int32Array): void
  /** In the raster's own CRS rows and columns map apart: the source row of output row j (-1 outside). */
  rowOf: ((j: number) => number) | null
}

/** Picks the coarsest image (full or overview) still at least as fine as the output, and maps output pixels to it. */
function samplerFor(images: GeoTIFFImage[], info: RasterInfo, grid: OutputGrid, nativeEpsg: number): Sampler {
  const toNative = transformer(grid.epsg, nativeEpsg)
  const sx = (grid.bbox[2] - grid.bbox[0]) / grid.width
  const sy = (grid.bbox[3] - grid.bbox[1]) / grid.height
  const cx = (i: number) => grid.bbox[0] + (i + 0.5) * sx
  const cy = (j: number) => grid.bbox[3] - (j + 0.5) * sy
  // The output pixel's size in native units, measured at the grid's centre.
  const ci = Math.floor(grid.width / 2)
  const cj = Math.floor(grid.height / 2)
  const a = toNative([cx(ci), cy(cj)])
  const b = toNative([cx(ci + 1), cy(cj)])
  const c = toNative([cx(ci), cy(cj + 1)])
  const outRes = Math.min(Math.hypot(b[0] - a[0], b[1] - a[1]), Math.hypot(c[0] - a[0], c[1] - a[1]))
  let image = images[0]
  for (const candidate of images) {
    const res = (info.resX * info.width) / candidate.getWidth()
    if (Number.isFinite(outRes) && res <= outRes * 1.0001) image = candidate
  }
  const w = image.getWidth()
  const h = image.getHeight()
  const rx = (info.resX * info.width) / w
  const ry = (info.resY * info.height) / h
  const column = (x: number) => {
    const col = Math.floor((x - info.originX) / rx)
    return col >= 0 && col < w ? col : -1
  }
  const row = (y: number) => {
    const r = Math.floor((info.originY - y) / ry)
    return r >= 0 && r < h ? r : -1
  }
  const tileHeight = image.getTileHeight() || h
  if (grid.epsg === nativeEpsg) {
    const columns = Int32Array.from({ length: grid.width }, (_, i) => column(cx(i)))
    const rowOf = (j: number) => row(cy(j))
    return {
      image,
      tileHeight,
      rowOf,
      locateRow(j, cols, rows) {
        const r = rowOf(j)
        for (let i = 0; i < grid.width; i++) {
          cols[i] = r < 0 ? -1 : columns[i]
          rows[i] = r
        }
      }
    }
  }
  const exact = (x: number, y: number): [number, number] => {
    try {
      return toNative([x, y])
    } catch {
      return [Number.NaN, Number.NaN]
    }
  }
  const xs = new Float64Array(grid.width)
  const ys = new Float64Array(grid.width)
  return {
    image,
    tileHeight,
    rowOf: null,
    locateRow(j, cols, rows) {
      projectRow(grid.width, cy(j), cx, exact, xs, ys, rx, ry)
      for (let i = 0; i < grid.width; i++) {
        const col = Number.isFinite(xs[i]) ? column(xs[i]) : -1
        const r = Number.isFinite(ys[i]) ? row(ys[i]) : -1
        cols[i] = col < 0 || r < 0 ? -1 : col
        rows[i] = col < 0 || r < 0 ? -1 : r
      }
    }
  }
}

/** Output pixels between exactly transformed ones along a row; GDAL's approximate transformer works alike. */
const KNOT_STEP = 16
/** The most an interpolated position may be off, in source pixels, before its stretch is transformed exactly. */
const MAX_ERROR_PIXELS = 0.125

/**
 * The native positions of the centres of one output row (`y`), into xs and ys: exactly at every
 * KNOT_STEP-th pixel and linearly in between, where the midpoint of the stretch shows the line
 * bends less than MAX_ERROR_PIXELS; elsewhere (and where a projection has no answer) every pixel
 * exactly.
 */
function projectRow(width: number, y: number, cx: (i: number) => number, exact: (x: number, y: number) => [number, number], xs: Float64Array, ys: Float64Array, rx: number, ry: number): void {
  const put = (i: number) => {
    const [x, v] = exact(cx(i), y)
    xs[i] = x
    ys[i] = v
  }
  put(0)
  for (let k0 = 0; k0 < width - 1; ) {
    const k1 = Math.min(width - 1, k0 + KNOT_STEP)
    put(k1)
    let approximate = Number.isFinite(xs[k0] + ys[k0] + xs[k1] + ys[k1]) && k1 - k0 > 1
    if (approximate) {
      const mid = (k0 + k1) >> 1
      const t = (mid - k0) / (k1 - k0)
      const [mx, my] = exact(cx(mid), y)
      approximate = Math.abs(xs[k0] + t * (xs[k1] - xs[k0]) - mx) / rx <= MAX_ERROR_PIXELS && Math.abs(ys[k0] + t * (ys[k1] - ys[k0]) - my) / ry <= MAX_ERROR_PIXELS
    }
    for (let i = k0 + 1; i < k1; i++) {
      if (approximate) {
        const t = (i - k0) / (k1 - k0)
        xs[i] = xs[k0] + t * (xs[k1] - xs[k0])
        ys[i] = ys[k0] + t * (ys[k1] - ys[k0])
      } else put(i)
    }
    k0 = k1
  }
}

type Writer = (chunk: Buffer) => Promise<void>

const ARRAYS: Record<SampleType, { new (length: number): TypedArray }> = {
  Byte: Uint8Array,
  Int8: Int8Array,
  UInt16: Uint16Array,
  Int16: Int16Array,
  UInt32: Uint32Array,
  Int32: Int32Array,
  Float32: Float32Array,
  Float64: Float64Array
}

/** Samples in the platform's (little-endian) order, turned big-endian in place: the byte order of geotiff's header. */
function bigEndian(samples: TypedArray, size: number): Buffer {
  const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)
  if (size === 2) bytes.swap16()
  else if (size === 4) bytes.swap32()
  else if (size === 8) bytes.swap64()
  return bytes
}

/**
 * Writes the samples of output rows `first`..`first + rows - 1` for every band, pixel-interleaved.
 * Nearest neighbour: each output pixel takes the source pixel under its centre; outside the source
 * it takes nodata (0 without one). The source is read as one window per call (split in two while
 * the window is larger than MAX_WINDOW_BYTES).
 */
async function renderRows(sampler: Sampler, grid: OutputGrid, info: RasterInfo, bands: number[], first: number, rows: number, write: Writer): Promise<void> {
  const cols = new Int32Array(grid.width * rows)
  const srcRows = new Int32Array(grid.width * rows)
  for (let j = 0; j < rows; j++) sampler.locateRow(first + j, cols.subarray(j * grid.width, (j + 1) * grid.width), srcRows.subarray(j * grid.width, (j + 1) * grid.width))
  let [minCol, minRow, maxCol, maxRow] = [Infinity, Infinity, -Infinity, -Infinity]
  for (let p = 0; p < cols.length; p++) {
    const col = cols[p]
    if (col < 0) continue
    if (col < minCol) minCol = col
    if (col > maxCol) maxCol = col
    const row = srcRows[p]
    if (row < minRow) minRow = row
    if (row > maxRow) maxRow = row
  }
  const windowPixels = Number.isFinite(minCol) ? (maxCol - minCol + 1) * (maxRow - minRow + 1) : 0
  if (windowPixels * bands.length * BYTES[info.sampleType] > MAX_WINDOW_BYTES && rows > 1) {
    const half = Math.ceil(rows / 2)
    await renderRows(sampler, grid, info, bands, first, half, write)
    await renderRows(sampler, grid, info, bands, first + half, rows - half, write)
    return
  }
  let source: TypedArray[] = []
  const windowWidth = maxCol - minCol + 1
  if (windowPixels > 0) {
    source = Array.from(await sampler.image.readRasters({ window: [minCol, minRow, maxCol + 1, maxRow + 1], samples: bands, interleave: false }))
  }
  const count = bands.length
  const out = new ARRAYS[info.sampleType](cols.length * count)
  const fill = info.noData ?? 0
  for (let p = 0; p < cols.length; p++) {
    const col = cols[p]
    const index = col < 0 ? -1 : (srcRows[p] - minRow) * windowWidth + (col - minCol)
    for (let b = 0; b < count; b++) out[p * count + b] = index < 0 ? fill : source[b][index]
  }
  await write(bigEndian(out, BYTES[info.sampleType]))
}

/** Output pixels (each mapped to its source pixel: 8 bytes) and bytes of samples one chunk holds at most. */
const MAX_CHUNK_PIXELS = 4 * 1024 * 1024
const MAX_CHUNK_BYTES = 32 * 1024 * 1024

/**
 * How many output rows the next chunk takes. In the raster's own CRS a chunk ends where its source
 * rows leave the band of tiles (or strips) it started in, so each tile is decoded once; otherwise
 * (reprojected) a fixed number of rows.
 */
function chunkRows(sampler: Sampler, grid: OutputGrid, first: number, bytesPerPixel: number): number {
  const pixels = Math.min(MAX_CHUNK_PIXELS, MAX_CHUNK_BYTES / bytesPerPixel)
  const cap = Math.max(1, Math.min(grid.height - first, Math.floor(pixels / grid.width)))
  const rowOf = sampler.rowOf
  if (!rowOf) return Math.min(cap, ROWS_PER_CHUNK)
  const start = rowOf(first)
  if (start < 0) return Math.min(cap, ROWS_PER_CHUNK)
  const bandEnd = (Math.floor(start / sampler.tileHeight) + 1) * sampler.tileHeight
  let rows = 1
  while (rows < cap && rowOf(first + rows) < bandEnd && rowOf(first + rows) >= 0) rows++
  return rows
}

/**
 * Streams the samples of an output grid read from a stored GeoTIFF, a band of rows at a time
 * (each written before the next is read), from the overview that suits the output resolution,
 * reprojected when the grid's CRS is not the raster's.
 */
export function renderCoverage(file: string, info: RasterInfo, nativeEpsg: number, grid: OutputGrid, bands: number[], write: Writer): Promise<void> {
  return withTiff(file, async (tiff) => {
    const sampler = samplerFor(await pyramid(tiff), info, grid, nativeEpsg)
    for (let first = 0; first < grid.height; ) {
      const rows = chunkRows(sampler, grid, first, bands.length * BYTES[info.sampleType])
      await renderRows(sampler, grid, info, bands, first, rows, write)
      first += rows
    }
  })
}
