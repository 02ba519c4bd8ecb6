import type { Feature, Geometry } from 'geojson'

/**
 * What a format reader hands to ingest: one or more layer sources found in the uploaded files.
 * Readers never touch the database; ingest stores what they yield.
 */

/** GeoNode's attribute_type strings (the GeoServer names), as `attribute_set` shows them. */
export type AttributeType =
  | 'xsd:string'
  | 'xsd:int'
  | 'xsd:long'
  | 'xsd:double'
  | 'xsd:boolean'
  | 'xsd:date'
  | 'xsd:dateTime'
  | 'gml:PointPropertyType'
  | 'gml:LineStringPropertyType'
  | 'gml:PolygonPropertyType'
  | 'gml:MultiPointPropertyType'
  | 'gml:MultiLineStringPropertyType'
  | 'gml:MultiPolygonPropertyType'
  | 'gml:GeometryPropertyType'

export interface FieldDef {
  /** Attribute name as stored in feature properties. */
  name: string
  type: AttributeType
}

/** A coordinate reference system as found in the source. */
export interface SourceCrs {
  /** EPSG code when known (from an authority in the .prj / srs table / geokeys, or a format default). */
  epsg: number | null
  /** A definition proj4 accepts (`EPSG:4326`, a proj string or WKT). */
  definition: string
}

export interface VectorSource {
  kind: 'vector'
  /** File or table name the layer is named after (not yet sanitised). */
  name: string
  /** A human title the source carries (a GeoPackage table's identifier), if any. */
  title?: string
  /** The file (or file:table) this source came from, for messages. */
  file: string
  /** Format label for the upload session and messages: 'shapefile', 'geojson', 'geopackage', 'kml', 'gpx', 'csv'. */
  format: string
  /** null: the CRS is unknown (no .prj); ingest keeps the upload WAITING until the user supplies one. */
  crs: SourceCrs | null
  /** Geometry column type for attribute_set (`gml:...PropertyType`). */
  geometryType: AttributeType
  /** Non-geometry attributes, in source order. */
  fields: FieldDef[]
  charset: string
  /** Feature count when the format knows it without reading everything (null otherwise). */
  countHint: number | null
  /** [minx, miny, maxx, maxy] in the source CRS when the format states it without reading the features (a .shp header). */
  extentHint?: [number, number, number, number]
  /**
   * Features in the source CRS, in batches (a few thousand per batch), read lazily so memory stays
   * bounded. Properties are keyed by the names in `fields`. A malformed record throws IngestError.
   */
  features(): AsyncIterable<Feature<Geometry | null>[]>
}

export interface RasterSource {
  kind: 'raster'
  name: string
  file: string
  format: 'geotiff'
  /** Where the raster file is on disk (set by detection; readers may leave it out). */
  path?: string
  crs: SourceCrs | null
  width: number
  height: number
  bands: number
  /** Sample type per band, e.g. 'uint8', 'float32'. */
  bandTypes: string[]
  /** [minx, miny, maxx, maxy] in the source CRS. */
  bbox: [number, number, number, number]
  /** Tiled with overviews (cloud-optimised layout). */
  cloudOptimized: boolean
  noData: number | null
}

export type LayerSource = VectorSource | RasterSource

/** A refused file: the message names the file and the problem; ingest turns it into a 400 / INVALID. */
export class IngestError extends Error {
  constructor(
    readonly file: string,
    problem: string
  ) {
    super(`${file}: ${problem}`)
    this.name = 'IngestError'
  }
}
