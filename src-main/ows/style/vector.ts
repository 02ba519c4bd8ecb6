import { Path2D } from '@napi-rs/canvas'
import type { Geometry, Position } from 'geojson'
import { type FilterSubject, evaluate } from '../filter'
import type { MapCanvas } from './canvas'
import type { Rule, Symbolizer, TextSymbolizer } from './model'
import { type SpriteCache, applyStroke, cssColor, fillColorFor, numberOf, resolve, strokeFor } from './symbols'

export type Project = (lon: number, lat: number, out: [number, number]) => boolean

/** What drawing one image's features needs. */
export interface VectorScene {
  canvas: MapCanvas
  project: Project
  sprites: SpriteCache
  labels: LabelCandidate[]
}

export interface LabelCandidate {
  text: string
  x: number
  y: number
  angle: number
  font: string
  fill: string
  halo: { radius: number; color: string } | null
  anchor: [number, number]
  displacement: [number, number]
}

/** The rules a feature is drawn with: those whose filter it passes, else the ElseFilter rules. */
export function matchingRules(rules: Rule[], subject: FilterSubject): Rule[] {
  const matched: Rule[] = []
  let any = false
  for (const rule of rules) {
    if (rule.elseFilter) continue
    if (rule.filter) {
      let pass = false
      try {
        pass = evaluate(rule.filter, subject)
      } catch {
        pass = false
      }
      if (!pass) continue
    }
    matched.push(rule)
    any = true
  }
  if (!any) for (const rule of rules) if (rule.elseFilter) matched.push(rule)
  return matched
}

const out: [number, number] = [0, 0]

/** An SVG path of lines or rings in pixels; vertices closer than half a pixel to the last one are dropped. */
function pathText(parts: Position[][], close: boolean, project: Project): string {
  let text = ''
  for (const part of parts) {
    let lastX = NaN
    let lastY = NaN
    let started = false
    for (let i = 0; i < part.length; i++) {
      const p = part[i]
      if (!project(p[0], p[1], out)) continue
      const x = out[0]
      const y = out[1]
      if (started && i < part.length - 1 && Math.abs(x - lastX) < 0.5 && Math.abs(y - lastY) < 0.5) continue
      text += `${started ? 'L' : 'M'}${x.toFixed(2)} ${y.toFixed(2)}`
      started = true
      lastX = x
      lastY = y
    }
    if (started && close) text += 'Z'
  }
  return text
}

function linesOf(geometry: Geometry): Position[][] {
  switch (geometry.type) {
    case 'LineString':
      return [geometry.coordinates]
    case 'MultiLineString':
      return geometry.coordinates
    case 'Polygon':
      return geometry.coordinates
    case 'MultiPolygon':
      return geometry.coordinates.flat()
    case 'GeometryCollection':
      return geometry.geometries.flatMap(linesOf)
    default:
      return []
  }
}

function polygonsOf(geometry: Geometry): Position[][][] {
  if (geometry.type === 'Polygon') return [geometry.coordinates]
  if (geometry.type === 'MultiPolygon') return geometry.coordinates
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(polygonsOf)
  return []
}

function ringCentroid(ring: Position[]): [number, number] {
  let a = 0
  let cx = 0
  let cy = 0
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1]
    a += f
    cx += (ring[j][0] + ring[i][0]) * f
    cy += (ring[j][1] + ring[i][1]) * f
  }
  if (Math.abs(a) < 1e-18) return [ring[0][0], ring[0][1]]
  return [cx / (3 * a), cy / (3 * a)]
}

function lineMiddle(line: Position[]): { point: [number, number]; angle: number } {
  let total = 0
  for (let i = 1; i < line.length; i++) total += Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1])
  let walked = 0
  for (let i = 1; i < line.length; i++) {
    const step = Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1])
    if (walked + step >= total / 2 && step > 0) {
      const t = (total / 2 - walked) / step
      return { point: [line[i - 1][0] + (line[i][0] - line[i - 1][0]) * t, line[i - 1][1] + (line[i][1] - line[i - 1][1]) * t], angle: 0 }
    }
    walked += step
  }
  return { point: [line[0][0], line[0][1]], angle: 0 }
}

