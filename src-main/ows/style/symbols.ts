import { type Canvas, type SKRSContext2D, createCanvas, Image } from '@napi-rs/canvas'
import { type FilterSubject, expressionValue } from '../filter'
import type { ExternalGraphicStyle, FillStyle, GraphicStyle, MarkStyle, StrokeStyle, StyleValue } from './model'

/** The subject used where no feature is at hand (legends, constant styles). */
export const NO_FEATURE: FilterSubject = { id: '', properties: {}, geometry: null }

export function resolve(value: StyleValue, subject: FilterSubject): unknown {
  if (!value) return undefined
  if (value.kind === 'literal') return value.value
  try {
    return expressionValue(value, subject)
  } catch {
    return undefined
  }
}

export function numberOf(value: StyleValue, subject: FilterSubject, fallback: number): number {
  const raw = resolve(value, subject)
  const n = typeof raw === 'number' ? raw : Number(raw)
  return raw === undefined || raw === null || raw === '' || !Number.isFinite(n) ? fallback : n
}

/** Whether a style value depends on the feature (a property, or a function of one). */
export function isVariable(value: StyleValue): boolean {
  return value !== null && value.kind !== 'literal'
}

/** A CSS colour from an SLD colour (`#rrggbb`, `rrggbb`, `#rgb`, or a name), with an opacity. */
export function cssColor(raw: unknown, opacity = 1): string | null {
  if (raw === undefined || raw === null) return null
  let text = String(raw).trim()
  if (/^[0-9a-f]{6}$/i.test(text)) text = `#${text}`
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(text)
  const alpha = Math.max(0, Math.min(1, opacity))
  if (hex) {
    let h = hex[1]
    if (h.length === 3) h = h.replace(/./g, (c) => c + c)
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16))
    const a = h.length === 8 ? (parseInt(h.slice(6, 8), 16) / 255) * alpha : alpha
    return `rgba(${r},${g},${b},${Number(a.toFixed(4))})`
  }
  if (/^[a-z]+$/i.test(text)) return alpha === 1 ? text : null
  return null
}

export interface ResolvedStroke {
  color: string
  width: number
  dash: number[] | null
  join: CanvasLineJoin
  cap: CanvasLineCap
}

export function strokeFor(stroke: StrokeStyle | null, subject: FilterSubject): ResolvedStroke | null {
  if (!stroke) return null
  const color = cssColor(resolve(stroke.color, subject), numberOf(stroke.opacity, subject, 1))
  const width = numberOf(stroke.width, subject, 1)
  if (!color || width <= 0) return null
  return { color, width, dash: stroke.dasharray, join: stroke.linejoin, cap: stroke.linecap }
}

export function fillColorFor(fill: FillStyle | null, subject: FilterSubject): string | null {
  if (!fill || fill.color === null) return null
  return cssColor(resolve(fill.color, subject), numberOf(fill.opacity, subject, 1))
}

export function applyStroke(ctx: SKRSContext2D, stroke: ResolvedStroke): void {
  ctx.strokeStyle = stroke.color
  ctx.lineWidth = stroke.width
  ctx.lineJoin = stroke.join
  ctx.lineCap = stroke.cap
  ctx.setLineDash(stroke.dash ?? [])
}

/** A point symbol as pixels: straight-alpha RGBA, drawn centred on a feature's pixel. */
export interface Sprite {
  width: number
  height: number
  data: Uint8ClampedArray
  canvas: Canvas
}

/** Draws a well-known mark's outline as a path of radius `r` around (0, 0). */
export function markPath(ctx: SKRSContext2D, name: string, r: number): { open: boolean } {
  const n = name.toLowerCase().replace(/^shape:\/\//, 'shape:')
  ctx.beginPath()
  const poly = (points: [number, number][]) => {
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * r, y * r) : ctx.lineTo(x * r, y * r)))
    ctx.closePath()
  }
  switch (n) {
    case 'circle':
    case 'shape:dot':
      ctx.arc(0, 0, n === 'shape:dot' ? r * 0.3 : r, 0, Math.PI * 2)
      return { open: false }
    case 'triangle':
      poly([[0, -1], [0.866, 0.5], [-0.866, 0.5]])
      return { open: false }
    case 'star': {
      const points: [number, number][] = []
      for (let i = 0; i < 10; i++) {
        const a = (i * Math.PI) / 5 - Math.PI / 2
        const k = i % 2 === 0 ? 1 : 0.382
        points.push([Math.cos(a) * k, Math.sin(a) * k])
      }
      poly(points)
      return { open: false }
    }
    case 'cross':
      poly([[-0.2, -1], [0.2, -1], [0.2, -0.2], [1, -0.2], [1, 0.2], [0.2, 0.2], [0.2, 1], [-0.2, 1], [-0.2, 0.2], [-1, 0.2], [-1, -0.2], [-0.2, -0.2]])
      return { open: false }
    case 'x': {
      ctx.save()
      ctx.rotate(Math.PI / 4)
      poly([[-0.2, -1], [0.2, -1], [0.2, -0.2], [1, -0.2], [1, 0.2], [0.2, 0.2], [0.2, 1], [-0.2, 1], [-0.2, 0.2], [-1, 0.2], [-1, -0.2], [-0.2, -0.2]])
      ctx.restore()
      return { open: false }
    }
    case 'arrow':
      poly([[0, -1], [0.6, 0], [0.2, 0], [0.2, 1], [-0.2, 1], [-0.2, 0], [-0.6, 0]])
      return { open: false }
    case 'shape:vertline':
      ctx.moveTo(0, -r)
      ctx.lineTo(0, r)
      return { open: true }
    case 'shape:horline':
      ctx.moveTo(-r, 0)
      ctx.lineTo(r, 0)
      return { open: true }
    case 'shape:slash':
      ctx.moveTo(-r, r)
      ctx.lineTo(r, -r)
      return { open: true }
    case 'shape:backslash':
      ctx.moveTo(-r, -r)
      ctx.lineTo(r, r)
      return { open: true }
    case 'shape:plus':
      ctx.moveTo(0, -r)
      ctx.lineTo(0, r)
      ctx.moveTo(-r, 0)
      ctx.lineTo(r, 0)
      return { open: true }
    case 'shape:times':
      ctx.moveTo(-r, -r)
      ctx.lineTo(r, r)
      ctx.moveTo(-r, r)
      ctx.lineTo(r, -r)
      return { open: true }
    case 'shape:oarrow':
    case 'shape:carrow':
      ctx.moveTo(-r, -r * 0.6)
      ctx.lineTo(r, 0)
      ctx.lineTo(-r, r * 0.6)
      if (n === 'shape:carrow') ctx.closePath()
      return { open: n === 'shape:oarrow' }
    default:
      poly([[-1, -1], [1, -1], [1, 1], [-1, 1]])
      return { open: false }
  }
}

