import type Sqlite from 'better-sqlite3'
import type { Geometry } from 'geojson'
import type { Bbox } from './crs'
import { OwsException } from './exceptions'
import { type Expression, type Filter, compareFilterValues, likeMatcher, propertiesOf } from './filter'
import { type DistanceMeasure, type PreparedShape, distanceMeasure as distanceMeasureOf, envelopeOf, prepareShape } from './spatial'

/**
 * Reading a layer's stored features for the OGC services: one query shape for GetFeature (and
 * later GetMap's features), turned into SQL over `layer_features` and its R*Tree.
 *
 * A whole filter becomes one SQL condition, so counts (numberMatched), sorting and paging happen
 * in SQLite: property values are read with json_extract and compared by a few functions this
 * module registers on the connection, which decide exactly as filter.ts's evaluator does (numbers
 * as numbers, strings as strings, a missing value matching nothing but PropertyIsNull); BBOX is
 * the R*Tree's envelope test, and the other spatial operators test the candidates the R*Tree lets
 * through with JTS. Without a SortBy the order is the storage order of the path taken (feature ids
 * without a bbox, the R*Tree's order with one): the same for the same data, so pages by
 * startIndex never overlap.
 */

/** What a query needs to know of a layer. */
export interface FeatureSource {
  /** Feature ids are `<name>.<fid>`. */
  name: string
  featureSetId: number
  attributes: readonly { name: string; type: string }[]
  geometryAttribute: string | null
}

/** A spatial operator's shape carried to EPSG:4326 (x = longitude), and whether its CRS was geographic. */
export interface ResolvedShape {
  geometry: Geometry
  geographic: boolean
}

export type SpatialFilter = Extract<Filter, { op: 'spatial' }>

export interface SortKey {
  property: string
  descending: boolean
}

export interface FeatureQuery {
  source: FeatureSource
  /** An EPSG:4326 box the features' envelopes must meet. */
  bbox: Bbox | null
  filter: Filter | null
  /** Carries a spatial operator's shape to EPSG:4326 (the caller knows the request's CRS rules). */
  shapeOf: (filter: SpatialFilter) => ResolvedShape
  sortBy: readonly SortKey[]
}

export interface FeatureRow {
  /** The row id in layer_features. */
  id: number
  fid: number
  text: string
}

/** Features read per statement when answers are streamed. */
export const FEATURE_CHUNK = 2_000

const shapes = new Map<number, PreparedShape>()
let nextShape = 1
/** Shapes of queries that never released theirs (a bug) are dropped past this many. */
const MAX_LIVE_SHAPES = 10_000

const likeCache = new Map<string, (text: string) => boolean>()

const registered = new WeakSet<Sqlite.Database>()

/** A boolean JSON value as the SQL expressions carry it (json_extract would give 1 or 0). */
const TRUE = '\u0001true'
const FALSE = '\u0001false'
const unbox = (v: unknown) => (v === TRUE ? true : v === FALSE ? false : v)

function registerFunctions(sqlite: Sqlite.Database): void {
  if (registered.has(sqlite)) return
  registered.add(sqlite)
  const options = { deterministic: true, varargs: false }
  sqlite.function('ows_compare', options, (a: unknown, b: unknown, matchCase: unknown) => compareFilterValues(unbox(a), unbox(b), matchCase === 1))
  sqlite.function('ows_between', options, (v: unknown, lo: unknown, hi: unknown) => {
    const low = compareFilterValues(unbox(v), unbox(lo), true)
    const high = compareFilterValues(unbox(v), unbox(hi), true)
    return low !== null && high !== null && low >= 0 && high <= 0 ? 1 : 0
  })
  sqlite.function('ows_like', options, (v: unknown, pattern: unknown, wildCard: unknown, singleChar: unknown, escape: unknown, matchCase: unknown) => {
    if (v === null || v === undefined) return 0
    const key = JSON.stringify([pattern, wildCard, singleChar, escape, matchCase])
    let matcher = likeCache.get(key)
    if (!matcher) {
      matcher = likeMatcher({ op: 'like', expr: { kind: 'literal', value: '' }, pattern: String(pattern), wildCard: String(wildCard), singleChar: String(singleChar), escape: String(escape), matchCase: matchCase === 1 })
      if (likeCache.size > 256) likeCache.clear()
      likeCache.set(key, matcher)
    }
    return matcher(String(unbox(v))) ? 1 : 0
  })
  sqlite.function('ows_arith', options, (op: unknown, a: unknown, b: unknown) => {
    const x = Number(unbox(a))
    const y = Number(unbox(b))
    const out = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y
    return Number.isFinite(out) ? out : null
  })
  sqlite.function('ows_spatial', options, (geometry: unknown, shape: unknown) => {
    if (typeof geometry !== 'string') return 0
    const prepared = shapes.get(Number(shape))
    if (!prepared) throw new Error('a spatial filter was used after its query ended')
    return prepared.test(JSON.parse(geometry) as Geometry) ? 1 : 0
  })
}

