import { existsSync } from 'node:fs'
import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { FORMAT_TYPES, mapFormatOf } from './encode'
import { frameParam, layersParam, requestVersion, styleOf, stylesParam } from './params'
import type { MapJob, MapLayerJob } from './render.job'
import { renderPool } from './render.pool'

/** How long one map may take to draw. */
export const MAP_DEADLINE_MS = 30_000

function background(req: OwsRequest): string {
  const raw = param(req, 'bgcolor')
  if (raw === undefined) return '#ffffff'
  const hex = /^(?:0x|#)?([0-9a-f]{6})$/i.exec(raw.trim())
  if (!hex) throw new OwsException('InvalidParameterValue', `BGCOLOR=${raw} is not a colour (0xRRGGBB).`, 'bgcolor')
  return `#${hex[1]}`
}

function transparent(req: OwsRequest): boolean {
  const raw = param(req, 'transparent')
  if (raw === undefined) return false
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true'
  throw new OwsException('InvalidParameterValue', `TRANSPARENT=${raw} is neither TRUE nor FALSE.`, 'transparent')
}

/**
 * WMS GetMap (1.1.1 and 1.3.0): the layers named, bottom first, each with its style (STYLES, or
 * its default SLD), in PNG, 8-bit PNG, JPEG or a one-page PDF, in any CRS proj4 knows. Drawn on
 * a map-drawing thread with a deadline.
 */
export async function getMap(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = requestVersion(req)
  const rawFormat = param(req, 'format')
  if (!rawFormat) throw new OwsException('MissingParameterValue', 'The FORMAT parameter is required.', 'format')
  const format = mapFormatOf(rawFormat)
  if (!format) throw new OwsException('InvalidFormat', `FORMAT=${rawFormat} is not offered (image/png, image/png8, image/jpeg, application/pdf).`, 'format')
  const layers = await layersParam(ctx, req, 'layers')
  const styles = stylesParam(req, layers)
  const { frame, geographic } = frameParam(req, version)
  const job: MapJob = {
    frame,
    geographic,
    layers: layers.map(
      (layer, i): MapLayerJob => ({
        name: layer.name,
        kind: layer.kind === 'raster' ? 'raster' : 'vector',
        featureSetId: layer.kind === 'vector' ? layer.featureSetId : null,
        points: layer.geometryType === 'gml:PointPropertyType',
        rasterFile: layer.kind === 'raster' && layer.rasterFile && existsSync(layer.rasterFile) ? layer.rasterFile : null,
        srid: layer.srid,
        style: styleOf(ctx, layer, styles[i])
      })
    ),
    transparent: transparent(req),
    background: background(req),
    format,
    databaseFile: ctx.sqlite.name,
    deadline: Date.now() + MAP_DEADLINE_MS
  }
  const image = await renderPool().draw(job)
  const headers: Record<string, string> = {}
  if (format === 'pdf') headers['Content-Disposition'] = `inline; filename="${layers.map((l) => l.name).join('_').slice(0, 100)}.pdf"`
  return { type: FORMAT_TYPES[format], body: image, headers }
}
