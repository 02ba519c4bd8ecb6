import { isGeographic, toLonLat, toXY } from '../crs'
import { OwsException } from '../exceptions'
import { FEATURE_CHUNK, type FeatureQuery, type PreparedFeatureQuery, type SpatialFilter, prepareFeatureQuery } from '../features'
import type { OwsRequest } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { type WfsVersion, defaultCrs, featureTypes, requestCrs, versionOf, NS, namespaceOf } from './common'
import { writeCsv } from './encoders/csv'
import { writeExcel } from './encoders/excel'
import { GEOJSON_TAIL, geoJsonHead, writeGeoJson } from './encoders/geojson'
import { featureGml, gmlGeometry, hitsGml, outputSrsName, writeGml } from './encoders/gml'
import { writeShapefiles, zipTo } from './encoders/shapefile'
import { type FormatKind, getFeatureFormat, gmlOf } from './formats'
import { isFinite, toStored } from './geometry'
import { type FeatureAnswer, type QueryPage, chunksOf, streamed, timeStamp } from './output'
import { type GetFeatureRequest, type WfsQuery, parseGetFeature } from './query'

/**
 * GetFeature: each query's layer checked (visible, a vector layer, and GeoNode's download right:
 * 403 without it), its BBOX and filter turned into one query over the stored features, counted
 * when the answer says how many matched, paged across queries in order, and written in the format
 * asked. Small GeoJSON pages in EPSG:4326 are built by SQLite in one statement.
 */

interface Planned {
  page: QueryPage
  prepared: PreparedFeatureQuery
}

function resolveQuery(version: WfsVersion, query: WfsQuery, layer: QueryPage['layer']): { feature: Omit<FeatureQuery, 'source'>; crs: QueryPage['crs'] } {
  const crs = query.srsName ? requestCrs(query.srsName) : defaultCrs(version, layer)
  const fallback = query.srsName ? crs : defaultCrs(version, layer)
  let bbox: FeatureQuery['bbox'] = null
  if (query.bbox) {
    const boxCrs = query.bbox.crs ? requestCrs(query.bbox.crs, 'bbox') : fallback
    const xy = toXY(query.bbox.box, boxCrs)
    if (xy[0] > xy[2] || xy[1] > xy[3]) throw new OwsException('InvalidParameterValue', `BBOX: the lower corner must not exceed the upper one (in the axis order of ${boxCrs.name}).`, 'bbox')
    bbox = toLonLat(xy, boxCrs.epsg) ?? [0, 0, -1, -1]
  }
  const shapeOf = (f: SpatialFilter) => {
    const shapeCrs = f.geometry.srsName ? requestCrs(f.geometry.srsName, 'filter') : fallback
    const geometry = toStored(f.geometry.geometry, shapeCrs)
    if (!isFinite(geometry)) throw new OwsException('InvalidParameterValue', `Filter: a geometry lies outside the area of ${shapeCrs.name}.`, 'filter')
    return { geometry, geographic: isGeographic(shapeCrs.epsg) }
  }
  return { feature: { bbox, filter: query.filter, shapeOf, sortBy: query.sortBy }, crs }
}

function propertiesOf(query: WfsQuery, layer: QueryPage['layer']): string[] | null {
  if (!query.propertyNames) return null
  for (const name of query.propertyNames) {
    if (!layer.attributes.some((a) => a.name === name)) throw new OwsException('InvalidParameterValue', `${name} is not a property of ${layer.alternate}.`, 'propertyName')
  }
  return query.propertyNames
}

/** Checks the layers and prepares every query (released by the caller). */
export async function planQueries(ctx: OwsContext, req: OwsRequest, version: WfsVersion, parsed: GetFeatureRequest, mustDownload: boolean): Promise<Planned[]> {
  const layers = await featureTypes(ctx, req, parsed.queries.map((q) => q.typeName), version === '2.0.0' ? 'typeNames' : 'typeName')
  for (const layer of new Set(layers)) {
    if (mustDownload && !(await ctx.services.owsLayers.mayDownload(ctx.caller, layer))) {
      throw new OwsException('NoApplicableCode', `You may view ${layer.alternate} but not download its features.`, 'typeName', 403)
    }
  }
  const planned: Planned[] = []
  try {
    parsed.queries.forEach((query, i) => {
      const layer = layers[i]
      const { feature, crs } = resolveQuery(version, query, layer)
      const prepared = prepareFeatureQuery(ctx.sqlite, {
        ...feature,
        source: { name: layer.name, featureSetId: layer.featureSetId!, attributes: layer.attributes, geometryAttribute: layer.geometryAttribute }
      })
      planned.push({ prepared, page: { layer, matched: 0, ids: [], properties: propertiesOf(query, layer), crs } })
    })
  } catch (error) {
    planned.forEach((p) => p.prepared.release())
    throw error
  }
  return planned
}

