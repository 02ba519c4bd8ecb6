import { copyFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, request, startTestServer } from '../helpers/server'
import { ADMIN_PASSWORD, DEMO_PASSWORD, SHOTS, open, shot, signIn, signOut, useApp } from './app'

/**
 * The sync panel against a real remote: a second Mapshelf server (another seed, so no shared
 * uuids) that the local server syncs with. The local server's sync client goes through `slow`,
 * which can hold every request to the remote back for a while (the cancel case).
 */
const REMOTE_PASSWORD = 'remote-admin-pw-7431'
const slow = { ms: 0 }
const throughSlowLink: typeof fetch = async (input, init) => {
  if (slow.ms) {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(done, slow.ms)
      init?.signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        fail(init.signal!.reason)
      })
    })
  }
  return fetch(input, init)
}

const app = useApp(20, { fetch: throughSlowLink })
let remote: TestServer
beforeAll(async () => {
  remote = await startTestServer({ resources: 6, seed: 7, adminPassword: REMOTE_PASSWORD })
})
afterAll(() => remote?.close())

const remoteAdmin = () => ({ username: 'admin', password: REMOTE_PASSWORD })
const PLURAL: Record<string, string> = { layer: 'layers', map: 'maps', document: 'documents', geoapp: 'geoapps', geostory: 'geostories' }
const SYNC_TIMEOUT = 60_000

/** Waits until the selected remote's run has ended (the panel polls while one runs). */
async function waitForRunEnd(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="sync-status"][data-running="false"]', { timeout: SYNC_TIMEOUT })
}

async function text(page: Page, testid: string): Promise<string> {
  return (await page.locator(`[data-testid="${testid}"]`).first().textContent()) ?? ''
}

