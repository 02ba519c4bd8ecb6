import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { buildZip, renameEntry } from '../helpers/fixtures-files'
import { PRJ_WGS84_ESRI, writePointsGeoJson, writeShapefile } from '../helpers/fixtures-vector'
import { readFileSync } from 'node:fs'
import { type FilePart, dataFolderEntries, fileBytes, fixtureBytes, pollUntil, tableCounts, townsShapefile, uploadLayer } from '../helpers/uploads'

// Refused uploads (spec 5.1): the exact 400 body, and nothing left behind in the tables an upload
// writes, the change log, files/ or tmp/uploads/.

const t = useSeededServer({ resources: 10 })
const { one } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)
const SUPPORTED = 'ESRI Shapefile, GeoJSON, GeoPackage, KML, KMZ, GPX, CSV, GeoTIFF and ZIP'

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mapshelf-refusals-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

const catalogueChanges = () => one("SELECT count(*) AS n FROM changes WHERE table_name IN ('resources', 'layers', 'layer_attributes', 'styles', 'layer_styles', 'resource_group_perms', 'resource_user_perms')").n as number

/** State an upload may touch: row counts, change-log rows and the data folder's entries. */
function snapshot() {
  return { counts: tableCounts(one), changes: catalogueChanges(), folder: dataFolderEntries(t.server.dataDir) }
}

/**
 * Posts an upload that must be refused with `status` and exactly `body`; then nothing may be left:
 * staged features are cleared eventually (polled), everything else at once.
 */
async function expectRefused(files: FilePart[], fields: Record<string, string>, status: number, body: unknown, who = uploader()) {
  const before = snapshot()
  const res = await uploadLayer(t.server, who, files, fields)
  expect(res.status, res.text).toBe(status)
  expect(res.body).toEqual(body)
  const { feature_sets: _sets, layer_features: _features, ...rest } = before.counts
  const after = snapshot()
  const { feature_sets: _s2, layer_features: _f2, ...restAfter } = after.counts
  expect(restAfter).toEqual(rest)
  expect(after.changes).toBe(before.changes)
  expect(after.folder).toEqual(before.folder)
  return before
}

/** Staged feature rows of a refused upload disappear (the worker clears dropped sets). */
async function expectStagedCleared(before: ReturnType<typeof snapshot>) {
  const counts = await pollUntil(
    () => tableCounts(one, ['feature_sets', 'layer_features']),
    (c) => c.feature_sets === before.counts.feature_sets && c.layer_features === before.counts.layer_features,
    5_000
  )
  expect(counts).toEqual({ feature_sets: before.counts.feature_sets, layer_features: before.counts.layer_features })
}

const refusal = (...errors: unknown[]) => ({ success: false, errors })
const geojson = (features: number) =>
  JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: features }, (_, i) => ({ type: 'Feature', properties: { i }, geometry: { type: 'Point', coordinates: [i % 180, (i % 80) - 40] } })) })

describe('refused before reading', () => {
  it('refuses anonymous callers with 403', async () => {
    await expectRefused(townsShapefile(), {}, 403, { detail: 'Authentication credentials were not provided.' }, 'anonymous')
  })

  it('needs a base_file', async () => {
    const before = await expectRefused([fileBytes('dbf_file', 'towns_utm33.dbf', fixtureBytes('towns_utm33.dbf'))], {}, 400, refusal('Base file must be a file or url.'))
    await expectStagedCleared(before)
  })

  it('names an unsupported extension', async () => {
    await expectRefused([fileBytes('base_file', 'notes.txt', 'just text')], {}, 400, refusal(`${SUPPORTED} files are supported. You uploaded a txt file`))
  })

  it('refuses a bad permissions JSON', async () => {
    await expectRefused([fileBytes('base_file', 'p.geojson', geojson(2))], { permissions: '{"users": ' }, 400, refusal(expect.stringMatching(/^permissions: expected a JSON perm spec/)))
    await expectRefused([fileBytes('base_file', 'p.geojson', geojson(2))], { permissions: '{"users": {"AnonymousUser": "view"}}' }, 400, refusal(expect.stringMatching(/^permissions: /)))
  })

  it('refuses an upload over dataset_upload_size', async () => {
    const sqlite = t.server.running.database.sqlite
    const limit = one("SELECT max_size FROM upload_size_limits WHERE slug = 'dataset_upload_size'").max_size
    // The limit cannot be changed over HTTP (PUT/PATCH on upload-size-limits answer 405, spec 2.5).
    expect((await request(t.server, '/api/v2/upload-size-limits/dataset_upload_size', { method: 'PATCH', who: 'admin', body: { max_size: 10240 } })).status).toBe(405)
    sqlite.prepare("UPDATE upload_size_limits SET max_size = 10240 WHERE slug = 'dataset_upload_size'").run()
    try {
      await expectRefused([fileBytes('base_file', 'big.geojson', geojson(400))], {}, 400, refusal('Total upload size exceeds 10.0\u00a0KB. Please try again with smaller files.'))
      // The limit counts every file of the upload, not each alone.
      const parts = [fileBytes('base_file', 'a.shp', Buffer.alloc(6000)), fileBytes('dbf_file', 'a.dbf', Buffer.alloc(6000))]
      await expectRefused(parts, {}, 400, refusal('Total upload size exceeds 10.0\u00a0KB. Please try again with smaller files.'))
    } finally {
      sqlite.prepare("UPDATE upload_size_limits SET max_size = ? WHERE slug = 'dataset_upload_size'").run(limit)
    }
  })
})

