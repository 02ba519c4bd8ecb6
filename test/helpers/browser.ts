import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** The one line `npm test` prints when the browser tests have no browser to run in. */
export const NO_BROWSER_MESSAGE =
  'The browser tests need Chromium or Chrome and none was found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`; ' +
  'macOS: `brew install --cask chromium`; anywhere: `npx playwright install chromium`) or set MAPSHELF_CHROMIUM to its executable.'

const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']
const APPLICATIONS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'
]

function executable(file: string): boolean {
  try {
    accessSync(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(name: string): string | null {
  const suffixes = process.platform === 'win32' ? ['.exe', '.cmd', ''] : ['']
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const suffix of suffixes) {
      const file = join(dir, name + suffix)
      if (executable(file)) return file
    }
  }
  return null
}

/**
 * Where the browser tests find a browser, in this order: MAPSHELF_CHROMIUM; chromium,
 * chromium-browser, google-chrome, google-chrome-stable on PATH; the macOS applications folder;
 * then playwright's own browser cache (`npx playwright install chromium`). Null when none exists.
 */
export function findChromium(): string | null {
  const chosen = process.env.MAPSHELF_CHROMIUM
  if (chosen) return existsSync(chosen) ? chosen : null
  for (const name of ON_PATH) {
    const file = onPath(name)
    if (file) return file
  }
  for (const file of APPLICATIONS) if (executable(file)) return file
  try {
    const cached = chromium.executablePath()
    if (cached && existsSync(cached)) return cached
  } catch {
    // playwright knows no browser of its own for this platform
  }
  return null
}

/** Chromium, headless, with the flags a sandboxed machine without network needs. */
export function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium()
  if (!executablePath) throw new Error(NO_BROWSER_MESSAGE)
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
}