/** Where a point symbol or a label goes on a geometry (lon/lat): each point, a line's middle, a polygon's centroid. */
function anchorsOf(geometry: Geometry): [number, number][] {
  switch (geometry.type) {
    case 'Point':
      return [[geometry.coordinates[0], geometry.coordinates[1]]]
    case 'MultiPoint':
      return geometry.coordinates.map((p) => [p[0], p[1]])
    case 'LineString':
      return [lineMiddle(geometry.coordinates).point]
    case 'MultiLineString':
      return geometry.coordinates.filter((l) => l.length > 0).map((l) => lineMiddle(l).point)
    case 'Polygon':
      return geometry.coordinates[0]?.length ? [ringCentroid(geometry.coordinates[0])] : []
    case 'MultiPolygon':
      return geometry.coordinates.filter((p) => p[0]?.length).map((p) => ringCentroid(p[0]))
    case 'GeometryCollection':
      return geometry.geometries.flatMap(anchorsOf)
  }
}

/** Draws one feature with one symbolizer. */
export function drawSymbolizer(scene: VectorScene, symbolizer: Symbolizer, geometry: Geometry, subject: FilterSubject): void {
  const { canvas, project } = scene
  const ctx = canvas.ctx
  switch (symbolizer.kind) {
    case 'polygon': {
      const polygons = polygonsOf(geometry)
      if (polygons.length === 0) return
      const text = pathText(polygons.flat(), true, project)
      if (!text) return
      const path = new Path2D(text)
      if (symbolizer.fill?.graphic) {
        const sprite = scene.sprites.get(symbolizer.fill.graphic, subject)
        const pattern = sprite ? ctx.createPattern(sprite.canvas, 'repeat') : null
        if (pattern) {
          ctx.fillStyle = pattern
          ctx.fill(path, 'evenodd')
        }
      }
      const fill = fillColorFor(symbolizer.fill, subject)
      if (fill) {
        ctx.fillStyle = fill
        ctx.fill(path, 'evenodd')
      }
      const stroke = strokeFor(symbolizer.stroke, subject)
      if (stroke) {
        applyStroke(ctx, stroke)
        ctx.stroke(path)
      }
      return
    }
    case 'line': {
      const stroke = strokeFor(symbolizer.stroke, subject)
      const lines = linesOf(geometry)
      if (!stroke || lines.length === 0) return
      const text = pathText(lines, false, project)
      if (!text) return
      applyStroke(ctx, stroke)
      ctx.stroke(new Path2D(text))
      return
    }
    case 'point': {
      const sprite = scene.sprites.get(symbolizer.graphic, subject)
      if (!sprite) return
      for (const [lon, lat] of anchorsOf(geometry)) if (project(lon, lat, out)) canvas.stamp(sprite, out[0], out[1])
      return
    }
    case 'text':
      return labelFeature(scene, symbolizer, geometry, subject)
    case 'raster':
      return
  }
}

