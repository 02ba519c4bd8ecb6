import { describe, expect, it } from 'vitest'
import { MAX_CQL_LENGTH, parseCql } from '../../src-main/ows/cql'
import { OwsException } from '../../src-main/ows/exceptions'
import { type Filter, evaluate, parseFilterElement } from '../../src-main/ows/filter'
import { parseXmlElement } from '../../src-main/ows/xml'

const prop = (name: string) => ({ kind: 'property' as const, name })
const lit = (value: string) => ({ kind: 'literal' as const, value })

function refusal(text: string): OwsException {
  try {
    parseCql(text, 'constraint')
  } catch (error) {
    if (error instanceof OwsException) return error
    throw error
  }
  throw new Error(`"${text}" was accepted`)
}

const subject = (properties: Record<string, unknown>) => ({ id: 'f.1', properties, geometry: null })

describe('CQL text to the filter tree', () => {
  it('reads comparisons, with prefixes dropped from property names as Filter Encoding does', () => {
    expect(parseCql("dc:title = 'Rivers'")).toEqual({ op: 'compare', cmp: 'eq', left: prop('title'), right: lit('Rivers'), matchCase: true })
    for (const [op, cmp] of [['<>', 'ne'], ['!=', 'ne'], ['<', 'lt'], ['>', 'gt'], ['<=', 'le'], ['>=', 'ge']] as const) {
      expect(parseCql(`population ${op} 1000`)).toMatchObject({ op: 'compare', cmp, left: prop('population'), right: lit('1000') })
    }
    expect(parseCql('depth > -2.5e1')).toMatchObject({ right: lit('-2.5e1') })
    expect(parseCql("dct:modified >= 2020-01-31T10:00:00Z")).toMatchObject({ left: prop('modified'), right: lit('2020-01-31T10:00:00Z') })
  })

  it('gives the same tree as the Filter Encoding document for the same question', () => {
    const xml = parseXmlElement(`<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:And>
      <ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\\"><ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%water%</ogc:Literal></ogc:PropertyIsLike>
      <ogc:Not><ogc:PropertyIsNull><ogc:PropertyName>abstract</ogc:PropertyName></ogc:PropertyIsNull></ogc:Not>
      <ogc:PropertyIsBetween><ogc:PropertyName>n</ogc:PropertyName><ogc:LowerBoundary><ogc:Literal>1</ogc:Literal></ogc:LowerBoundary><ogc:UpperBoundary><ogc:Literal>5</ogc:Literal></ogc:UpperBoundary></ogc:PropertyIsBetween>
    </ogc:And></ogc:Filter>`)
    expect(parseCql("csw:AnyText LIKE '%water%' AND abstract IS NOT NULL AND n BETWEEN 1 AND 5")).toEqual(parseFilterElement(xml))
  })

  it('reads LIKE, ILIKE, NOT LIKE, IN, NOT IN, IS NULL and feature ids', () => {
    expect(parseCql("name ILIKE 'riv%'")).toMatchObject({ op: 'like', pattern: 'riv%', matchCase: false, wildCard: '%', singleChar: '_' })
    expect(parseCql("name NOT LIKE 'a_'")).toMatchObject({ op: 'not', filter: { op: 'like', pattern: 'a_', matchCase: true } })
    expect(parseCql("kind IN ('a', 'b')")).toEqual({
      op: 'or',
      filters: [
        { op: 'compare', cmp: 'eq', left: prop('kind'), right: lit('a'), matchCase: true },
        { op: 'compare', cmp: 'eq', left: prop('kind'), right: lit('b'), matchCase: true }
      ]
    })
    expect(parseCql("kind NOT IN ('a')")).toMatchObject({ op: 'not', filter: { op: 'compare', cmp: 'eq' } })
    expect(parseCql('x IS NULL')).toEqual({ op: 'null', expr: prop('x') })
    expect(parseCql("IN ('towns.1', 'towns.7')")).toEqual({ op: 'ids', ids: ['towns.1', 'towns.7'] })
    expect(parseCql('INCLUDE')).toEqual({ op: 'include' })
    expect(parseCql('exclude')).toEqual({ op: 'exclude' })
  })

  it('binds AND tighter than OR, NOT tighter than AND, and follows parentheses', () => {
    const f = parseCql('a = 1 OR b = 2 AND NOT c = 3')
    expect(f).toMatchObject({ op: 'or', filters: [{ op: 'compare' }, { op: 'and', filters: [{ op: 'compare' }, { op: 'not' }] }] })
    expect(parseCql('(a = 1 OR b = 2) AND c = 3')).toMatchObject({ op: 'and', filters: [{ op: 'or' }, { op: 'compare' }] })
    expect(parseCql('(a + b) * 2 > 10')).toMatchObject({ op: 'compare', left: { kind: 'arithmetic', op: '*', left: { kind: 'arithmetic', op: '+' } } })
    const run = (text: string, props: Record<string, unknown>) => evaluate(parseCql(text), subject(props))
    expect(run('a = 1 OR b = 2 AND c = 3', { a: 1, b: 0, c: 0 })).toBe(true)
    expect(run('(a = 1 OR b = 2) AND c = 3', { a: 1, b: 0, c: 0 })).toBe(false)
    expect(() => run("strToLowerCase(name) = 'douro'", { name: 'Douro' })).toThrow(/not offered/)
    expect(evaluate(parseCql("strToLowerCase(name) = 'douro'"), subject({ name: 'Douro' }), { functions: { strtolowercase: (s) => String(s).toLowerCase() } })).toBe(true)
  })

  it('reads quoted names and strings with doubled quotes', () => {
    expect(parseCql(`"first name" = 'O''Neil'`)).toEqual({ op: 'compare', cmp: 'eq', left: prop('first name'), right: lit("O'Neil"), matchCase: true })
  })

  it('reads BBOX with and without a CRS, and spatial predicates with WKT and ENVELOPE', () => {
    expect(parseCql("BBOX(the_geom, -10, 40.5, 5, 50, 'EPSG:4326')")).toEqual({
      op: 'spatial',
      spatial: 'bbox',
      property: 'the_geom',
      geometry: { geometry: { type: 'Polygon', coordinates: [[[-10, 40.5], [5, 40.5], [5, 50], [-10, 50], [-10, 40.5]]] }, srsName: 'EPSG:4326' }
    })
    expect(parseCql('bbox(ows:BoundingBox, 0, 0, 1, 1)')).toMatchObject({ property: 'BoundingBox', geometry: { srsName: null } })
    expect(parseCql('INTERSECTS(geom, POLYGON((0 0, 1 0, 1 1, 0 1, 0 0)))')).toMatchObject({
      spatial: 'intersects',
      geometry: { geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] } }
    })
    expect(parseCql('WITHIN(geom, ENVELOPE(-10, 10, 50, 40))')).toMatchObject({
      spatial: 'within',
      geometry: { geometry: { type: 'Polygon', coordinates: [[[-10, 40], [10, 40], [10, 50], [-10, 50], [-10, 40]]] } }
    })
    expect(parseCql('DWITHIN(geom, POINT(1 2), 100, meters)')).toMatchObject({ spatial: 'dwithin', distance: 100, units: 'meters', geometry: { geometry: { type: 'Point', coordinates: [1, 2] } } })
    expect(parseCql('CONTAINS(geom, MULTIPOINT((1 2), (3 4))) AND name = 1')).toMatchObject({ op: 'and', filters: [{ spatial: 'contains' }, { op: 'compare' }] })
  })

  it('refuses bad text with the position of the problem', () => {
    expect(refusal("title = 'open")).toMatchObject({ code: 'InvalidParameterValue', locator: 'constraint' })
    expect(refusal("title = 'open").message).toContain('position 9')
    expect(refusal('title = ').message).toMatch(/position 9 \(at the end\)/)
    expect(refusal('a = 1 b = 2').message).toMatch(/unexpected "b" at position 7/)
    expect(refusal('a LIKE 5').message).toContain('quoted pattern')
    expect(refusal('(a = 1').message).toContain('")" expected')
    expect(refusal('BBOX(g, 1, 2, 3)').message).toContain('"," expected')
    expect(refusal('INTERSECTS(g, POLYGON((0 0, 1 1)))').message).toContain('not valid WKT')
    expect(refusal('a = 1 # 2').message).toContain('"#" is not part of CQL at position 7')
  })

  it('refuses text too long, too deep or with too many operators', () => {
    expect(refusal('a = 1 OR '.repeat(MAX_CQL_LENGTH)).message).toContain(`longer than ${MAX_CQL_LENGTH}`)
    expect(refusal(`${'NOT '.repeat(200)}a = 1`).message).toContain('nesting deeper')
    expect(refusal(`${'('.repeat(500)}a = 1${')'.repeat(500)}`).message).toContain('nesting deeper')
    expect(refusal(Array.from({ length: 600 }, (_, i) => `a = ${i}`).join(' OR ')).message).toContain('more than 500 operators')
  })

  it('evaluates as the Filter Encoding tree does', () => {
    const f: Filter = parseCql("name LIKE 'Riv%' AND n BETWEEN 2 AND 4 AND kind IN ('x', 'y') AND gone IS NULL")
    expect(evaluate(f, subject({ name: 'River', n: 3, kind: 'y' }))).toBe(true)
    expect(evaluate(f, subject({ name: 'river', n: 3, kind: 'y' }))).toBe(false)
    expect(evaluate(parseCql("name ILIKE 'riv%'"), subject({ name: 'RIVER' }))).toBe(true)
  })
})
