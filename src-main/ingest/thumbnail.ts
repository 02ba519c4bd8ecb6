import { readFileSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import type { Feature, Geometry, Position } from 'geojson'
import jpeg from 'jpeg-js'
import mime from 'mime-types'
import { PNG } from 'pngjs'
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'

export interface ThumbnailSize {
  width: number
  height: number
}

export type ThumbnailItem = Geometry | Feature<Geometry | null> | null
/** Geometries in EPSG:4326, one by one or in batches (as VectorSource.features() yields them). */
export type ThumbnailGeometries = Iterable<ThumbnailItem | ThumbnailItem[]> | AsyncIterable<ThumbnailItem | ThumbnailItem[]>

const DEFAULT_SIZE: ThumbnailSize = { width: 240, height: 180 }
const MAX_IMAGE_PIXELS = 100_000_000
const PADDING = 8
/** Smallest extent drawn, in Web Mercator radians (~1.3 km at the equator), so a lone point still has a frame. */
const MIN_SPAN = 2e-4
const MAX_LAT = 85.05112878

type Rgb = [number, number, number]
/** Water; land is drawn over it from Natural Earth's countries, as the map viewer's offline basemap. */
const BACKGROUND: Rgb = [222, 232, 240]
const LAND: Rgb = [244, 245, 242]
const BORDER: Rgb = [196, 200, 204]
const FRAME: Rgb = [208, 212, 216]
const FILL: Rgb = [66, 133, 244]
const STROKE: Rgb = [26, 74, 160]

/**
 * Draws the geometries (EPSG:4326) into a PNG in Web Mercator, fitted to bbox4326
 * ([minx, miny, maxx, maxy]). Geometries are drawn as they arrive, so memory is the canvas plus
 * one geometry whatever the feature count.
 */
export async function vectorThumbnail(
  features: ThumbnailGeometries | ThumbnailItem[],
  bbox4326: [number, number, number, number],
  size: ThumbnailSize = DEFAULT_SIZE
): Promise<Buffer> {
  const canvas = new Canvas(size.width, size.height)
  const toPixel = viewTransform(bbox4326, size)
  drawBasemap(canvas, toPixel, size)
  for await (const item of features as AsyncIterable<ThumbnailItem | ThumbnailItem[]>) {
    for (const one of Array.isArray(item) ? item : [item]) {
      const geometry = one && one.type === 'Feature' ? one.geometry : one
      if (geometry) drawGeometry(canvas, geometry, toPixel)
    }
  }
  canvas.frame()
  return canvas.toPng()
}

/**
 * A PNG thumbnail of a PNG or JPEG document, box-downscaled to fit `size` (never upscaled).
 * Returns null for other types, for unreadable images, and for images above 100 megapixels
 * (their size is read from the header, before any decoding).
 */
export async function imageThumbnail(path: string, mimeType: string, size: ThumbnailSize = DEFAULT_SIZE): Promise<Buffer | null> {
  const kind = mimeType === 'image/png' ? 'png' : ['image/jpeg', 'image/jpg', 'image/pjpeg'].includes(mimeType) ? 'jpeg' : null
  if (kind === null) return null
  const dimensions = await imageDimensions(path, kind)
  if (dimensions === null || dimensions.width * dimensions.height > MAX_IMAGE_PIXELS) return null
  let decoded: { width: number; height: number; data: Uint8Array }
  try {
    const bytes = await readFile(path)
    decoded =
      kind === 'png'
        ? PNG.sync.read(bytes)
        : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 })
  } catch {
    return null
  }
  const scale = Math.min(size.width / decoded.width, size.height / decoded.height, 1)
  const width = Math.max(1, Math.round(decoded.width * scale))
  const height = Math.max(1, Math.round(decoded.height * scale))
  const png = new PNG({ width, height })
  png.data = boxDownscale(decoded.data, decoded.width, decoded.height, width, height)
  return PNG.sync.write(png)
}

