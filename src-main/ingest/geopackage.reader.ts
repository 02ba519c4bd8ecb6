import { basename } from 'node:path'
import Database from 'better-sqlite3'
import { sqliteOptions } from '../platform/sqlite-binding'
import type { Feature, Geometry } from 'geojson'
import wkx from 'wkx'
import { geometryPropertyType, sqliteColumnType, type ScalarType, type ScalarValue } from './attributes'
import { crsFromEpsg, crsFromWkt, isKnownEpsg } from './crs'
import { IngestError, type FieldDef, type SourceCrs, type VectorSource } from './types'

const BATCH = 2000

// Envelope sizes by the flags' envelope indicator (GeoPackage 1.3, 2.1.3.1.1).
const ENVELOPE_BYTES = [0, 32, 48, 48, 64]

interface FeatureTable {
  tableName: string
  identifier: string | null
  geometryColumn: string
  geometryTypeName: string
  srsId: number
}

interface Column {
  name: string
  type: ScalarType | null
  pk: boolean
}

/**
 * The geometry in a GeoPackage geometry blob: the 'GP' header (magic, version, flags, srs_id,
 * optional envelope) followed by WKB. Empty geometries (flag, or NaN points) are null.
 */
export function parseGpkgGeometry(blob: Buffer | null): Geometry | null {
  if (!blob || blob.length === 0) return null
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new Error('not a GeoPackage geometry blob (no GP magic)')
  const flags = blob[3]
  const envelope = (flags >> 1) & 0x07
  if (envelope >= ENVELOPE_BYTES.length) throw new Error(`invalid envelope indicator ${envelope}`)
  if (flags & 0x10) return null
  const wkb = blob.subarray(8 + ENVELOPE_BYTES[envelope])
  const geometry = wkx.Geometry.parse(wkb).toGeoJSON() as Geometry
  if (geometry.type === 'Point' && !geometry.coordinates.every(Number.isFinite)) return null
  return geometry
}

function openDatabase(path: string, file: string): Database.Database {
  let db: Database.Database
  try {
    db = new Database(path, sqliteOptions({ readonly: true, fileMustExist: true }))
  } catch (error) {
    throw new IngestError(file, `the file is not a GeoPackage: ${error instanceof Error ? error.message : String(error)}`)
  }
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name IN ('gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys')`).all()
    if (tables.length < 3) throw new Error('it has no gpkg_contents, gpkg_geometry_columns and gpkg_spatial_ref_sys tables')
  } catch (error) {
    db.close()
    const reason = error instanceof Error ? error.message : String(error)
    throw new IngestError(file, `the file is not a GeoPackage: ${reason}`)
  }
  return db
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`
}

function tableCrs(db: Database.Database, srsId: number, file: string): SourceCrs | null {
  const row = db
    .prepare('SELECT organization, organization_coordsys_id AS code, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?')
    .get(srsId) as { organization: string | null; code: number | null; definition: string | null } | undefined
  // srs_id 0 and -1 are the spec's "undefined geographic" and "undefined cartesian".
  if (!row || srsId === 0 || srsId === -1) return srsId === 0 ? crsFromEpsg(4326) : null
  if (row.organization?.toUpperCase() === 'EPSG' && row.code && isKnownEpsg(row.code)) return crsFromEpsg(row.code)
  if (!row.definition || row.definition.trim().toLowerCase() === 'undefined') return null
  return crsFromWkt(row.definition, file)
}

function columnsOf(db: Database.Database, table: string, geometryColumn: string): Column[] {
  const info = db.prepare(`PRAGMA table_info(${quote(table)})`).all() as { name: string; type: string; pk: number }[]
  const integerKeys = info.filter((c) => c.pk > 0)
  return info
    .filter((c) => c.name !== geometryColumn)
    .map((c) => ({
      name: c.name,
      type: sqliteColumnType(c.type),
      pk: integerKeys.length === 1 && c.pk > 0 && /^INTEGER$/i.test(c.type.trim())
    }))
}

