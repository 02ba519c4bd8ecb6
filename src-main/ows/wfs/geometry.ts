import type { Geometry } from 'geojson'
import { type RequestCrs, transformer } from '../crs'
import { mapPositions } from '../spatial'

/**
 * A stored geometry (EPSG:4326, x = longitude) carried into a CRS, in x, y order or, with
 * `axisOrder`, in the axis order the CRS's name asks for (latitude first for urn:ogc:def:crs:EPSG::4326).
 */
export function fromStored(geometry: Geometry, crs: Pick<RequestCrs, 'epsg' | 'northFirst'>, axisOrder = true): Geometry {
  const forward = transformer(4326, crs.epsg)
  const swap = axisOrder && crs.northFirst
  if (crs.epsg === 4326 && !swap) return geometry
  return mapPositions(geometry, (p) => {
    const [x, y] = forward([p[0], p[1]])
    return swap ? [y, x] : [x, y]
  })
}

/** A geometry as written in a request in `crs` (its axis order) carried to EPSG:4326 x, y. */
export function toStored(geometry: Geometry, crs: Pick<RequestCrs, 'epsg' | 'northFirst'>): Geometry {
  const forward = transformer(crs.epsg, 4326)
  if (crs.epsg === 4326 && !crs.northFirst) return geometry
  return mapPositions(geometry, (p) => forward(crs.northFirst ? [p[1], p[0]] : [p[0], p[1]]))
}

/** Whether every position of a geometry is finite (a transform outside a projection's domain is not). */
export function isFinite(geometry: Geometry): boolean {
  let ok = true
  mapPositions(geometry, (p) => {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) ok = false
    return p
  })
  return ok
}
