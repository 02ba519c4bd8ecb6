import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fromArrayBuffer, fromFile, type GeoTIFFImage } from 'geotiff'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COG, FLOAT, RGB, cogUpload, floatValue, rgbValue, uploadRaster, writeFloatRaster, writeRgbRaster } from '../helpers/coverages'
import { run, runPythonScript, skipReason } from '../helpers/client-runner'
import { makeTempDir } from '../helpers/fixtures-files'
import { type TestServer, startTestServer } from '../helpers/server'
import { fileOnDisk } from '../helpers/uploads'

// Real WCS clients against a fresh server with two uploaded rasters (a Byte COG in EPSG:32633 and
// a Float32 raster in EPSG:4326 with nodata): GDAL's WCS driver in 1.0.0 and 2.0.1, QGIS's WCS
// provider (1.0.0, the version it speaks), and OWSLib's WebCoverageService.

const FILE = 'test/clients/wcs.test.ts'
const gdalMissing = skipReason(FILE, 'gdal')
const qgisMissing = skipReason(FILE, 'qgis')
const owslibMissing = skipReason(FILE, 'owslib')
const allMissing = Boolean(gdalMissing && qgisMissing && owslibMissing)

let server: TestServer
let temp: Awaited<ReturnType<typeof makeTempDir>>

beforeAll(async () => {
  if (allMissing) return
  temp = await makeTempDir('mapshelf-wcs-clients-')
  server = await startTestServer()
  await uploadRaster(server, 'admin', cogUpload())
  await uploadRaster(server, 'admin', [fileOnDisk('base_file', await writeFloatRaster(temp.dir))])
  await uploadRaster(server, 'admin', [fileOnDisk('base_file', await writeRgbRaster(temp.dir))])
}, 120_000)

afterAll(async () => {
  await server?.close()
  await temp?.remove()
})

const ows = () => `${server.url}/geoserver/ows`

async function tiffValues(file: string): Promise<{ image: GeoTIFFImage; values: number[] }> {
  const bytes = await readFile(file)
  const image = await (await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer)).getImage(0)
  return { image, values: Array.from((await image.readRasters({ interleave: false }))[0] as ArrayLike<number>) }
}

async function cogValues(): Promise<number[]> {
  return Array.from((await (await (await fromFile(COG.file)).getImage(0)).readRasters({ interleave: false }))[0] as ArrayLike<number>)
}

const floatValues = () => Array.from({ length: FLOAT.width * FLOAT.height }, (_, i) => Math.fround(floatValue(i % FLOAT.width, Math.floor(i / FLOAT.width))))

describe.skipIf(Boolean(gdalMissing))('GDAL\u2019s WCS driver', () => {
  const gdal = (tool: string, args: string[]) => run(tool, ['-oo', `CACHE=${join(temp.dir, 'gdal-cache')}`, ...args])

  for (const [version, cog, float] of [
    ['2.0.1', 'geonode__cog_32633', 'geonode__float_4326'],
    ['1.0.0', 'geonode:cog_32633', 'geonode:float_4326']
  ] as const) {
    it(`gdalinfo sees the coverages of ${version} with their size, type, CRS and georeferencing`, async () => {
      const listed = await gdal('gdalinfo', [`WCS:${ows()}?version=${version}`])
      expect(listed.code, listed.stderr).toBe(0)
      expect(listed.stdout).toContain(cog)
      expect(listed.stdout).toContain(float)
      const info = await gdal('gdalinfo', ['-json', `WCS:${ows()}?version=${version}&coverage=${cog}`])
      expect(info.code, info.stderr).toBe(0)
      const json = JSON.parse(info.stdout)
      expect(json.size).toEqual([COG.width, COG.height])
      expect(json.bands.map((b: { type: string }) => b.type)).toEqual(['Byte'])
      expect(json.coordinateSystem.wkt).toContain('ID["EPSG",32633]')
      expect(json.geoTransform).toEqual([500000, 10, 0, 5000000, 0, -10])
      const floatInfo = JSON.parse((await gdal('gdalinfo', ['-json', `WCS:${ows()}?version=${version}&coverage=${float}`])).stdout)
      expect(floatInfo.size).toEqual([FLOAT.width, FLOAT.height])
      expect(floatInfo.bands[0].type).toBe('Float32')
    })

    it(`gdal_translate reads every pixel value of the stored rasters through ${version}`, async () => {
      for (const [coverage, expected, type] of [
        [cog, await cogValues(), 1],
        [float, floatValues(), 3]
      ] as const) {
        const out = join(temp.dir, `${version}-${coverage.replace(':', '_')}.tif`)
        const result = await gdal('gdal_translate', ['-q', `WCS:${ows()}?version=${version}&coverage=${coverage}`, out])
        expect(result.code, result.stderr).toBe(0)
        const { image, values } = await tiffValues(out)
        expect(image.getSampleFormat(0)).toBe(type)
        expect(values).toEqual(expected)
      }
    })
  }

  it('gdal_translate -b reads one band of an RGB raster through 1.0.0 (BAND) and 2.0.1', async () => {
    const green = Array.from({ length: RGB.width * RGB.height }, (_, i) => rgbValue(1, i % RGB.width, Math.floor(i / RGB.width)))
    for (const [version, coverage] of [['1.0.0', 'geonode:rgb_32633'], ['2.0.1', 'geonode__rgb_32633']]) {
      const out = join(temp.dir, `green-${version}.tif`)
      const result = await gdal('gdal_translate', ['-q', '-b', '2', `WCS:${ows()}?version=${version}&coverage=${coverage}`, out])
      expect(result.code, result.stderr).toBe(0)
      expect((await tiffValues(out)).values).toEqual(green)
    }
  })

  it('gdal_translate -projwin asks for a part and gets the stored pixels of it', async () => {
    const out = join(temp.dir, 'part.tif')
    const result = await gdal('gdal_translate', ['-q', '-projwin', '500100', '4999000', '500500', '4998000', `WCS:${ows()}?version=2.0.1&coverage=geonode__cog_32633`, out])
    expect(result.code, result.stderr).toBe(0)
    const { image, values } = await tiffValues(out)
    expect([image.getWidth(), image.getHeight()]).toEqual([40, 100])
    const source = await cogValues()
    expect(values).toEqual(Array.from({ length: 4000 }, (_, i) => source[(100 + Math.floor(i / 40)) * 256 + 10 + (i % 40)]))
  })
})

