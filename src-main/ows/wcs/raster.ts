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
/** Source pixels one read may decode; larger windows are read in fewer output rows at a time. */
const MAX_WINDOW_PIXELS = 8 * 1024 * 1024
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
  /** Source column and row (in `image`) of the centre of output pixel (i, j), or -1 outside. */
  locate(i: number, j: number): [number, number]
}

/** Picks the coarsest image (full or overview) still at least as fine as the output, and maps output pixels to it. */
function samplerFor(images: GeoTIFFImage[], info: RasterInfo, grid: OutputGrid, nativeEpsg: number): Sampler {
  const toNative = transformer(grid.epsg, nativeEpsg)
  const sx = (grid.bbox[2] - grid.bbox[0]) / grid.width
  const sy = (grid.bbox[3] - grid.bbox[1]) / grid.height
  const centre = (i: number, j: number): [number, number] => [grid.bbox[0] + (i + 0.5) * sx, grid.bbox[3] - (j + 0.5) * sy]
  // The output pixel's size in native units, measured at the grid's centre.
  const ci = Math.floor(grid.width / 2)
  const cj = Math.floor(grid.height / 2)
  const a = toNative(centre(ci, cj))
  const b = toNative(centre(ci + 1, cj))
  const c = toNative(centre(ci, cj + 1))
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
  return {
    image,
    locate(i, j) {
      let p: [number, number]
      try {
        p = toNative(centre(i, j))
      } catch {
        return [-1, -1]
      }
      const col = Math.floor((p[0] - info.originX) / rx)
      const row = Math.floor((info.originY - p[1]) / ry)
      return col >= 0 && col < w && row >= 0 && row < h && Number.isFinite(col + row) ? [col, row] : [-1, -1]
    }
  }
}

type Writer = (chunk: Buffer) => Promise<void>

/**
 * Writes the samples of output rows `first`..`first + rows - 1` for every band, pixel-interleaved
 * and big-endian (the byte order of the header geotiff's writer makes). Nearest neighbour: each
 * output pixel takes the source pixel under its centre; outside the source it takes nodata (0
 * without one).
 */
async function renderRows(sampler: Sampler, grid: OutputGrid, info: RasterInfo, bands: number[], first: number, rows: number, write: Writer): Promise<void> {
  const cells = new Int32Array(grid.width * rows * 2)
  let [minCol, minRow, maxCol, maxRow] = [Infinity, Infinity, -Infinity, -Infinity]
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < grid.width; i++) {
      const [col, row] = sampler.locate(i, first + j)
      const at = (j * grid.width + i) * 2
      cells[at] = col
      cells[at + 1] = row
      if (col < 0) continue
      if (col < minCol) minCol = col
      if (col > maxCol) maxCol = col
      if (row < minRow) minRow = row
      if (row > maxRow) maxRow = row
    }
  }
  const windowPixels = Number.isFinite(minCol) ? (maxCol - minCol + 1) * (maxRow - minRow + 1) : 0
  if (windowPixels > MAX_WINDOW_PIXELS && rows > 1) {
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
  const size = BYTES[info.sampleType]
  const out = Buffer.alloc(grid.width * rows * bands.length * size)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  const put = setter(info.sampleType, view)
  const fill = info.noData ?? 0
  let offset = 0
  for (let p = 0; p < grid.width * rows; p++) {
    const col = cells[p * 2]
    const row = cells[p * 2 + 1]
    const index = col < 0 ? -1 : (row - minRow) * windowWidth + (col - minCol)
    for (let b = 0; b < bands.length; b++) {
      put(offset, index < 0 ? fill : source[b][index])
      offset += size
    }
  }
  await write(out)
}

function setter(type: SampleType, view: DataView): (offset: number, value: number) => void {
  switch (type) {
    case 'Byte':
      return (o, v) => view.setUint8(o, v)
    case 'Int8':
      return (o, v) => view.setInt8(o, v)
    case 'UInt16':
      return (o, v) => view.setUint16(o, v, false)
    case 'Int16':
      return (o, v) => view.setInt16(o, v, false)
    case 'UInt32':
      return (o, v) => view.setUint32(o, v, false)
    case 'Int32':
      return (o, v) => view.setInt32(o, v, false)
    case 'Float32':
      return (o, v) => view.setFloat32(o, v, false)
    case 'Float64':
      return (o, v) => view.setFloat64(o, v, false)
  }
}

/**
 * Streams the samples of an output grid read from a stored GeoTIFF, a band of rows at a time
 * (each written before the next is read), from the overview that suits the output resolution,
 * reprojected when the grid's CRS is not the raster's.
 */
export function renderCoverage(file: string, info: RasterInfo, nativeEpsg: number, grid: OutputGrid, bands: number[], write: Writer): Promise<void> {
  return withTiff(file, async (tiff) => {
    const sampler = samplerFor(await pyramid(tiff), info, grid, nativeEpsg)
    for (let first = 0; first < grid.height; first += ROWS_PER_CHUNK) {
      await renderRows(sampler, grid, info, bands, first, Math.min(ROWS_PER_CHUNK, grid.height - first), write)
    }
  })
}
