import { statSync } from 'node:fs'
import { createCanvas } from '@napi-rs/canvas'
import { fromFile, type GeoTIFF, type GeoTIFFImage } from 'geotiff'
import { transformBbox, transformer } from '../crs'
import type { MapCanvas } from './canvas'
import type { Bbox, MapFrame } from './frame'
import type { ColorMapEntry, RasterSymbolizer } from './model'

/** A GeoTIFF opened once and kept while it is unchanged (a few per process). */
interface OpenRaster {
  tiff: GeoTIFF
  image: GeoTIFFImage
  stamp: string
  bbox: Bbox
  bands: number
  /** Whether samples are 8-bit unsigned integers (drawn as they are, no stretch). */
  byte: boolean
  rgb: boolean
  alpha: number | null
  palette: ArrayLike<number> | null
  noData: number | null
  stretch: { low: number; high: number }[] | null
}

const opened = new Map<string, OpenRaster>()
const MAX_OPEN = 8

async function openRaster(file: string): Promise<OpenRaster> {
  const stat = statSync(file)
  const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`
  const cached = opened.get(file)
  if (cached?.stamp === stamp) return cached
  if (cached) {
    opened.delete(file)
    await cached.tiff.close()
  }
  const tiff = await fromFile(file)
  const image = await tiff.getImage(0)
  const directory = image.fileDirectory
  const photometric = Number(directory.getValue('PhotometricInterpretation') ?? 1)
  const bands = image.getSamplesPerPixel()
  const extra = directory.getValue('ExtraSamples') as number | number[] | undefined
  const extras = extra === undefined ? [] : Array.isArray(extra) ? extra : [extra]
  const alphaIndex = extras.findIndex((kind) => kind === 1 || kind === 2)
  const rgb = bands >= 3 && (photometric === 2 || photometric === 6 || (bands - extras.length >= 3 && photometric !== 3))
  const raster: OpenRaster = {
    tiff,
    image,
    stamp,
    bbox: image.getBoundingBox() as Bbox,
    bands,
    byte: image.getBitsPerSample(0) === 8 && image.getSampleFormat(0) === 1,
    rgb,
    alpha: alphaIndex >= 0 ? bands - extras.length + alphaIndex : rgb && bands === 4 ? 3 : null,
    palette: photometric === 3 && directory.hasTag('ColorMap') ? ((await directory.loadValue('ColorMap')) as ArrayLike<number>) : null,
    noData: image.getGDALNoData(),
    stretch: null
  }
  if (opened.size >= MAX_OPEN) {
    const [oldest] = opened.keys()
    const old = opened.get(oldest)!
    opened.delete(oldest)
    void old.tiff.close()
  }
  opened.set(file, raster)
  return raster
}

const isNoData = (raster: OpenRaster, value: number) => Number.isNaN(value) || value === raster.noData

/**
 * The default stretch of a band: 2 % to 98 % of its valid values, read once per file from a small
 * overview (so every tile of a layer is stretched alike, as one picture).
 */
async function stretchOf(raster: OpenRaster, samples: number[]): Promise<{ low: number; high: number }[]> {
  if (raster.stretch && raster.stretch.length >= samples.length) return raster.stretch
  const side = 512
  const scale = Math.min(1, side / Math.max(raster.image.getWidth(), raster.image.getHeight()))
  const width = Math.max(1, Math.round(raster.image.getWidth() * scale))
  const height = Math.max(1, Math.round(raster.image.getHeight() * scale))
  const bands = (await raster.tiff.readRasters({ samples, width, height, interleave: false, resampleMethod: 'nearest' })) as unknown as ArrayLike<number>[]
  raster.stretch = bands.map((band) => {
    const valid: number[] = []
    for (let i = 0; i < band.length; i++) if (!isNoData(raster, band[i])) valid.push(band[i])
    if (valid.length === 0) return { low: 0, high: 1 }
    valid.sort((a, b) => a - b)
    let low = valid[Math.floor((valid.length - 1) * 0.02)]
    let high = valid[Math.ceil((valid.length - 1) * 0.98)]
    if (!(high > low)) {
      low = valid[0]
      high = valid[valid.length - 1] > low ? valid[valid.length - 1] : low + 1
    }
    return { low, high }
  })
  return raster.stretch
}

type Rgba = [number, number, number, number]

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]
}

/** A ColorMap as a function of one value (ramp: linear between entries; intervals: up to each quantity; values: exact). */
export function colorMapFunction(map: NonNullable<RasterSymbolizer['colorMap']>): (value: number, out: Rgba) => boolean {
  const entries = map.entries.map((e: ColorMapEntry) => ({ ...e, rgb: hexRgb(e.color) }))
  const put = (e: (typeof entries)[number] | undefined, out: Rgba) => {
    if (!e) return false
    out[0] = e.rgb[0]
    out[1] = e.rgb[1]
    out[2] = e.rgb[2]
    out[3] = e.opacity * 255
    return true
  }
  return (value, out) => {
    if (map.type === 'values') return put(entries.find((x) => x.quantity === value), out)
    if (map.type === 'intervals') return put(entries.find((x) => value < x.quantity), out)
    if (value < entries[0].quantity) return false
    let i = 0
    while (i < entries.length - 1 && value > entries[i + 1].quantity) i++
    const a = entries[i]
    const b = entries[Math.min(i + 1, entries.length - 1)]
    if (value > b.quantity) return false
    const t = b.quantity > a.quantity ? (value - a.quantity) / (b.quantity - a.quantity) : 0
    out[0] = a.rgb[0] + (b.rgb[0] - a.rgb[0]) * t
    out[1] = a.rgb[1] + (b.rgb[1] - a.rgb[1]) * t
    out[2] = a.rgb[2] + (b.rgb[2] - a.rgb[2]) * t
    out[3] = (a.opacity + (b.opacity - a.opacity) * t) * 255
    return true
  }
}

/** Output pixels to source positions through a grid, interpolated between nodes every `STEP` pixels (as GDAL's approximate transformer). */
const STEP = 8

function pixelToNative(frame: MapFrame, epsg: number): (col: number, row: number, out: [number, number]) => boolean {
  const [minx, , , maxy] = frame.bbox
  const rx = (frame.bbox[2] - frame.bbox[0]) / frame.width
  const ry = (frame.bbox[3] - frame.bbox[1]) / frame.height
  if (frame.epsg === epsg) {
    return (col, row, out) => {
      out[0] = minx + (col + 0.5) * rx
      out[1] = maxy - (row + 0.5) * ry
      return true
    }
  }
  const inverse = transformer(frame.epsg, epsg)
  const cols = Math.ceil(frame.width / STEP) + 1
  const rows = Math.ceil(frame.height / STEP) + 1
  const grid = new Float64Array(cols * rows * 2)
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      let q: [number, number] = [NaN, NaN]
      try {
        q = inverse([minx + i * STEP * rx, maxy - j * STEP * ry])
      } catch {
        // Outside the projection's domain: no source pixel.
      }
      grid[(j * cols + i) * 2] = q[0]
      grid[(j * cols + i) * 2 + 1] = q[1]
    }
  }
  return (col, row, out) => {
    const fx = (col + 0.5) / STEP
    const fy = (row + 0.5) / STEP
    const i = Math.min(cols - 2, Math.floor(fx))
    const j = Math.min(rows - 2, Math.floor(fy))
    const tx = fx - i
    const ty = fy - j
    const at = (ii: number, jj: number, k: number) => grid[(jj * cols + ii) * 2 + k]
    for (let k = 0; k < 2; k++) {
      const top = at(i, j, k) * (1 - tx) + at(i + 1, j, k) * tx
      const bottom = at(i, j + 1, k) * (1 - tx) + at(i + 1, j + 1, k) * tx
      out[k] = top * (1 - ty) + bottom * ty
    }
    return Number.isFinite(out[0]) && Number.isFinite(out[1])
  }
}

/**
 * Draws a GeoTIFF into the frame: the part the frame shows is read at about the frame's
 * resolution (geotiff picks the overview), then every output pixel takes the nearest source
 * sample through the frame-to-native transform. Colour: the style's ColorMap on one band; RGB(A)
 * bytes as colour; palette images through their palette; other single bands stretched 2–98 % on a
 * grey ramp (or Normalize: min–max). Nodata is transparent.
 */
export async function drawRaster(canvas: MapCanvas, frame: MapFrame, source: { file: string; srid: number }, symbolizer: RasterSymbolizer | null): Promise<void> {
  const raster = await openRaster(source.file)
  const native = transformBbox(frame.bbox, frame.epsg, source.srid)
  if (!native) return
  const [ox, oy] = raster.image.getOrigin()
  const [resX, resY] = raster.image.getResolution()
  const fullW = raster.image.getWidth()
  const fullH = raster.image.getHeight()
  const clip: Bbox = [Math.max(native[0], raster.bbox[0]), Math.max(native[1], raster.bbox[1]), Math.min(native[2], raster.bbox[2]), Math.min(native[3], raster.bbox[3])]
  if (clip[0] >= clip[2] || clip[1] >= clip[3]) return
  const window = [
    Math.max(0, Math.floor((clip[0] - ox) / resX)),
    Math.max(0, Math.floor((clip[3] - oy) / resY)),
    Math.min(fullW, Math.ceil((clip[2] - ox) / resX)),
    Math.min(fullH, Math.ceil((clip[1] - oy) / resY))
  ]
  const windowW = window[2] - window[0]
  const windowH = window[3] - window[1]
  if (windowW <= 0 || windowH <= 0) return
  const share = Math.max((clip[2] - clip[0]) / (native[2] - native[0]), (clip[3] - clip[1]) / (native[3] - native[1]))
  const want = Math.ceil(Math.max(frame.width, frame.height) * share * 1.5)
  const readW = Math.max(1, Math.min(windowW, Math.ceil((want * windowW) / Math.max(windowW, windowH))))
  const readH = Math.max(1, Math.min(windowH, Math.ceil((want * windowH) / Math.max(windowW, windowH))))
  const channels = symbolizer?.channels?.filter((b) => b <= raster.bands).map((b) => b - 1)
  const colour = channels && channels.length > 0 ? channels : raster.rgb ? [0, 1, 2] : [0]
  const samples = raster.alpha !== null && !colour.includes(raster.alpha) ? [...colour, raster.alpha] : colour
  const read = (await raster.tiff.readRasters({ window, width: readW, height: readH, samples, interleave: false, resampleMethod: 'nearest' })) as unknown as ArrayLike<number>[]
  const alphaBand = samples.length > colour.length ? read[colour.length] : null
  const map = symbolizer?.colorMap ? colorMapFunction(symbolizer.colorMap) : null
  const normalize = symbolizer?.contrast?.method === 'normalize' || symbolizer?.contrast?.method === 'histogram'
  const stretches = !map && !raster.palette && (!raster.byte || normalize) ? await stretchOf(raster, colour) : null
  const gamma = symbolizer?.contrast?.gamma ?? 1
  const paletteSize = raster.palette ? raster.palette.length / 3 : 0
  const toNative = pixelToNative(frame, source.srid)
  const winX0 = ox + window[0] * resX
  const winY0 = oy + window[1] * resY
  const stepX = (windowW * resX) / readW
  const stepY = (windowH * resY) / readH
  const { width, height } = frame
  const pixels = new Uint8ClampedArray(width * height * 4)
  const p: [number, number] = [0, 0]
  const rgba: Rgba = [0, 0, 0, 0]
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      if (!toNative(col, row, p)) continue
      const sx = Math.floor((p[0] - winX0) / stepX)
      const sy = Math.floor((p[1] - winY0) / stepY)
      if (sx < 0 || sy < 0 || sx >= readW || sy >= readH) continue
      const s = sy * readW + sx
      const first = read[0][s]
      if (colour.length === 1 ? isNoData(raster, first) : colour.every((_, b) => isNoData(raster, read[b][s]))) continue
      if (map) {
        if (!map(first, rgba)) continue
      } else if (raster.palette && colour.length === 1) {
        const index = Math.max(0, Math.min(paletteSize - 1, first))
        rgba[0] = raster.palette[index] >> 8
        rgba[1] = raster.palette[paletteSize + index] >> 8
        rgba[2] = raster.palette[2 * paletteSize + index] >> 8
        rgba[3] = 255
      } else {
        for (let c = 0; c < 3; c++) {
          const band = colour.length === 1 ? 0 : c
          const v = read[band][s]
          let scaled: number
          if (stretches) {
            const { low, high } = stretches[band]
            scaled = Math.max(0, Math.min(1, (v - low) / (high - low)))
            if (gamma !== 1) scaled = Math.pow(scaled, 1 / gamma)
            scaled *= 255
          } else scaled = v
          rgba[c] = scaled
        }
        rgba[3] = 255
      }
      const o = (row * width + col) * 4
      pixels[o] = rgba[0]
      pixels[o + 1] = rgba[1]
      pixels[o + 2] = rgba[2]
      pixels[o + 3] = alphaBand ? Math.min(rgba[3], alphaBand[s]) : rgba[3]
    }
  }
  canvas.flush()
  const layer = createCanvas(width, height)
  const lctx = layer.getContext('2d')
  const data = lctx.createImageData(width, height)
  data.data.set(pixels)
  lctx.putImageData(data, 0, 0)
  canvas.ctx.save()
  canvas.ctx.globalAlpha = symbolizer?.opacity ?? 1
  canvas.ctx.drawImage(layer, 0, 0)
  canvas.ctx.restore()
}

/** The values of every band at a point (in `epsg`), or null outside the raster or on nodata. */
export async function rasterValuesAt(file: string, srid: number, point: [number, number], epsg: number): Promise<number[] | null> {
  const raster = await openRaster(file)
  let native: [number, number]
  try {
    native = transformer(epsg, srid)(point)
  } catch {
    return null
  }
  const [ox, oy] = raster.image.getOrigin()
  const [resX, resY] = raster.image.getResolution()
  const x = Math.floor((native[0] - ox) / resX)
  const y = Math.floor((native[1] - oy) / resY)
  if (!(x >= 0 && y >= 0 && x < raster.image.getWidth() && y < raster.image.getHeight())) return null
  const values = (await raster.image.readRasters({ window: [x, y, x + 1, y + 1], interleave: false })) as unknown as ArrayLike<number>[]
  const out = Array.from(values, (band) => Number(band[0]))
  return out.every((v) => isNoData(raster, v)) ? null : out
}

/** The 2–98 % range of a raster's first band (a legend for the default stretch). */
export async function defaultRange(file: string): Promise<{ low: number; high: number; byte: boolean }> {
  const raster = await openRaster(file)
  if (raster.byte && !raster.palette) return { low: 0, high: 255, byte: true }
  const [range] = await stretchOf(raster, [0])
  return { ...range, byte: raster.byte }
}
