import { crsFromEpsg, isKnownEpsg, transformBbox, transformer } from '../ingest/crs'
import type { Bbox } from '../ingest/crs'
import { OwsException } from './exceptions'

export type { Bbox }
export { transformBbox, transformer }

/** A CRS as an OGC request names it, resolved to an EPSG code and the axis order of that form. */
export interface RequestCrs {
  epsg: number
  /** The identifier as the client wrote it (echoed in answers: srsName, CRS). */
  name: string
  /**
   * Whether coordinates in this form come latitude first (north, east). True for geographic CRSs
   * named in the EPSG-authority forms (urn:ogc:def:crs:EPSG::4326, http://www.opengis.net/def/crs/EPSG/0/4326,
   * and EPSG:4326 in WMS 1.3.0); false for EPSG:4326 in WMS 1.1.1 and WFS, CRS:84 and projected CRSs
   * with east-north axes.
   */
  northFirst: boolean
}

/** Geographic 2D CRSs whose EPSG axis order is latitude, longitude (all the EPSG geographic ones in use). */
export function isGeographic(epsg: number): boolean {
  if (epsg === 4326 || epsg === 4258 || epsg === 4269 || epsg === 4267 || epsg === 4283 || epsg === 4674 || epsg === 4171 || epsg === 7844) return true
  try {
    return /\+proj=longlat\b/.test(crsFromEpsg(epsg).definition)
  } catch {
    return false
  }
}

/** EPSG codes whose native axis order is north, east although projected (a few national grids). */
const NORTH_EAST_PROJECTED = new Set([2053, 2054, 2055, 2056, 3844, 4053, 4054, 4055, 5513, 5514, 2065, 3035, 3034, 3042, 3043])

function epsgAxisNorthFirst(epsg: number): boolean {
  return isGeographic(epsg) || NORTH_EAST_PROJECTED.has(epsg)
}

const URN = /^urn:(?:x-)?ogc:def:crs:EPSG:(?:[^:]*:)?(\d+)$/i
const HTTP_DEF = /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[^/]+\/(\d+)$/i
const GML_SRS = /^https?:\/\/www\.opengis\.net\/gml\/srs\/epsg\.xml#(\d+)$/i
const PLAIN = /^EPSG:(\d+)$/i

/**
 * Resolves a CRS identifier. `plainIsNorthFirst`: whether the plain `EPSG:n` form follows the
 * EPSG axis order (WMS 1.3.0 yes; WMS 1.1.1, WFS 1.0 and GeoServer's WFS 1.1/2.0 no).
 */
export function parseCrs(raw: string, locator: string, options: { plainIsNorthFirst: boolean; code?: 'InvalidCRS' | 'InvalidSRS' | 'InvalidParameterValue' }): RequestCrs {
  const name = raw.trim()
  const code = options.code ?? 'InvalidParameterValue'
  if (/^(CRS:84|OGC:CRS84|urn:ogc:def:crs:OGC:1\.3:CRS84|http:\/\/www\.opengis\.net\/def\/crs\/OGC\/1\.3\/CRS84)$/i.test(name)) {
    return { epsg: 4326, name, northFirst: false }
  }
  let epsg: number | null = null
  let authorityForm = false
  for (const pattern of [URN, HTTP_DEF]) {
    const m = pattern.exec(name)
    if (m) {
      epsg = Number(m[1])
      authorityForm = true
    }
  }
  const gml = GML_SRS.exec(name)
  if (gml) epsg = Number(gml[1])
  const plain = PLAIN.exec(name)
  if (plain) epsg = Number(plain[1])
  if (epsg === 900913) epsg = 3857
  if (epsg === null || !(epsg === 4326 || epsg === 3857 || isKnownEpsg(epsg))) {
    throw new OwsException(code, `${name} is not a coordinate reference system this server knows (EPSG codes in the EPSG:n, urn:ogc:def:crs:EPSG::n or http://www.opengis.net/def/crs/EPSG/0/n forms, or CRS:84).`, locator)
  }
  const northFirst = epsgAxisNorthFirst(epsg) && (authorityForm || (plain !== null && options.plainIsNorthFirst))
  return { epsg, name, northFirst }
}

/** The EPSG URN of a code, as WFS 1.1/2.0 and WCS 2.0 advertise CRSs. */
export const urnOf = (epsg: number) => `urn:ogc:def:crs:EPSG::${epsg}`
export const httpCrsOf = (epsg: number) => `http://www.opengis.net/def/crs/EPSG/0/${epsg}`

/** A bbox written in the CRS's request axis order, turned into x (east), y (north) order. */
export function toXY(bbox: Bbox, crs: RequestCrs): Bbox {
  return crs.northFirst ? [bbox[1], bbox[0], bbox[3], bbox[2]] : bbox
}

/** An x,y bbox written out in the CRS's request axis order. */
export function fromXY(bbox: Bbox, crs: Pick<RequestCrs, 'northFirst'>): Bbox {
  return crs.northFirst ? [bbox[1], bbox[0], bbox[3], bbox[2]] : bbox
}

/** A bbox into EPSG:4326 lon/lat, clamped to the world (for R*Tree look-ups of stored features). */
export function toLonLat(bbox: Bbox, from: number): Bbox | null {
  if (from === 4326) return bbox
  // Web Mercator's y beyond ±20037508 has no latitude; clamp first so a world tile still works.
  const clamped: Bbox = from === 3857 ? [Math.max(bbox[0], -20037508.34), Math.max(bbox[1], -20048966.1), Math.min(bbox[2], 20037508.34), Math.min(bbox[3], 20048966.1)] : bbox
  const box = transformBbox(clamped, from, 4326)
  if (!box) return null
  return [Math.max(-180, box[0]), Math.max(-90, box[1]), Math.min(180, box[2]), Math.min(90, box[3])]
}

/** The CRSs every layer is offered in, beside its native one. */
export const COMMON_CRS = [4326, 3857] as const