describe('refused while reading', () => {
  it('a truncated zip', async () => {
    const zip = await buildZip(['shp', 'shx', 'dbf', 'prj'].map((ext) => ({ name: `towns.${ext}`, data: fixtureBytes(`towns_utm33.${ext}`) })))
    const before = await expectRefused([fileBytes('base_file', 'cut.zip', zip.subarray(0, Math.floor(zip.length / 2)))], {}, 400, refusal(expect.stringMatching(/^cut\.zip: /)))
    await expectStagedCleared(before)
  })

  it('a shapefile without .shx', async () => {
    await expectRefused(townsShapefile({ shx: false }), {}, 400, refusal('towns_utm33.shp: the shapefile has no .shx file (index): add towns_utm33.shx to the upload'))
  })

  it('a shapefile without .dbf', async () => {
    await expectRefused(townsShapefile({ dbf: false }), {}, 400, refusal('towns_utm33.shp: the shapefile has no .dbf file (attributes): add towns_utm33.dbf to the upload'))
  })

  it('a broken .prj', async () => {
    const parts = townsShapefile({ prj: false })
    parts.push(fileBytes('prj_file', 'towns_utm33.prj', 'PROJCS["WGS_1984_UTM_Zone_33N",GEOGCS["GCS_WGS_1984",DATUM['))
    await expectRefused(parts, {}, 400, refusal(expect.stringMatching(/^towns_utm33\.(shp|prj): .*brackets or quotes do not match/)))
  })

  it('side-cars named after another shapefile', async () => {
    const parts = [fileBytes('base_file', 'towns_utm33.shp', fixtureBytes('towns_utm33.shp')), fileBytes('dbf_file', 'roads.dbf', fixtureBytes('towns_utm33.dbf')), fileBytes('shx_file', 'towns_utm33.shx', fixtureBytes('towns_utm33.shx')), fileBytes('prj_file', 'towns_utm33.prj', fixtureBytes('towns_utm33.prj'))]
    await expectRefused(parts, {}, 400, refusal("towns_utm33.shp: the side-car files do not share the shapefile's name: roads.dbf"))
  })

  it('a truncated GeoJSON, with its staged features cleared', async () => {
    const path = join(work, 'many.geojson')
    await writePointsGeoJson(path, 20_000)
    const bytes = readFileSync(path)
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.9))
    const before = await expectRefused([fileBytes('base_file', 'many.geojson', cut)], {}, 400, refusal(expect.stringMatching(/^many\.geojson: the file is not valid JSON: /)))
    await expectStagedCleared(before)
  })

  it('a shapefile whose .dbf ends early: the features already staged are cleared', async () => {
    const records = Array.from({ length: 9000 }, (_, i) => ({ shape: { type: 'point' as const, coordinates: [(i % 360) - 180, (i % 170) - 85] as [number, number] }, values: [i] }))
    const paths = writeShapefile({ dir: work, name: 'cut_dbf', shapeType: 1, fields: [{ name: 'n', type: 'N', length: 8 }], records, prj: PRJ_WGS84_ESRI })
    const dbf = readFileSync(paths.dbf)
    // Header (32 + 32 + 1 bytes) and 7000 of 9000 records: the reader has written batches when it finds out.
    const cut = dbf.subarray(0, 65 + 9 * 7000)
    const files = [fileBytes('base_file', 'cut_dbf.shp', readFileSync(paths.shp)), fileBytes('shx_file', 'cut_dbf.shx', readFileSync(paths.shx)), fileBytes('dbf_file', 'cut_dbf.dbf', cut), fileBytes('prj_file', 'cut_dbf.prj', PRJ_WGS84_ESRI)]
    const before = await expectRefused(files, {}, 400, refusal('cut_dbf.shp: the .dbf file ends after 7000 of 9000 records'))
    await expectStagedCleared(before)
  })

  it('a text file renamed .tif', async () => {
    await expectRefused([fileBytes('base_file', 'photo.tif', 'this is not a TIFF at all, just some text\n'.repeat(20))], {}, 400, refusal(expect.stringMatching(/^photo\.tif: not a GeoTIFF: /)))
  })

  it('a zip bomb (a highly compressible big entry)', async () => {
    const zip = await buildZip([{ name: 'bomb.geojson', data: Buffer.alloc(32 * 1024 * 1024, 0x20) }])
    expect(zip.length).toBeLessThan(100_000)
    await expectRefused([fileBytes('base_file', 'bomb.zip', zip)], {}, 400, refusal(expect.stringMatching(/^bomb\.zip: entry "bomb\.geojson" has a compression ratio of \d+:1, above the 200:1 allowed \(possible zip bomb\)$/)))
  })

  it('a zip with a ../ entry', async () => {
    const zip = renameEntry(await buildZip([{ name: 'xx/evil.geojson', data: geojson(1) }]), 'xx/evil.geojson', '../evil.geojson')
    await expectRefused([fileBytes('base_file', 'evil.zip', zip)], {}, 400, refusal('evil.zip: entry "../evil.geojson" points outside the extraction folder'))
  })

  it('a CSV without coordinate columns', async () => {
    await expectRefused([fileBytes('base_file', 'people.csv', 'name,age\nAda,36\nAlan,41\n')], {}, 400, refusal('people.csv: the CSV has no coordinate columns: expected lat/lon (or latitude/longitude, x/y) or a WKT column; found: name, age'))
  })

  it('a zip holding no layer', async () => {
    const zip = await buildZip([{ name: 'readme.txt', data: 'nothing here' }])
    await expectRefused([fileBytes('base_file', 'empty.zip', zip)], {}, 400, refusal(expect.stringMatching(/^empty\.zip: the zip archive holds no layer/)))
  })
})
