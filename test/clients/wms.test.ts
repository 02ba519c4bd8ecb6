import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useSeededServer } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { fileBytes, getBytes, uploadLayer } from '../helpers/uploads'

// Real clients against the WMS: GDAL's WMS driver (gdalinfo, gdal_translate), QGIS's WMS provider
// and SLD reader through python3-qgis, and OWSLib's WebMapService in 1.1.1 and 1.3.0.

const PYTHON = '/usr/bin/python3'
const SCRIPTS = join(import.meta.dirname, 'scripts')
const has = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' }).status === 0
const gdal = has('gdalinfo', ['--version'])
const qgis = existsSync(PYTHON) && has(PYTHON, ['-c', 'import qgis.core'])
const owslib = existsSync(PYTHON) && has(PYTHON, ['-c', 'import owslib.wms'])
for (const [ok, what] of [
  [gdal, 'GDAL (gdal-bin)'],
  [qgis, 'QGIS (python3-qgis)'],
  [owslib, 'OWSLib (python3-owslib)']
] as const) {
  if (!ok) console.log(`WMS client tests with ${what} are skipped: it is not installed.`)
}

const t = useSeededServer({ resources: 6 })
const { one } = groundTruth(() => t.server)

/** Wells drawn red (deep) or blue (shallow) by their style. */
const WELLS_SLD = `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer><Name>wells</Name><UserStyle><Name>wells_by_depth</Name><Title>Wells by depth</Title><FeatureTypeStyle>
    <Rule><Name>deep</Name><ogc:Filter><ogc:PropertyIsGreaterThan><ogc:PropertyName>depth_m</ogc:PropertyName><ogc:Literal>10</ogc:Literal></ogc:PropertyIsGreaterThan></ogc:Filter>
      <PointSymbolizer><Graphic><Mark><WellKnownName>square</WellKnownName><Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></Mark><Size>14</Size></Graphic></PointSymbolizer></Rule>
    <Rule><Name>shallow</Name><ElseFilter/>
      <PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName><Fill><CssParameter name="fill">#0000ff</CssParameter></Fill></Mark><Size>14</Size></Graphic></PointSymbolizer></Rule>
  </FeatureTypeStyle></UserStyle></NamedLayer>
</StyledLayerDescriptor>`

const collection = (features: { geometry: object; properties: object }[]) => JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', ...f })) })
const wells = collection(
  [
    [10, -1, 'South-west well', 12.5],
    [12, -1, 'South-east well', 8],
    [11, 0, 'Centre well', 21.75]
  ].map(([x, y, name, depth]) => ({ geometry: { type: 'Point', coordinates: [x, y] }, properties: { name, depth_m: depth } }))
)
const river = collection([{ geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1], [2, 0]] }, properties: { name: 'River' } }])
const parcel = collection([{ geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] }, properties: { code: 'P-1' } }])

let endpoint: string
let work: string
const styleOfLayer: Record<string, number> = {}
const LAYER = 'geonode:wells'
const BBOX = '9,-2,13,2'

async function upload(name: string, files: Parameters<typeof uploadLayer>[2]): Promise<void> {
  const res = await uploadLayer(t.server, 'admin', files)
  expect(res.body.status, res.text).toBe('finished')
  styleOfLayer[name] = one('SELECT l.default_style_id AS id FROM uploads u JOIN layers l ON l.resource_id = u.layer_id WHERE u.id = ?', res.body.id).id
}

beforeAll(async () => {
  await upload('wells', [fileBytes('base_file', 'wells.geojson', wells), fileBytes('sld_file', 'wells.sld', WELLS_SLD)])
  await upload('river', [fileBytes('base_file', 'river.geojson', river)])
  await upload('parcel', [fileBytes('base_file', 'parcel.geojson', parcel)])
  await upload('points', [fileBytes('base_file', 'points.geojson', collection([{ geometry: { type: 'Point', coordinates: [1, 1] }, properties: {} }]))])
  endpoint = `${t.server.url}/geoserver/ows`
  work = mkdtempSync(join(tmpdir(), 'mapshelf-wms-clients-'))
}, 60_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Runs a client as a child process without blocking this process, whose event loop serves its requests. */
const run = async (command: string, args: string[]) =>
  (await promisify(execFile)(command, args, { encoding: 'utf8', timeout: 90_000, env: { ...process.env, QT_QPA_PLATFORM: 'offscreen', GDAL_HTTP_TIMEOUT: '30' } })).stdout
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!)

