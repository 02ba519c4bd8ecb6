import type Sqlite from 'better-sqlite3'

/** Features per read of a whole-layer pass: about 0.5 MB of GeoJSON for typical points. */
export const FEATURES_PER_CHUNK = 2_000

/**
 * A layer's features in storage order (`fid`), as GeoJSON texts joined by commas, one chunk per
 * statement run. Each chunk is read whole before it is handed out, so nothing keeps a statement
 * open on the connection between chunks: a consumer may wait on a slow client (or a file) between
 * them without holding the catalogue's one connection, which every write needs. A pass is not a
 * snapshot: a feature changed while it runs is seen as it is when its chunk is read.
 */
export function* featureChunks(sqlite: Sqlite.Database, featureSetId: number, perChunk = FEATURES_PER_CHUNK): Generator<Buffer> {
  const next = sqlite.prepare(
    `SELECT max(fid) AS last, CAST(group_concat(feature, ',' ORDER BY fid) AS BLOB) AS body FROM (
       SELECT fid, feature FROM layer_features WHERE feature_set_id = ? AND fid > ? ORDER BY fid LIMIT ?)`
  )
  let after = Number.MIN_SAFE_INTEGER
  for (;;) {
    const chunk = next.get(featureSetId, after, perChunk) as { last: number | null; body: Buffer | null }
    if (chunk.last === null || chunk.body === null) return
    yield chunk.body
    after = chunk.last
  }
}
