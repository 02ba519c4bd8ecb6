import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, SHOTS, open, signIn, useApp } from './app'

const app = useApp(60)

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 }
] as const
const SCHEMES = ['light', 'dark'] as const

/** Every main view, with what shows it has settled. */
function views(fx: ReturnType<typeof useApp>['fx']) {
  return [
    { name: 'catalogue', route: '/catalogue', ready: '[data-testid="catalogue-view"] [data-testid="result"]' },
    { name: 'resource', route: `/resources/${fx.vectorLayerId}`, ready: '[data-testid="resource-view"][data-view-state="loaded"]' },
    { name: 'map', route: `/maps/${fx.mapId}`, ready: '[data-testid="map-view"][data-view-state="loaded"]' },
    { name: 'uploads', route: '/uploads', ready: '[data-testid="uploads-view"]' },
    { name: 'documents', route: '/documents', ready: '[data-testid="documents-view"]' },
    { name: 'users', route: '/admin/users', ready: '[data-testid="admin-users"][data-view-state="loaded"]' },
    { name: 'groups', route: '/admin/groups', ready: '[data-testid="admin-groups"][data-view-state="loaded"]' },
    { name: 'sync', route: '/sync', ready: '[data-testid="sync-view"][data-availability="available"]' }
  ]
}

/** Waits for the view's own signal, then for its placeholders to go. */
async function settle(page: Page, ready: string): Promise<void> {
  await page.waitForSelector(ready)
  await page.waitForFunction(() => !document.querySelector('.skeleton, [aria-busy="true"]'))
}

/** What is wrong with the page's box: overflow sideways, a shell that does not fill the window. */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = []
    const root = document.documentElement
    if (root.scrollWidth > window.innerWidth) problems.push(`page is ${root.scrollWidth}px wide in a ${window.innerWidth}px window`)
    const main = document.getElementById('main')!
    if (main.scrollWidth > main.clientWidth + 1) problems.push(`main scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`)
    const status = document.querySelector('.shell-status')!.getBoundingClientRect()
    if (Math.abs(status.bottom - window.innerHeight) > 1) problems.push(`status bar ends at ${status.bottom}, window at ${window.innerHeight}`)
    // Text cut off by its own box (a label or button too narrow for its words).
    for (const el of document.querySelectorAll<HTMLElement>('button, .chip, label, th, h1, h2, h3')) {
      const style = getComputedStyle(el)
      // Visually hidden labels (1px boxes for screen readers) are cut on purpose.
      if (el.offsetParent === null || el.clientWidth <= 1 || style.overflow === 'visible' || style.textOverflow === 'ellipsis') continue
      if (el.scrollWidth > el.clientWidth + 1) problems.push(`clipped: <${el.tagName.toLowerCase()}> “${el.textContent?.trim().slice(0, 40)}”`)
    }
    return problems
  })
}

/** Tabs through the first `count` stops: each must be on screen and show that it has the focus. */
async function keyboardProblems(page: Page, count: number): Promise<string[]> {
  const problems: string[] = []
  // From the start of the content (the skip link's target).
  await page.evaluate(() => document.getElementById('main')!.focus())
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab')
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null
      if (!el || el === document.body) return null
      const rect = el.getBoundingClientRect()
      const style = getComputedStyle(el)
      const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'
      const name = el.getAttribute('aria-label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ?? el.getAttribute('name') ?? el.textContent ?? ''
      const label = `<${el.tagName.toLowerCase()}${el.getAttribute('type') ? ` type=${el.getAttribute('type')}` : ''}> “${name.trim().slice(0, 30)}”`
      const hidden = rect.width === 0 || rect.height === 0 || rect.bottom <= 0 || rect.right <= 0 || rect.top >= window.innerHeight || rect.left >= window.innerWidth
      // An element inside the OpenLayers viewport draws its own focus state.
      // Date inputs: focus sits in an inner field and this headless page reports the host as not
      // :focus (a plain page rings them, see base.css); Chromium highlights the inner field itself.
      const innerFocus = el instanceof HTMLInputElement && /^(date|datetime-local|time)$/.test(el.type)
      return { label, hidden, ring: ring || innerFocus || Boolean(el.closest('.ol-viewport')) }
    })
    if (!stop) break
    if (stop.hidden) problems.push(`focus off screen: ${stop.label}`)
    if (!stop.ring) problems.push(`no focus ring: ${stop.label}`)
  }
  return problems
}

describe('layout and keyboard of every main view', () => {
  it('the skip link moves the focus to the content without leaving the page', async () => {
    const { page, server } = app
    await open(page, server, '/catalogue')
    await signIn(page, 'admin', ADMIN_PASSWORD)
    await settle(page, '[data-testid="catalogue-view"] [data-testid="result"]')
    await page.reload()
    await settle(page, '[data-testid="catalogue-view"] [data-testid="result"]')
    const url = page.url()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('skip-link')
    const box = await page.locator('[data-testid="skip-link"]').boundingBox()
    expect(box!.x).toBeGreaterThanOrEqual(0)
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')
    expect(page.url()).toBe(url)
    expect(await page.locator('[data-testid="catalogue-view"]').count()).toBe(1)
  })

  for (const size of SIZES) {
    for (const scheme of SCHEMES) {
      it(`fits ${size.width}x${size.height} (${scheme}), and the keyboard reaches visible, ringed stops`, async () => {
        const { page, server, fx } = app
        await page.setViewportSize(size)
        await page.emulateMedia({ colorScheme: scheme })
        const dir = join(SHOTS, 'layout')
        mkdirSync(dir, { recursive: true })
        const problems: string[] = []
        for (const view of views(fx)) {
          await open(page, server, view.route)
          await settle(page, view.ready)
          await page.screenshot({ path: join(dir, `${view.name}-${size.width}-${scheme}.png`) })
          if (size.width === 1920 && scheme === 'light' && (view.name === 'catalogue' || view.name === 'map')) await page.screenshot({ path: join(SHOTS, `${view.name}-1920.png`) })
          problems.push(...(await layoutProblems(page)).map((p) => `${view.name}: ${p}`))
          if (scheme === 'light') problems.push(...(await keyboardProblems(page, 40)).map((p) => `${view.name}: ${p}`))
        }
        expect(problems).toEqual([])
      }, 120_000)
    }
  }
})
