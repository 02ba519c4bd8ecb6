import { beforeAll, describe, expect, it } from 'vitest'
import type { XmlElement } from '../../src-main/ows/xml'
import { cogUpload, descendants, textOf, uploadRaster, xmlOf } from '../helpers/coverages'
import { type Who, request, useSeededServer, user } from '../helpers/server'

// CSW 2.0.2 at /catalogue/csw: each kind of constraint finds what the API finds for the same
// question, for each caller; paging, sorting, element sets, the output schemas, and the ISO
// record with its stylesheet.

const t = useSeededServer({ resources: 120 })
let rasterId = 0
let rasterUuid = ''

beforeAll(async () => {
  rasterId = await uploadRaster(t.server, user(t.fx.plainUser), cogUpload())
  rasterUuid = (await request(t.server, `/api/v2/resources/${rasterId}`)).body.resource.uuid
}, 60_000)

const CSW = 'http://www.opengis.net/cat/csw/2.0.2'
const GMD = 'http://www.isotc211.org/2005/gmd'
const WHO: Who[] = ['anonymous', 'admin']
const callers = () => [...WHO, user(t.fx.plainUser)]

const csw = (query: string, who: Who = 'anonymous') => request(t.server, `/catalogue/csw?service=CSW&version=2.0.2&${query}`, { who })
const post = (xml: string, who: Who = 'anonymous') => request(t.server, '/catalogue/csw', { who, method: 'POST', body: xml, headers: { 'content-type': 'application/xml' } })

/** The uuids of every record GetRecords matches, walking the pages. */
async function recordIds(constraint: string, who: Who, language = 'CQL_TEXT'): Promise<string[]> {
  const ids: string[] = []
  for (let start = 1; start > 0; ) {
    const res = await csw(`request=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=100&startPosition=${start}&constraintLanguage=${language}&constraint=${encodeURIComponent(constraint)}`, who)
    expect(res.status, res.text).toBe(200)
    const results = descendants(xmlOf(res.text), 'SearchResults')[0]
    ids.push(...descendants(results, 'identifier').map((e) => e.text))
    start = Number(results.attrs.nextRecord)
  }
  return ids.sort()
}

/** The uuids the API's /resources lists for a query, for one caller. */
async function apiIds(query: string, who: Who): Promise<string[]> {
  const res = await request(t.server, `/api/v2/resources?page_size=1000&${query}`, { who })
  expect(res.status, res.text).toBe(200)
  return (res.body.resources as { uuid: string }[]).map((r) => r.uuid).sort()
}

const ANY_TEXT_FIELDS = ['title', 'abstract', 'purpose', 'keywords__name', 'regions__name', 'regions__code', 'category__identifier', 'category__gn_description']

/** A word of some visible record's title, so text searches find something. */
async function someWord(): Promise<string> {
  const titles = (await request(t.server, '/api/v2/resources?page_size=50')).body.resources.map((r: { title: string }) => r.title) as string[]
  return titles.flatMap((s) => s.split(/\W+/)).find((w) => w.length >= 5)!.toLowerCase().slice(0, 5)
}

describe('CSW GetCapabilities', () => {
  it('offers the four operations with the output schemas, typenames, constraint languages and queryables', async () => {
    const res = await request(t.server, '/catalogue/csw?service=CSW&request=GetCapabilities')
    expect(res.status).toBe(200)
    const root = xmlOf(res.text)
    expect(root.name).toBe('Capabilities')
    expect(root.attrs.version).toBe('2.0.2')
    const operations = descendants(root, 'Operation')
    expect(operations.map((o) => o.attrs.name)).toEqual(['GetCapabilities', 'DescribeRecord', 'GetRecords', 'GetRecordById'])
    for (const o of operations) expect(descendants(o, 'Get')[0].attrs['xlink:href']).toBe(`${t.server.url}/catalogue/csw`)
    const getRecords = operations.find((o) => o.attrs.name === 'GetRecords')!
    const valuesOf = (name: string) => descendants(getRecords, 'Parameter').concat(descendants(getRecords, 'Constraint')).find((p) => p.attrs.name === name)!.children.map((v) => v.text)
    expect(valuesOf('outputSchema')).toEqual(['http://www.opengis.net/cat/csw/2.0.2', 'http://www.isotc211.org/2005/gmd', 'http://www.w3.org/2005/Atom'])
    expect(valuesOf('typeNames')).toEqual(['csw:Record', 'gmd:MD_Metadata'])
    expect(valuesOf('CONSTRAINTLANGUAGE')).toEqual(['FILTER', 'CQL_TEXT'])
    expect(valuesOf('SupportedISOQueryables')).toEqual(expect.arrayContaining(['apiso:AnyText', 'apiso:Title', 'apiso:Subject', 'apiso:Type', 'apiso:Modified', 'apiso:BoundingBox', 'apiso:Identifier']))
    expect(descendants(root, 'SpatialOperator').map((o) => o.attrs.name)).toContain('BBOX')
  })

  it('describes csw:Record and gmd:MD_Metadata', async () => {
    const root = xmlOf((await csw('request=DescribeRecord&typeName=csw:Record,gmd:MD_Metadata')).text)
    expect(descendants(root, 'SchemaComponent').map((c) => c.attrs.targetNamespace)).toEqual([CSW, GMD])
  })
})

