import type { Geometry } from 'geojson'
import { OwsException } from './exceptions'
import { type GmlGeometry, isGmlGeometry, readGmlGeometry } from './gml'
import type { XmlElement } from './xml'

/**
 * OGC Filter Encoding (FES 1.0/1.1 in the `ogc:` namespace, FES 2.0 in `fes:`) as one syntax tree,
 * shared by WFS queries, SLD rules and CSW constraints (CQL text parses to the same tree). Parsing
 * knows nothing of layers: property names are checked by whoever runs the filter.
 */
export type Expression =
  | { kind: 'property'; name: string }
  | { kind: 'literal'; value: string }
  | { kind: 'function'; name: string; args: Expression[] }
  | { kind: 'arithmetic'; op: '+' | '-' | '*' | '/'; left: Expression; right: Expression }

export type ComparisonOp = 'eq' | 'ne' | 'lt' | 'gt' | 'le' | 'ge'
export type SpatialOp = 'bbox' | 'intersects' | 'within' | 'contains' | 'disjoint' | 'touches' | 'crosses' | 'overlaps' | 'equals' | 'dwithin' | 'beyond'

export type Filter =
  | { op: 'and' | 'or'; filters: Filter[] }
  | { op: 'not'; filter: Filter }
  | { op: 'compare'; cmp: ComparisonOp; left: Expression; right: Expression; matchCase: boolean }
  | { op: 'like'; expr: Expression; pattern: string; wildCard: string; singleChar: string; escape: string; matchCase: boolean }
  | { op: 'between'; expr: Expression; lower: Expression; upper: Expression }
  | { op: 'null'; expr: Expression }
  | { op: 'ids'; ids: string[] }
  | { op: 'spatial'; spatial: SpatialOp; property: string | null; geometry: GmlGeometry; distance?: number; units?: string }
  | { op: 'include' }
  | { op: 'exclude' }

/** Bounds on what one filter may hold: it becomes one SQL expression or one evaluation per row. */
export const MAX_FILTER_NODES = 500

function invalid(message: string): OwsException {
  return new OwsException('InvalidParameterValue', `Filter: ${message}`, 'filter')
}

const COMPARISONS: Record<string, ComparisonOp> = {
  PropertyIsEqualTo: 'eq',
  PropertyIsNotEqualTo: 'ne',
  PropertyIsLessThan: 'lt',
  PropertyIsGreaterThan: 'gt',
  PropertyIsLessThanOrEqualTo: 'le',
  PropertyIsGreaterThanOrEqualTo: 'ge'
}

const SPATIAL: Record<string, SpatialOp> = {
  BBOX: 'bbox',
  Intersects: 'intersects',
  Within: 'within',
  Contains: 'contains',
  Disjoint: 'disjoint',
  Touches: 'touches',
  Crosses: 'crosses',
  Overlaps: 'overlaps',
  Equals: 'equals',
  DWithin: 'dwithin',
  Beyond: 'beyond'
}

const ARITHMETIC: Record<string, '+' | '-' | '*' | '/'> = { Add: '+', Sub: '-', Mul: '*', Div: '/' }

/** A property name as written (`geonode:name`, `name`, an XPath `feature/name`): its last step, without prefix. */
export function propertyName(raw: string): string {
  const last = raw.trim().split('/').pop() ?? ''
  const colon = last.indexOf(':')
  return colon < 0 ? last : last.slice(colon + 1)
}

/** Reads one expression element (PropertyName, ValueReference, Literal, Function, Add/Sub/Mul/Div): SLD parameters hold these too. */
export function parseExpression(element: XmlElement): Expression {
  return expression(element)
}

function expression(element: XmlElement): Expression {
  if (element.name === 'PropertyName' || element.name === 'ValueReference') {
    if (!element.text) throw invalid(`an empty <${element.name}>`)
    return { kind: 'property', name: propertyName(element.text) }
  }
  if (element.name === 'Literal') return { kind: 'literal', value: element.text }
  if (element.name === 'Function') {
    const name = element.attrs.name
    if (!name) throw invalid('a <Function> without a name')
    return { kind: 'function', name, args: element.children.map(expression) }
  }
  const op = ARITHMETIC[element.name]
  if (op) {
    if (element.children.length !== 2) throw invalid(`<${element.name}> needs two operands`)
    return { kind: 'arithmetic', op, left: expression(element.children[0]), right: expression(element.children[1]) }
  }
  throw invalid(`<${element.name}> is not an expression`)
}

