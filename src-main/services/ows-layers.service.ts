import { type SqlBool, sql } from 'kysely'
import { CHANGE_LAYER_DATA, DOWNLOAD } from '../../src-shared/api/permissions'
import type { Config } from '../config'
import type { Db } from '../db/database'
import type { DataFolder } from '../ingest/data-folder'
import { type Caller, type SystemIds, isAdmin } from './caller'
import { callerHolds, visibleResources } from './visibility'
import { polygonBbox } from './serializers/links'

/** [minx, miny, maxx, maxy] */
export type LayerBbox = [number, number, number, number]

export interface OwsLayerAttribute {
  name: string
  /** GeoNode's attribute type: `xsd:string`, `xsd:int`, `gml:PointPropertyType`... */
  type: string
  label: string | null
  description: string | null
  visible: boolean
}

export interface OwsLayerStyle {
  id: number
  name: string
  title: string | null
  /** The SLD document, or null when the layer uses the default style drawn for its geometry. */
  sld: string | null
}

/** A layer as the OGC services see it: what capabilities list and what requests draw or read. */
export interface OwsLayer {
  id: number
  uuid: string
  /** The layer name (`rivers`); `alternate` is the typename clients use (`geonode:rivers`). */
  name: string
  workspace: string
  alternate: string
  title: string
  abstract: string
  keywords: string[]
  kind: 'vector' | 'raster' | 'remote'
  /** The native CRS's EPSG code (4326 when the resource names none). */
  srid: number
  /** The extent in the native CRS, and in EPSG:4326 lon/lat; null for a layer with no data. */
  nativeBbox: LayerBbox | null
  lonLatBbox: LayerBbox | null
  /** Stored features (vector layers): EPSG:4326 GeoJSON, one row per feature in layer_features. */
  featureSetId: number | null
  featureCount: number
  /** The raster's GeoTIFF, an absolute path in the data folder (raster layers). */
  rasterFile: string | null
  /** The geometry attribute and its GML type (`gml:MultiPolygonPropertyType`), when the layer has one. */
  geometryAttribute: string | null
  geometryType: string | null
  attributes: OwsLayerAttribute[]
  defaultStyle: OwsLayerStyle | null
  styles: OwsLayerStyle[]
  lastUpdated: string
  date: string
}

export type OwsLayerService = ReturnType<typeof createOwsLayerService>

function epsgOf(srid: string | null | undefined): number {
  const match = /(\d+)\s*$/.exec(srid ?? '')
  const code = match ? Number(match[1]) : 4326
  return code === 900913 ? 3857 : code || 4326
}

function finite(values: (number | null)[]): values is number[] {
  return values.every((v) => v !== null && Number.isFinite(v))
}

/**
 * The catalogue's layers for the OGC services: the ones a caller may view (the same rule as the
 * API's /layers), each with what capabilities describe and what GetMap, GetFeature and
 * GetCoverage read. Permission checks for the data operations follow GeoNode: download for
 * GetFeature and GetCoverage, change_layer_data for WFS-T.
 */