const NUMERIC = new Set(['xsd:int', 'xsd:long', 'xsd:double', 'xsd:float', 'xsd:decimal', 'xsd:integer', 'xsd:short', 'xsd:byte'])

function unknownProperty(name: string, source: FeatureSource): OwsException {
  return new OwsException('InvalidParameterValue', `${name} is not a property of ${source.name} (${source.attributes.map((a) => a.name).join(', ')}).`, 'propertyName')
}

/** A JSON path to a property of the stored feature text. */
export function propertyPath(name: string): string {
  if (name.includes('"')) throw new OwsException('InvalidParameterValue', `The property name ${name} cannot be read.`, 'propertyName')
  return `$.properties."${name}"`
}

/** Operators whose match implies the features' envelopes meet the shape's (so the R*Tree may narrow first). */
const ENVELOPE_BOUND = new Set(['bbox', 'intersects', 'within', 'contains', 'touches', 'crosses', 'overlaps', 'equals'])

class Compiler {
  readonly params: unknown[] = []
  readonly shapeIds: number[] = []
  /** Envelopes every match must meet (from top-level AND operands): the R*Tree narrows with them. */
  readonly drivingBoxes: Bbox[] = []

  constructor(private readonly query: FeatureQuery) {}

  private param(value: unknown): string {
    this.params.push(value)
    return '?'
  }

  private attribute(name: string) {
    const attribute = this.query.source.attributes.find((a) => a.name === name)
    if (!attribute) throw unknownProperty(name, this.query.source)
    return attribute
  }

  expression(e: Expression): string {
    switch (e.kind) {
      case 'property': {
        const attribute = this.attribute(e.name)
        if (attribute.type.startsWith('gml:')) throw new OwsException('InvalidParameterValue', `Filter: the geometry ${e.name} can only be tested by spatial operators.`, 'filter')
        const path = propertyPath(e.name)
        if (attribute.type === 'xsd:boolean') {
          return `(CASE json_type(f.feature, ${this.param(path)}) WHEN 'true' THEN '${TRUE}' WHEN 'false' THEN '${FALSE}' ELSE json_extract(f.feature, ${this.param(path)}) END)`
        }
        return `json_extract(f.feature, ${this.param(path)})`
      }
      case 'literal':
        return this.param(e.value)
      case 'arithmetic':
        return `ows_arith(${this.param(e.op)}, ${this.expression(e.left)}, ${this.expression(e.right)})`
      case 'function':
        throw new OwsException('OperationNotSupported', `Filter: the function ${e.name} is not offered.`, 'filter')
    }
  }

  /** A condition that is 1 or 0, never NULL (so NOT keeps the evaluator's two-valued logic). */
  condition(f: Filter, topLevelAnd: boolean): string {
    switch (f.op) {
      case 'include':
        return '1'
      case 'exclude':
        return '0'
      case 'and':
        return `(${f.filters.map((g) => this.condition(g, topLevelAnd)).join(' AND ')})`
      case 'or':
        return `(${f.filters.map((g) => this.condition(g, false)).join(' OR ')})`
      case 'not':
        return `(NOT ${this.condition(f.filter, false)})`
      case 'null': {
        if (f.expr.kind === 'property' && this.attribute(f.expr.name).type.startsWith('gml:')) return `(json_type(f.feature, '$.geometry') IS NULL OR json_type(f.feature, '$.geometry') = 'null')`
        return `(${this.expression(f.expr)} IS NULL)`
      }
      case 'compare': {
        const op = { eq: '=', ne: '<>', lt: '<', gt: '>', le: '<=', ge: '>=' }[f.cmp]
        return `coalesce(ows_compare(${this.expression(f.left)}, ${this.expression(f.right)}, ${f.matchCase ? 1 : 0}) ${op} 0, 0)`
      }
      case 'between':
        return `ows_between(${this.expression(f.expr)}, ${this.expression(f.lower)}, ${this.expression(f.upper)})`
      case 'like':
        return `ows_like(${this.expression(f.expr)}, ${this.param(f.pattern)}, ${this.param(f.wildCard)}, ${this.param(f.singleChar)}, ${this.param(f.escape)}, ${f.matchCase ? 1 : 0})`
      case 'ids': {
        const prefix = `${this.query.source.name}.`
        const fids = f.ids.filter((id) => id.startsWith(prefix) && /^\d{1,15}$/.test(id.slice(prefix.length))).map((id) => Number(id.slice(prefix.length)))
        return fids.length === 0 ? '0' : `(f.fid IN (${[...new Set(fids)].join(',')}))`
      }
      case 'spatial':
        return this.spatial(f, topLevelAnd)
    }
  }

