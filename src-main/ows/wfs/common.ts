import { isKnownEpsg } from '../../ingest/crs'
import type { OwsLayer } from '../../services/ows-layers.service'
import { type RequestCrs, parseCrs } from '../crs'
import { OwsException } from '../exceptions'
import type { OwsRequest } from '../request'
import type { OwsContext } from '../types'

/** The WFS versions offered, highest first. */
export const WFS_VERSIONS = ['2.0.0', '1.1.0', '1.0.0'] as const
export type WfsVersion = (typeof WFS_VERSIONS)[number]

/**
 * Most features one GetFeature returns. A larger MAXFEATURES/COUNT is capped silently, as
 * GeoServer caps at its own maximum (clients such as QGIS ask for more than any server gives);
 * numberMatched still tells the truth, and 2.0 capabilities advertise the cap as CountDefault.
 */
export const MAX_FEATURES = 1_000_000

export const NS = {
  wfs: 'http://www.opengis.net/wfs',
  wfs20: 'http://www.opengis.net/wfs/2.0',
  ogc: 'http://www.opengis.net/ogc',
  fes: 'http://www.opengis.net/fes/2.0',
  gml: 'http://www.opengis.net/gml',
  gml32: 'http://www.opengis.net/gml/3.2',
  ows: 'http://www.opengis.net/ows',
  ows11: 'http://www.opengis.net/ows/1.1',
  xlink: 'http://www.w3.org/1999/xlink',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xsd: 'http://www.w3.org/2001/XMLSchema'
} as const

/** The namespace URI of a workspace, as GeoNode's GeoServer names them (`geonode` → http://www.geonode.org/). */
export function namespaceOf(workspace: string): string {
  return workspace === 'geonode' ? 'http://www.geonode.org/' : `http://www.geonode.org/${encodeURIComponent(workspace)}`
}

/** A version as sent (`2.0`, `1.1.0`, `2.0.2`) read as one of ours, or null. */
export function matchVersion(raw: string | undefined): WfsVersion | null {
  if (!raw) return null
  const [major, minor] = raw.trim().split('.')
  return WFS_VERSIONS.find((v) => v.startsWith(`${major}.${minor ?? '0'}.`)) ?? null
}

/** The version of a request other than GetCapabilities (2.0.0 when none is sent). */
export function versionOf(req: OwsRequest): WfsVersion {
  if (!req.version) return '2.0.0'
  const version = matchVersion(req.version)
  if (!version) throw new OwsException('InvalidParameterValue', `VERSION=${req.version} is not offered (${WFS_VERSIONS.join(', ')}).`, 'version')
  return version
}

/** The layer's native EPSG code when this server can transform it, else EPSG:4326. */
export function layerEpsg(layer: Pick<OwsLayer, 'srid'>): number {
  return layer.srid === 4326 || layer.srid === 3857 || isKnownEpsg(layer.srid) ? layer.srid : 4326
}

/** How a version names a CRS in its answers: EPSG:n (1.0.0), urn:x-ogc:def:crs:EPSG:n (1.1.0), urn:ogc:def:crs:EPSG::n (2.0.0). */
export function crsName(version: WfsVersion, epsg: number): string {
  if (version === '1.0.0') return `EPSG:${epsg}`
  if (version === '1.1.0') return `urn:x-ogc:def:crs:EPSG:${epsg}`
  return `urn:ogc:def:crs:EPSG::${epsg}`
}

/** The CRS answers are written in when a request names none: the layer's native CRS in the version's form. */
export function defaultCrs(version: WfsVersion, layer: Pick<OwsLayer, 'srid'>): RequestCrs {
  return parseCrs(crsName(version, layerEpsg(layer)), 'srsName', { plainIsNorthFirst: false })
}

/** A CRS named in a WFS request: EPSG:n is x/y in every version (as GeoServer reads it), URNs follow EPSG's axis order. */
export function requestCrs(raw: string, locator = 'srsName'): RequestCrs {
  return parseCrs(raw, locator, { plainIsNorthFirst: false, code: 'InvalidParameterValue' })
}

/** Splits a comma list (TYPENAMES, PROPERTYNAME, FEATUREID), trimming and dropping empties. */
export function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * The feature types named, in order: `geonode:towns`, `towns`, or with any prefix a client bound to
 * the workspace's namespace. A name that is unknown, invisible to the caller or not a vector
 * layer is an exception naming it (nothing tells those apart).
 */
export async function featureTypes(ctx: OwsContext, req: OwsRequest, names: string[], locator: string): Promise<OwsLayer[]> {
  const workspace = req.endpoint.workspace ?? undefined
  const found = await ctx.services.owsLayers.byNames(ctx.caller, names, workspace)
  const missing = names.filter((n) => !found.has(n))
  // A prefix that is no workspace is a namespace prefix the client chose (QGIS and others bind their own).
  const bare = missing.length ? await ctx.services.owsLayers.byNames(ctx.caller, missing.map(localName), workspace) : new Map<string, OwsLayer>()
  return names.map((name) => {
    const layer = found.get(name) ?? bare.get(localName(name))
    if (!layer || layer.kind !== 'vector' || layer.featureSetId === null) {
      throw new OwsException('InvalidParameterValue', `Feature type ${name} unknown.`, locator)
    }
    return layer
  })
}

export function localName(name: string): string {
  const colon = name.indexOf(':')
  return colon < 0 ? name : name.slice(colon + 1)
}

/** The vector layers a caller may view (capabilities and DescribeFeatureType without names). */
export async function visibleFeatureTypes(ctx: OwsContext, req: OwsRequest): Promise<OwsLayer[]> {
  const workspace = req.endpoint.workspace
  return (await ctx.services.owsLayers.visible(ctx.caller)).filter((l) => l.kind === 'vector' && l.featureSetId !== null && (!workspace || l.workspace === workspace))
}

/** The name a layer has in answers of an endpoint: with its prefix, or bare under a workspace endpoint (as GeoServer's virtual services). */
export function typeNameOf(layer: OwsLayer): string {
  return layer.alternate
}

/** The GML type of a layer's geometry in a GML version: GML 3 writes multi-polygons and multi-lines as MultiSurface and MultiCurve. */
export function geometryPropertyType(layer: OwsLayer, gml: 2 | 3): string {
  const type = layer.geometryType ?? 'gml:GeometryPropertyType'
  if (gml === 2) return type
  if (type === 'gml:MultiPolygonPropertyType') return 'gml:MultiSurfacePropertyType'
  if (type === 'gml:MultiLineStringPropertyType') return 'gml:MultiCurvePropertyType'
  return type
}
