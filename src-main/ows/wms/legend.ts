import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import { drawLegend } from '../style/legend'
import { defaultRange } from '../style/raster'
import type { OwsAnswer, OwsContext } from '../types'
import { geometryKind, layersParam, namedStyle, styleOf } from './params'

/** Largest legend icon. */
const MAX_ICON = 512

function size(req: OwsRequest, name: 'width' | 'height'): number {
  const raw = param(req, name)
  if (raw === undefined) return 20
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > MAX_ICON) throw new OwsException('InvalidParameterValue', `${name.toUpperCase()}=${raw} is not a whole number from 1 to ${MAX_ICON}.`, name)
  return n
}

/** GeoServer's LEGEND_OPTIONS (`fontSize:12;forceLabels:on;...`), the parts this legend uses. */
function legendOptions(req: OwsRequest): { fontSize: number; forceLabels: boolean } {
  const options = new Map<string, string>()
  for (const part of (param(req, 'legend_options') ?? '').split(';')) {
    const [key, value] = part.split(':')
    if (key && value !== undefined) options.set(key.trim().toLowerCase(), value.trim().toLowerCase())
  }
  const fontSize = Number(options.get('fontsize') ?? 12)
  return { fontSize: Number.isFinite(fontSize) && fontSize >= 4 && fontSize <= 48 ? fontSize : 12, forceLabels: options.get('forcelabels') === 'on' }
}

/**
 * GetLegendGraphic (the SLD profile's, as GeoServer answers it): a PNG of the style's rules, or of
 * one RULE, each icon WIDTH x HEIGHT; a raster's colour map as a colour bar with its values.
 */
export async function getLegendGraphic(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const format = (param(req, 'format') ?? 'image/png').toLowerCase()
  if (format !== 'image/png') throw new OwsException('InvalidFormat', `FORMAT=${format} is not offered for legends (image/png).`, 'format')
  const [layer] = await layersParam(ctx, req, 'layer')
  const style = styleOf(ctx, layer, namedStyle(layer, param(req, 'style'), 'style'))
  const rawScale = param(req, 'scale')
  const scale = rawScale === undefined ? null : Number(rawScale)
  if (scale !== null && !(Number.isFinite(scale) && scale > 0)) throw new OwsException('InvalidParameterValue', `SCALE=${rawScale} is not a positive number.`, 'scale')
  const rule = param(req, 'rule') ?? null
  if (rule !== null && !style.featureTypeStyles.some((f) => f.rules.some((r) => r.name === rule))) {
    throw new OwsException('InvalidParameterValue', `The style of ${layer.alternate} has no rule named ${rule}.`, 'rule')
  }
  const geometry = geometryKind(layer)
  let rasterRange: { low: number; high: number } | null = null
  if (layer.kind === 'raster' && layer.rasterFile) {
    try {
      rasterRange = await defaultRange(layer.rasterFile)
    } catch {
      rasterRange = null
    }
  }
  const png = drawLegend(style, { width: size(req, 'width'), height: size(req, 'height'), ...legendOptions(req), scale, rule, rasterRange, geometry })
  return { type: 'image/png', body: png }
}