/**
 * Pages across the queries in order: STARTINDEX skips features of the first queries, COUNT bounds
 * them all. Counts are read where the answer shows them or skipping needs them.
 */
export function pageQueries(planned: Planned[], parsed: GetFeatureRequest, needCounts: boolean): void {
  let skip = parsed.startIndex
  let left = parsed.count
  for (const { page, prepared } of planned) {
    if (needCounts || skip > 0) page.matched = prepared.count()
    if (parsed.resultType === 'hits') continue
    const start = skip > 0 ? Math.min(skip, page.matched) : 0
    skip -= start
    page.ids = left > 0 ? prepared.pageIds(start, left) : []
    left -= page.ids.length
  }
}

const NEEDS_COUNT: ReadonlySet<FormatKind> = new Set(['gml32', 'geojson'])

function disposition(kind: FormatKind, planned: Planned[]): Record<string, string> {
  const name = planned.map((p) => p.page.layer.name).join('_') || 'features'
  if (kind === 'shape-zip') return { 'Content-Disposition': `attachment; filename=${name}.zip` }
  if (kind === 'csv') return { 'Content-Disposition': `attachment; filename=${name}.csv` }
  if (kind === 'excel') return { 'Content-Disposition': `attachment; filename=${name}.xlsx` }
  return {}
}

/** The fast path: one page of at most FEATURE_CHUNK features, all properties, EPSG:4326 x/y, as GeoJSON. */
function geoJsonBlob(planned: Planned[], parsed: GetFeatureRequest): OwsAnswer | null {
  const [only] = planned
  if (planned.length !== 1 || only.page.properties || only.page.crs.epsg !== 4326 || parsed.count > FEATURE_CHUNK * 5 || parsed.resultType === 'hits') return null
  const found = only.prepared.geoJsonBlob(parsed.startIndex, parsed.count)
  // A short first page is the whole answer: its length is the count.
  const matched = parsed.startIndex === 0 && found.returned < parsed.count ? found.returned : only.prepared.count()
  const head = Buffer.from(geoJsonHead(matched, found.returned, 4326))
  return { type: 'application/json', body: Buffer.concat(found.features ? [head, found.features, Buffer.from(GEOJSON_TAIL)] : [head, Buffer.from(GEOJSON_TAIL)]) }
}

async function byIdAnswer(ctx: OwsContext, version: WfsVersion, planned: Planned[], kind: FormatKind): Promise<OwsAnswer> {
  const [{ page }] = planned
  const chunk = [...chunksOf(ctx.sqlite, page, kind !== 'geojson')][0] ?? []
  const feature = chunk[0]
  if (!feature) throw new OwsException('InvalidParameterValue', 'No feature has this id.', 'ID', 404)
  if (kind === 'geojson') return { type: 'application/json', body: JSON.stringify({ type: 'Feature', id: feature.id, geometry: feature.geometry, properties: feature.properties }) }
  const gml = gmlOf(kind) ?? 32
  const xml = featureGml(feature, page, gml, outputSrsName(version, page.crs))
  const root = xml.replace(/^<([^ >]+)/, `<$1 xmlns:${page.layer.workspace}="${esc(namespaceOf(page.layer.workspace))}" xmlns:gml="${gml === 32 ? NS.gml32 : NS.gml}"`)
  return { type: 'application/gml+xml; version=3.2', body: `${XML_HEADER}${root}\n` }
}

