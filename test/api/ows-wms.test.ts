import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import proj4 from 'proj4'
import { defaultSld } from '../../src-main/ingest/sld'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseXmlElement, type XmlElement } from '../../src-main/ows/xml'
import { writeGeoTiff } from '../helpers/fixtures-files'
import { request, useSeededServer, user, type Who } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { WELLS } from '../helpers/wells'
import { fileBytes, fileOnDisk, fixturePath, getBytes, uploadLayer } from '../helpers/uploads'

// WMS 1.1.1 and 1.3.0 over uploaded layers: capabilities per caller, maps with their styles, feature info, legends, refusals.

const t = useSeededServer({ resources: 6 })
const { one } = groundTruth(() => t.server)
const owner = () => user(t.fx.plainUser)
const PRIVATE = JSON.stringify({ users: {}, groups: {} })

/** The five wells of test/helpers/wells.ts; the style draws deep ones (depth > 10) as red squares, the rest as blue circles, and a green disc under each when zoomed in. */
const wells = JSON.stringify(WELLS)

const WELLS_SLD = `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc">
  <NamedLayer><Name>wells</Name><UserStyle><Name>wells_by_depth</Name><Title>Wells by depth</Title>
    <FeatureTypeStyle>
      <Rule><Name>near</Name><Title>Zoomed in</Title><MaxScaleDenominator>2000000</MaxScaleDenominator>
        <PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">#00ff00</CssParameter></Fill></Mark><Size>40</Size></Graphic></PointSymbolizer>
      </Rule>
      <Rule><Name>deep</Name><Title>Deep</Title>
        <ogc:Filter><ogc:PropertyIsGreaterThan><ogc:PropertyName>depth_m</ogc:PropertyName><ogc:Literal>10</ogc:Literal></ogc:PropertyIsGreaterThan></ogc:Filter>
        <PointSymbolizer><Graphic><Mark><WellKnownName>square</WellKnownName><Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></Mark><Size>12</Size></Graphic></PointSymbolizer>
      </Rule>
      <Rule><Name>shallow</Name><Title>Shallow</Title><ElseFilter/>
        <PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">#0000ff</CssParameter></Fill></Mark><Size>12</Size></Graphic></PointSymbolizer>
      </Rule>
      <Rule><Name>labels</Name><Title>Names</Title><MaxScaleDenominator>2000000</MaxScaleDenominator>
        <TextSymbolizer><Label><ogc:PropertyName>name</ogc:PropertyName></Label><Font><CssParameter name="font-size">12</CssParameter></Font>
          <LabelPlacement><PointPlacement><AnchorPoint><AnchorPointX>0</AnchorPointX><AnchorPointY>0.5</AnchorPointY></AnchorPoint><Displacement><DisplacementX>25</DisplacementX><DisplacementY>0</DisplacementY></Displacement></PointPlacement></LabelPlacement>
          <Halo><Radius>2</Radius><Fill><CssParameter name="fill">#ffffff</CssParameter></Fill></Halo><Fill><CssParameter name="fill">#000000</CssParameter></Fill></TextSymbolizer>
      </Rule>
    </FeatureTypeStyle>
  </UserStyle></NamedLayer>
</StyledLayerDescriptor>`

/** Three towns with the default point style (drawn from the spatial index alone). */
const TOWNS: [number, number][] = [
  [7.5, 46.5],
  [8.0, 47.0],
  [9.25, 47.25]
]
const towns = JSON.stringify({ type: 'FeatureCollection', features: TOWNS.map((p, i) => ({ type: 'Feature', properties: { n: i }, geometry: { type: 'Point', coordinates: p } })) })

/** A square over (20..30, 20..30). */
const parcel = JSON.stringify({
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { code: 'P-1' }, geometry: { type: 'Polygon', coordinates: [[[20, 20], [30, 20], [30, 30], [20, 30], [20, 20]]] } }]
})

