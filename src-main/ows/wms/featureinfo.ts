import type { Feature, Geometry, Position } from 'geojson'
import type { OwsLayer } from '../../services/ows-layers.service'
import { toLonLat, transformer } from '../crs'
import { OwsException } from '../exceptions'
import type { FilterSubject } from '../filter'
import { type OwsRequest, param, requiredParam } from '../request'
import { lonLatToPixel, scaleDenominator } from '../style/frame'
import { type Style, activeAt } from '../style/model'
import { rasterValuesAt } from '../style/raster'
import { NO_FEATURE, numberOf } from '../style/symbols'
import { matchingRules } from '../style/vector'
import type { OwsAnswer, OwsContext } from '../types'
import { type InfoLayer, infoGml, infoHtml, infoJson, infoText } from './featureinfo.format'
import { type RequestFrame, frameParam, layersParam, requestVersion, styleOf, stylesParam } from './params'

/** INFO_FORMAT values and what each answers in. */
export const INFO_FORMATS = {
  'text/plain': 'text',
  'text/html': 'html',
  'application/json': 'json',
  'application/vnd.ogc.gml': 'gml2',
  'application/vnd.ogc.gml/3.1.1': 'gml3',
  'text/xml': 'gml2',
  'text/xml; subtype=gml/3.1.1': 'gml3'
} as const

type InfoFormat = (typeof INFO_FORMATS)[keyof typeof INFO_FORMATS]

/** Most features one GetFeatureInfo answers per layer, and candidates read around the point. */
const MAX_FEATURE_COUNT = 1000
const MAX_CANDIDATES = 5000
/** How far from a line or polygon edge a click still hits it, in pixels. */
const TOLERANCE_PX = 3

function infoFormat(req: OwsRequest): InfoFormat {
  const raw = param(req, 'info_format') ?? 'text/plain'
  const key = raw.trim().toLowerCase().replace(/\s*;\s*/g, '; ')
  const format = (INFO_FORMATS as Record<string, InfoFormat>)[key]
  if (!format) throw new OwsException('InvalidFormat', `INFO_FORMAT=${raw} is not offered (${Object.keys(INFO_FORMATS).join(', ')}).`, 'info_format')
  return format
}

function pixelParam(req: OwsRequest, name: string, size: number): number {
  const raw = requiredParam(req, name)
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0 || value >= size) throw new OwsException('InvalidPoint', `${name.toUpperCase()}=${raw} is not a pixel of the ${size}-pixel image.`, name)
  return Math.floor(value)
}

/** The largest point symbol of a style, as a radius in pixels (a click on a big marker hits it anywhere). */
function pointRadius(style: Style): number {
  let size = 0
  for (const fts of style.featureTypeStyles) for (const rule of fts.rules) for (const s of rule.symbolizers) if (s.kind === 'point') size = Math.max(size, numberOf(s.graphic.size, NO_FEATURE, 6))
  return Math.max(TOLERANCE_PX, size / 2 + 1)
}

function segmentDistance(px: number, py: number, a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0]
  const dy = b[1] - a[1]
  const len = dx * dx + dy * dy
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len))
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy))
}

/** Whether a geometry drawn in pixels passes within `radius` of (px, py), or contains it. */
function hits(geometry: Geometry, project: ReturnType<typeof lonLatToPixel>, px: number, py: number, radius: number): boolean {
  const at = (p: Position): [number, number] | null => {
    const out: [number, number] = [0, 0]
    return project(p[0], p[1], out) ? out : null
  }
  const near = (line: Position[], tolerance: number) => {
    let last = line[0] ? at(line[0]) : null
    for (let i = 1; i < line.length; i++) {
      const next = at(line[i])
      if (last && next && segmentDistance(px, py, last, next) <= tolerance) return true
      last = next
    }
    return false
  }
  const inside = (rings: Position[][]) => {
    let inPolygon = false
    for (const ring of rings) {
      const pts = ring.map(at)
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const a = pts[i]
        const b = pts[j]
        if (!a || !b) continue
        if (a[1] > py !== b[1] > py && px < ((b[0] - a[0]) * (py - a[1])) / (b[1] - a[1]) + a[0]) inPolygon = !inPolygon
      }
    }
    return inPolygon
  }
  switch (geometry.type) {
    case 'Point': {
      const p = at(geometry.coordinates)
      return p !== null && Math.hypot(p[0] - px, p[1] - py) <= radius
    }
    case 'MultiPoint':
      return geometry.coordinates.some((c) => hits({ type: 'Point', coordinates: c }, project, px, py, radius))
    case 'LineString':
      return near(geometry.coordinates, TOLERANCE_PX)
    case 'MultiLineString':
      return geometry.coordinates.some((l) => near(l, TOLERANCE_PX))
    case 'Polygon':
      return inside(geometry.coordinates) || geometry.coordinates.some((r) => near(r, TOLERANCE_PX))
    case 'MultiPolygon':
      return geometry.coordinates.some((p) => inside(p) || p.some((r) => near(r, TOLERANCE_PX)))
    case 'GeometryCollection':
      return geometry.geometries.some((g) => hits(g, project, px, py, radius))
  }
}

function reproject(geometry: Geometry, epsg: number): Geometry {
  if (epsg === 4326) return geometry
  const forward = transformer(4326, epsg)
  const p = (c: Position): Position => forward([c[0], c[1]])
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: p(geometry.coordinates) }
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(p) } as Geometry
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((r) => r.map(p)) } as Geometry
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((poly) => poly.map((r) => r.map(p))) }
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map((g) => reproject(g, epsg)) }
  }
}

