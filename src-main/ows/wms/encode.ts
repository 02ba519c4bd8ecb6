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
  if (key === 'png' || key === 'image/png;mode=8bit') return key === 'png' ? 'png' : 'png8'
  if (key === 'jpeg' || key === 'jpg' || key === 'image/jpg') return 'jpeg'
  if (key === 'pdf') return 'pdf'
  return (MAP_FORMATS as Record<string, MapFormat>)[key] ?? null
}

/**
 * An 8-bit palette PNG: the image's own colours when there are at most 256 of them (a map drawn
 * from a few style colours), else 256 chosen by image-q's Wu quantizer; transparency in tRNS.
 */
function palettePng(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array {
  const colours = new Map<number, number>()
  const view = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height)
  const indexes = new Uint8Array(width * height)
  let exact = true
  for (let i = 0; i < view.length; i++) {
    const key = rgba[i * 4 + 3] === 0 ? 0 : view[i]
    let index = colours.get(key)
    if (index === undefined) {
      if (colours.size === 256) {
        exact = false
        break
      }
      index = colours.size
      colours.set(key, index)
    }
    indexes[i] = index
  }
  let palette: [number, number, number, number][]
  if (exact) {
    palette = [...colours.keys()].map((key) => [key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24])
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

/** Encodes a drawn map in a GetMap format. */
export async function encodeMap(canvas: Canvas, format: MapFormat): Promise<Buffer> {
  switch (format) {
    case 'png':
      return canvas.encode('png')
    case 'jpeg':
      return canvas.encode('jpeg', 90)
    case 'png8': {
      const { width, height } = canvas
      const data = canvas.getContext('2d').getImageData(0, 0, width, height).data
      return Buffer.from(palettePng(data, width, height))
    }
    case 'pdf':
      return pdfOf(await canvas.encode('png'), canvas.width, canvas.height)
  }
}
