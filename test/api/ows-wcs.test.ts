import { fromArrayBuffer, fromFile, type GeoTIFFImage } from 'geotiff'
import proj4 from 'proj4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANON_VIEW_ONLY, COG, FLOAT, PRIVATE, RGB, cogUpload, descendants, floatValue, rgbValue, textOf, uploadRaster, writeFloatRaster, writeRgbRaster, xmlOf } from '../helpers/coverages'
import { makeTempDir } from '../helpers/fixtures-files'
import { type Who, request, useSeededServer, user } from '../helpers/server'
import { fileOnDisk, getBytes } from '../helpers/uploads'

// WCS 1.0.0 and 2.0.1 at GeoServer's paths: capabilities per caller, coverage descriptions, and
// GetCoverage answers read back with the geotiff package and compared with the stored rasters.

const t = useSeededServer({ resources: 10 })
const owner = () => user(t.fx.plainUser)
let temp: Awaited<ReturnType<typeof makeTempDir>>
let floatFile: string
const ids: Record<'cog' | 'float' | 'hidden' | 'rgb', number> = { cog: 0, float: 0, hidden: 0, rgb: 0 }

beforeAll(async () => {
  temp = await makeTempDir('mapshelf-wcs-')
  floatFile = await writeFloatRaster(temp.dir)
  ids.cog = await uploadRaster(t.server, owner(), cogUpload())
  ids.float = await uploadRaster(t.server, owner(), [fileOnDisk('base_file', floatFile)], { permissions: ANON_VIEW_ONLY })
  ids.hidden = await uploadRaster(t.server, owner(), cogUpload('hidden_cog.tif'), { permissions: PRIVATE })
  ids.rgb = await uploadRaster(t.server, owner(), [fileOnDisk('base_file', await writeRgbRaster(temp.dir))])
}, 60_000)

afterAll(() => temp?.remove())

const wcs = (query: string, who: Who = 'anonymous', path = '/geoserver/ows') => request(t.server, `${path}?service=WCS&${query}`, { who })

async function tiff(query: string, who: Who = 'anonymous') {
  const res = await getBytes(t.server, `/geoserver/ows?service=WCS&${query}`, who)
  expect(res.status, res.bytes.toString('utf8', 0, 400)).toBe(200)
  expect(res.headers.get('content-type')).toBe('image/tiff')
  expect(Number(res.headers.get('content-length'))).toBe(res.bytes.length)
  const file = await fromArrayBuffer(res.bytes.buffer.slice(res.bytes.byteOffset, res.bytes.byteOffset + res.bytes.length) as ArrayBuffer)
  return file.getImage(0)
}

async function sourceImage(file: string, index = 0): Promise<GeoTIFFImage> {
  return (await fromFile(file)).getImage(index)
}

const values = async (image: GeoTIFFImage, window?: number[]) => Array.from((await image.readRasters({ window, interleave: false }))[0] as ArrayLike<number>)