const DOCUMENT_TYPES: Record<string, string> = {
  // GeoNode's DOCUMENT_TYPE_MAP (settings.py); pdf is a 'presentation' there.
  txt: 'text', log: 'text', doc: 'text', docx: 'text', ods: 'text', odt: 'text', sld: 'text', qml: 'text', xls: 'text',
  xlsx: 'text', xml: 'text',
  bm: 'image', bmp: 'image', dwg: 'image', dxf: 'image', fif: 'image', gif: 'image', jpg: 'image', jpe: 'image',
  jpeg: 'image', png: 'image', tif: 'image', tiff: 'image', pbm: 'image',
  odp: 'presentation', ppt: 'presentation', pptx: 'presentation', pdf: 'presentation',
  tar: 'archive', tgz: 'archive', rar: 'archive', gz: 'archive', '7z': 'archive', zip: 'archive',
  aif: 'audio', aifc: 'audio', aiff: 'audio', au: 'audio', mp3: 'audio', mpga: 'audio', wav: 'audio',
  afl: 'video', avi: 'video', avs: 'video', fli: 'video', mp2: 'video', mp4: 'video', mpg: 'video', ogg: 'video',
  webm: 'video', '3gp': 'video', flv: 'video', vdo: 'video',
  // Common types GeoNode's map leaves to 'other'.
  csv: 'text', rtf: 'text', md: 'text', json: 'text', svg: 'image', webp: 'image', mov: 'video', mkv: 'video',
  flac: 'audio', m4a: 'audio', oga: 'audio', opus: 'audio', bz2: 'archive', xz: 'archive'
}

/** GeoNode's doc_type for a document extension, and its MIME type ('other' / octet-stream when unknown). */
export function docTypeOf(extension: string): { doc_type: string; mime_type: string } {
  const ext = extension.trim().toLowerCase().replace(/^\./, '')
  return { doc_type: DOCUMENT_TYPES[ext] ?? 'other', mime_type: mime.lookup(ext) || 'application/octet-stream' }
}

type ToPixel = (position: Position) => [number, number]

interface Country {
  box: [number, number, number, number]
  polygons: Position[][][]
}

let countries: Country[] | null = null

/** Natural Earth's 1:50m countries (world-atlas, bundled): read once, each with its lon/lat box. */
function worldCountries(): Country[] {
  if (countries) return countries
  const requireHere = createRequire(import.meta.url)
  const topology = JSON.parse(readFileSync(requireHere.resolve('world-atlas/countries-50m.json'), 'utf8')) as Topology
  const collection = feature(topology, topology.objects.countries as GeometryCollection) as unknown as { features: Feature<Geometry | null>[] }
  countries = collection.features.flatMap((f) => {
    const g = f.geometry
    const polygons = g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' ? g.coordinates : []
    if (polygons.length === 0) return []
    const xs = polygons.flatMap((p) => p[0].map((q) => q[0]))
    const ys = polygons.flatMap((p) => p[0].map((q) => q[1]))
    return [{ box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as [number, number, number, number], polygons }]
  })
  return countries
}

/** Land and borders under a thumbnail, so a layer is seen where it lies (and offline). */
function drawBasemap(canvas: Canvas, toPixel: ToPixel, size: ThumbnailSize): void {
  const visible = (box: [number, number, number, number]) => {
    const [x0, y1] = toPixel([box[0], box[1]])
    const [x1, y0] = toPixel([box[2], box[3]])
    return x1 >= 0 && x0 <= size.width && y1 >= 0 && y0 <= size.height
  }
  for (const country of worldCountries()) {
    if (!visible(country.box)) continue
    for (const polygon of country.polygons) {
      const rings = polygon.map((ring) => ring.map(toPixel))
      canvas.fillEvenOdd(rings)
      canvas.paint(LAND, 1)
      for (const ring of rings) for (let i = 1; i < ring.length; i++) canvas.segment(ring[i - 1], ring[i], 0.35)
      canvas.paint(BORDER, 0.9)
    }
  }
}

function viewTransform(bbox: [number, number, number, number], size: ThumbnailSize): ToPixel {
  const [minx, miny] = mercator([bbox[0], bbox[1]])
  const [maxx, maxy] = mercator([bbox[2], bbox[3]])
  const span = Math.max(maxx - minx, maxy - miny, MIN_SPAN)
  const spanX = Math.max(maxx - minx, span * 0.05, MIN_SPAN)
  const spanY = Math.max(maxy - miny, span * 0.05, MIN_SPAN)
  const scale = Math.min((size.width - 2 * PADDING) / spanX, (size.height - 2 * PADDING) / spanY)
  const centreX = (minx + maxx) / 2
  const centreY = (miny + maxy) / 2
  return (position) => {
    const [x, y] = mercator(position)
    return [size.width / 2 + (x - centreX) * scale, size.height / 2 - (y - centreY) * scale]
  }
}

