import { groundTruth } from '../helpers/truth'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, DEMO_PASSWORD, type TestServer, type Who, authHeader, request, startTestServer, user } from '../helpers/server'

let server: TestServer
let member: string
let outsider: string

beforeAll(async () => {
  server = await startTestServer({ resources: 250, flags: { 'log-requests': true } })
  member = server.seed!.fixtures.otherUser
  outsider = server.seed!.fixtures.plainUser
})
afterAll(() => server.close())

const { all, one, userId, visibleTo } = groundTruth(() => server)


interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** One request through node:http, which (unlike fetch) sends the Host header we choose. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.running.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
      }
    )
    req.on('error', reject)
    req.end(options.body)
  })
}


const pksOf = (items: any[]) => items.map((r) => Number(r.pk))

describe('Host header checks against DNS rebinding', () => {
  const port = () => server.running.port
  const otherPort = () => (port() === 65535 ? port() - 1 : port() + 1)
  const refusedHosts = () => [
    'evil.example',
    `evil.example:${port()}`,
    `127.0.0.1:${otherPort()}`,
    `localhost:${otherPort()}`,
    `127.0.0.1.evil.example:${port()}`,
    `localhost.evil.example:${port()}`
  ]

  function expectRefused(res: RawResponse, label: string) {
    expect(res.status, label).toBe(400)
    expect(String(res.headers['content-type']), label).toMatch(/^application\/json/)
    expect(Object.keys(JSON.parse(res.text)), label).toEqual(['detail'])
    for (const leak of ['"users"', '"resources"', 'access_token', 'sessionid', member, 'categories']) expect(res.text, label).not.toContain(leak)
  }

  it('serves the loopback names on the port the server listens on', async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `LOCALHOST:${port()}`]) {
      const res = await raw('/api/v2/users', { headers: { host } })
      expect(res.status, host).toBe(200)
    }
  })

  it('answers 400 JSON with no data to a foreign host or another port', async () => {
    for (const host of refusedHosts()) {
      for (const path of ['/api/v2/', '/api/v2/users', '/api/v2/resources', '/api/v2/schema/?format=json', '/nope']) {
        expectRefused(await raw(path, { headers: { host } }), `${host} ${path}`)
      }
      const asAdmin = await raw('/api/o/v4/userinfo', { headers: { host, ...authHeader('admin') } })
      expectRefused(asAdmin, `${host} userinfo`)
    }
  })

  it('issues no token and no session to a foreign host', async () => {
    const tokensBefore = one('SELECT count(*) AS n FROM access_tokens').n
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    for (const host of refusedHosts()) {
      const token = await raw('/o/token/', {
        method: 'POST',
        headers: { host, ...form },
        body: new URLSearchParams({ grant_type: 'password', username: member, password: DEMO_PASSWORD }).toString()
      })
      expectRefused(token, `${host} token`)
      const login = await raw('/account/login/', { method: 'POST', headers: { host, ...form }, body: new URLSearchParams({ username: member, password: DEMO_PASSWORD }).toString() })
      expectRefused(login, `${host} login`)
      expect(login.headers['set-cookie'], host).toBeUndefined()
    }
    expect(one('SELECT count(*) AS n FROM access_tokens').n).toBe(tokensBefore)
  })
})

describe('CORS', () => {
  it('never sends Access-Control-Allow-* headers, whatever the Origin', async () => {
    const calls: [string, string, Record<string, string>][] = [
      ['GET', '/api/v2/resources', {}],
      ['GET', '/api/v2/users', authHeader('admin')],
      ['GET', '/api/v2/users', authHeader({ username: 'admin', password: 'wrong' })],
      ['GET', '/api/v2/nope', {}],
      ['GET', '/api/v2/schema/', {}],
      ['OPTIONS', '/api/v2/resources', { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }],
      ['OPTIONS', '/o/token/', { 'access-control-request-method': 'POST' }],
      ['POST', '/o/token/', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['GET', '/api/o/v4/userinfo', authHeader(user(member))]
    ]
    for (const origin of ['http://evil.example', 'null', server.url]) {
      for (const [method, path, headers] of calls) {
        const res = await raw(path, { method, headers: { host: `127.0.0.1:${server.running.port}`, origin, ...headers } })
        const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))
        expect(cors, `${origin} ${method} ${path}`).toEqual([])
      }
    }
  })
})