function convert(value: unknown, type: ScalarType): ScalarValue {
  if (value === null || value === undefined) return null
  if (type === 'xsd:boolean') return Boolean(value)
  if (typeof value === 'bigint') return Number(value)
  if (Buffer.isBuffer(value)) return value.toString('base64')
  return value as ScalarValue
}

/** A GeoPackage layer: the table name is the name; gpkg_contents.identifier is the title. */
export type GeoPackageSource = VectorSource & { title: string }

/** Reads every feature table of a GeoPackage (gpkg_contents rows with data_type 'features') as a source. */
export async function openGeoPackage(path: string): Promise<GeoPackageSource[]> {
  const file = basename(path)
  const db = openDatabase(path, file)
  try {
    const tables = db
      .prepare(
        `SELECT c.table_name AS tableName, c.identifier, g.column_name AS geometryColumn, g.geometry_type_name AS geometryTypeName, g.srs_id AS srsId
         FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
         WHERE c.data_type = 'features' ORDER BY c.table_name`
      )
      .all() as FeatureTable[]
    if (tables.length === 0) throw new IngestError(file, 'the GeoPackage has no feature tables')
    return tables.map((table) => {
      const source = `${file}:${table.tableName}`
      const columns = columnsOf(db, table.tableName, table.geometryColumn)
      const key = columns.find((c) => c.pk)
      const attributes = columns.filter((c): c is Column & { type: ScalarType } => !c.pk && c.type !== null)
      const count = db.prepare(`SELECT count(*) AS n FROM ${quote(table.tableName)}`).get() as { n: number }
      const fields: FieldDef[] = attributes.map((c) => ({ name: c.name, type: c.type }))
      return {
        kind: 'vector',
        name: table.tableName,
        title: table.identifier || table.tableName,
        file: source,
        format: 'geopackage',
        crs: tableCrs(db, table.srsId, source),
        geometryType: geometryPropertyType(table.geometryTypeName),
        fields,
        charset: 'UTF-8',
        countHint: count.n,
        features: () => readFeatures(path, source, table, key?.name ?? null, attributes)
      } satisfies GeoPackageSource
    })
  } finally {
    db.close()
  }
}

async function* readFeatures(
  path: string,
  file: string,
  table: FeatureTable,
  key: string | null,
  attributes: (Column & { type: ScalarType })[]
): AsyncGenerator<Feature<Geometry | null>[]> {
  const db = openDatabase(path, file)
  let rows: IterableIterator<unknown[]> | null = null
  try {
    const select = [key, table.geometryColumn, ...attributes.map((c) => c.name)].filter((c): c is string => c !== null).map(quote)
    const sql = `SELECT ${select.join(', ')} FROM ${quote(table.tableName)}${key ? ` ORDER BY ${quote(key)}` : ''}`
    rows = db.prepare(sql).raw().iterate() as IterableIterator<unknown[]>
    const offset = key ? 1 : 0
    let batch: Feature<Geometry | null>[] = []
    for (const row of rows) {
      let geometry: Geometry | null
      try {
        geometry = parseGpkgGeometry(row[offset] as Buffer | null)
      } catch (error) {
        const where = key ? `feature ${String(row[0])}` : `feature ${batch.length + 1}`
        throw new IngestError(file, `${where} has an invalid geometry: ${error instanceof Error ? error.message : String(error)}`)
      }
      const properties: Record<string, ScalarValue> = {}
      for (let i = 0; i < attributes.length; i++) properties[attributes[i].name] = convert(row[offset + 1 + i], attributes[i].type)
      const feature: Feature<Geometry | null> = { type: 'Feature', properties, geometry }
      if (key) feature.id = Number(row[0])
      batch.push(feature)
      if (batch.length >= BATCH) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  } finally {
    // An abandoned iteration leaves the statement open, and a busy connection refuses to close.
    rows?.return?.()
    db.close()
  }
}
