import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type Sqlite from 'better-sqlite3'
import { type SqlBool, sql } from 'kysely'
import { DEFAULT_FEATURE_LIMIT, type LayerDataSummary, MAX_FEATURE_LIMIT } from '../../src-shared/api/mapshelf'
import { crsName, crsUnits } from '../ingest/crs'
import { rasterSummary } from '../ingest/geotiff.reader'
import { DOWNLOAD } from '../../src-shared/api/permissions'
import type { Db } from '../db/database'
import { pageOfKeys } from '../db/repositories/listing.repository'
import { NotFound, PermissionDenied, ValidationError } from '../errors'
import type { DataFolder } from '../ingest/data-folder'
import type { IngestWorker } from '../ingest/worker-pool'
import { MAX_LEVEL } from '../ingest/feature-writer'
import { featureChunks } from '../db/repositories/feature.repository'
import { defaultSld } from '../ingest/sld'
import type { Caller } from './caller'
import { callerHolds } from './visibility'
import type { ResourceService } from './resources.service'

const FEATURES_TAIL = Buffer.from(']}')

export type LayerDataService = ReturnType<typeof createLayerDataService>

/** Parses `minx,miny,maxx,maxy` in EPSG:4326; refuses anything else with a 400 naming `bbox`. */
export function parseBbox(raw: unknown): [number, number, number, number] | null {
  if (raw === undefined || raw === '') return null
  const parts = typeof raw === 'string' ? raw.split(',').map((p) => Number(p.trim())) : []
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) throw new ValidationError({ bbox: ['Expected minx,miny,maxx,maxy in EPSG:4326.'] })
  const [minx, miny, maxx, maxy] = parts as [number, number, number, number]
  if (minx > maxx || miny > maxy) throw new ValidationError({ bbox: ['minx must not exceed maxx, nor miny maxy.'] })
  return [minx, miny, maxx, maxy]
}

/**
 * Layer data for the map viewer and downloads: features by bounding box (an even sample when a
 * view would hold more than `limit`), the raster file, the originals, and exports. Reads only: the
 * statements run on the API's own connection, which WAL never blocks behind an ingest.
 */
