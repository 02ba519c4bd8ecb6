import { describe, expect, it } from 'vitest'
import { request } from '../helpers/server'
import { ADMIN_PASSWORD, DEMO_PASSWORD, open, openResource, shot, signIn, signOut, useApp } from './app'

const app = useApp()

describe('the resource page', () => {
  it('saves edited metadata and shows it after a reload', async () => {
    const { page, server, fx } = app
    await open(page, server, '/catalogue')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    await openResource(page, server, fx.vectorLayerId)
    await page.fill('[data-testid="field-title"]', 'Roads, checked in the field')
    await page.fill('[data-testid="picker-keywords-input"]', 'fieldwork')
    await page.click('[data-testid="picker-keywords-add"]')
    await page.click('[data-testid="save-metadata"]')
    await page.waitForSelector('[data-testid="saved"]')
    await page.reload()
    await page.waitForSelector('[data-testid="resource-view"][data-view-state="loaded"]')
    expect(await page.locator('[data-testid="resource-title"]').textContent()).toBe('Roads, checked in the field')
    expect(await page.inputValue('[data-testid="field-title"]')).toBe('Roads, checked in the field')
    expect(await page.locator('[data-testid="picker-keywords"] .chip').allTextContents()).toContainEqual(expect.stringContaining('fieldwork'))
    await shot(page, 'resource.png')
  })

  it('shows the API\u2019s validation message next to the field', async () => {
    const { page } = app
    await page.fill('[data-testid="field-language"]', 'english')
    await page.click('[data-testid="save-metadata"]')
    await expect.poll(() => page.locator('[data-testid="error-language"]').textContent()).toContain('ISO 639-2')
    expect(await page.getAttribute('[data-testid="field-language"]', 'aria-invalid')).toBe('true')
  })

  it('grants a user the view level, and that user then sees the resource', async () => {
    const { page, server, fx } = app
    await signOut(page)
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    await openResource(page, server, fx.privateLayerId)
    expect(await page.getAttribute('[data-testid="resource-view"]', 'data-view-state')).toBe('not-found')

    await signOut(page)
    await signIn(page, fx.otherUser, DEMO_PASSWORD)
    await openResource(page, server, fx.privateLayerId)
    await page.click('[data-testid="tab-permissions"]')
    await page.waitForSelector('[data-testid="permissions-editor"][data-state="loaded"]')
    await page.selectOption('[data-testid="perm-new-kind"]', 'user')
    await page.fill('[data-testid="perm-new-name"]', fx.plainUser)
    await page.selectOption('[data-testid="perm-new-level"]', 'view')
    await page.click('[data-testid="perm-add"]')
    await page.click('[data-testid="perms-save"]')
    await page.waitForSelector('[data-testid="perms-saved"]')
    expect(await page.inputValue(`[data-testid="perm-level-user-${fx.plainUser}"]`)).toBe('view')
    await shot(page, 'permissions.png')

    await signOut(page)
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    await openResource(page, server, fx.privateLayerId)
    expect(await page.getAttribute('[data-testid="resource-view"]', 'data-view-state')).toBe('loaded')
    expect(await page.locator('[data-testid="field-title"]').isDisabled()).toBe(true)
  })

  it('deletes a resource after confirmation', async () => {
    const { page, server } = app
    const created = await request(server, '/api/v2/documents', { who: 'admin', method: 'POST', body: { title: 'Scratch note to delete', abstract: '', doc_url: 'https://example.org/note.pdf' } })
    expect(created.status).toBe(201)
    const id = created.body.document.pk as string
    await signOut(page)
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await openResource(page, server, id)
    await page.click('[data-testid="delete"]')
    await page.waitForSelector('[data-testid="confirm-dialog"][open]')
    await page.click('[data-testid="confirm-ok"]')
    await page.waitForSelector('[data-testid="deleted-notice"]')
    expect(await page.locator('[data-testid="deleted-notice"]').textContent()).toContain('Scratch note to delete')
    await openResource(page, server, id)
    expect(await page.getAttribute('[data-testid="resource-view"]', 'data-view-state')).toBe('not-found')
  })

  it('shows a layer’s service addresses with copy buttons, and the shown addresses answer GetCapabilities', async () => {
    const { page, server, fx } = app
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    await openResource(page, server, fx.vectorLayerId)
    await page.waitForSelector('[data-testid="service-addresses"]')
    const shown = async (key: string) => (await page.locator(`[data-testid="service-url-${key}"]`).textContent())!
    expect(await shown('wms')).toBe(`${server.url}/geoserver/wms`)
    expect(await shown('wfs')).toBe(`${server.url}/geoserver/wfs`)
    expect(await page.locator('[data-testid="service-url-wcs"]').count()).toBe(0)
    const layer = (await request(server, `/api/v2/layers/${fx.vectorLayerId}`, { who: 'admin' })).body.layer
    expect(await page.locator('[data-testid="service-layer-name"]').textContent()).toBe(layer.alternate)
    expect(await page.locator('[data-testid="qgis-note"]').textContent()).toContain('Layer ▸ Add Layer ▸ Add WMS/WMTS Layer… or Add WFS Layer…')

    await page.click('[data-testid="copy-wfs"]')
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/geoserver/wfs`)
    expect(await page.locator('[data-testid="copy-wfs"]').textContent()).toContain('Copied')
    await page.click('[data-testid="copy-csw"]')
    const csw = await page.evaluate(() => navigator.clipboard.readText())
    expect(csw).toBe(await shown('csw'))
    const caps = await request(server, `${new URL(csw).pathname}?service=CSW&request=GetCapabilities`)
    expect(caps.status).toBe(200)
    expect(caps.text).toContain('<csw:Capabilities')
    const record = await request(server, new URL(await shown('record')).pathname + new URL(await shown('record')).search, { who: 'admin' })
    expect(record.text).toContain(`<gmd:fileIdentifier><gco:CharacterString>${layer.uuid}</gco:CharacterString>`)
    await page.locator('[data-testid="service-addresses"]').scrollIntoViewIfNeeded()
    await shot(page, 'resource-services.png')

    await openResource(page, server, fx.rasterLayerId)
    await page.waitForSelector('[data-testid="service-addresses"]')
    expect(await page.locator('[data-testid="service-url-wfs"]').count()).toBe(0)
    const wcs = await shown('wcs')
    expect(wcs).toBe(`${server.url}/geoserver/wcs`)
    const coverages = await request(server, `${new URL(wcs).pathname}?request=GetCapabilities`)
    expect(coverages.status).toBe(200)
    expect(coverages.text).toContain('<wcs:Capabilities version="2.0.1"')
  })
})