const DEM_SLD = `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld"><NamedLayer><Name>dem</Name><UserStyle><Name>dem_ramp</Name>
  <FeatureTypeStyle><Rule><RasterSymbolizer><ColorMap type="intervals">
    <ColorMapEntry color="#0000ff" quantity="1000" label="low"/><ColorMapEntry color="#ff0000" quantity="5000" label="high"/>
  </ColorMap></RasterSymbolizer></Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>`

let dir: string
let wellsName: string
let parcelName: string
let secretName: string
let demName: string
let demRampName: string
let cogName: string
let townsName: string

async function upload(files: Parameters<typeof uploadLayer>[2], fields: Record<string, string> = {}): Promise<string> {
  const res = await uploadLayer(t.server, owner(), files, fields)
  expect(res.status, res.text).toBe(200)
  expect(res.body.status, res.text).toBe('finished')
  return one('SELECT r.alternate FROM uploads u JOIN resources r ON r.id = u.layer_id WHERE u.id = ?', res.body.id).alternate as string
}

/** A 64 x 64 Float32 elevation model over lon 40..41, lat 10..11: 100 m in the west to 4,000 m in the east, nodata in its top-left 8 x 8 block. */
async function demFile(): Promise<string> {
  const values = new Float32Array(64 * 64)
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) values[y * 64 + x] = x < 8 && y < 8 ? -9999 : 100 + (3900 * x) / 63
  return writeGeoTiff(join(dir, 'dem.tif'), {
    width: 64,
    height: 64,
    values,
    metadata: { BitsPerSample: [32], SampleFormat: [3], GDAL_NODATA: '-9999', ModelPixelScale: [1 / 64, 1 / 64, 0], ModelTiepoint: [0, 0, 0, 40, 11, 0], GeographicTypeGeoKey: 4326, GTModelTypeGeoKey: 2 } as never
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapshelf-wms-'))
  wellsName = await upload([fileBytes('base_file', 'wells.geojson', wells), fileBytes('sld_file', 'wells.sld', WELLS_SLD)])
  parcelName = await upload([fileBytes('base_file', 'parcel.geojson', parcel)])
  secretName = await upload([fileBytes('base_file', 'secret.geojson', parcel)], { permissions: PRIVATE })
  const dem = await demFile()
  demName = await upload([fileOnDisk('base_file', dem)])
  demRampName = await upload([fileOnDisk('base_file', dem, 'dem_ramp.tif'), fileBytes('sld_file', 'ramp.sld', DEM_SLD)])
  cogName = await upload([fileOnDisk('base_file', fixturePath('cog-32633.tif'))])
  townsName = await upload([fileBytes('base_file', 'towns.geojson', towns)])
}, 60_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const WMS = '/geoserver/ows?service=WMS'

async function image(query: string, who: Parameters<typeof getBytes>[2] = 'anonymous') {
  const res = await getBytes(t.server, `${WMS}&${query}`, who)
  expect(res.headers.get('content-type'), res.bytes.toString().slice(0, 400)).toMatch(/^image\/png/)
  return PNG.sync.read(res.bytes)
}

function pixel(png: PNG, x: number, y: number): [number, number, number, number] {
  const i = (png.width * y + x) * 4
  return [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]]
}

async function exception(query: string, who: Who = 'anonymous'): Promise<{ code: string; locator?: string; status: number; version: string }> {
  const res = await request(t.server, `${WMS}&${query}`, { who })
  const root = parseXmlElement(res.text)
  expect(root.name, res.text).toBe('ServiceExceptionReport')
  const ex = root.children[0]
  return { code: ex.attrs.code, locator: ex.attrs.locator, status: res.status, version: root.attrs.version }
}

const find = (e: XmlElement, name: string): XmlElement[] => [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => find(c, name))]
const layersOf = (caps: XmlElement) => find(caps, 'Layer').filter((l) => l.children.some((c) => c.name === 'Name'))
const nameOf = (l: XmlElement) => l.children.find((c) => c.name === 'Name')!.text