describe('WCS GetCapabilities', () => {
  it('lists the rasters the caller may view, with GeoServer\u2019s coverage ids and lon/lat envelopes (2.0.1)', async () => {
    const res = await wcs('request=GetCapabilities')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/xml/)
    const root = xmlOf(res.text)
    expect(root.name).toBe('Capabilities')
    expect(root.attrs.version).toBe('2.0.1')
    expect(descendants(root, 'CoverageId').map((e) => e.text).sort()).toEqual(['geonode__cog_32633', 'geonode__float_4326', 'geonode__rgb_32633'])
    const float = descendants(root, 'CoverageSummary').find((s) => textOf(s, 'CoverageId') === 'geonode__float_4326')!
    expect(textOf(float, 'LowerCorner')!.split(' ').map(Number)).toEqual([10, 46])
    expect(textOf(float, 'UpperCorner')!.split(' ').map(Number)).toEqual([13, 48])
    expect(descendants(root, 'Get').map((g) => g.attrs['xlink:href'])).toEqual(Array(3).fill(`${t.server.url}/geoserver/ows?`))
    const mine = xmlOf((await wcs('request=GetCapabilities', owner())).text)
    expect(descendants(mine, 'CoverageId').map((e) => e.text).sort()).toEqual(['geonode__cog_32633', 'geonode__float_4326', 'geonode__hidden_cog', 'geonode__rgb_32633'])
  })

  it('answers 1.0.0 with geonode:name coverage names, at /geoserver/wcs and the workspace endpoint', async () => {
    for (const path of ['/geoserver/wcs', '/gs/geonode/wcs', '/geoserver/geonode/ows']) {
      const res = await request(t.server, `${path}?request=GetCapabilities&version=1.0.0${path.endsWith('ows') ? '&service=WCS' : ''}`)
      expect(res.status, path).toBe(200)
      const root = xmlOf(res.text)
      expect(root.name).toBe('WCS_Capabilities')
      expect(root.attrs.version).toBe('1.0.0')
      expect(descendants(root, 'CoverageOfferingBrief').map((b) => textOf(b, 'name')).sort()).toEqual(['geonode:cog_32633', 'geonode:float_4326', 'geonode:rgb_32633'])
      expect(descendants(root, 'OnlineResource')[0].attrs['xlink:href']).toBe(`${t.server.url}${path}?`)
    }
    const lonLat = descendants(xmlOf((await wcs('request=GetCapabilities&version=1.0.0')).text), 'lonLatEnvelope')
    const layer = (await request(t.server, `/api/v2/layers/${ids.cog}`)).body.layer
    const ring = layer.ll_bbox_polygon.coordinates[0] as number[][]
    const [lower] = lonLat.map((e) => e.children[0].text.split(' ').map(Number))
    expect(lower[0]).toBeCloseTo(Math.min(...ring.map((p) => p[0])), 9)
    expect(lower[1]).toBeCloseTo(Math.min(...ring.map((p) => p[1])), 9)
  })

  it('negotiates: AcceptVersions picks the first offered, an unknown VERSION falls back to one offered', async () => {
    expect(xmlOf((await wcs('request=GetCapabilities&acceptversions=1.0.0,2.0.1')).text).attrs.version).toBe('1.0.0')
    expect(xmlOf((await wcs('request=GetCapabilities&version=1.1.1')).text).attrs.version).toBe('1.0.0')
    const refused = await wcs('request=GetCapabilities&acceptversions=9.9.9')
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('VersionNegotiationFailed')
  })
})

describe('WCS DescribeCoverage', () => {
  it('describes the grid, axes, band type and nodata of a projected raster (2.0.1)', async () => {
    const res = await wcs('request=DescribeCoverage&version=2.0.1&coverageId=geonode__cog_32633')
    expect(res.status, res.text).toBe(200)
    const root = xmlOf(res.text)
    const envelope = descendants(root, 'Envelope')[0]
    expect(envelope.attrs).toMatchObject({ srsName: 'http://www.opengis.net/def/crs/EPSG/0/32633', axisLabels: 'E N' })
    expect(textOf(envelope, 'lowerCorner')).toBe('500000 4997440')
    expect(textOf(envelope, 'upperCorner')).toBe('502560 5000000')
    expect(textOf(root, 'high')).toBe('255 255')
    expect(textOf(root, 'pos')).toBe('500005 4999995')
    expect(descendants(root, 'offsetVector').map((v) => v.text)).toEqual(['10 0', '0 -10'])
    expect(descendants(root, 'Quantity')[0].attrs.definition).toBe('http://www.opengis.net/def/dataType/OGC/0/unsignedByte')
    expect(textOf(root, 'nilValue')).toBe('0')
    expect(textOf(root, 'nativeFormat')).toBe('image/tiff')
  })

  it('labels a geographic raster Lat Long, latitude first, and keeps Float32 and its nodata', async () => {
    const root = xmlOf((await wcs('request=DescribeCoverage&version=2.0.1&coverageId=geonode__float_4326')).text)
    const envelope = descendants(root, 'Envelope')[0]
    expect(envelope.attrs.axisLabels).toBe('Lat Long')
    expect(textOf(envelope, 'lowerCorner')!.split(' ').map(Number)).toEqual([46, 10])
    expect(textOf(envelope, 'upperCorner')!.split(' ').map(Number)).toEqual([48, 13])
    expect(textOf(root, 'high')).toBe('59 39')
    expect(descendants(root, 'Quantity')[0].attrs.definition).toBe('http://www.opengis.net/def/dataType/OGC/0/float32')
    expect(textOf(root, 'nilValue')).toBe('-9999')
  })

  it('describes 1.0.0 offerings with the grid, bands, CRSs and GeoTIFF', async () => {
    const root = xmlOf((await wcs('request=DescribeCoverage&version=1.0.0&coverage=geonode:cog_32633')).text)
    expect(root.name).toBe('CoverageDescription')
    expect(textOf(root, 'high')).toBe('255 255')
    expect(descendants(root, 'requestResponseCRSs').map((e) => e.text)).toEqual(['EPSG:32633', 'EPSG:4326', 'EPSG:3857'])
    expect(textOf(root, 'formats')).toBe('GeoTIFF')
    expect(textOf(descendants(root, 'nullValues')[0], 'singleValue')).toBe('0')
  })

  it('refuses coverages that do not exist and ones the caller may not view alike', async () => {
    for (const id of ['geonode__nothing', 'geonode__hidden_cog']) {
      const res = await wcs(`request=DescribeCoverage&version=2.0.1&coverageId=${id}`)
      expect(res.status).toBe(404)
      expect(xmlOf(res.text).name).toBe('ExceptionReport')
      expect(res.text).toContain('exceptionCode="NoSuchCoverage"')
    }
    expect((await wcs('request=DescribeCoverage&version=2.0.1&coverageId=geonode__hidden_cog', owner())).status).toBe(200)
  })
})

