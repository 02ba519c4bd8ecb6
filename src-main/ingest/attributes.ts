import type { Feature, Geometry } from 'geojson'
import type { AttributeType, FieldDef } from './types'

/** An attribute type that is not a geometry. */
export type ScalarType = Exclude<AttributeType, `gml:${string}`>
export type ScalarValue = string | number | boolean | null

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

/** GDAL's rule for dBase fields: N without decimals is int below 10 digits, long below 19, else double. */
export function dbfFieldType(type: string, length: number, decimals: number): ScalarType | null {
  switch (type.toUpperCase()) {
    case 'C':
      return 'xsd:string'
    case 'N':
    case 'F':
      if (decimals > 0) return 'xsd:double'
      return length < 10 ? 'xsd:int' : length < 19 ? 'xsd:long' : 'xsd:double'
    case 'I':
    case '+':
      return 'xsd:int'
    case 'O':
      return 'xsd:double'
    case 'L':
      return 'xsd:boolean'
    case 'D':
      return 'xsd:date'
    case '@':
    case 'T':
      return 'xsd:dateTime'
    default:
      return null
  }
}

/**
 * The attribute type of a SQLite / GeoPackage declared column type (GeoPackage 1.3 table 1), or null
 * for BLOBs, which have no attribute type. Unknown declarations follow SQLite's affinity rules.
 */
export function sqliteColumnType(declared: string | null): ScalarType | null {
  const t = (declared ?? '').trim().toUpperCase()
  if (t === 'BOOLEAN') return 'xsd:boolean'
  if (t === 'TINYINT' || t === 'SMALLINT' || t === 'MEDIUMINT') return 'xsd:int'
  if (t === 'DATE') return 'xsd:date'
  if (t === 'DATETIME' || t === 'TIMESTAMP') return 'xsd:dateTime'
  if (t.includes('INT')) return 'xsd:long'
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'xsd:string'
  if (t === '' || t.includes('BLOB')) return t === '' ? 'xsd:string' : null
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB') || t.includes('NUMERIC') || t.includes('DECIMAL')) {
    return 'xsd:double'
  }
  return 'xsd:string'
}

const GEOMETRY_PROPERTY_TYPES: Record<string, AttributeType> = {
  POINT: 'gml:PointPropertyType',
  LINESTRING: 'gml:LineStringPropertyType',
  POLYGON: 'gml:PolygonPropertyType',
  MULTIPOINT: 'gml:MultiPointPropertyType',
  MULTILINESTRING: 'gml:MultiLineStringPropertyType',
  MULTIPOLYGON: 'gml:MultiPolygonPropertyType'
}

/** `gml:*PropertyType` for a geometry type name (GeoJSON `MultiPolygon`, GeoPackage `MULTIPOLYGON`, ...). */
export function geometryPropertyType(type: string | null | undefined): AttributeType {
  return GEOMETRY_PROPERTY_TYPES[(type ?? '').toUpperCase().replace(/[^A-Z]/g, '')] ?? 'gml:GeometryPropertyType'
}

/**
 * Collects the geometry types of a source's features into one column type: one type stays as it
 * is, a single and its multi form become the multi form, anything else is a generic geometry.
 */
export class GeometryTypeCollector {
  private readonly seen = new Set<string>()

  add(geometry: Geometry | null | undefined): void {
    if (geometry) this.seen.add(geometry.type)
  }