/** Decoded images of ExternalGraphic `data:` URIs (the only form a desktop catalogue can resolve offline). */
const images = new Map<string, Image | null>()

function externalImage(symbol: ExternalGraphicStyle): Image | null {
  if (images.has(symbol.href)) return images.get(symbol.href)!
  let image: Image | null = null
  const data = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(symbol.href)
  if (data) {
    try {
      const bytes = data[2] ? Buffer.from(data[3], 'base64') : Buffer.from(decodeURIComponent(data[3]))
      const decoded = new Image()
      decoded.src = bytes
      image = decoded.width > 0 ? decoded : null
    } catch {
      image = null
    }
  }
  if (images.size > 256) images.clear()
  images.set(symbol.href, image)
  return image
}

function drawMark(ctx: SKRSContext2D, mark: MarkStyle, size: number, subject: FilterSubject): void {
  const stroke = strokeFor(mark.stroke, subject)
  const fill = fillColorFor(mark.fill, subject)
  const { open } = markPath(ctx, mark.wellKnownName, size / 2)
  if (fill && !open) {
    ctx.fillStyle = fill
    ctx.fill()
  }
  if (stroke) {
    applyStroke(ctx, stroke)
    ctx.stroke()
  }
}

/** Everything a sprite depends on, resolved for one feature (the sprite cache's key). */
export interface GraphicParams {
  size: number
  rotation: number
  opacity: number
  /** Index of the symbol drawn, and its resolved colours and widths. */
  key: string
}

export function graphicParams(graphic: GraphicStyle, subject: FilterSubject): GraphicParams | null {
  const symbol = graphic.symbols.find((s) => s.kind === 'mark' || externalImage(s) !== null)
  if (!symbol) return null
  const image = symbol.kind === 'external' ? externalImage(symbol) : null
  const size = numberOf(graphic.size, subject, image ? image.height : 6)
  if (!(size > 0)) return null
  const rotation = numberOf(graphic.rotation, subject, 0)
  const opacity = numberOf(graphic.opacity, subject, 1)
  let key = `${graphic.symbols.indexOf(symbol)}|${size}|${rotation}|${opacity}`
  if (symbol.kind === 'mark' && (isVariable(symbol.fill?.color ?? null) || isVariable(symbol.stroke?.color ?? null) || isVariable(symbol.stroke?.width ?? null))) {
    key += `|${fillColorFor(symbol.fill, subject)}|${JSON.stringify(strokeFor(symbol.stroke, subject))}`
  }
  return { size: Math.min(size, 512), rotation, opacity, key }
}

/** Draws a graphic into a new canvas, centred; the canvas fits the symbol with its stroke. */
export function renderGraphic(graphic: GraphicStyle, params: GraphicParams, subject: FilterSubject): Sprite | null {
  const symbol = graphic.symbols.find((s) => s.kind === 'mark' || externalImage(s) !== null)
  if (!symbol) return null
  const image = symbol.kind === 'external' ? externalImage(symbol) : null
  const strokeWidth = symbol.kind === 'mark' ? (strokeFor(symbol.stroke, subject)?.width ?? 0) : 0
  const aspect = image ? image.width / image.height : 1
  const extent = Math.ceil(Math.hypot(params.size * aspect, params.size) + strokeWidth + 2)
  const side = extent % 2 === 0 ? extent + 1 : extent
  const canvas = createCanvas(side, side)
  const ctx = canvas.getContext('2d')
  ctx.globalAlpha = Math.max(0, Math.min(1, params.opacity))
  ctx.translate(side / 2, side / 2)
  ctx.rotate((params.rotation * Math.PI) / 180)
  if (image) ctx.drawImage(image, (-params.size * aspect) / 2, -params.size / 2, params.size * aspect, params.size)
  else drawMark(ctx, symbol as MarkStyle, params.size, subject)
  return { width: side, height: side, data: ctx.getImageData(0, 0, side, side).data, canvas }
}

/** Sprites per symbolizer and resolved parameters, kept for one image (and its legend). */
export class SpriteCache {
  private readonly sprites = new Map<GraphicStyle, Map<string, Sprite | null>>()

  get(graphic: GraphicStyle, subject: FilterSubject): Sprite | null {
    const params = graphicParams(graphic, subject)
    if (!params) return null
    let byKey = this.sprites.get(graphic)
    if (!byKey) this.sprites.set(graphic, (byKey = new Map()))
    let sprite = byKey.get(params.key)
    if (sprite === undefined) {
      sprite = renderGraphic(graphic, params, subject)
      if (byKey.size < 4096) byKey.set(params.key, sprite)
    }
    return sprite
  }
}