function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value !== 'false' && value !== '0'
}

function parseNode(element: XmlElement, count: { nodes: number }): Filter {
  if (++count.nodes > MAX_FILTER_NODES) throw invalid(`more than ${MAX_FILTER_NODES} operators`)
  const { name, children } = element
  if (name === 'Filter') {
    const ids = children.filter((c) => c.name === 'FeatureId' || c.name === 'GmlObjectId' || c.name === 'ResourceId')
    if (ids.length > 0) return { op: 'ids', ids: ids.map((c) => c.attrs.fid ?? c.attrs.rid ?? c.attrs['gml:id'] ?? Object.values(c.attrs)[0] ?? '') }
    if (children.length !== 1) throw invalid(children.length === 0 ? 'an empty <Filter>' : '<Filter> holds more than one operator (combine them with <And> or <Or>)')
    return parseNode(children[0], count)
  }
  if (name === 'And' || name === 'Or') {
    if (children.length < 2) throw invalid(`<${name}> needs at least two operands`)
    return { op: name === 'And' ? 'and' : 'or', filters: children.map((c) => parseNode(c, count)) }
  }
  if (name === 'Not') {
    if (children.length !== 1) throw invalid('<Not> needs exactly one operand')
    return { op: 'not', filter: parseNode(children[0], count) }
  }
  const cmp = COMPARISONS[name]
  if (cmp) {
    if (children.length !== 2) throw invalid(`<${name}> needs two operands`)
    return { op: 'compare', cmp, left: expression(children[0]), right: expression(children[1]), matchCase: flag(element.attrs.matchCase, true) }
  }
  if (name === 'PropertyIsLike') {
    const [expr, literal] = children
    if (!expr || !literal) throw invalid('<PropertyIsLike> needs a property and a pattern')
    return {
      op: 'like',
      expr: expression(expr),
      pattern: literal.text,
      wildCard: element.attrs.wildCard ?? '*',
      singleChar: element.attrs.singleChar ?? '.',
      escape: element.attrs.escapeChar ?? element.attrs.escape ?? '!',
      matchCase: flag(element.attrs.matchCase, true)
    }
  }
  if (name === 'PropertyIsBetween') {
    const lower = children.find((c) => c.name === 'LowerBoundary')?.children[0]
    const upper = children.find((c) => c.name === 'UpperBoundary')?.children[0]
    if (!children[0] || !lower || !upper) throw invalid('<PropertyIsBetween> needs an expression, a LowerBoundary and an UpperBoundary')
    return { op: 'between', expr: expression(children[0]), lower: expression(lower), upper: expression(upper) }
  }
  if (name === 'PropertyIsNull' || name === 'PropertyIsNil') {
    if (!children[0]) throw invalid(`<${name}> needs a property`)
    return { op: 'null', expr: expression(children[0]) }
  }
  const spatial = SPATIAL[name]
  if (spatial) {
    const property = children.find((c) => c.name === 'PropertyName' || c.name === 'ValueReference')
    const shape = children.find(isGmlGeometry)
    if (!shape) throw invalid(`<${name}> needs a GML geometry or envelope`)
    const filter: Filter = { op: 'spatial', spatial, property: property?.text ? propertyName(property.text) : null, geometry: readGmlGeometry(shape) }
    if (spatial === 'dwithin' || spatial === 'beyond') {
      const distance = children.find((c) => c.name === 'Distance')
      const value = Number(distance?.text)
      if (!distance || !Number.isFinite(value) || value < 0) throw invalid(`<${name}> needs a non-negative <Distance>`)
      filter.distance = value
      filter.units = distance.attrs.units ?? distance.attrs.uom
    }
    return filter
  }
  if (name === 'FeatureId' || name === 'GmlObjectId' || name === 'ResourceId') {
    return { op: 'ids', ids: [element.attrs.fid ?? element.attrs.rid ?? Object.values(element.attrs)[0] ?? ''] }
  }
  throw new OwsException('OperationNotSupported', `Filter: <${name}> is not a filter operator this server knows.`, 'filter')
}

