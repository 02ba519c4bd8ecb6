import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Clock } from '../../src-main/clock'
import { loadConfig } from '../../src-main/config'
import { type RunningServer, startServer } from '../../src-main/server'
import { ADMIN_PASSWORD, type Who, request } from '../helpers/server'

// Issue 19, finding 6: a password change revoked nothing, and refresh tokens never expired (their
// clean-up was never called). Now a password change revokes the user's tokens, sessions and refresh
// tokens (all but the credential making an own change), deactivation and deletion cut them too,
// refresh tokens expire, and expired rows are deleted.

const DAY_MS = 24 * 3600_000
const PASSWORD = 'first-password-1'

/** The system clock, moved forward at will. */
function movableClock() {
  let offsetMs = 0
  let lastMicros = 0
  const clock: Clock = {
    epochMs: () => Date.now() + offsetMs,
    now() {
      const micros = Math.max((Date.now() + offsetMs) * 1000, lastMicros + 1)
      lastMicros = micros
      return `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`
    }
  }
  return { clock, advance: (ms: number) => void (offsetMs += ms) }
}

const time = movableClock()
const dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-token-revocation-'))
let server: RunningServer
const ids: Record<string, number> = {}

beforeAll(async () => {
  const config = loadConfig({ flags: { 'data-dir': dataDir, port: '0', 'admin-password': ADMIN_PASSWORD } })
  server = await startServer(config, { clock: time.clock, log: { info: () => undefined, warn: () => undefined, error: (m, e) => console.error(m, e) } })
})
afterAll(async () => {
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const tokenRows = (userId: number) => (server.database.sqlite.prepare('SELECT count(*) AS n FROM access_tokens WHERE user_id = ?').get(userId) as { n: number }).n

async function newUser(username: string, flags: Record<string, boolean> = {}): Promise<number> {
  const res = await request(server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username, password: PASSWORD, ...flags } })
  expect(res.status, res.text).toBe(201)
  ids[username] = res.body.user.pk
  return res.body.user.pk
}

async function passwordGrant(username: string, password = PASSWORD): Promise<{ access_token: string; refresh_token: string }> {
  const res = await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username, password } })
  expect(res.status, res.text).toBe(200)
  return res.body
}

const refresh = (token: string) => request(server, '/o/token/', { method: 'POST', form: { grant_type: 'refresh_token', refresh_token: token } })

async function session(username: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await request(server, '/account/login/', { method: 'POST', form: { username, password } })
  expect(res.status, res.text).toBe(200)
  const cookies = Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(';')[0].split('=') as [string, string]))
  return { cookie: `sessionid=${cookies.sessionid}; csrftoken=${cookies.csrftoken}`, csrf: cookies.csrftoken }
}

/** The username a credential signs in as, or null when it is not accepted. */
async function whoIs(credential: { token: string } | { cookie: string }): Promise<string | null> {
  const res = await request(server, '/api/o/v4/userinfo', 'token' in credential ? { who: credential } : { headers: { cookie: credential.cookie } })
  return res.status === 200 ? res.body.preferred_username : null
}

const patchUser = (id: number, body: unknown, who: Who = 'admin', headers: Record<string, string> = {}) =>
  request(server, `/api/v2/users/${id}`, { method: 'PATCH', who, headers, body })

