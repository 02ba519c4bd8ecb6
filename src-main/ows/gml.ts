import type { Geometry, Position } from 'geojson'
import { OwsException } from './exceptions'
import { type XmlElement, attr, childNamed, childrenNamed } from './xml'

/** A geometry read from GML, with the CRS it names (null when it names none), coordinates as written. */
export interface GmlGeometry {
  geometry: Geometry
  srsName: string | null
}

const GEOMETRY_ELEMENTS = new Set([
  'Point', 'LineString', 'LinearRing', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiCurve', 'MultiPolygon', 'MultiSurface',
  'MultiGeometry', 'Envelope', 'Box', 'Curve', 'Surface'
])

export function isGmlGeometry(element: XmlElement): boolean {
  return GEOMETRY_ELEMENTS.has(element.name)
}

function invalid(message: string): OwsException {
  return new OwsException('InvalidParameterValue', `GML: ${message}`, 'geometry')
}

function numbers(text: string): number[] {
  const values = text.trim().split(/[\s,]+/).filter(Boolean).map(Number)
  if (values.some((v) => !Number.isFinite(v))) throw invalid(`"${text.slice(0, 60)}" is not a list of numbers`)
  return values
}

/** Positions of an element: gml:posList, gml:pos children, gml:coordinates (GML 2) or gml:coord. */
function positions(element: XmlElement, dimension: number): Position[] {
  const posList = childNamed(element, 'posList')
  if (posList) {
    const dim = Number(attr(posList, 'srsDimension') ?? attr(element, 'srsDimension') ?? dimension) || 2
    const values = numbers(posList.text)
    if (values.length % dim !== 0) throw invalid(`a posList of ${values.length} numbers is not made of ${dim}-dimensional positions`)
    const out: Position[] = []
    for (let i = 0; i < values.length; i += dim) out.push(values.slice(i, i + Math.min(dim, 3)))
    return out
  }
  const pos = childrenNamed(element, 'pos')
  if (pos.length > 0) return pos.map((p) => numbers(p.text).slice(0, 3))
  const coordinates = childNamed(element, 'coordinates')
  if (coordinates) {
    // The XML reader trims attribute values, so ts=" " (the usual separator) arrives empty.
    const decimal = attr(coordinates, 'decimal') || '.'
    const cs = attr(coordinates, 'cs') || ','
    const ts = attr(coordinates, 'ts')?.trim() || ' '
    return coordinates.text
      .trim()
      .split(ts === ' ' ? /\s+/ : ts)
      .filter(Boolean)
      .map((tuple) => numbers(tuple.split(cs).map((n) => (decimal === '.' ? n : n.replace(decimal, '.'))).join(' ')).slice(0, 3))
  }
  const coords = childrenNamed(element, 'coord')
  if (coords.length > 0) {
    return coords.map((c) => {
      const xyz = ['X', 'Y', 'Z'].map((n) => childNamed(c, n)?.text).filter((v): v is string => v !== undefined)
      return numbers(xyz.join(' '))
    })
  }
  return []
}

function ring(element: XmlElement | undefined, what: string): Position[] {
  const linear = element ? (childNamed(element, 'LinearRing') ?? element) : undefined
  if (!linear) throw invalid(`${what} has no ring`)
  const points = positions(linear, 2)
  if (points.length < 4) throw invalid(`${what} has a ring of ${points.length} positions (at least 4)`)
  return points
}

function polygon(element: XmlElement): Position[][] {
  const outer = childNamed(element, 'exterior') ?? childNamed(element, 'outerBoundaryIs')
  const inner = [...childrenNamed(element, 'interior'), ...childrenNamed(element, 'innerBoundaryIs')]
  return [ring(outer, 'a polygon'), ...inner.map((i) => ring(i, 'a polygon hole'))]
}

/** Members of a multi-geometry, whichever GML spells them (member, members, pointMember...). */
function members(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = []
  for (const child of element.children) {
    if (/Members?$/.test(child.name) || child.name === 'geometryMember') out.push(...child.children.filter(isGmlGeometry))
  }
  return out
}