  private spatial(f: SpatialFilter, topLevelAnd: boolean): string {
    const { source } = this.query
    if (f.property !== null && f.property !== source.geometryAttribute) {
      if (source.attributes.some((a) => a.name === f.property)) throw new OwsException('InvalidParameterValue', `Filter: ${f.property} is not the geometry of ${source.name} (${source.geometryAttribute ?? 'none'}).`, 'filter')
      throw unknownProperty(f.property, source)
    }
    const resolved = this.query.shapeOf(f)
    const envelope = envelopeOf(resolved.geometry)
    if (!envelope.every(Number.isFinite)) return '0'
    // Parameters are bound in the order they are written: build the envelope test only where it is used.
    const overlaps = () =>
      `EXISTS (SELECT 1 FROM layer_feature_index x WHERE x.id = f.id AND x.minx <= ${this.param(envelope[2])} AND x.maxx >= ${this.param(envelope[0])} AND x.miny <= ${this.param(envelope[3])} AND x.maxy >= ${this.param(envelope[1])})`
    if (ENVELOPE_BOUND.has(f.spatial) && topLevelAnd) this.drivingBoxes.push(envelope)
    // BBOX tests envelopes, as GeoServer's BBOX does on its stores: exact, and answered by the R*Tree.
    if (f.spatial === 'bbox') return overlaps()
    let measure: DistanceMeasure = { degrees: true }
    if (f.spatial === 'dwithin' || f.spatial === 'beyond') {
      const unit = f.units ?? ''
      const found = distanceMeasureOf(unit, resolved.geographic)
      if (!found) throw new OwsException('InvalidParameterValue', `Filter: ${unit} is not a distance unit this server knows (m, km, ft, mi, nm, deg).`, 'filter')
      measure = found
    }
    const id = nextShape++
    shapes.set(id, prepareShape(f.spatial, resolved.geometry, f.distance ?? 0, measure))
    this.shapeIds.push(id)
    if (shapes.size > MAX_LIVE_SHAPES) shapes.delete(shapes.keys().next().value as number)
    if (!ENVELOPE_BOUND.has(f.spatial)) return `ows_spatial(json_extract(f.feature, '$.geometry'), ${this.param(id)})`
    const prefilter = overlaps()
    return `(${prefilter} AND ows_spatial(json_extract(f.feature, '$.geometry'), ${this.param(id)}))`
  }
}

function intersect(a: Bbox, b: Bbox): Bbox {
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]
}

/** A query compiled for one layer: count it, read its page, then release it. */
export interface PreparedFeatureQuery {
  /** The exact number of features that match, whatever the page. */
  count(): number
  /** The row ids of a page (`count` features from `startIndex`), in answer order. */
  pageIds(startIndex: number, count: number): number[]
  /** A page as one GeoJSON features blob (comma-joined, ids `<name>.<fid>`): for small pages, built in SQLite. */
  geoJsonBlob(startIndex: number, count: number): { returned: number; features: Buffer | null }
  release(): void
}

/**
 * Compiles a query: checks every property it names against the layer's attributes (an exception
 * naming the first unknown one), turns the filter into SQL and prepares its spatial shapes.
 */
