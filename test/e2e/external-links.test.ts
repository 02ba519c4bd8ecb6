import type { Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { request } from '../helpers/server'
import { DEMO_PASSWORD, open, openResource, shot, signIn, signOut, useApp } from './app'

// Images on other servers are shown only when asked for (loading one tells that server the page is
// viewed), and a link that is not http(s) is never rendered, whatever a record holds.

const app = useApp(40)
const TRACKER = 'https://tracker.example'
let hits: string[] = []
let docId: number
let unsafeDocId: number

function tinyPng(): Buffer {
  const png = new PNG({ width: 8, height: 6 })
  png.data.fill(200)
  return PNG.sync.write(png)
}

/** Requests to the other server are answered here and counted (the page's own go on as usual). */
async function watchTracker(page: Page) {
  const body = tinyPng()
  await page.route(`${TRACKER}/**`, (route) => {
    hits.push(`${route.request().method()} ${route.request().url()}`)
    return route.fulfill({ status: 200, contentType: 'image/png', body })
  })
}

const hrefs = (page: Page) => page.$$eval('a[href]', (links) => links.map((a) => a.getAttribute('href') ?? ''))
const imageSources = (page: Page) => page.$$eval('img', (images) => images.map((img) => img.getAttribute('src') ?? ''))

beforeAll(async () => {
  const { server, fx } = app
  const layer = await request(server, `/api/v2/resources/${fx.vectorLayerId}`, { method: 'PATCH', who: 'admin', body: { title: 'Tracked roads', thumbnail_url: `${TRACKER}/thumbs/roads.png` } })
  expect(layer.status, layer.text).toBe(200)
  const doc = await request(server, '/api/v2/documents', { method: 'POST', who: 'admin', body: { title: 'Tracked photo', doc_url: `${TRACKER}/photos/site.png` } })
  expect(doc.status, doc.text).toBe(201)
  docId = Number(doc.body.document.pk)
  // A record from before http(s) was enforced (or from another server): its links are data.
  const unsafe = await request(server, '/api/v2/documents', { method: 'POST', who: 'admin', body: { title: 'Scripted link', doc_url: 'https://example.org/placeholder.png' } })
  unsafeDocId = Number(unsafe.body.document.pk)
  const sqlite = server.running.database.sqlite
  sqlite.prepare('UPDATE documents SET doc_url = ? WHERE resource_id = ?').run('javascript:alert(document.domain)', unsafeDocId)
  sqlite.prepare('UPDATE resources SET thumbnail_url = ? WHERE id = ?').run('data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"/>', unsafeDocId)
  await watchTracker(app.page)
})

describe('images on other servers', () => {
  it('are a placeholder naming the server in the catalogue until asked for', async () => {
    const { page, server } = app
    hits = []
    await open(page, server, '/catalogue?q=Tracked roads')
    await page.waitForSelector('[data-testid="catalogue-view"][data-app-state="loaded"]')
    const card = page.locator('[data-testid="result"]', { hasText: 'Tracked roads' })
    await card.waitFor()
    expect(await card.locator('img').count()).toBe(0)
    await card.locator('[data-testid="external-image"]').waitFor()
    expect(await card.locator('[data-testid="external-image-host"]').textContent()).toBe('tracker.example')
    await shot(page, 'external-thumbnail-card.png')
    expect(hits).toEqual([])
    await card.locator('[data-testid="external-image-load"]').click()
    await expect.poll(() => card.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(8)
    expect(hits).toEqual([`GET ${TRACKER}/thumbs/roads.png`])
    expect(await card.locator('[data-testid="external-image"]').count()).toBe(0)
  })

  it('are a placeholder on the resource page too', async () => {
    const { page, server, fx } = app
    // Another address than the card's, which the browser has cached.
    await request(server, `/api/v2/resources/${fx.vectorLayerId}`, { method: 'PATCH', who: 'admin', body: { thumbnail_url: `${TRACKER}/thumbs/roads-large.png` } })
    hits = []
    await openResource(page, server, fx.vectorLayerId)
    expect(await page.locator('.thumb img').count()).toBe(0)
    await page.locator('.thumb [data-testid="external-image"]').waitFor()
    await shot(page, 'external-thumbnail-resource.png')
    expect(hits).toEqual([])
    await page.click('.thumb [data-testid="external-image-load"]')
    await expect.poll(() => page.locator('.thumb img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(8)
    expect(hits).toEqual([`GET ${TRACKER}/thumbs/roads-large.png`])
  })

  it('are not probed nor previewed for a linked document until asked for, and its download opens outside the app', async () => {
    const { page, server } = app
    hits = []
    await openResource(page, server, docId)
    await page.waitForSelector('[data-testid="document-preview"][data-state="remote"] [data-testid="external-image"]')
    expect(await page.locator('[data-testid="document-preview"] [data-testid="external-image-host"]').textContent()).toBe('tracker.example')
    const download = page.locator('[data-testid="download"]')
    expect(await download.getAttribute('href')).toBe(`${TRACKER}/photos/site.png`)
    expect(await download.getAttribute('target')).toBe('_blank')
    expect(await download.getAttribute('rel')).toBe('noopener noreferrer')
    expect(await download.textContent()).toBe('Download from tracker.example')
    await shot(page, 'external-document.png')
    expect(hits).toEqual([])
    await page.click('[data-testid="document-preview"] [data-testid="external-image-load"]')
    await expect.poll(() => page.locator('[data-testid="document-preview"] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(8)
    expect(hits).toEqual([`GET ${TRACKER}/photos/site.png`])
  })
})

describe('the signed-in user\u2019s avatar', () => {
  it('is never fetched from Gravatar: the initial stands in', async () => {
    const { page, server, fx } = app
    const gravatar: string[] = []
    await page.route('https://www.gravatar.com/**', (route) => {
      gravatar.push(route.request().url())
      return route.fulfill({ status: 200, contentType: 'image/png', body: tinyPng() })
    })
    await open(page, server, '/catalogue')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    expect((await request(server, '/api/v2/users?filter{username}=' + fx.plainUser)).body.users[0].avatar).toMatch(/^https:\/\/www\.gravatar\.com\//)
    await page.waitForSelector('.avatar')
    expect(await page.locator('img.avatar').count()).toBe(0)
    expect(await page.locator('.avatar.initials').textContent()).toBe(fx.plainUser[0]!.toUpperCase())
    expect(gravatar).toEqual([])
    await signOut(page)
  })
})

describe('links that are not http(s)', () => {
  it('are never rendered, neither as a link nor as an image', async () => {
    const { page, server } = app
    await openResource(page, server, unsafeDocId)
    await page.waitForSelector('[data-testid="document-preview"]:not([data-state="checking"])')
    for (const href of await hrefs(page)) expect(href).not.toMatch(/^\s*(javascript|data|vbscript):/i)
    expect(await page.locator('[data-testid="download"]').count()).toBe(0)
    expect(await page.getAttribute('[data-testid="document-preview"]', 'data-state')).toBe('unsafe')
    expect(await page.locator('[data-testid="document-preview"]').textContent()).toContain('not a web address')
    await shot(page, 'unsafe-document.png')
    await open(page, server, '/catalogue?q=Scripted link')
    await page.waitForSelector('[data-testid="catalogue-view"][data-app-state="loaded"]')
    await page.locator('[data-testid="result"]', { hasText: 'Scripted link' }).waitFor()
    for (const src of await imageSources(page)) expect(src).not.toMatch(/^\s*(javascript|data):/i)
    expect(await page.locator('[data-testid="result"]', { hasText: 'Scripted link' }).locator('svg.placeholder').count()).toBe(1)
  })
})