describe('WCS GetCoverage', () => {
  it('answers GeoNode\u2019s GeoTIFF link with the stored raster: size, type, CRS, georeferencing, nodata and every value', async () => {
    const links = (await request(t.server, `/api/v2/mapshelf/resources/${ids.cog}/links`)).body.links as { name: string; url: string }[]
    const link = links.find((l) => l.name === 'GeoTIFF')!
    const res = await getBytes(t.server, link.url)
    expect(res.status).toBe(200)
    const image = await (await fromArrayBuffer(res.bytes.buffer.slice(res.bytes.byteOffset, res.bytes.byteOffset + res.bytes.length) as ArrayBuffer)).getImage(0)
    expect([image.getWidth(), image.getHeight()]).toEqual([256, 256])
    expect(image.getGeoKeys()).toMatchObject({ ProjectedCSTypeGeoKey: 32633 })
    expect(image.getBoundingBox()).toEqual([...COG.bbox])
    expect(image.getGDALNoData()).toBe(0)
    expect([image.getBitsPerSample(0), image.getSampleFormat(0)]).toEqual([8, 1])
    expect(await values(image)).toEqual(await values(await sourceImage(COG.file)))
  })

  it('trims with SUBSET on the E and N axes, snapped to whole pixels', async () => {
    const image = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&subset=E(500100,500500)&subset=N(4998000,4999000)')
    expect([image.getWidth(), image.getHeight()]).toEqual([40, 100])
    expect(image.getBoundingBox()).toEqual([500100, 4998000, 500500, 4999000])
    expect(await values(image)).toEqual(await values(await sourceImage(COG.file), [10, 100, 50, 200]))
  })

  it('keeps Float32 values and nodata, trimmed on Long and Lat', async () => {
    const whole = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__float_4326', owner())
    expect([whole.getSampleFormat(0), whole.getBitsPerSample(0), whole.getGDALNoData()]).toEqual([3, 32, FLOAT.noData])
    expect(whole.getGeoKeys()).toMatchObject({ GeographicTypeGeoKey: 4326 })
    const expected = Array.from({ length: FLOAT.width * FLOAT.height }, (_, i) => Math.fround(floatValue(i % FLOAT.width, Math.floor(i / FLOAT.width))))
    expect(await values(whole)).toEqual(expected)
    const part = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__float_4326&subset=Long(11,11.5)&subset=Lat(47,47.25)', owner())
    expect([part.getWidth(), part.getHeight()]).toEqual([10, 5])
    expect((await values(part))[0]).toBe(Math.fround(floatValue(20, 15)))
  })

  it('scales with SCALESIZE and SCALEFACTOR, reading the overview that matches', async () => {
    const small = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalesize=i(64),j(64)')
    expect([small.getWidth(), small.getHeight()]).toEqual([64, 64])
    expect(small.getBoundingBox()).toEqual([...COG.bbox])
    expect(await values(small)).toEqual(await values(await sourceImage(COG.file, 2)))
    const half = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalefactor=2')
    expect([half.getWidth(), half.getHeight()]).toEqual([128, 128])
    expect(await values(half)).toEqual(await values(await sourceImage(COG.file, 1)))
    const axes = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scaleaxes=E(4),N(2)')
    expect([axes.getWidth(), axes.getHeight()]).toEqual([64, 128])
  })

  it('reprojects to OUTPUTCRS, each pixel taking the stored pixel under its centre', async () => {
    const image = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&outputCrs=http://www.opengis.net/def/crs/EPSG/0/4326')
    expect(image.getGeoKeys()).toMatchObject({ GeographicTypeGeoKey: 4326 })
    const [x0, y0, x1, y1] = image.getBoundingBox()
    expect(x0).toBeCloseTo(15, 3)
    expect(y1).toBeCloseTo(45.1535, 3)
    const out = await values(image)
    const source = await values(await sourceImage(COG.file))
    const utm = proj4('+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs')
    const w = image.getWidth()
    const h = image.getHeight()
    let checked = 0
    for (const [i, j] of [[w >> 1, h >> 1], [w >> 2, h >> 2], [(3 * w) >> 2, (3 * h) >> 2], [5, h - 6]]) {
      const [e, n] = utm.forward([x0 + ((i + 0.5) * (x1 - x0)) / w, y1 - ((j + 0.5) * (y1 - y0)) / h])
      const col = Math.floor((e - 500000) / 10)
      const row = Math.floor((5000000 - n) / 10)
      if (col < 0 || col > 255 || row < 0 || row > 255) continue
      expect(out[j * w + i], `pixel ${i},${j}`).toBe(source[row * 256 + col])
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(3)
  })

  it('answers 1.0.0 with BBOX and CRS at WIDTH/HEIGHT or RESX/RESY, and in RESPONSE_CRS', async () => {
    const base = 'request=GetCoverage&version=1.0.0&coverage=geonode:cog_32633&format=GeoTIFF&crs=EPSG:32633'
    const exact = await tiff(`${base}&bbox=500000,4997440,502560,5000000&width=256&height=256&interpolation=nearest neighbor`)
    expect(await values(exact)).toEqual(await values(await sourceImage(COG.file)))
    const byRes = await tiff(`${base}&bbox=500100,4998000,500500,4999000&resx=20&resy=20`)
    expect([byRes.getWidth(), byRes.getHeight()]).toEqual([20, 50])
    const lonLat = await tiff(`${base}&bbox=500000,4997440,502560,5000000&width=100&height=100&response_crs=EPSG:4326`)
    expect(lonLat.getGeoKeys()).toMatchObject({ GeographicTypeGeoKey: 4326 })
    expect(lonLat.getBoundingBox()[0]).toBeCloseTo(15, 3)
  })

  it('needs GeoNode\u2019s download right (403 without it), in the exception format of the version', async () => {
    const v2 = await wcs('request=GetCoverage&version=2.0.1&coverageId=geonode__float_4326')
    expect(v2.status).toBe(403)
    expect(v2.text).toContain('ows:ExceptionReport version="2.0.0"')
    const v1 = await wcs('request=GetCoverage&version=1.0.0&coverage=geonode:float_4326&format=GeoTIFF&crs=EPSG:4326&bbox=10,46,13,48&width=10&height=10')
    expect(v1.status).toBe(403)
    expect(v1.text).toContain('<ServiceExceptionReport')
    expect((await wcs('request=GetCoverage&version=2.0.1&coverageId=geonode__hidden_cog')).status).toBe(404)
  })

  it('selects bands: 1.0.0 BAND numbers, 2.0.1 RANGESUBSET names (as DescribeCoverage gives them) and intervals', async () => {
    const fields = descendants(xmlOf((await wcs('request=DescribeCoverage&version=2.0.1&coverageId=geonode__rgb_32633')).text), 'field').map((f) => f.attrs.name)
    expect(fields).toEqual(['RED_BAND', 'GREEN_BAND', 'BLUE_BAND'])
    const band = (image: GeoTIFFImage, index: number) => image.readRasters({ interleave: false }).then((r) => Array.from(r[index] as ArrayLike<number>))
    const expected = (b: number) => Array.from({ length: RGB.width * RGB.height }, (_, i) => rgbValue(b, i % RGB.width, Math.floor(i / RGB.width)))
    const all = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__rgb_32633')
    expect(all.getSamplesPerPixel()).toBe(3)
    for (const b of [0, 1, 2]) expect(await band(all, b)).toEqual(expected(b))
    const green = await tiff('request=GetCoverage&version=1.0.0&coverage=geonode:rgb_32633&format=GeoTIFF&crs=EPSG:32633&bbox=600000,4499960,600060,4500000&width=30&height=20&band=2')
    expect(green.getSamplesPerPixel()).toBe(1)
    expect(await band(green, 0)).toEqual(expected(1))
    const swapped = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__rgb_32633&rangesubset=BLUE_BAND,RED_BAND')
    expect([await band(swapped, 0), await band(swapped, 1)]).toEqual([expected(2), expected(0)])
    const interval = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__rgb_32633&rangesubset=GREEN_BAND:BLUE_BAND')
    expect([await band(interval, 0), await band(interval, 1)]).toEqual([expected(1), expected(2)])
    const refused = await wcs('request=GetCoverage&version=2.0.1&coverageId=geonode__rgb_32633&rangesubset=NIR')
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('locator="rangeSubset"')
    const many = await wcs(`request=GetCoverage&version=2.0.1&coverageId=geonode__rgb_32633&rangesubset=${Array(65).fill('RED_BAND').join(',')}`)
    expect(many.status).toBe(400)
    expect(many.text).toContain('at most 64 are answered at once')
  })

  it('stops streaming when the client goes away, and keeps answering', async () => {
    const abort = new AbortController()
    const res = await fetch(`${t.server.url}/geoserver/ows?service=WCS&request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalesize=i(6000),j(6000)`, { signal: abort.signal })
    expect(res.headers.get('content-length')).toBe(String(1000 + 6000 * 6000))
    const reader = res.body!.getReader()
    await reader.read()
    abort.abort()
    await expect.poll(() => t.server.logs.some((l) => l.includes('the client went away')), { timeout: 10_000 }).toBe(true)
    const next = await tiff('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalesize=i(8),j(8)')
    expect([next.getWidth(), next.getHeight()]).toEqual([8, 8])
  })

  it('refuses bad requests with the OGC exception naming the parameter, and sizes past the limit', async () => {
    const cases: [string, number, string, string][] = [
      ['request=GetCoverage&version=2.0.1', 400, 'MissingParameterValue', 'COVERAGEID'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&subset=Z(1,2)', 400, 'InvalidAxisLabel', 'subset'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&subset=E(0,10)', 400, 'InvalidSubsetting', 'subset'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&subset=E(500300)', 400, 'InvalidSubsetting', 'subset'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&format=image/png', 400, 'InvalidParameterValue', 'format'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&outputCrs=EPSG:999999', 400, 'InvalidParameterValue', 'outputcrs'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalesize=i(20000),j(20000)', 413, 'InvalidParameterValue', 'size'],
      ['request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&interpolation=http://www.opengis.net/def/interpolation/OGC/1/linear', 400, 'InvalidParameterValue', 'interpolation'],
      ['request=GetCoverage&version=3.0.0&coverageId=geonode__cog_32633', 400, 'InvalidParameterValue', 'version']
    ]
    for (const [query, status, code, locator] of cases) {
      const res = await wcs(query)
      expect(res.status, query).toBe(status)
      expect(res.text, query).toContain(`exceptionCode="${code}"`)
      expect(res.text.toLowerCase(), query).toContain(`locator="${locator.toLowerCase()}"`)
    }
    const missingCrs = await wcs('request=GetCoverage&version=1.0.0&coverage=geonode:cog_32633&format=GeoTIFF&bbox=0,0,1,1&width=1&height=1')
    expect(missingCrs.text).toContain('<ServiceException code="MissingParameterValue" locator="CRS">')
    expect((await wcs('request=GetCoverage&version=2.0.1&coverageId=geonode__cog_32633&scalesize=i(20000),j(20000)')).text).toContain('at most 10000 pixels a side')
  })
})
