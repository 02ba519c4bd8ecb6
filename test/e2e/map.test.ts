import { describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, open, shot, signIn, useApp } from './app'

const app = useApp()
const ready = '[data-testid="map-view"][data-view-state="loaded"]'
const titles = () => app.page.locator('[data-testid="map-layer"] [data-testid="layer-title"]').allTextContents()

describe('the map composer', () => {
  it('composes a map from catalogue layers, saves it and reopens it as saved', async () => {
    const { page, server, fx } = app
    await open(page, server, '/catalogue')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    await open(page, server, '/maps/new')
    await page.waitForSelector(ready)
    expect(await page.locator('[data-testid="layers-empty"]').isVisible()).toBe(true)
    await page.waitForSelector('[data-testid="add-layer-result"]')
    await page.locator('[data-testid="add-layer-button"]').nth(0).click()
    await page.locator('[data-testid="add-layer-button"]').nth(1).click()
    await expect.poll(() => page.locator('[data-testid="map-layer"]').count()).toBe(2)
    const [top, bottom] = await titles()
    await page.locator('[data-testid="layer-down"]').first().click()
    expect(await titles()).toEqual([bottom, top])
    await page.locator('[data-testid="layer-opacity"]').first().fill('0.5')
    await page.locator('[data-testid="layer-visible"]').nth(1).uncheck()
    await page.fill('[data-testid="map-title"]', 'Field survey overview')
    await page.click('[data-testid="map-save"]')
    await page.waitForURL(/#\/maps\/\d+$/)
    await page.waitForSelector('[data-testid="map-saved"]')
    await shot(page, 'map.png')

    await page.reload()
    await page.waitForSelector(ready)
    await expect.poll(titles).toEqual([bottom, top])
    expect(await page.inputValue('[data-testid="map-title"]')).toBe('Field survey overview')
    expect(await page.locator('[data-testid="layer-opacity"]').first().inputValue()).toBe('0.5')
    expect(await page.locator('[data-testid="layer-visible"]').nth(1).isChecked()).toBe(false)
  })

  it('removes a layer and saves the map again', async () => {
    const { page } = app
    const [, kept] = await titles()
    await page.locator('[data-testid="layer-remove"]').first().click()
    await page.click('[data-testid="map-save"]')
    await page.waitForSelector('[data-testid="map-saved"]')
    await page.reload()
    await page.waitForSelector(ready)
    await expect.poll(titles).toEqual([kept])
  })

  it('opens a seeded map with its layers, and reports layer data the server cannot serve yet', async () => {
    const { page, server, fx } = app
    await open(page, server, `/maps/${fx.mapId}`)
    await page.waitForSelector(ready)
    await expect.poll(() => page.locator('[data-testid="map-layer"]').count()).toBeGreaterThan(0)
    await expect.poll(() => page.locator('[data-testid="layer-status"]').first().textContent()).toContain('not available')
  })
})