  get propertyType(): AttributeType {
    const types = [...this.seen]
    if (types.length === 1) return geometryPropertyType(types[0])
    if (types.length === 2) {
      const multi = types.find((t) => t.startsWith('Multi'))
      if (multi && types.includes(multi.slice(5))) return geometryPropertyType(multi)
    }
    return 'gml:GeometryPropertyType'
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/
const INTEGER = /^-?(0|[1-9]\d*)$/
const DECIMAL = /^-?(0|[1-9]\d*)?(\.\d+)?([eE][+-]?\d+)?$/

function validDate(m: RegExpExecArray): boolean {
  const month = Number(m[2])
  const day = Number(m[3])
  return month >= 1 && month <= 12 && day >= 1 && day <= 31
}

function integerType(n: number): ScalarType {
  if (n >= INT32_MIN && n <= INT32_MAX) return 'xsd:int'
  return Number.isSafeInteger(n) ? 'xsd:long' : 'xsd:double'
}

/** The type of a string value: ISO dates and date-times are recognised, like GDAL's GeoJSON driver does. */
export function stringType(value: string): ScalarType {
  if (value.length < 10 || value.length > 35) return 'xsd:string'
  let m = DATE.exec(value)
  if (m) return validDate(m) ? 'xsd:date' : 'xsd:string'
  m = DATE_TIME.exec(value)
  return m && validDate(m) ? 'xsd:dateTime' : 'xsd:string'
}

/** The type of a JSON value; null for null (it says nothing about the type). */
export function jsonValueType(value: unknown): ScalarType | null {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? integerType(value) : 'xsd:double'
    case 'boolean':
      return 'xsd:boolean'
    case 'string':
      return stringType(value)
    case 'bigint':
      return 'xsd:long'
    default:
      return value === null || value === undefined ? null : 'xsd:string'
  }
}

/** The type of a text cell (CSV): numbers, true/false, ISO dates; empty says nothing. */
export function textType(value: string): ScalarType | null {
  const v = value.trim()
  if (v === '') return null
  if (INTEGER.test(v)) {
    // A leading zero ("007", a postcode) is text, not a number.
    if (v.length > 1 && (v[0] === '0' || v.startsWith('-0'))) return 'xsd:string'
    return integerType(Number(v))
  }
  if (/\d/.test(v) && DECIMAL.test(v)) return Number.isFinite(Number(v)) ? 'xsd:double' : 'xsd:string'
  if (/^(true|false)$/i.test(v)) return 'xsd:boolean'
  return stringType(v)
}

const NUMERIC: ReadonlySet<ScalarType> = new Set(['xsd:int', 'xsd:long', 'xsd:double'])

/** The narrowest type both values fit in. */
export function widenType(a: ScalarType | null, b: ScalarType | null): ScalarType | null {
  if (a === null || a === b) return b
  if (b === null) return a
  if (NUMERIC.has(a) && NUMERIC.has(b)) {
    return a === 'xsd:double' || b === 'xsd:double' ? 'xsd:double' : 'xsd:long'
  }
  if ((a === 'xsd:date' && b === 'xsd:dateTime') || (a === 'xsd:dateTime' && b === 'xsd:date')) return 'xsd:dateTime'
  return 'xsd:string'
}

/** Infers fields from sampled records, keeping the order in which names first appear. */
export class FieldInferrer {
  private readonly types = new Map<string, ScalarType | null>()

  /** Observe a JSON record (GeoJSON / KML / GPX properties). */
  observe(properties: Record<string, unknown> | null | undefined): void {
    if (!properties) return
    for (const key in properties) this.add(key, jsonValueType(properties[key]))
  }

  /** Observe a record whose strings are text to type (KML ExtendedData): "12.5" is a double. */
  observeTextual(properties: Record<string, unknown> | null | undefined): void {
    if (!properties) return
    for (const key in properties) {
      const value = properties[key]
      this.add(key, typeof value === 'string' ? textType(value) : jsonValueType(value))
    }
  }

  /** Observe one text cell (CSV). */
  observeText(name: string, value: string | null | undefined): void {
    this.add(name, value === null || value === undefined ? null : textType(value))
  }

  add(name: string, type: ScalarType | null): void {
    const current = this.types.get(name)
    if (current === undefined) this.types.set(name, type)
    else if (type !== null && current !== type) this.types.set(name, widenType(current, type))
  }

  /** The fields seen; a field only ever null is a string. */
  fields(): FieldDef[] {
    return [...this.types].map(([name, type]) => ({ name, type: type ?? 'xsd:string' }))
  }
}

/** A JSON value converted to the field's type (numbers in a string field become text, objects JSON). */
export function coerceValue(value: unknown, type: AttributeType): ScalarValue {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'xsd:int':
    case 'xsd:long':
    case 'xsd:double':
      if (typeof value === 'number') return value
      if (typeof value === 'boolean') return value ? 1 : 0
      return parseText(String(value), type)
    case 'xsd:boolean':
      return typeof value === 'boolean' ? value : parseText(String(value), type)
    default:
      if (typeof value === 'string') return value
      return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
}

/** A text cell converted to the field's type; empty text and unparsable numbers are null. */
export function parseText(value: string, type: AttributeType): ScalarValue {
  const v = value.trim()
  if (v === '') return null
  switch (type) {
    case 'xsd:int':
    case 'xsd:long':
    case 'xsd:double': {
      const n = Number(v)
      return Number.isFinite(n) ? n : null
    }
    case 'xsd:boolean':
      return /^(true|t|yes|y|1)$/i.test(v) ? true : /^(false|f|no|n|0)$/i.test(v) ? false : null
    default:
      return value
  }
}

/** Properties reduced to the fields and converted to their types (missing fields become null). */
export function conformProperties(properties: Record<string, unknown> | null | undefined, fields: FieldDef[]): Record<string, ScalarValue> {
  const out: Record<string, ScalarValue> = {}
  for (const field of fields) out[field.name] = coerceValue(properties?.[field.name], field.type)
  return out
}

/** A batch of features whose properties conform to the fields. */
export function conformFeatures(features: Feature<Geometry | null>[], fields: FieldDef[]): Feature<Geometry | null>[] {
  for (const feature of features) feature.properties = conformProperties(feature.properties, fields)
  return features
}