function lineOf(element: XmlElement): Position[] {
  if (element.name === 'Curve') {
    const segments = childNamed(element, 'segments')?.children ?? []
    return segments.flatMap((s) => positions(s, 2))
  }
  const points = positions(element, 2)
  if (points.length < 2) throw invalid(`a line has ${points.length} position(s) (at least 2)`)
  return points
}

function polygonOf(element: XmlElement): Position[][] {
  if (element.name === 'Surface') {
    const patches = childNamed(element, 'patches')?.children ?? []
    if (patches.length === 0) throw invalid('a surface has no patches')
    return polygon(patches[0])
  }
  return polygon(element)
}

function envelope(element: XmlElement): Geometry {
  let corners: Position[]
  const lower = childNamed(element, 'lowerCorner')
  const upper = childNamed(element, 'upperCorner')
  if (lower && upper) corners = [numbers(lower.text), numbers(upper.text)]
  else corners = positions(element, 2)
  if (corners.length !== 2 || corners.some((c) => c.length < 2)) throw invalid(`an ${element.name} needs two corners`)
  const [[x0, y0], [x1, y1]] = corners
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] }
}

function geometryOf(element: XmlElement): Geometry {
  switch (element.name) {
    case 'Point': {
      const [point] = positions(element, 2)
      if (!point || point.length < 2) throw invalid('a point has no position')
      return { type: 'Point', coordinates: point }
    }
    case 'LineString':
    case 'Curve':
      return { type: 'LineString', coordinates: lineOf(element) }
    case 'LinearRing':
      return { type: 'LineString', coordinates: ring(element, 'a ring') }
    case 'Polygon':
    case 'Surface':
      return { type: 'Polygon', coordinates: polygonOf(element) }
    case 'Envelope':
    case 'Box':
      return envelope(element)
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: members(element).map((m) => (geometryOf(m) as { coordinates: Position }).coordinates) }
    case 'MultiLineString':
    case 'MultiCurve':
      return { type: 'MultiLineString', coordinates: members(element).map(lineOf) }
    case 'MultiPolygon':
    case 'MultiSurface':
      return { type: 'MultiPolygon', coordinates: members(element).map(polygonOf) }
    case 'MultiGeometry':
      return { type: 'GeometryCollection', geometries: members(element).map(geometryOf) }
    default:
      throw invalid(`<${element.name}> is not a GML geometry`)
  }
}

/**
 * Reads a GML 2, 3.1 or 3.2 geometry (Point, LineString, Polygon, the Multi- forms, MultiCurve,
 * MultiSurface, Curve and Surface with one patch, Envelope and Box as polygons). Coordinates stay
 * as written: the caller turns them into x, y with the axis order of `srsName` (see crs.ts).
 */
export function readGmlGeometry(element: XmlElement): GmlGeometry {
  return { geometry: geometryOf(element), srsName: attr(element, 'srsName') ?? null }
}

/** Swaps the first two ordinates of every position (latitude-first input to x, y). */
export function swapAxes<G extends Geometry>(geometry: G): G {
  const swap = (p: Position): Position => [p[1], p[0], ...p.slice(2)]
  const walk = (g: Geometry): Geometry => {
    switch (g.type) {
      case 'Point':
        return { ...g, coordinates: swap(g.coordinates) }
      case 'MultiPoint':
      case 'LineString':
        return { ...g, coordinates: g.coordinates.map(swap) }
      case 'MultiLineString':
      case 'Polygon':
        return { ...g, coordinates: g.coordinates.map((r) => r.map(swap)) }
      case 'MultiPolygon':
        return { ...g, coordinates: g.coordinates.map((p) => p.map((r) => r.map(swap))) }
      case 'GeometryCollection':
        return { ...g, geometries: g.geometries.map(walk) }
    }
  }
  return walk(geometry) as G
}
