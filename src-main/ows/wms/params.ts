import { defaultSld, type DefaultStyleGeometry } from '../../ingest/sld'
import type { OwsLayer, OwsLayerStyle } from '../../services/ows-layers.service'
import { type RequestCrs, isGeographic, parseCrs, toXY } from '../crs'
import { OwsException } from '../exceptions'
import { type OwsRequest, param, requiredParam } from '../request'
import type { OwsContext } from '../types'
import type { MapFrame } from '../style/frame'
import type { Style } from '../style/model'
import { StyleProblem, parseSld } from '../style/sld.parse'

export const WMS_VERSIONS = ['1.3.0', '1.1.1'] as const
export type WmsVersion = (typeof WMS_VERSIONS)[number]

/** Largest WIDTH and HEIGHT, and the most pixels one image may have (about 32 MB of RGBA). */
export const MAX_SIDE = 4096
export const MAX_PIXELS = 4096 * 2048

/**
 * The version a map request is read in. Without VERSION (GeoNode's GetMap links carry none) a
 * request naming CRS and no SRS is 1.3.0, anything else 1.1.1.
 */
export function requestVersion(req: OwsRequest): WmsVersion {
  const v = req.version?.trim()
  if (v === '1.3.0' || v === '1.3') return '1.3.0'
  if (v === '1.1.1' || v === '1.1.0' || v === '1.1' || v === '1.0.0') return '1.1.1'
  if (v) throw new OwsException('InvalidParameterValue', `VERSION=${v} is not a WMS version this server speaks (1.1.1, 1.3.0).`, 'version')
  return param(req, 'crs') !== undefined && param(req, 'srs') === undefined ? '1.3.0' : '1.1.1'
}

/** Version negotiation for GetCapabilities (WMS 1.3.0 §6.2.4): the highest not above the one asked, else the lowest. */
export function negotiateVersion(asked: string | undefined): WmsVersion {
  if (!asked) return '1.3.0'
  const parts = (v: string) => v.split('.').map((n) => Number(n) || 0)
  const cmp = (a: string, b: string) => {
    const [x, y] = [parts(a), parts(b)]
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
    return 0
  }
  return WMS_VERSIONS.find((v) => cmp(v, asked) <= 0) ?? '1.1.1'
}

function names(raw: string): string[] {
  return raw.split(',').map((n) => n.trim())
}

/** The layers named by a parameter, in order; a name the caller may not view is "not defined", as a missing one. */
export async function layersParam(ctx: OwsContext, req: OwsRequest, name: 'layers' | 'query_layers' | 'layer'): Promise<OwsLayer[]> {
  const wanted = names(requiredParam(req, name))
  if (wanted.some((n) => n === '')) throw new OwsException('LayerNotDefined', `${name.toUpperCase()} names an empty layer.`, name)
  if (wanted.length > 64) throw new OwsException('InvalidParameterValue', `${name.toUpperCase()} names more than 64 layers.`, name)
  const found = await ctx.services.owsLayers.byNames(ctx.caller, wanted, req.endpoint.workspace ?? undefined)
  return wanted.map((n) => {
    const layer = found.get(n)
    if (!layer) throw new OwsException('LayerNotDefined', `Could not find layer ${n}.`, name)
    return layer
  })
}

export function geometryKind(layer: OwsLayer): DefaultStyleGeometry {
  if (layer.kind === 'raster') return 'raster'
  const type = layer.geometryType ?? ''
  return /Point/i.test(type) ? 'point' : /Line|Curve/i.test(type) ? 'line' : /Polygon|Surface/i.test(type) ? 'polygon' : 'any'
}

const parsed = new Map<string, Style>()