describe('the sync panel', { timeout: 90_000 }, () => {
  it('is for superusers only', async () => {
    const { page, server, fx } = app
    await open(page, server, '/sync')
    expect(await page.locator('[data-testid="sync-view"]').textContent()).toContain('Administrators only')
    await signIn(page, fx.plainUser, DEMO_PASSWORD)
    expect(await page.locator('[data-testid="nav-sync"]').count()).toBe(0)
    expect(await page.locator('[data-testid="status-sync"]').textContent()).toContain('administrators only')
    await signOut(page)
  })

  it('adds a remote: the server names the bad field, and the password is never shown again', async () => {
    const { page, server } = app
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await page.click('[data-testid="nav-sync"]')
    await page.waitForSelector('[data-testid="sync-view"][data-availability="available"]')
    expect(await text(page, 'sync-view')).toContain('No remotes yet')
    await expect.poll(() => text(page, 'status-sync')).toContain('no remotes')

    await page.click('[data-testid="remote-new"]')
    await page.fill('[data-testid="remote-url"]', 'geonode.example.org')
    await page.fill('[data-testid="remote-username"]', 'admin')
    // A wrong password first: the remote refuses it at sync time, not here.
    await page.fill('[data-testid="remote-secret"]', 'not-the-password')
    await page.click('[data-testid="remote-save"]')
    await page.waitForSelector('[data-testid="remote-form"] .field-error:has-text("Expected an http or https URL")')
    expect(await page.getAttribute('[data-testid="remote-url"]', 'aria-invalid')).toBe('true')

    await page.fill('[data-testid="remote-url"]', remote.url)
    await page.click('[data-testid="remote-save"]')
    await page.waitForSelector('[data-testid="remote-form"]', { state: 'detached' })
    await page.waitForSelector(`[data-testid="remote"]:has-text("${remote.url}")`)
    expect(await text(page, 'remote')).toContain('never synced')

    // Nowhere again: not on the page, not in the form to edit it, not in the API's answer.
    expect(await page.content()).not.toContain('not-the-password')
    await page.click('[data-testid="remote"] >> text=Edit')
    expect(await page.inputValue('[data-testid="remote-secret"]')).toBe('')
    expect(await page.getAttribute('[data-testid="remote-secret"]', 'type')).toBe('password')
    expect(await page.getAttribute('[data-testid="remote-secret"]', 'placeholder')).toContain('Leave blank')
    await page.click('[data-testid="remote-form"] >> text=Cancel')
    const listed = await request(server, '/api/v2/mapshelf/sync/remotes', { who: 'admin' })
    expect(listed.text).not.toContain('not-the-password')
  })

  it("shows the remote's refusal of the credentials as the last error", async () => {
    const { page } = app
    await page.click('[data-testid="sync-start"]')
    await page.waitForSelector('[data-testid="sync-last-error"]', { timeout: SYNC_TIMEOUT })
    await waitForRunEnd(page)
    expect(await text(page, 'sync-last-error')).toMatch(/username\/password|refused/i)
    expect(await text(page, 'remote-state')).toContain('last run failed')
    await expect.poll(() => text(page, 'status-sync')).toContain('last run failed')

    // The right password, through the edit form (blank would keep the stored one).
    await page.click('[data-testid="remote"] >> text=Edit')
    await page.fill('[data-testid="remote-secret"]', REMOTE_PASSWORD)
    await page.click('[data-testid="remote-save"]')
    await page.waitForSelector('[data-testid="remote-form"]', { state: 'detached' })
    expect(await page.content()).not.toContain(REMOTE_PASSWORD)
  })

  it("syncs: progress, then the finished state with the pulled count; the remote's records are in the catalogue", async () => {
    const { page, server } = app
    const theirs = (await request(remote, '/api/v2/resources?page_size=50', { who: remoteAdmin() })).body.resources as { pk: number; title: string }[]
    expect(theirs).toHaveLength(6)

    await page.click('[data-testid="sync-start"]')
    // The start answers with a running status: the progress shows at once, and in the status bar.
    await page.waitForSelector('[data-testid="sync-running"] [data-testid="sync-progress"]')
    expect(await text(page, 'sync-running')).toMatch(/starting|pulling|pushing|reconciling/)
    expect(await page.locator('[data-testid="sync-cancel"]').isVisible()).toBe(true)
    expect(await text(page, 'status-sync')).toMatch(/Sync: (starting|pulling|pushing|reconciling)/)

    await waitForRunEnd(page)
    expect(await page.locator('[data-testid="sync-running"]').count()).toBe(0)
    expect(await text(page, 'sync-last-result')).toContain('pulled 6 new')
    expect(await text(page, 'sync-last-result')).toContain('pushed 20 new')
    expect(await page.locator('[data-testid="sync-last-error"]').count()).toBe(0)
    expect(await text(page, 'remote-state')).toContain('last sync')
    await expect.poll(() => text(page, 'status-sync')).toContain('up to date')

    // The journal says what went where: the remote's records down, ours up.
    const rows = await page.locator('[data-testid="journal"] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')))
    for (const record of theirs) {
      const row = rows.filter(([, direction, action, , , message]) => direction === '↓ pull' && action === 'create' && message === record.title)
      expect(row).toHaveLength(1)
      expect(row[0]![3]).toMatch(new RegExp(`^#\\d+ remote ${record.pk}$`))
    }
    expect(rows.filter(([, direction, action, , outcome]) => direction === '↑ push' && action === 'create' && outcome === 'ok')).toHaveLength(20)

    // In the catalogue: searching a pulled title finds it.
    const record = theirs[0]!
    await open(page, server, `/catalogue?q=${encodeURIComponent(record.title)}`)
    await page.waitForSelector(`[data-testid="result-title"]:text-is("${record.title}")`)
  })

  it('shows a conflict side by side; an edited resolution reaches the remote', async () => {
    const { page, server } = app
    const journal = (await request(server, '/api/v2/mapshelf/sync/remotes/1/journal', { who: 'admin' })).body.journal as { direction: string; action: string; local_id: number; remote_pk: number; message: string }[]
    const pulled = journal.find((j) => j.direction === 'pull' && j.action === 'create')!
    const detail = (await request(remote, `/api/v2/resources/${pulled.remote_pk}`, { who: remoteAdmin() })).body.resource as { resource_type: string; title: string }
    const path = (pk: number) => `/api/v2/${PLURAL[detail.resource_type]}/${pk}/`
    const base = detail.title
    expect((await request(server, path(pulled.local_id), { who: 'admin', method: 'PATCH', body: { title: 'Mine: local title' } })).status).toBe(200)
    expect((await request(remote, path(pulled.remote_pk), { who: remoteAdmin(), method: 'PATCH', body: { title: 'Theirs: remote title' } })).status).toBe(200)

    await open(page, server, '/sync')
    await page.waitForSelector('[data-testid="sync-start"]')
    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    const conflict = page.locator('[data-testid="conflict"]')
    await conflict.first().waitFor()
    expect(await conflict.count()).toBe(1)
    expect(await conflict.locator('code').textContent()).toBe('title')
    const sides = conflict.locator('.sides > div')
    expect(await sides.nth(0).textContent()).toBe(`Base${base}`)
    expect(await sides.nth(1).textContent()).toBe('Mine (local)Mine: local title')
    expect(await sides.nth(2).textContent()).toBe('Theirs (remote)Theirs: remote title')
    expect(await text(page, 'sync-conflict-count')).toBe('1')
    expect(await text(page, 'sync-last-result')).toContain('1 conflict')
    await expect.poll(() => text(page, 'status-sync')).toContain('1 conflict')
    expect(await page.locator('[data-testid="journal"] tbody tr').filter({ hasText: 'title changed on both sides' }).count()).toBe(1)

    // The populated panel: remotes, a conflict, the journal.
    await shot(page, 'sync.png')
    mkdirSync(resolve('docs/screenshots'), { recursive: true })
    copyFileSync(join(SHOTS, 'sync.png'), resolve('docs/screenshots/sync.png'))

    await conflict.getByRole('button', { name: 'Edit…' }).click()
    const box = conflict.locator('textarea')
    expect(await box.inputValue()).toBe('Mine: local title')
    await box.fill('Agreed: both sides')
    await conflict.getByRole('button', { name: 'Keep this value' }).click()
    await page.waitForSelector('[data-testid="conflict"]', { state: 'detached' })
    expect(await text(page, 'sync-view')).toContain('No conflicts.')
    await expect.poll(() => text(page, 'sync-conflict-count')).toBe('0')

    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    const there = await request(remote, `/api/v2/resources/${pulled.remote_pk}`, { who: remoteAdmin() })
    expect(there.body.resource.title).toBe('Agreed: both sides')
    const here = await request(server, `/api/v2/resources/${pulled.local_id}`, { who: 'admin' })
    expect(here.body.resource.title).toBe('Agreed: both sides')
    const pushed = page.locator('[data-testid="journal"] tbody tr').filter({ hasText: '↑ push' }).filter({ hasText: `#${pulled.local_id}` }).filter({ hasText: 'update' })
    // The journal reloads after the run's end is shown: wait for it.
    await expect.poll(() => pushed.count()).toBeGreaterThanOrEqual(1)
    expect(await pushed.first().textContent()).toContain('title')
    await expect.poll(() => text(page, 'status-sync')).not.toContain('conflict')
  })

  it('a start while a run goes is refused (409) and shows that run; cancelled, it is unfinished; resumed, it finishes', async () => {
    const { page, server } = app
    // Work to push: three local edits.
    const mine = (await request(server, '/api/v2/resources?page_size=3&filter{resource_type}=document', { who: 'admin' })).body.resources as { pk: string }[]
    for (const r of mine) expect((await request(server, `/api/v2/documents/${r.pk}/`, { who: 'admin', method: 'PATCH', body: { abstract: `Edited here ${r.pk}` } })).status).toBe(200)

    // Slow enough that the run begun behind the panel's back is still going when the panel asks
    // (it reads a few records at once: at 400 ms a request it could end first, 2 runs in 15).
    slow.ms = 1_500
    // A run started behind the panel's back (as `npm run sync` or another window would).
    expect((await request(server, '/api/v2/mapshelf/sync/remotes/1/start', { who: 'admin', method: 'POST' })).status).toBe(202)
    expect((await request(server, '/api/v2/mapshelf/sync/remotes/1/start', { who: 'admin', method: 'POST' })).status).toBe(409)
    await page.click('[data-testid="sync-start"]')
    await page.waitForSelector('[data-testid="sync-status"] [role="alert"]:has-text("already running")')
    await page.waitForSelector('[data-testid="sync-cancel"]')
    await page.waitForSelector('[data-testid="sync-running"]:is(:has-text("pulling"), :has-text("pushing"))', { timeout: SYNC_TIMEOUT })
    await page.click('[data-testid="sync-cancel"]')
    await page.waitForSelector('[data-testid="sync-unfinished"]', { timeout: SYNC_TIMEOUT })
    expect(await text(page, 'sync-start')).toContain('Resume sync')
    expect(await text(page, 'remote-state')).toContain('unfinished run')
    await expect.poll(() => text(page, 'status-sync')).toContain('unfinished run')
    await shot(page, 'sync-unfinished.png')

    slow.ms = 0
    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    await page.waitForSelector('[data-testid="sync-unfinished"]', { state: 'detached' })
    expect(await text(page, 'sync-start')).toContain('Sync now')
    expect(await page.locator('[data-testid="sync-last-error"]').count()).toBe(0)
    expect(await text(page, 'sync-last-result')).toContain('pushed')
    for (const r of mine) {
      const bound = (await request(server, '/api/v2/mapshelf/sync/remotes/1/journal?limit=1000', { who: 'admin' })).body.journal.find((j: { action: string; local_id: number }) => j.action === 'create' && j.local_id === Number(r.pk))
      const there = await request(remote, `/api/v2/resources/${bound.remote_pk}`, { who: remoteAdmin() })
      expect(there.body.resource.abstract).toBe(`Edited here ${r.pk}`)
    }
    await expect.poll(() => text(page, 'status-sync')).toContain('up to date')
  })

  it('keeps a remote layer\'s data offline from its resource page: downloaded at the next sync', async () => {
    const { page, server } = app
    const geojson = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { site: 'North' }, geometry: { type: 'Point', coordinates: [8, 47] } }, { type: 'Feature', properties: { site: 'South' }, geometry: { type: 'Point', coordinates: [8.5, 46] } }] })
    const form = new FormData()
    form.append('layer_title', 'Spring sites')
    form.append('base_file', new Blob([geojson]), 'spring-sites.geojson')
    const uploaded = await fetch(`${remote.url}/api/v2/uploads/upload/`, { method: 'POST', body: form, headers: { authorization: `Basic ${Buffer.from(`admin:${REMOTE_PASSWORD}`).toString('base64')}` } })
    expect(uploaded.status).toBe(200)
    const runToEnd = async () => {
      expect((await request(server, '/api/v2/mapshelf/sync/remotes/1/start', { who: 'admin', method: 'POST' })).status).toBe(202)
      await expect.poll(async () => (await request(server, '/api/v2/mapshelf/sync/remotes/1/status', { who: 'admin' })).body.status.running, { timeout: SYNC_TIMEOUT }).toBe(false)
    }
    await runToEnd()
    const local = (await request(server, '/api/v2/layers?filter{title}=Spring%20sites', { who: 'admin' })).body.layers[0]
    expect(local).toBeDefined()
    await open(page, server, `/resources/${local.pk}`)
    await page.waitForSelector('[data-testid="offline"][data-offline="no"]')
    expect(await text(page, 'offline-detail')).toContain('Only the metadata is kept')
    await page.check('[data-testid="offline-toggle"]')
    await page.waitForSelector('[data-testid="offline"][data-offline="yes"]')
    expect(await text(page, 'offline-detail')).toContain('Downloaded at the next sync')
    await runToEnd()
    await page.reload()
    await page.waitForSelector('[data-testid="offline"][data-offline="yes"]')
    expect(await text(page, 'offline-detail')).toContain('Downloaded with the sync of')
    const features = (await request(server, `/api/v2/mapshelf/layers/${local.pk}/features`, { who: 'admin' })).body.features as { properties: { site: string } }[]
    expect(features.map((f) => f.properties.site).sort()).toEqual(['North', 'South'])
  })

  it("shows a conflict over a map's layers by the layers' titles, with opacity", async () => {
    const { page, server } = app
    const layers = (await request(remote, '/api/v2/layers?page_size=50', { who: remoteAdmin() })).body.layers as { pk: string; title: string }[]
    const layer = layers[0]!
    const made = await request(remote, '/api/v2/maps/', { who: remoteAdmin(), method: 'POST', body: { title: 'Survey map', layers: [{ dataset: Number(layer.pk) }] } })
    expect(made.status, made.text).toBe(201)
    const mapPk = Number(made.body.map.pk)

    await open(page, server, '/sync')
    await page.waitForSelector('[data-testid="sync-start"]')
    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    const journal = (await request(server, '/api/v2/mapshelf/sync/remotes/1/journal', { who: 'admin' })).body.journal as { local_id: number; remote_pk: number }[]
    const localMap = journal.find((j) => j.remote_pk === mapPk)!.local_id
    const localLayer = journal.find((j) => j.remote_pk === Number(layer.pk))!.local_id
    expect((await request(server, `/api/v2/maps/${localMap}/`, { who: 'admin', method: 'PATCH', body: { layers: [{ dataset: localLayer, opacity: 0.7 }] } })).status).toBe(200)
    expect((await request(remote, `/api/v2/maps/${mapPk}/`, { who: remoteAdmin(), method: 'PATCH', body: { layers: [{ dataset: Number(layer.pk), opacity: 0.3, visibility: false }] } })).status).toBe(200)

    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    const conflict = page.locator('[data-testid="conflict"]').filter({ hasText: 'Survey map' })
    await conflict.waitFor()
    expect(await conflict.locator('code').textContent()).toBe('layers')
    const sides = conflict.locator('.sides > div pre')
    expect(await sides.nth(0).textContent()).toBe(layer.title)
    expect(await sides.nth(1).textContent()).toBe(`${layer.title} (opacity 70%)`)
    expect(await sides.nth(2).textContent()).toBe(`${layer.title} (opacity 30%, hidden)`)
    await conflict.scrollIntoViewIfNeeded()
    await shot(page, 'sync-map-layers.png')

    // Keep mine: the next run sends the local list there.
    await conflict.getByRole('button', { name: 'Keep mine' }).click()
    await page.waitForSelector('[data-testid="conflict"]', { state: 'detached' })
    await page.click('[data-testid="sync-start"]')
    await waitForRunEnd(page)
    const there = (await request(remote, `/api/v2/maps/${mapPk}/layers/`, { who: remoteAdmin() })).body as { opacity: number; visibility: boolean; local: boolean }[]
    expect(there.filter((l) => l.local).map((l) => [l.opacity, l.visibility])).toEqual([[0.7, true]])
  })
})