export function prepareFeatureQuery(sqlite: Sqlite.Database, query: FeatureQuery): PreparedFeatureQuery {
  registerFunctions(sqlite)
  const { source } = query
  for (const key of query.sortBy) {
    const attribute = source.attributes.find((a) => a.name === key.property)
    if (!attribute) throw unknownProperty(key.property, source)
    if (attribute.type.startsWith('gml:')) throw new OwsException('InvalidParameterValue', `SortBy: the geometry ${key.property} cannot be sorted on.`, 'sortBy')
  }
  if (query.filter) {
    for (const name of propertiesOf(query.filter)) if (!source.attributes.some((a) => a.name === name)) throw unknownProperty(name, source)
  }
  const compiler = new Compiler(query)
  const where = query.filter ? compiler.condition(query.filter, true) : null
  let box = query.bbox
  for (const driving of compiler.drivingBoxes) box = box ? intersect(box, driving) : driving
  const set = source.featureSetId
  const release = () => compiler.shapeIds.forEach((id) => shapes.delete(id))

  // With a box the R*Tree drives (CROSS JOIN keeps it outside, see layer-data.service.ts); the set
  // test on the feature row is free, the row being read anyway.
  const from = box
    ? `layer_feature_index i CROSS JOIN layer_features f ON f.id = i.id WHERE i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ? AND i.minset <= ? AND i.maxset >= ? AND f.feature_set_id = ?`
    : `layer_features f WHERE f.feature_set_id = ?`
  const fromParams = box ? [box[2], box[0], box[3], box[1], set, set, set] : [set]
  const whereSql = where ? ` AND ${where}` : ''
  const params = [...fromParams, ...compiler.params]
  const sortParams: unknown[] = []
  const orderBy = query.sortBy.length
    ? ` ORDER BY ${query.sortBy.map((k) => (sortParams.push(propertyPath(k.property)), `json_extract(f.feature, ?)${k.descending ? ' DESC' : ''}`)).join(', ')}, f.fid`
    : box
      ? ''
      : ' ORDER BY f.fid'
  const page = ` LIMIT ? OFFSET ?`
  const pageParams = (startIndex: number, count: number) => [...params, ...sortParams, Math.max(0, count), Math.max(0, startIndex)]
  const emptyBox = box !== null && (box[0] > box[2] || box[1] > box[3])

  const run = <T>(work: () => T): T => {
    try {
      return work()
    } catch (error) {
      if (error instanceof OwsException) throw error
      // A spatial test failing inside SQLite surfaces as a plain error of the statement.
      if (error instanceof Error && /spatial filter|JTS|TopologyException/.test(error.message)) throw new OwsException('InvalidParameterValue', `Filter: ${error.message}`, 'filter')
      throw error
    }
  }

  return {
    count() {
      if (emptyBox) return 0
      if (box && !where) {
        return (sqlite.prepare('SELECT count(*) AS n FROM layer_feature_index i WHERE i.minx <= ? AND i.maxx >= ? AND i.miny <= ? AND i.maxy >= ? AND i.minset <= ? AND i.maxset >= ?').get(box[2], box[0], box[3], box[1], set, set) as { n: number }).n
      }
      return run(() => (sqlite.prepare(`SELECT count(*) AS n FROM ${from}${whereSql}`).get(...params) as { n: number }).n)
    },
    pageIds(startIndex, count) {
      if (emptyBox || count <= 0) return []
      return run(() => sqlite.prepare(`SELECT f.id FROM ${from}${whereSql}${orderBy}${page}`).pluck().all(...pageParams(startIndex, count)) as number[])
    },
    geoJsonBlob(startIndex, count) {
      if (emptyBox || count <= 0) return { returned: 0, features: null }
      const prefix = `${source.name}.`
      // Stored texts start {"type":"Feature","id":<fid>,"geometry":...: the id is swapped for the
      // WFS one by cutting the text, without parsing it (json_set for any other shape).
      const text = `CASE WHEN substr(f.feature, 1, 23) = '{"type":"Feature","id":' AND instr(substr(f.feature, 1, 64), ',"geometry":') > 0
          THEN '{"type":"Feature","id":"' || ? || f.fid || '"' || substr(f.feature, instr(substr(f.feature, 1, 64), ',"geometry":'))
          ELSE json_set(f.feature, '$.id', ? || f.fid) END`
      const found = run(
        () =>
          sqlite
            .prepare(`SELECT count(*) AS returned, CAST(group_concat(t, ',') AS BLOB) AS features FROM (SELECT ${text} AS t FROM ${from}${whereSql}${orderBy}${page})`)
            .get(prefix, prefix, ...pageParams(startIndex, count)) as { returned: number; features: Buffer | null }
      )
      return found
    },
    release
  }
}

/**
 * The rows of the given ids, in that order, FEATURE_CHUNK per statement: each chunk is read whole
 * before it is handed out, so a consumer may wait on a client between chunks without holding the
 * connection. Rows deleted meanwhile are left out.
 */
export function* featureRowsByIds(sqlite: Sqlite.Database, ids: readonly number[], perChunk = FEATURE_CHUNK): Generator<FeatureRow[]> {
  const read = sqlite.prepare('SELECT f.id, f.fid, f.feature AS text FROM layer_features f WHERE f.id IN (SELECT value FROM json_each(?))')
  for (let at = 0; at < ids.length; at += perChunk) {
    const slice = ids.slice(at, at + perChunk)
    const rows = read.all(JSON.stringify(slice)) as FeatureRow[]
    const byId = new Map(rows.map((r) => [r.id, r]))
    yield slice.map((id) => byId.get(id)).filter((r): r is FeatureRow => r !== undefined)
  }
}

/** Whether an attribute type is numeric (for encoders choosing a column type). */
export function isNumericType(type: string): boolean {
  return NUMERIC.has(type)
}
