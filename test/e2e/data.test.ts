/// <reference lib="dom" />
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { makeTempDir, writePng } from '../helpers/fixtures-files'
import { writeShapefile } from '../helpers/fixtures-vector'
import { fixturePath } from '../helpers/uploads'
import { PNG } from 'pngjs'
import { WELLS } from '../helpers/wells'
import { defaultSld } from '../../src-main/ingest/sld'
import { DEMO_PASSWORD, open, openResource, shot, signIn, useApp } from './app'

const app = useApp(40)

// The wells (test/helpers/wells.ts): the fitted view centres on "Centre well", so a click on the middle of the map hits it.
const wells = WELLS

/** Pixels of a screenshot within a few steps of a colour. */
function pixelsOf(png: Buffer, hex: string): number {
  const image = PNG.sync.read(png)
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (let i = 0; i < image.data.length; i += 4) if (Math.abs(image.data[i]! - r!) < 8 && Math.abs(image.data[i + 1]! - g!) < 8 && Math.abs(image.data[i + 2]! - b!) < 8) count++
  return count
}

const uploadItem = (name: string) => `[data-testid="upload-item"]:has(.name:text-is("${name}"))`

describe('uploads, the map viewer, documents and history', () => {
  let layerId = ''

  it('uploads a GeoJSON file, reports its progress and links the new layer', async () => {
    const { page, server, fx } = app
    await open(page, server, '/catalogue')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    await open(page, server, '/uploads')
    await page.setInputFiles('[data-testid="file-input"]', [{ name: 'wells.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(wells)) }])
    const item = page.locator(uploadItem('wells.geojson'))
    await page.waitForSelector(`${uploadItem('wells.geojson')}[data-state="done"]`)
    expect(await item.locator('[data-testid="upload-state"]').textContent()).toContain('Done')
    const link = item.locator('[data-testid="upload-result"]')
    await expect.poll(() => link.textContent()).toContain('wells')
    layerId = /\/resources\/(\d+)/.exec((await link.getAttribute('href')) ?? '')?.[1] ?? ''
    expect(layerId).not.toBe('')
    await shot(page, 'upload-result.png')
  })

  it('draws the layer through the WMS in its own style, shows its legend, and identifies a clicked feature', async () => {
    const { page } = app
    await page.click(`${uploadItem('wells.geojson')} [data-testid="upload-view-map"]`)
    await page.waitForSelector('[data-testid="map-view"][data-view-state="loaded"]')
    await page.waitForSelector('[data-testid="layer-legend"]')
    // The marker colour of the layer's default style, as GetMap draws it, is on the map.
    const fill = /name="fill">(#[0-9a-f]{6})</.exec(defaultSld('wells', 'point'))![1]!
    await expect.poll(async () => pixelsOf(await page.locator('[data-testid="map-canvas"]').screenshot(), fill)).toBeGreaterThan(10)
    // Zoom to the layer, then click the middle of the map: the centre well.
    await page.click('[data-testid="zoom-all"]')
    const box = (await page.locator('[data-testid="map-canvas"]').boundingBox())!
    await expect
      .poll(async () => {
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
        return page.locator('[data-testid="identify"] [data-attr="name"] td').textContent({ timeout: 1000 }).catch(() => null)
      })
      .toBe('Centre well')
    expect(await page.locator('[data-testid="identify"] [data-attr="depth_m"] td').textContent()).toBe('21.75')
    await shot(page, 'map-data.png')
    await page.click('[data-testid="identify-close"]')
    await page.waitForSelector('[data-testid="identify"]', { state: 'detached' })
  })

  it('asks for the CRS of a shapefile without .prj, then imports it as a layer', async () => {
    const { page, server } = app
    const tmp = await makeTempDir('mapshelf-e2e-')
    try {
      const parts = writeShapefile({
        dir: tmp.dir,
        name: 'boreholes',
        shapeType: 1,
        fields: [{ name: 'code', type: 'C', length: 10 }],
        records: [
          { shape: { type: 'point', coordinates: [5.1, 52.1] }, values: ['BH-1'] },
          { shape: { type: 'point', coordinates: [5.2, 52.2] }, values: ['BH-2'] }
        ]
      })
      expect(parts.prj).toBeUndefined()
      await open(page, server, '/uploads')
      await page.setInputFiles('[data-testid="file-input"]', [parts.shp, parts.shx, parts.dbf])
      const item = page.locator(uploadItem('boreholes.shp'))
      await page.waitForSelector(`${uploadItem('boreholes.shp')}[data-state="waiting"]`)
      expect(await item.locator('[data-testid="crs-prompt"]').textContent()).toContain('coordinate reference system')
      await shot(page, 'upload-crs.png')
      await item.locator('[data-testid="crs-input"]').fill('not a code')
      await item.locator('[data-testid="crs-submit"]').click()
      await expect.poll(() => item.locator('[data-testid="crs-error"]').first().textContent()).toContain('EPSG code')
      await item.locator('[data-testid="crs-input"]').fill('EPSG:4326')
      await item.locator('[data-testid="crs-submit"]').click()
      await page.waitForSelector(`${uploadItem('boreholes.shp')}[data-state="done"]`)
      await expect.poll(() => item.locator('[data-testid="upload-result-box"]').textContent()).toContain('4326')
      await item.locator('[data-testid="upload-view-map"]').click()
      await page.waitForSelector('[data-testid="layer-legend"]')
    } finally {
      await tmp.remove()
    }
  })

  it('warns that projected coordinates are not degrees and offers the CRSs the catalogue uses there', async () => {
    const { page, server, fx } = app
    // A layer of the catalogue in UTM zone 33N, uploaded with its .prj.
    const form = new FormData()
    for (const ext of ['shp', 'dbf', 'shx', 'prj']) form.append(ext === 'shp' ? 'base_file' : `${ext}_file`, new Blob([readFileSync(fixturePath(`towns_utm33.${ext}`))]), `towns_utm33.${ext}`)
    const basic = `Basic ${Buffer.from(`${fx.plainUser}:${DEMO_PASSWORD}`).toString('base64')}`
    expect((await (await fetch(`${server.url}/api/v2/uploads/upload/`, { method: 'POST', headers: { authorization: basic }, body: form })).json()).status).toBe('finished')
    await open(page, server, '/uploads')
    await page.setInputFiles('[data-testid="file-input"]', ['shp', 'dbf', 'shx'].map((ext) => ({ name: `field_towns.${ext}`, mimeType: 'application/octet-stream', buffer: readFileSync(fixturePath(`towns_utm33.${ext}`)) })))
    const item = page.locator(uploadItem('field_towns.shp'))
    await page.waitForSelector(`${uploadItem('field_towns.shp')}[data-state="waiting"]`)
    await expect.poll(() => item.locator('[data-testid="crs-not-degrees"]').textContent()).toContain('not degrees')
    expect(await item.locator('[data-testid="crs-suggestion"]').first().textContent()).toContain('EPSG:32633')
    // The box starts with the likely code, not EPSG:4326.
    expect(await item.locator('[data-testid="crs-input"]').inputValue()).toBe('32633')
    await shot(page, 'upload-crs-suggestions.png')
    await item.locator('[data-testid="crs-submit"]').click()
    await page.waitForSelector(`${uploadItem('field_towns.shp')}[data-state="done"]`)
    await expect.poll(() => item.locator('[data-testid="upload-result-box"]').textContent()).toContain('32633')
  })

  it('uploads an image document linked to the layer, and previews it', async () => {
    const { page, server } = app
    const tmp = await makeTempDir('mapshelf-e2e-')
    try {
      const png = await writePng(`${tmp.dir}/site-photo.png`, 64, 48, [40, 120, 200, 255])
      await open(page, server, '/documents')
      await page.fill('[data-testid="doc-title"]', 'Site photo of the wells')
      await page.setInputFiles('[data-testid="doc-file"]', { name: 'site-photo.png', mimeType: 'image/png', buffer: readFileSync(png) })
      await page.fill('[data-testid="doc-link-search"]', 'wells')
      await page.locator('[data-testid="doc-link-result"]').first().click()
      expect(await page.locator('[data-testid="doc-links"]').textContent()).toContain('wells')
      await page.click('[data-testid="doc-submit"]')
      await page.waitForSelector('[data-testid="doc-created"]')
      await page.waitForSelector('[data-testid="document-preview"][data-state="ready"] img')
      await expect.poll(() => page.locator('[data-testid="document-preview"] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64)
      await shot(page, 'documents-upload.png')
      await page.click('[data-testid="doc-created"] a')
      await page.waitForSelector('[data-testid="resource-view"][data-view-state="loaded"]')
      await expect.poll(() => page.locator('[data-testid="linked"]').textContent()).toContain('wells')
    } finally {
      await tmp.remove()
    }
  })

  it('shows an edit in the layer\u2019s history, and offers its downloads', async () => {
    const { page, server } = app
    await openResource(page, server, layerId)
    await page.fill('[data-testid="field-title"]', 'Wells, surveyed')
    await page.click('[data-testid="save-metadata"]')
    await page.waitForSelector('[data-testid="saved"]')
    await page.click('[data-testid="tab-history"]')
    await page.waitForSelector('[data-testid="history"][data-state="loaded"]')
    const entries = page.locator('[data-testid="history-entry"]')
    await expect.poll(() => entries.count()).toBeGreaterThan(1)
    expect(await entries.first().getAttribute('data-op')).toBe('update')
    expect(await entries.first().textContent()).toContain('Metadata changed')
    // The oldest entry is the layer's creation.
    expect(await entries.last().getAttribute('data-subject')).toBe('metadata')
    expect(await entries.last().getAttribute('data-op')).toBe('insert')
    await page.click('[data-testid="downloads"] summary')
    const geojson = await page.locator('[data-testid="download-geojson"]').getAttribute('href')
    const response = await page.request.get(geojson!)
    expect(response.status()).toBe(200)
    expect((await response.json()).features).toHaveLength(5)
    await shot(page, 'history.png')
  })

  it("shows what a layer's data is on its Data tab: geometry, count, CRS, typed attributes, first rows; a raster's bands", async () => {
    const { page, server, fx } = app
    await openResource(page, server, layerId)
    await page.click('[data-testid="tab-data"]')
    await page.waitForSelector('[data-testid="data-panel"][data-state="ready"]')
    expect(await page.locator('[data-testid="data-geometry"]').textContent()).toBe('Point')
    expect(await page.locator('[data-testid="data-count"]').textContent()).toBe('5')
    expect(await page.locator('[data-testid="data-crs"]').textContent()).toContain('EPSG:4326')
    expect(await page.locator('[data-testid="data-attributes"] tbody tr').allTextContents()).toEqual([expect.stringMatching(/^name\s*text/), expect.stringMatching(/^depth_m\s*decimal number/)])
    const rows = page.locator('[data-testid="data-preview"] tbody tr')
    expect(await rows.count()).toBe(5)
    expect(await rows.first().textContent()).toContain('South-west well')
    await shot(page, 'data-panel.png')
    // The raw record is behind "Advanced".
    await page.click('[data-testid="tab-fields"]')
    await page.waitForSelector('[data-testid="all-fields"]')

    const form = new FormData()
    form.append('base_file', new Blob([readFileSync(fixturePath('cog-32633.tif'))]), 'survey-raster.tif')
    const basic = `Basic ${Buffer.from(`${fx.plainUser}:${DEMO_PASSWORD}`).toString('base64')}`
    const done = await (await fetch(`${server.url}/api/v2/uploads/upload/`, { method: 'POST', headers: { authorization: basic }, body: form })).json()
    const uploaded = await (await fetch(`${server.url}/api/v2/uploads/${done.id}?full=true`, { headers: { authorization: basic } })).json()
    const rasterPk = String(uploaded.upload.layer?.pk ?? '')
    expect(rasterPk).not.toBe('')
    await openResource(page, server, rasterPk)
    await page.click('[data-testid="tab-data"]')
    await page.waitForSelector('[data-testid="data-panel"][data-state="ready"]')
    expect(await page.locator('[data-testid="data-size"]').textContent()).toContain('256 × 256 pixels, 1 band')
    expect(await page.locator('[data-testid="data-facts"]').textContent()).toContain('10 × 10 m a pixel')
    expect(await page.locator('[data-testid="data-bands"] tbody tr').first().textContent()).toMatch(/^1\s*Byte\s*0\s*1\s*254/)
    await shot(page, 'data-panel-raster.png')
  })
})
