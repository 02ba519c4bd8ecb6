import { beforeAll, describe, expect, it } from 'vitest'
import { type Who, request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { extentOfPolygon, fileBytes, uploadLayer } from '../helpers/uploads'

// WFS-T: Insert, Update and Delete in 1.0.0, 1.1.0 and 2.0.0 through the feature-write service,
// seen afterwards by GetFeature, the layer's API record (extent), its history, the map viewer's
// features route and the database; all or nothing; refused without change_layer_data.

const t = useSeededServer({ resources: 4 })
const { one } = groundTruth(() => t.server)
const owner = () => user(t.fx.plainUser)

const START = [
  { name: 'one', pop: 10, p: [1, 1] },
  { name: 'two', pop: 20, p: [2, 2] },
  { name: 'three', pop: 30, p: [3, 3] },
  { name: 'four', pop: 40, p: [4, 4] }
]

let layer: number
let typeName: string
let name: string

beforeAll(async () => {
  const body = JSON.stringify({ type: 'FeatureCollection', features: START.map((s) => ({ type: 'Feature', properties: { name: s.name, pop: s.pop }, geometry: { type: 'Point', coordinates: s.p } })) })
  const res = await uploadLayer(t.server, owner(), [fileBytes('base_file', 'edited.geojson', body)])
  expect(res.body.status, res.text).toBe('finished')
  layer = one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
  name = one('SELECT name FROM layers WHERE resource_id = ?', layer).name
  typeName = `geonode:${name}`
})

const post = (xml: string, who: Who = owner()) => request(t.server, '/geoserver/wfs', { method: 'POST', who, headers: { 'content-type': 'text/xml' }, body: xml })
const features = async () => {
  const res = await request(t.server, `/geoserver/ows?service=WFS&version=2.0.0&request=GetFeature&typeNames=${typeName}&outputFormat=json&srsName=EPSG:4326`)
  return JSON.parse(res.text).features as { id: string; geometry: { coordinates: number[] }; properties: { name: string; pop: number | null } }[]
}
const byName = async (n: string) => (await features()).find((f) => f.properties.name === n)
const storedCount = () => one('SELECT feature_count AS n FROM layers WHERE resource_id = ?', layer).n as number

const WFS11 = 'xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" xmlns:geonode="http://www.geonode.org/"'
const WFS20 = 'xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:geonode="http://www.geonode.org/"'

describe('Transaction', () => {
  it('inserts (1.1.0): new ids after the largest, visible in GetFeature, the layer, its history and the map viewer', async () => {
    const before = await request(t.server, `/api/v2/layers/${layer}`)
    const xml = `<wfs:Transaction service="WFS" version="1.1.0" ${WFS11}><wfs:Insert>
      <geonode:${name}><geonode:the_geom><gml:Point srsName="EPSG:4326"><gml:pos>8 9</gml:pos></gml:Point></geonode:the_geom><geonode:name>far</geonode:name><geonode:pop>50</geonode:pop></geonode:${name}>
      <geonode:${name}><geonode:the_geom><gml:Point srsName="EPSG:4326"><gml:pos>2.5 2.5</gml:pos></gml:Point></geonode:the_geom><geonode:name>near</geonode:name></geonode:${name}>
    </wfs:Insert></wfs:Transaction>`
    const res = await post(xml)
    expect(res.status, res.text).toBe(200)
    expect(res.text).toContain('<wfs:totalInserted>2</wfs:totalInserted>')
    expect(res.text).toContain(`<ogc:FeatureId fid="${name}.5"/>`)
    expect(res.text).toContain(`<ogc:FeatureId fid="${name}.6"/>`)
    const far = await byName('far')
    expect(far?.id).toBe(`${name}.5`)
    expect(far?.geometry.coordinates).toEqual([8, 9])
    expect(far?.properties.pop).toBe(50)
    expect((await byName('near'))?.properties.pop ?? null).toBeNull()
    expect(storedCount()).toBe(6)
    const after = await request(t.server, `/api/v2/layers/${layer}`)
    expect(extentOfPolygon(after.body.layer.ll_bbox_polygon)).toEqual([1, 1, 8, 9])
    expect(after.body.layer.last_updated > before.body.layer.last_updated).toBe(true)
    const history = await request(t.server, `/api/v2/mapshelf/resources/${layer}/history`, { who: owner() })
    expect(history.body.history[0]).toMatchObject({ subject: 'features', op: 'update' })
    const viewer = await request(t.server, `/api/v2/mapshelf/layers/${layer}/features?bbox=7,8,9,10`)
    expect(viewer.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['far'])
  })

  it('updates (2.0.0) properties and geometry of the features a filter selects; the extent follows', async () => {
    const xml = `<wfs:Transaction service="WFS" version="2.0.0" ${WFS20}><wfs:Update typeName="${typeName}">
      <wfs:Property><wfs:ValueReference>pop</wfs:ValueReference><wfs:Value>999</wfs:Value></wfs:Property>
      <wfs:Property><wfs:ValueReference>the_geom</wfs:ValueReference><wfs:Value><gml:Point srsName="urn:ogc:def:crs:EPSG::4326" gml:id="p1"><gml:pos>3.5 2.5</gml:pos></gml:Point></wfs:Value></wfs:Property>
      <fes:Filter><fes:ResourceId rid="${name}.5"/></fes:Filter></wfs:Update></wfs:Transaction>`
    const res = await post(xml)
    expect(res.status, res.text).toBe(200)
    expect(res.text).toContain('<wfs:totalUpdated>1</wfs:totalUpdated>')
    const far = await byName('far')
    expect(far?.properties.pop).toBe(999)
    expect(far?.geometry.coordinates).toEqual([2.5, 3.5])
    const after = await request(t.server, `/api/v2/layers/${layer}`)
    const extent = extentOfPolygon(after.body.layer.ll_bbox_polygon)
    expect(extent[2]).toBeCloseTo(4, 5)
    expect(extent[3]).toBeCloseTo(4, 5)
    const byFilter = `<wfs:Transaction service="WFS" version="1.1.0" ${WFS11}><wfs:Update typeName="${typeName}">
      <wfs:Property><wfs:Name>name</wfs:Name><wfs:Value>small</wfs:Value></wfs:Property>
      <ogc:Filter><ogc:PropertyIsLessThan><ogc:PropertyName>pop</ogc:PropertyName><ogc:Literal>25</ogc:Literal></ogc:PropertyIsLessThan></ogc:Filter></wfs:Update></wfs:Transaction>`
    expect((await post(byFilter)).text).toContain('<wfs:totalUpdated>2</wfs:totalUpdated>')
    expect((await features()).filter((f) => f.properties.name === 'small').map((f) => f.properties.pop).sort()).toEqual([10, 20])
  })

  it('deletes (1.0.0) and answers WFS_TransactionResponse', async () => {
    const xml = `<wfs:Transaction service="WFS" version="1.0.0" ${WFS11}><wfs:Delete typeName="${typeName}"><ogc:Filter><ogc:FeatureId fid="${name}.3"/></ogc:Filter></wfs:Delete></wfs:Transaction>`
    const res = await post(xml)
    expect(res.text).toContain('<wfs:WFS_TransactionResponse version="1.0.0"')
    expect(res.text).toContain('<wfs:SUCCESS/>')
    expect((await features()).some((f) => f.id === `${name}.3`)).toBe(false)
    expect(storedCount()).toBe(5)
    expect(one('SELECT count(*) AS n FROM layer_feature_index WHERE minset <= ? AND maxset >= ?', one('SELECT feature_set_id AS s FROM layers WHERE resource_id = ?', layer).s, one('SELECT feature_set_id AS s FROM layers WHERE resource_id = ?', layer).s).n).toBe(5)
  })

  it('reads an insert without srsName in the layer default CRS of the version (2.0.0: latitude first)', async () => {
    const xml = `<wfs:Transaction service="WFS" version="2.0.0" ${WFS20}><wfs:Insert><geonode:${name}><geonode:the_geom><gml:Point gml:id="n"><gml:pos>1.5 3</gml:pos></gml:Point></geonode:the_geom><geonode:name>latfirst</geonode:name></geonode:${name}></wfs:Insert></wfs:Transaction>`
    const res = await post(xml)
    expect(res.text).toMatch(/<wfs:InsertResults><wfs:Feature><fes:ResourceId rid="[^"]+\.7"\/><\/wfs:Feature><\/wfs:InsertResults>/)
    expect((await byName('latfirst'))?.geometry.coordinates).toEqual([3, 1.5])
  })

  it('changes nothing when one action fails, naming the property', async () => {
    const count = storedCount()
    const version = one('SELECT version FROM layers WHERE resource_id = ?', layer).version
    const xml = `<wfs:Transaction service="WFS" version="1.1.0" ${WFS11}>
      <wfs:Insert><geonode:${name}><geonode:name>never</geonode:name></geonode:${name}></wfs:Insert>
      <wfs:Update typeName="${typeName}"><wfs:Property><wfs:Name>colour</wfs:Name><wfs:Value>red</wfs:Value></wfs:Property><ogc:Filter><ogc:FeatureId fid="${name}.1"/></ogc:Filter></wfs:Update></wfs:Transaction>`
    const res = await post(xml)
    expect(res.text).toContain('ows:ExceptionReport')
    expect(res.text).toContain('colour is not a property of')
    const typed = await post(`<wfs:Transaction service="WFS" version="1.1.0" ${WFS11}><wfs:Insert><geonode:${name}><geonode:pop>lots</geonode:pop></geonode:${name}></wfs:Insert></wfs:Transaction>`)
    expect(typed.text).toContain('locator="pop"')
    expect(storedCount()).toBe(count)
    expect(one('SELECT version FROM layers WHERE resource_id = ?', layer).version).toBe(version)
    expect(await byName('never')).toBeUndefined()
  })

  it('is refused without change_layer_data (403) and asks anonymous callers to sign in (401)', async () => {
    const xml = `<wfs:Transaction service="WFS" version="1.1.0" ${WFS11}><wfs:Delete typeName="${typeName}"><ogc:Filter><ogc:FeatureId fid="${name}.1"/></ogc:Filter></wfs:Delete></wfs:Transaction>`
    const other = await post(xml, user(t.fx.otherUser))
    expect(other.status).toBe(403)
    expect(other.text).toContain('ows:ExceptionReport')
    const anonymous = await post(xml, 'anonymous')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/)
    expect((await features()).some((f) => f.id === `${name}.1`)).toBe(true)
  })
})
