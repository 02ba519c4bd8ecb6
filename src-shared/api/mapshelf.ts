/** Bodies of Mapshelf's extension routes (/api/v2/mapshelf/...), shared by the server and its clients. */

/** One entry of a resource's history, read from the change log. */
export interface HistoryEntry {
  seq: number
  at: string
  subject: string
  op: 'insert' | 'update' | 'delete'
  version: number | null
}

/** What one finished sync run did. */
export interface SyncSummary {
  pulled: { created: number; updated: number; deleted: number }
  pushed: { created: number; updated: number; deleted: number }
  conflicts: number
  errors: number
  reconciled: boolean
}

/** Where sync with one remote stands. */
export interface SyncStatus {
  phase: string
  running: boolean
  unfinished: boolean
  started: string | null
  finished: string | null
  last_result: SyncSummary | null
  last_error: string | null
  progress: { done: number; total: number }
  pending: { creates: number; updates: number; deletes: number }
  conflicts: number
}

/** Features by bbox (GET /api/v2/mapshelf/layers/{pk}/features): the limit when none is given, and the largest accepted. */
export const DEFAULT_FEATURE_LIMIT = 5_000
export const MAX_FEATURE_LIMIT = 50_000

/**
 * The map viewer asks for one feature per this many square pixels of the area it loads: about one
 * point in a 13 px square, a dense carpet at the circle size drawn (8 px), and a quarter of the data
 * one per 40 px² asked for (5.5 MB for a zoomed-out view of a million points; docs/benchmarks.md).
 */
const VIEWER_PIXELS_PER_FEATURE = 160
/** The viewer loads this share of the view's width and height beyond each edge, so short pans need no new request. */
export const VIEWER_MARGIN = 0.25

/** The feature limit the map viewer asks for a view of `width` × `height` pixels and its margin. */
export function viewerFeatureLimit(width: number, height: number): number {
  const pixels = width * height * (1 + 2 * VIEWER_MARGIN) ** 2
  return Math.max(500, Math.min(MAX_FEATURE_LIMIT, Math.round(pixels / VIEWER_PIXELS_PER_FEATURE)))
}

/** A band of a raster layer as the data panel shows it. */
export interface RasterBandSummary {
  band: number
  /** GDAL's name of the sample type: Byte, Int16, UInt16, Int32, UInt32, Float32, Float64. */
  type: string
  nodata: number | null
  /** Of the valid pixels: exact up to a megapixel, else from an overview or a sample of at most 1,024 pixels a side. */
  min: number | null
  max: number | null
  mean: number | null
}

/** What a layer's data is (GET /api/v2/mapshelf/layers/{pk}/data): the layer page's data panel. */
export type LayerDataSummary =
  | {
      kind: 'vector'
      feature_count: number
      /** Point, LineString, Polygon, their Multi- forms, or Geometry when mixed; null without geometry. */
      geometry_type: string | null
      crs: { code: string; name: string; units: string }
      /** The first features (at most 10), their attributes only, in storage order. */
      preview: { fid: number; properties: Record<string, unknown> }[]
    }
  | {
      kind: 'raster'
      width: number
      height: number
      bands: RasterBandSummary[]
      /** Pixel size in CRS units (x, y). */
      resolution: [number, number]
      crs: { code: string; name: string; units: string }
      overviews: number
      file_bytes: number
    }
  | { kind: 'none'; reason: string }