describe.skipIf(Boolean(qgisMissing))('QGIS\u2019s WCS provider', () => {
  it('opens the Byte coverage valid, with its size, CRS, type and pixel values', async () => {
    const source = await cogValues()
    const pixels = [[20, 10], [128, 128], [255, 255], [0, 0]]
    const report = await runPythonScript('wcs_qgis.py', [ows(), 'geonode:cog_32633', '1.0.0', JSON.stringify(pixels)])
    expect(report).toMatchObject({ valid: true, width: 256, height: 256, bands: 1, crs: 'EPSG:32633', dataType: 1, extent: [...COG.bbox] })
    expect(report.values).toEqual(pixels.map(([c, r]) => (source[r * 256 + c] === 0 ? null : source[r * 256 + c])))
  }, 180_000)

  it('opens the Float32 coverage with its nodata', async () => {
    const pixels = [[0, 0], [20, 10], [59, 39]]
    const report = await runPythonScript('wcs_qgis.py', [ows(), 'geonode:float_4326', '1.0.0', JSON.stringify(pixels)])
    expect(report).toMatchObject({ valid: true, width: 60, height: 40, crs: 'EPSG:4326', dataType: 6, extent: [10, 46, 13, 48] })
    expect(report.values).toEqual([null, floatValue(20, 10), floatValue(59, 39)])
  }, 180_000)
})

describe.skipIf(Boolean(owslibMissing))('OWSLib\u2019s WebCoverageService', () => {
  it('lists the coverages and gets one in 1.0.0 with the stored values', async () => {
    const out = join(temp.dir, 'owslib-100.tif')
    const report = await runPythonScript('wcs_owslib.py', [ows(), '1.0.0', 'geonode:cog_32633', out, `EPSG:32633,${COG.bbox.join(',')},256,256`])
    expect(report.coverages).toEqual(['geonode:cog_32633', 'geonode:float_4326', 'geonode:rgb_32633'])
    expect((await tiffValues(out)).values).toEqual(await cogValues())
  }, 120_000)

  it('reads the grid of 2.0.1 and gets a subset', async () => {
    const out = join(temp.dir, 'owslib-201.tif')
    const report = await runPythonScript('wcs_owslib.py', [ows(), '2.0.1', 'geonode__float_4326', out, 'Long,11,11.5', 'Lat,47,47.25'])
    expect(report.coverages).toEqual(['geonode__cog_32633', 'geonode__float_4326', 'geonode__rgb_32633'])
    expect(report.gridHigh).toEqual([59, 39])
    const { image, values } = await tiffValues(out)
    expect([image.getWidth(), image.getHeight()]).toEqual([10, 5])
    expect(values[0]).toBe(Math.fround(floatValue(20, 15)))
  }, 120_000)
})
