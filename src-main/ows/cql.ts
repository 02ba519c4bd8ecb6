import type { Geometry } from 'geojson'
import wkx from 'wkx'
import { OwsException } from './exceptions'
import { type ComparisonOp, type Expression, type Filter, MAX_FILTER_NODES, type SpatialOp, propertyName } from './filter'

/**
 * OGC CQL and GeoServer's ECQL as text, parsed to the same tree as Filter Encoding (filter.ts):
 * comparisons, [NOT] LIKE / ILIKE, [NOT] BETWEEN, [NOT] IN, IS [NOT] NULL, AND / OR / NOT with
 * parentheses, arithmetic and functions, INCLUDE / EXCLUDE, feature ids (`IN ('a.1')`), BBOX and
 * the spatial predicates with WKT (or ENVELOPE) geometries, DWITHIN / BEYOND with a distance and
 * units. Property names lose their prefix as in filter.ts (`csw:AnyText` → `AnyText`).
 * A syntax error is an InvalidParameterValue naming the position (1-based) and what was found.
 */

/** Longest CQL text read, and the deepest nesting of parentheses and NOTs. */
export const MAX_CQL_LENGTH = 20_000
const MAX_DEPTH = 64

type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'op' | 'end'

interface Token {
  kind: TokenKind
  text: string
  /** 0-based offset in the input. */
  at: number
}

const OPERATORS = ['<>', '!=', '<=', '>=', '=', '<', '>', '(', ')', ',', '+', '-', '*', '/']
const DATETIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/y
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y
const WORD = /[\p{L}_][\p{L}\p{N}_:.]*/uy

class CqlParser {
  private tokens: Token[] = []
  private index = 0
  private nodes = 0
  private depth = 0

  constructor(
    private readonly text: string,
    private readonly locator: string
  ) {
    this.tokenize()
  }

  fail(message: string, at = this.peek().at): never {
    const near = this.text.slice(at, at + 24)
    throw new OwsException('InvalidParameterValue', `CQL: ${message} at position ${at + 1}${near ? ` (near "${near}")` : ' (at the end)'}.`, this.locator)
  }

  private tokenize(): void {
    const s = this.text
    let i = 0
    while (i < s.length) {
      const ch = s[i]
      if (/\s/.test(ch)) {
        i++
        continue
      }
      if (ch === "'" || ch === '"') {
        let value = ''
        let j = i + 1
        for (;;) {
          if (j >= s.length) this.fail(`a ${ch === "'" ? 'string' : 'quoted name'} is not closed`, i)
          if (s[j] === ch) {
            if (s[j + 1] === ch) {
              value += ch
              j += 2
              continue
            }
            break
          }
          value += s[j++]
        }
        this.tokens.push({ kind: ch === "'" ? 'string' : 'quoted', text: value, at: i })
        i = j + 1
        continue
      }
      for (const pattern of [DATETIME, NUMBER]) pattern.lastIndex = i
      const date = DATETIME.exec(s)
      if (date && date[0].length > 4 && /^\d{4}-/.test(date[0])) {
        this.tokens.push({ kind: 'string', text: date[0], at: i })
        i += date[0].length
        continue
      }
      const number = NUMBER.exec(s)
      if (number) {
        this.tokens.push({ kind: 'number', text: number[0], at: i })
        i += number[0].length
        continue
      }
      WORD.lastIndex = i
      const word = WORD.exec(s)
      if (word) {
        this.tokens.push({ kind: 'word', text: word[0], at: i })
        i += word[0].length
        continue
      }
      const op = OPERATORS.find((o) => s.startsWith(o, i))
      if (!op) this.fail(`"${ch}" is not part of CQL`, i)
      this.tokens.push({ kind: 'op', text: op, at: i })
      i += op.length
    }
    this.tokens.push({ kind: 'end', text: '', at: s.length })
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.index++
    return token
  }