describe('CSW GetRecords constraints find what the API finds', () => {
  it('without a constraint: every resource the caller may see', async () => {
    for (const who of callers()) {
      const hits = descendants(xmlOf((await csw('request=GetRecords&typeNames=csw:Record&resultType=hits', who)).text), 'SearchResults')[0]
      const total = (await request(t.server, '/api/v2/resources?page_size=1', { who })).body.total
      expect(Number(hits.attrs.numberOfRecordsMatched), JSON.stringify(who)).toBe(total)
      expect(hits.attrs.numberOfRecordsReturned).toBe('0')
    }
  })

  it('csw:AnyText LIKE: the API\u2019s text search over the same fields', async () => {
    const word = await someWord()
    const fields = ANY_TEXT_FIELDS.map((f) => `search_fields=${f}`).join('&')
    for (const who of callers()) {
      const expected = await apiIds(`search=${word}&${fields}`, who)
      expect(expected.length).toBeGreaterThan(0)
      expect(await recordIds(`csw:AnyText LIKE '%${word}%'`, who)).toEqual(expected)
      expect(await recordIds(`AnyText ILIKE '%${word.toUpperCase()}%'`, who)).toEqual(expected)
    }
  })

  it('dc:title, dc:type, Subject, Modified and Identifier: the API\u2019s filters', async () => {
    const word = await someWord()
    const someKeyword = (await request(t.server, '/api/v2/resources?page_size=50')).body.resources.find((r: { keywords: unknown[] }) => r.keywords.length > 0).keywords[0].name as string
    const cases: [string, string][] = [
      [`dc:title LIKE '%${word}%'`, `filter{title.icontains}=${word}`],
      ["dc:type = 'dataset'", 'filter{resource_type}=layer'],
      ["dc:type = 'document'", 'filter{resource_type}=document'],
      ["dc:type = 'map' OR dc:type = 'document'", 'filter{resource_type.in}=map&filter{resource_type.in}=document'],
      [`dc:subject = '${someKeyword.replace(/'/g, "''")}'`, `filter{keywords.name}=${encodeURIComponent(someKeyword)}`],
      ["dct:modified >= '2020-01-01'", 'filter{date.gte}=2020-01-01'],
      [`dc:identifier = '${rasterUuid}'`, `filter{uuid}=${rasterUuid}`]
    ]
    for (const who of callers()) {
      for (const [cql, api] of cases) expect(await recordIds(cql, who), `${cql} ${JSON.stringify(who)}`).toEqual(await apiIds(api, who))
    }
    const layers = new Set(await apiIds('filter{resource_type}=layer', 'admin'))
    expect(await recordIds("NOT dc:type = 'dataset'", 'admin')).toEqual((await apiIds('', 'admin')).filter((id) => !layers.has(id)))
  })

  it('BBOX in CQL (lon/lat) and in a Filter with urn:ogc:def:crs:EPSG::4326 (lat/lon, as QGIS MetaSearch sends): the API\u2019s extent', async () => {
    for (const who of callers()) {
      const expected = await apiIds('extent=-10,35,30,60', who)
      expect(expected.length).toBeGreaterThan(0)
      expect(await recordIds('BBOX(ows:BoundingBox, -10, 35, 30, 60)', who)).toEqual(expected)
      const filter = `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml"><ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326"><gml:lowerCorner>35 -10</gml:lowerCorner><gml:upperCorner>60 30</gml:upperCorner></gml:Envelope></ogc:BBOX></ogc:Filter>`
      expect(await recordIds(filter, who, 'FILTER')).toEqual(expected)
    }
  })

  it('reads the XML POST OWSLib sends: an ogc:Filter And of PropertyIsLike and BBOX, with SortBy', async () => {
    const word = await someWord()
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="${CSW}" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" outputSchema="${CSW}" outputFormat="application/xml" version="2.0.2" service="CSW" resultType="results" maxRecords="100">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>full</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter><ogc:And>
      <ogc:PropertyIsLike escapeChar="\\" singleChar="_" wildCard="%"><ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%${word}%</ogc:Literal></ogc:PropertyIsLike>
      <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope><gml:lowerCorner>-180 -90</gml:lowerCorner><gml:upperCorner>180 90</gml:upperCorner></gml:Envelope></ogc:BBOX>
    </ogc:And></ogc:Filter></csw:Constraint>
    <ogc:SortBy><ogc:SortProperty><ogc:PropertyName>dc:title</ogc:PropertyName><ogc:SortOrder>DESC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>
  </csw:Query>
</csw:GetRecords>`
    const res = await post(xml)
    expect(res.status, res.text).toBe(200)
    const records = descendants(xmlOf(res.text), 'Record')
    const fields = ANY_TEXT_FIELDS.map((f) => `search_fields=${f}`).join('&')
    const expected = await apiIds(`search=${word}&${fields}&extent=-180,-90,180,90`, 'anonymous')
    expect(records.map((r) => textOf(r, 'identifier')).sort()).toEqual(expected)
    const titles = records.map((r) => textOf(r, 'title')!.toLowerCase())
    expect(titles).toEqual([...titles].sort().reverse())
  })

  it('keeps private records out of every answer for callers who may not see them', async () => {
    const hidden = (await request(t.server, `/api/v2/resources/${t.fx.privateLayerId}`, { who: 'admin' })).body.resource.uuid as string
    expect(await recordIds(`dc:identifier = '${hidden}'`, 'anonymous')).toEqual([])
    expect(await recordIds(`dc:identifier = '${hidden}'`, user(t.fx.plainUser))).toEqual([])
    expect(await recordIds(`dc:identifier = '${hidden}'`, user(t.fx.otherUser))).toEqual([hidden])
    const byId = (who: Who) => csw(`request=GetRecordById&id=${hidden}&elementSetName=full&outputSchema=${encodeURIComponent(GMD)}`, who)
    expect(descendants(xmlOf((await byId('anonymous')).text), 'MD_Metadata')).toHaveLength(0)
    expect(descendants(xmlOf((await byId(user(t.fx.otherUser))).text), 'MD_Metadata')).toHaveLength(1)
    const page = await request(t.server, `/showmetadata/xsl/${t.fx.privateLayerId}`)
    expect(page.status).toBe(404)
  })
})

describe('CSW GetRecords paging, sorting and element sets', () => {
  it('pages with startPosition and maxRecords through every record once, nextRecord 0 at the end', async () => {
    const total = (await request(t.server, '/api/v2/resources?page_size=1')).body.total as number
    const seen: string[] = []
    let start = 1
    let pages = 0
    while (start > 0) {
      const results = descendants(xmlOf((await csw(`request=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=7&startPosition=${start}`)).text), 'SearchResults')[0]
      const returned = descendants(results, 'identifier').map((e) => e.text)
      expect(Number(results.attrs.numberOfRecordsReturned)).toBe(returned.length)
      expect(Number(results.attrs.numberOfRecordsMatched)).toBe(total)
      seen.push(...returned)
      const next = Number(results.attrs.nextRecord)
      expect(next).toBe(start + returned.length > total ? 0 : start + returned.length)
      start = next
      pages++
    }
    expect(pages).toBe(Math.ceil(total / 7))
    expect(new Set(seen).size).toBe(total)
    expect(seen.length).toBe(total)
    const capped = descendants(xmlOf((await csw('request=GetRecords&typeNames=csw:Record&resultType=results&maxRecords=5000')).text), 'SearchResults')[0]
    expect(Number(capped.attrs.numberOfRecordsReturned)).toBe(Math.min(total, 100))
  })

  it('sorts by SORTBY', async () => {
    const res = await csw('request=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=100&sortBy=dc:title:A')
    const titles = descendants(xmlOf(res.text), 'title').map((e) => e.text.toLowerCase())
    expect(titles).toEqual([...titles].sort())
  })

  it('writes brief, summary and full Dublin Core records with what each set holds', async () => {
    const get = async (set: string) => {
      const res = await csw(`request=GetRecordById&id=${rasterUuid}&elementSetName=${set}`)
      expect(res.status).toBe(200)
      const root = xmlOf(res.text)
      expect(root.name).toBe('GetRecordByIdResponse')
      return root.children[0]
    }
    const brief = await get('brief')
    expect(brief.name).toBe('BriefRecord')
    expect(brief.children.map((c) => c.name)).toEqual(['identifier', 'title', 'type', 'BoundingBox'])
    const summary = await get('summary')
    expect(summary.name).toBe('SummaryRecord')
    expect(summary.children.map((c) => c.name)).toEqual(expect.arrayContaining(['identifier', 'title', 'type', 'format', 'modified', 'BoundingBox']))
    const full = await get('full')
    expect(full.name).toBe('Record')
    expect(textOf(full, 'identifier')).toBe(rasterUuid)
    expect(textOf(full, 'type')).toBe('dataset')
    expect(textOf(full, 'format')).toBe('GeoTIFF')
    const box = descendants(full, 'BoundingBox')[0]
    expect(box.attrs.crs).toBe('urn:x-ogc:def:crs:EPSG:6.11:4326')
    expect(Number(textOf(box, 'LowerCorner')!.split(' ')[1])).toBeCloseTo(15, 6)
    const wcs = descendants(full, 'URI').find((u) => u.attrs.protocol === 'OGC:WCS')!
    expect(wcs.attrs.name).toBe('geonode:cog_32633')
    expect(wcs.text).toBe(`${t.server.url}/geoserver/ows`)
    expect(descendants(full, 'references').map((r) => r.attrs.scheme)).toEqual(expect.arrayContaining(['OGC:WMS', 'OGC:WCS', 'WWW:DOWNLOAD-1.0-http--download', 'WWW:LINK-1.0-http--link']))
  })
})

describe('CSW GetRecordById output schemas', () => {
  const byId = async (schema: string): Promise<XmlElement> => {
    const res = await csw(`request=GetRecordById&id=${rasterUuid}&elementSetName=full&outputSchema=${encodeURIComponent(schema)}`)
    expect(res.status, res.text).toBe(200)
    return xmlOf(res.text).children[0]
  }

  it('writes ISO 19139 from what the API serializes, with the services and downloads', async () => {
    const dto = (await request(t.server, `/api/v2/resources/${rasterId}`)).body.resource
    const md = await byId(GMD)
    expect(md.name).toBe('MD_Metadata')
    expect(textOf(descendants(md, 'fileIdentifier')[0], 'CharacterString')).toBe(rasterUuid)
    expect(descendants(md, 'hierarchyLevel')[0].children[0].attrs.codeListValue).toBe('dataset')
    const citation = descendants(md, 'CI_Citation')[0]
    expect(textOf(descendants(citation, 'title')[0], 'CharacterString')).toBe(dto.title)
    expect(textOf(descendants(citation, 'alternateTitle')[0], 'CharacterString')).toBe('geonode:cog_32633')
    const ownerName = `${dto.owner.first_name} ${dto.owner.last_name}`.trim() || dto.owner.username
    const originator = descendants(md, 'CI_ResponsibleParty').find((p) => descendants(p, 'CI_RoleCode')[0].attrs.codeListValue === 'originator')!
    expect(textOf(descendants(originator, 'individualName')[0], 'CharacterString')).toBe(ownerName)
    expect(textOf(originator, 'URL')).toBe(dto.owner.link)
    const box = descendants(md, 'EX_GeographicBoundingBox')[0]
    expect(Number(textOf(descendants(box, 'westBoundLongitude')[0], 'Decimal'))).toBeCloseTo(15, 6)
    expect(textOf(descendants(md, 'referenceSystemInfo')[0], 'CharacterString')).toBe('EPSG:32633')
    const online = descendants(descendants(md, 'distributionInfo')[0], 'CI_OnlineResource').map((o) => ({ url: textOf(o, 'URL'), protocol: textOf(descendants(o, 'protocol')[0], 'CharacterString'), name: textOf(descendants(o, 'name')[0], 'CharacterString') }))
    expect(online).toContainEqual({ url: `${t.server.url}/geoserver/ows`, protocol: 'OGC:WCS', name: 'geonode:cog_32633' })
    expect(online.find((o) => o.url!.includes('request=GetCoverage'))!.protocol).toBe('WWW:DOWNLOAD-1.0-http--download')
  })

  it('writes ISO keywords by type', async () => {
    await request(t.server, `/api/v2/resources/${rasterId}`, { method: 'PATCH', who: 'admin', body: { keywords: ['hydrology', 'rivers'] } })
    const md = await byId(GMD)
    const keywords = descendants(md, 'MD_Keywords').find((k) => descendants(k, 'MD_KeywordTypeCode')[0]?.attrs.codeListValue === 'theme')!
    expect(descendants(keywords, 'keyword').map((k) => textOf(k, 'CharacterString')).sort()).toEqual(['hydrology', 'rivers'])
  })

  it('writes an Atom entry', async () => {
    const entry = await byId('http://www.w3.org/2005/Atom')
    expect(entry.name).toBe('entry')
    expect(textOf(entry, 'id')).toBe(`urn:uuid:${rasterUuid}`)
    expect(textOf(entry, 'box')!.split(' ').map(Number)[1]).toBeCloseTo(15, 6)
  })

  it('serves every metadata link the API gives a resource, each parsed as its schema', async () => {
    const links = ((await request(t.server, `/api/v2/resources/${rasterId}`)).body.resource.links as { link_type: string; name: string; url: string }[]).filter((l) => l.link_type === 'metadata')
    expect(links.map((l) => l.name)).toEqual(['Atom', 'Dublin Core', 'ISO', 'ISO with XSL'])
    const roots: Record<string, string> = { Atom: 'entry', 'Dublin Core': 'Record', ISO: 'MD_Metadata' }
    for (const link of links) {
      const res = await request(t.server, link.url.slice(t.server.url.length))
      expect(res.status, link.name).toBe(200)
      const root = xmlOf(res.text)
      if (link.name === 'ISO with XSL') {
        expect(res.text).toContain(`<?xml-stylesheet type="text/xsl" href="${t.server.url}/static/metadataxsl/metadata.xsl"?>`)
        expect(root.name).toBe('MD_Metadata')
        const xsl = await request(t.server, '/static/metadataxsl/metadata.xsl')
        expect(xsl.status).toBe(200)
        expect(xmlOf(xsl.text).name).toBe('stylesheet')
      } else {
        expect(root.children[0].name, link.name).toBe(roots[link.name])
      }
    }
  })
})

describe('CSW refusals', () => {
  it('names the parameter and, for CQL, the position', async () => {
    const cases: [string, string, string][] = [
      ["request=GetRecords&typeNames=csw:Record&constraintLanguage=CQL_TEXT&constraint=dc:title LIKE 'x", 'InvalidParameterValue', 'position 15'],
      ["request=GetRecords&typeNames=csw:Record&constraintLanguage=CQL_TEXT&constraint=dc:nothing = 'x'", 'InvalidParameterValue', 'not a queryable'],
      ['request=GetRecords&typeNames=csw:Record&outputSchema=http://example.org/nope', 'InvalidParameterValue', 'outputSchema'],
      ['request=GetRecords&typeNames=csw:Nope', 'InvalidParameterValue', 'typeNames'],
      ['request=GetRecords&typeNames=csw:Record&elementSetName=everything', 'InvalidParameterValue', 'ElementSetName'],
      ['request=GetRecords&typeNames=csw:Record&maxRecords=-1', 'InvalidParameterValue', 'maxRecords'],
      ['request=GetRecordById', 'MissingParameterValue', 'Id'],
      ['request=Harvest', 'OperationNotSupported', 'request']
    ]
    for (const [query, code, text] of cases) {
      const res = await csw(query)
      expect(res.text, query).toContain(`exceptionCode="${code}"`)
      expect(res.text, query).toContain(text)
      expect(xmlOf(res.text).name).toBe('ExceptionReport')
    }
    expect((await request(t.server, '/catalogue/csw?service=CSW&version=3.0.0&request=GetRecords')).text).toContain('locator="version"')
  })
})
