import type Sqlite from 'better-sqlite3'
import { type FeatureAnswer, type OutFeature, type QueryPage, type Sink, attributesOf, chunksOf, timeStamp } from '../output'

/**
 * GeoJSON answers as GeoServer writes them: a FeatureCollection with numberMatched,
 * numberReturned, totalFeatures and timeStamp, a `crs` member naming the CRS, ids `<layer>.<fid>`,
 * coordinates always x (east), y (north) as RFC 7946 and every GeoJSON reader expect.
 */

export function geoJsonHead(matched: number, returned: number, epsg: number): string {
  return `{"type":"FeatureCollection","numberMatched":${matched},"numberReturned":${returned},"totalFeatures":${matched},"timeStamp":"${timeStamp()}","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::${epsg}"}},"features":[`
}

export const GEOJSON_TAIL = ']}'

function featureJson(feature: OutFeature, page: QueryPage): string {
  const attributes = attributesOf(page)
  const geometryAsked = attributes.some((a) => a.type.startsWith('gml:'))
  let properties = feature.properties
  if (page.properties) {
    properties = {}
    for (const a of attributes) if (!a.type.startsWith('gml:') && a.name in feature.properties) properties[a.name] = feature.properties[a.name]
  }
  return JSON.stringify({ type: 'Feature', id: feature.id, geometry: geometryAsked || !page.properties ? feature.geometry : null, properties })
}

export async function writeGeoJson(sqlite: Sqlite.Database, answer: FeatureAnswer, sink: Sink): Promise<void> {
  const matched = answer.pages.reduce((n, p) => n + p.matched, 0)
  const returned = answer.pages.reduce((n, p) => n + p.ids.length, 0)
  await sink.write(geoJsonHead(matched, returned, answer.pages[0]?.crs.epsg ?? 4326))
  let first = true
  for (const page of answer.pages) {
    for (const chunk of chunksOf(sqlite, page, false)) {
      if (chunk.length === 0) continue
      await sink.write(`${first ? '' : ','}${chunk.map((f) => featureJson(f, page)).join(',')}`)
      first = false
    }
  }
  sink.end(GEOJSON_TAIL)
}