describe('password changes', () => {
  it('a password set by an administrator revokes the user’s tokens, sessions and refresh tokens', async () => {
    await newUser('rita')
    const grant = await passwordGrant('rita')
    const browser = await session('rita')
    expect(await whoIs({ token: grant.access_token })).toBe('rita')
    expect(await whoIs(browser)).toBe('rita')
    expect((await patchUser(ids.rita, { password: 'second-password-2' })).status).toBe(200)
    expect(await whoIs({ token: grant.access_token })).toBeNull()
    expect(await whoIs(browser)).toBeNull()
    const refreshed = await refresh(grant.refresh_token)
    expect(refreshed.status).toBe(400)
    expect(refreshed.body).toEqual({ error: 'invalid_grant' })
    expect(tokenRows(ids.rita)).toBe(0)
    expect((await request(server, '/api/v2/resources', { who: { username: 'rita', password: PASSWORD } })).status).toBe(403)
    expect((await request(server, '/api/v2/resources', { who: { username: 'rita', password: 'second-password-2' } })).status).toBe(200)
  })

  it('changing one’s own password keeps the token or session making the change and revokes the others', async () => {
    await newUser('root', { is_superuser: true, is_staff: true })
    const changer = await passwordGrant('root')
    const other = await passwordGrant('root')
    const browser = await session('root')
    expect((await patchUser(ids.root, { password: 'second-password-2' }, { token: changer.access_token })).status).toBe(200)
    expect(await whoIs({ token: changer.access_token })).toBe('root')
    expect(await whoIs({ token: other.access_token })).toBeNull()
    expect(await whoIs(browser)).toBeNull()
    expect((await refresh(other.refresh_token)).status).toBe(400)
    // Through a session: that session stays, the token used before goes.
    const second = await session('root', 'second-password-2')
    const viaSession = await request(server, `/api/v2/users/${ids.root}`, { method: 'PATCH', headers: { cookie: second.cookie, 'x-csrftoken': second.csrf }, body: { password: 'third-password-3' } })
    expect(viaSession.status, viaSession.text).toBe(200)
    expect(await whoIs(second)).toBe('root')
    expect(await whoIs({ token: changer.access_token })).toBeNull()
  })
})

describe('deactivation and deletion', () => {
  it('deactivating a user cuts their tokens and sessions for good: reactivation does not bring them back', async () => {
    await newUser('dana')
    const grant = await passwordGrant('dana')
    const browser = await session('dana')
    expect((await patchUser(ids.dana, { is_active: false })).status).toBe(200)
    expect(await whoIs({ token: grant.access_token })).toBeNull()
    expect((await patchUser(ids.dana, { is_active: true })).status).toBe(200)
    expect(await whoIs({ token: grant.access_token })).toBeNull()
    expect(await whoIs(browser)).toBeNull()
    expect((await refresh(grant.refresh_token)).status).toBe(400)
    expect(tokenRows(ids.dana)).toBe(0)
    expect(await whoIs({ token: (await passwordGrant('dana')).access_token })).toBe('dana')
  })

  it('deleting a user cuts their tokens and sessions', async () => {
    await newUser('eve')
    const grant = await passwordGrant('eve')
    const browser = await session('eve')
    expect((await request(server, `/api/v2/users/${ids.eve}`, { method: 'DELETE', who: 'admin' })).status).toBe(204)
    expect(await whoIs({ token: grant.access_token })).toBeNull()
    expect(await whoIs(browser)).toBeNull()
    expect((await refresh(grant.refresh_token)).status).toBe(400)
    expect(tokenRows(ids.eve)).toBe(0)
  })
})

describe('expiry', () => {
  it('refresh tokens expire thirty days after they were issued, and expired tokens are deleted', async () => {
    await newUser('fred')
    const first = await passwordGrant('fred')
    time.advance(2 * DAY_MS)
    expect(await whoIs({ token: first.access_token })).toBeNull()
    const renewed = await refresh(first.refresh_token)
    expect(renewed.status, renewed.text).toBe(200)
    time.advance(29 * DAY_MS)
    // The renewed pair is 29 days old: still good once more.
    const again = await refresh(renewed.body.refresh_token)
    expect(again.status, again.text).toBe(200)
    time.advance(31 * DAY_MS)
    const late = await refresh(again.body.refresh_token)
    expect(late.status).toBe(400)
    expect(late.body).toEqual({ error: 'invalid_grant' })
    // Expired rows go when tokens are next issued; the new one stays.
    expect(tokenRows(ids.fred)).toBeGreaterThan(0)
    await passwordGrant('fred')
    expect(tokenRows(ids.fred)).toBe(1)
  })
})
