import type Sqlite from 'better-sqlite3'
import Papa from 'papaparse'
import wkx from 'wkx'
import type { Geometry } from 'geojson'
import { type FeatureAnswer, type OutFeature, type QueryPage, type Sink, attributesOf, chunksOf } from '../output'

/**
 * CSV as GeoServer writes it: a header of FID and the attributes in the layer's order, the
 * geometry as WKT in its own column, one row per feature (RFC 4180 quoting by papaparse).
 */

export function wktOf(geometry: Geometry | null): string {
  return geometry ? wkx.Geometry.parseGeoJSON(geometry).toWkt() : ''
}

/** A feature's cells in the order of `headerOf`. */
export function cellsOf(feature: OutFeature, page: QueryPage): unknown[] {
  return [feature.id, ...attributesOf(page).map((a) => (a.type.startsWith('gml:') ? wktOf(feature.geometry) : cell(feature.properties[a.name])))]
}

function cell(v: unknown): unknown {
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : v
}

export function headerOf(page: QueryPage): string[] {
  return ['FID', ...attributesOf(page).map((a) => a.name)]
}

export async function writeCsv(sqlite: Sqlite.Database, answer: FeatureAnswer, sink: Sink): Promise<void> {
  let header: string | null = null
  for (const page of answer.pages) {
    const own = Papa.unparse([headerOf(page)], { newline: '\r\n' })
    if (own !== header) {
      await sink.write(`${header === null ? '' : '\r\n'}${own}\r\n`)
      header = own
    }
    for (const chunk of chunksOf(sqlite, page, false)) {
      if (chunk.length === 0) continue
      await sink.write(`${Papa.unparse(chunk.map((f) => cellsOf(f, page)), { newline: '\r\n' })}\r\n`)
    }
  }
  if (header === null) await sink.write('FID\r\n')
  sink.end()
}
