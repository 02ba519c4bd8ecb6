import type Sqlite from 'better-sqlite3'
import type { Geometry } from 'geojson'
import { CHANGE_LAYER_DATA } from '../../src-shared/api/permissions'
import type { Clock } from '../clock'
import type { Db } from '../db/database'
import { NotAuthenticated, PermissionDenied, ValidationError, type Logger } from '../errors'
import { type Bbox, bboxOf, isKnownEpsg, mergeBbox, transformBbox } from '../ingest/crs'
import type { DataFolder } from '../ingest/data-folder'
import { INDEX_HALF_WIDTH, MAX_LEVEL, samplingLevel } from '../ingest/feature-writer'
import { vectorThumbnail } from '../ingest/thumbnail'
import type { Caller } from './caller'
import { callerHolds } from './visibility'

/**
 * The one write path for a layer's features: WFS-T now, the GUI's editor and sync later. A request
 * is one SQLite transaction, all or nothing: features inserted (new fids after the largest),
 * updated or deleted in the layer's feature set with their R*Tree entries (at the sampling level
 * the ingest gives each fid), then the layer's feature count, its extent (resources' bbox and ll
 * bbox, and so resource_extents) and last_updated, and a "features" entry in the change log, which
 * the layer's history shows. After the commit the thumbnail is redrawn from the features.
 *
 * Values are checked against the layer's attribute_set before anything is written: an unknown
 * property or a value of the wrong type is refused with a message naming both.
 */

/** A feature to write: its geometry in EPSG:4326 (x = longitude), its properties as sent. */
export interface FeatureInput {
  geometry: Geometry | null
  properties: Record<string, unknown>
}

/** Which features an update or delete touches: feature ids, or row ids chosen inside the transaction. */
export type FeatureSelection = { fids: number[] } | { rows: () => number[] }

export type FeatureEdit =
  | { kind: 'insert'; layerId: number; features: FeatureInput[] }
  | { kind: 'update'; layerId: number; select: FeatureSelection; properties: Record<string, unknown>; geometry?: Geometry | null }
  | { kind: 'delete'; layerId: number; select: FeatureSelection }

export interface FeatureEditResult {
  /** Per edit, in order: the fids an insert made (empty for updates and deletes). */
  inserted: number[][]
  updated: number
  deleted: number
}

/** Bounds on one request: features an insert may carry, and features one request may touch. */
export const MAX_EDIT_FEATURES = 100_000

interface EditableLayer {
  id: number
  uuid: string
  name: string
  alternate: string
  featureSetId: number
  srid: number
  attributes: { name: string; type: string }[]
  geometryType: string | null
}

type Stored = { type: 'Feature'; id: number; geometry: Geometry | null; properties: Record<string, unknown> }

export type FeatureWriteService = ReturnType<typeof createFeatureWriteService>

/** The members a geometry type may take: the type itself, and its single form for a multi layer (stored as the multi form). */
const ACCEPTS: Record<string, string[]> = {
  'gml:PointPropertyType': ['Point'],
  'gml:MultiPointPropertyType': ['MultiPoint', 'Point'],
  'gml:LineStringPropertyType': ['LineString'],
  'gml:MultiLineStringPropertyType': ['MultiLineString', 'LineString'],
  'gml:PolygonPropertyType': ['Polygon'],
  'gml:MultiPolygonPropertyType': ['MultiPolygon', 'Polygon']
}

function asLayerGeometry(layer: EditableLayer, geometry: Geometry | null): Geometry | null {
  if (!geometry) return null
  const accepted = layer.geometryType ? ACCEPTS[layer.geometryType] : undefined
  if (!accepted) return geometry
  if (!accepted.includes(geometry.type)) {
    throw new ValidationError({ [layerGeometryName(layer)]: [`${layer.alternate} holds ${accepted[0]} geometries; a ${geometry.type} cannot be stored in it.`] })
  }
  if (geometry.type === 'Point' && accepted[0] === 'MultiPoint') return { type: 'MultiPoint', coordinates: [geometry.coordinates] }
  if (geometry.type === 'LineString' && accepted[0] === 'MultiLineString') return { type: 'MultiLineString', coordinates: [geometry.coordinates] }
  if (geometry.type === 'Polygon' && accepted[0] === 'MultiPolygon') return { type: 'MultiPolygon', coordinates: [geometry.coordinates] }
  return geometry
}

