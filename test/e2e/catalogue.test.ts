import { describe, expect, it } from 'vitest'
import { open, shot, signIn, ADMIN_PASSWORD, useApp } from './app'

const app = useApp()

function visibleToAnonymous(): number {
  const row = app.server.running.database.sqlite
    .prepare('SELECT count(*) AS n FROM resources WHERE audience = 2 AND metadata_only = 0 AND dirty_state = 0')
    .get() as { n: number }
  return row.n
}

const loaded = '[data-testid="catalogue-view"][data-app-state="loaded"]'

describe('the catalogue', () => {
  it('shows the first page of public resources with their total, the counts and the sync state', async () => {
    const { page, server } = app
    await open(page, server, '/catalogue')
    await page.waitForSelector(loaded)
    expect(await page.locator('[data-testid="result"]').count()).toBe(24)
    await expect.poll(() => page.locator('[data-testid="total"]').textContent()).toContain(`of ${visibleToAnonymous()} resources`)
    await expect.poll(() => page.locator('[data-testid="status-counts"]').textContent()).toMatch(/\d+ layers/)
    // Sync is for superusers: others are told so rather than shown a state.
    expect(await page.locator('[data-testid="status-sync"]').textContent()).toBe('Sync: administrators only')
    await page.waitForSelector('[data-testid="facet-type-layer"]')
    await shot(page, 'catalogue.png')
  })

  it('narrows the list with the search box and keeps the query in the URL', async () => {
    const { page } = app
    const title = (await page.locator('[data-testid="result-title"]').first().textContent()) ?? ''
    const word = title.split(/\s+/).find((w) => w.length > 4) ?? title
    await page.fill('[data-testid="search"]', word)
    await page.press('[data-testid="search"]', 'Enter')
    await page.waitForURL(/q=/)
    await page.waitForSelector(loaded)
    const titles = await page.locator('[data-testid="result-title"]').allTextContents()
    expect(titles).toContain(title)
    expect(page.url()).toContain(`q=${encodeURIComponent(word)}`)
  })

  it('filters by a facet, and back/forward restore the earlier lists', async () => {
    const { page } = app
    await page.fill('[data-testid="search"]', '')
    await page.press('[data-testid="search"]', 'Enter')
    await page.waitForURL((url) => !url.hash.includes('q='))
    await page.waitForSelector(loaded)
    const unfiltered = await page.locator('[data-testid="total"]').textContent()
    await page.click('[data-testid="facet-type-map"] input')
    await page.waitForURL(/type=map/)
    await page.waitForSelector(loaded)
    const kinds = await page.locator('[data-testid="result"] .kind').allTextContents()
    expect(kinds.length).toBeGreaterThan(0)
    expect(new Set(kinds.map((k) => k.trim().toLowerCase()))).toEqual(new Set(['map']))
    await page.goBack()
    await page.waitForURL((url) => !url.hash.includes('type=map'))
    await expect.poll(() => page.locator('[data-testid="total"]').textContent()).toBe(unfiltered)
    await page.goForward()
    await page.waitForURL(/type=map/)
    await expect.poll(async () => new Set((await page.locator('[data-testid="result"] .kind').allTextContents()).map((k) => k.trim()))).toEqual(new Set(['map']))
  })

  it('switches to the table view and pages through it', async () => {
    const { page } = app
    await page.click('[data-testid="view-table"]')
    await page.waitForURL(/view=table/)
    await page.waitForSelector('table.results-table')
    await page.click('[data-testid="facet-type-map"] input')
    await page.waitForURL((url) => !url.hash.includes('type=map'))
    await page.waitForSelector(loaded)
    const first = await page.locator('[data-testid="result-title"]').first().textContent()
    await page.click('[data-testid="page-next"]')
    await page.waitForURL(/page=2/)
    await page.waitForSelector(loaded)
    await expect.poll(() => page.locator('[data-testid="total"]').textContent()).toContain('page 2')
    expect(await page.locator('[data-testid="result-title"]').first().textContent()).not.toBe(first)
  })

  it('filters by an area drawn on the map', async () => {
    const { page } = app
    await page.click('[data-testid="view-cards"]')
    await page.click('[data-testid="extent-draw"]')
    const box = (await page.locator('[data-testid="extent-filter"] .mini-map').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.3)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 })
    await page.mouse.up()
    await page.waitForURL(/extent=/)
    await page.waitForSelector(loaded)
    await expect.poll(() => page.locator('[data-testid="extent-value"]').isVisible()).toBe(true)
  })

  it('shows who is signed in after signing in', async () => {
    const { page, server } = app
    await open(page, server, '/catalogue')
    await signIn(page, 'admin', ADMIN_PASSWORD)
    expect(await page.locator('[data-testid="nav-users"]').isVisible()).toBe(true)
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.waitForSelector(loaded)
    await shot(page, 'catalogue-dark.png')
    await page.emulateMedia({ colorScheme: 'light' })
  })

  it('refuses a wrong password with a message', async () => {
    const { page } = app
    await page.click('[data-testid="sign-out"]')
    await page.click('[data-testid="sign-in-open"]')
    await page.fill('[data-testid="sign-in-username"]', 'admin')
    await page.fill('[data-testid="sign-in-password"]', 'not the password')
    await page.click('[data-testid="sign-in-submit"]')
    expect(await page.locator('[data-testid="sign-in-error"]').textContent()).toContain('Wrong username or password')
  })
})