/** Reads an ogc:Filter or fes:Filter element (or one operator). */
export function parseFilterElement(element: XmlElement): Filter {
  return parseNode(element, { nodes: 0 })
}

/** Every property a filter names (to check them against a layer's attributes before running it). */
export function propertiesOf(filter: Filter): string[] {
  const names = new Set<string>()
  const fromExpr = (e: Expression): void => {
    if (e.kind === 'property') names.add(e.name)
    else if (e.kind === 'function') e.args.forEach(fromExpr)
    else if (e.kind === 'arithmetic') {
      fromExpr(e.left)
      fromExpr(e.right)
    }
  }
  const walk = (f: Filter): void => {
    switch (f.op) {
      case 'and':
      case 'or':
        return f.filters.forEach(walk)
      case 'not':
        return walk(f.filter)
      case 'compare':
        fromExpr(f.left)
        return fromExpr(f.right)
      case 'like':
      case 'null':
        return fromExpr(f.expr)
      case 'between':
        ;[f.expr, f.lower, f.upper].forEach(fromExpr)
        return
      case 'spatial':
        if (f.property) names.add(f.property)
        return
      default:
        return
    }
  }
  walk(filter)
  return [...names]
}

/** A feature as a filter sees it. */
export interface FilterSubject {
  id: string
  properties: Record<string, unknown>
  geometry: Geometry | null
}

/** Spatial predicates are supplied by the caller, in the CRS the filter's geometry was carried into. */
export type SpatialTest = (op: SpatialOp, feature: Geometry, shape: Geometry, distance?: number) => boolean

/** Functions an expression may call (`strToLowerCase`, `area`...), supplied by the caller. */
export type FilterFunctions = Record<string, (...args: unknown[]) => unknown>

function value(expr: Expression, subject: FilterSubject, functions: FilterFunctions): unknown {
  switch (expr.kind) {
    case 'property':
      return expr.name in subject.properties ? subject.properties[expr.name] : undefined
    case 'literal':
      return expr.value
    case 'function': {
      const fn = functions[expr.name] ?? functions[expr.name.toLowerCase()]
      if (!fn) throw new OwsException('OperationNotSupported', `Filter: the function ${expr.name} is not offered.`, 'filter')
      return fn(...expr.args.map((a) => value(a, subject, functions)))
    }
    case 'arithmetic': {
      const a = Number(value(expr.left, subject, functions))
      const b = Number(value(expr.right, subject, functions))
      return expr.op === '+' ? a + b : expr.op === '-' ? a - b : expr.op === '*' ? a * b : a / b
    }
  }
}

/** The value of an expression for one feature (SLD parameters and labels taken from attributes). */
export function expressionValue(expr: Expression, subject: FilterSubject, functions: FilterFunctions = {}): unknown {
  return value(expr, subject, functions)
}

/** Compares as numbers when both sides read as numbers, else as strings (as GeoServer's converters do). */
function compare(a: unknown, b: unknown, matchCase: boolean): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const bool = (v: unknown) => (typeof v === 'boolean' ? v : String(v).toLowerCase() === 'true' || String(v) === '1')
    return Number(bool(a)) - Number(bool(b))
  }
  const x = Number(a)
  const y = Number(b)
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y
  const s = matchCase ? String(a) : String(a).toLowerCase()
  const t = matchCase ? String(b) : String(b).toLowerCase()
  return s < t ? -1 : s > t ? 1 : 0
}

/**
 * A LIKE pattern as a test that runs in at most (text length x pattern length) steps: the pattern
 * is cut at its multi-character wildcards into segments (literals and single-character wildcards),
 * each found at its leftmost place after the previous one; the first is anchored at the start and
 * the last at the end unless a wildcard stands there. No regular expression is built from user
 * input, so nothing can backtrack.
 */
