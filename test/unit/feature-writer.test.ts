import type { Feature, Geometry } from 'geojson'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type OpenedDatabase, openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { FeatureSetWriter, INDEX_HALF_WIDTH, samplingLevel } from '../../src-main/ingest/feature-writer'
import { prng } from '../helpers/prng'

let store: OpenedDatabase

beforeEach(async () => {
  store = openDatabase(':memory:')
  await migrateToLatest(store.db)
})

afterEach(async () => {
  await store.close()
})

function points(n: number, seed: number, from = 1): Feature<Geometry | null>[] {
  const random = prng(seed)
  return Array.from({ length: n }, (_, i) => ({
    type: 'Feature',
    geometry: (from + i) % 97 === 0 ? null : { type: 'LineString', coordinates: [[random() * 360 - 180, random() * 180 - 90], [random() * 360 - 180, random() * 180 - 90]] },
    properties: { n: from + i }
  }))
}

type IndexRow = { fid: number; feature: string; minx: number; maxx: number; miny: number; maxy: number; minset: number; maxset: number; minlevel: number; maxlevel: number }

function indexOf(set: number): IndexRow[] {
  return store.sqlite
    .prepare(
      `SELECT f.fid, f.feature, i.minx, i.maxx, i.miny, i.maxy, i.minset, i.maxset, i.minlevel, i.maxlevel
       FROM layer_features f JOIN layer_feature_index i ON i.id = f.id WHERE f.feature_set_id = ? ORDER BY f.fid`
    )
    .all(set) as IndexRow[]
}

const tempTables = () => store.sqlite.prepare("SELECT name FROM sqlite_temp_master WHERE type = 'table'").pluck().all()

describe('FeatureSetWriter', () => {
  it('indexes every feature with a geometry once, with its box, set and level, and leaves no working table', () => {
    const writer = new FeatureSetWriter(store.sqlite, null)
    const features = points(4_500, 7)
    for (let i = 0; i < features.length; i += 1_000) writer.add(features.slice(i, i + 1_000))
    const result = writer.finish()
    expect(result.count).toBe(4_500)

    const withGeometry = features.filter((f) => f.geometry !== null).length
    const rows = indexOf(writer.id)
    expect(rows).toHaveLength(withGeometry)
    expect(new Set(rows.map((r) => r.fid)).size).toBe(withGeometry)
    for (const row of rows) {
      const [[x1, y1], [x2, y2]] = (JSON.parse(row.feature) as { geometry: { coordinates: number[][] } }).geometry.coordinates as [[number, number], [number, number]]
      // The R*Tree stores 32-bit floats, rounded outwards.
      expect(row.minx).toBeLessThanOrEqual(Math.min(x1, x2))
      expect(row.maxx).toBeGreaterThanOrEqual(Math.max(x1, x2))
      expect(row.minx).toBeCloseTo(Math.min(x1, x2), 3)
      expect(row.maxy).toBeCloseTo(Math.max(y1, y2), 3)
      expect([row.minset, row.maxset]).toEqual([writer.id - INDEX_HALF_WIDTH, writer.id + INDEX_HALF_WIDTH])
      expect((row.minlevel + row.maxlevel) / 2).toBe(samplingLevel(row.fid))
    }
    expect(tempTables()).toEqual([])
  })

  it('keeps two layers written at once on one connection apart', () => {
    const a = new FeatureSetWriter(store.sqlite, null)
    const b = new FeatureSetWriter(store.sqlite, null)
    a.add(points(300, 1))
    b.add(points(200, 2))
    a.add(points(300, 3, 301))
    b.finish()
    a.finish()
    expect(indexOf(a.id)).toHaveLength(600 - Math.floor(600 / 97))
    expect(indexOf(b.id)).toHaveLength(200 - Math.floor(200 / 97))
    expect(tempTables()).toEqual([])
  })

  it('close() after a failed read drops the working table and indexes nothing', () => {
    const writer = new FeatureSetWriter(store.sqlite, null)
    writer.add(points(2_500, 4))
    writer.close()
    expect(tempTables()).toEqual([])
    expect(indexOf(writer.id)).toEqual([])
  })
})