/** Pixel of lon/lat in a 256 x 256 map of lon 9..13, lat -2..2. */
const WELLS_BOX = '9,-2,13,2'
const at = (lon: number, lat: number): [number, number] => [Math.round(((lon - 9) / 4) * 256), Math.round(((2 - lat) / 4) * 256)]

describe('GetCapabilities', () => {
  it('answers 1.3.0 without VERSION, with the endpoint address, the layers the caller may view and EPSG:4326 boxes latitude first', async () => {
    const res = await request(t.server, `${WMS}&request=GetCapabilities`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/)
    const caps = parseXmlElement(res.text)
    expect(caps.name).toBe('WMS_Capabilities')
    expect(caps.attrs.version).toBe('1.3.0')
    const service = find(caps, 'Service')[0]
    expect(find(service, 'OnlineResource')[0].attrs['xlink:href']).toBe(`${t.server.url}/geoserver/ows`)
    expect(find(find(caps, 'GetMap')[0], 'OnlineResource')[0].attrs['xlink:href']).toBe(`${t.server.url}/geoserver/ows?`)
    const names = layersOf(caps).map(nameOf)
    expect(names).toEqual(expect.arrayContaining([wellsName, parcelName, demName]))
    expect(names).not.toContain(secretName)
    const wellsLayer = layersOf(caps).find((l) => nameOf(l) === wellsName)!
    expect(wellsLayer.attrs.queryable).toBe('1')
    expect(find(wellsLayer, 'CRS').map((c) => c.text)).toEqual(expect.arrayContaining(['EPSG:4326', 'EPSG:3857']))
    const geo = find(wellsLayer, 'EX_GeographicBoundingBox')[0]
    expect(Number(geo.children.find((c) => c.name === 'westBoundLongitude')!.text)).toBeCloseTo(10, 6)
    expect(Number(geo.children.find((c) => c.name === 'northBoundLatitude')!.text)).toBeCloseTo(1, 6)
    const box4326 = find(wellsLayer, 'BoundingBox').find((b) => b.attrs.CRS === 'EPSG:4326')!
    expect([box4326.attrs.minx, box4326.attrs.miny, box4326.attrs.maxx, box4326.attrs.maxy].map(Number)).toEqual([-1, 10, 1, 12])
    const style = find(wellsLayer, 'Style')[0]
    expect(nameOf(style)).toBe('wells_by_depth')
    expect(find(style, 'OnlineResource')[0].attrs['xlink:href']).toContain('request=GetLegendGraphic')
    const formats = find(find(caps, 'GetMap')[0], 'Format').map((f) => f.text)
    expect(formats).toEqual(['image/png', 'image/png8', 'image/jpeg', 'application/pdf'])
  })

  it('answers 1.1.1 with longitude-first boxes, the native CRS of a raster, and private layers for their owner', async () => {
    const res = await request(t.server, `${WMS}&version=1.1.1&request=GetCapabilities`, { who: owner() })
    const caps = parseXmlElement(res.text)
    expect(caps.name).toBe('WMT_MS_Capabilities')
    expect(caps.attrs.version).toBe('1.1.1')
    const names = layersOf(caps).map(nameOf)
    expect(names).toContain(secretName)
    const wellsLayer = layersOf(caps).find((l) => nameOf(l) === wellsName)!
    const box = find(wellsLayer, 'BoundingBox').find((b) => b.attrs.SRS === 'EPSG:4326')!
    expect([box.attrs.minx, box.attrs.miny, box.attrs.maxx, box.attrs.maxy].map(Number)).toEqual([10, -1, 12, 1])
    expect(find(wellsLayer, 'LatLonBoundingBox')[0].attrs.minx).toBe('10')
    expect(find(wellsLayer, 'SRS').map((s) => s.text)).toContain('EPSG:3857')
  })

  it('negotiates the version as the spec says', async () => {
    const version = async (v: string) => parseXmlElement((await request(t.server, `${WMS}&request=GetCapabilities&version=${v}`)).text).attrs.version
    expect(await version('1.2.0')).toBe('1.1.1')
    expect(await version('2.0.0')).toBe('1.3.0')
    expect(await version('1.0.0')).toBe('1.1.1')
    expect(await version('1.3.0')).toBe('1.3.0')
  })

  it('is served at /geoserver/wms, the workspace path and under /gs, each advertising its own address', async () => {
    for (const path of ['/geoserver/wms', '/geoserver/geonode/wms', '/gs/ows']) {
      const res = await request(t.server, `${path}?request=GetCapabilities&service=WMS`)
      const caps = parseXmlElement(res.text)
      expect(find(find(caps, 'Service')[0], 'OnlineResource')[0].attrs['xlink:href']).toBe(`${t.server.url}${path}`)
      expect(layersOf(caps).map(nameOf)).toContain(wellsName)
    }
  })
})

