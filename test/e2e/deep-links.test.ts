import { describe, expect, it } from 'vitest'
import { request } from '../helpers/server'
import { shot, useApp } from './app'

// The GUI routes by the URL's hash (#/resources/12); a link to the same page without the hash
// (/resources/12, as typed or shared) lands on that page, and a path the GUI does not know on its
// not-found page, never on a blank one.

const app = useApp(40)

/** Opens `path` without a hash and waits for the shell. */
async function visit(path: string) {
  const { page, server } = app
  await page.goto(server.url + path)
  await page.waitForSelector('[data-app-state="ready"]')
}

describe('links without the hash', () => {
  it('open the resource page they name', async () => {
    const { page, server, fx } = app
    const { title } = (await request(server, `/api/v2/resources/${fx.vectorLayerId}`)).body.resource
    await visit(`/resources/${fx.vectorLayerId}`)
    await page.waitForSelector('[data-testid="resource-view"][data-view-state="loaded"]')
    expect(await page.locator('[data-testid="resource-title"]').textContent()).toBe(title)
    expect(new URL(page.url()).hash).toBe(`#/resources/${fx.vectorLayerId}`)
    await shot(page, 'deep-link-resource.png')
  })

  it('open the catalogue with its query, also with a trailing slash', async () => {
    const { page } = app
    await visit('/catalogue/?q=roads')
    await page.waitForSelector('[data-testid="catalogue-view"][data-app-state="loaded"]')
    expect(new URL(page.url()).hash).toBe('#/catalogue?q=roads')
    expect(await page.inputValue('[data-testid="search"]')).toBe('roads')
  })

  it('open every other page of the GUI', async () => {
    const { page, fx } = app
    for (const [path, selector] of [
      [`/maps/${fx.mapId}`, '[data-testid="map-view"]'],
      ['/maps/new', '[data-testid="map-view"]'],
      ['/sync', '[data-testid="sync-view"]'],
      ['/documents', 'main .view'],
      ['/uploads', 'main .view']
    ] as const) {
      await visit(path)
      expect(new URL(page.url()).hash, path).toBe(`#${path}`)
      await page.waitForSelector(selector)
      expect(await page.locator('main').innerText(), path).not.toMatch(/Nothing here/)
    }
  })

  it('land on the not-found page for a path the GUI does not know', async () => {
    const { page } = app
    await visit('/no/such/page')
    expect(new URL(page.url()).hash).toBe('#/no/such/page')
    await expect.poll(() => page.locator('main').innerText()).toContain('This page does not exist in Mapshelf.')
    await shot(page, 'deep-link-unknown.png')
  })

  it('leave the API, its files and static files alone', async () => {
    const { server, fx } = app
    const api = await fetch(`${server.url}/api/v2/nothing-here`, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(api.status).toBe(404)
    expect(await api.json()).toEqual({ detail: 'Not found.' })
    const resource = await fetch(`${server.url}/api/v2/resources/${fx.vectorLayerId}`, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(resource.status).toBe(200)
    const asset = await fetch(`${server.url}/assets/no-such-file.js`, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(asset.status).toBe(404)
    const root = await fetch(`${server.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' })
    expect(root.status).toBe(200)
    expect(await root.text()).toContain('<div id="app">')
  })
})
