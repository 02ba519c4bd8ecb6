import type { Canvas } from '@napi-rs/canvas'
import { encode as encodePng } from 'fast-png'
import { buildPaletteSync, applyPaletteSync, utils } from 'image-q'
import PDFDocument from 'pdfkit'

/** The image formats GetMap answers in, by their MIME type (and the aliases clients send). */
export const MAP_FORMATS = {
  'image/png': 'png',
  'image/png8': 'png8',
  'image/png; mode=8bit': 'png8',
  'image/jpeg': 'jpeg',
  'application/pdf': 'pdf'
} as const

export type MapFormat = (typeof MAP_FORMATS)[keyof typeof MAP_FORMATS]

/** The MIME type each format is answered with. */
export const FORMAT_TYPES: Record<MapFormat, string> = { png: 'image/png', png8: 'image/png', jpeg: 'image/jpeg', pdf: 'application/pdf' }

export function mapFormatOf(raw: string): MapFormat | null {
  const key = raw.trim().toLowerCase().replace(/\s*;\s*/g, '; ')
  if (key === 'png') return 'png'
  if (key === 'jpeg' || key === 'jpg' || key === 'image/jpg') return 'jpeg'
  if (key === 'pdf') return 'pdf'
  return (MAP_FORMATS as Record<string, MapFormat>)[key] ?? null
}

/** Up to this many distinct colours, a palette is chosen by how often each occurs (maps drawn from a few style colours and their anti-aliased edges). */
const POPULAR_COLOURS = 4096

type Rgba = [number, number, number, number]

const unpack = (key: number): Rgba => [key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24]

/** The 256 most frequent colours kept exactly, every other colour mapped to its nearest among them. */
function popularPalette(counts: Map<number, number>): { palette: Rgba[]; index: Map<number, number> } {
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key)
  const kept = ranked.slice(0, 256)
  const palette = kept.map(unpack)
  const index = new Map(kept.map((key, i) => [key, i]))
  for (const key of ranked.slice(256)) {
    const [r, g, b, a] = unpack(key)
    let best = 0
    let distance = Infinity
    palette.forEach(([pr, pg, pb, pa], i) => {
      const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2 + 2 * (a - pa) ** 2
      if (d < distance) {
        distance = d
        best = i
      }
    })
    index.set(key, best)
  }
  return { palette, index }
}

/**
 * An 8-bit palette PNG: the image's own colours when there are at most 256 of them, the most
 * frequent ones when there are a few thousand (a map's style colours stay exact, edges take the
 * nearest), else 256 chosen by image-q's Wu quantizer (rasters); transparency in tRNS.
 */
function palettePng(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const view = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height)
  const counts = new Map<number, number>()
  for (let i = 0; i < view.length; i++) {
    const key = rgba[i * 4 + 3] === 0 ? 0 : view[i]
    counts.set(key, (counts.get(key) ?? 0) + 1)
    if (counts.size > POPULAR_COLOURS) break
  }
  const indexes = new Uint8Array(width * height)
  let palette: Rgba[]
  if (counts.size <= POPULAR_COLOURS) {
    const chosen = popularPalette(counts)
    palette = chosen.palette
    for (let i = 0; i < view.length; i++) indexes[i] = chosen.index.get(rgba[i * 4 + 3] === 0 ? 0 : view[i])!
  } else {
    const container = utils.PointContainer.fromUint8Array(rgba, width, height)
    const built = buildPaletteSync([container], { colors: 256, paletteQuantization: 'wuquant', colorDistanceFormula: 'euclidean' })
    const applied = applyPaletteSync(container, built, { imageQuantization: 'nearest', colorDistanceFormula: 'euclidean' })
    const points = built.getPointContainer().getPointArray()
    palette = points.map((p) => [p.r, p.g, p.b, p.a])
    const lookup = new Map(points.map((p, i) => [p.uint32, i]))
    const mapped = applied.getPointArray()
    for (let i = 0; i < mapped.length; i++) indexes[i] = lookup.get(mapped[i].uint32) ?? 0
  }
  // tRNS gives alphas to the first entries only (fast-png writes those of the translucent ones in
  // order): translucent colours go first.
  const order = palette.map((_, i) => i).sort((a, b) => Number(palette[a][3] === 255) - Number(palette[b][3] === 255) || a - b)
  const moved = new Uint8Array(256)
  order.forEach((from, to) => (moved[from] = to))
  palette = order.map((i) => palette[i])
  for (let i = 0; i < indexes.length; i++) indexes[i] = moved[indexes[i]]
  const opaque = palette.every((c) => c[3] === 255)
  return encodePng({ width, height, data: indexes, depth: 8, channels: 1, palette: opaque ? palette.map(([r, g, b]) => [r, g, b]) : palette })
}

function pdfOf(png: Buffer, width: number, height: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // One PDF point per pixel: the page is the image's size, as GeoServer's PDF map output.
    const doc = new PDFDocument({ size: [width, height], margin: 0, info: { Producer: 'Mapshelf', Creator: 'Mapshelf WMS' } })
    const chunks: Buffer[] = []
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    doc.image(png, 0, 0, { width, height })
    doc.end()
  })
}

/**
 * Encodes a drawn map in a GetMap format. Synchronously: maps are drawn on threads of their own,
 * and @napi-rs/canvas's asynchronous encoder has crashed processes under load (a native task
 * racing its canvas), which its synchronous one does not risk.
 */
export async function encodeMap(canvas: Canvas, format: MapFormat): Promise<Buffer> {
  switch (format) {
    case 'png':
      return canvas.encodeSync('png')
    case 'jpeg':
      return canvas.encodeSync('jpeg', 90)
    case 'png8': {
      const { width, height } = canvas
      const data = canvas.getContext('2d').getImageData(0, 0, width, height).data
      return Buffer.from(palettePng(data, width, height))
    }
    case 'pdf':
      return pdfOf(canvas.encodeSync('png'), canvas.width, canvas.height)
  }
}
