import { describe, expect, it } from 'vitest'
import { type Filter, evaluate, likeMatcher, parseFilterElement, propertiesOf } from '../../src-main/ows/filter'
import { readGmlGeometry } from '../../src-main/ows/gml'
import { parseXmlElement } from '../../src-main/ows/xml'

const like = (pattern: string, matchCase = true) =>
  likeMatcher({ op: 'like', expr: { kind: 'property', name: 'x' }, pattern, wildCard: '%', singleChar: '_', escape: '\\', matchCase })

/** The LIKE semantics as a (backtracking, test-only) regular expression, to compare against. */
function reference(pattern: string, text: string): boolean {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    else if (ch === '%') re += '[\\s\\S]*'
    else if (ch === '_') re += '[\\s\\S]'
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`).test(text)
}

describe('PropertyIsLike', () => {
  it('agrees with the textbook semantics on every pattern and text of a small alphabet', () => {
    const alphabet = ['a', 'b', '%', '_']
    const patterns: string[] = ['']
    for (let n = 0; n < 4; n++) for (const p of [...patterns]) for (const c of alphabet) patterns.push(p + c)
    const texts: string[] = ['']
    for (let n = 0; n < 5; n++) for (const t of [...texts]) for (const c of ['a', 'b']) texts.push(t + c)
    for (const p of new Set(patterns)) for (const t of new Set(texts)) expect(like(p)(t), `${p} ~ ${t}`).toBe(reference(p, t))
  })

  it('honours escapes and case', () => {
    expect(like('100\\%')('100%')).toBe(true)
    expect(like('100\\%')('1000')).toBe(false)
    expect(like('riv%', false)('River Douro')).toBe(true)
    expect(like('riv%')('River Douro')).toBe(false)
  })

  it('runs in polynomial time on patterns that make backtracking engines explode', () => {
    const started = Date.now()
    expect(like('%a%a%a%a%a%a%a%a%a%a%a%a%b')('a'.repeat(5000))).toBe(false)
    expect(Date.now() - started).toBeLessThan(500)
  })
})

describe('Filter Encoding', () => {
  const parse = (xml: string) => parseFilterElement(parseXmlElement(xml))
  const feature = { id: 'rivers.3', properties: { name: 'Douro', length: 897, tags: null }, geometry: null }

  it('reads FES 1.1 and 2.0 into the same tree, and evaluates it', () => {
    const v11 = parse(`<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:And>
      <ogc:PropertyIsGreaterThan><ogc:PropertyName>geonode:length</ogc:PropertyName><ogc:Literal>500</ogc:Literal></ogc:PropertyIsGreaterThan>
      <ogc:PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false"><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>d*</ogc:Literal></ogc:PropertyIsLike>
    </ogc:And></ogc:Filter>`)
    const v20 = parse(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:And>
      <fes:PropertyIsGreaterThan><fes:ValueReference>length</fes:ValueReference><fes:Literal>500</fes:Literal></fes:PropertyIsGreaterThan>
      <fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false"><fes:ValueReference>name</fes:ValueReference><fes:Literal>d*</fes:Literal></fes:PropertyIsLike>
    </fes:And></fes:Filter>`)
    expect(v20).toEqual(v11)
    expect(propertiesOf(v11).sort()).toEqual(['length', 'name'])
    expect(evaluate(v11, feature)).toBe(true)
    expect(evaluate(v11, { ...feature, properties: { ...feature.properties, length: 100 } })).toBe(false)
  })

  it('compares numbers as numbers and strings as strings; null values match only PropertyIsNull', () => {
    const cmp = (op: string, prop: string, literal: string) => parse(`<Filter><${op}><PropertyName>${prop}</PropertyName><Literal>${literal}</Literal></${op}></Filter>`)
    expect(evaluate(cmp('PropertyIsLessThan', 'length', '1000'), feature)).toBe(true)
    expect(evaluate(cmp('PropertyIsEqualTo', 'name', 'Douro'), feature)).toBe(true)
    expect(evaluate(cmp('PropertyIsEqualTo', 'tags', 'x'), feature)).toBe(false)
    expect(evaluate(cmp('PropertyIsNotEqualTo', 'tags', 'x'), feature)).toBe(false)
    expect(evaluate(parse('<Filter><PropertyIsNull><PropertyName>tags</PropertyName></PropertyIsNull></Filter>'), feature)).toBe(true)
    expect(evaluate(parse('<Filter><Not><PropertyIsNull><PropertyName>name</PropertyName></PropertyIsNull></Not></Filter>'), feature)).toBe(true)
    const between = parse('<Filter><PropertyIsBetween><PropertyName>length</PropertyName><LowerBoundary><Literal>800</Literal></LowerBoundary><UpperBoundary><Literal>900</Literal></UpperBoundary></PropertyIsBetween></Filter>')
    expect(evaluate(between, feature)).toBe(true)
  })

  it('reads feature ids and spatial operators with their GML', () => {
    expect(parse('<Filter><FeatureId fid="rivers.3"/><FeatureId fid="rivers.4"/></Filter>')).toEqual({ op: 'ids', ids: ['rivers.3', 'rivers.4'] })
    const bbox = parse(`<Filter><BBOX><PropertyName>the_geom</PropertyName><gml:Envelope xmlns:gml="http://www.opengis.net/gml" srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>40 -9</gml:lowerCorner><gml:upperCorner>42 -6</gml:upperCorner></gml:Envelope></BBOX></Filter>`) as Extract<Filter, { op: 'spatial' }>
    expect(bbox.spatial).toBe('bbox')
    expect(bbox.property).toBe('the_geom')
    expect(bbox.geometry.srsName).toBe('urn:ogc:def:crs:EPSG::4326')
    const dwithin = parse('<Filter><DWithin><PropertyName>g</PropertyName><gml:Point xmlns:gml="http://www.opengis.net/gml"><gml:coordinates>1,2</gml:coordinates></gml:Point><Distance units="m">50</Distance></DWithin></Filter>') as Extract<Filter, { op: 'spatial' }>
    expect(dwithin.distance).toBe(50)
    expect(dwithin.geometry.geometry).toEqual({ type: 'Point', coordinates: [1, 2] })
  })

  it('refuses what it cannot read with an OGC exception naming the filter', () => {
    for (const xml of ['<Filter/>', '<Filter><And><PropertyIsNull><PropertyName>a</PropertyName></PropertyIsNull></And></Filter>', '<Filter><Frobnicate/></Filter>']) {
      expect(() => parse(xml), xml).toThrow(expect.objectContaining({ locator: 'filter' }))
    }
    const deep = `<Filter>${'<Not>'.repeat(600)}<PropertyIsNull><PropertyName>a</PropertyName></PropertyIsNull>${'</Not>'.repeat(600)}</Filter>`
    expect(() => parse(deep)).toThrow()
  })
})

describe('GML geometries', () => {
  const read = (xml: string) => readGmlGeometry(parseXmlElement(xml))
  it('reads GML 2 coordinates and GML 3 posLists alike', () => {
    expect(read('<gml:LineString xmlns:gml="x"><gml:coordinates>1,2 3,4</gml:coordinates></gml:LineString>').geometry).toEqual({ type: 'LineString', coordinates: [[1, 2], [3, 4]] })
    expect(read('<gml:LineString xmlns:gml="x" srsName="EPSG:3857"><gml:posList>1 2 3 4</gml:posList></gml:LineString>')).toEqual({ geometry: { type: 'LineString', coordinates: [[1, 2], [3, 4]] }, srsName: 'EPSG:3857' })
    const poly = read('<gml:MultiSurface xmlns:gml="x"><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>0 0 1 0 1 1 0 0</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface>')
    expect(poly.geometry).toEqual({ type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]]] })
  })
})