function labelFeature(scene: VectorScene, symbolizer: TextSymbolizer, geometry: Geometry, subject: FilterSubject): void {
  const { project } = scene
  const text = symbolizer.label
    .map((part) => resolve(part, subject))
    .filter((v) => v !== undefined && v !== null)
    .map(String)
    .join('')
    .trim()
  if (!text) return
  const size = numberOf(symbolizer.font.size, subject, 10)
  const font = `${symbolizer.font.style === 'normal' ? '' : `${symbolizer.font.style} `}${symbolizer.font.weight === 'bold' ? 'bold ' : ''}${size}px ${symbolizer.font.family}, sans-serif`
  const fill = fillColorFor(symbolizer.fill, subject) ?? 'rgba(0,0,0,1)'
  const halo = symbolizer.halo ? { radius: symbolizer.halo.radius, color: fillColorFor(symbolizer.halo.fill, subject) ?? cssColor('#ffffff')! } : null
  const placement = symbolizer.placement
  const lines = geometry.type === 'LineString' ? [geometry.coordinates] : geometry.type === 'MultiLineString' ? geometry.coordinates : null
  if (placement.kind === 'line' && lines) {
    for (const line of lines) {
      if (line.length < 2) continue
      const { point } = lineMiddle(line)
      const a: [number, number] = [0, 0]
      const b: [number, number] = [0, 0]
      const i = Math.max(1, Math.min(line.length - 1, Math.ceil(line.length / 2)))
      if (!project(line[i - 1][0], line[i - 1][1], a) || !project(line[i][0], line[i][1], b) || !project(point[0], point[1], out)) continue
      let angle = Math.atan2(b[1] - a[1], b[0] - a[0])
      if (angle > Math.PI / 2) angle -= Math.PI
      if (angle < -Math.PI / 2) angle += Math.PI
      scene.labels.push({ text, x: out[0], y: out[1] - placement.offset, angle, font, fill, halo, anchor: [0.5, 0.5], displacement: [0, 0] })
    }
    return
  }
  const anchor = placement.kind === 'point' ? placement.anchor : ([0.5, 0.5] as [number, number])
  const displacement = placement.kind === 'point' ? placement.displacement : ([0, 0] as [number, number])
  const rotation = placement.kind === 'point' ? numberOf(placement.rotation, subject, 0) : 0
  for (const [lon, lat] of anchorsOf(geometry)) {
    if (!project(lon, lat, out)) continue
    scene.labels.push({ text, x: out[0], y: out[1], angle: (rotation * Math.PI) / 180, font, fill, halo, anchor, displacement })
  }
}

/** Most labels one image places (each is measured and tested against those placed). */
const MAX_LABELS = 4000

/** Draws the labels last, over every layer, skipping those that would overlap one already placed. */
export function placeLabels(canvas: MapCanvas, labels: LabelCandidate[]): void {
  canvas.flush()
  const ctx = canvas.ctx
  const placed: [number, number, number, number][] = []
  ctx.setLineDash([])
  for (const label of labels.slice(0, MAX_LABELS)) {
    ctx.font = label.font
    const metrics = ctx.measureText(label.text)
    const w = metrics.width
    const h = metrics.actualBoundingBoxAscent + metrics.actualBoundingBoxDescent || 10
    const dx = -label.anchor[0] * w + label.displacement[0]
    const dy = label.anchor[1] * h - label.displacement[1]
    const reach = Math.hypot(w, h)
    const cx = label.x + dx + w / 2
    const cy = label.y + dy - h / 2
    const box: [number, number, number, number] = label.angle === 0 ? [label.x + dx, label.y + dy - h, label.x + dx + w, label.y + dy] : [cx - reach / 2, cy - reach / 2, cx + reach / 2, cy + reach / 2]
    if (box[2] < 0 || box[3] < 0 || box[0] > canvas.width || box[1] > canvas.height) continue
    if (placed.some((p) => p[0] < box[2] + 2 && p[2] > box[0] - 2 && p[1] < box[3] + 2 && p[3] > box[1] - 2)) continue
    placed.push(box)
    ctx.save()
    ctx.translate(label.x, label.y)
    if (label.angle) ctx.rotate(label.angle)
    if (label.halo) {
      ctx.strokeStyle = label.halo.color
      ctx.lineWidth = label.halo.radius * 2
      ctx.lineJoin = 'round'
      ctx.strokeText(label.text, dx, dy)
    }
    ctx.fillStyle = label.fill
    ctx.fillText(label.text, dx, dy)
    ctx.restore()
  }
}
