import type Sqlite from 'better-sqlite3'
import type { Feature, Geometry } from 'geojson'
import { type Bbox, bboxOf, mergeBbox } from './crs'

/** Rows per write transaction: short enough that API writes waiting for the lock barely notice. */
const ROWS_PER_TRANSACTION = 2_000
/** Sampling levels: level k holds about 1 / 2^(k+1) of the features (see layer_feature_index). */
export const MAX_LEVEL = 24

/**
 * Half the width of a box in the feature set and level dimensions of layer_feature_index: a set
 * is [set - 0.25, set + 0.25], a level [level - 0.25, level + 0.25], so `minset <= set AND
 * maxset >= set` picks one set and `maxlevel >= L` the levels from L up.
 */
export const INDEX_HALF_WIDTH = 0.25

/** Levels from this one up are stored first in a batch, highest first (see `storageOrder`). */
const SAMPLED_FIRST_LEVEL = 4

/**
 * The order a batch's rows are stored in (their rowids), so a bbox answer reads few pages: the
 * features of level >= 4 (a sixteenth) first, by level from the highest, which keeps a zoomed-out
 * view's sample (the top levels) in a page or two per batch instead of one page per feature; then
 * the rest along a Hilbert curve over the batch's extent, so a zoomed-in view finds its features
 * next to each other. Features without geometry keep their place at the end. Feature ids (`fid`)
 * stay in source order; only the rowids follow this order.
 */
export function storageOrder<T extends { fid: number; box: Bbox | null }>(rows: T[]): T[] {
  let minx = Infinity
  let miny = Infinity
  let maxx = -Infinity
  let maxy = -Infinity
  for (const { box } of rows) {
    if (!box) continue
    if (box[0] < minx) minx = box[0]
    if (box[1] < miny) miny = box[1]
    if (box[2] > maxx) maxx = box[2]
    if (box[3] > maxy) maxy = box[3]
  }
  if (!(maxx >= minx && maxy >= miny)) return rows
  const sx = maxx > minx ? 65535 / (maxx - minx) : 0
  const sy = maxy > miny ? 65535 / (maxy - miny) : 0
  const keyed = rows.map((row, index) => {
    if (!row.box) return { row, key: Number.MAX_SAFE_INTEGER, index }
    const level = samplingLevel(row.fid)
    const band = level >= SAMPLED_FIRST_LEVEL ? MAX_LEVEL + 1 - level : MAX_LEVEL + 1
    const x = Math.round(((row.box[0] + row.box[2]) / 2 - minx) * sx)
    const y = Math.round(((row.box[1] + row.box[3]) / 2 - miny) * sy)
    return { row, key: band * 2 ** 32 + hilbertIndex(x, y), index }
  })
  keyed.sort((a, b) => a.key - b.key || a.index - b.index)
  return keyed.map((k) => k.row)
}

/** Position of (x, y), each 0..65535, along a Hilbert curve over a 65,536-cell square (0 .. 2^32 - 1). */
export function hilbertIndex(x: number, y: number): number {
  let d = 0
  for (let s = 1 << 15; s > 0; s >>>= 1) {
    const rx = (x & s) > 0 ? 1 : 0
    const ry = (y & s) > 0 ? 1 : 0
    d += s * s * ((3 * rx) ^ ry)
    if (ry === 0) {
      if (rx === 1) {
        x = 65535 - x
        y = 65535 - y
      }
      const t = x
      x = y
      y = t
    }
  }
  return d
}