export function createOwsLayerService(deps: { db: Db; config: Config; system: SystemIds; folder: DataFolder }) {
  const { db, config, system, folder } = deps

  async function load(caller: Caller, where: ReturnType<typeof sql<SqlBool>> | null): Promise<OwsLayer[]> {
    const visible = visibleResources(caller, config, system, { plan: 'set' })
    const rows = await sql<{
      id: number
      uuid: string
      name: string
      workspace: string
      store_type: string
      title: string
      abstract: string | null
      srid: string | null
      bbox_polygon: string | null
      ll_minx: number | null
      ll_miny: number | null
      ll_maxx: number | null
      ll_maxy: number | null
      feature_set_id: number | null
      feature_count: number | null
      data_file: string | null
      default_style_id: number | null
      last_updated: string
      date: string
    }>`SELECT r.id, r.uuid, l.name, l.workspace, l.store_type, r.title, r.abstract, r.srid, r.bbox_polygon,
          r.ll_minx, r.ll_miny, r.ll_maxx, r.ll_maxy, l.feature_set_id, l.feature_count, l.data_file, l.default_style_id, r.last_updated, r.date
        FROM resources r JOIN layers l ON l.resource_id = r.id
        WHERE r.resource_type = 'layer' AND ${visible}${where ? sql` AND ${where}` : sql``}
        ORDER BY l.name, r.id`.execute(db)
    if (rows.rows.length === 0) return []
    const ids = rows.rows.map((r) => r.id)
    const [attributes, styles, keywords] = await Promise.all([
      db.selectFrom('layer_attributes').select(['layer_id', 'attribute', 'attribute_type', 'attribute_label', 'description', 'visible']).where('layer_id', 'in', ids).orderBy('layer_id').orderBy('display_order').orderBy('id').execute(),
      db
        .selectFrom('layer_styles as ls')
        .innerJoin('styles as s', 's.id', 'ls.style_id')
        .select(['ls.layer_id', 's.id', 's.name', 's.sld_title', 's.sld_body'])
        .where('ls.layer_id', 'in', ids)
        .orderBy('s.id')
        .execute(),
      db.selectFrom('resource_keywords as j').innerJoin('keywords as k', 'k.id', 'j.keyword_id').select(['j.resource_id', 'k.name']).where('j.resource_id', 'in', ids).orderBy('k.name').execute()
    ])
    const defaults = await db
      .selectFrom('styles')
      .select(['id', 'name', 'sld_title', 'sld_body'])
      .where('id', 'in', [0, ...rows.rows.map((r) => r.default_style_id ?? 0)])
      .execute()
    const styleOf = (s: { id: number; name: string; sld_title: string | null; sld_body: string | null }): OwsLayerStyle => ({ id: s.id, name: s.name, title: s.sld_title, sld: s.sld_body })
    return rows.rows.map((r) => {
      const own = attributes.filter((a) => a.layer_id === r.id)
      const geometry = own.find((a) => a.attribute_type.startsWith('gml:'))
      const llBox = [r.ll_minx, r.ll_miny, r.ll_maxx, r.ll_maxy]
      const defaultRow = defaults.find((s) => s.id === r.default_style_id)
      const layerStyles = styles.filter((s) => s.layer_id === r.id).map(styleOf)
      const defaultStyle = defaultRow ? styleOf(defaultRow) : (layerStyles[0] ?? null)
      return {
        id: r.id,
        uuid: r.uuid,
        name: r.name,
        workspace: r.workspace || 'geonode',
        alternate: `${r.workspace || 'geonode'}:${r.name}`,
        title: r.title,
        abstract: r.abstract ?? '',
        keywords: keywords.filter((k) => k.resource_id === r.id).map((k) => k.name),
        kind: r.store_type === 'coverageStore' ? 'raster' : r.store_type === 'remoteStore' ? 'remote' : 'vector',
        srid: epsgOf(r.srid),
        nativeBbox: polygonBbox(r.bbox_polygon),
        lonLatBbox: finite(llBox) ? (llBox as LayerBbox) : null,
        featureSetId: r.feature_set_id,
        featureCount: r.feature_count ?? 0,
        rasterFile: r.data_file ? folder.absolute(r.data_file) : null,
        geometryAttribute: geometry?.attribute ?? null,
        geometryType: geometry?.attribute_type ?? null,
        attributes: own.map((a) => ({ name: a.attribute, type: a.attribute_type, label: a.attribute_label, description: a.description, visible: a.visible === 1 })),
        defaultStyle,
        styles: defaultStyle && !layerStyles.some((s) => s.id === defaultStyle.id) ? [defaultStyle, ...layerStyles] : layerStyles,
        lastUpdated: r.last_updated,
        date: r.date
      } satisfies OwsLayer
    })
  }

  return {
    /** Every layer the caller may view, by name. */
    visible(caller: Caller): Promise<OwsLayer[]> {
      return load(caller, null)
    },

    /**
     * The layers named, as clients write them: `geonode:rivers`, `rivers`, or the workspace-less
     * name under a workspace endpoint. Names the caller may not view are missing from the answer,
     * exactly as names that do not exist (nothing tells the two apart).
     */
    async byNames(caller: Caller, names: string[], workspace?: string): Promise<Map<string, OwsLayer>> {
      const wanted = new Map<string, string>()
      for (const raw of names) {
        const name = raw.trim()
        const colon = name.indexOf(':')
        const bare = colon < 0 ? name : name.slice(colon + 1)
        const space = colon < 0 ? (workspace ?? null) : name.slice(0, colon)
        if (space !== null && workspace && space !== workspace) continue
        wanted.set(name, bare)
      }
      if (wanted.size === 0) return new Map()
      const found = await load(caller, sql<SqlBool>`l.name IN (${sql.join([...new Set(wanted.values())])})`)
      const result = new Map<string, OwsLayer>()
      for (const [asked, bare] of wanted) {
        const colon = asked.indexOf(':')
        const space = colon < 0 ? null : asked.slice(0, colon)
        const layer = found.find((l) => l.name === bare && (space === null || l.workspace === space))
        if (layer) result.set(asked, layer)
      }
      return result
    },

    /** The layer of a resource id, when the caller may view it. */
    async byId(caller: Caller, id: number): Promise<OwsLayer | null> {
      return (await load(caller, sql<SqlBool>`r.id = ${id}`))[0] ?? null
    },

    /** GeoNode's download right: GetFeature, GetCoverage and data links. */
    mayDownload(caller: Caller, layer: OwsLayer): Promise<boolean> {
      return callerHolds(db, caller, layer.id, DOWNLOAD)
    },

    /**
     * The layers (of those given) whose data the caller may change, in one look-up: WFS
     * capabilities advertise Transaction only to callers holding change_layer_data somewhere.
     */
    async editableIds(caller: Caller, layers: readonly OwsLayer[]): Promise<Set<number>> {
      if (!caller.authenticated || layers.length === 0) return new Set()
      if (isAdmin(caller)) return new Set(layers.map((l) => l.id))
      const rows = await db
        .selectFrom('resource_user_perms')
        .select('resource_id')
        .where('user_id', '=', caller.userId)
        .where('codename', '=', CHANGE_LAYER_DATA)
        .unionAll(db.selectFrom('resource_group_perms').select('resource_id').where('group_id', 'in', caller.groupIds).where('codename', '=', CHANGE_LAYER_DATA))
        .execute()
      const held = new Set(rows.map((r) => r.resource_id))
      return new Set(layers.filter((l) => held.has(l.id)).map((l) => l.id))
    },

    /** GeoNode's change_layer_data: WFS-T. */
    mayEditData(caller: Caller, layer: OwsLayer): Promise<boolean> {
      return caller.authenticated ? callerHolds(db, caller, layer.id, CHANGE_LAYER_DATA) : Promise.resolve(false)
    }
  }
}