describe('GetMap', () => {
  const wellsMap = (extra = '') => `request=GetMap&layers=${wellsName}&styles=&format=image/png&transparent=true&width=256&height=256${extra}`

  it('draws each well with the rule its depth matches, transparent elsewhere (1.1.1, lon/lat)', async () => {
    const png = await image(`version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`)
    expect(png.width).toBe(256)
    expect(pixel(png, ...at(11, 0))).toEqual([255, 0, 0, 255])
    expect(pixel(png, ...at(12, -1))).toEqual([0, 0, 255, 255])
    expect(pixel(png, ...at(10, 1))).toEqual([0, 0, 255, 255])
    expect(pixel(png, 5, 250)[3]).toBe(0)
  })

  it('reads a 1.3.0 EPSG:4326 bbox latitude first, and draws the same map', async () => {
    const v111 = await image(`version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`)
    const v130 = await image(`version=1.3.0&${wellsMap()}&crs=EPSG:4326&bbox=-2,9,2,13`)
    expect(Buffer.compare(v130.data, v111.data)).toBe(0)
  })

  it('draws scale-dependent rules only within their scales, and labels when zoomed in', async () => {
    const near = await image(`version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=10.9,-0.1,11.1,0.1`)
    // 0.2 degrees over 256 pixels is about 1:310,000: the green disc under the marker, and the label to the east.
    expect(pixel(near, 128 - 16, 128)).toEqual([0, 255, 0, 255])
    expect(pixel(near, 128, 128)).toEqual([255, 0, 0, 255])
    let dark = 0
    for (let x = 155; x < 250; x++) for (let y = 120; y < 136; y++) if (pixel(near, x, y)[0] < 80 && pixel(near, x, y)[3] > 200) dark++
    expect(dark).toBeGreaterThan(20)
    const far = await image(`version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`)
    expect(pixel(far, at(11, 0)[0] - 16, at(11, 0)[1])[3]).toBe(0)
  })

  it('reprojects to EPSG:3857', async () => {
    // Web Mercator of (11, 0): x = 1224514.4, y = 0.
    const png = await image(`version=1.1.1&${wellsMap()}&srs=EPSG:3857&bbox=1124514.4,-100000,1324514.4,100000`)
    expect(pixel(png, 128, 128)).toEqual([255, 0, 0, 255])
    expect(pixel(png, 10, 10)[3]).toBe(0)
  })

  it('draws a point layer with its default style in EPSG:4326, Web Mercator and UTM, each town where proj4 puts it', async () => {
    const fill = /name="fill">(#[0-9a-f]{6})</.exec(defaultSld(townsName.split(':')[1]!, 'point'))![1]!
    const rgb = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16))
    for (const epsg of [4326, 3857, 32632]) {
      proj4.defs('EPSG:32632', '+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs')
      const xy = TOWNS.map((p) => (epsg === 4326 ? p : (proj4('EPSG:4326', `EPSG:${epsg}`, p) as [number, number])))
      const xs = xy.map((p) => p[0])
      const ys = xy.map((p) => p[1])
      const pad = (Math.max(...xs) - Math.min(...xs)) * 0.25
      const box = [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad]
      const png = await image(`version=1.1.1&request=GetMap&layers=${townsName}&styles=&format=image/png&transparent=true&width=200&height=200&srs=EPSG:${epsg}&bbox=${box.join(',')}`)
      for (const [x, y] of xy) {
        const px = Math.round(((x - box[0]) / (box[2] - box[0])) * 200)
        const py = Math.round(((box[3] - y) / (box[3] - box[1])) * 200)
        expect(pixel(png, px, py), `EPSG:${epsg}`).toEqual([...rgb, 255])
      }
      expect(pixel(png, 2, 198)[3]).toBe(0)
    }
  })

  it('draws a polygon layer with its default style on BGCOLOR, and several layers bottom first', async () => {
    const png = await image(`version=1.1.1&request=GetMap&layers=${parcelName}&styles=&format=image/png&width=100&height=100&srs=EPSG:4326&bbox=15,15,35,35&bgcolor=0x00FF00`)
    expect(pixel(png, 5, 5)).toEqual([0, 255, 0, 255])
    const inside = pixel(png, 50, 50)
    expect(inside[3]).toBe(255)
    expect(inside.slice(0, 3)).not.toEqual([0, 255, 0])
    const both = await image(`version=1.1.1&request=GetMap&layers=${parcelName},${wellsName}&styles=,&format=image/png&transparent=true&width=256&height=256&srs=EPSG:4326&bbox=9,-2,13,2`)
    expect(pixel(both, ...at(11, 0))).toEqual([255, 0, 0, 255])
  })

  it('answers 8-bit PNG, JPEG and a one-page PDF', async () => {
    const png8 = await getBytes(t.server, `${WMS}&version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`.replace('image/png', 'image/png8'))
    expect(png8.headers.get('content-type')).toBe('image/png')
    expect(png8.bytes[25]).toBe(3)
    // The labels' anti-aliasing makes more than 256 colours: the style's own stay exact.
    expect(pixel(PNG.sync.read(png8.bytes), ...at(11, 0))).toEqual([255, 0, 0, 255])
    const near = await getBytes(t.server, `${WMS}&version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=10.9,-0.1,11.1,0.1`.replace('image/png', 'image/png8'))
    const zoomed = PNG.sync.read(near.bytes)
    expect(pixel(zoomed, 128, 128)).toEqual([255, 0, 0, 255])
    expect(pixel(zoomed, 128 - 16, 128)).toEqual([0, 255, 0, 255])
    const jpeg = await getBytes(t.server, `${WMS}&version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`.replace('image/png', 'image/jpeg'))
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg')
    expect(jpeg.bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    const pdf = await getBytes(t.server, `${WMS}&version=1.1.1&${wellsMap()}&srs=EPSG:4326&bbox=${WELLS_BOX}`.replace('image/png', 'application/pdf'))
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdf.bytes.subarray(0, 5).toString()).toBe('%PDF-')
    expect(pdf.bytes.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(1)
  })

  it('stretches a Float32 elevation model instead of drawing it black, nodata transparent', async () => {
    const png = await image(`version=1.1.1&request=GetMap&layers=${demName}&styles=&format=image/png&transparent=true&width=64&height=64&srs=EPSG:4326&bbox=40,10,41,11`)
    const west = pixel(png, 10, 40)
    const east = pixel(png, 60, 40)
    expect(west[3]).toBe(255)
    expect(east[0]).toBeGreaterThan(200)
    expect(west[0]).toBeLessThan(east[0])
    expect(pixel(png, 32, 40)[0]).toBeGreaterThan(60)
    expect(pixel(png, 2, 2)[3]).toBe(0)
  })

  it('draws a UTM raster in its own CRS from its overviews, and reprojected to EPSG:4326, where its extent is', async () => {
    // cog-32633.tif: 256 x 256 bytes of 10 m from (500000, 4997440) to (502560, 5000000), overviews of 128 and 64; a gradient.
    const native = await image(`version=1.1.1&request=GetMap&layers=${cogName}&styles=&format=image/png&transparent=true&width=64&height=64&srs=EPSG:32633&bbox=500000,4997440,502560,5000000`)
    expect(pixel(native, 40, 40)[3]).toBe(255)
    expect(new Set(Array.from({ length: 64 }, (_, x) => pixel(native, x, 40)[0])).size).toBeGreaterThan(20)
    const outside = await image(`version=1.1.1&request=GetMap&layers=${cogName}&styles=&format=image/png&transparent=true&width=64&height=64&srs=EPSG:32633&bbox=400000,4897440,402560,4900000`)
    expect(pixel(outside, 32, 32)[3]).toBe(0)
    // In lon/lat it covers about 15.0-15.033 E, 45.130-45.154 N; around it stays transparent.
    const lonLat = await image(`version=1.3.0&request=GetMap&layers=${cogName}&styles=&format=image/png&transparent=true&width=100&height=100&crs=CRS:84&bbox=14.99,45.12,15.05,45.17`)
    expect(pixel(lonLat, 40, 50)[3]).toBe(255)
    expect(pixel(lonLat, 2, 2)[3]).toBe(0)
    expect(pixel(lonLat, 97, 50)[3]).toBe(0)
    const caps = parseXmlElement((await request(t.server, `${WMS}&request=GetCapabilities&version=1.3.0`)).text)
    const layer = layersOf(caps).find((l) => nameOf(l) === cogName)!
    expect(find(layer, 'CRS').map((c) => c.text)).toContain('EPSG:32633')
    const box = find(layer, 'BoundingBox').find((b) => b.attrs.CRS === 'EPSG:32633')!
    expect([box.attrs.minx, box.attrs.miny, box.attrs.maxx, box.attrs.maxy].map(Number)).toEqual([500000, 4997440, 502560, 5000000])
  })

  it("applies a raster style's ColorMap", async () => {
    const png = await image(`version=1.1.1&request=GetMap&layers=${demRampName}&styles=&format=image/png&transparent=true&width=64&height=64&srs=EPSG:4326&bbox=40,10,41,11`)
    expect(pixel(png, 12, 40)).toEqual([0, 0, 255, 255])
    expect(pixel(png, 60, 40)).toEqual([255, 0, 0, 255])
  })

  it("answers every GetMap and legend link of the layer's links", async () => {
    const pk = (await request(t.server, `/api/v2/layers?filter{alternate}=${wellsName}`)).body.layers[0].pk
    const links = (await request(t.server, `/api/v2/mapshelf/resources/${pk}/links`)).body
    const list: { name: string; url: string; mime: string }[] = Array.isArray(links) ? links : (links.links ?? [])
    const images = list.filter((l) => ['PNG', 'JPEG', 'PDF', 'Legend'].includes(l.name))
    expect(images).toHaveLength(4)
    for (const link of images) {
      const res = await getBytes(t.server, link.url)
      expect(res.status, link.url).toBe(200)
      expect(res.headers.get('content-type'), `${link.url} ${res.bytes.toString().slice(0, 300)}`).toBe(link.mime)
    }
  })

  it('refuses bad requests with the exception of the version, code and locator', async () => {
    const base = `srs=EPSG:4326&bbox=${WELLS_BOX}&width=256&height=256&format=image/png`
    expect(await exception(`version=1.1.1&request=GetMap&layers=geonode:nothing&${base}`)).toMatchObject({ code: 'LayerNotDefined', locator: 'layers', version: '1.1.1' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${secretName}&${base}`)).toMatchObject({ code: 'LayerNotDefined', locator: 'layers' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&styles=nope&${base}`)).toMatchObject({ code: 'StyleNotDefined', locator: 'styles' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('EPSG:4326', 'EPSG:999999')}`)).toMatchObject({ code: 'InvalidSRS', locator: 'srs' })
    expect(await exception(`version=1.3.0&request=GetMap&layers=${wellsName}&${base.replace('srs=EPSG:4326', 'crs=EPSG:999999')}`)).toMatchObject({ code: 'InvalidCRS', locator: 'crs', version: '1.3.0' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace(WELLS_BOX, '13,2,9,-2')}`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'bbox' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace(WELLS_BOX, '1,2,3')}`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'bbox' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('image/png', 'image/gif')}`)).toMatchObject({ code: 'InvalidFormat', locator: 'format' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('width=256', 'width=4097')}`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'width' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('width=256&height=256', 'width=4096&height=4096')}`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'width' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('width=256', 'width=0')}`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'width' })
    expect(await exception(`version=1.1.1&request=GetMap&${base}`)).toMatchObject({ code: 'MissingParameterValue', locator: 'LAYERS' })
    expect(await exception(`version=1.1.1&request=GetMap&layers=${wellsName}&${base.replace('&bbox=9,-2,13,2', '')}`)).toMatchObject({ code: 'MissingParameterValue', locator: 'BBOX' })
  })
})

describe('GetFeatureInfo', () => {
  const info = (extra: string) => `request=GetFeatureInfo&layers=${wellsName}&query_layers=${wellsName}&styles=&width=256&height=256${extra}`

  it('answers the feature under I/J (1.3.0) as GeoServer-shaped JSON, and nothing where nothing is drawn', async () => {
    const [i, j] = at(11, 0)
    const res = await request(t.server, `${WMS}&version=1.3.0&${info(`&crs=EPSG:4326&bbox=-2,9,2,13&i=${i + 3}&j=${j - 2}&info_format=application/json`)}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.body).toMatchObject({ type: 'FeatureCollection', numberReturned: 1 })
    expect(res.body.features[0]).toMatchObject({ type: 'Feature', geometry: { type: 'Point', coordinates: [11, 0] }, properties: { name: 'Centre well', depth_m: 21.75 } })
    const miss = await request(t.server, `${WMS}&version=1.3.0&${info(`&crs=EPSG:4326&bbox=-2,9,2,13&i=5&j=5&info_format=application/json`)}`)
    expect(miss.body.features).toEqual([])
  })

  it('reads X/Y in 1.1.1, honours FEATURE_COUNT, and answers HTML, text and GML', async () => {
    // The whole world in 64 pixels: every well is under the middle pixel.
    const query = (format: string, count = 10) => `${WMS}&version=1.1.1&${info(`&srs=EPSG:4326&bbox=-180,-90,180,90&width=64&height=32&x=32&y=16&feature_count=${count}&info_format=${encodeURIComponent(format)}`)}`.replace('width=256&height=256&', '')
    expect((await request(t.server, query('application/json'))).body.features).toHaveLength(5)
    expect((await request(t.server, query('application/json', 2))).body.features).toHaveLength(2)
    const html = await request(t.server, query('text/html'))
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(html.text).toContain('<td>Centre well</td>')
    const text = await request(t.server, query('text/plain'))
    expect(text.text).toContain('name = Centre well')
    const gml2 = await request(t.server, query('application/vnd.ogc.gml'))
    const root = parseXmlElement(gml2.text)
    expect(root.name).toBe('FeatureCollection')
    expect(find(root, 'featureMember')).toHaveLength(5)
    expect(find(root, 'coordinates')[0].text).toMatch(/^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/)
    const gml3 = await request(t.server, query('application/vnd.ogc.gml/3.1.1'))
    expect(find(parseXmlElement(gml3.text), 'pos'), gml3.text).toHaveLength(5)
  })

  it('answers raster values per band', async () => {
    const res = await request(t.server, `${WMS}&version=1.3.0&request=GetFeatureInfo&layers=${demName}&query_layers=${demName}&styles=&crs=EPSG:4326&bbox=10,40,11,41&width=64&height=64&i=63&j=40&info_format=application/json`)
    expect(res.body.features).toHaveLength(1)
    expect(res.body.features[0].properties.GRAY_INDEX).toBeCloseTo(4000, 0)
  })

  it('refuses a point outside the image, a query layer not drawn and an unknown format', async () => {
    expect(await exception(`version=1.3.0&${info('&crs=EPSG:4326&bbox=-2,9,2,13&i=300&j=5&info_format=application/json')}`)).toMatchObject({ code: 'InvalidPoint', locator: 'i' })
    expect(await exception(`version=1.3.0&${info(`&crs=EPSG:4326&bbox=-2,9,2,13&i=3&j=5&info_format=application/json`).replace(`query_layers=${wellsName}`, `query_layers=${parcelName}`)}`)).toMatchObject({ code: 'LayerNotDefined', locator: 'query_layers' })
    expect(await exception(`version=1.3.0&${info('&crs=EPSG:4326&bbox=-2,9,2,13&i=3&j=5&info_format=image/png')}`)).toMatchObject({ code: 'InvalidFormat', locator: 'info_format' })
  })
})

