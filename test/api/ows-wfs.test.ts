import { beforeAll, describe, expect, it } from 'vitest'
import ExcelJS from 'exceljs'
import Papa from 'papaparse'
import proj4 from 'proj4'
import * as shapefile from 'shapefile'
import yauzl from 'yauzl'
import { type Who, request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { fileBytes, getBytes, townsShapefile, townsUtm, uploadLayer } from '../helpers/uploads'

// WFS read operations against uploaded layers: capabilities per caller, schemas, GetFeature counts,
// paging, sorting, hits, every kind of filter, axis order per CRS form, reprojection, each output
// format parsed, GeoNode's download links and the download permission.

const t = useSeededServer({ resources: 6 })
const { one } = groundTruth(() => t.server)
const owner = () => user(t.fx.plainUser)

interface Point {
  i: number
  lon: number
  lat: number
  props: { name: string; pop: number; area: number; kind: string; note: string | null; open: boolean }
}

const NAMES = ['Zürich', 'Ærø', 'Škofja', 'alpha', 'Beta']
const POINTS: Point[] = Array.from({ length: 40 }, (_, i) => ({
  i,
  lon: 10 + (i % 8) * 0.5,
  lat: 45 + Math.floor(i / 8) * 0.5,
  props: { name: `${NAMES[i % 5]}-${i}`, pop: i * 100, area: i * 1.5 + 0.25, kind: ['a', 'b', 'c'][i % 3], note: i % 5 === 0 ? null : `x${i}`, open: i % 2 === 0 }
}))

const geojson = JSON.stringify({ type: 'FeatureCollection', features: POINTS.map((p) => ({ type: 'Feature', properties: p.props, geometry: { type: 'Point', coordinates: [p.lon, p.lat] } })) })
const areas = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { label: 'west' }, geometry: { type: 'Polygon', coordinates: [[[9.9, 44.9], [11.1, 44.9], [11.1, 46.1], [9.9, 46.1], [9.9, 44.9]]] } },
    { type: 'Feature', properties: { label: 'far' }, geometry: { type: 'Polygon', coordinates: [[[30, 30], [31, 30], [31, 31], [30, 31], [30, 30]]] } }
  ]
})


let towns: number
let hidden: number
const POINTS_TYPE = 'geonode:wfs_points'

async function upload(name: string, body: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await uploadLayer(t.server, owner(), [fileBytes('base_file', name, body)], fields)
  expect(res.body.status, res.text).toBe('finished')
  return one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
}

beforeAll(async () => {
  await upload('wfs_points.geojson', geojson)
  await upload('wfs_areas.geojson', areas)
  const res = await uploadLayer(t.server, owner(), townsShapefile())
  towns = one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
  hidden = await upload('view_only.geojson', geojson, { permissions: JSON.stringify({ users: { AnonymousUser: ['view_resourcebase'] }, groups: {} }) })
})

const ows = (query: string, who: Who = 'anonymous') => request(t.server, `/geoserver/ows?${query}`, { who })
const post = (xml: string, who: Who = 'anonymous') => request(t.server, '/geoserver/wfs', { method: 'POST', who, headers: { 'content-type': 'text/xml' }, body: xml })