function layerGeometryName(layer: EditableLayer): string {
  return layer.attributes.find((a) => a.type.startsWith('gml:'))?.name ?? 'geometry'
}

const INTEGER = new Set(['xsd:int', 'xsd:long', 'xsd:integer', 'xsd:short', 'xsd:byte'])
const DECIMAL = new Set(['xsd:double', 'xsd:float', 'xsd:decimal'])

/** A value as the attribute's type stores it (strings from XML become numbers and booleans); throws naming the property. */
export function coerceValue(layer: Pick<EditableLayer, 'alternate'>, name: string, type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null
  const refuse = (what: string) => new ValidationError({ [name]: [`${JSON.stringify(value)} is not ${what} (${name} of ${layer.alternate} is ${type}).`] })
  const text = typeof value === 'string' ? value.trim() : value
  if (INTEGER.has(type) || DECIMAL.has(type)) {
    if (text === '') return null
    const n = typeof text === 'number' ? text : typeof text === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN
    if (!Number.isFinite(n)) throw refuse('a number')
    if (INTEGER.has(type) && !Number.isInteger(n)) throw refuse('a whole number')
    if (type === 'xsd:int' && (n < -2147483648 || n > 2147483647)) throw refuse('a 32-bit whole number')
    return n
  }
  if (type === 'xsd:boolean') {
    if (text === '') return null
    if (text === true || text === 1 || (typeof text === 'string' && /^(true|1)$/i.test(text))) return true
    if (text === false || text === 0 || (typeof text === 'string' && /^(false|0)$/i.test(text))) return false
    throw refuse('true or false')
  }
  if (type === 'xsd:date' || type === 'xsd:dateTime') {
    if (text === '') return null
    if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) || Number.isNaN(Date.parse(text))) throw refuse(type === 'xsd:date' ? 'a date (YYYY-MM-DD)' : 'a date and time (ISO 8601)')
    return text
  }
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
}

function checkProperties(layer: EditableLayer, properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(properties)) {
    const attribute = layer.attributes.find((a) => a.name === name)
    if (!attribute) throw new ValidationError({ [name]: [`${name} is not a property of ${layer.alternate} (${layer.attributes.map((a) => a.name).join(', ')}).`] })
    if (attribute.type.startsWith('gml:')) throw new ValidationError({ [name]: [`${name} is the geometry of ${layer.alternate}; send it as a geometry.`] })
    out[name] = coerceValue(layer, name, attribute.type, value)
  }
  return out
}

function polygonText(b: Bbox): string {
  const [minx, miny, maxx, maxy] = b
  return JSON.stringify({ type: 'Polygon', coordinates: [[[minx, miny], [minx, maxy], [maxx, maxy], [maxx, miny], [minx, miny]]] })
}

/** Whether a box reaches the extent's edge (removing it may shrink the extent). */
function touchesEdge(box: Bbox, extent: Bbox): boolean {
  return box[0] <= extent[0] || box[1] <= extent[1] || box[2] >= extent[2] || box[3] >= extent[3]
}

const THUMBNAIL_FEATURES = 2_000

