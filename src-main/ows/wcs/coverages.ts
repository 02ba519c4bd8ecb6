import type { OwsLayer } from '../../services/ows-layers.service'
import { COMMON_CRS, httpCrsOf, isGeographic, parseCrs } from '../crs'
import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsContext } from '../types'
import { type RasterInfo, readRasterInfo } from './raster'

export type WcsVersion = '1.0.0' | '2.0.1'
export const WCS_VERSIONS: readonly WcsVersion[] = ['2.0.1', '1.0.0']

/** A raster layer the caller may view, with its stored file's grid. */
export interface Coverage {
  layer: OwsLayer & { rasterFile: string }
  info: RasterInfo
}

const isCoverage = (layer: OwsLayer): layer is OwsLayer & { rasterFile: string } => layer.kind === 'raster' && layer.rasterFile !== null

/** The coverage id as GeoServer spells it: `geonode__name` in WCS 2.0, `geonode:name` in 1.0. */
export function coverageIdOf(layer: OwsLayer, version: WcsVersion): string {
  return version === '2.0.1' ? `${layer.workspace}__${layer.name}` : layer.alternate
}

/** A version as sent (`1.0`, `2.0`, `2.0.0`) read as one this service speaks, or undefined. */
export function wcsVersionOf(raw: string | undefined): WcsVersion | undefined {
  if (!raw) return undefined
  if (/^1\.0(\.\d+)?$/.test(raw.trim())) return '1.0.0'
  if (/^2\.0(\.\d+)?$/.test(raw.trim())) return '2.0.1'
  return undefined
}

/** The raster layers a caller may view (under a workspace endpoint, that workspace's only). */
export async function visibleCoverages(ctx: OwsContext, req: OwsRequest): Promise<(OwsLayer & { rasterFile: string })[]> {
  const workspace = req.endpoint.workspace
  return (await ctx.services.owsLayers.visible(ctx.caller)).filter(isCoverage).filter((l) => !workspace || l.workspace === workspace)
}

/**
 * The coverage a client names, in any of GeoServer's spellings (`geonode__name`, `geonode:name`,
 * or the bare name). Unknown and invisible coverages are refused alike.
 */
export async function findCoverage(ctx: OwsContext, req: OwsRequest, raw: string, version: WcsVersion, locator: string): Promise<Coverage> {
  const asked = raw.trim()
  const separator = asked.indexOf('__')
  const name = !asked.includes(':') && separator > 0 ? `${asked.slice(0, separator)}:${asked.slice(separator + 2)}` : asked
  const layer = (await ctx.services.owsLayers.byNames(ctx.caller, [name], req.endpoint.workspace ?? undefined)).get(name)
  if (!layer || !isCoverage(layer)) {
    throw new OwsException(version === '2.0.1' ? 'NoSuchCoverage' : 'CoverageNotDefined', `No coverage named ${asked} is offered here.`, locator)
  }
  return { layer, info: await readRasterInfo(layer.rasterFile) }
}

/** The coverage ids a request lists (comma-separated). */
export function requestedIds(req: OwsRequest, name: string): string[] {
  const raw = param(req, name)
  if (!raw) throw new OwsException('MissingParameterValue', `The ${name.toUpperCase()} parameter is required.`, name)
  return raw.split(',').map((s) => s.trim()).filter(Boolean)
}

/** The CRSs a coverage is offered in: its own first, then EPSG:4326 and EPSG:3857. */
export function offeredCrs(layer: OwsLayer): number[] {
  return [...new Set([layer.srid, ...COMMON_CRS])]
}

/** Axis labels of a CRS as WCS 2.0 names them, in the CRS's axis order (EPSG:4326 is Lat Long). */
export function axisLabels(epsg: number): { labels: [string, string]; northFirst: boolean; uom: string } {
  const northFirst = parseCrs(httpCrsOf(epsg), 'crs', { plainIsNorthFirst: true }).northFirst
  if (isGeographic(epsg)) return { labels: northFirst ? ['Lat', 'Long'] : ['Long', 'Lat'], northFirst, uom: 'Deg Deg' }
  return { labels: northFirst ? ['N', 'E'] : ['E', 'N'], northFirst, uom: 'm m' }
}

/** GDAL's data type of a band as an OGC data type URI (WCS 2.0 range type). */
export function dataTypeUri(info: RasterInfo): string {
  const names: Record<RasterInfo['sampleType'], string> = {
    Byte: 'unsignedByte',
    Int8: 'signedByte',
    UInt16: 'unsignedShort',
    Int16: 'signedShort',
    UInt32: 'unsignedInt',
    Int32: 'signedInt',
    Float32: 'float32',
    Float64: 'float64'
  }
  return `http://www.opengis.net/def/dataType/OGC/0/${names[info.sampleType]}`
}

/** The range of values a band's type holds, as "low high". */
export function typeInterval(info: RasterInfo): string {
  const ranges: Record<RasterInfo['sampleType'], string> = {
    Byte: '0 255',
    Int8: '-128 127',
    UInt16: '0 65535',
    Int16: '-32768 32767',
    UInt32: '0 4294967295',
    Int32: '-2147483648 2147483647',
    Float32: '-3.4028235E38 3.4028235E38',
    Float64: '-1.7976931348623157E308 1.7976931348623157E308'
  }
  return ranges[info.sampleType]
}

/** Band names as GeoServer gives them: GRAY_INDEX for one band, RED_BAND... for RGB, else Band1, Band2... */
export function bandNames(info: RasterInfo): string[] {
  if (info.bands === 1) return ['GRAY_INDEX']
  if (info.rgb) return Array.from({ length: info.bands }, (_, i) => ['RED_BAND', 'GREEN_BAND', 'BLUE_BAND', 'ALPHA_BAND'][i] ?? `Band${i + 1}`)
  return Array.from({ length: info.bands }, (_, i) => `Band${i + 1}`)
}

/** A number written as XML Schema doubles are (no exponent for ordinary values). */
export const num = (value: number) => (Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15))))
