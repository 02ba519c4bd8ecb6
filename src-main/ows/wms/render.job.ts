import type Sqlite from 'better-sqlite3'
import type { Feature, Geometry } from 'geojson'
import { toLonLat } from '../crs'
import type { FilterSubject } from '../filter'
import { MapCanvas } from '../style/canvas'
import { type MapFrame, lonLatToPixel, scaleDenominator } from '../style/frame'
import { type Rule, type Style, type Symbolizer, activeAt } from '../style/model'
import { drawRaster } from '../style/raster'
import { NO_FEATURE, SpriteCache, isVariable } from '../style/symbols'
import { type LabelCandidate, type VectorScene, drawSymbolizer, matchingRules, placeLabels } from '../style/vector'
import { type MapFormat, encodeMap } from './encode'

/** One layer of a GetMap, as the renderer needs it (plain data: it crosses to a worker thread). */
export interface MapLayerJob {
  name: string
  kind: 'vector' | 'raster'
  featureSetId: number | null
  /** Every feature is a single point (the layer's geometry type is gml:PointPropertyType). */
  points: boolean
  rasterFile: string | null
  srid: number
  style: Style
}

export interface MapJob {
  frame: MapFrame
  /** Whether the frame's CRS is geographic (degrees: the scale is counted at the equator). */
  geographic: boolean
  layers: MapLayerJob[]
  transparent: boolean
  background: string
  format: MapFormat
  /** The catalogue file the features are read from (a connection of the worker's own). */
  databaseFile: string
  /** Epoch milliseconds after which the drawing gives up. */
  deadline: number
}

export class DeadlineExceeded extends Error {}

/** Pixels around the frame whose features are still read: symbols and strokes reach into the image. */
const MARGIN_PX = 32
/** Rows between deadline checks. */
const CHECK_EVERY = 4096

function checkDeadline(job: MapJob): void {
  if (Date.now() > job.deadline) throw new DeadlineExceeded()
}

/** The frame's extent plus a margin, in lon/lat, for the R*Tree (null when nothing of it has a lon/lat). */
function lonLatQueryBox(frame: MapFrame): [number, number, number, number] | null {
  const [x0, y0, x1, y1] = frame.bbox
  const mx = ((x1 - x0) / frame.width) * MARGIN_PX
  const my = ((y1 - y0) / frame.height) * MARGIN_PX
  return toLonLat([x0 - mx, y0 - my, x1 + mx, y1 + my], frame.epsg)
}

function usesAttributes(symbolizer: Symbolizer): boolean {
  switch (symbolizer.kind) {
    case 'point':
      return [symbolizer.graphic.size, symbolizer.graphic.rotation, symbolizer.graphic.opacity].some(isVariable) || symbolizer.graphic.symbols.some((s) => s.kind === 'mark' && [s.fill?.color ?? null, s.fill?.opacity ?? null, s.stroke?.color ?? null, s.stroke?.width ?? null, s.stroke?.opacity ?? null].some(isVariable))
    default:
      return true
  }
}

/** Rules every point is drawn with alike: no filter, no else, only point symbols with constant values. */
function constantPointRules(rules: Rule[]): boolean {
  return rules.every((r) => !r.filter && !r.elseFilter && r.symbolizers.every((s) => s.kind === 'point' && !usesAttributes(s)))
}

/** Web Mercator's sphere. */
const R = 6378137

/** Statements of one connection, prepared once. */
const statements = new WeakMap<Sqlite.Database, ReturnType<typeof prepare>>()

/**
 * Where the R*Tree's box of a point lands in pixels, as `(py + M) * (width + 2M) + px + M`,
 * computed by SQLite for the two CRSs most maps are asked in. Offsets, scales and the half of the
 * box's centre are folded into the bound constants, and CAST truncates what is positive by then, so
 * each row costs a few multiplications (the text of the numbers is most of the statement's time).
 */
const PIXEL_MARGIN = 64
const pixelKeys = (row: string) =>
  `SELECT group_concat(CAST(${row} AS INTEGER) * ? + CAST((minx + maxx) * ? - ? AS INTEGER))
   FROM layer_feature_index WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? AND minset <= ? AND maxset >= ?`

function prepare(db: Sqlite.Database) {
  return {
    geographicKeys: db.prepare(pixelKeys('? - (miny + maxy) * ?')).pluck(true),
    mercatorKeys: db.prepare(pixelKeys('? - ln(tan(? + (miny + maxy) * ?)) * ?')).pluck(true),
    // The R*Tree alone: a point's box is its position (as float32, well under a pixel).
    centres: db.prepare('SELECT (minx + maxx) * 0.5, (miny + maxy) * 0.5 FROM layer_feature_index WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? AND minset <= ? AND maxset >= ?').raw(true),
    // Drawn in feature order, so overlaps come out as in the data (and as GeoServer draws them).
    features: db
      .prepare(
        `SELECT f.feature FROM layer_feature_index i CROSS JOIN layer_features f ON f.id = i.id
         WHERE i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ? AND i.minset <= ? AND i.maxset >= ? AND f.feature_set_id = ?
         ORDER BY f.fid`
      )
      .pluck(true)
  }
}

function statementsOf(db: Sqlite.Database) {
  let found = statements.get(db)
  if (!found) statements.set(db, (found = prepare(db)))
  return found
}

/**
 * Points drawn alike: their positions come from the R*Tree alone (no feature is parsed). In
 * EPSG:4326 and Web Mercator SQLite turns them into pixel numbers and hands them over as one
 * text; elsewhere their lon/lat goes through proj4. Each pixel position is stamped once.
 */
