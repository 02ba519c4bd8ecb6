import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, FaultProxy, SYNC, api, catalogue, request, startLocal, usePair } from './helpers'


// Scenario 9: the HTTP API under /api/v2/mapshelf/sync (admin only, no secrets, validation,
// 409 on a second start) and `npm run sync` (exit codes, summary, one-line error), with a kill -9
// of the command line mid-sync and a rerun.

const ROOT = new URL('../../', import.meta.url).pathname

describe('the sync HTTP API', () => {
  const pair = usePair({ resources: 6 })
  let plain: { username: string; password: string }
  beforeAll(async () => {
    // A plain (non-staff) local account.
    const res = await api(pair.local, '/api/v2/users/', { method: 'POST', body: { username: 'field.worker', password: 'field-worker-pw-1', email: 'fw@example.org' } })
    expect([201, 200], res.text).toContain(res.status)
    plain = { username: 'field.worker', password: 'field-worker-pw-1' }
  })

  const routes = () => [
    ['GET', `${SYNC}/remotes`],
    ['POST', `${SYNC}/remotes`],
    ['GET', `${SYNC}/remotes/${pair.remoteId}`],
    ['PATCH', `${SYNC}/remotes/${pair.remoteId}`],
    ['DELETE', `${SYNC}/remotes/${pair.remoteId}`],
    ['GET', `${SYNC}/remotes/${pair.remoteId}/status`],
    ['POST', `${SYNC}/remotes/${pair.remoteId}/start`],
    ['POST', `${SYNC}/remotes/${pair.remoteId}/cancel`],
    ['GET', `${SYNC}/remotes/${pair.remoteId}/conflicts`],
    ['GET', `${SYNC}/remotes/${pair.remoteId}/journal`],
    ['POST', `${SYNC}/conflicts/1/resolve`]
  ] as const

  it('is for administrators only: anonymous and plain users get 403 on every route', async () => {
    for (const [method, path] of routes()) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { choice: 'mine' }
      const anonymous = await request(pair.local, path, { method, body })
      expect(anonymous.status, `anonymous ${method} ${path}`).toBe(403)
      const user = await request(pair.local, path, { method, body, who: plain })
      expect(user.status, `plain user ${method} ${path}: ${user.text}`).toBe(403)
    }
    expect((await api(pair.local, `${SYNC}/remotes/${pair.remoteId}`)).status).toBe(200) // still there
  })

  it('never returns the password or token of a remote', async () => {
    const token = 'very-secret-token-value-123'
    const added = await api(pair.local, `${SYNC}/remotes`, { method: 'POST', body: { base_url: 'http://127.0.0.1:9/', username: 'someone', token } })
    expect(added.status, added.text).toBe(201)
    for (const res of [added, await api(pair.local, `${SYNC}/remotes`), await api(pair.local, `${SYNC}/remotes/${added.body.remote.id}`), await api(pair.local, `${SYNC}/remotes/${pair.remoteId}`)]) {
      expect(res.text).not.toContain(ADMIN_PASSWORD)
      expect(res.text).not.toContain(token)
      expect(res.text).not.toMatch(/"(password|token|secret)":/)
    }
    expect((await api(pair.local, `${SYNC}/remotes/${added.body.remote.id}`, { method: 'DELETE' })).status).toBe(204)
  })

  it('answers 400 naming the field for invalid remotes, resolutions and journal limits', async () => {
    const bad = async (body: unknown, field: string) => {
      const res = await api(pair.local, `${SYNC}/remotes`, { method: 'POST', body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body, `${JSON.stringify(body)} -> ${res.text}`).toHaveProperty(field)
    }
    await bad({ base_url: 'ftp://x', username: 'a', password: 'p' }, 'base_url')
    await bad({ base_url: 'http://x.example', password: 'p' }, 'username')
    await bad({ base_url: 'http://x.example', username: 'a' }, 'password')
    await bad({ base_url: 'http://x.example', username: 'a', password: 'p', token: 't' }, 'password')
    await bad({ base_url: 'http://x.example', username: 'a', password: 'p', follow_types: ['raster'] }, 'follow_types')
    await bad({ base_url: pair.proxy.url, username: 'admin', password: 'p' }, 'base_url') // already a remote
    const patchUrl = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}`, { method: 'PATCH', body: { base_url: 'http://elsewhere.example' } })
    expect(patchUrl.status).toBe(400)
    expect(patchUrl.body).toHaveProperty('base_url')
    const resolveBad = await api(pair.local, `${SYNC}/conflicts/999/resolve`, { method: 'POST', body: { choice: 'maybe' } })
    expect(resolveBad.status).toBe(400)
    expect(resolveBad.body).toHaveProperty('choice')
    const limit = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/journal?limit=0`)
    expect(limit.status).toBe(400)
    expect(limit.body).toHaveProperty('limit')
    expect((await api(pair.local, `${SYNC}/remotes/999/status`)).status).toBe(404)
  })

  it('starts a run in the background (202), refuses a second start with 409, cancels and reports progress', async () => {
    pair.proxy.rule = () => ({ kind: 'delay', ms: 40 })
    const first = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/start`, { method: 'POST', body: { full: true } })
    expect(first.status, first.text).toBe(202)
    expect(first.body.status.running).toBe(true)
    const second = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/start`, { method: 'POST' })
    expect(second.status).toBe(409)
    for (let i = 0; i < 100; i++) {
      const st = (await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/status`)).body.status
      if (st.phase !== 'idle' && st.progress.done > 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const cancelled = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/cancel`, { method: 'POST' })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.status.running).toBe(false)
    expect(cancelled.body.status.unfinished).toBe(true)
    pair.proxy.rule = null
    const again = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/start`, { method: 'POST', body: { full: true } })
    expect(again.status).toBe(202)
    await pair.local.running.services.sync.settle(pair.remoteId)
    const st = (await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/status`)).body.status
    expect(st).toMatchObject({ running: false, unfinished: false, phase: 'idle', last_error: null })
    expect(catalogue(pair.local).length).toBe(catalogue(pair.remote).length)
    expect(st.pending).toEqual({ creates: 0, updates: 0, deletes: 0 })
    const journal = await api(pair.local, `${SYNC}/remotes/${pair.remoteId}/journal?limit=5`)
    expect(journal.status).toBe(200)
    expect(journal.body.journal.length).toBeLessThanOrEqual(5)
    expect(journal.body.journal[0]).toHaveProperty('outcome')
  })
})