describe('GetLegendGraphic', () => {
  it("draws a row per drawn rule of the layer's style, and one rule's icon alone", async () => {
    const legend = await image(`version=1.3.0&request=GetLegendGraphic&format=image/png&width=20&height=20&layer=${wellsName}`)
    expect(legend.height).toBe(60)
    expect(legend.width).toBeGreaterThan(40)
    expect(pixel(legend, 10, 30)).toEqual([255, 0, 0, 255])
    expect(pixel(legend, 10, 50)).toEqual([0, 0, 255, 255])
    const rule = await image(`version=1.3.0&request=GetLegendGraphic&format=image/png&width=30&height=30&layer=${wellsName}&rule=deep`)
    expect([rule.width, rule.height]).toEqual([30, 30])
    expect(pixel(rule, 15, 15)).toEqual([255, 0, 0, 255])
  })

  it('draws a default style, whose rule has no title, as its icon alone even when labels are forced', async () => {
    const legend = await image(`request=GetLegendGraphic&format=image/png&WIDTH=20&HEIGHT=20&LAYER=${parcelName}&version=1.3.0&sld_version=1.1.0&legend_options=fontAntiAliasing:true;fontSize:12;forceLabels:on`)
    expect([legend.width, legend.height]).toEqual([20, 20])
    expect(pixel(legend, 10, 10)[3]).toBeGreaterThan(100)
  })

  it("draws a raster's colour map with its values", async () => {
    const legend = await image(`request=GetLegendGraphic&format=image/png&layer=${demRampName}`)
    expect(legend.height).toBe(40)
    expect(pixel(legend, 5, 10)).toEqual([0, 0, 255, 255])
    expect(pixel(legend, 5, 30)).toEqual([255, 0, 0, 255])
  })

  it('refuses an unknown layer, style or rule', async () => {
    expect(await exception(`version=1.3.0&request=GetLegendGraphic&format=image/png&layer=geonode:nothing`)).toMatchObject({ code: 'LayerNotDefined', locator: 'layer' })
    expect(await exception(`version=1.3.0&request=GetLegendGraphic&format=image/png&layer=${wellsName}&style=nope`)).toMatchObject({ code: 'StyleNotDefined', locator: 'style' })
    expect(await exception(`version=1.3.0&request=GetLegendGraphic&format=image/png&layer=${wellsName}&rule=nope`)).toMatchObject({ code: 'InvalidParameterValue', locator: 'rule' })
  })
})
