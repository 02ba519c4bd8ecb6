import { type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

/**
 * Layer data. Features are written by the ingest worker in short transactions into a feature set
 * that stays 'staging' (invisible) until one small transaction hands it to its layer; a set that
 * is replaced, deleted or left behind by a crash becomes 'dropped' and is cleared in chunks.
 * Features are layer data, not catalogue rows: the change log follows the layer (its version moves
 * when its data is replaced), not each feature.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE feature_sets (
    id INTEGER PRIMARY KEY,
    upload_id INTEGER REFERENCES uploads(id) ON DELETE SET NULL,
    state TEXT NOT NULL DEFAULT 'staging' CHECK (state IN ('staging', 'ready', 'dropped')),
    feature_count INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
  )`.execute(db)
  // One GeoJSON Feature per row, already in EPSG:4326 and serialised, so a bbox answer is a join.
  await sql`CREATE TABLE layer_features (
    id INTEGER PRIMARY KEY,
    feature_set_id INTEGER NOT NULL,
    fid INTEGER NOT NULL,
    feature TEXT NOT NULL
  )`.execute(db)
  await sql`CREATE INDEX layer_features_set ON layer_features (feature_set_id, fid)`.execute(db)
  // Dimensions: lon, lat, the feature set (min = max), and a sampling level (min = max) that lets a
  // zoomed-out view take an even subset of a large layer without reading all of it.
  await sql`CREATE VIRTUAL TABLE layer_feature_index USING rtree(id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel)`.execute(db)
  await sql`ALTER TABLE layers ADD COLUMN feature_set_id INTEGER REFERENCES feature_sets(id)`.execute(db)
  // Raster layers: the GeoTIFF's path under files/<resource uuid>/.
  await sql`ALTER TABLE layers ADD COLUMN data_file TEXT`.execute(db)
  // A deleted layer (directly or by its resource's cascade) lets go of its features.
  await sql`CREATE TRIGGER layers_drop_features AFTER DELETE ON layers WHEN OLD.feature_set_id IS NOT NULL BEGIN
    UPDATE feature_sets SET state = 'dropped' WHERE id = OLD.feature_set_id;
  END`.execute(db)
  // Documents and layers: the original upload under files/<resource uuid>/ (for download).
  await sql`ALTER TABLE resources ADD COLUMN files_dir TEXT`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE resources DROP COLUMN files_dir`.execute(db)
  await sql`DROP TRIGGER layers_drop_features`.execute(db)
  await sql`ALTER TABLE layers DROP COLUMN data_file`.execute(db)
  await sql`ALTER TABLE layers DROP COLUMN feature_set_id`.execute(db)
  await sql`DROP TABLE layer_feature_index`.execute(db)
  await sql`DROP TABLE layer_features`.execute(db)
  await sql`DROP TABLE feature_sets`.execute(db)
}
