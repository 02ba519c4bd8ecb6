import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, request, startTestServer } from '../helpers/server'

// Issue 19, finding 10: ten bad posts to /o/token/ (even a cross-site form) locked any account
// for everyone. Failures now count per account and party: a lock-out made by a web page or a
// script does not stop the owner signing in from the desktop app, and each party is still slowed.

const PASSWORD = 'owner-password-1'
const EVIL = 'https://evil.example'

let server: TestServer
let desktopToken: string

beforeAll(async () => {
  server = await startTestServer()
  desktopToken = await server.running.desktopToken()
})
afterAll(() => server.close())

async function newUser(username: string): Promise<void> {
  const res = await request(server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username, password: PASSWORD } })
  expect(res.status, res.text).toBe(201)
}

/** A password grant, sent with the headers a party's requests carry. */
function grant(username: string, password: string, headers: Record<string, string> = {}) {
  return request(server, '/o/token/', { method: 'POST', headers, form: { grant_type: 'password', username, password } })
}

const basic = (username: string, password: string) => request(server, '/api/v2/resources', { who: { username, password } })
const login = (username: string, password: string, headers: Record<string, string>) =>
  request(server, '/account/login/', { method: 'POST', headers, form: { username, password } })

const fromEvil = { origin: EVIL }
const fromDesktop = () => ({ origin: server.url, authorization: `Bearer ${desktopToken}` })

describe('sign-in throttling per account and party', () => {
  it('a cross-site form that locks an account does not stop the owner signing in from the desktop app', async () => {
    await newUser('owner_a')
    for (let i = 0; i < 10; i++) expect((await grant('owner_a', `wrong-${i}`, fromEvil)).status).toBe(400)
    const evil = await grant('owner_a', PASSWORD, fromEvil)
    expect(evil.status).toBe(429)
    expect(evil.body.detail).toMatch(/^Too many failed sign-ins for this account; try again in \d+ seconds\.$/)
    // The desktop app signs in holding the shell's token.
    const app = await grant('owner_a', PASSWORD, fromDesktop())
    expect(app.status, app.text).toBe(200)
    expect(app.body.access_token).toEqual(expect.any(String))
    // The GUI in a browser, and local clients, are not locked out either.
    expect((await grant('owner_a', PASSWORD, { origin: server.url })).status).toBe(200)
    expect((await basic('owner_a', PASSWORD)).status).toBe(200)
    // A page's request that says it is cross-site without an Origin counts with the cross-site form.
    expect((await grant('owner_a', PASSWORD, { 'sec-fetch-site': 'cross-site' })).status).toBe(429)
  })

  it('a script that locks an account does not stop the desktop app, and guessing stays slow for every party', async () => {
    await newUser('owner_b')
    for (let i = 0; i < 10; i++) expect((await basic('owner_b', `wrong-${i}`)).status).toBe(403)
    expect((await basic('owner_b', PASSWORD)).status).toBe(429)
    expect((await grant('owner_b', PASSWORD)).status).toBe(429)
    expect((await grant('owner_b', PASSWORD, fromDesktop())).status).toBe(200)
    // The desktop party is slowed too: ten failures lock it, for it.
    for (let i = 0; i < 10; i++) expect((await grant('owner_b', `wrong-${i}`, fromDesktop())).status).toBe(400)
    expect((await grant('owner_b', PASSWORD, fromDesktop())).status).toBe(429)
    // Session sign-in from a cross-site form is refused before any password is checked (login CSRF),
    // so it counts for nobody; this server's own page signs in.
    for (let i = 0; i < 12; i++) expect((await login('owner_b', `wrong-${i}`, fromEvil)).status).toBe(403)
    expect((await login('owner_b', PASSWORD, fromEvil)).status).toBe(403)
    expect((await login('owner_b', PASSWORD, { origin: server.url })).status).toBe(200)
  })

  it('does not count failures for names no account has', async () => {
    for (let i = 0; i < 15; i++) expect((await basic('nobody_here', `wrong-${i}`)).status).toBe(403)
    for (let i = 0; i < 15; i++) expect((await grant('nobody_here', `wrong-${i}`, fromEvil)).status).toBe(400)
  })
})
