import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, type TestServer, request, startTestServer } from '../helpers/server'

// Remembered GET bodies must never outlive a write (docs/decisions.md, "HTTP").

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ resources: 60 })
})
afterAll(() => server.close())

describe('the response cache', () => {
  it('shows a write in the very next read', async () => {
    const before = await request(server, '/api/v2/upload-size-limits')
    const again = await request(server, '/api/v2/upload-size-limits')
    expect(again.body).toEqual(before.body)
    const created = await request(server, '/api/v2/upload-size-limits', {
      method: 'POST',
      who: 'admin',
      body: { slug: 'field-laptop-limit', description: 'Field laptops', max_size: 5242880 }
    })
    expect(created.status).toBe(201)
    const after = await request(server, '/api/v2/upload-size-limits')
    expect(after.body.total).toBe(before.body.total + 1)
    expect(after.body['upload-size-limits'].map((l: { slug: string }) => l.slug)).toContain('field-laptop-limit')
  })

  it('keeps callers apart: a body remembered for one caller is not served to another', async () => {
    const asAdmin = await request(server, '/api/v2/resources?page_size=100', { who: 'admin' })
    const asAnonymous = await request(server, '/api/v2/resources?page_size=100')
    const hidden = server.running.database.sqlite.prepare('SELECT count(*) AS n FROM resources WHERE audience <> 2').get() as { n: number }
    expect(hidden.n).toBeGreaterThan(0)
    expect(asAdmin.body.total - asAnonymous.body.total).toBe(hidden.n)
    expect(asAnonymous.body.resources.every((r: { perms: string[] }) => !r.perms.includes('change_resourcebase'))).toBe(true)
  })

  it('keeps hosts apart: links follow the Host each request used', async () => {
    const port = new URL(server.url).port
    const viaLocalhost = (await fetch(`http://localhost:${port}/api/v2/resources?page_size=1`).then((r) => r.json())) as { links: { next: string } }
    const viaLoopback = await request(server, '/api/v2/resources?page_size=1')
    expect(viaLocalhost.links.next).toMatch(/^http:\/\/localhost:/)
    expect(viaLoopback.body.links.next).toMatch(/^http:\/\/127\.0\.0\.1:/)
  })
})

describe('remembered bearer tokens', () => {
  it('stop working as soon as they are refreshed away', async () => {
    const grant = await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD } })
    const old = grant.body.access_token as string
    expect((await request(server, '/api/o/v4/userinfo', { who: { token: old } })).status).toBe(200)
    expect((await request(server, '/api/o/v4/userinfo', { who: { token: old } })).status).toBe(200)
    const refreshed = await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'refresh_token', refresh_token: grant.body.refresh_token } })
    expect(refreshed.status).toBe(200)
    expect((await request(server, '/api/o/v4/userinfo', { who: { token: old } })).status).toBe(403)
    expect((await request(server, '/api/o/v4/userinfo', { who: { token: refreshed.body.access_token } })).status).toBe(200)
  })
})
