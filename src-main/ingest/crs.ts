import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Geometry, Position } from 'geojson'
import proj4 from 'proj4'
import { IngestError, type SourceCrs } from './types'

/** [minx, miny, maxx, maxy] */
export type Bbox = [number, number, number, number]
export type Transform = (xy: [number, number]) => [number, number]

interface EpsgEntry {
  code: string
  name: string
  proj4: string
  wkt: string
  /** [north, west, south, east] in degrees */
  bbox: number[] | null
}

const WGS84: SourceCrs = Object.freeze({ epsg: 4326, definition: 'EPSG:4326' })
const WEB_MERCATOR: SourceCrs = Object.freeze({ epsg: 3857, definition: 'EPSG:3857' })

const epsgDir = join(dirname(createRequire(import.meta.url).resolve('epsg-index/package.json')), 's')
const epsgCache = new Map<number, EpsgEntry | null>()

// Each code is a small JSON file; the package's all.json is 40 MB, so never load it.
function epsgEntry(code: number): EpsgEntry | null {
  if (!Number.isInteger(code) || code <= 0) return null
  if (!epsgCache.has(code)) {
    const file = join(epsgDir, `${code}.json`)
    epsgCache.set(code, existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as EpsgEntry) : null)
  }
  return epsgCache.get(code) ?? null
}

/** The CRS for an EPSG code; throws IngestError for a code the EPSG index does not know. */
export function crsFromEpsg(code: number): SourceCrs {
  if (code === 4326) return WGS84
  if (code === 3857 || code === 900913) return WEB_MERCATOR
  const entry = epsgEntry(code)
  const definition = entry?.proj4 || entry?.wkt
  if (!definition) throw new IngestError(`EPSG:${code}`, 'unknown EPSG code')
  return { epsg: code, definition }
}

/** The OGC WKT of an EPSG code from the EPSG index (a shapefile's .prj), or null when it has none. */
export function wktOfEpsg(code: number): string | null {
  return epsgEntry(code)?.wkt || null
}

/** Whether the EPSG index knows the code. */
export function isKnownEpsg(code: number): boolean {
  return code === 4326 || code === 3857 || Boolean(epsgEntry(code)?.proj4 || epsgEntry(code)?.wkt)
}

/** The CRS a .prj (ESRI or OGC WKT, or a proj string) describes. */
export function crsFromPrj(text: string, file: string): SourceCrs {
  return crsFromWkt(text, file, 'the projection (.prj) cannot be read')
}

