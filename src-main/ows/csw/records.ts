import type { Geometry } from 'geojson'
import { normaliseDatetime } from '../../query/drest.kysely'
import { parseDrestQuery } from '../../query/drest.parse'
import { parseCrs } from '../crs'
import { OwsException } from '../exceptions'
import { type Expression, type Filter, evaluate, propertiesOf } from '../filter'
import { swapAxes } from '../gml'
import type { OwsContext } from '../types'

/**
 * The catalogue as CSW searches it: every resource the caller may see through /api/v2/resources
 * (the resource service decides), with the queryables GeoNode's pycsw offers read from the same
 * columns the API serves. AnyText is the text the API's free-text search indexes (title, abstract,
 * purpose, keywords, regions, category).
 */
export interface CatalogueEntry {
  id: number
  uuid: string
  resourceType: string
  title: string
  abstract: string
  date: string
  created: string
  lastUpdated: string
  language: string
  alternate: string | null
  srid: string
  category: string | null
  keywords: string[]
  owner: string
  anyText: string
  /** EPSG:4326 lon/lat. */
  bbox: [number, number, number, number] | null
}

/** dc:type of each resource type: GeoNode's csw_type where it has one, ISO 19115-1 scope codes beside. */
export const RECORD_TYPES: Record<string, string> = {
  layer: 'dataset',
  document: 'document',
  map: 'map',
  geoapp: 'application',
  geostory: 'application',
  dashboard: 'application'
}

export const recordType = (resourceType: string) => RECORD_TYPES[resourceType] ?? 'dataset'

interface EntryRow {
  id: number
  uuid: string
  resource_type: string
  title: string
  abstract: string
  date: string
  created: string
  last_updated: string
  language: string
  alternate: string | null
  srid: string
  category: string | null
  keywords: string | null
  owner: string | null
  any_text: string | null
  ll_minx: number | null
  ll_miny: number | null
  ll_maxx: number | null
  ll_maxy: number | null
}

const SEPARATOR = '\u001f'

/** The entries the caller may see, in one statement read whole (the connection is never held). */
export async function visibleEntries(ctx: OwsContext): Promise<CatalogueEntry[]> {
  const ids = await ctx.services.resources.matchingIds('resources', ctx.caller, parseDrestQuery({}))
  if (ids.length === 0) return []
  const rows = ctx.sqlite
    .prepare(
      `SELECT r.id, r.uuid, r.resource_type, r.title, r.abstract, r.date, r.created, r.last_updated, r.language, r.alternate, r.srid,
         r.ll_minx, r.ll_miny, r.ll_maxx, r.ll_maxy,
         (SELECT c.identifier FROM topic_categories c WHERE c.id = r.category_id) AS category,
         (SELECT group_concat(k.name, char(31)) FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = r.id) AS keywords,
         (SELECT u.username FROM users u WHERE u.id = r.owner_id) AS owner,
         (SELECT s.title || ' ' || s.abstract || ' ' || s.purpose || ' ' || s.keywords || ' ' || s.regions || ' ' || s.category FROM resource_search s WHERE s.rowid = r.id) AS any_text
       FROM resources r WHERE r.id IN (SELECT value FROM json_each(?))`
    )
    .all(JSON.stringify(ids)) as EntryRow[]
  return rows.map((r) => ({
    id: r.id,
    uuid: r.uuid,
    resourceType: r.resource_type,
    title: r.title,
    abstract: r.abstract,
    date: r.date,
    created: r.created,
    lastUpdated: r.last_updated,
    language: r.language,
    alternate: r.alternate,
    srid: r.srid,
    category: r.category,
    keywords: r.keywords ? r.keywords.split(SEPARATOR) : [],
    owner: r.owner ?? '',
    anyText: r.any_text ?? `${r.title} ${r.abstract}`,
    bbox: [r.ll_minx, r.ll_miny, r.ll_maxx, r.ll_maxy].every((v) => v !== null && Number.isFinite(v)) ? [r.ll_minx!, r.ll_miny!, r.ll_maxx!, r.ll_maxy!] : null
  }))
}

type Value = string | number | null | string[]