  private isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.kind === 'word' && t.text.toUpperCase() === word
  }

  private isOp(op: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.kind === 'op' && t.text === op
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) this.fail(`"${op}" expected, found ${this.describe(this.peek())}`)
    this.next()
  }

  private expectWord(word: string): void {
    if (!this.isWord(word)) this.fail(`${word} expected, found ${this.describe(this.peek())}`)
    this.next()
  }

  private describe(token: Token): string {
    return token.kind === 'end' ? 'the end of the text' : `"${token.text}"`
  }

  private count(): void {
    if (++this.nodes > MAX_FILTER_NODES) this.fail(`more than ${MAX_FILTER_NODES} operators`)
  }

  private enter<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`)
    try {
      return parse()
    } finally {
      this.depth--
    }
  }

  parseAll(): Filter {
    const filter = this.orFilter()
    if (this.peek().kind !== 'end') this.fail(`unexpected ${this.describe(this.peek())}`)
    return filter
  }

  private orFilter(): Filter {
    return this.joined('OR', () => this.andFilter())
  }

  private andFilter(): Filter {
    return this.joined('AND', () => this.notFilter())
  }

  /** Operands separated by AND (or OR), as one node when there are several. */
  private joined(word: 'AND' | 'OR', operand: () => Filter): Filter {
    const parts = [operand()]
    while (this.isWord(word)) {
      this.next()
      parts.push(operand())
    }
    if (parts.length === 1) return parts[0]
    this.count()
    return { op: word === 'AND' ? 'and' : 'or', filters: parts }
  }

  private notFilter(): Filter {
    if (this.isWord('NOT')) {
      this.next()
      this.count()
      return this.enter(() => ({ op: 'not', filter: this.notFilter() }))
    }
    return this.primary()
  }

  private primary(): Filter {
    if (this.isOp('(')) {
      // A parenthesis opens either a filter or an arithmetic operand ((a + b) > 3): try the filter first.
      const start = this.index
      const nodes = this.nodes
      try {
        this.next()
        const inner = this.enter(() => this.orFilter())
        this.expectOp(')')
        if (!this.startsPredicateTail()) return inner
      } catch (error) {
        if (!(error instanceof OwsException)) throw error
      }
      this.index = start
      this.nodes = nodes
      return this.predicate()
    }
    if (this.isWord('INCLUDE')) {
      this.next()
      return { op: 'include' }
    }
    if (this.isWord('EXCLUDE')) {
      this.next()
      return { op: 'exclude' }
    }
    if (this.isWord('IN') && this.isOp('(', 1)) return this.featureIds()
    const spatial = this.peek().kind === 'word' && this.isOp('(', 1) ? SPATIAL[this.peek().text.toUpperCase()] : undefined
    if (spatial) return this.spatial(spatial)
    return this.predicate()
  }

  private startsPredicateTail(): boolean {
    const t = this.peek()
    if (t.kind === 'op') return ['=', '<>', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/'].includes(t.text)
    return t.kind === 'word' && ['LIKE', 'ILIKE', 'BETWEEN', 'IN', 'IS'].includes(t.text.toUpperCase())
  }

  private featureIds(): Filter {
    this.next()
    this.expectOp('(')
    const ids: string[] = []
    for (;;) {
      const t = this.next()
      if (t.kind !== 'string' && t.kind !== 'number' && t.kind !== 'word') this.fail(`a feature id expected, found ${this.describe(t)}`, t.at)
      ids.push(t.text)
      this.count()
      if (!this.isOp(',')) break
      this.next()
    }
    this.expectOp(')')
    return { op: 'ids', ids }
  }

  private predicate(): Filter {
    const left = this.expression()
    this.count()
    const t = this.peek()
    if (t.kind === 'op' && COMPARISONS[t.text]) {
      this.next()
      return { op: 'compare', cmp: COMPARISONS[t.text], left, right: this.expression(), matchCase: true }
    }
    const negated = this.isWord('NOT')
    if (negated) this.next()
    const filter = this.predicateTail(left, negated)
    return negated ? { op: 'not', filter } : filter
  }

  private predicateTail(left: Expression, negated: boolean): Filter {
    const word = this.peek().kind === 'word' ? this.peek().text.toUpperCase() : ''
    if (word === 'LIKE' || word === 'ILIKE') {
      this.next()
      const pattern = this.next()
      if (pattern.kind !== 'string') this.fail(`a quoted pattern expected after ${word}, found ${this.describe(pattern)}`, pattern.at)
      return { op: 'like', expr: left, pattern: pattern.text, wildCard: '%', singleChar: '_', escape: '\\', matchCase: word === 'LIKE' }
    }
    if (word === 'BETWEEN') {
      this.next()
      const lower = this.expression()
      this.expectWord('AND')
      return { op: 'between', expr: left, lower, upper: this.expression() }
    }
    if (word === 'IN') {
      this.next()
      this.expectOp('(')
      const values = [this.expression()]
      while (this.isOp(',')) {
        this.next()
        values.push(this.expression())
        this.count()
      }
      this.expectOp(')')
      const equals: Filter[] = values.map((right) => ({ op: 'compare', cmp: 'eq', left, right, matchCase: true }))
      return equals.length === 1 ? equals[0] : { op: 'or', filters: equals }
    }
    if (word === 'IS' && !negated) {
      this.next()
      const not = this.isWord('NOT')
      if (not) this.next()
      this.expectWord('NULL')
      return not ? { op: 'not', filter: { op: 'null', expr: left } } : { op: 'null', expr: left }
    }
    return this.fail(`a comparison (=, <>, <, >, <=, >=, LIKE, ILIKE, BETWEEN, IN, IS NULL) expected, found ${this.describe(this.peek())}`)
  }

  private spatial(op: SpatialOp): Filter {
    const name = this.next()
    this.count()
    this.expectOp('(')
    const property = this.propertyArgument()
    this.expectOp(',')
    if (op === 'bbox') {
      const corners = this.numbers(4)
      let srsName: string | null = null
      if (this.isOp(',')) {
        this.next()
        const crs = this.next()
        if (crs.kind !== 'string') this.fail(`a quoted CRS expected in BBOX, found ${this.describe(crs)}`, crs.at)
        srsName = crs.text
      }
      this.expectOp(')')
      const [x0, y0, x1, y1] = corners
      if (x0 > x1 || y0 > y1) this.fail('BBOX needs minx, miny, maxx, maxy with each minimum not above its maximum', name.at)
      const geometry: Geometry = { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] }
      return { op: 'spatial', spatial: 'bbox', property, geometry: { geometry, srsName } }
    }
    const geometry = this.geometry()
    const filter: Filter = { op: 'spatial', spatial: op, property, geometry: { geometry, srsName: null } }
    if (op === 'dwithin' || op === 'beyond') {
      this.expectOp(',')
      const distance = this.signedNumber()
      if (distance < 0) this.fail(`${name.text} needs a distance of at least 0`, name.at)
      this.expectOp(',')
      const units = this.next()
      if (units.kind !== 'word' && units.kind !== 'string') this.fail(`units expected (meters, kilometers, feet, statute miles, nautical miles), found ${this.describe(units)}`, units.at)
      filter.distance = distance
      filter.units = units.text
    }
    this.expectOp(')')
    return filter
  }

  private propertyArgument(): string {
    const t = this.next()
    if (t.kind !== 'word' && t.kind !== 'quoted') this.fail(`a property name expected, found ${this.describe(t)}`, t.at)
    return propertyName(t.text)
  }

  private signedNumber(): number {
    let sign = 1
    if (this.isOp('-') || this.isOp('+')) sign = this.next().text === '-' ? -1 : 1
    const t = this.next()
    if (t.kind !== 'number') this.fail(`a number expected, found ${this.describe(t)}`, t.at)
    return sign * Number(t.text)
  }

  /** `count` comma-separated numbers. */
  private numbers(count: number): number[] {
    const values = [this.signedNumber()]
    while (values.length < count) {
      this.expectOp(',')
      values.push(this.signedNumber())
    }
    return values
  }

  /** A WKT geometry (read by wkx from the text between its keyword and closing parenthesis) or ENVELOPE(w, e, n, s). */
  private geometry(): Geometry {
    const t = this.peek()
    const keyword = t.kind === 'word' ? t.text.toUpperCase() : ''
    if (keyword === 'ENVELOPE') {
      this.next()
      this.expectOp('(')
      const [w, e, n, s] = this.numbers(4)
      this.expectOp(')')
      return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] }
    }
    if (!WKT_TYPES.has(keyword)) this.fail(`a WKT geometry (POINT, LINESTRING, POLYGON, MULTI..., GEOMETRYCOLLECTION) or ENVELOPE expected, found ${this.describe(t)}`)
    const start = t.at
    this.next()
    if (this.isWord('EMPTY')) this.fail('an empty geometry cannot be tested', start)
    let depth = 0
    let end = start
    do {
      const token = this.next()
      if (token.kind === 'end') this.fail('the geometry is not closed', start)
      if (token.kind === 'op' && token.text === '(') depth++
      if (token.kind === 'op' && token.text === ')') depth--
      end = token.at + token.text.length
    } while (depth > 0)
    let geometry: Geometry
    try {
      geometry = wkx.Geometry.parse(this.text.slice(start, end)).toGeoJSON() as Geometry
    } catch (error) {
      return this.fail(`the geometry is not valid WKT (${error instanceof Error ? error.message : String(error)})`, start)
    }
    const problem = shapeProblem(geometry)
    if (problem) this.fail(`the geometry is not valid WKT (${problem})`, start)
    return geometry
  }

  private expression(): Expression {
    return this.enter(() => {
      let left = this.term()
      while (this.isOp('+') || this.isOp('-')) {
        const op = this.next().text as '+' | '-'
        this.count()
        left = { kind: 'arithmetic', op, left, right: this.term() }
      }
      return left
    })
  }

  private term(): Expression {
    let left = this.factor()
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.next().text as '*' | '/'
      this.count()
      left = { kind: 'arithmetic', op, left, right: this.factor() }
    }
    return left
  }

  private factor(): Expression {
    const t = this.peek()
    if (t.kind === 'op' && t.text === '-') {
      this.next()
      const inner = this.factor()
      if (inner.kind === 'literal' && /^[\d.]/.test(inner.value)) return { kind: 'literal', value: `-${inner.value}` }
      return { kind: 'arithmetic', op: '-', left: { kind: 'literal', value: '0' }, right: inner }
    }
    if (t.kind === 'op' && t.text === '(') {
      this.next()
      const inner = this.expression()
      this.expectOp(')')
      return inner
    }
    if (t.kind === 'number' || t.kind === 'string') {
      this.next()
      return { kind: 'literal', value: t.text }
    }
    if (t.kind === 'quoted') {
      this.next()
      return { kind: 'property', name: propertyName(t.text) }
    }
    if (t.kind === 'word') {
      const upper = t.text.toUpperCase()
      if (RESERVED.has(upper)) this.fail(`a value or property expected, found ${this.describe(t)}`)
      this.next()
      if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'literal', value: upper.toLowerCase() }
      if (this.isOp('(')) {
        this.next()
        const args: Expression[] = []
        if (!this.isOp(')')) {
          args.push(this.expression())
          while (this.isOp(',')) {
            this.next()
            args.push(this.expression())
          }
        }
        this.expectOp(')')
        this.count()
        return { kind: 'function', name: t.text, args }
      }
      return { kind: 'property', name: propertyName(t.text) }
    }
    return this.fail(`a value or property expected, found ${this.describe(t)}`)
  }
}

/** What makes a parsed geometry unusable: lines of one position, rings that are short or open. */
function shapeProblem(g: Geometry): string | null {
  const ring = (r: number[][]) =>
    r.length < 4 ? `a ring of ${r.length} positions (at least 4)` : r[0][0] !== r[r.length - 1][0] || r[0][1] !== r[r.length - 1][1] ? 'a ring that is not closed' : null
  const line = (l: number[][]) => (l.length < 2 ? `a line of ${l.length} position` : null)
  switch (g.type) {
    case 'LineString':
      return line(g.coordinates)
    case 'MultiLineString':
      return g.coordinates.map(line).find(Boolean) ?? null
    case 'Polygon':
      return g.coordinates.map(ring).find(Boolean) ?? null
    case 'MultiPolygon':
      return g.coordinates.flatMap((p) => p.map(ring)).find(Boolean) ?? null
    case 'GeometryCollection':
      return g.geometries.map(shapeProblem).find(Boolean) ?? null
    default:
      return null
  }
}

const COMPARISONS: Record<string, ComparisonOp> = { '=': 'eq', '<>': 'ne', '!=': 'ne', '<': 'lt', '>': 'gt', '<=': 'le', '>=': 'ge' }

const SPATIAL: Record<string, SpatialOp> = {
  BBOX: 'bbox',
  INTERSECTS: 'intersects',
  WITHIN: 'within',
  CONTAINS: 'contains',
  DISJOINT: 'disjoint',
  TOUCHES: 'touches',
  CROSSES: 'crosses',
  OVERLAPS: 'overlaps',
  EQUALS: 'equals',
  DWITHIN: 'dwithin',
  BEYOND: 'beyond'
}

const WKT_TYPES = new Set(['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION'])
const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'BETWEEN', 'IN', 'IS', 'NULL', 'INCLUDE', 'EXCLUDE'])

/**
 * Parses CQL / ECQL text to a filter tree. `locator` names the parameter in refusals
 * (`constraint` for CSW, `cql_filter` for WMS and WFS).
 */
export function parseCql(text: string, locator = 'cql_filter'): Filter {
  if (text.length > MAX_CQL_LENGTH) throw new OwsException('InvalidParameterValue', `CQL: the filter is longer than ${MAX_CQL_LENGTH} characters.`, locator)
  if (text.trim() === '') throw new OwsException('InvalidParameterValue', 'CQL: the filter is empty.', locator)
  return new CqlParser(text, locator).parseAll()
}
