import { sample } from '../helpers/samples'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, DEMO_PASSWORD, type TestServer, type Who, request, startTestServer, user } from '../helpers/server'

const USERINFO_KEYS = Object.keys(sample('api_o_v4_userinfo.json')).sort()
const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' }
const CSRF_FAILED = { detail: 'CSRF Failed: CSRF token missing or incorrect.' }
const TOKEN_KEYS = ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']

let server: TestServer
let member: string
let privateSlug: string

beforeAll(async () => {
  server = await startTestServer({ resources: 150 })
  member = server.seed!.fixtures.otherUser
  privateSlug = server.seed!.fixtures.privateGroup
})
afterAll(() => server.close())

const one = <T = any>(query: string, ...params: unknown[]) => server.running.database.sqlite.prepare(query).get(...params) as T
const userRow = (username: string) => one('SELECT id, username, first_name, last_name, email FROM users WHERE username = ?', username)

async function grant(form: Record<string, string>) {
  return request(server, '/o/token/', { method: 'POST', form })
}

async function tokenFor(username: string, password = DEMO_PASSWORD, scope?: string): Promise<any> {
  const res = await grant({ grant_type: 'password', username, password, ...(scope ? { scope } : {}) })
  expect(res.status).toBe(200)
  return res.body
}

/** Signs in like a browser; returns the Cookie header to send back and the CSRF token. */
async function login(username: string, password: string) {
  const res = await fetch(`${server.url}/account/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString()
  })
  const cookies = Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(';')[0].split('=') as [string, string]))
  return { status: res.status, setCookie: res.headers.getSetCookie(), cookies, cookie: `sessionid=${cookies.sessionid}; csrftoken=${cookies.csrftoken}` }
}

/** True when the request was authenticated as `member`: only members see the private group. */
async function actsAsMember(path: string, options: { who?: Who; headers?: Record<string, string> } = {}) {
  const res = await request(server, path, options)
  expect(res.status, path).toBe(200)
  return res.body.group_profiles.some((g: any) => g.slug === privateSlug)
}

describe('HTTP Basic', () => {
  it('authenticates a seeded user and admin', async () => {
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: user(member) })).toBe(true)
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: 'admin' })).toBe(true)
    expect(await actsAsMember('/api/v2/groups?page_size=100')).toBe(false)
  })

  it('answers a wrong password or unknown user with 403 Invalid username/password., even on public reads', async () => {
    for (const who of [{ username: member, password: 'wrong' }, { username: 'admin', password: DEMO_PASSWORD }, { username: 'nobody-here', password: 'x' }]) {
      for (const path of ['/api/v2/users', '/api/v2/groups', '/api/v2/resources']) {
        const res = await request(server, path, { who })
        expect(res.status, `${who.username} ${path}`).toBe(403)
        expect(res.body).toEqual({ detail: 'Invalid username/password.' })
      }
    }
  })

})

describe('CSRF scope', () => {
  it('does not apply to Basic or Bearer writes', async () => {
    const { access_token } = await tokenFor(member)
    for (const who of [user(member), { token: access_token }] as Who[]) {
      const res = await request(server, '/api/v2/owners', { method: 'POST', who, body: {} })
      expect(res.status).toBe(405)
      expect(res.body).toEqual({ detail: 'Method "POST" not allowed.' })
    }
  })
})

describe('POST /o/token/', () => {
  it('issues a Bearer token for the password grant with exactly the OAuth2 keys', async () => {
    const res = await grant({ grant_type: 'password', username: member, password: DEMO_PASSWORD, scope: 'read write' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(TOKEN_KEYS)
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'read write' })
    expect(typeof res.body.access_token).toBe('string')
    expect(typeof res.body.refresh_token).toBe('string')
    expect(res.body.access_token).not.toBe(res.body.refresh_token)
    expect(Number.isInteger(res.body.expires_in) && res.body.expires_in > 0).toBe(true)
    expect(res.headers.get('cache-control')).toContain('no-store')
  })

  it('adds an id_token when the scope includes openid', async () => {
    const body = await tokenFor(member, DEMO_PASSWORD, 'openid')
    expect(body.scope.split(' ')).toContain('openid')
    expect(body.id_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]*$/)
  })

  it('answers a wrong password or unknown user with 400 invalid_grant', async () => {
    for (const [username, password] of [[member, 'wrong'], ['nobody-here', DEMO_PASSWORD], ['admin', DEMO_PASSWORD]]) {
      const res = await grant({ grant_type: 'password', username, password })
      expect(res.status, username).toBe(400)
      expect(res.body.error, username).toBe('invalid_grant')
      expect(res.body).not.toHaveProperty('access_token')
    }
  })

  it('answers an unknown grant type with 400 unsupported_grant_type', async () => {
    const res = await grant({ grant_type: 'magic_beans', username: member, password: DEMO_PASSWORD })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'unsupported_grant_type' })
  })

  it('exchanges a refresh token for a new working access token', async () => {
    const first = await tokenFor(member)
    const res = await grant({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(TOKEN_KEYS)
    expect(res.body.access_token).not.toBe(first.access_token)
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: { token: res.body.access_token } })).toBe(true)
  })
})

describe('Bearer tokens', () => {
  it('authenticate through the Authorization header', async () => {
    const { access_token } = await tokenFor(member)
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: { token: access_token } })).toBe(true)
  })

  it('authenticate through the access_token query parameter', async () => {
    const { access_token } = await tokenFor(member)
    expect(await actsAsMember(`/api/v2/groups?page_size=100&access_token=${encodeURIComponent(access_token)}`)).toBe(true)
  })

  it('authenticate through access_token in a form body', async () => {
    const { access_token } = await tokenFor(member, DEMO_PASSWORD, 'openid')
    const res = await request(server, '/o/userinfo/', { method: 'POST', form: { access_token } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ sub: String(userRow(member).id) })
  })

  it('are ignored when unknown: the caller is anonymous', async () => {
    const who = { token: 'not-a-real-token' }
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who })).toBe(false)
    expect((await request(server, '/api/v2/users', { who })).status).toBe(200)
    expect(await actsAsMember('/api/v2/groups?page_size=100&access_token=not-a-real-token')).toBe(false)
    const write = await request(server, '/api/v2/users', { method: 'POST', who, body: { username: 'intruder' } })
    expect(write.status).toBe(403)
    expect(write.body).toEqual(NOT_AUTHENTICATED)
  })

  it('are not accepted as a refresh token, nor a refresh token as a bearer', async () => {
    const { access_token, refresh_token } = await tokenFor(member)
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: { token: refresh_token } })).toBe(false)
    const res = await grant({ grant_type: 'refresh_token', refresh_token: access_token })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_grant')
  })
})

describe('/o/userinfo/ (OIDC)', () => {
  it('answers 401 with a WWW-Authenticate header without a valid token', async () => {
    for (const who of ['anonymous', { token: 'not-a-real-token' }, user(member)] as Who[]) {
      const res = await request(server, '/o/userinfo/', { who })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/i)
    }
  })

  it('answers 403 to a token without the openid scope', async () => {
    const { access_token } = await tokenFor(member, DEMO_PASSWORD, 'read write')
    const res = await request(server, '/o/userinfo/', { who: { token: access_token } })
    expect(res.status).toBe(403)
  })

  it('answers exactly {"sub": "<user id>"} to a token with scope openid, on GET and POST', async () => {
    const { access_token } = await tokenFor(member, DEMO_PASSWORD, 'openid read')
    for (const method of ['GET', 'POST']) {
      const res = await request(server, '/o/userinfo/', { method, who: { token: access_token } })
      expect(res.status, method).toBe(200)
      expect(res.body, method).toEqual({ sub: String(userRow(member).id) })
    }
  })
})

describe('session login at POST /account/login/', () => {
  it('sets an HttpOnly sessionid cookie and a csrftoken cookie', async () => {
    const session = await login(member, DEMO_PASSWORD)
    expect(session.status).toBe(200)
    expect(session.setCookie.find((c) => c.startsWith('sessionid='))).toMatch(/HttpOnly/i)
    expect(session.cookies.csrftoken).toBeTruthy()
    expect(await actsAsMember('/api/v2/groups?page_size=100', { headers: { cookie: session.cookie } })).toBe(true)
  })

  it('refuses a wrong password without setting a session cookie', async () => {
    const session = await login(member, 'wrong')
    expect(session.status).toBeGreaterThanOrEqual(400)
    expect(session.status).toBeLessThan(500)
    expect(session.cookies.sessionid ?? '').toBe('')
  })

  it('refuses a sign-in posted by a page of another origin (login CSRF), with no session set', async () => {
    for (const headers of [{ origin: 'https://attacker.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/account/login/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ username: member, password: DEMO_PASSWORD }) })
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(await res.json()).toEqual({ detail: 'CSRF Failed: Origin checking failed - the request comes from another site.' })
      expect(res.headers.getSetCookie().some((c) => c.startsWith('sessionid=') && !c.startsWith('sessionid=;'))).toBe(false)
    }
    const sameOrigin = await fetch(`${server.url}/account/login/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url }, body: new URLSearchParams({ username: member, password: DEMO_PASSWORD }) })
    expect(sameOrigin.status).toBe(200)
  })

  it('refuses session writes without X-CSRFToken, or with a wrong one', async () => {
    const session = await login(member, DEMO_PASSWORD)
    for (const headers of [{ cookie: session.cookie }, { cookie: session.cookie, 'x-csrftoken': 'wrong' }] as Record<string, string>[]) {
      for (const [method, path] of [['POST', '/api/v2/owners'], ['PATCH', `/api/v2/users/${userRow(member).id}`], ['DELETE', '/api/v2/groups/1']]) {
        const res = await request(server, path, { method, headers, body: method === 'DELETE' ? undefined : {} })
        expect(res.status, `${method} ${path}`).toBe(403)
        expect(res.body, `${method} ${path}`).toEqual(CSRF_FAILED)
      }
    }
  })

  it('passes the CSRF check when X-CSRFToken equals the csrftoken cookie', async () => {
    const session = await login(member, DEMO_PASSWORD)
    const res = await request(server, '/api/v2/owners', { method: 'POST', headers: { cookie: session.cookie, 'x-csrftoken': session.cookies.csrftoken }, body: {} })
    expect(res.status).toBe(405)
    expect(res.body).toEqual({ detail: 'Method "POST" not allowed.' })
  })

  it('ignores an unknown session cookie: the caller is anonymous', async () => {
    expect(await actsAsMember('/api/v2/groups?page_size=100', { headers: { cookie: 'sessionid=forged; csrftoken=x' } })).toBe(false)
  })

  it('stops authenticating after POST /account/logout/', async () => {
    const session = await login(member, DEMO_PASSWORD)
    const out = await request(server, '/account/logout/', { method: 'POST', headers: { cookie: session.cookie, 'x-csrftoken': session.cookies.csrftoken } })
    expect(out.status).toBeLessThan(400)
    expect(await actsAsMember('/api/v2/groups?page_size=100', { headers: { cookie: session.cookie } })).toBe(false)
  })
})