// ---- the command line --------------------------------------------------------------------------

function runCli(args: string[], options: { onStart?: (kill: () => void) => void } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // One process (node --import tsx), so that a kill -9 kills the sync itself, not a wrapper.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/cli/sync.ts'), ...args], { cwd: ROOT, env: { ...process.env, MAPSHELF_SYNC_PASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    options.onStart?.(() => child.kill('SIGKILL'))
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

describe('npm run sync', () => {
  const pair = usePair({ resources: 8 })
  let dataDir: string
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-sync-cli-'))
  })
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  const unreachable = async () => {
    const down = new FaultProxy('http://127.0.0.1:9')
    await down.start()
    const url = down.url
    await down.stop()
    return runCli(['--data-dir', dataDir, '--remote', url, '--username', 'admin', '--password', ADMIN_PASSWORD])
  }

  it('prints a one-line error when the remote is unreachable', { timeout: 60_000 }, async () => {
    const res = await unreachable()
    const lines = res.stderr.trim().split('\n').filter((l) => !l.startsWith('Created superuser'))
    expect(lines, res.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/^sync failed: .*(cannot be reached|ECONNREFUSED|fetch failed)/)
  })

  it('exits non-zero when the remote is unreachable', { timeout: 60_000 }, async () => {
    const res = await unreachable()
    expect(res.code, res.stderr).not.toBe(0)
  })

  it('survives a kill -9 mid-sync; the rerun exits 0 with a summary, no duplicates and nothing lost', { timeout: 90_000 }, async () => {
    let killChild: () => void = () => undefined
    let details = 0
    pair.proxy.rule = (r) => {
      // The fourth record's grants being read: the pull is under way, some records written, some not.
      if (r.method === 'GET' && /^\/api\/v2\/resources\/\d+\/get_perms\/$/.test(r.path) && ++details === 4) killChild()
      return { kind: 'delay', ms: 30 }
    }
    const killed = await runCli(['--data-dir', dataDir, '--remote', pair.proxy.url, '--username', 'admin', '--password', ADMIN_PASSWORD, '--full'], { onStart: (kill) => (killChild = kill) })
    pair.proxy.rule = null
    expect(killed.signal).toBe('SIGKILL')
    const rerun = await runCli(['--data-dir', dataDir, '--remote', pair.proxy.url, '--username', 'admin', '--password', ADMIN_PASSWORD, '--full'])
    expect(rerun.code, rerun.stderr + rerun.stdout).toBe(0)
    expect(rerun.stdout).toMatch(/^Synced .* with .* as admin in [\d.]+ s$/m)
    expect(rerun.stdout).toMatch(/pulled: \d+ created, \d+ updated, \d+ deleted/)
    expect(rerun.stdout).toMatch(/reconciled: yes; open conflicts: 0; errors: 0/)
    // Open the CLI's catalogue and compare with the remote.
    const local = await startLocal({ dataDir })
    try {
      const here = catalogue(local)
      const there = catalogue(pair.remote)
      expect(here.length).toBe(there.length)
      expect(new Set(here.map((r) => r.uuid))).toEqual(new Set(there.map((r) => r.uuid)))
      const st = local.running.database.sqlite.prepare('SELECT s.phase, s.last_error FROM sync_state s JOIN sync_remotes r ON r.id = s.remote_id WHERE r.base_url = ?').get(pair.proxy.url) as { phase: string; last_error: string | null }
      expect(st).toEqual({ phase: 'idle', last_error: null })
    } finally {
      await local.close()
    }
  })
})