export function createLayerDataService(deps: { db: Db; sqlite: Sqlite.Database; folder: DataFolder; worker: IngestWorker; resources: ResourceService }) {
  const { db, sqlite, folder, worker, resources } = deps
  // CROSS JOIN keeps the R*Tree outside: with `f.feature_set_id = ?` in the WHERE, the planner
  // would otherwise walk the set's (feature_set_id, fid) index and probe the tree once per feature.
  // The set test on the feature row costs nothing (the row is read for its text anyway).
  // SQLite joins the features' JSON itself and hands back one blob: no string per row, no join and
  // no re-encoding in JavaScript (about 40% of a 5,000-feature answer's time; docs/benchmarks.md).
  const inBox = sqlite.prepare(
    `SELECT count(*) AS returned, CAST(group_concat(feature, ',') AS BLOB) AS features FROM (
       SELECT f.feature FROM layer_feature_index i CROSS JOIN layer_features f ON f.id = i.id
       WHERE i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ? AND i.minset <= ? AND i.maxset >= ? AND i.maxlevel >= ? AND f.feature_set_id = ?
       LIMIT ?)`
  )

  const firstFeatures = sqlite.prepare("SELECT fid, json_extract(feature, '$.properties') AS properties FROM layer_features WHERE feature_set_id = ? ORDER BY fid LIMIT 10")

  async function layerOf(caller: Caller, id: number, needDownload: boolean) {
    await resources.findVisibleId('layers', caller, id)
    if (needDownload && !(await callerHolds(db, caller, id, DOWNLOAD))) throw new PermissionDenied()
    const layer = await db
      .selectFrom('layers as l')
      .innerJoin('resources as r', 'r.id', 'l.resource_id')
      .select(['l.resource_id as id', 'l.name', 'l.store_type', 'l.feature_set_id', 'l.feature_count', 'l.data_file', 'r.uuid', 'r.files_dir', 'r.ll_minx', 'r.ll_miny', 'r.ll_maxx', 'r.ll_maxy'])
      .where('l.resource_id', '=', id)
      .executeTakeFirst()
    if (!layer) throw new NotFound()
    return layer
  }

  return {
    /**
     * A FeatureCollection (EPSG:4326) of the features whose extent meets `bbox`. When more than
     * `limit` would match, a sampling level is chosen from the share of the layer's extent the
     * view covers, so a zoomed-out view of a million points reads a spread-out subset, not all.
     */
    async features(caller: Caller, id: number, query: { bbox?: unknown; limit?: unknown }): Promise<{ body: Buffer; returned: number; sampled: boolean }> {
      const layer = await layerOf(caller, id, false)
      if (layer.store_type !== 'dataStore') throw new ValidationError({ layer: ['This layer has no vector features; read it from /raster.'] })
      const limit = query.limit === undefined ? DEFAULT_FEATURE_LIMIT : Number(query.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FEATURE_LIMIT) throw new ValidationError({ limit: [`Expected a whole number from 1 to ${MAX_FEATURE_LIMIT}.`] })
      const bbox = parseBbox(query.bbox) ?? [-180, -90, 180, 90]
      const set = layer.feature_set_id
      if (set === null || layer.ll_minx === null) return { body: Buffer.from('{"type":"FeatureCollection","numberReturned":0,"sampled":false,"features":[]}'), returned: 0, sampled: false }
      const layerArea = Math.max((layer.ll_maxx! - layer.ll_minx) * (layer.ll_maxy! - layer.ll_miny!), 1e-12)
      const overlapW = Math.max(0, Math.min(bbox[2], layer.ll_maxx!) - Math.max(bbox[0], layer.ll_minx))
      const overlapH = Math.max(0, Math.min(bbox[3], layer.ll_maxy!) - Math.max(bbox[1], layer.ll_miny!))
      const expected = ((layer.feature_count ?? 0) * (overlapW * overlapH)) / layerArea
      const level = expected > limit ? Math.min(MAX_LEVEL, Math.ceil(Math.log2(expected / limit))) : 0
      const found = inBox.get(bbox[2], bbox[0], bbox[3], bbox[1], set, set, level, set, limit) as { returned: number; features: Buffer | null }
      const sampled = level > 0
      const head = Buffer.from(`{"type":"FeatureCollection","numberReturned":${found.returned},"sampled":${sampled},"features":[`)
      const body = Buffer.concat(found.features ? [head, found.features, FEATURES_TAIL] : [head, FEATURES_TAIL])
      return { body, returned: found.returned, sampled }
    },

    /**
     * What a layer's data is, for the layer page: a vector layer's feature count, geometry type, CRS
     * and first rows; a raster's size, bands (type, nodata, statistics), resolution and CRS. Follows
     * the view right, as the map viewer's features do.
     */
    async dataSummary(caller: Caller, id: number): Promise<LayerDataSummary> {
      const layer = await layerOf(caller, id, false)
      const row = await db.selectFrom('resources').select('srid').where('id', '=', id).executeTakeFirstOrThrow()
      const epsg = Number(/(\d+)\s*$/.exec(row.srid ?? '')?.[1] ?? 4326)
      const crs = { code: `EPSG:${epsg}`, name: crsName(epsg), units: crsUnits(epsg) }
      if (layer.store_type === 'dataStore') {
        if (layer.feature_set_id === null) return { kind: 'none', reason: 'This layer is a catalogue record: its data are not in this catalogue.' }
        const geometry = await db.selectFrom('layer_attributes').select('attribute_type').where('layer_id', '=', id).where('attribute_type', 'like', 'gml:%').executeTakeFirst()
        const preview = firstFeatures.all(layer.feature_set_id) as { fid: number; properties: string | null }[]
        return {
          kind: 'vector',
          feature_count: layer.feature_count ?? 0,
          geometry_type: geometry ? geometry.attribute_type.replace(/^gml:|PropertyType$/g, '') : null,
          crs,
          preview: preview.map((p) => ({ fid: p.fid, properties: p.properties ? (JSON.parse(p.properties) as Record<string, unknown>) : {} }))
        }
      }
      if (layer.store_type === 'coverageStore' && layer.data_file) {
        const path = folder.absolute(layer.data_file)
        if (!existsSync(path)) return { kind: 'none', reason: 'The raster file is missing from the data folder.' }
        return { kind: 'raster', ...(await rasterSummary(path)), crs, file_bytes: statSync(path).size }
      }
      return { kind: 'none', reason: layer.store_type === 'remoteStore' ? 'This layer is served by a remote service.' : 'This layer is a catalogue record: its data are not in this catalogue.' }
    },

    /** The raster file of a coverage layer (served with range requests). */
    async rasterFile(caller: Caller, id: number): Promise<string> {
      const layer = await layerOf(caller, id, false)
      if (layer.store_type !== 'coverageStore' || !layer.data_file) throw new NotFound('This layer has no raster data.')
      const path = folder.absolute(layer.data_file)
      if (!existsSync(path)) throw new NotFound('The raster file is missing from the data folder.')
      return path
    },

    /** The uploaded originals of a layer or document (download permission). */
    async originals(caller: Caller, id: number): Promise<{ name: string; path: string; size: number }[]> {
      await resources.findVisibleId('resources', caller, id)
      if (!(await callerHolds(db, caller, id, DOWNLOAD))) throw new PermissionDenied()
      const row = await db.selectFrom('resources').select(['files_dir']).where('id', '=', id).executeTakeFirst()
      if (!row?.files_dir) throw new NotFound('This resource has no uploaded files.')
      const dir = join(folder.absolute(row.files_dir), 'original')
      if (!existsSync(dir)) throw new NotFound('This resource has no uploaded files.')
      return readdirSync(dir).map((name) => ({ name, path: join(dir, name), size: statSync(join(dir, name)).size }))
    },

    /** Every feature of a vector layer, in order, for a GeoJSON export (download permission). */
    async exportFeatures(caller: Caller, id: number): Promise<{ name: string; chunks: Iterable<Buffer> }> {
      const layer = await layerOf(caller, id, true)
      if (layer.store_type !== 'dataStore' || layer.feature_set_id === null) throw new NotFound('This layer has no vector features.')
      return { name: layer.name, chunks: featureChunks(sqlite, layer.feature_set_id) }
    },

    /** A file of an upload session, by the session's id and the file's name (download permission on its layer). */
    async uploadedFile(caller: Caller, uploadId: number, name: string): Promise<{ name: string; path: string }> {
      const upload = await db.selectFrom('uploads').select(['layer_id']).where('id', '=', uploadId).executeTakeFirst()
      if (!upload?.layer_id) throw new NotFound()
      const file = (await this.originals(caller, upload.layer_id)).find((f) => f.name === name)
      if (!file) throw new NotFound()
      return file
    },

    /**
     * A GeoPackage of a vector layer (download permission), written by the worker into a folder of
     * its own under tmp/; the caller sends it and removes the folder.
     */
    async exportGeoPackage(caller: Caller, id: number): Promise<{ name: string; path: string; dir: string }> {
      const layer = await layerOf(caller, id, true)
      if (layer.store_type !== 'dataStore' || layer.feature_set_id === null) throw new NotFound('This layer has no vector features.')
      const attributes = await db.selectFrom('layer_attributes').select(['attribute', 'attribute_type']).where('layer_id', '=', id).orderBy('display_order').execute()
      const geometry = attributes.find((a) => a.attribute_type.startsWith('gml:'))
      const fields = attributes.filter((a) => !a.attribute_type.startsWith('gml:')).map((a) => ({ name: a.attribute, type: a.attribute_type }))
      const dir = folder.newUploadDir()
      const path = join(dir, `${layer.name}.gpkg`)
      try {
        await worker.exportGeoPackage({ featureSetId: layer.feature_set_id, path, table: layer.name, geometryType: geometry?.attribute_type ?? 'gml:GeometryPropertyType', fields })
      } catch (error) {
        folder.remove(dir)
        throw error
      }
      return { name: `${layer.name}.gpkg`, path, dir }
    },

    discardExport(dir: string): void {
      folder.remove(dir)
    },

    /**
     * A style's SLD (`/styles/<id>.sld`). A style is as private as its layers: it answers to a caller
     * who may view a layer using it (as default or as one of its styles), else 404; superusers read all.
     */
    async styleFile(caller: Caller, id: number): Promise<string> {
      const style = await db.selectFrom('styles').select(['name', 'sld_body']).where('id', '=', id).executeTakeFirst()
      if (!style) throw new NotFound()
      if (!caller.superuser) {
        const usesStyle = sql<SqlBool>`(l.default_style_id = ${id} OR l.resource_id IN (SELECT layer_id FROM layer_styles WHERE style_id = ${id}))`
        const conditions = [...resources.visibleConditions('layers', caller), usesStyle]
        const layer = await pageOfKeys(db, { from: 'resources r JOIN layers l ON l.resource_id = r.id', key: 'r.id', conditions, orderBy: sql`r.id` }, 1, 0)
        if (layer.length === 0) throw new NotFound()
      }
      return style.sld_body ?? defaultSld(style.name, 'any')
    },

    /** A thumbnail PNG by resource uuid (thumbnails are as public as GeoNode's /uploaded/thumbs). */
    thumbnailFile(uuid: string): string {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) throw new NotFound()
      const path = join(folder.resourceDir(uuid), 'thumbnail.png')
      if (!existsSync(path)) throw new NotFound()
      return path
    },

    /** A document's stored file (download permission). */
    async documentFile(caller: Caller, id: number): Promise<{ path: string; name: string; mime: string | null }> {
      await resources.findVisibleId('documents', caller, id)
      if (!(await callerHolds(db, caller, id, DOWNLOAD))) throw new PermissionDenied()
      const doc = await db.selectFrom('documents').select(['doc_file', 'doc_url', 'mime_type']).where('resource_id', '=', id).executeTakeFirst()
      if (!doc?.doc_file) throw new NotFound(doc?.doc_url ? 'This document is a link; follow its href.' : 'This document has no file.')
      const path = folder.absolute(doc.doc_file)
      if (!existsSync(path)) throw new NotFound('The document file is missing from the data folder.')
      return { path, name: path.split('/').pop()!, mime: doc.mime_type }
    }
  }
}