export async function getFeature(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = versionOf(req)
  const parsed = parseGetFeature(req)
  const format = getFeatureFormat(parsed.outputFormat, version)
  const planned = await planQueries(ctx, req, version, parsed, true)
  const release = () => planned.forEach((p) => p.prepared.release())
  const gml = gmlOf(format.kind)
  try {
    if (parsed.byId) {
      pageQueries(planned, { ...parsed, count: 1, startIndex: 0 }, false)
      return await byIdAnswer(ctx, version, planned, format.kind)
    }
    if (format.kind === 'geojson') {
      const blob = geoJsonBlob(planned, parsed)
      if (blob) return blob
    }
    pageQueries(planned, parsed, parsed.resultType === 'hits' || NEEDS_COUNT.has(format.kind))
  } catch (error) {
    release()
    throw error
  }
  release()
  const answer: FeatureAnswer = { version, pages: planned.map((p) => p.page), url: req.endpoint.url }
  if (parsed.resultType === 'hits') {
    if (format.kind === 'geojson') return { type: 'application/json', body: `${geoJsonHead(answer.pages.reduce((n, p) => n + p.matched, 0), 0, answer.pages[0].crs.epsg)}${GEOJSON_TAIL}` }
    return { type: 'text/xml', body: hitsGml(answer, gml === 2 ? 31 : (gml ?? 32)) }
  }
  const headers = disposition(format.kind, planned)
  switch (format.kind) {
    case 'geojson':
      return { type: format.mime, body: streamed((sink) => writeGeoJson(ctx.sqlite, answer, sink)) }
    case 'csv':
      return { type: 'text/csv; charset=UTF-8', headers, body: streamed((sink) => writeCsv(ctx.sqlite, answer, sink)) }
    case 'excel':
      return { type: format.mime, headers, body: streamed((sink) => writeExcel(ctx.sqlite, answer, sink)) }
    case 'shape-zip': {
      const dir = ctx.folder.newUploadDir()
      try {
        const files = await writeShapefiles(ctx.sqlite, answer, dir)
        return {
          type: format.mime,
          headers,
          body: async (res) => {
            try {
              await streamed((sink) => zipTo(sink, dir, files))(res)
            } finally {
              ctx.folder.remove(dir)
            }
          }
        }
      } catch (error) {
        ctx.folder.remove(dir)
        throw error
      }
    }
    default:
      return { type: format.mime, body: streamed((sink) => writeGml(ctx.sqlite, answer, gml!, sink)) }
  }
}

/** GetPropertyValue (2.0): one property of the features a query selects, as a ValueCollection. */
export async function getPropertyValue(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = versionOf(req)
  const parsed = parseGetFeature(req)
  if (!parsed.valueReference) throw new OwsException('MissingParameterValue', 'The VALUEREFERENCE parameter is required.', 'valueReference')
  const reference = parsed.valueReference.split('/').pop()!.replace(/^[^:]*:/, '')
  const planned = await planQueries(ctx, req, version, parsed, true)
  try {
    for (const p of planned) {
      if (!p.page.layer.attributes.some((a) => a.name === reference)) throw new OwsException('InvalidParameterValue', `${reference} is not a property of ${p.page.layer.alternate}.`, 'valueReference')
      p.page.properties = [reference]
    }
    pageQueries(planned, parsed, true)
  } finally {
    planned.forEach((p) => p.prepared.release())
  }
  const matched = planned.reduce((n, p) => n + p.page.matched, 0)
  const returned = planned.reduce((n, p) => n + p.page.ids.length, 0)
  const parts: string[] = [
    `${XML_HEADER}<wfs:ValueCollection xmlns:wfs="${NS.wfs20}" xmlns:gml="${NS.gml32}" numberMatched="${matched}" numberReturned="${parsed.resultType === 'hits' ? 0 : returned}" timeStamp="${timeStamp()}">`
  ]
  for (const { page } of planned) {
    const attribute = page.layer.attributes.find((a) => a.name === reference)!
    for (const chunk of chunksOf(ctx.sqlite, page, true)) {
      for (const f of chunk) {
        if (attribute.type.startsWith('gml:')) {
          if (f.geometry) parts.push(`<wfs:member>${gmlGeometry(f.geometry, 32, outputSrsName(version, page.crs), `${f.id}.geom`)}</wfs:member>`)
        } else if (f.properties[reference] !== null && f.properties[reference] !== undefined) {
          parts.push(`<wfs:member>${esc(f.properties[reference])}</wfs:member>`)
        }
      }
    }
  }
  parts.push('</wfs:ValueCollection>\n')
  return { type: 'text/xml', body: parts.join('') }
}