function drawPoints(job: MapJob, db: Sqlite.Database, layer: MapLayerJob, rules: Rule[], scene: VectorScene, box: [number, number, number, number]): void {
  const sprites = rules.flatMap((r) => r.symbolizers).flatMap((s) => (s.kind === 'point' ? [scene.sprites.get(s.graphic, NO_FEATURE)] : [])).filter((s) => s !== null)
  if (sprites.length === 0) return
  const set = layer.featureSetId!
  const { frame } = job
  const where = [box[2], box[0], box[3], box[1], set, set]
  const stampers = sprites.map((sprite) => scene.canvas.stamper(sprite))
  const stamp = stampers.length === 1 ? stampers[0] : (x: number, y: number) => stampers.forEach((s) => s(x, y))
  if (frame.epsg === 4326 || frame.epsg === 3857) {
    const [minx, , maxx, maxy] = frame.bbox
    const sx = frame.width / (maxx - minx)
    const sy = frame.height / (frame.bbox[3] - frame.bbox[1])
    const stride = BigInt(frame.width + 2 * PIXEL_MARGIN)
    // Pixel column + M + 0.5 = (minx + maxx) * a - b; row likewise from the latitude (Mercator's y in metres).
    const lonScale = frame.epsg === 3857 ? (R * Math.PI) / 180 : 1
    const a = (lonScale * sx) / 2
    const b = minx * sx - PIXEL_MARGIN - 0.5
    const rowStart = maxy * sy + PIXEL_MARGIN + 0.5
    const keys = (
      frame.epsg === 3857
        ? statementsOf(db).mercatorKeys.get(rowStart, Math.PI / 4, Math.PI / 720, R * sy, stride, a, b, ...where)
        : statementsOf(db).geographicKeys.get(rowStart, sy / 2, stride, a, b, ...where)
    ) as string | null
    const width = Number(stride)
    checkDeadline(job)
    if (!keys) return
    let value = 0
    let negative = false
    for (let i = 0; i <= keys.length; i++) {
      const c = i < keys.length ? keys.charCodeAt(i) : 44
      if (c === 44) {
        const key = negative ? -value : value
        stamp((key % width) - PIXEL_MARGIN, Math.floor(key / width) - PIXEL_MARGIN)
        value = 0
        negative = false
      } else if (c === 45) negative = true
      else value = value * 10 + (c - 48)
    }
    return
  }
  const out: [number, number] = [0, 0]
  let n = 0
  for (const row of statementsOf(db).centres.iterate(...where) as IterableIterator<number[]>) {
    if (++n % CHECK_EVERY === 0) checkDeadline(job)
    if (scene.project(row[0], row[1], out)) stamp(out[0], out[1])
  }
}

function drawFeatures(job: MapJob, db: Sqlite.Database, layer: MapLayerJob, rules: Rule[], scene: VectorScene, box: [number, number, number, number]): void {
  const set = layer.featureSetId!
  let n = 0
  for (const text of statementsOf(db).features.iterate(box[2], box[0], box[3], box[1], set, set, set) as IterableIterator<string>) {
    if (++n % CHECK_EVERY === 0) checkDeadline(job)
    const feature = JSON.parse(text) as Feature<Geometry | null>
    if (!feature.geometry) continue
    const subject: FilterSubject = { id: `${layer.name}.${feature.id}`, properties: feature.properties ?? {}, geometry: feature.geometry }
    for (const rule of matchingRules(rules, subject)) for (const symbolizer of rule.symbolizers) drawSymbolizer(scene, symbolizer, feature.geometry, subject)
  }
}

/**
 * Draws a GetMap: layers bottom to top, each FeatureTypeStyle of a layer as a pass of its own,
 * labels last over everything; then encodes it. Point layers whose style needs no attribute are
 * drawn from the spatial index alone (no feature is parsed); other layers read their features in
 * order, each tested against the rules' filters.
 */
export async function renderMap(job: MapJob, db: Sqlite.Database | null): Promise<Buffer> {
  const { frame } = job
  const canvas = new MapCanvas(frame.width, frame.height)
  if (!job.transparent || job.format === 'jpeg') {
    canvas.ctx.fillStyle = job.background
    canvas.ctx.fillRect(0, 0, frame.width, frame.height)
  }
  const scale = scaleDenominator(frame, job.geographic)
  const labels: LabelCandidate[] = []
  const scene: VectorScene = { canvas, project: lonLatToPixel(frame), sprites: new SpriteCache(), labels }
  const box = lonLatQueryBox(frame)
  for (const layer of job.layers) {
    for (const fts of layer.style.featureTypeStyles) {
      const rules = fts.rules.filter((r) => activeAt(r, scale))
      if (rules.length === 0) continue
      if (layer.kind === 'raster') {
        const raster = rules.flatMap((r) => r.symbolizers).find((s) => s.kind === 'raster') ?? null
        if (layer.rasterFile) await drawRaster(canvas, frame, { file: layer.rasterFile, srid: layer.srid }, raster)
        continue
      }
      if (!db || layer.featureSetId === null || !box) continue
      if (layer.points && constantPointRules(rules)) drawPoints(job, db, layer, rules, scene, box)
      else drawFeatures(job, db, layer, rules, scene, box)
      canvas.flush()
      checkDeadline(job)
    }
  }
  placeLabels(canvas, labels)
  checkDeadline(job)
  return encodeMap(canvas.canvas, job.format)
}