function mercator(position: Position): [number, number] {
  const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, position[1]))
  return [(position[0] * Math.PI) / 180, Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))]
}

function drawGeometry(canvas: Canvas, geometry: Geometry, toPixel: ToPixel): void {
  switch (geometry.type) {
    case 'Point':
      return drawPoint(canvas, toPixel(geometry.coordinates))
    case 'MultiPoint':
      return geometry.coordinates.forEach((point) => drawPoint(canvas, toPixel(point)))
    case 'LineString':
      return drawLines(canvas, [geometry.coordinates.map(toPixel)])
    case 'MultiLineString':
      return drawLines(canvas, geometry.coordinates.map((line) => line.map(toPixel)))
    case 'Polygon':
      return drawPolygon(canvas, geometry.coordinates.map((ring) => ring.map(toPixel)))
    case 'MultiPolygon':
      return geometry.coordinates.forEach((polygon) => drawPolygon(canvas, polygon.map((ring) => ring.map(toPixel))))
    case 'GeometryCollection':
      return geometry.geometries.forEach((part) => drawGeometry(canvas, part, toPixel))
  }
}

function drawPoint(canvas: Canvas, [x, y]: [number, number]): void {
  canvas.disc(x, y, 3.5)
  canvas.paint(STROKE, 0.9)
  canvas.disc(x, y, 2.3)
  canvas.paint(FILL, 1)
}

function drawLines(canvas: Canvas, lines: [number, number][][]): void {
  for (const line of lines) for (let i = 1; i < line.length; i++) canvas.segment(line[i - 1], line[i], 0.75)
  canvas.paint(STROKE, 0.9)
}

function drawPolygon(canvas: Canvas, rings: [number, number][][]): void {
  canvas.fillEvenOdd(rings)
  canvas.paint(FILL, 0.45)
  for (const ring of rings) for (let i = 1; i < ring.length; i++) canvas.segment(ring[i - 1], ring[i], 0.5)
  canvas.paint(STROKE, 0.8)
}