describe('GET /api/o/v4/userinfo (GeoNode user info)', () => {
  it("describes the session user with the sample's keys and the stored values", async () => {
    const session = await login(member, DEMO_PASSWORD)
    const res = await request(server, '/api/o/v4/userinfo', { headers: { cookie: session.cookie } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toContain('no-store')
    expect(Object.keys(res.body).sort()).toEqual(USERINFO_KEYS)
    const row = userRow(member)
    expect(res.body).toMatchObject({
      sub: String(row.id),
      name: `${row.first_name} ${row.last_name}`,
      given_name: row.first_name,
      family_name: row.last_name,
      email: row.email,
      preferred_username: member
    })
    const groups = server.running.database.sqlite
      .prepare('SELECT g.name FROM group_members m JOIN auth_groups g ON g.id = m.group_id WHERE m.user_id = ?')
      .all(row.id)
      .map((r: any) => r.name)
    expect([...res.body.groups].sort()).toEqual([...new Set(['anonymous', ...groups])].sort())
    expect(res.body.groups).toContain(privateSlug)
  })

  it('hands out an access_token that works as a bearer token', async () => {
    const session = await login(member, DEMO_PASSWORD)
    const res = await request(server, '/api/o/v4/userinfo', { headers: { cookie: session.cookie } })
    expect(typeof res.body.access_token).toBe('string')
    expect(await actsAsMember('/api/v2/groups?page_size=100', { who: { token: res.body.access_token } })).toBe(true)
  })

  it('adds the admin group name for a superuser', async () => {
    const session = await login('admin', ADMIN_PASSWORD)
    const res = await request(server, '/api/o/v4/userinfo', { headers: { cookie: session.cookie } })
    expect(res.status).toBe(200)
    expect(res.body.preferred_username).toBe('admin')
    expect(res.body.groups).toContain('admin')
  })

  it('answers anonymous callers 403 "No token provided."', async () => {
    const res = await request(server, '/api/o/v4/userinfo')
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ success: false, status: 'error', errors: { auth: ['No token provided.'] } })
  })
})

