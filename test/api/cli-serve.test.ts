import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// `npm run serve` serves the built UI at / beside the API, with no flag needed (npm test builds
// the renderer before running the tests).

const dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-serve-'))
let child: ChildProcess | null = null
afterAll(() => {
  child?.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

function start(): Promise<string> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--data-dir', dataDir, '--port', '0', '--admin-password', 'serve-test-1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (d) => {
      out += String(d)
      const url = /http:\/\/\S+/.exec(out)?.[0]
      if (url) resolve(url)
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)))
  })
}

describe('the command-line server', () => {
  it('serves the UI at / and the API beside it, without --ui-dir', { timeout: 60_000 }, async () => {
    const url = await start()
    const page = await fetch(`${url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('<div id="app"')
    const api = await fetch(`${url}/api/v2/resources`)
    expect(api.status).toBe(200)
    expect(Object.keys(await api.json())).toContain('resources')
  })
})