describe.skipIf(!gdal)('GDAL', () => {
  it('gdalinfo lists the layers of the capabilities as subdatasets', { timeout: 60_000 }, async () => {
    const out = await run('gdalinfo', [`WMS:${endpoint}?service=WMS&request=GetCapabilities`])
    expect(out).toContain('Driver: WMS/OGC Web Map Service')
    expect(out).toMatch(/SUBDATASET_\d+_NAME=WMS:.*LAYERS=geonode%3Awells/)
    expect(out).toMatch(/SUBDATASET_\d+_DESC=wells/)
  })

  it('gdal_translate copies a GetMap to a PNG with the style colours where the wells are', { timeout: 60_000 }, async () => {
    const file = join(work, 'wells.png')
    await run('gdal_translate', ['-q', '-of', 'PNG', '-outsize', '256', '256', `WMS:${endpoint}?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=${LAYER}&SRS=EPSG:4326&BBOX=${BBOX}&FORMAT=image/png&TRANSPARENT=TRUE`, file])
    const png = PNG.sync.read(readFileSync(file))
    expect([png.width, png.height]).toEqual([256, 256])
    const at = (x: number, y: number) => Array.from(png.data.subarray((y * 256 + x) * 4, (y * 256 + x) * 4 + 4))
    expect(at(128, 128)).toEqual([255, 0, 0, 255])
    expect(at(Math.round((3 / 4) * 256), Math.round((3 / 4) * 256))).toEqual([0, 0, 255, 255])
    const info = await run('gdalinfo', [file])
    expect(info).toContain('Size is 256, 256')
  })
})

describe.skipIf(!qgis)('QGIS', () => {
  for (const version of ['1.3.0', '1.1.1']) {
    it(`renders the layer through its WMS provider (${version}) in the style's colours`, { timeout: 90_000 }, async () => {
      const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'qgis_wms_render.py'), endpoint, LAYER, BBOX, version]))
      expect(out.valid, out.error).toBe(true)
      expect(out.crs).toBe('EPSG:4326')
      expect([out.width, out.height]).toEqual([200, 200])
      expect(out.colours['#ff0000']).toBeGreaterThan(5)
      expect(out.colours['#0000ff']).toBeGreaterThan(5)
    })
  }

  it("reads every layer's style from sld_url as the GeoNode plugin does: point, line, polygon, any geometry and an uploaded SLD", { timeout: 90_000 }, async () => {
    const seeded = one("SELECT l.default_style_id AS id FROM layers l JOIN styles s ON s.id = l.default_style_id WHERE s.sld_body IS NULL AND l.store_type = 'dataStore' LIMIT 1").id as number
    const cases: [string, number, string][] = [
      ['points', styleOfLayer.points, 'Point'],
      ['river', styleOfLayer.river, 'LineString'],
      ['parcel', styleOfLayer.parcel, 'Polygon'],
      ['seeded', seeded, 'Polygon'],
      ['wells', styleOfLayer.wells, 'Point']
    ]
    const args: string[] = []
    for (const [name, id, geometry] of cases) {
      const res = await getBytes(t.server, `/styles/${id}.sld`)
      expect(res.status, name).toBe(200)
      const file = join(work, `${name}.sld`)
      writeFileSync(file, res.bytes)
      args.push(`${file}=${geometry}`)
    }
    const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'qgis_sld.py'), ...args])) as { file: string; parsed: boolean; readSld: boolean; loadSldStyle: boolean; message: string; renderer: string; dump: string }[]
    for (const result of out) {
      expect(result.parsed, result.file).toBe(true)
      expect(result.readSld, result.file).toBe(true)
      expect(result.loadSldStyle, `${result.file}: ${result.message}`).toBe(true)
    }
    const byDepth = out.find((r) => r.file.endsWith('wells.sld'))!
    expect(byDepth.renderer).toBe('RuleRenderer')
    expect(byDepth.dump).toContain('255,0,0')
  })
})

describe.skipIf(!owslib)('OWSLib', () => {
  for (const version of ['1.1.1', '1.3.0']) {
    it(`WebMapService ${version} reads the capabilities, draws a map and answers feature info`, { timeout: 60_000 }, async () => {
      const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'owslib_wms.py'), endpoint, version, LAYER, BBOX, '128,128']))
      expect(out.version).toBe(version)
      expect(out.layers).toContain(LAYER)
      expect(out.title).toBe('wells')
      expect(out.bbox.slice(0, 4)).toEqual([10, -1, 12, 0])
      expect(out.crs).toEqual(expect.arrayContaining(['EPSG:4326', 'EPSG:3857']))
      expect(out.styles).toContain('wells_by_depth')
      expect(out.operations).toEqual(expect.arrayContaining(['GetCapabilities', 'GetMap', 'GetFeatureInfo']))
      expect(out.getmapUrl).toBe(`${endpoint}?`)
      expect(out.pngSignature).toBe('89504e470d0a1a0a')
      expect(out.features).toEqual([{ name: 'Centre well', depth_m: 21.75 }])
    })
  }
})
