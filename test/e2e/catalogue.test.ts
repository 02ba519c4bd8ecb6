import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../helpers/browser'
import { type TestServer, startTestServer } from '../helpers/server'

const UI_DIR = resolve('out/renderer')
const SHOTS = resolve('out/screenshots')

let server: TestServer
let browser: Browser
let page: Page

beforeAll(async () => {
  if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` (npm test does)')
  server = await startTestServer({ resources: 150, flags: { 'ui-dir': UI_DIR } })
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

function visibleToAnonymous(): number {
  const row = server.running.database.sqlite
    .prepare('SELECT count(*) AS n FROM resources WHERE audience = 2 AND metadata_only = 0 AND dirty_state = 0')
    .get() as { n: number }
  return row.n
}

describe('the catalogue page, served by the headless server', () => {
  it('shows the first page of public resources with their total', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForSelector('[data-app-state="loaded"]')
    expect(await page.locator('[data-testid="result"]').count()).toBe(20)
    await expect.poll(() => page.locator('[data-testid="total"]').textContent()).toContain(`${visibleToAnonymous()} resources`)
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, 'catalogue.png') })
  })

  it('narrows the list with the search box', async () => {
    const title = (await page.locator('[data-testid="result"] strong').first().textContent()) ?? ''
    const word = title.split(/\s+/).find((w) => w.length > 4) ?? title
    await page.fill('[data-testid="search"]', word)
    await page.press('[data-testid="search"]', 'Enter')
    await page.waitForSelector('[data-app-state="loaded"]')
    const titles = await page.locator('[data-testid="result"] strong').allTextContents()
    expect(titles.length).toBeGreaterThan(0)
    expect(titles).toContain(title)
  })

  it('filters by resource type from the type bar', async () => {
    await page.fill('[data-testid="search"]', '')
    await page.press('[data-testid="search"]', 'Enter')
    await page.waitForSelector('[data-app-state="loaded"]')
    await page.click('[data-testid="type-map"]')
    await page.waitForSelector('[data-app-state="loaded"]')
    const kinds = await page.locator('[data-testid="result"] .kind').allTextContents()
    expect(kinds.length).toBeGreaterThan(0)
    expect(new Set(kinds.map((k) => k.trim().toLowerCase()))).toEqual(new Set(['map']))
  })
})
