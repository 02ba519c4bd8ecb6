import { describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, DEMO_PASSWORD, open, shot, signIn, signOut, useApp } from './app'

const app = useApp(20)

// The sync API (/api/v2/mapshelf/sync) is not on this server yet: the panel and the status bar
// must say so, with no made-up remotes. The panel's remotes, progress, conflicts and journal are
// untested until the endpoints exist.
describe('the sync panel', () => {
  it('is for superusers only', async () => {
    const { page, server, fx } = app
    await open(page, server, '/sync')
    expect(await page.locator('[data-testid="sync-view"]').textContent()).toContain('Administrators only')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    expect(await page.locator('[data-testid="nav-sync"]').count()).toBe(0)
    expect(await page.locator('[data-testid="status-sync"]').textContent()).toContain('administrators only')
    await signOut(page)
  })

  it('says that sync is not available when the server has no sync API', async () => {
    const { page, server } = app
    const probe = await fetch(`${server.url}/api/v2/mapshelf/sync/remotes`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } })
    if (probe.status !== 404) return // the endpoints have arrived: this case no longer applies
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await page.click('[data-testid="nav-sync"]')
    await page.waitForSelector('[data-testid="sync-view"][data-availability="unavailable"]')
    expect(await page.locator('[data-testid="sync-view"]').textContent()).toContain('Sync is not available on this server')
    expect(await page.locator('[data-testid="remote"]').count()).toBe(0)
    await expect.poll(() => page.locator('[data-testid="status-sync"]').textContent()).toContain('not available')
    await shot(page, 'sync.png')
  })
})