/** GeoJSON GetFeature (2.0.0) of the points layer; the feature numbers (i) in answer order. */
async function numbers(extra: string): Promise<{ matched: number; order: number[] }> {
  const res = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&outputFormat=application/json&${extra}`)
  expect(res.status, res.text).toBe(200)
  const body = JSON.parse(res.text)
  return { matched: body.numberMatched, order: body.features.map((f: { id: string }) => Number(f.id.split('.')[1]) - 1) }
}

const truth = (test: (p: Point) => boolean) => POINTS.filter(test).map((p) => p.i)
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const fes = (inner: string) => `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2">${inner}</fes:Filter>`
const viaFilter = (filter: string) => numbers(`filter=${encodeURIComponent(filter)}`)

describe('GetCapabilities', () => {
  it('answers each version with its root, the layers, the endpoint address and filter capabilities', async () => {
    for (const [version, root] of [
      ['1.0.0', '<WFS_Capabilities version="1.0.0"'],
      ['1.1.0', '<wfs:WFS_Capabilities version="1.1.0"'],
      ['2.0.0', '<wfs:WFS_Capabilities version="2.0.0"']
    ]) {
      const res = await ows(`service=WFS&request=GetCapabilities&version=${version}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/xml/)
      expect(res.text).toContain(root)
      expect(res.text).toContain(`<Name>${POINTS_TYPE}</Name>`)
      expect(res.text).toContain('xmlns:geonode="http://www.geonode.org/"')
      expect(res.text).toContain(`${t.server.url}/geoserver/ows`)
      expect(res.text).toMatch(/Filter_Capabilities/)
      // Viewable without the download right: listed (GetFeature is what refuses).
      expect(res.text).toContain('geonode:view_only')
    }
    const v11 = (await ows('service=WFS&request=GetCapabilities&version=1.1.0')).text
    expect(v11).toContain('<DefaultSRS>urn:x-ogc:def:crs:EPSG:32633</DefaultSRS>')
    expect(v11).toContain('<OtherSRS>urn:x-ogc:def:crs:EPSG:4326</OtherSRS>')
    const v20 = (await ows('service=WFS&request=GetCapabilities&version=2.0.0')).text
    expect(v20).toContain('<DefaultCRS>urn:ogc:def:crs:EPSG::4326</DefaultCRS>')
    expect(v20).toMatch(/<ows:WGS84BoundingBox><ows:LowerCorner>10 45<\/ows:LowerCorner><ows:UpperCorner>13.5 47<\/ows:UpperCorner>/)
  })

  it('negotiates ACCEPTVERSIONS and refuses versions it does not offer', async () => {
    expect((await ows('service=WFS&request=GetCapabilities&acceptversions=3.0.0,1.0.0')).text).toContain('<WFS_Capabilities version="1.0.0"')
    expect((await ows('service=WFS&request=GetCapabilities')).text).toContain('version="2.0.0"')
    const refused = await ows('service=WFS&request=GetCapabilities&acceptversions=3.0.0')
    expect(refused.text).toContain('VersionNegotiationFailed')
  })

  it('advertises Transaction only to callers who may change some layer data', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const anonymous = (await ows(`service=WFS&request=GetCapabilities&version=${version}`)).text
      const editor = (await ows(`service=WFS&request=GetCapabilities&version=${version}`, owner())).text
      expect(anonymous).not.toMatch(/<Transaction>|name="Transaction"|<Insert\/>|<Operation>Insert/)
      expect(editor).toMatch(version === '1.0.0' ? /<Transaction>/ : /name="Transaction"/)
    }
    const other = (await ows('service=WFS&request=GetCapabilities&version=1.1.0', user(t.fx.otherUser))).text
    expect(other).not.toContain('name="Transaction"')
    expect((await ows('service=WFS&request=GetCapabilities&version=2.0.0', 'admin')).text).toContain('<ows:Constraint name="ImplementsTransactionalWFS"><ows:NoValues/><ows:DefaultValue>TRUE')
  })
})

describe('DescribeFeatureType', () => {
  it('writes an xsd: schema per layer from its attribute set, several at once, and all without a name', async () => {
    const res = await ows(`service=WFS&version=1.1.0&request=DescribeFeatureType&typeName=${POINTS_TYPE},geonode:towns_utm33`)
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/^<\?xml[^>]*>\s*<xsd:schema /)
    expect(res.text).toContain('targetNamespace="http://www.geonode.org/"')
    expect(res.text).not.toMatch(/xmlns="http:\/\/www.w3.org\/2001\/XMLSchema"/)
    for (const [name, type] of [['the_geom', 'gml:PointPropertyType'], ['pop', 'xsd:int'], ['area', 'xsd:double'], ['name', 'xsd:string'], ['open', 'xsd:boolean']]) {
      expect(res.text).toContain(`name="${name}" nillable="true" type="${type}"`)
    }
    expect(res.text).toContain('<xsd:complexType name="wfs_pointsType">')
    expect(res.text).toContain('<xsd:element name="towns_utm33" substitutionGroup="gml:_Feature" type="geonode:towns_utm33Type"/>')
    const all = await ows('service=WFS&version=2.0.0&request=DescribeFeatureType')
    expect(all.text).toContain('substitutionGroup="gml:AbstractFeature"')
    expect(all.text.match(/<xsd:complexType /g)?.length).toBe(4)
  })

  it('names an unknown type in its exception', async () => {
    const res = await ows('service=WFS&version=1.1.0&request=DescribeFeatureType&typeName=geonode:nowhere')
    expect(res.text).toContain('ExceptionReport')
    expect(res.text).toContain('geonode:nowhere')
    expect(res.text).toContain('locator="typeName"')
  })
})

describe('GetFeature', () => {
  it('counts, pages in a stable order without overlap, and answers hits', async () => {
    const all = await numbers('')
    expect(all.matched).toBe(40)
    expect(sorted(all.order)).toEqual(POINTS.map((p) => p.i))
    for (const extra of ['', 'bbox=9,44,14,48,EPSG:4326']) {
      const seen: number[] = []
      for (let start = 0; start < 40; start += 7) {
        const page = await numbers(`count=7&startIndex=${start}&${extra}`)
        expect(page.matched).toBe(40)
        seen.push(...page.order)
      }
      expect(sorted(seen)).toEqual(POINTS.map((p) => p.i))
    }
    const gml = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&count=5&startIndex=37`)
    expect(gml.text).toMatch(/numberMatched="40" numberReturned="3"/)
    expect(gml.text.match(/<wfs:member>/g)?.length).toBe(3)
    const hits20 = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&resultType=hits`)
    expect(hits20.text).toMatch(/numberMatched="40" numberReturned="0"/)
    const hits11 = await ows(`service=WFS&version=1.1.0&request=GetFeature&typeName=${POINTS_TYPE}&resultType=hits&filter=${encodeURIComponent('<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo><ogc:PropertyName>kind</ogc:PropertyName><ogc:Literal>a</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>')}`)
    expect(hits11.text).toContain(`numberOfFeatures="${truth((p) => p.props.kind === 'a').length}"`)
    const v11 = await ows(`service=WFS&version=1.1.0&request=GetFeature&typeName=${POINTS_TYPE}&maxFeatures=4`)
    expect(v11.text).toContain('numberOfFeatures="4"')
  })

  it('sorts by SORTBY and by an XML SortBy, ties broken by feature id', async () => {
    const byPopDesc = sorted(POINTS.map((p) => p.i)).sort((a, b) => POINTS[b].props.pop - POINTS[a].props.pop)
    expect((await numbers('sortBy=pop+DESC')).order).toEqual(byPopDesc)
    const byKindThenName = [...POINTS].sort((a, b) => (a.props.kind < b.props.kind ? -1 : a.props.kind > b.props.kind ? 1 : a.props.name < b.props.name ? -1 : a.props.name > b.props.name ? 1 : 0)).map((p) => p.i)
    expect((await numbers('sortBy=kind,name ASC')).order).toEqual(byKindThenName)
    const xml = `<wfs:GetFeature service="WFS" version="2.0.0" outputFormat="application/json" count="3" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0">
      <wfs:Query typeNames="${POINTS_TYPE}"><fes:SortBy><fes:SortProperty><fes:ValueReference>area</fes:ValueReference><fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy></wfs:Query></wfs:GetFeature>`
    const res = await post(xml)
    expect(res.status, res.text).toBe(200)
    expect(JSON.parse(res.text).features.map((f: { properties: { area: number } }) => f.properties.area)).toEqual([39, 38, 37].map((i) => i * 1.5 + 0.25))
  })

  it('applies comparison, LIKE, between, null and logical filters exactly', async () => {
    const lit = (op: string, name: string, value: string | number, extra = '') => `<fes:${op}${extra}><fes:ValueReference>${name}</fes:ValueReference><fes:Literal>${value}</fes:Literal></fes:${op}>`
    const cases: [string, (p: Point) => boolean][] = [
      [lit('PropertyIsEqualTo', 'kind', 'b'), (p) => p.props.kind === 'b'],
      [lit('PropertyIsNotEqualTo', 'kind', 'b'), (p) => p.props.kind !== 'b'],
      [lit('PropertyIsLessThan', 'pop', 1000), (p) => p.props.pop < 1000],
      [lit('PropertyIsGreaterThanOrEqualTo', 'area', 30.25), (p) => p.props.area >= 30.25],
      [lit('PropertyIsEqualTo', 'open', 'true'), (p) => p.props.open],
      [lit('PropertyIsEqualTo', 'name', 'zürich-0', ' matchCase="false"'), (p) => p.i === 0],
      [`<fes:PropertyIsLike wildCard="*" singleChar="." escapeChar="!"><fes:ValueReference>name</fes:ValueReference><fes:Literal>Z*-1.</fes:Literal></fes:PropertyIsLike>`, (p) => /^Zürich-1\d$/.test(p.props.name)],
      [`<fes:PropertyIsBetween><fes:ValueReference>pop</fes:ValueReference><fes:LowerBoundary><fes:Literal>500</fes:Literal></fes:LowerBoundary><fes:UpperBoundary><fes:Literal>1500</fes:Literal></fes:UpperBoundary></fes:PropertyIsBetween>`, (p) => p.props.pop >= 500 && p.props.pop <= 1500],
      [`<fes:PropertyIsNull><fes:ValueReference>note</fes:ValueReference></fes:PropertyIsNull>`, (p) => p.props.note === null],
      [`<fes:Not>${lit('PropertyIsEqualTo', 'note', 'x1')}</fes:Not>`, (p) => p.props.note !== 'x1'],
      [`<fes:Or>${lit('PropertyIsEqualTo', 'kind', 'a')}<fes:And>${lit('PropertyIsGreaterThan', 'pop', 3000)}${lit('PropertyIsEqualTo', 'kind', 'c')}</fes:And></fes:Or>`, (p) => p.props.kind === 'a' || (p.props.pop > 3000 && p.props.kind === 'c')],
      [`<fes:ResourceId rid="wfs_points.3"/><fes:ResourceId rid="wfs_points.12"/><fes:ResourceId rid="other.4"/>`, (p) => p.i === 2 || p.i === 11]
    ]
    for (const [filter, test] of cases) expect(sorted((await viaFilter(fes(filter))).order), filter).toEqual(truth(test))
    const v11 = `<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsLike wildCard="%" singleChar="_" escape="\\"><ogc:PropertyName>geonode:name</ogc:PropertyName><ogc:Literal>%ø%</ogc:Literal></ogc:PropertyIsLike></ogc:Filter>`
    expect(sorted((await viaFilter(v11)).order)).toEqual(truth((p) => p.props.name.includes('ø')))
    expect((await numbers('featureId=wfs_points.5,wfs_points.6')).order.sort()).toEqual([4, 5])
  })

  it('applies spatial filters: BBOX, Intersects, Within, Contains, Disjoint, DWithin and Beyond', async () => {
    const box = (crs: string, a: number[]) => `<gml:Envelope srsName="${crs}"><gml:lowerCorner>${a[0]} ${a[1]}</gml:lowerCorner><gml:upperCorner>${a[2]} ${a[3]}</gml:upperCorner></gml:Envelope>`
    const inBox = (p: Point) => p.lon >= 10.9 && p.lon <= 12.1 && p.lat >= 45.4 && p.lat <= 46.1
    const polygon = `<gml:Polygon srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>45.4 10.9 45.4 12.1 46.1 12.1 46.1 10.9 45.4 10.9</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>`
    const cases: [string, (p: Point) => boolean][] = [
      [`<fes:BBOX><fes:ValueReference>the_geom</fes:ValueReference>${box('EPSG:4326', [10.9, 45.4, 12.1, 46.1])}</fes:BBOX>`, inBox],
      [`<fes:BBOX>${box('urn:ogc:def:crs:EPSG::4326', [45.4, 10.9, 46.1, 12.1])}</fes:BBOX>`, inBox],
      [`<fes:Intersects><fes:ValueReference>the_geom</fes:ValueReference>${polygon}</fes:Intersects>`, inBox],
      [`<fes:Within><fes:ValueReference>the_geom</fes:ValueReference>${polygon}</fes:Within>`, (p) => p.lon > 10.9 && p.lon < 12.1 && p.lat > 45.4 && p.lat < 46.1],
      [`<fes:Disjoint><fes:ValueReference>the_geom</fes:ValueReference>${polygon}</fes:Disjoint>`, (p) => !inBox(p)],
      [`<fes:DWithin><fes:ValueReference>the_geom</fes:ValueReference><gml:Point srsName="EPSG:4326"><gml:pos>11 46</gml:pos></gml:Point><fes:Distance uom="m">40000</fes:Distance></fes:DWithin>`, (p) => distanceKm(p, 11, 46) <= 40],
      [`<fes:Beyond><fes:ValueReference>the_geom</fes:ValueReference><gml:Point srsName="EPSG:4326"><gml:pos>11 46</gml:pos></gml:Point><fes:Distance uom="km">40</fes:Distance></fes:Beyond>`, (p) => distanceKm(p, 11, 46) > 40]
    ]
    for (const [filter, test] of cases) expect(sorted((await viaFilter(fes(filter))).order), filter).toEqual(truth(test))
    const contains = await ows(
      `service=WFS&version=2.0.0&request=GetFeature&typeNames=geonode:wfs_areas&outputFormat=json&filter=${encodeURIComponent(fes('<fes:Contains><fes:ValueReference>the_geom</fes:ValueReference><gml:Point srsName="EPSG:4326"><gml:pos>10.5 45.5</gml:pos></gml:Point></fes:Contains>'))}`
    )
    expect(JSON.parse(contains.text).features.map((f: { properties: { label: string } }) => f.properties.label)).toEqual(['west'])
  })

  it('reads a BBOX parameter in the axis order of its CRS form', async () => {
    const expected = truth((p) => p.lon >= 10.9 && p.lon <= 12.1 && p.lat >= 45.4 && p.lat <= 46.1)
    expect(sorted((await numbers('bbox=10.9,45.4,12.1,46.1,EPSG:4326')).order)).toEqual(expected)
    expect(sorted((await numbers('bbox=45.4,10.9,46.1,12.1,urn:ogc:def:crs:EPSG::4326')).order)).toEqual(expected)
    expect(sorted((await numbers('bbox=10.9,45.4,12.1,46.1,CRS:84')).order)).toEqual(expected)
    const [x0, y0] = proj4('EPSG:4326', 'EPSG:3857', [10.9, 45.4])
    const [x1, y1] = proj4('EPSG:4326', 'EPSG:3857', [12.1, 46.1])
    expect(sorted((await numbers(`bbox=${x0},${y0},${x1},${y1},EPSG:3857`)).order)).toEqual(expected)
  })

  it('writes coordinates in the axis order of srsName and reprojects', async () => {
    const urn = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&featureId=wfs_points.2&srsName=urn:ogc:def:crs:EPSG::4326`)
    expect(urn.text).toContain('srsName="urn:ogc:def:crs:EPSG::4326"')
    expect(urn.text).toContain('<gml:pos srsDimension="2">45 10.5</gml:pos>')
    const plain = await ows(`service=WFS&version=1.1.0&request=GetFeature&typeName=${POINTS_TYPE}&featureId=wfs_points.2&srsName=EPSG:4326`)
    expect(plain.text).toContain('<gml:pos srsDimension="2">10.5 45</gml:pos>')
    const v10 = await ows(`service=WFS&version=1.0.0&request=GetFeature&typeName=${POINTS_TYPE}&featureId=wfs_points.2`)
    expect(v10.text).toContain('<gml:coordinates decimal="." cs="," ts=" ">10.5,45</gml:coordinates>')
    const mercator = JSON.parse((await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&featureId=wfs_points.2&srsName=EPSG:3857&outputFormat=json`)).text)
    const [x, y] = proj4('EPSG:4326', 'EPSG:3857', [10.5, 45])
    expect(mercator.features[0].geometry.coordinates[0]).toBeCloseTo(x, 3)
    expect(mercator.features[0].geometry.coordinates[1]).toBeCloseTo(y, 3)
    expect(mercator.crs.properties.name).toBe('urn:ogc:def:crs:EPSG::3857')
    // Without srsName the native CRS: the shapefile's UTM 33N metres.
    const native = JSON.parse((await ows('service=WFS&version=2.0.0&request=GetFeature&typeNames=geonode:towns_utm33&outputFormat=json')).text)
    native.features.forEach((f: { geometry: { coordinates: number[] } }, i: number) => {
      expect(f.geometry.coordinates[0]).toBeCloseTo(townsUtm()[i][0], 3)
      expect(f.geometry.coordinates[1]).toBeCloseTo(townsUtm()[i][1], 3)
    })
  })

  it('selects properties with PROPERTYNAME', async () => {
    const res = JSON.parse((await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&propertyName=pop,name&count=2&outputFormat=json`)).text)
    expect(Object.keys(res.features[0].properties).sort()).toEqual(['name', 'pop'])
    expect(res.features[0].geometry).toBeNull()
    const gml = (await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&propertyName=pop&count=1`)).text
    expect(gml).toContain('<geonode:pop>0</geonode:pop>')
    expect(gml).not.toContain('<geonode:name>')
  })

  it('writes GML 2, GML 3.1.1, CSV, Excel and a zipped shapefile', async () => {
    const gml2 = await ows(`service=WFS&version=1.0.0&request=GetFeature&typeName=geonode:towns_utm33&outputFormat=gml2`)
    expect(gml2.headers.get('content-type')).toMatch(/gml\/2\.1\.2/)
    expect(gml2.text.match(/<gml:featureMember>/g)?.length).toBe(3)
    expect(gml2.text).toContain('fid="towns_utm33.1"')
    const gml3 = await ows(`service=WFS&version=1.0.0&request=GetFeature&typeName=geonode:towns_utm33&outputFormat=${encodeURIComponent('text/xml; subtype=gml/3.1.1')}`)
    expect(gml3.text).toContain('gml:id="towns_utm33.1"')
    const csv = await ows(`service=WFS&version=1.0.0&request=GetFeature&typeName=geonode:towns_utm33&outputFormat=csv`)
    const rows = Papa.parse<string[]>(csv.text.trim()).data
    expect(rows[0]).toEqual(['FID', 'the_geom', 'name', 'kind', 'pop', 'area'])
    expect(rows.slice(1).map((r) => r[2])).toEqual(['Wiener Straße', 'Ærøskøbing', 'Škofja Loka'])
    expect(rows[1][1]).toMatch(/^POINT ?\(500000\.\d* 5316300\.\d*\)$/)
    const excel = await getBytes(t.server, `/geoserver/ows?service=WFS&version=1.0.0&request=GetFeature&typeName=${POINTS_TYPE}&outputFormat=excel`)
    expect(excel.status).toBe(200)
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(excel.bytes as unknown as ArrayBuffer)
    const sheet = workbook.getWorksheet('wfs_points')!
    expect(sheet.rowCount).toBe(41)
    expect(sheet.getRow(1).values).toEqual([undefined, 'FID', 'the_geom', 'name', 'pop', 'area', 'kind', 'note', 'open'])
    const zip = await getBytes(t.server, `/geoserver/ows?service=WFS&version=1.0.0&request=GetFeature&typeName=geonode:towns_utm33&outputFormat=SHAPE-ZIP&format_options=charset:UTF-8`)
    expect(zip.headers.get('content-type')).toBe('application/zip')
    const files = await unzip(zip.bytes)
    expect(Object.keys(files).sort()).toEqual(['towns_utm33.cpg', 'towns_utm33.dbf', 'towns_utm33.prj', 'towns_utm33.shp', 'towns_utm33.shx'])
    expect(files['towns_utm33.cpg'].toString()).toBe('UTF-8')
    expect(files['towns_utm33.prj'].toString()).toContain('UTM zone 33N')
    const source = await shapefile.open(bufferOf(files['towns_utm33.shp']), bufferOf(files['towns_utm33.dbf']), { encoding: 'utf-8' })
    const read: { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[] = []
    for (let r = await source.read(); !r.done; r = await source.read()) read.push(r.value as never)
    expect(read.map((f) => f.properties.name)).toEqual(['Wiener Straße', 'Ærøskøbing', 'Škofja Loka'])
    expect(read.map((f) => f.properties.pop)).toEqual([1200, 950, 170000])
    read.forEach((f, i) => expect(f.geometry.coordinates[0]).toBeCloseTo(townsUtm()[i][0], 3))
  })

  it('answers every data link GeoNode lists for the layer', async () => {
    const res = await request(t.server, `/api/v2/mapshelf/resources/${towns}/links`, { who: owner() })
    const links = (res.body.links ?? res.body) as { link_type: string; url: string; mime: string }[]
    const data = links.filter((l) => l.link_type === 'data')
    expect(data.length).toBe(6)
    for (const link of data) {
      const got = await getBytes(t.server, link.url, owner())
      expect(got.status, link.url).toBe(200)
      expect(got.bytes.toString('utf8', 0, 200), link.url).not.toContain('ExceptionReport')
    }
    const json = JSON.parse((await getBytes(t.server, data.find((l) => l.mime === 'json')!.url, owner())).bytes.toString())
    expect(json.features).toHaveLength(3)
  })

  it('refuses GetFeature to callers who may view but not download, and names unknown types and properties', async () => {
    const name = one('SELECT name FROM layers WHERE resource_id = ?', hidden).name
    const refused = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=geonode:${name}`)
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('ows:ExceptionReport')
    const allowed = await ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=geonode:${name}&resultType=hits`, owner())
    expect(allowed.text).toContain('numberMatched="40"')
    const unknown = await ows('service=WFS&version=2.0.0&request=GetFeature&typeNames=geonode:missing_layer')
    expect(unknown.status).toBe(400)
    expect(unknown.text).toContain('geonode:missing_layer')
    const property = await viaFilterRaw(fes('<fes:PropertyIsEqualTo><fes:ValueReference>colour</fes:ValueReference><fes:Literal>1</fes:Literal></fes:PropertyIsEqualTo>'))
    expect(property.status).toBe(400)
    expect(property.text).toContain('colour is not a property of wfs_points')
    const v10 = await ows('service=WFS&version=1.0.0&request=GetFeature&typeName=geonode:missing_layer')
    expect(v10.text).toContain('<ServiceExceptionReport')
  })

  it('answers GetFeatureById, the stored query listings and GetPropertyValue', async () => {
    const byId = await ows(`service=WFS&version=2.0.0&request=GetFeature&storedQuery_id=urn:ogc:def:query:OGC-WFS::GetFeatureById&id=wfs_points.4`)
    expect(byId.text).toMatch(/^<\?xml[^>]*>\n<geonode:wfs_points [^>]*gml:id="wfs_points.4"/)
    expect((await ows(`service=WFS&version=2.0.0&request=GetFeature&storedQuery_id=urn:ogc:def:query:OGC-WFS::GetFeatureById&id=wfs_points.4000`)).status).toBe(404)
    expect((await ows('service=WFS&version=2.0.0&request=ListStoredQueries')).text).toContain('urn:ogc:def:query:OGC-WFS::GetFeatureById')
    expect((await ows('service=WFS&version=2.0.0&request=DescribeStoredQueries')).text).toContain('<wfs:Parameter name="ID"')
    const values = await ows(`service=WFS&version=2.0.0&request=GetPropertyValue&typeNames=${POINTS_TYPE}&valueReference=pop&sortBy=pop&count=3`)
    expect(values.text).toContain('numberMatched="40" numberReturned="3"')
    expect(values.text.match(/<wfs:member>(\d+)<\/wfs:member>/g)).toEqual(['<wfs:member>0</wfs:member>', '<wfs:member>100</wfs:member>', '<wfs:member>200</wfs:member>'])
  })
})

async function viaFilterRaw(filter: string) {
  return ows(`service=WFS&version=2.0.0&request=GetFeature&typeNames=${POINTS_TYPE}&filter=${encodeURIComponent(filter)}`)
}

function distanceKm(p: Point, lon: number, lat: number): number {
  const [x, y] = proj4('EPSG:4326', `+proj=aeqd +lat_0=${lat} +lon_0=${lon} +datum=WGS84 +units=m`, [p.lon, p.lat])
  return Math.hypot(x, y) / 1000
}

function bufferOf(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

function unzip(bytes: Buffer): Promise<Record<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error)
      const out: Record<string, Buffer> = {}
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e)
          const parts: Buffer[] = []
          stream.on('data', (d: Buffer) => parts.push(d))
          stream.on('end', () => {
            out[entry.fileName] = Buffer.concat(parts)
            zip.readEntry()
          })
        })
      })
      zip.on('end', () => resolve(out))
      zip.readEntry()
    })
  })
}

