import type { Geometry, Position } from 'geojson'
import proj4 from 'proj4'
import GeometryFactory from 'jsts/org/locationtech/jts/geom/GeometryFactory.js'
import GeoJSONReader from 'jsts/org/locationtech/jts/io/GeoJSONReader.js'
import RelateOp from 'jsts/org/locationtech/jts/operation/relate/RelateOp.js'
import DistanceOp from 'jsts/org/locationtech/jts/operation/distance/DistanceOp.js'
import type { Bbox } from './crs'
import type { SpatialOp } from './filter'

/**
 * Spatial predicates of OGC filters on EPSG:4326 geometries, through JTS's port (jsts): the DE-9IM
 * relations (Intersects, Within, Contains, Disjoint, Touches, Crosses, Overlaps, Equals) and
 * distances (DWithin, Beyond). A distance in a linear unit is measured in metres on an azimuthal
 * equidistant projection centred on the filter's shape (close to the geodesic distance for any
 * distance a filter asks); in degrees, or without a unit on a geographic CRS, in degrees.
 */

type JtsGeometry = ReturnType<GeoJSONReader['read']>

const reader = new GeoJSONReader(new GeometryFactory())

/** Units a DWithin/Beyond distance may name, as metres per unit; degrees are `null`. */
const LINEAR_UNITS: Record<string, number> = {
  m: 1, meter: 1, meters: 1, metre: 1, metres: 1, '#m': 1, 'urn:ogc:def:uom:epsg::9001': 1,
  km: 1000, kilometer: 1000, kilometers: 1000, kilometre: 1000, kilometres: 1000, 'urn:ogc:def:uom:epsg::9036': 1000,
  ft: 0.3048, foot: 0.3048, feet: 0.3048, 'urn:ogc:def:uom:epsg::9002': 0.3048,
  mi: 1609.344, mile: 1609.344, miles: 1609.344, 'statute miles': 1609.344,
  nm: 1852, 'nautical miles': 1852
}
const ANGULAR_UNITS = new Set(['deg', 'degree', 'degrees', 'decimal degrees', 'dd', 'urn:ogc:def:uom:epsg::9102'])

/** How a DWithin/Beyond distance is measured: metres (a factor to metres), or degrees in EPSG:4326. */
export type DistanceMeasure = { metres: number } | { degrees: true }

/**
 * The measure of a distance by its unit: linear units in metres; degrees; no unit means the
 * units of the CRS the shape was given in (degrees for a geographic CRS, metres otherwise).
 * Null for a unit this server does not know.
 */
export function distanceMeasure(units: string | undefined, shapeIsGeographic: boolean): DistanceMeasure | null {
  const unit = (units ?? '').trim().toLowerCase()
  if (unit === '') return shapeIsGeographic ? { degrees: true } : { metres: 1 }
  if (ANGULAR_UNITS.has(unit)) return { degrees: true }
  const factor = LINEAR_UNITS[unit]
  return factor ? { metres: factor } : null
}

/** A filter's shape made ready to test many features against (parsed once). */
export interface PreparedShape {
  op: SpatialOp
  test(feature: Geometry): boolean
}

/** A geometry with every position mapped (reprojection, axis swaps, envelopes). */
export function mapPositions(geometry: Geometry, f: (p: Position) => Position): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: f(geometry.coordinates) }
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(f) } as Geometry
    case 'MultiLineString':
    case 'Polygon':
      return { type: geometry.type, coordinates: geometry.coordinates.map((r) => r.map(f)) } as Geometry
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => p.map((r) => r.map(f))) }
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geometry.geometries.map((g) => mapPositions(g, f)) }
  }
}

/** The envelope of a geometry's positions, [minx, miny, maxx, maxy]. */
export function envelopeOf(geometry: Geometry): Bbox {
  const box: Bbox = [Infinity, Infinity, -Infinity, -Infinity]
  mapPositions(geometry, (p) => {
    if (p[0] < box[0]) box[0] = p[0]
    if (p[1] < box[1]) box[1] = p[1]
    if (p[0] > box[2]) box[2] = p[0]
    if (p[1] > box[3]) box[3] = p[1]
    return p
  })
  return box
}

function relation(op: SpatialOp, a: JtsGeometry, b: JtsGeometry): boolean {
  switch (op) {
    case 'intersects':
    case 'bbox':
      return RelateOp.intersects(a, b)
    case 'disjoint':
      return !RelateOp.intersects(a, b)
    case 'within':
      return RelateOp.contains(b, a)
    case 'contains':
      return RelateOp.contains(a, b)
    case 'touches':
      return RelateOp.touches(a, b)
    case 'crosses':
      return RelateOp.crosses(a, b)
    case 'overlaps':
      return RelateOp.overlaps(a, b)
    case 'equals':
      return RelateOp.equalsTopo(a, b)
    default:
      return false
  }
}

/**
 * Prepares a filter's shape (EPSG:4326, x = longitude) for one operator. `distance` and `measure`
 * apply to DWithin and Beyond.
 */
export function prepareShape(op: SpatialOp, shape: Geometry, distance = 0, measure: DistanceMeasure = { degrees: true }): PreparedShape {
  if (op === 'dwithin' || op === 'beyond') {
    let project: (g: Geometry) => Geometry = (g) => g
    let limit = distance
    if ('metres' in measure) {
      const [minx, miny, maxx, maxy] = envelopeOf(shape)
      const centre = proj4('EPSG:4326', `+proj=aeqd +lat_0=${(miny + maxy) / 2} +lon_0=${(minx + maxx) / 2} +datum=WGS84 +units=m +no_defs`)
      project = (g) => mapPositions(g, (p) => centre.forward([p[0], p[1]]))
      limit = distance * measure.metres
    }
    const target = reader.read(project(shape))
    return {
      op,
      test(feature) {
        const within = DistanceOp.isWithinDistance(reader.read(project(feature)), target, limit)
        return op === 'dwithin' ? within : !within
      }
    }
  }
  const target = reader.read(shape)
  return {
    op,
    test(feature) {
      try {
        return relation(op, reader.read(feature), target)
      } catch {
        // JTS refuses some relations of geometry collections; such a feature does not match.
        return false
      }
    }
  }
}