async function vectorInfo(ctx: OwsContext, layer: OwsLayer, style: Style, at: RequestFrame, px: number, py: number, count: number): Promise<InfoLayer['features']> {
  if (layer.featureSetId === null) return []
  const { frame } = at
  const radius = pointRadius(style)
  const rx = (frame.bbox[2] - frame.bbox[0]) / frame.width
  const ry = (frame.bbox[3] - frame.bbox[1]) / frame.height
  const cx = frame.bbox[0] + (px + 0.5) * rx
  const cy = frame.bbox[3] - (py + 0.5) * ry
  const box = toLonLat([cx - radius * rx, cy - radius * ry, cx + radius * rx, cy + radius * ry], frame.epsg)
  if (!box) return []
  const set = layer.featureSetId
  // One complete statement, bounded: a click reads the few features around it.
  const rows = ctx.sqlite
    .prepare(
      `SELECT f.feature FROM layer_feature_index i CROSS JOIN layer_features f ON f.id = i.id
       WHERE i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ? AND i.minset <= ? AND i.maxset >= ? AND f.feature_set_id = ?
       ORDER BY f.fid LIMIT ?`
    )
    .pluck()
    .all(box[2], box[0], box[3], box[1], set, set, set, MAX_CANDIDATES) as string[]
  const scale = scaleDenominator(frame, at.geographic)
  const rules = style.featureTypeStyles.flatMap((f) => f.rules).filter((r) => activeAt(r, scale))
  const project = lonLatToPixel(frame)
  const found: InfoLayer['features'] = []
  for (const text of rows) {
    const feature = JSON.parse(text) as Feature<Geometry | null>
    if (!feature.geometry || !hits(feature.geometry, project, px + 0.5, py + 0.5, radius)) continue
    const subject: FilterSubject = { id: `${layer.name}.${feature.id}`, properties: feature.properties ?? {}, geometry: feature.geometry }
    if (rules.length > 0 && matchingRules(rules, subject).length === 0) continue
    found.push({ id: subject.id, geometry: reproject(feature.geometry, frame.epsg), properties: feature.properties ?? {} })
    if (found.length >= count) break
  }
  return found
}

const BAND_NAMES = ['RED_BAND', 'GREEN_BAND', 'BLUE_BAND', 'ALPHA_BAND']

async function rasterInfo(layer: OwsLayer, at: RequestFrame, px: number, py: number): Promise<InfoLayer['features']> {
  if (!layer.rasterFile) return []
  const { frame } = at
  const x = frame.bbox[0] + ((px + 0.5) * (frame.bbox[2] - frame.bbox[0])) / frame.width
  const y = frame.bbox[3] - ((py + 0.5) * (frame.bbox[3] - frame.bbox[1])) / frame.height
  let values: number[] | null
  try {
    values = await rasterValuesAt(layer.rasterFile, layer.srid, [x, y], frame.epsg)
  } catch {
    return []
  }
  if (!values) return []
  const names = values.length === 1 ? ['GRAY_INDEX'] : values.length <= 4 && values.length >= 3 ? BAND_NAMES : values.map((_, i) => `Band${i + 1}`)
  return [{ id: `${layer.name}.${px}.${py}`, geometry: null, properties: Object.fromEntries(values.map((v, i) => [names[i], v])) }]
}

/**
 * WMS GetFeatureInfo (1.1.1 X/Y, 1.3.0 I/J): the features of QUERY_LAYERS drawn within a few
 * pixels of the point (points by their symbol's size; only features the style draws), at most
 * FEATURE_COUNT per layer, and raster values per band, as JSON, HTML, text or GML.
 */
export async function getFeatureInfo(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = requestVersion(req)
  const format = infoFormat(req)
  const layers = await layersParam(ctx, req, 'layers')
  const styles = stylesParam(req, layers)
  const queried = await layersParam(ctx, req, 'query_layers')
  const at = frameParam(req, version)
  const px = pixelParam(req, version === '1.3.0' ? 'i' : 'x', at.frame.width)
  const py = pixelParam(req, version === '1.3.0' ? 'j' : 'y', at.frame.height)
  const rawCount = param(req, 'feature_count') ?? '1'
  const count = Number(rawCount)
  if (!Number.isInteger(count) || count < 1) throw new OwsException('InvalidParameterValue', `FEATURE_COUNT=${rawCount} is not a positive whole number.`, 'feature_count')
  const answers: InfoLayer[] = []
  for (const layer of queried) {
    const index = layers.findIndex((l) => l.id === layer.id)
    if (index < 0) throw new OwsException('LayerNotDefined', `QUERY_LAYERS names ${layer.alternate}, which LAYERS does not.`, 'query_layers')
    if (layer.kind === 'remote') throw new OwsException('LayerNotQueryable', `Layer ${layer.alternate} is not queryable.`, 'query_layers')
    const style = styleOf(ctx, layer, styles[index])
    const features = layer.kind === 'raster' ? await rasterInfo(layer, at, px, py) : await vectorInfo(ctx, layer, style, at, px, py, Math.min(count, MAX_FEATURE_COUNT))
    answers.push({ name: layer.name, alternate: layer.alternate, geometryAttribute: layer.geometryAttribute, features })
  }
  const epsg = at.frame.epsg
  switch (format) {
    case 'json':
      return { type: 'application/json', body: infoJson(answers, epsg) }
    case 'html':
      return { type: 'text/html; charset=utf-8', body: infoHtml(answers) }
    case 'text':
      return { type: 'text/plain; charset=utf-8', body: infoText(answers) }
    case 'gml2':
      return { type: 'application/vnd.ogc.gml', body: infoGml(answers, epsg, 2) }
    case 'gml3':
      return { type: 'text/xml; subtype=gml/3.1.1', body: infoGml(answers, epsg, 3) }
  }
}