describe('request logs', () => {
  it('never contain passwords, tokens, session ids or CSRF tokens', async () => {
    const secrets: string[] = [DEMO_PASSWORD, ADMIN_PASSWORD, 'Wrong-Secret-42', 'Json-Secret-9']
    secrets.push(authHeader('admin').authorization.split(' ')[1], authHeader(user(member)).authorization.split(' ')[1])
    await request(server, '/api/v2/users', { who: 'admin' })
    await request(server, '/api/v2/users', { who: { username: member, password: 'Wrong-Secret-42' } })
    const granted = await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username: member, password: DEMO_PASSWORD } })
    expect(granted.status).toBe(200)
    const { access_token, refresh_token } = granted.body
    secrets.push(access_token, refresh_token)
    await request(server, `/api/v2/resources?access_token=${access_token}`)
    await request(server, '/api/v2/groups', { who: { token: access_token } })
    const refreshed = await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'refresh_token', refresh_token } })
    secrets.push(refreshed.body.access_token, refreshed.body.refresh_token)
    await request(server, '/api/o/v4/tokeninfo', { method: 'POST', form: { token: access_token } })
    await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username: member, password: 'Wrong-Secret-42' } })
    const login = await fetch(`${server.url}/account/login/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: member, password: DEMO_PASSWORD }).toString()
    })
    const cookies = Object.fromEntries(login.headers.getSetCookie().map((c) => c.split(';')[0].split('=') as [string, string]))
    secrets.push(cookies.sessionid, cookies.csrftoken)
    const cookie = `sessionid=${cookies.sessionid}; csrftoken=${cookies.csrftoken}`
    const info = await request(server, '/api/o/v4/userinfo', { headers: { cookie } })
    secrets.push(info.body.access_token)
    await request(server, '/api/v2/owners', { method: 'POST', headers: { cookie, 'x-csrftoken': cookies.csrftoken }, body: {} })
    await request(server, '/account/login/', { method: 'POST', body: '{"username":"x","password":"Json-Secret-9"', headers: { 'content-type': 'application/json' } })
    expect(secrets.every((s) => typeof s === 'string' && s.length >= 8)).toBe(true)
    expect(server.logs.some((line) => line.includes('/o/token'))).toBe(true)
    expect(server.logs.some((line) => line.includes('/account/login'))).toBe(true)
    for (const secret of secrets) expect(server.logs.filter((line) => line.includes(secret)), secret).toEqual([])
  })
})

describe('hidden resources never leak', () => {
  it('through users/{id}/resources', async () => {
    const privateLayer = server.seed!.fixtures.privateLayerId
    expect(visibleTo(null).has(privateLayer)).toBe(false)
    for (const [who, username] of [['anonymous', null], [user(outsider), outsider]] as [Who, string | null][]) {
      const sees = visibleTo(username)
      for (const { id } of all('SELECT DISTINCT owner_id AS id FROM resources')) {
        const res = await request(server, `/api/v2/users/${id}/resources`, { who })
        expect(res.status).toBe(200)
        expect(pksOf(res.body).filter((pk) => !sees.has(pk)), `${username} on user ${id}`).toEqual([])
      }
    }
    const asAdmin = await request(server, `/api/v2/users/${userId(member)}/resources`, { who: 'admin' })
    expect(pksOf(asAdmin.body)).toContain(privateLayer)
  })

  it('through groups/{id}/resources', async () => {
    const anonymousSees = visibleTo(null)
    const groups = all(`SELECT id, group_id FROM group_profiles WHERE access <> 'private'`)
    const hidden = all(`SELECT r.id, gp.id AS profile FROM resources r JOIN group_profiles gp ON gp.group_id = r.group_id WHERE gp.access <> 'private'`).filter(
      (r) => !anonymousSees.has(r.id)
    )
    expect(hidden.length).toBeGreaterThan(0)
    for (const group of groups) {
      const res = await request(server, `/api/v2/groups/${group.id}/resources`)
      expect(res.status).toBe(200)
      expect(pksOf(res.body).filter((pk) => !anonymousSees.has(pk)), `group ${group.id}`).toEqual([])
    }
    const asAdmin = await request(server, `/api/v2/groups/${hidden[0].profile}/resources`, { who: 'admin' })
    expect(pksOf(asAdmin.body)).toContain(hidden[0].id)
  })

  it('through owners counts', async () => {
    const owned = all('SELECT owner_id AS owner, id FROM resources')
    for (const [who, username] of [['anonymous', null], [user(outsider), outsider]] as [Who, string | null][]) {
      const sees = visibleTo(username)
      const res = await request(server, '/api/v2/owners?page_size=1000', { who })
      const counts = new Map(res.body.owners.map((o: any) => [o.pk, o.count]))
      const expected = new Map<number, number>()
      for (const r of owned) if (sees.has(r.id) && r.owner !== -1) expected.set(r.owner, (expected.get(r.owner) ?? 0) + 1)
      expect(counts).toEqual(expected)
    }
    const memberOwns = owned.filter((r) => r.owner === userId(member)).length
    const anonymous = await request(server, '/api/v2/owners?page_size=1000')
    expect(anonymous.body.owners.find((o: any) => o.username === member).count).toBeLessThan(memberOwns)
  })

  it('through keywords counts', async () => {
    const usage = all('SELECT keyword_id AS keyword, resource_id AS id FROM resource_keywords')
    const sees = visibleTo(null)
    const visible = new Map<number, number>()
    const total = new Map<number, number>()
    for (const u of usage) {
      total.set(u.keyword, (total.get(u.keyword) ?? 0) + 1)
      if (sees.has(u.id)) visible.set(u.keyword, (visible.get(u.keyword) ?? 0) + 1)
    }
    expect([...total].some(([k, n]) => (visible.get(k) ?? 0) < n)).toBe(true)
    const res = await request(server, '/api/v2/keywords?page_size=1000')
    expect(new Map(res.body.keywords.map((k: any) => [k.id, k.count]))).toEqual(visible)
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
