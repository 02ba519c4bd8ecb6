import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchBrowser } from '../helpers/browser'
import { ADMIN_PASSWORD, DEMO_PASSWORD, type TestServer, type TestServerOptions, startTestServer } from '../helpers/server'

export const UI_DIR = resolve('out/renderer')
export const SHOTS = resolve('out/screenshots')
export { ADMIN_PASSWORD, DEMO_PASSWORD }

/** A seeded server serving the built renderer, and one headless Chromium page at 1280x800, per test file. */
export function useApp(resources = 150, options: Omit<TestServerOptions, 'resources'> = {}) {
  let server: TestServer | undefined
  let browser: Browser | undefined
  let page: Page | undefined
  beforeAll(async () => {
    if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` (npm test does)')
    server = await startTestServer({ ...options, resources, flags: { 'ui-dir': UI_DIR, ...options.flags } })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  return {
    get server(): TestServer {
      if (!server) throw new Error('server not started')
      return server
    },
    get page(): Page {
      if (!page) throw new Error('browser not started')
      return page
    },
    get fx() {
      return this.server.seed!.fixtures
    }
  }
}

/** Opens a route of the app (hash history) and waits until the shell is ready. */
export async function open(page: Page, server: TestServer, route: string): Promise<void> {
  await page.goto(`${server.url}/#${route}`)
  await page.waitForSelector('[data-app-state="ready"]')
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.click('[data-testid="sign-in-open"]')
  await page.fill('[data-testid="sign-in-username"]', username)
  await page.fill('[data-testid="sign-in-password"]', password)
  await page.click('[data-testid="sign-in-submit"]')
  await page.waitForSelector(`[data-testid="signed-in-user"]:has-text("${username}")`)
}

export async function signOut(page: Page): Promise<void> {
  await page.click('[data-testid="sign-out"]')
  await page.waitForSelector('[data-testid="sign-in-open"]')
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, name) })
}

/** The resource page of `id`, once loaded (or settled on not-found). */
export async function openResource(page: Page, server: TestServer, id: number | string): Promise<void> {
  await open(page, server, `/resources/${id}`)
  await page.waitForSelector('[data-testid="resource-view"]:not([data-view-state="loading"])')
}
