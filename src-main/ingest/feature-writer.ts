import type Sqlite from 'better-sqlite3'
import type { Feature, Geometry } from 'geojson'
import { type Bbox, bboxOf, mergeBbox } from './crs'

/** Rows per write transaction: short enough that API writes waiting for the lock barely notice. */
const ROWS_PER_TRANSACTION = 2_000
/** Sampling levels: level k holds about 1 / 2^(k+1) of the features (see layer_feature_index). */
export const MAX_LEVEL = 24

/** A well-mixed level for a feature number: the count of trailing zero bits of a 32-bit hash. */
export function samplingLevel(fid: number): number {
  let h = Math.imul(fid ^ 0x9e3779b9, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  if (h === 0) return MAX_LEVEL
  return Math.min(MAX_LEVEL, 31 - Math.clz32(h & -h))
}

/**
 * Writes one layer's features (already in EPSG:4326) into a staging feature set, in short
 * transactions on its own connection. Nobody sees the set until a layer points at it.
 * Prepared statements on better-sqlite3 directly: a million rows through a query builder would
 * spend more time building SQL than storing rows.
 */
export class FeatureSetWriter {
  readonly id: number
  private count = 0
  private bbox: Bbox | null = null
  private pending: { fid: number; text: string; box: Bbox | null }[] = []
  private readonly insertFeature: Sqlite.Statement
  private readonly insertIndex: Sqlite.Statement
  private readonly flushRows: (rows: { fid: number; text: string; box: Bbox | null }[]) => void

  constructor(
    private readonly sqlite: Sqlite.Database,
    uploadId: number | null
  ) {
    this.id = Number(sqlite.prepare("INSERT INTO feature_sets (upload_id, state) VALUES (?, 'staging')").run(uploadId).lastInsertRowid)
    this.insertFeature = sqlite.prepare('INSERT INTO layer_features (feature_set_id, fid, feature) VALUES (?, ?, ?)')
    this.insertIndex = sqlite.prepare('INSERT INTO layer_feature_index (id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    this.flushRows = sqlite.transaction((rows: { fid: number; text: string; box: Bbox | null }[]) => {
      for (const row of rows) {
        const rowid = this.insertFeature.run(this.id, row.fid, row.text).lastInsertRowid
        if (!row.box) continue
        const level = samplingLevel(row.fid)
        this.insertIndex.run(rowid, row.box[0], row.box[2], row.box[1], row.box[3], this.id, this.id, level, level)
      }
      this.sqlite.prepare('UPDATE feature_sets SET feature_count = feature_count + ? WHERE id = ?').run(rows.length, this.id)
    })
  }

  /** Features in EPSG:4326; ids are numbered from 1 in source order. */
  add(features: Feature<Geometry | null>[]): void {
    for (const feature of features) {
      this.count += 1
      const box = bboxOf(feature.geometry)
      this.bbox = mergeBbox(this.bbox, box)
      const text = JSON.stringify({ type: 'Feature', id: this.count, geometry: feature.geometry ?? null, properties: feature.properties ?? {} })
      this.pending.push({ fid: this.count, text, box })
      if (this.pending.length >= ROWS_PER_TRANSACTION) this.flush()
    }
  }

  flush(): void {
    if (this.pending.length === 0) return
    const rows = this.pending
    this.pending = []
    this.flushRows(rows)
  }

  finish(): { featureSetId: number; count: number; bbox: Bbox | null } {
    this.flush()
    return { featureSetId: this.id, count: this.count, bbox: this.bbox }
  }
}

/** Marks sets dropped (their rows are cleared in chunks later by `clearDroppedSets`). */
export function dropFeatureSets(sqlite: Sqlite.Database, ids: number[]): void {
  const drop = sqlite.prepare("UPDATE feature_sets SET state = 'dropped' WHERE id = ?")
  sqlite.transaction(() => ids.forEach((id) => drop.run(id)))()
}

/**
 * Deletes the features of dropped sets, a chunk per transaction so other writers get the lock in
 * between; removes each set's row once it is empty. Returns the number of features deleted.
 */
export function clearDroppedSets(sqlite: Sqlite.Database, chunk = 5_000): number {
  const sets = sqlite.prepare("SELECT id FROM feature_sets WHERE state = 'dropped'").pluck().all() as number[]
  const pick = sqlite.prepare('SELECT id FROM layer_features WHERE feature_set_id = ? LIMIT ?').pluck()
  const deleteIndex = sqlite.prepare('DELETE FROM layer_feature_index WHERE id = ?')
  const deleteFeature = sqlite.prepare('DELETE FROM layer_features WHERE id = ?')
  const deleteSet = sqlite.prepare('DELETE FROM feature_sets WHERE id = ?')
  let deleted = 0
  for (const set of sets) {
    for (;;) {
      const removed = sqlite.transaction(() => {
        const ids = pick.all(set, chunk) as number[]
        for (const id of ids) {
          deleteIndex.run(id)
          deleteFeature.run(id)
        }
        if (ids.length < chunk) deleteSet.run(set)
        return ids.length
      })()
      deleted += removed
      if (removed < chunk) break
    }
  }
  return deleted
}