export function likeMatcher(f: Extract<Filter, { op: 'like' }>): (text: string) => boolean {
  // A segment is a list of characters, null standing for "any one character".
  const segments: (string | null)[][] = [[]]
  for (let i = 0; i < f.pattern.length; i++) {
    const ch = f.pattern[i]
    if (ch === f.escape && i + 1 < f.pattern.length) segments[segments.length - 1].push(f.matchCase ? f.pattern[++i] : f.pattern[++i].toLowerCase())
    else if (ch === f.wildCard) segments.push([])
    else if (ch === f.singleChar) segments[segments.length - 1].push(null)
    else segments[segments.length - 1].push(f.matchCase ? ch : ch.toLowerCase())
  }
  const fitsAt = (s: string, segment: (string | null)[], at: number) => {
    if (at + segment.length > s.length) return false
    for (let k = 0; k < segment.length; k++) if (segment[k] !== null && s[at + k] !== segment[k]) return false
    return true
  }
  return (raw: string) => {
    const s = f.matchCase ? raw : raw.toLowerCase()
    const first = segments[0]
    const last = segments[segments.length - 1]
    if (segments.length === 1) return s.length === first.length && fitsAt(s, first, 0)
    if (!fitsAt(s, first, 0)) return false
    let at = first.length
    for (let k = 1; k < segments.length - 1; k++) {
      const segment = segments[k]
      let found = -1
      for (let p = at; p + segment.length <= s.length; p++) {
        if (fitsAt(s, segment, p)) {
          found = p
          break
        }
      }
      if (found < 0) return false
      at = found + segment.length
    }
    const start = s.length - last.length
    return start >= at && fitsAt(s, last, start)
  }
}

/**
 * Evaluates a filter on one feature. Comparisons with a missing or null value are false (as SQL's
 * are); `spatial` decides spatial operators; `functions` provides filter functions.
 */
export function evaluate(filter: Filter, subject: FilterSubject, options: { spatial?: SpatialTest; functions?: FilterFunctions } = {}): boolean {
  const functions = options.functions ?? {}
  const likes = new WeakMap<object, (t: string) => boolean>()
  const run = (f: Filter): boolean => {
    switch (f.op) {
      case 'include':
        return true
      case 'exclude':
        return false
      case 'and':
        return f.filters.every(run)
      case 'or':
        return f.filters.some(run)
      case 'not':
        return !run(f.filter)
      case 'ids':
        return f.ids.includes(subject.id)
      case 'null': {
        const v = value(f.expr, subject, functions)
        return v === null || v === undefined
      }
      case 'compare': {
        const c = compare(value(f.left, subject, functions), value(f.right, subject, functions), f.matchCase)
        if (c === null) return f.cmp === 'ne' ? false : false
        switch (f.cmp) {
          case 'eq':
            return c === 0
          case 'ne':
            return c !== 0
          case 'lt':
            return c < 0
          case 'gt':
            return c > 0
          case 'le':
            return c <= 0
          case 'ge':
            return c >= 0
        }
        return false
      }
      case 'between': {
        const v = value(f.expr, subject, functions)
        const lo = compare(v, value(f.lower, subject, functions), true)
        const hi = compare(v, value(f.upper, subject, functions), true)
        return lo !== null && hi !== null && lo >= 0 && hi <= 0
      }
      case 'like': {
        const v = value(f.expr, subject, functions)
        if (v === null || v === undefined) return false
        let matcher = likes.get(f)
        if (!matcher) {
          matcher = likeMatcher(f)
          likes.set(f, matcher)
        }
        return matcher(String(v))
      }
      case 'spatial': {
        if (!subject.geometry) return false
        if (!options.spatial) throw new OwsException('OperationNotSupported', 'Filter: spatial operators are not offered here.', 'filter')
        return options.spatial(f.spatial, subject.geometry, f.geometry.geometry, f.distance)
      }
    }
  }
  return run(filter)
}

/**
 * The evaluator's comparison of two values (numbers as numbers when both read as numbers, else
 * strings; null when either is missing), for code that runs filters elsewhere (in SQL) and must
 * decide exactly as `evaluate` does.
 */
export const compareFilterValues = compare