describe('POST /api/o/v4/tokeninfo', () => {
  it('describes a valid token', async () => {
    const { access_token, expires_in } = await tokenFor(member)
    const res = await request(server, '/api/o/v4/tokeninfo', { method: 'POST', form: { token: access_token } })
    expect(res.status).toBe(200)
    const row = userRow(member)
    expect(Object.keys(res.body).sort()).toEqual(
      ['access_token', 'access_type', 'client_id', 'email', 'expires_in', 'issued_to', 'user_id', 'username', 'verified_email'].sort()
    )
    expect(res.body).toMatchObject({ user_id: row.id, username: member, access_token, email: row.email, verified_email: 'true', access_type: 'online' })
    expect(typeof res.body.client_id).toBe('string')
    expect(res.body.expires_in).toBeGreaterThan((expires_in - 60) * 1000)
    expect(res.body.expires_in).toBeLessThanOrEqual(expires_in * 1000)
  })

  it('answers 403 with an error for an unknown or missing token', async () => {
    for (const form of [{ token: 'not-a-real-token' }, {} as Record<string, string>]) {
      const res = await request(server, '/api/o/v4/tokeninfo', { method: 'POST', form })
      expect(res.status).toBe(403)
      expect(typeof res.body.error).toBe('string')
    }
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})

describe('password guessing', () => {
  it('locks an account after ten failed sign-ins on any path, the right password included, and says for how long', async () => {
    const name = 'guess_target'
    expect((await request(server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username: name, password: DEMO_PASSWORD } })).status).toBe(201)
    const wrong = { username: name, password: 'not-the-password' }
    for (let i = 0; i < 4; i++) expect((await request(server, '/api/v2/resources', { who: wrong })).status).toBe(403)
    for (let i = 0; i < 3; i++) {
      const grant = await fetch(`${server.url}/o/token/`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: name, password: 'still-wrong' }) })
      expect(grant.status).not.toBe(200)
    }
    for (let i = 0; i < 3; i++) expect((await request(server, '/api/v2/resources', { who: wrong })).status).toBe(403)
    const locked = await request(server, '/api/v2/resources', { who: user(name) })
    expect(locked.status).toBe(429)
    expect(locked.body.detail).toMatch(/^Too many failed sign-ins for this account; try again in \d+ seconds\.$/)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    const grant = await fetch(`${server.url}/o/token/`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: name, password: DEMO_PASSWORD }) })
    expect(grant.status).toBe(429)
    // Other accounts are not affected.
    expect((await request(server, '/api/v2/resources', { who: user(server.seed!.fixtures.plainUser) })).status).toBe(200)
  })
})