export function createFeatureWriteService(deps: { db: Db; sqlite: Sqlite.Database; clock: Clock; folder: DataFolder; log?: Logger }) {
  const { db, sqlite, clock, folder } = deps
  const statements = {
    lastFid: sqlite.prepare('SELECT coalesce(max(fid), 0) FROM layer_features WHERE feature_set_id = ?').pluck(),
    insert: sqlite.prepare('INSERT INTO layer_features (feature_set_id, fid, feature) VALUES (?, ?, ?)'),
    insertBox: sqlite.prepare('INSERT INTO layer_feature_index (id, minx, maxx, miny, maxy, minset, maxset, minlevel, maxlevel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteBox: sqlite.prepare('DELETE FROM layer_feature_index WHERE id = ?'),
    byFid: sqlite.prepare('SELECT id, fid, feature FROM layer_features WHERE feature_set_id = ? AND fid = ?'),
    byRow: sqlite.prepare('SELECT id, fid, feature FROM layer_features WHERE id = ? AND feature_set_id = ?'),
    rewrite: sqlite.prepare('UPDATE layer_features SET feature = ? WHERE id = ?'),
    remove: sqlite.prepare('DELETE FROM layer_features WHERE id = ?'),
    box: sqlite.prepare('SELECT minx, miny, maxx, maxy FROM layer_feature_index WHERE id = ?'),
    countSet: sqlite.prepare('SELECT count(*) FROM layer_features WHERE feature_set_id = ?').pluck(),
    setCount: sqlite.prepare('UPDATE feature_sets SET feature_count = ? WHERE id = ?'),
    extentOfSet: sqlite.prepare('SELECT min(minx) AS minx, min(miny) AS miny, max(maxx) AS maxx, max(maxy) AS maxy FROM layer_feature_index WHERE minset <= ? AND maxset >= ?'),
    layerRow: sqlite.prepare('UPDATE layers SET feature_count = ?, last_updated = ?, version = version + 1 WHERE resource_id = ? RETURNING version'),
    resourceExtent: sqlite.prepare(
      'UPDATE resources SET bbox_polygon = ?, ll_bbox_polygon = ?, ll_minx = ?, ll_miny = ?, ll_maxx = ?, ll_maxy = ?, last_updated = ?, version = version + 1 WHERE id = ?'
    ),
    resourceTouched: sqlite.prepare('UPDATE resources SET last_updated = ?, version = version + 1 WHERE id = ?'),
    logFeatures: sqlite.prepare("INSERT INTO changes (table_name, row_key, row_uuid, op, row_version) VALUES ('layer_features', ?, ?, 'update', ?)"),
    sample: sqlite.prepare(
      `SELECT f.feature FROM layer_feature_index i CROSS JOIN layer_features f ON f.id = i.id
       WHERE i.minset <= ? AND i.maxset >= ? AND i.maxlevel >= ? AND f.feature_set_id = ? LIMIT ?`
    ).pluck()
  }

  async function layerOf(caller: Caller, layerId: number): Promise<EditableLayer> {
    const row = await db
      .selectFrom('layers as l')
      .innerJoin('resources as r', 'r.id', 'l.resource_id')
      .select(['l.resource_id as id', 'r.uuid', 'l.name', 'l.workspace', 'l.store_type', 'l.feature_set_id', 'r.srid'])
      .where('l.resource_id', '=', layerId)
      .executeTakeFirst()
    if (!row || row.store_type !== 'dataStore' || row.feature_set_id === null) throw new ValidationError({ layer: [`Layer ${layerId} has no vector features to edit.`] })
    if (!caller.authenticated) throw new NotAuthenticated()
    if (!(await callerHolds(db, caller, layerId, CHANGE_LAYER_DATA))) throw new PermissionDenied(`You may not change the data of ${row.workspace || 'geonode'}:${row.name}.`)
    const attributes = await db.selectFrom('layer_attributes').select(['attribute as name', 'attribute_type as type']).where('layer_id', '=', layerId).orderBy('display_order').orderBy('id').execute()
    const code = Number(/(\d+)\s*$/.exec(row.srid ?? '')?.[1] ?? 4326)
    return {
      id: row.id,
      uuid: row.uuid,
      name: row.name,
      alternate: `${row.workspace || 'geonode'}:${row.name}`,
      featureSetId: row.feature_set_id,
      srid: code === 900913 ? 3857 : code,
      attributes,
      geometryType: attributes.find((a) => a.type.startsWith('gml:'))?.type ?? null
    }
  }

  function stored(text: string): Stored {
    return JSON.parse(text) as Stored
  }

  function indexBox(rowId: number, fid: number, set: number, box: Bbox | null): void {
    if (!box) return
    const level = samplingLevel(fid)
    statements.insertBox.run(rowId, box[0], box[2], box[1], box[3], set - INDEX_HALF_WIDTH, set + INDEX_HALF_WIDTH, level - INDEX_HALF_WIDTH, level + INDEX_HALF_WIDTH)
  }

  function selectedRows(layer: EditableLayer, select: FeatureSelection): { id: number; fid: number; feature: string }[] {
    const rows: { id: number; fid: number; feature: string }[] = []
    if ('fids' in select) {
      for (const fid of select.fids) {
        const row = statements.byFid.get(layer.featureSetId, fid) as { id: number; fid: number; feature: string } | undefined
        if (row) rows.push(row)
      }
    } else {
      for (const id of select.rows()) {
        const row = statements.byRow.get(id, layer.featureSetId) as { id: number; fid: number; feature: string } | undefined
        if (row) rows.push(row)
      }
    }
    if (rows.length > MAX_EDIT_FEATURES) throw new ValidationError({ features: [`One request may change at most ${MAX_EDIT_FEATURES} features of ${layer.alternate}; this one selects ${rows.length}.`] })
    return rows
  }

  /** Per layer touched: boxes added, and whether a removed box reached the extent's edge. */
  interface Touched {
    layer: EditableLayer
    added: Bbox | null
    shrinks: boolean
  }

  function currentExtent(layerId: number): Bbox | null {
    const r = sqlite.prepare('SELECT ll_minx, ll_miny, ll_maxx, ll_maxy FROM resources WHERE id = ?').get(layerId) as { ll_minx: number | null; ll_miny: number | null; ll_maxx: number | null; ll_maxy: number | null }
    return r.ll_minx === null ? null : [r.ll_minx, r.ll_miny!, r.ll_maxx!, r.ll_maxy!]
  }

  function settle(t: Touched, now: string): Bbox | null {
    const { layer } = t
    const count = statements.countSet.get(layer.featureSetId) as number
    statements.setCount.run(count, layer.featureSetId)
    const version = (statements.layerRow.get(count, now, layer.id) as { version: number }).version
    const old = currentExtent(layer.id)
    let extent: Bbox | null
    if (t.shrinks || !old) {
      const e = statements.extentOfSet.get(layer.featureSetId, layer.featureSetId) as { minx: number | null; miny: number; maxx: number; maxy: number }
      extent = e.minx === null ? null : [e.minx, e.miny, e.maxx, e.maxy]
      if (extent && t.added) extent = mergeBbox(extent, t.added)
    } else {
      extent = mergeBbox(old, t.added)
    }
    if (extent && (!old || extent.some((v, i) => v !== old[i]))) {
      const ll: Bbox = [Math.max(-180, extent[0]), Math.max(-90, extent[1]), Math.min(180, extent[2]), Math.min(90, extent[3])]
      const native = layer.srid !== 4326 && (layer.srid === 3857 || isKnownEpsg(layer.srid)) ? (transformBbox(ll, 4326, layer.srid) ?? ll) : ll
      statements.resourceExtent.run(polygonText(native), polygonText(ll), ll[0], ll[1], ll[2], ll[3], now, layer.id)
    } else {
      statements.resourceTouched.run(now, layer.id)
    }
    statements.logFeatures.run(String(layer.id), layer.uuid, version)
    return extent
  }

  function write(layers: Map<number, EditableLayer>, edits: FeatureEdit[], now: string): FeatureEditResult {
    const result: FeatureEditResult = { inserted: [], updated: 0, deleted: 0 }
    const touched = new Map<number, Touched>()
    const touch = (layer: EditableLayer) => {
      let t = touched.get(layer.id)
      if (!t) touched.set(layer.id, (t = { layer, added: null, shrinks: false }))
      return t
    }
    const removing = (t: Touched, rowId: number) => {
      const extent = currentExtent(t.layer.id)
      const box = statements.box.get(rowId) as { minx: number; miny: number; maxx: number; maxy: number } | undefined
      if (box && extent && touchesEdge([box.minx, box.miny, box.maxx, box.maxy], extent)) t.shrinks = true
    }
    for (const edit of edits) {
      const layer = layers.get(edit.layerId)!
      const t = touch(layer)
      const set = layer.featureSetId
      if (edit.kind === 'insert') {
        let fid = statements.lastFid.get(set) as number
        const fids: number[] = []
        for (const input of edit.features) {
          fid += 1
          const geometry = asLayerGeometry(layer, input.geometry)
          const text = JSON.stringify({ type: 'Feature', id: fid, geometry, properties: checkProperties(layer, input.properties) })
          const rowId = Number(statements.insert.run(set, fid, text).lastInsertRowid)
          const box = bboxOf(geometry)
          indexBox(rowId, fid, set, box)
          t.added = mergeBbox(t.added, box)
          fids.push(fid)
        }
        result.inserted.push(fids)
        continue
      }
      result.inserted.push([])
      const rows = selectedRows(layer, edit.select)
      if (edit.kind === 'delete') {
        for (const row of rows) {
          removing(t, row.id)
          statements.deleteBox.run(row.id)
          statements.remove.run(row.id)
        }
        result.deleted += rows.length
        continue
      }
      const properties = checkProperties(layer, edit.properties)
      const geometry = edit.geometry === undefined ? undefined : asLayerGeometry(layer, edit.geometry)
      for (const row of rows) {
        const feature = stored(row.feature)
        const next = { type: 'Feature', id: row.fid, geometry: geometry === undefined ? feature.geometry : geometry, properties: { ...feature.properties, ...properties } }
        statements.rewrite.run(JSON.stringify(next), row.id)
        if (geometry !== undefined) {
          removing(t, row.id)
          statements.deleteBox.run(row.id)
          const box = bboxOf(geometry)
          indexBox(row.id, row.fid, set, box)
          t.added = mergeBbox(t.added, box)
        }
      }
      result.updated += rows.length
    }
    for (const t of touched.values()) settle(t, now)
    return result
  }

  /** The thumbnail drawn again from an even sample of the layer's features (after the commit). */
  async function redrawThumbnail(layer: EditableLayer): Promise<void> {
    const extent = currentExtent(layer.id)
    if (!extent) return
    const count = statements.countSet.get(layer.featureSetId) as number
    const level = count > THUMBNAIL_FEATURES ? Math.min(MAX_LEVEL, Math.ceil(Math.log2(count / THUMBNAIL_FEATURES))) : 0
    const texts = statements.sample.all(layer.featureSetId, layer.featureSetId, level, layer.featureSetId, THUMBNAIL_FEATURES) as string[]
    const w = Math.max(extent[2] - extent[0], 0.01)
    const h = Math.max(extent[3] - extent[1], 0.01)
    const padded: Bbox = [extent[0] - w * 0.05, extent[1] - h * 0.05, extent[2] + w * 0.05, extent[3] + h * 0.05]
    const png = await vectorThumbnail(texts.map((t) => stored(t).geometry), padded)
    folder.writeFile(layer.uuid, 'thumbnail.png', png)
    sqlite.prepare("UPDATE resources SET thumbnail_url = ? WHERE id = ? AND (thumbnail_url IS NULL OR thumbnail_url = '')").run(`uploaded/thumbs/${layer.uuid}.png`, layer.id)
  }

  return {
    /**
     * Applies edits of one or more layers in one transaction; checks the caller's change_layer_data
     * on each layer and every value first. Throws before writing anything when an edit is refused.
     */
    async apply(caller: Caller, edits: FeatureEdit[]): Promise<FeatureEditResult> {
      const layers = new Map<number, EditableLayer>()
      for (const edit of edits) if (!layers.has(edit.layerId)) layers.set(edit.layerId, await layerOf(caller, edit.layerId))
      const inserting = edits.reduce((n, e) => n + (e.kind === 'insert' ? e.features.length : 0), 0)
      if (inserting > MAX_EDIT_FEATURES) throw new ValidationError({ features: [`One request may insert at most ${MAX_EDIT_FEATURES} features; this one inserts ${inserting}.`] })
      let result: FeatureEditResult | undefined
      // The transaction holds the connection; the writes run in one synchronous step inside it, so
      // no other request's statement runs between them.
      await db.transaction().execute(async () => {
        result = write(layers, edits, clock.now())
      })
      for (const layer of layers.values()) {
        try {
          await redrawThumbnail(layer)
        } catch (error) {
          deps.log?.warn(`The thumbnail of ${layer.alternate} could not be redrawn: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      return result!
    }
  }
}
