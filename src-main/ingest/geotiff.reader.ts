import { open, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fromFile, type GeoTIFF, type GeoTIFFImage, type TypedArray } from 'geotiff'
import { PNG } from 'pngjs'
import { IngestError, type RasterSource, type SourceCrs } from './types'

export interface PreviewSize {
  width: number
  height: number
}

/** GeoKey value meaning "user-defined": the CRS is spelled out by other keys, with no EPSG code. */
const USER_DEFINED = 32767
const MODEL_PROJECTED = 1
const MODEL_GEOGRAPHIC = 2
/** Above this many source pixels the preview reads sampled rows instead of the whole image. */
const DIRECT_READ_PIXELS = 1024 * 1024

const requireHere = createRequire(import.meta.url)

/** Reads a GeoTIFF's structure (no pixels) into a RasterSource. */
export async function openGeoTiff(filePath: string): Promise<RasterSource> {
  const file = path.basename(filePath)
  const tiff = await openTiff(filePath)
  try {
    const image = await tiff.getImage(0)
    const bbox = boundingBox(image, file)
    const bands = image.getSamplesPerPixel()
    const imageCount = await tiff.getImageCount()
    return {
      kind: 'raster',
      name: path.parse(file).name,
      file,
      format: 'geotiff',
      crs: await crsFromGeoKeys(image.getGeoKeys()),
      width: image.getWidth(),
      height: image.getHeight(),
      bands,
      bandTypes: Array.from({ length: bands }, (_, band) => sampleType(image, band)),
      bbox,
      cloudOptimized: await isCloudOptimized(tiff, image, imageCount),
      noData: image.getGDALNoData()
    }
  } catch (error) {
    if (error instanceof IngestError) throw error
    throw new IngestError(file, `not a GeoTIFF: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await tiff.close()
  }
}

/**
 * Renders a small RGBA PNG of the raster, fitting inside `size` and keeping the aspect ratio.
 * Reads the smallest overview that is large enough; without overviews it reads one sampled row
 * at a time, so a big file is never decoded whole. Nodata pixels are transparent; non-8-bit data
 * gets a 2–98 % linear stretch per band.
 */
export async function renderGeoTiffPreview(
  filePath: string,
  size: number | PreviewSize = { width: 240, height: 180 }
): Promise<{ png: Buffer; width: number; height: number }> {
  const box = typeof size === 'number' ? { width: size, height: size } : size
  const tiff = await openTiff(filePath)
  try {
    const image = await tiff.getImage(0)
    const scale = Math.min(box.width / image.getWidth(), box.height / image.getHeight(), 1)
    const width = Math.max(1, Math.round(image.getWidth() * scale))
    const height = Math.max(1, Math.round(image.getHeight() * scale))
    const layout = await bandLayout(image)
    const source = pickImage(await fullAndOverviews(tiff, image), width, height)
    const samples = layout.alpha === null ? layout.colour : [...layout.colour, layout.alpha]
    const values = await readSampled(filePath, source, samples, width, height)
    const rgba = toRgba(values, layout, image, width * height)
    const png = new PNG({ width, height })
    png.data = rgba
    return { png: PNG.sync.write(png), width, height }
  } finally {
    await tiff.close()
  }
}

async function openTiff(filePath: string): Promise<GeoTIFF> {
  const file = path.basename(filePath)
  const handle = await open(filePath, 'r')
  const header = Buffer.alloc(4)
  try {
    await handle.read(header, 0, 4, 0)
  } finally {
    await handle.close()
  }
  const magic = header.toString('latin1')
  if (!['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(magic)) {
    throw new IngestError(file, 'not a GeoTIFF: the file does not start with a TIFF header')
  }
  try {
    return await fromFile(filePath)
  } catch (error) {
    throw new IngestError(file, `not a GeoTIFF: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function boundingBox(image: GeoTIFFImage, file: string): [number, number, number, number] {
  const directory = image.fileDirectory
  const georeferenced =
    directory.hasTag('ModelTransformation') || (directory.hasTag('ModelTiepoint') && directory.hasTag('ModelPixelScale'))
  if (!georeferenced) {
    const problem = 'the TIFF has no georeferencing (no ModelTiepoint/ModelPixelScale or ModelTransformation tag)'
    throw new IngestError(file, `not a GeoTIFF: ${problem}`)
  }
  const [minx, miny, maxx, maxy] = image.getBoundingBox()
  if (![minx, miny, maxx, maxy].every(Number.isFinite)) {
    throw new IngestError(file, 'not a GeoTIFF: the georeferencing tags give no usable extent')
  }
  return [minx, miny, maxx, maxy]
}

async function crsFromGeoKeys(keys: ReturnType<GeoTIFFImage['getGeoKeys']>): Promise<SourceCrs | null> {
  if (!keys) return null
  const model = Number(keys.GTModelTypeGeoKey)
  const projected = Number(keys.ProjectedCSTypeGeoKey)
  const geographic = Number(keys.GeographicTypeGeoKey)
  if (model !== MODEL_GEOGRAPHIC && isEpsgCode(projected)) return epsgCrs(projected)
  if (model === MODEL_PROJECTED) return null
  if (isEpsgCode(geographic)) return epsgCrs(geographic)
  return null
}

function isEpsgCode(code: number): boolean {
  return Number.isInteger(code) && code > 0 && code < USER_DEFINED
}

async function epsgCrs(epsg: number): Promise<SourceCrs> {
  try {
    const record = JSON.parse(await readFile(requireHere.resolve(`epsg-index/s/${epsg}.json`), 'utf8')) as { proj4?: string }
    if (record.proj4) return { epsg, definition: record.proj4 }
  } catch {
    // Not in the index (deprecated or vendor code): fall back to the authority string.
  }
  return { epsg, definition: `EPSG:${epsg}` }
}

function sampleType(image: GeoTIFFImage, band: number): string {
  const bits = image.getBitsPerSample(band)
  const kinds: Record<number, string> = { 1: 'uint', 2: 'int', 3: 'float', 5: 'cint', 6: 'cfloat' }
  return `${kinds[image.getSampleFormat(band)] ?? 'uint'}${bits}`
}

async function overviewImages(tiff: GeoTIFF, imageCount: number): Promise<GeoTIFFImage[]> {
  const images: GeoTIFFImage[] = []
  for (let index = 1; index < imageCount; index++) {
    const image = await tiff.getImage(index)
    const subfileType = Number(image.fileDirectory.getValue('NewSubfileType') ?? 0)
    if (subfileType & 4) continue // transparency mask, not an overview
    images.push(image)
  }
  return images
}

async function fullAndOverviews(tiff: GeoTIFF, image: GeoTIFFImage): Promise<GeoTIFFImage[]> {
  return [image, ...(await overviewImages(tiff, await tiff.getImageCount()))]
}

/** Pragmatic COG check: tiled, with at least one overview, and (when GDAL says so) IFDs before data. */
async function isCloudOptimized(tiff: GeoTIFF, image: GeoTIFFImage, imageCount: number): Promise<boolean> {
  if (!image.isTiled || imageCount < 2) return false
  if ((await overviewImages(tiff, imageCount)).length === 0) return false
  const ghost = await tiff.getGhostValues()
  if (ghost && typeof ghost.LAYOUT === 'string') {
    return ghost.LAYOUT === 'IFDS_BEFORE_DATA' && ghost.KNOWN_INCOMPATIBLE_EDITION !== 'YES'
  }
  const firstTile = Number(await image.fileDirectory.loadValueIndexed('TileOffsets', 0))
  return firstTile > tiff.firstIFDOffset
}

interface BandLayout {
  /** Sample indexes drawn as colour: one (grey or palette) or three (RGB). */
  colour: number[]
  alpha: number | null
  palette: ArrayLike<number> | null
  bitsPerSample: number
}

async function bandLayout(image: GeoTIFFImage): Promise<BandLayout> {
  const directory = image.fileDirectory
  const photometric = Number(directory.getValue('PhotometricInterpretation') ?? 1)
  const samples = image.getSamplesPerPixel()
  const extra = directory.getValue('ExtraSamples') as number | number[] | undefined
  const extraSamples = extra === undefined ? [] : Array.isArray(extra) ? extra : [extra]
  const bitsPerSample = image.getBitsPerSample(0)
  const rgb = samples >= 3 && (photometric === 2 || photometric === 6)
  const colour = rgb ? [0, 1, 2] : [0]
  const alphaIndex = extraSamples.findIndex((kind) => kind === 1 || kind === 2)
  const alpha = alphaIndex >= 0 ? samples - extraSamples.length + alphaIndex : null
  const palette = photometric === 3 && directory.hasTag('ColorMap') ? ((await directory.loadValue('ColorMap')) as ArrayLike<number>) : null
  return { colour, alpha: alpha !== null && !colour.includes(alpha) ? alpha : null, palette, bitsPerSample }
}

/** The smallest of the full image and its overviews that still covers the output size. */
function pickImage(images: GeoTIFFImage[], width: number, height: number): GeoTIFFImage {
  const covering = images.filter((image) => image.getWidth() >= width && image.getHeight() >= height)
  covering.sort((a, b) => a.getWidth() * a.getHeight() - b.getWidth() * b.getHeight())
  return covering[0] ?? images[0]
}

async function readSampled(
  filePath: string,
  image: GeoTIFFImage,
  samples: number[],
  width: number,
  height: number
): Promise<TypedArray[]> {
  const sourceWidth = image.getWidth()
  const sourceHeight = image.getHeight()
  if (sourceWidth * sourceHeight <= DIRECT_READ_PIXELS) {
    const rasters = await image.readRasters({ samples, width, height, resampleMethod: 'nearest', interleave: false })
    return Array.from(rasters)
  }
  if (isPlainStripped(image)) return readUncompressedRows(filePath, image, samples, width, height)
  // geotiff decodes whole strips or tile rows per call: memory stays at one of those.
  const bands = samples.map(() => new Float64Array(width * height))
  for (let row = 0; row < height; row++) {
    const y = sourceRow(row, sourceHeight, height)
    const window = [0, y, sourceWidth, y + 1]
    const line = await image.readRasters({ window, samples, width, height: 1, resampleMethod: 'nearest', interleave: false })
    line.forEach((values, band) => bands[band].set(values, row * width))
  }
  return bands
}

function toRgba(values: TypedArray[], layout: BandLayout, image: GeoTIFFImage, pixels: number): Buffer {
  const noData = image.getGDALNoData()
  // NaN never equals itself, so a NaN nodata is covered by the isNaN test.
  const isNoData = (value: number) => Number.isNaN(value) || value === noData
  const colour = values.slice(0, layout.colour.length)
  const alpha = layout.alpha === null ? null : values[layout.colour.length]
  const out = Buffer.alloc(pixels * 4)
  const eightBit = layout.bitsPerSample === 8 && !(colour[0] instanceof Float32Array || colour[0] instanceof Float64Array)
  const stretches = colour.map((band) => (layout.palette || eightBit ? null : stretchOf(band, isNoData)))
  const paletteSize = layout.palette ? layout.palette.length / 3 : 0
  for (let i = 0; i < pixels; i++) {
    const first = colour[0][i]
    let rgb: number[]
    if (layout.palette) {
      const index = Math.max(0, Math.min(paletteSize - 1, first))
      rgb = [0, 1, 2].map((channel) => layout.palette![channel * paletteSize + index] >> 8)
    } else {
      const scaled = colour.map((band, b) => scale(band[i], stretches[b]))
      rgb = scaled.length === 3 ? scaled : [scaled[0], scaled[0], scaled[0]]
    }
    const transparent = colour.every((band) => isNoData(band[i]))
    out[i * 4] = rgb[0]
    out[i * 4 + 1] = rgb[1]
    out[i * 4 + 2] = rgb[2]
    out[i * 4 + 3] = transparent ? 0 : alpha ? Math.max(0, Math.min(255, alpha[i])) : 255
  }
  return out
}

function sourceRow(row: number, sourceHeight: number, height: number): number {
  return Math.min(sourceHeight - 1, Math.floor(((row + 0.5) * sourceHeight) / height))
}

/** Uncompressed, pixel-interleaved strips of whole-byte samples: rows can be read straight from the file. */
function isPlainStripped(image: GeoTIFFImage): boolean {
  const directory = image.fileDirectory
  const bits = (directory.getValue('BitsPerSample') ?? []) as number[]
  return (
    !image.isTiled &&
    Number(directory.getValue('Compression') ?? 1) === 1 &&
    image.planarConfiguration === 1 &&
    bits.length > 0 &&
    bits.every((bit) => bit % 8 === 0)
  )
}

/**
 * Reads only the sampled rows' bytes, so even a file stored as one giant uncompressed strip
 * (which geotiff would load whole for every row) costs one row of memory.
 */
async function readUncompressedRows(
  filePath: string,
  image: GeoTIFFImage,
  samples: number[],
  width: number,
  height: number
): Promise<TypedArray[]> {
  const sourceWidth = image.getWidth()
  const sourceHeight = image.getHeight()
  const directory = image.fileDirectory
  const rowsPerStrip = Number(directory.getValue('RowsPerStrip') ?? sourceHeight)
  const bytesPerPixel = image.getBytesPerPixel()
  const sampleOffsets = samples.map((sample) => {
    let offset = 0
    for (let i = 0; i < sample; i++) offset += image.getSampleByteSize(i)
    return offset
  })
  const readers = samples.map((sample) => image.getReaderForSample(sample))
  const bands = samples.map(() => new Float64Array(width * height))
  const line = Buffer.alloc(sourceWidth * bytesPerPixel)
  const view = new DataView(line.buffer, line.byteOffset, line.byteLength)
  const handle = await open(filePath, 'r')
  try {
    for (let row = 0; row < height; row++) {
      const y = sourceRow(row, sourceHeight, height)
      const strip = Math.floor(y / rowsPerStrip)
      const stripOffset = Number(await directory.loadValueIndexed('StripOffsets', strip))
      const position = stripOffset + (y - strip * rowsPerStrip) * line.length
      const { bytesRead } = await handle.read(line, 0, line.length, position)
      if (bytesRead < line.length) line.fill(0, bytesRead)
      for (let column = 0; column < width; column++) {
        const x = Math.min(sourceWidth - 1, Math.floor(((column + 0.5) * sourceWidth) / width))
        samples.forEach((_, band) => {
          bands[band][row * width + column] = readers[band].call(view, x * bytesPerPixel + sampleOffsets[band], image.littleEndian)
        })
      }
    }
  } finally {
    await handle.close()
  }
  return bands
}

interface Stretch {
  low: number
  high: number
}

function stretchOf(band: TypedArray, isNoData: (value: number) => boolean): Stretch {
  const valid: number[] = []
  for (const value of band) if (!isNoData(value)) valid.push(value)
  if (valid.length === 0) return { low: 0, high: 1 }
  valid.sort((a, b) => a - b)
  const low = valid[Math.floor(valid.length * 0.02)]
  const high = valid[Math.min(valid.length - 1, Math.ceil(valid.length * 0.98) - 1)]
  return high > low ? { low, high } : { low: valid[0], high: valid[valid.length - 1] > valid[0] ? valid[valid.length - 1] : valid[0] + 1 }
}

function scale(value: number, stretch: Stretch | null): number {
  if (stretch === null) return Math.max(0, Math.min(255, value))
  return Math.round(Math.max(0, Math.min(1, (value - stretch.low) / (stretch.high - stretch.low))) * 255)
}

const GDAL_TYPES: Record<string, string> = {
  uint8: 'Byte', int8: 'Int8', uint16: 'UInt16', int16: 'Int16', uint32: 'UInt32', int32: 'Int32', float32: 'Float32', float64: 'Float64'
}

/** Statistics are read from the smallest overview at least this many pixels a side. */
const STATS_MIN_SIDE = 256
/** ... and at most this many a side (a larger image is sampled down as it is read). */
const STATS_MAX_SIDE = 1024

/**
 * A raster's structure and per-band statistics for the layer page: size, bands (GDAL's type name,
 * nodata, min, max and mean of the valid pixels), pixel size and overview count. Statistics are
 * exact for a raster of up to a megapixel; a larger one is read through its smallest overview at
 * least 256 pixels a side, at most 1,024 pixels a side (sampled as it is read): cheap on any size.
 */
export async function rasterSummary(filePath: string): Promise<{
  width: number
  height: number
  bands: { band: number; type: string; nodata: number | null; min: number | null; max: number | null; mean: number | null }[]
  resolution: [number, number]
  overviews: number
}> {
  const tiff = await openTiff(filePath)
  try {
    const image = await tiff.getImage(0)
    const overviews = await overviewImages(tiff, await tiff.getImageCount())
    const sized = [...overviews].sort((a, b) => a.getWidth() - b.getWidth()).find((o) => o.getWidth() >= STATS_MIN_SIDE && o.getHeight() >= STATS_MIN_SIDE)
    const source = image.getWidth() * image.getHeight() <= DIRECT_READ_PIXELS ? image : (sized ?? image)
    const scale = Math.min(1, STATS_MAX_SIDE / Math.max(source.getWidth(), source.getHeight()))
    const nodata = image.getGDALNoData()
    const count = image.getSamplesPerPixel()
    const rasters = (await source.readRasters({ interleave: false, width: Math.max(1, Math.round(source.getWidth() * scale)), height: Math.max(1, Math.round(source.getHeight() * scale)) })) as unknown as TypedArray[]
    const bands = Array.from({ length: count }, (_, band) => {
      let min = Infinity
      let max = -Infinity
      let sum = 0
      let valid = 0
      for (const value of rasters[band] ?? []) {
        if (!Number.isFinite(value) || value === nodata) continue
        if (value < min) min = value
        if (value > max) max = value
        sum += value
        valid++
      }
      return { band: band + 1, type: GDAL_TYPES[sampleType(image, band)] ?? sampleType(image, band), nodata: nodata ?? null, min: valid ? min : null, max: valid ? max : null, mean: valid ? sum / valid : null }
    })
    const [sx, sy] = image.getResolution()
    return { width: image.getWidth(), height: image.getHeight(), bands, resolution: [Math.abs(sx), Math.abs(sy)], overviews: overviews.length }
  } finally {
    await tiff.close()
  }
}