/** A layer's style drawn: its SLD, or the default one for its geometry when it has none (or one that cannot be read). */
export function styleOf(ctx: Pick<OwsContext, 'log'>, layer: OwsLayer, style: OwsLayerStyle | null): Style {
  const body = style?.sld ?? defaultSld(layer.name, geometryKind(layer))
  const cached = parsed.get(body)
  if (cached) return cached
  let result: Style
  try {
    result = parseSld(body)
  } catch (error) {
    if (!(error instanceof StyleProblem)) throw error
    ctx.log.warn(`The style ${style?.name ?? ''} of layer ${layer.alternate} cannot be drawn (${error.message}); drawing the default style instead.`)
    result = parseSld(defaultSld(layer.name, geometryKind(layer)))
  }
  if (parsed.size >= 256) parsed.clear()
  parsed.set(body, result)
  return result
}

/** The named style of a layer (`name` or `workspace:name`), or its default for an empty name. */
export function namedStyle(layer: OwsLayer, name: string | undefined, locator: string): OwsLayerStyle | null {
  if (!name) return layer.defaultStyle
  const bare = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name
  const style = layer.styles.find((s) => s.name === name || s.name === bare)
  if (!style) throw new OwsException('StyleNotDefined', `Layer ${layer.alternate} has no style named ${name}.`, locator)
  return style
}

/** STYLES, one per layer (empty entries and an empty parameter mean each layer's default). */
export function stylesParam(req: OwsRequest, layers: OwsLayer[]): (OwsLayerStyle | null)[] {
  const raw = param(req, 'styles')
  const list = raw === undefined ? [] : names(raw)
  if (list.length > 0 && list.length !== layers.length && !(list.length === 1 && list[0] === '')) {
    throw new OwsException('StyleNotDefined', `STYLES names ${list.length} styles for ${layers.length} layers.`, 'styles')
  }
  return layers.map((layer, i) => namedStyle(layer, list[i], 'styles'))
}

function positiveInt(req: OwsRequest, name: 'width' | 'height'): number {
  const raw = requiredParam(req, name)
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new OwsException('InvalidParameterValue', `${name.toUpperCase()}=${raw} is not a positive whole number.`, name)
  if (n > MAX_SIDE) throw new OwsException('InvalidParameterValue', `${name.toUpperCase()}=${n} is larger than ${MAX_SIDE}.`, name)
  return n
}

export interface RequestFrame {
  frame: MapFrame
  crs: RequestCrs
  geographic: boolean
}

/** CRS/SRS, BBOX, WIDTH and HEIGHT of a map request, checked, as a frame in x, y order. */
export function frameParam(req: OwsRequest, version: WmsVersion): RequestFrame {
  const key = version === '1.3.0' ? 'crs' : 'srs'
  const rawCrs = param(req, key) ?? param(req, version === '1.3.0' ? 'srs' : 'crs')
  if (!rawCrs) throw new OwsException('MissingParameterValue', `The ${key.toUpperCase()} parameter is required.`, key)
  const crs = parseCrs(rawCrs, key, { plainIsNorthFirst: version === '1.3.0', code: version === '1.3.0' ? 'InvalidCRS' : 'InvalidSRS' })
  const rawBox = requiredParam(req, 'bbox')
  const values = rawBox.split(',').map((v) => Number(v.trim()))
  if (values.length !== 4 || values.some((v) => !Number.isFinite(v))) throw new OwsException('InvalidParameterValue', `BBOX=${rawBox} is not four numbers (minx,miny,maxx,maxy).`, 'bbox')
  const bbox = toXY(values as [number, number, number, number], crs)
  if (!(bbox[0] < bbox[2] && bbox[1] < bbox[3])) throw new OwsException('InvalidParameterValue', `BBOX=${rawBox}: the minimum of each axis must be below its maximum.`, 'bbox')
  const width = positiveInt(req, 'width')
  const height = positiveInt(req, 'height')
  if (width * height > MAX_PIXELS) throw new OwsException('InvalidParameterValue', `An image of ${width} x ${height} pixels is larger than the ${MAX_PIXELS} pixels this server draws at once.`, 'width')
  return { frame: { width, height, bbox, epsg: crs.epsg }, crs, geographic: isGeographic(crs.epsg) }
}
