import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/**
 * Rebuilds `layer_feature_index` (lon, lat, feature set, sampling level) with boxes that have an
 * extent in every dimension: the feature set as set ± 0.25 and the level as level ± 0.25.
 *
 * The first index stored both as points (min = max). SQLite's R*Tree picks the subtree for a new
 * entry by the growth of its volume, and a volume with a zero-width dimension is always 0, so every
 * insert went down the first child: the tree had no spatial order and a zoomed-in bbox walked most
 * of it (10–19 ms for 4,000 of a million points, against about 1 ms for a well-built tree). With a
 * width the volumes compare again: entries of one set and level cluster by place, and a query for
 * "this set, level >= L, inside the bbox" visits only the nodes it returns from, at every zoom.
 * Queries keep their shape: `minset <= set AND maxset >= set AND maxlevel >= L`; sets stay exact
 * in the index's 32-bit floats up to 2^22.
 *
 * Existing entries are copied in feature order into a fresh tree (an R*Tree cannot be rebalanced in
 * place); `down` restores the point form.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, 0.25)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, 0)
}

async function rebuild(db: Kysely<unknown>, half: number): Promise<void> {
  await sql`CREATE TEMP TABLE feature_index_copy AS
    SELECT id, minx, maxx, miny, maxy, CAST(round((minset + maxset) / 2) AS INTEGER) AS feature_set, CAST(round((minlevel + maxlevel) / 2) AS INTEGER) AS level
    FROM layer_feature_index`.execute(db)
  await sql`DROP TABLE layer_feature_index`.execute(db)
  await sql`CREATE VIRTUAL TABLE layer_feature_index USING rtree(id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel)`.execute(db)
  await sql`INSERT INTO layer_feature_index (id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel)
    SELECT id, minx, maxx, miny, maxy, feature_set - ${half}, feature_set + ${half}, level - ${half}, level + ${half} FROM feature_index_copy ORDER BY id`.execute(db)
  await sql`DROP TABLE temp.feature_index_copy`.execute(db)
}