/** An opaque RGBA canvas plus a coverage mask; shapes write coverage, `paint` composites it once. */
class Canvas {
  readonly data: Buffer
  private readonly mask: Float32Array
  private dirty = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity }

  constructor(
    readonly width: number,
    readonly height: number
  ) {
    this.data = Buffer.alloc(width * height * 4)
    this.mask = new Float32Array(width * height)
    for (let i = 0; i < width * height; i++) this.data.set([...BACKGROUND, 255], i * 4)
  }

  cover(x: number, y: number, coverage: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || coverage <= 0) return
    const index = y * this.width + x
    if (coverage > this.mask[index]) this.mask[index] = Math.min(1, coverage)
    const d = this.dirty
    if (x < d.x0) d.x0 = x
    if (x > d.x1) d.x1 = x
    if (y < d.y0) d.y0 = y
    if (y > d.y1) d.y1 = y
  }

  paint(colour: Rgb, opacity: number): void {
    const d = this.dirty
    for (let y = d.y0; y <= d.y1; y++) {
      for (let x = d.x0; x <= d.x1; x++) {
        const index = y * this.width + x
        const alpha = this.mask[index] * opacity
        if (alpha <= 0) continue
        this.mask[index] = 0
        for (let c = 0; c < 3; c++) this.data[index * 4 + c] = Math.round(colour[c] * alpha + this.data[index * 4 + c] * (1 - alpha))
      }
    }
    this.dirty = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity }
  }

  disc(cx: number, cy: number, radius: number): void {
    for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y++) {
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x++) {
        this.cover(x, y, radius + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy))
      }
    }
  }

  /** An anti-aliased segment: coverage falls off with the distance from each pixel centre. */
  segment(a: [number, number], b: [number, number], halfWidth: number): void {
    const margin = halfWidth + 2
    const clipped = clipSegment(a, b, -margin, -margin, this.width + margin, this.height + margin)
    if (!clipped) return
    const [[ax, ay], [bx, by]] = clipped
    const reach = halfWidth * 1.5 + 1
    const steep = Math.abs(by - ay) > Math.abs(bx - ax)
    const [u0, u1] = steep ? [ay, by] : [ax, bx]
    const [v0, v1] = steep ? [ax, bx] : [ay, by]
    for (let u = Math.floor(Math.min(u0, u1) - reach); u <= Math.ceil(Math.max(u0, u1) + reach); u++) {
      const t = u1 === u0 ? 0 : Math.max(0, Math.min(1, (u + 0.5 - u0) / (u1 - u0)))
      const vc = v0 + t * (v1 - v0)
      for (let v = Math.floor(vc - reach); v <= Math.ceil(vc + reach); v++) {
        const [x, y] = steep ? [v, u] : [u, v]
        this.cover(x, y, halfWidth + 0.5 - distanceToSegment(x + 0.5, y + 0.5, ax, ay, bx, by))
      }
    }
  }

  /** Scanline fill with the even-odd rule, sampling pixel centres. */
  fillEvenOdd(rings: [number, number][][]): void {
    const edges: [number, number, number, number][] = []
    let minY = Infinity
    let maxY = -Infinity
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i++) {
        const [x0, y0] = ring[i]
        const [x1, y1] = ring[(i + 1) % ring.length]
        if (y0 === y1 || !Number.isFinite(x0 + y0 + x1 + y1)) continue
        edges.push([x0, y0, x1, y1])
        minY = Math.min(minY, y0, y1)
        maxY = Math.max(maxY, y0, y1)
      }
    }
    const crossings: number[] = []
    for (let y = Math.max(0, Math.floor(minY)); y <= Math.min(this.height - 1, Math.ceil(maxY)); y++) {
      const sy = y + 0.5
      crossings.length = 0
      for (const [x0, y0, x1, y1] of edges) {
        if ((y0 <= sy && sy < y1) || (y1 <= sy && sy < y0)) crossings.push(x0 + ((sy - y0) * (x1 - x0)) / (y1 - y0))
      }
      crossings.sort((p, q) => p - q)
      for (let i = 0; i + 1 < crossings.length; i += 2) {
        const from = Math.max(0, Math.ceil(crossings[i] - 0.5))
        const to = Math.min(this.width - 1, Math.ceil(crossings[i + 1] - 0.5) - 1)
        for (let x = from; x <= to; x++) this.cover(x, y, 1)
      }
    }
  }

  frame(): void {
    const { width, height } = this
    for (let x = 0; x < width; x++) {
      this.cover(x, 0, 1)
      this.cover(x, height - 1, 1)
    }
    for (let y = 0; y < height; y++) {
      this.cover(0, y, 1)
      this.cover(width - 1, y, 1)
    }
    this.paint(FRAME, 1)
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height })
    png.data = this.data
    return PNG.sync.write(png, { colorType: 2 })
  }
}

function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax
  const dy = by - ay
  const length2 = dx * dx + dy * dy
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2))
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
}

/** Liang–Barsky clipping, so a segment running far off the canvas costs only its visible part. */
function clipSegment(
  a: [number, number],
  b: [number, number],
  xmin: number,
  ymin: number,
  xmax: number,
  ymax: number
): [[number, number], [number, number]] | null {
  if (!Number.isFinite(a[0] + a[1] + b[0] + b[1])) return null
  const dx = b[0] - a[0]
  const dy = b[1] - a[1]
  let t0 = 0
  let t1 = 1
  const checks: [number, number][] = [
    [-dx, a[0] - xmin],
    [dx, xmax - a[0]],
    [-dy, a[1] - ymin],
    [dy, ymax - a[1]]
  ]
  for (const [p, q] of checks) {
    if (p === 0) {
      if (q < 0) return null
      continue
    }
    const r = q / p
    if (p < 0) t0 = Math.max(t0, r)
    else t1 = Math.min(t1, r)
    if (t0 > t1) return null
  }
  return [
    [a[0] + t0 * dx, a[1] + t0 * dy],
    [a[0] + t1 * dx, a[1] + t1 * dy]
  ]
}

