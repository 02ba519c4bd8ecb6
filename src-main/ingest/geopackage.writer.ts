import Sqlite from 'better-sqlite3'
import type { Feature, Geometry } from 'geojson'
import wkx from 'wkx'
import { sqliteOptions } from '../platform/sqlite-binding'
import { type Bbox, bboxOf, mergeBbox } from './crs'

/** An attribute of the exported table: its name and GeoNode type (xsd:…). */
export interface ExportField {
  name: string
  type: string
}

const GPKG_APPLICATION_ID = 0x47504b47 // 'GPKG'
const GPKG_USER_VERSION = 10300 // GeoPackage 1.3

const WGS84_WKT =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]'

function sqlType(type: string): string {
  switch (type) {
    case 'xsd:int':
    case 'xsd:long':
      return 'INTEGER'
    case 'xsd:double':
      return 'DOUBLE'
    case 'xsd:boolean':
      return 'BOOLEAN'
    case 'xsd:date':
      return 'DATE'
    case 'xsd:dateTime':
      return 'DATETIME'
    default:
      return 'TEXT'
  }
}

function gpkgGeometryType(type: string): string {
  const match = /gml:(\w+?)PropertyType/.exec(type)?.[1]?.toUpperCase()
  return match && match !== 'GEOMETRY' ? match : 'GEOMETRY'
}

/** A GeoPackage geometry blob: the GP header (little endian, srs 4326, xy envelope) and the WKB. */
export function gpkgBlob(geometry: Geometry | null): Buffer | null {
  if (!geometry) return null
  const wkb = wkx.Geometry.parseGeoJSON(geometry).toWkb()
  const box = bboxOf(geometry)
  const header = Buffer.alloc(box ? 40 : 8)
  header.write('GP', 0, 'ascii')
  header[2] = 0
  header[3] = box ? 0b0000_0011 : 0b0000_0001 // envelope [minx, maxx, miny, maxy], little endian
  header.writeInt32LE(4326, 4)
  if (box) {
    header.writeDoubleLE(box[0], 8)
    header.writeDoubleLE(box[2], 16)
    header.writeDoubleLE(box[1], 24)
    header.writeDoubleLE(box[3], 32)
  }
  return Buffer.concat([header, wkb])
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`

/**
 * Writes a vector layer's features (EPSG:4326 GeoJSON text, in order) as a GeoPackage 1.3 file
 * with one feature table, its spatial reference and contents rows. Streams the rows through one
 * transaction: memory stays one feature whatever the layer's size.
 */
export function writeGeoPackage(path: string, table: string, geometryType: string, fields: ExportField[], features: Iterable<string>): { count: number } {
  const db = new Sqlite(path, sqliteOptions())
  try {
    db.pragma(`application_id = ${GPKG_APPLICATION_ID}`)
    db.pragma(`user_version = ${GPKG_USER_VERSION}`)
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.exec(`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
      CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
      CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));`)
    const srs = db.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)')
    srs.run('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system')
    srs.run('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system')
    srs.run('WGS 84 geodetic', 4326, 'EPSG', 4326, WGS84_WKT, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')
    const columns = fields.map((f) => `${quote(f.name)} ${sqlType(f.type)}`)
    db.exec(`CREATE TABLE ${quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom ${gpkgGeometryType(geometryType)}${columns.length ? `, ${columns.join(', ')}` : ''})`)
    const insert = db.prepare(`INSERT INTO ${quote(table)} (fid, geom${fields.map((f) => `, ${quote(f.name)}`).join('')}) VALUES (?, ?${fields.map(() => ', ?').join('')})`)
    let count = 0
    let extent: Bbox | null = null
    db.transaction(() => {
      for (const text of features) {
        const feature = JSON.parse(text) as Feature<Geometry | null> & { id: number }
        extent = mergeBbox(extent, bboxOf(feature.geometry))
        const values = fields.map((f) => {
          const value = feature.properties?.[f.name]
          if (value === undefined || value === null) return null
          if (typeof value === 'boolean') return value ? 1 : 0
          return typeof value === 'object' ? JSON.stringify(value) : value
        })
        insert.run(feature.id, gpkgBlob(feature.geometry), ...values)
        count += 1
      }
    })()
    const box = extent as Bbox | null
    db.prepare('INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id) VALUES (?, ?, ?, ?, ?, ?, ?, 4326)').run(table, 'features', table, box?.[0] ?? null, box?.[1] ?? null, box?.[2] ?? null, box?.[3] ?? null)
    db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, 4326, 0, 0)').run(table, 'geom', gpkgGeometryType(geometryType))
    return { count }
  } finally {
    db.close()
  }
}
