import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, request, useSeededServer } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { townsShapefile, uploadLayer } from '../helpers/uploads'

// Real clients against the WFS: GDAL's WFS driver (ogrinfo, ogr2ogr), QGIS's WFS provider through
// python3-qgis (reading, and WFS-T edits under Basic auth), and OWSLib's WebFeatureService.

const PYTHON = '/usr/bin/python3'
const SCRIPTS = join(import.meta.dirname, 'scripts')
const has = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' }).status === 0
const gdal = has('ogrinfo', ['--version'])
const qgis = existsSync(PYTHON) && has(PYTHON, ['-c', 'import qgis.core'])
const owslib = existsSync(PYTHON) && has(PYTHON, ['-c', 'import owslib.wfs'])
for (const [ok, what] of [
  [gdal, 'GDAL (gdal-bin)'],
  [qgis, 'QGIS (python3-qgis)'],
  [owslib, 'OWSLib (python3-owslib)']
] as const) {
  if (!ok) console.log(`WFS client tests with ${what} are skipped: it is not installed.`)
}

const t = useSeededServer({ resources: 4 })
const { one } = groundTruth(() => t.server)
const TYPE = 'geonode:towns_utm33'
let endpoint: string
let layer: number
let work: string

beforeAll(async () => {
  const res = await uploadLayer(t.server, 'admin', townsShapefile())
  expect(res.body.status, res.text).toBe('finished')
  layer = one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
  endpoint = `${t.server.url}/geoserver/ows`
  work = mkdtempSync(join(tmpdir(), 'mapshelf-wfs-clients-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

// Asynchronous: the server answering the client runs in this process.
const run = async (command: string, args: string[]) =>
  (await promisify(execFile)(command, args, { encoding: 'utf8', timeout: 90_000, env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' } })).stdout
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!)

describe.skipIf(!gdal)('GDAL', () => {
  it('ogrinfo lists the layer with its count and fields in every version', { timeout: 120_000 }, async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const out = await run('ogrinfo', ['-so', `WFS:${endpoint}?version=${version}`, TYPE])
      expect(out, version).toContain('Feature Count: 3')
      expect(out).toMatch(/name: String/)
      expect(out).toMatch(/pop: Integer/)
      expect(out).toMatch(/Geometry: Point/)
    }
    expect(await run('ogrinfo', ['-so', `WFS:${endpoint}`])).toContain(`${TYPE} (title: towns_utm33) (Point)`)
  })

  it('ogr2ogr copies every feature to GeoPackage and GeoJSON', { timeout: 120_000 }, async () => {
    const gpkg = join(work, 'towns.gpkg')
    await run('ogr2ogr', ['-f', 'GPKG', gpkg, `WFS:${endpoint}?version=2.0.0`, TYPE, '-nln', 'towns'])
    expect(await run('ogrinfo', ['-so', gpkg, 'towns'])).toContain('Feature Count: 3')
    const geojson = join(work, 'towns.geojson')
    await run('ogr2ogr', ['-f', 'GeoJSON', '-t_srs', 'EPSG:4326', geojson, `WFS:${endpoint}?version=1.1.0`, TYPE])
    const names = JSON.parse(readFileSync(geojson, 'utf8')).features.map((f: { properties: { name: string } }) => f.properties.name)
    expect(names.sort()).toEqual(['Wiener Straße', 'Ærøskøbing', 'Škofja Loka'].sort())
  })
})

describe.skipIf(!qgis)('QGIS WFS provider', () => {
  it('opens the layer valid with its count, fields and CRS in 1.0.0, 1.1.0 and 2.0.0', { timeout: 180_000 }, async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'qgis_wfs.py'), endpoint, TYPE, version, 'admin', ADMIN_PASSWORD]))
      expect(out, version).toMatchObject({ valid: true, read: 3, crs: 'EPSG:32633', fields: ['name', 'kind', 'pop', 'area'], canAdd: true, canDelete: true })
    }
  })

  it('inserts, updates and deletes through WFS-T (1.0.0 and 1.1.0), visible in the API afterwards', { timeout: 180_000 }, async () => {
    for (const version of ['1.1.0', '1.0.0']) {
      const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'qgis_wfs.py'), endpoint, TYPE, version, 'admin', ADMIN_PASSWORD, 'edit']))
      expect(out, JSON.stringify(out)).toMatchObject({ added: true, changed: true, moved: true, deleted: true, error: '' })
    }
    const res = await request(t.server, `/geoserver/ows?service=WFS&version=2.0.0&request=GetFeature&typeNames=${TYPE}&outputFormat=json`)
    const names = JSON.parse(res.text).features.map((f: { properties: { name: string } }) => f.properties.name)
    // Each run added one feature, renamed the first and deleted the last: 3 + 2 - 2.
    expect(names.filter((n: string) => n === 'Added in QGIS')).toHaveLength(1)
    expect(names).toContain('Renamed in QGIS')
    expect(names).toHaveLength(3)
    const history = await request(t.server, `/api/v2/mapshelf/resources/${layer}/history`, { who: 'admin' })
    expect(history.body.history.filter((h: { subject: string }) => h.subject === 'features').length).toBeGreaterThanOrEqual(6)
  })
})

describe.skipIf(!owslib)('OWSLib', () => {
  it('reads contents, schema and features with WebFeatureService 1.1.0 and 2.0.0', { timeout: 120_000 }, async () => {
    const out = lastJson(await run(PYTHON, [join(SCRIPTS, 'owslib_wfs.py'), endpoint, TYPE]))
    for (const version of ['1.1.0', '2.0.0']) {
      expect(out[version], version).toMatchObject({ version, layers: [TYPE], properties: ['area', 'kind', 'name', 'pop'], geometry: 'Point', gmlMembers: 2 })
      expect(out[version].features).toBeGreaterThanOrEqual(3)
    }
  })
})