async function imageDimensions(path: string, kind: 'png' | 'jpeg'): Promise<{ width: number; height: number } | null> {
  const handle = await open(path, 'r')
  try {
    const read = async (position: number, length: number) => {
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      return bytesRead === length ? buffer : null
    }
    if (kind === 'png') {
      const header = await read(0, 24)
      if (!header || header.readUInt32BE(0) !== 0x89504e47 || header.toString('latin1', 12, 16) !== 'IHDR') return null
      return { width: header.readUInt32BE(16), height: header.readUInt32BE(20) }
    }
    const start = await read(0, 2)
    if (!start || start[0] !== 0xff || start[1] !== 0xd8) return null
    let position = 2
    for (;;) {
      const marker = await read(position, 4)
      if (!marker || marker[0] !== 0xff) return null
      const type = marker[1]
      if (type === 0xff) {
        position += 1
        continue
      }
      if (type === 0xd9 || type === 0xda) return null
      const isFrame = type >= 0xc0 && type <= 0xcf && type !== 0xc4 && type !== 0xc8 && type !== 0xcc
      if (isFrame) {
        const frame = await read(position + 5, 4)
        return frame ? { height: frame.readUInt16BE(0), width: frame.readUInt16BE(2) } : null
      }
      position += 2 + marker.readUInt16BE(2)
    }
  } finally {
    await handle.close()
  }
}

/** Area-average downscale in premultiplied alpha, so transparent pixels do not darken edges. */
function boxDownscale(source: Uint8Array, sourceWidth: number, sourceHeight: number, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4)
  for (let ty = 0; ty < height; ty++) {
    const y0 = Math.floor((ty * sourceHeight) / height)
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * sourceHeight) / height))
    for (let tx = 0; tx < width; tx++) {
      const x0 = Math.floor((tx * sourceWidth) / width)
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * sourceWidth) / width))
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * sourceWidth + x) * 4
          const alpha = source[i + 3]
          r += source[i] * alpha
          g += source[i + 1] * alpha
          b += source[i + 2] * alpha
          a += alpha
        }
      }
      const o = (ty * width + tx) * 4
      const count = (x1 - x0) * (y1 - y0)
      if (a > 0) {
        out[o] = Math.round(r / a)
        out[o + 1] = Math.round(g / a)
        out[o + 2] = Math.round(b / a)
      }
      out[o + 3] = Math.round(a / count)
    }
  }
  return out
}

/** Pages larger than this (in PDF points, 1/72 in) are not drawn: a poster-size page would need a huge canvas. */
const MAX_PDF_PAGE_POINTS = 14_400

/**
 * The top of a PDF's first page, drawn on white at the thumbnail's width (as much as fits `size`), as PNG; null when the file cannot
 * be read as a PDF or the drawing library is not installed (pdfjs-dist draws through its optional
 * @napi-rs/canvas, a Node-API module, so the same build serves Node and Electron).
 * Runs in the ingest worker: parsing a large PDF must not hold the API thread.
 */
export async function pdfThumbnail(path: string, size: ThumbnailSize = DEFAULT_SIZE): Promise<Buffer | null> {
  let pdfjs: typeof import('pdfjs-dist/legacy/build/pdf.mjs')
  let canvasModule: typeof import('@napi-rs/canvas')
  try {
    ;[pdfjs, canvasModule] = await Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('@napi-rs/canvas')])
  } catch {
    return null
  }
  const standardFontDataUrl = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + sep
  const task = pdfjs.getDocument({ data: new Uint8Array(await readFile(path)), isEvalSupported: false, standardFontDataUrl, verbosity: 0 })
  try {
    const doc = await task.promise
    const page = await doc.getPage(1)
    const natural = page.getViewport({ scale: 1 })
    if (natural.width <= 0 || natural.height <= 0 || natural.width > MAX_PDF_PAGE_POINTS || natural.height > MAX_PDF_PAGE_POINTS) return null
    // The page's full width and as much of its top as fits: a preview of the first page, in the
    // same landscape box as every other thumbnail (a whole portrait page would be a sliver).
    const viewport = page.getViewport({ scale: size.width / natural.width })
    const canvas = canvasModule.createCanvas(size.width, Math.max(1, Math.min(size.height, Math.round(viewport.height))))
    const context = canvas.getContext('2d')
    context.fillStyle = '#ffffff'
    context.fillRect(0, 0, canvas.width, canvas.height)
    await page.render({ canvasContext: context as unknown as CanvasRenderingContext2D, viewport, canvas: canvas as unknown as HTMLCanvasElement }).promise
    return canvas.toBuffer('image/png')
  } catch {
    return null
  } finally {
    await task.destroy()
  }
}
