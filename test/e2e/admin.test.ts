import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, open, shot, signIn, useApp } from './app'

const app = useApp(40)
const row = (name: string) => `[data-testid="user-row-${name}"]`

describe('users administration', () => {
  it('is offered to superusers only', async () => {
    const { page, server } = app
    await open(page, server, '/admin/users')
    expect(await page.locator('[data-testid="empty-state"]').textContent()).toContain('Administrators only')
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await page.waitForSelector('[data-testid="admin-users"][data-view-state="loaded"]')
  })

  it('creates a user, showing the API\u2019s refusal of a bad username first', async () => {
    const { page } = app
    await page.click('[data-testid="user-new"]')
    await page.fill('[data-testid="user-username"]', 'not valid!')
    await page.fill('[data-testid="user-password"]', 'a-long-password')
    await page.click('[data-testid="user-save"]')
    await expect.poll(() => page.locator('[data-testid="user-error-username"]').textContent()).toContain('Enter a valid username')
    await page.fill('[data-testid="user-username"]', 'field.operator')
    await page.fill('[data-testid="user-first_name"]', 'Field')
    await page.fill('[data-testid="user-email"]', 'field.operator@example.org')
    await page.click('[data-testid="user-save"]')
    await page.waitForSelector(row('field.operator'))
    expect(await page.locator(row('field.operator')).textContent()).toContain('field.operator@example.org')
    await shot(page, 'admin.png')
  })

  it('deactivates and deletes the user', async () => {
    const { page } = app
    await page.click('[data-testid="user-toggle-field.operator"]')
    await expect.poll(() => page.locator('[data-testid="user-status-field.operator"]').textContent()).toBe('deactivated')
    await page.click('[data-testid="user-delete-field.operator"]')
    await page.waitForSelector('[data-testid="confirm-dialog"][open]')
    await page.click('[data-testid="confirm-ok"]')
    await page.waitForSelector(row('field.operator'), { state: 'detached' })
  })

  it('downloads a backup and stages it for restore, refusing a broken file with the reason', async () => {
    const { page } = app
    await page.waitForSelector('[data-testid="backup"]')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="backup-download"]')])
    expect(download.suggestedFilename()).toMatch(/^mapshelf-backup-[\d-]+\.zip$/)
    const saved = await download.path()
    expect(saved).toBeTruthy()
    await page.setInputFiles('[data-testid="restore-file"]', { name: 'broken.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') })
    await page.click('[data-testid="restore-start"]')
    await page.waitForSelector('[data-testid="restore-error"]')
    expect(await page.locator('[data-testid="restore-error"]').textContent()).toMatch(/broken|zip|damaged|manifest/i)
    await page.setInputFiles('[data-testid="restore-file"]', saved!)
    await page.click('[data-testid="restore-start"]')
    await page.waitForSelector('[data-testid="backup"][data-state="staged"]')
    expect(await page.locator('[data-testid="restore-staged"]').textContent()).toContain('Restart Mapshelf')
    // The staged restore waits beside this test's data folder: not for the next test's server.
    rmSync(`${app.server.dataDir}.pending-restore`, { recursive: true, force: true })
  })

  it('lists a group with its members and managers', async () => {
    const { page, server, fx } = app
    await open(page, server, '/admin/groups')
    await page.waitForSelector('[data-testid="admin-groups"][data-view-state="loaded"]')
    await page.click(`[data-testid="group-${fx.publicGroup}"]`)
    await expect.poll(() => page.locator('[data-testid="group-managers"]').textContent()).toContain(fx.plainUser)
    await shot(page, 'groups.png')
  })
})

describe('uploads and documents', () => {
  it('explains refused files, and reports the server\u2019s answer for each upload', async () => {
    const { page, server } = app
    await open(page, server, '/uploads')
    await page.setInputFiles('[data-testid="file-input"]', [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
      { name: 'roads.shp', mimeType: 'application/octet-stream', buffer: Buffer.from('not really a shapefile') },
      { name: 'roads.dbf', mimeType: 'application/octet-stream', buffer: Buffer.from('x') }
    ])
    expect(await page.locator('[data-testid="refused"]').textContent()).toContain('notes.txt')
    await page.waitForSelector('[data-testid="upload-item"][data-state="failed"], [data-testid="upload-item"][data-state="done"]')
    const item = page.locator('[data-testid="upload-item"]').first()
    expect(await item.textContent()).toContain('roads.dbf')
    if ((await item.getAttribute('data-state')) === 'failed') expect((await item.locator('[data-testid="upload-errors"]').textContent())?.length).toBeGreaterThan(0)
    await shot(page, 'uploads.png')
  })

  it('adds a document by URL and links to it', async () => {
    const { page, server } = app
    await open(page, server, '/documents')
    await page.click('[data-testid="doc-source-url"]')
    await page.fill('[data-testid="doc-title"]', 'Survey protocol')
    await page.fill('[data-testid="doc-url"]', 'not a url')
    await page.click('[data-testid="doc-submit"]')
    await expect.poll(() => page.locator('[data-testid="doc-url-error"]').textContent()).toContain('valid URL')
    await page.fill('[data-testid="doc-url"]', 'https://example.org/protocol.pdf')
    await page.click('[data-testid="doc-submit"]')
    await page.waitForSelector('[data-testid="doc-created"]')
    await shot(page, 'documents.png')
    await page.click('[data-testid="doc-created"] a')
    await page.waitForSelector('[data-testid="resource-view"][data-view-state="loaded"]')
    expect(await page.locator('[data-testid="resource-title"]').textContent()).toBe('Survey protocol')
  })
})