/** The CRS a WKT (or proj string) describes, with its EPSG code when an authority or a known name gives it. */
export function crsFromWkt(text: string, file: string, problem = 'the coordinate reference system cannot be read'): SourceCrs {
  const wkt = text.replace(/^\uFEFF/, '').trim()
  if (!wkt) throw new IngestError(file, `${problem}: it is empty`)
  if (/^\+proj=/.test(wkt) || /^\+init=/.test(wkt)) {
    assertUsable(wkt, file, problem)
    return { epsg: null, definition: wkt }
  }
  const root = /^([A-Z_0-9]+)\s*[[(]/i.exec(wkt)
  if (!root || !WKT_ROOTS.has(root[1].toUpperCase())) {
    throw new IngestError(file, `${problem}: it is not WKT (starts with "${wkt.slice(0, 20)}")`)
  }
  assertBalanced(wkt, file, problem)
  const authority = rootAuthority(wkt)
  if (authority !== null && isKnownEpsg(authority)) return crsFromEpsg(authority)
  assertUsable(wkt, file, problem)
  const named = epsgFromName(rootName(wkt))
  if (named !== null && isKnownEpsg(named) && sameProjection(wkt, named)) return crsFromEpsg(named)
  return { epsg: null, definition: wkt }
}

const WKT_ROOTS = new Set([
  'PROJCS',
  'GEOGCS',
  'GEOCCS',
  'COMPD_CS',
  'PROJCRS',
  'PROJECTEDCRS',
  'GEOGCRS',
  'GEOGRAPHICCRS',
  'GEODCRS',
  'GEODETICCRS',
  'BOUNDCRS',
  'COMPOUNDCRS'
])

function assertBalanced(wkt: string, file: string, problem: string): void {
  let depth = 0
  let inString = false
  for (const c of wkt) {
    if (c === '"') inString = !inString
    else if (inString) continue
    else if (c === '[' || c === '(') depth++
    else if (c === ']' || c === ')') depth--
    if (depth < 0) break
  }
  if (depth !== 0 || inString) throw new IngestError(file, `${problem}: its brackets or quotes do not match`)
}

function assertUsable(definition: string, file: string, problem: string): void {
  let ok = false
  try {
    const converter = proj4(definition, 'EPSG:4326')
    ok = typeof converter.forward === 'function'
  } catch (error) {
    const reason = error instanceof Error && error.message ? `: ${error.message}` : ''
    throw new IngestError(file, `${problem}: proj4 refuses it${reason}`)
  }
  if (!ok) throw new IngestError(file, `${problem}: proj4 refuses it`)
}

/** The AUTHORITY["EPSG","n"] (WKT1) or ID["EPSG",n] (WKT2) directly inside the root element. */
function rootAuthority(wkt: string): number | null {
  let depth = 0
  let inString = false
  let found: number | null = null
  for (let i = 0; i < wkt.length; i++) {
    const c = wkt[i]
    if (c === '"') inString = !inString
    if (inString) continue
    if (c === '[' || c === '(') {
      depth++
      if (depth === 2) {
        const keyword = /([A-Z]+)\s*$/i.exec(wkt.slice(Math.max(0, i - 12), i))?.[1].toUpperCase()
        if (keyword === 'AUTHORITY' || keyword === 'ID') {
          const m = /^[[(]\s*"EPSG"\s*,\s*"?(\d+)"?/i.exec(wkt.slice(i))
          if (m) found = Number(m[1])
        }
      }
    } else if (c === ']' || c === ')') depth--
  }
  return found
}

function rootName(wkt: string): string {
  return /^[A-Z_0-9]+\s*[[(]\s*"([^"]*)"/i.exec(wkt)?.[1] ?? ''
}

/** Lower case, separators to `_`, and the ESRI spellings of datums folded to the EPSG ones. */
export function normalizeCrsName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(gcs|d)_/, '')
    .replace(/wgs_?1984/g, 'wgs_84')
    .replace(/etrs_?1989/g, 'etrs89')
    .replace(/nad_?1983/g, 'nad83')
    .replace(/nad_?1927/g, 'nad27')
    .replace(/north_american_1983/g, 'nad83')
    .replace(/north_american_1927/g, 'nad27')
}

const KNOWN_NAMES: Record<string, number> = {
  wgs_84: 4326,
  nad83: 4269,
  nad27: 4267,
  etrs89: 4258,
  gda94: 4283,
  gda2020: 7844,
  sirgas_2000: 4674,
  rgf93: 4171,
  wgs_84_pseudo_mercator: 3857,
  wgs_84_web_mercator_auxiliary_sphere: 3857,
  web_mercator: 3857,
  popular_visualisation_crs_mercator: 3857,
  google_maps_global_mercator: 3857,
  osgb_1936_british_national_grid: 27700,
  british_national_grid: 27700,
  rgf93_lambert_93: 2154,
  rgf_1993_lambert_93: 2154,
  etrs89_laea_europe: 3035,
  etrs89_laea: 3035,
  etrs89_lambert_azimuthal_equal_area: 3035,
  wgs_84_world_mercator: 3395,
  wgs_84_arctic_polar_stereographic: 3995,
  wgs_84_antarctic_polar_stereographic: 3031
}

const UTM_BASES: Record<string, { north: number; south: number | null; zones: [number, number] }> = {
  wgs_84: { north: 32600, south: 32700, zones: [1, 60] },
  nad83: { north: 26900, south: null, zones: [1, 23] },
  nad27: { north: 26700, south: null, zones: [1, 22] },
  etrs89: { north: 25800, south: null, zones: [28, 38] }
}

/** The EPSG code whose name matches (ESRI or EPSG spelling), e.g. GCS_WGS_1984 → 4326, WGS_84_UTM_zone_33N → 32633. */
export function epsgFromName(name: string): number | null {
  const key = normalizeCrsName(name)
  if (key in KNOWN_NAMES) return KNOWN_NAMES[key]
  const utm = /^(wgs_84|nad83|nad27|etrs89)_utm_zone_(\d{1,2})([ns])$/.exec(key)
  if (!utm) return null
  const base = UTM_BASES[utm[1]]
  const zone = Number(utm[2])
  const offset = utm[3] === 'n' ? base.north : base.south
  if (offset === null || zone < base.zones[0] || zone > base.zones[1]) return null
  return offset + zone
}

// A name alone can lie (a custom CRS named like a standard one): accept the code only when both agree.
function sameProjection(wkt: string, code: number): boolean {
  const entry = code === 4326 || code === 3857 ? null : epsgEntry(code)
  const [north, west, south, east] = entry?.bbox ?? [60, -60, -60, 60]
  const lonLat: [number, number] = [(west + (east < west ? east + 360 : east)) / 2, (north + south) / 2]
  try {
    const expected = proj4('EPSG:4326', crsFromEpsg(code).definition).forward(lonLat)
    const actual = proj4('EPSG:4326', wkt).forward(lonLat)
    const tolerance = code === 4326 || entry?.proj4.includes('longlat') ? 1e-7 : 0.01
    return Math.abs(expected[0] - actual[0]) <= tolerance && Math.abs(expected[1] - actual[1]) <= tolerance
  } catch {
    return false
  }
}

/** A function from source coordinates to WGS 84 lon/lat; the identity for EPSG:4326. */
export function transformerToWgs84(crs: SourceCrs): Transform {
  if (crs.epsg === 4326) return (xy) => xy
  const converter = proj4(crs.definition, 'EPSG:4326')
  return (xy) => converter.forward(xy) as [number, number]
}

/** A copy of the geometry with every position transformed (z and m are kept as they are). */
export function reprojectGeometry<G extends Geometry>(geometry: G, transform: Transform): G {
  const position = (p: Position): Position => {
    const [x, y] = transform([p[0], p[1]])
    return p.length > 2 ? [x, y, ...p.slice(2)] : [x, y]
  }
  switch (geometry.type) {
    case 'Point':
      return { ...geometry, coordinates: position(geometry.coordinates) }
    case 'MultiPoint':
    case 'LineString':
      return { ...geometry, coordinates: geometry.coordinates.map(position) }
    case 'MultiLineString':
    case 'Polygon':
      return { ...geometry, coordinates: geometry.coordinates.map((line) => line.map(position)) }
    case 'MultiPolygon':
      return { ...geometry, coordinates: geometry.coordinates.map((poly) => poly.map((ring) => ring.map(position))) }
    case 'GeometryCollection':
      return { ...geometry, geometries: geometry.geometries.map((g) => reprojectGeometry(g, transform)) }
  }
}

/** The bbox of a geometry, or null when it has no finite position. */
export function bboxOf(geometry: Geometry | null): Bbox | null {
  if (!geometry) return null
  const box: Bbox = [Infinity, Infinity, -Infinity, -Infinity]
  const visit = (coords: unknown): void => {
    if (!Array.isArray(coords)) return
    if (typeof coords[0] === 'number') {
      const x = coords[0]
      const y = coords[1] as number
      if (!Number.isFinite(x) || !Number.isFinite(y)) return
      if (x < box[0]) box[0] = x
      if (y < box[1]) box[1] = y
      if (x > box[2]) box[2] = x
      if (y > box[3]) box[3] = y
      return
    }
    for (const c of coords) visit(c)
  }
  if (geometry.type === 'GeometryCollection') {
    for (const g of geometry.geometries) {
      const b = bboxOf(g)
      if (b) mergeInto(box, b)
    }
  } else visit(geometry.coordinates)
  return box[0] <= box[2] ? box : null
}

/** The union of two bboxes, either of which may be null. */
export function mergeBbox(a: Bbox | null, b: Bbox | null): Bbox | null {
  if (!a) return b ? [...b] : null
  if (!b) return [...a]
  return mergeInto([...a], b)
}

function mergeInto(box: Bbox, b: Bbox): Bbox {
  box[0] = Math.min(box[0], b[0])
  box[1] = Math.min(box[1], b[1])
  box[2] = Math.max(box[2], b[2])
  box[3] = Math.max(box[3], b[3])
  return box
}

/**
 * The lon/lat bbox of a bbox in the given CRS. Edges are densified (a straight UTM edge is a curve
 * in lon/lat), so the result encloses the whole box, not only its four corners.
 */
export function bboxToWgs84(bbox: Bbox, crs: SourceCrs, steps = 32): Bbox {
  if (crs.epsg === 4326) return [...bbox]
  const transform = transformerToWgs84(crs)
  const [minx, miny, maxx, maxy] = bbox
  const out: Bbox = [Infinity, Infinity, -Infinity, -Infinity]
  const add = (x: number, y: number): void => {
    const [lon, lat] = transform([x, y])
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return
    mergeInto(out, [lon, lat, lon, lat])
  }
  for (let i = 0; i <= steps; i++) {
    const t = i / steps
    const x = minx + (maxx - minx) * t
    const y = miny + (maxy - miny) * t
    add(x, miny)
    add(x, maxy)
    add(minx, y)
    add(maxx, y)
  }
  if (out[0] > out[2]) throw new IngestError(crs.epsg ? `EPSG:${crs.epsg}` : 'crs', 'the extent cannot be projected to WGS 84')
  return [Math.max(-180, out[0]), Math.max(-90, out[1]), Math.min(180, out[2]), Math.min(90, out[3])]
}

/** Whether a bbox fits in lon/lat degrees (a hint that a source without .prj is EPSG:4326). */
export function isLonLatBbox(bbox: Bbox, tolerance = 1e-9): boolean {
  return bbox[0] >= -180 - tolerance && bbox[2] <= 180 + tolerance && bbox[1] >= -90 - tolerance && bbox[3] <= 90 + tolerance
}

/** Throws IngestError unless the bbox fits in lon/lat degrees. */
export function checkLonLatBbox(bbox: Bbox, file: string): void {
  if (!isLonLatBbox(bbox)) {
    throw new IngestError(file, `the coordinates are not longitude/latitude degrees (extent ${bbox.map((v) => +v.toFixed(6)).join(', ')})`)
  }
}

const projections = new Map<string, proj4.Converter>()

function definition(epsg: number): string {
  if (epsg === 4326) return 'EPSG:4326'
  if (epsg === 3857) return 'EPSG:3857'
  return crsFromEpsg(epsg).definition
}

/**
 * A point transform between two EPSG codes, in x (east/lon), y (north/lat) order. Cached: proj4
 * parses a definition once. The identity when both are the same.
 */
export function transformer(from: number, to: number): (xy: [number, number]) => [number, number] {
  if (from === to) return (xy) => xy
  const key = `${from}>${to}`
  let converter = projections.get(key)
  if (!converter) {
    converter = proj4(definition(from), definition(to))
    projections.set(key, converter)
  }
  const c = converter
  return (xy) => c.forward(xy) as [number, number]
}

/**
 * A bbox carried into another CRS by transforming points along its edges (a projected box's edges
 * curve in lon/lat); non-finite points (outside a projection's domain) are skipped. Null when no
 * point of the box can be transformed.
 */
export function transformBbox(bbox: Bbox, from: number, to: number, steps = 16): Bbox | null {
  if (from === to) return bbox
  const forward = transformer(from, to)
  let [minx, miny, maxx, maxy] = [Infinity, Infinity, -Infinity, -Infinity]
  const [x0, y0, x1, y1] = bbox
  for (let i = 0; i <= steps; i++) {
    const t = i / steps
    for (const p of [
      [x0 + (x1 - x0) * t, y0],
      [x0 + (x1 - x0) * t, y1],
      [x0, y0 + (y1 - y0) * t],
      [x1, y0 + (y1 - y0) * t]
    ] as [number, number][]) {
      let q: [number, number]
      try {
        q = forward(p)
      } catch {
        continue
      }
      if (!Number.isFinite(q[0]) || !Number.isFinite(q[1])) continue
      minx = Math.min(minx, q[0])
      miny = Math.min(miny, q[1])
      maxx = Math.max(maxx, q[0])
      maxy = Math.max(maxy, q[1])
    }
  }
  return Number.isFinite(minx) ? [minx, miny, maxx, maxy] : null
}

/** A CRS a file without one may be in, and why it is suggested. */
export interface CrsSuggestion {
  epsg: number
  name: string
  reason: string
}

/** The unit of a CRS's coordinates, for people: `m`, `degrees`, `US ft`, `ft`, or `CRS units`. */
export function crsUnits(epsg: number): string {
  const definition = epsg === 4326 ? '+proj=longlat' : epsg === 3857 ? '+units=m' : (epsgEntry(epsg)?.proj4 ?? '')
  if (/\+proj=longlat\b/.test(definition)) return 'degrees'
  const unit = /\+units=([\w-]+)/.exec(definition)?.[1]
  return unit === 'm' ? 'm' : unit === 'us-ft' ? 'US ft' : unit === 'ft' ? 'ft' : 'CRS units'
}

/** The EPSG name of a code (`WGS 84 / UTM zone 33N`), or `EPSG:n` when the index does not know it. */
export function crsName(epsg: number): string {
  if (epsg === 4326) return 'WGS 84'
  if (epsg === 3857) return 'WGS 84 / Pseudo-Mercator'
  return epsgEntry(epsg)?.name ?? `EPSG:${epsg}`
}

/** The data's lon/lat box when read in `epsg`, if that lands inside the CRS's area of use; else null. */
function landsIn(extent: Bbox, epsg: number): Bbox | null {
  let lonLat: Bbox | null
  try {
    lonLat = transformBbox(extent, epsg, 4326, 4)
  } catch {
    return null
  }
  if (!lonLat || !lonLat.every(Number.isFinite)) return null
  const area = epsg === 4326 || epsg === 3857 ? [90, -180, -90, 180] : (epsgEntry(epsg)?.bbox ?? null)
  if (!area) return isLonLatBbox(lonLat) ? lonLat : null
  const [north, west, south, east] = area
  const margin = 1
  const inLat = lonLat[1] >= south - margin && lonLat[3] <= north + margin
  // Areas crossing the antimeridian have east < west.
  const inLon = east >= west ? lonLat[0] >= west - margin && lonLat[2] <= east + margin : lonLat[0] >= west - margin || lonLat[2] <= east + margin
  return inLat && inLon ? lonLat : null
}

const near = (a: Bbox, b: Bbox, buffer = 0.5) => a[0] - buffer <= b[2] && b[0] - buffer <= a[2] && a[1] - buffer <= b[3] && b[1] - buffer <= a[3]

/**
 * What CRS a file that names none is probably in, from the range of its coordinates: degrees when
 * they fit longitude and latitude; otherwise the projected CRSs the catalogue's own layers use
 * whose area of use the data would then fall in, first those whose layers lie where the data would
 * (field data tend to share their project's CRS and place), then by how many layers use them.
 * Never a guess presented as certain: the user picks.
 *
 * @example likelyCrs([280121, 4629550, 292775, 4641997], [{ epsg: 32630, boxes: [[-4, 41.5, -3, 42.5]] }]).suggestions[0].epsg // 32630
 */
export function likelyCrs(extent: Bbox, used: { epsg: number; boxes: Bbox[] }[]): { degrees: boolean; suggestions: CrsSuggestion[] } {
  const degrees = isLonLatBbox(extent)
  const suggestions: CrsSuggestion[] = []
  if (degrees) suggestions.push({ epsg: 4326, name: crsName(4326), reason: 'the coordinates fit degrees of longitude and latitude' })
  const ranked = used
    .filter(({ epsg }) => epsg !== 4326 && (!degrees || isGeographicEpsg(epsg)))
    .map(({ epsg, boxes }) => {
      const at = landsIn(extent, epsg)
      return { epsg, total: boxes.length, nearby: at ? boxes.filter((box) => near(at, box)).length : 0, fits: at !== null }
    })
    .filter((c) => c.fits)
    .sort((a, b) => b.nearby - a.nearby || b.total - a.total)
  for (const c of ranked.slice(0, 6)) {
    const layers = (n: number) => `${n} layer${n === 1 ? '' : 's'}`
    const reason = c.nearby > 0 ? `${layers(c.nearby)} of this catalogue in this CRS lie where the data would` : `used by ${layers(c.total)} of this catalogue, and the data fall in its area of use`
    suggestions.push({ epsg: c.epsg, name: crsName(c.epsg), reason })
  }
  if (!degrees && !suggestions.some((s) => s.epsg === 3857) && landsIn(extent, 3857) && Math.abs(extent[1]) <= 20048967 && Math.abs(extent[3]) <= 20048967) {
    suggestions.push({ epsg: 3857, name: crsName(3857), reason: 'web maps and many online exports use it; check that the layer lands where expected' })
  }
  return { degrees, suggestions }
}

function isGeographicEpsg(epsg: number): boolean {
  if (epsg === 4326) return true
  return /\+proj=longlat\b/.test(epsgEntry(epsg)?.proj4 ?? '')
}
