import { createCanvas } from '@napi-rs/canvas'
import type { Geometry } from 'geojson'
import { MapCanvas } from './canvas'
import { type RasterSymbolizer, type Rule, type Style, activeAt } from './model'
import { NO_FEATURE, SpriteCache } from './symbols'
import { type VectorScene, drawSymbolizer } from './vector'

export interface LegendOptions {
  width: number
  height: number
  fontSize: number
  /** Label single-rule legends too (GeoNode's legend links ask for it). */
  forceLabels: boolean
  /** Only the rules drawn at this scale denominator, when given. */
  scale: number | null
  /** Only this rule, as an icon without a label (GetLegendGraphic's RULE). */
  rule: string | null
  /** The value range of a raster drawn with the default stretch, for its colour bar. */
  rasterRange: { low: number; high: number } | null
  geometry: 'point' | 'line' | 'polygon' | 'raster' | 'any'
}

/** Sample geometries in an icon's own pixel space (the projection is the identity). */
function sample(kind: 'point' | 'line' | 'polygon', w: number, h: number): Geometry {
  if (kind === 'point') return { type: 'Point', coordinates: [w / 2, h / 2] }
  if (kind === 'line') return { type: 'LineString', coordinates: [[1, h - 2], [w / 3, 2], [(2 * w) / 3, h - 2], [w - 1, 2]] }
  return { type: 'Polygon', coordinates: [[[1, 1], [w - 1, 1], [w - 1, h - 1], [1, h - 1], [1, 1]]] }
}

function iconOf(rule: Rule, w: number, h: number, geometry: LegendOptions['geometry']): MapCanvas {
  const canvas = new MapCanvas(w, h)
  const scene: VectorScene = {
    canvas,
    project: (x, y, out) => {
      out[0] = x
      out[1] = y
      return true
    },
    sprites: new SpriteCache(),
    labels: []
  }
  for (const symbolizer of rule.symbolizers) {
    if (symbolizer.kind === 'text' || symbolizer.kind === 'raster') continue
    const kind = symbolizer.kind === 'point' ? 'point' : symbolizer.kind === 'line' ? (geometry === 'polygon' ? 'polygon' : 'line') : 'polygon'
    drawSymbolizer(scene, symbolizer, sample(kind, w, h), NO_FEATURE)
  }
  canvas.flush()
  return canvas
}

function rasterRows(symbolizer: RasterSymbolizer | null, range: LegendOptions['rasterRange']): { color: string; label: string }[] {
  if (symbolizer?.colorMap) {
    return symbolizer.colorMap.entries.map((e) => ({ color: e.color, label: e.label ?? String(e.quantity) }))
  }
  if (range) return [{ color: '#ffffff', label: formatValue(range.high) }, { color: '#000000', label: formatValue(range.low) }]
  return []
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(5)).toString()
}

/**
 * A legend: one row per rule (its icon, WIDTH x HEIGHT, drawn with the rule's symbolizers on a
 * point, a line or a square, and its title), or for a raster its ColorMap entries as a colour bar
 * with values (the default stretch as a grey bar from its high to its low value).
 */
export function drawLegend(style: Style, options: LegendOptions): Buffer {
  const { width, height, fontSize } = options
  const raster = style.featureTypeStyles.flatMap((f) => f.rules).flatMap((r) => r.symbolizers).find((s): s is RasterSymbolizer => s.kind === 'raster') ?? null
  const rules = style.featureTypeStyles
    .flatMap((f) => f.rules)
    .filter((r) => (options.scale === null || activeAt(r, options.scale)) && (options.rule === null || r.name === options.rule))
    .filter((r) => r.symbolizers.some((s) => s.kind !== 'text' && s.kind !== 'raster'))
  if (options.rule !== null) {
    const icon = rules[0] ? iconOf(rules[0], width, height, options.geometry) : new MapCanvas(width, height)
    return icon.canvas.encodeSync('png')
  }
  const font = `${fontSize}px sans-serif`
  const measure = createCanvas(1, 1).getContext('2d')
  measure.font = font
  if (options.geometry === 'raster' || (rules.length === 0 && raster)) {
    const rows = rasterRows(raster, options.rasterRange)
    if (rows.length === 0) return new MapCanvas(width, height).canvas.encodeSync('png')
    const labelWidth = Math.max(...rows.map((r) => measure.measureText(r.label).width))
    const canvas = createCanvas(Math.ceil(width + 6 + labelWidth + 2), height * rows.length)
    const ctx = canvas.getContext('2d')
    const ramp = !raster?.colorMap || raster.colorMap.type === 'ramp'
    if (ramp && rows.length > 1) {
      const gradient = ctx.createLinearGradient(0, height / 2, 0, height * rows.length - height / 2)
      rows.forEach((r, i) => gradient.addColorStop(i / (rows.length - 1), r.color))
      ctx.fillStyle = gradient
      ctx.fillRect(0, 0, width, height * rows.length)
    } else {
      rows.forEach((r, i) => {
        ctx.fillStyle = r.color
        ctx.fillRect(0, i * height, width, height)
      })
    }
    ctx.font = font
    ctx.fillStyle = '#000000'
    ctx.textBaseline = 'middle'
    rows.forEach((r, i) => ctx.fillText(r.label, width + 6, i * height + height / 2))
    return canvas.encodeSync('png')
  }
  const labels = rules.map((r) => r.title ?? r.name)
  const labelled = (rules.length > 1 || options.forceLabels) && labels.some((l) => l !== '')
  const labelWidth = labelled ? Math.max(0, ...labels.map((l) => measure.measureText(l).width)) : 0
  const total = Math.max(1, rules.length)
  const canvas = createCanvas(Math.ceil(width + (labelled ? 6 + labelWidth + 2 : 0)), height * total)
  const ctx = canvas.getContext('2d')
  ctx.font = font
  ctx.fillStyle = '#000000'
  ctx.textBaseline = 'middle'
  rules.forEach((rule, i) => {
    ctx.drawImage(iconOf(rule, width, height, options.geometry).canvas, 0, i * height)
    if (labelled) ctx.fillText(labels[i], width + 6, i * height + height / 2)
  })
  return canvas.encodeSync('png')
}