/** The queryables, by lower-case local name (Dublin Core, dct, csw and ISO/apiso names alike). */
const QUERYABLES: Record<string, (e: CatalogueEntry) => Value> = {
  anytext: (e) => e.anyText,
  title: (e) => e.title,
  abstract: (e) => e.abstract,
  description: (e) => e.abstract,
  subject: (e) => [...e.keywords, ...(e.category ? [e.category] : [])],
  keywords: (e) => e.keywords,
  topiccategory: (e) => e.category,
  type: (e) => recordType(e.resourceType),
  identifier: (e) => e.uuid,
  modified: (e) => e.date,
  date: (e) => e.date,
  revisiondate: (e) => e.date,
  creationdate: (e) => e.created,
  publicationdate: (e) => e.date,
  language: (e) => e.language,
  resourcelanguage: (e) => e.language,
  alternatetitle: (e) => e.alternate,
  crs: (e) => e.srid,
  creator: (e) => e.owner,
  format: (e) => (e.resourceType === 'layer' ? 'OGC:WMS' : null)
}

const DATES = new Set(['modified', 'date', 'revisiondate', 'creationdate', 'publicationdate'])
const SPATIAL_NAMES = new Set(['boundingbox', 'envelope', 'spatial', 'geometry'])

/** The queryable names offered (for capabilities and refusals). */
export const QUERYABLE_NAMES = Object.keys(QUERYABLES)

function queryable(name: string): (e: CatalogueEntry) => Value {
  const get = QUERYABLES[name.toLowerCase()]
  if (!get) {
    throw new OwsException('InvalidParameterValue', `Constraint: ${name} is not a queryable here (AnyText, Title, Abstract, Subject, Type, Identifier, Modified, BoundingBox, ...).`, 'constraint')
  }
  return get
}

/**
 * Prepares a constraint for evaluation: unknown queryables are refused before any record is read,
 * LIKE matches text without regard to case (as GeoNode's catalogue search does), AnyText LIKE
 * without wildcards matches the words anywhere (as a full-text search), and date literals are
 * compared in the stored form.
 */
function prepare(filter: Filter): Filter {
  for (const name of propertiesOf(filter)) if (!SPATIAL_NAMES.has(name.toLowerCase())) queryable(name)
  const dateLiteral = (e: Expression): Expression => (e.kind === 'literal' ? { kind: 'literal', value: normaliseDatetime(e.value) ?? e.value } : e)
  const isDate = (e: Expression) => e.kind === 'property' && DATES.has(e.name.toLowerCase())
  const walk = (f: Filter): Filter => {
    switch (f.op) {
      case 'and':
      case 'or':
        return { ...f, filters: f.filters.map(walk) }
      case 'not':
        return { ...f, filter: walk(f.filter) }
      case 'like': {
        const anyText = f.expr.kind === 'property' && f.expr.name.toLowerCase() === 'anytext'
        const bare = !f.pattern.includes(f.wildCard) && !f.pattern.includes(f.singleChar)
        return { ...f, matchCase: false, pattern: anyText && bare ? `${f.wildCard}${f.pattern}${f.wildCard}` : f.pattern }
      }
      case 'compare':
        return isDate(f.left) ? { ...f, right: dateLiteral(f.right) } : isDate(f.right) ? { ...f, left: dateLiteral(f.left) } : f
      case 'between':
        return isDate(f.expr) ? { ...f, lower: dateLiteral(f.lower), upper: dateLiteral(f.upper) } : f
      case 'spatial':
        if (f.property && !SPATIAL_NAMES.has(f.property.toLowerCase())) {
          throw new OwsException('InvalidParameterValue', `Constraint: ${f.property} is not a spatial queryable (BoundingBox).`, 'constraint')
        }
        return f
      default:
        return f
    }
  }
  return walk(filter)
}

/** The property one leaf of the tree reads (comparisons, LIKE, BETWEEN, NULL), when there is one. */
function leafProperty(f: Filter): string | null {
  const of = (e: Expression) => (e.kind === 'property' ? e.name : null)
  switch (f.op) {
    case 'compare':
      return of(f.left) ?? of(f.right)
    case 'like':
    case 'between':
    case 'null':
      return of(f.expr)
    default:
      return null
  }
}

type Box = [number, number, number, number]

function boxOf(geometry: Geometry): Box {
  const xs: number[] = []
  const ys: number[] = []
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      xs.push(c[0])
      ys.push(c[1] as number)
    } else if (Array.isArray(c)) c.forEach(walk)
  }
  const visit = (g: Geometry): void => (g.type === 'GeometryCollection' ? g.geometries.forEach(visit) : walk(g.coordinates))
  visit(geometry)
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