/** A well-mixed level for a feature number: the count of trailing zero bits of a 32-bit hash. */
export function samplingLevel(fid: number): number {
  let h = Math.imul(fid ^ 0x9e3779b9, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  if (h === 0) return MAX_LEVEL
  return Math.min(MAX_LEVEL, 31 - Math.clz32(h & -h))
}

/** Index entries per transaction when the R*Tree is filled at the end of a layer. */
const INDEX_ROWS_PER_TRANSACTION = 20_000

/** A box's place along a Hilbert curve over the whole EPSG:4326 extent (its centre, 65,536 cells a side). */
function worldHilbertKey(box: Bbox): number {
  const x = Math.round((((box[0] + box[2]) / 2 + 180) / 360) * 65535)
  const y = Math.round((((box[1] + box[3]) / 2 + 90) / 180) * 65535)
  return hilbertIndex(Math.min(65535, Math.max(0, x)), Math.min(65535, Math.max(0, y)))
}

type PendingRow = { fid: number; text: string; box: Bbox | null }

/**
 * Writes one layer's features (already in EPSG:4326) into a staging feature set, in short
 * transactions on its own connection. Nobody sees the set until a layer points at it.
 * Prepared statements on better-sqlite3 directly: a million rows through a query builder would
 * spend more time building SQL than storing rows.
 *
 * The spatial index is filled once, at `finish`, in Hilbert order: while features are written,
 * their boxes go to a temporary table of the connection (not logged in the WAL, gone with the
 * connection). Inserting boxes into the R*Tree batch by batch in source order dirtied pages all
 * over the tree in every commit, and each commit wrote them to the WAL again: 13 of the 16 s of a
 * 100 MB shapefile. In Hilbert order each transaction touches one neighbourhood of the tree.
 */
export class FeatureSetWriter {
  readonly id: number
  private count = 0
  private bbox: Bbox | null = null
  private pending: PendingRow[] = []
  private readonly boxes: string
  private readonly insertFeature: Sqlite.Statement
  private readonly insertBox: Sqlite.Statement
  private readonly flushRows: (rows: PendingRow[]) => void

  constructor(
    private readonly sqlite: Sqlite.Database,
    uploadId: number | null
  ) {
    this.id = Number(sqlite.prepare("INSERT INTO feature_sets (upload_id, state) VALUES (?, 'staging')").run(uploadId).lastInsertRowid)
    this.boxes = `temp.feature_boxes_${this.id}`
    sqlite.exec(
      `CREATE TABLE ${this.boxes} (key INTEGER NOT NULL, id INTEGER NOT NULL, minx REAL NOT NULL, maxx REAL NOT NULL, miny REAL NOT NULL, maxy REAL NOT NULL, level INTEGER NOT NULL)`
    )
    this.insertFeature = sqlite.prepare('INSERT INTO layer_features (feature_set_id, fid, feature) VALUES (?, ?, ?)')
    this.insertBox = sqlite.prepare(`INSERT INTO ${this.boxes} (key, id, minx, maxx, miny, maxy, level) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    this.flushRows = sqlite.transaction((rows: PendingRow[]) => {
      const set = this.id
      for (const row of storageOrder(rows)) {
        const rowid = this.insertFeature.run(set, row.fid, row.text).lastInsertRowid
        if (!row.box) continue
        const level = samplingLevel(row.fid)
        // Zoomed-out views read the top levels: they go first, so a tree walk for them stays in one part of the tree.
        const band = level >= SAMPLED_FIRST_LEVEL ? MAX_LEVEL + 1 - level : MAX_LEVEL + 1
        this.insertBox.run(band * 2 ** 32 + worldHilbertKey(row.box), rowid, row.box[0], row.box[2], row.box[1], row.box[3], level)
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

  /** Writes what is pending, fills the spatial index from the boxes table and drops it. */
  finish(): { featureSetId: number; count: number; bbox: Bbox | null } {
    this.flush()
    const set = this.id
    // Appending while features stream in, then sorting once, costs less than keeping the table in
    // key order; the sorted copy's rowids follow the order, so it is filled in rowid ranges, in SQL.
    const sorted = `${this.boxes}_sorted`
    try {
      this.sqlite.exec(`CREATE TABLE ${sorted} AS SELECT id, minx, maxx, miny, maxy, level FROM ${this.boxes} ORDER BY key, id`)
      const rows = this.sqlite.prepare(`SELECT count(*) FROM ${sorted}`).pluck().get() as number
      // Every dimension gets a width (see migration 2026_11_27_1600_feature_index).
      const fill = this.sqlite.prepare(
        `INSERT INTO layer_feature_index (id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel)
         SELECT id, minx, maxx, miny, maxy, ${set - INDEX_HALF_WIDTH}, ${set + INDEX_HALF_WIDTH}, level - ${INDEX_HALF_WIDTH}, level + ${INDEX_HALF_WIDTH}
         FROM ${sorted} WHERE rowid > ? AND rowid <= ? ORDER BY rowid`
      )
      for (let from = 0; from < rows; from += INDEX_ROWS_PER_TRANSACTION) fill.run(from, from + INDEX_ROWS_PER_TRANSACTION)
    } finally {
      this.sqlite.exec(`DROP TABLE IF EXISTS ${sorted}`)
      this.close()
    }
    return { featureSetId: this.id, count: this.count, bbox: this.bbox }
  }

  /** Drops the boxes table (also after a failure; the set itself is dropped by the caller). */
  close(): void {
    this.sqlite.exec(`DROP TABLE IF EXISTS ${this.boxes}`)
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
