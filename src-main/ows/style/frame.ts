import { transformer } from '../crs'

/** [minx, miny, maxx, maxy] */
export type Bbox = [number, number, number, number]

/** What one image shows: its size in pixels and its extent in x (east), y (north) order of its CRS. */
export interface MapFrame {
  width: number
  height: number
  bbox: Bbox
  epsg: number
}

/** OGC's standard rendering pixel (SLD 1.0 §10.2, WMS 1.3.0 §7.2.4.6.9): 0.28 mm. */
export const STANDARD_PIXEL_METRES = 0.00028
/** Metres per degree at the equator of the WGS 84 ellipsoid, as GeoServer counts a geographic scale. */
const METRES_PER_DEGREE = (6378137 * 2 * Math.PI) / 360

/** The scale denominator of a frame, as GeoServer computes the "OGC scale" for Min/MaxScaleDenominator. */
export function scaleDenominator(frame: MapFrame, geographic: boolean): number {
  const unitsPerPixel = (frame.bbox[2] - frame.bbox[0]) / frame.width
  return (unitsPerPixel * (geographic ? METRES_PER_DEGREE : 1)) / STANDARD_PIXEL_METRES
}

const R = 6378137
const DEG = Math.PI / 180
const MAX_LAT = 85.0511287798066

/**
 * Lon/lat (the stored features' CRS) to pixels of the frame. EPSG:4326 and Web Mercator are
 * computed inline (they are most requests, and proj4's general path costs a microsecond a point);
 * every other CRS goes through proj4.
 */
export function lonLatToPixel(frame: MapFrame): (lon: number, lat: number, out: [number, number]) => boolean {
  const [minx, miny, maxx, maxy] = frame.bbox
  const sx = frame.width / (maxx - minx)
  const sy = frame.height / (maxy - miny)
  if (frame.epsg === 4326) {
    return (lon, lat, out) => {
      out[0] = (lon - minx) * sx
      out[1] = (maxy - lat) * sy
      return true
    }
  }
  if (frame.epsg === 3857) {
    return (lon, lat, out) => {
      const clamped = lat > MAX_LAT ? MAX_LAT : lat < -MAX_LAT ? -MAX_LAT : lat
      out[0] = (R * lon * DEG - minx) * sx
      out[1] = (maxy - R * Math.log(Math.tan(Math.PI / 4 + (clamped * DEG) / 2))) * sy
      return true
    }
  }
  const forward = transformer(4326, frame.epsg)
  const p: [number, number] = [0, 0]
  return (lon, lat, out) => {
    p[0] = lon
    p[1] = lat
    let q: [number, number]
    try {
      q = forward(p)
    } catch {
      return false
    }
    if (!Number.isFinite(q[0]) || !Number.isFinite(q[1])) return false
    out[0] = (q[0] - minx) * sx
    out[1] = (maxy - q[1]) * sy
    return true
  }
}