/**
 * A spatial constraint as a test on a record's lon/lat extent: the constraint's geometry is read
 * in the axis order of its srsName (urn:ogc:def:crs:EPSG::4326 is latitude first, as QGIS's
 * MetaSearch sends it; no srsName is longitude first) and compared as a box.
 */
function spatialTest(f: Extract<Filter, { op: 'spatial' }>): (e: CatalogueEntry) => boolean {
  let geometry = f.geometry.geometry
  if (f.geometry.srsName) {
    const crs = parseCrs(f.geometry.srsName, 'constraint', { plainIsNorthFirst: false })
    if (crs.epsg !== 4326) throw new OwsException('InvalidParameterValue', `Constraint: spatial constraints are read in EPSG:4326 (lon/lat); ${crs.name} is not.`, 'constraint')
    if (crs.northFirst) geometry = swapAxes(geometry)
  }
  const [x0, y0, x1, y1] = boxOf(geometry)
  const overlaps = (b: Box) => b[0] <= x1 && b[2] >= x0 && b[1] <= y1 && b[3] >= y0
  const inside = (b: Box, outer: Box) => b[0] >= outer[0] && b[2] <= outer[2] && b[1] >= outer[1] && b[3] <= outer[3]
  const box: Box = [x0, y0, x1, y1]
  return (e) => {
    if (!e.bbox) return false
    switch (f.spatial) {
      case 'bbox':
      case 'intersects':
      case 'overlaps':
        return overlaps(e.bbox)
      case 'disjoint':
        return !overlaps(e.bbox)
      case 'within':
        return inside(e.bbox, box)
      case 'contains':
        return inside(box, e.bbox)
      case 'equals':
        return e.bbox.every((v, i) => Math.abs(v - box[i]) < 1e-9)
      default:
        throw new OwsException('OperationNotSupported', `Constraint: ${f.spatial} is not offered on records (BBOX, Intersects, Within, Contains, Disjoint, Overlaps, Equals).`, 'constraint')
    }
  }
}

/**
 * A constraint as a test on entries. Leaves go to the shared evaluator, once per value of a
 * multi-valued queryable (Subject matches when any keyword does); spatial operators test extents.
 */
export function matcher(constraint: Filter | null): (e: CatalogueEntry) => boolean {
  if (!constraint) return () => true
  const prepared = prepare(constraint)
  const spatial = new Map<Filter, (e: CatalogueEntry) => boolean>()
  const run = (f: Filter, e: CatalogueEntry): boolean => {
    switch (f.op) {
      case 'and':
        return f.filters.every((g) => run(g, e))
      case 'or':
        return f.filters.some((g) => run(g, e))
      case 'not':
        return !run(f.filter, e)
      case 'ids':
        return f.ids.includes(e.uuid)
      case 'spatial': {
        let test = spatial.get(f)
        if (!test) spatial.set(f, (test = spatialTest(f)))
        return test(e)
      }
      case 'include':
        return true
      case 'exclude':
        return false
      default: {
        const name = leafProperty(f)
        const value = name ? queryable(name)(e) : null
        const values = Array.isArray(value) ? (value.length ? value : [null]) : [value]
        return values.some((v) => evaluate(f, { id: e.uuid, properties: name ? { [name]: v } : {}, geometry: null }))
      }
    }
  }
  return (e) => run(prepared, e)
}

export interface SortKey {
  name: string
  desc: boolean
}

/** Orders entries by the sort keys (then newest first, as the API lists), refusing unknown names. */
export function sorter(keys: SortKey[]): (a: CatalogueEntry, b: CatalogueEntry) => number {
  const getters = keys.map((k) => ({ get: queryable(k.name), desc: k.desc }))
  const text = (v: Value) => (Array.isArray(v) ? v.join(' ') : v === null ? '' : String(v))
  return (a, b) => {
    for (const { get, desc } of getters) {
      const x = text(get(a)).toLowerCase()
      const y = text(get(b)).toLowerCase()
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1)
    }
    return a.lastUpdated === b.lastUpdated ? b.id - a.id : a.lastUpdated < b.lastUpdated ? 1 : -1
  }
}

/** A lon/lat box written in the axis order of urn:x-ogc:def:crs:EPSG:6.11:4326 (latitude first), as pycsw writes it. */
export function latLonCorners(bbox: Box): { lower: string; upper: string } {
  return { lower: `${bbox[1]} ${bbox[0]}`, upper: `${bbox[3]} ${bbox[2]}` }
}
