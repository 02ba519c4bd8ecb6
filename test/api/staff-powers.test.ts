import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer } from '../helpers/server'

// Issue 19, finding 5: a staff user could make themself superuser, reset a superuser's password
// and download a full backup. As on GeoNode/Django, only a superuser grants superuser status or
// changes a superuser; staff administer every other account; backups are for superusers.

const PASSWORD = 'a-password-of-theirs'
const GRANT_REFUSED = { detail: 'Only a superuser can grant superuser status.' }
const SUPERUSER_REFUSED = { detail: 'Only a superuser can change a superuser.' }

let server: TestServer
const ids: Record<string, number> = {}
const as = (username: string, password = PASSWORD): Who => ({ username, password })
const row = (id: number) => server.running.database.sqlite.prepare('SELECT username, first_name, is_superuser, is_staff, is_active FROM users WHERE id = ?').get(id)

async function newUser(body: Record<string, unknown>, who: Who = 'admin') {
  return request(server, '/api/v2/users', { method: 'POST', who, body: { password: PASSWORD, ...body } })
}

beforeAll(async () => {
  server = await startTestServer()
  for (const [username, flags] of [
    ['staffer', { is_staff: true }],
    ['root_two', { is_superuser: true, is_staff: true }],
    ['plain', {}]
  ] as const) {
    const res = await newUser({ username, ...flags })
    expect(res.status, res.text).toBe(201)
    ids[username] = res.body.user.pk
  }
})
afterAll(() => server.close())

const staff = () => as('staffer')
const patch = (id: number, body: unknown, who: Who = staff()) => request(server, `/api/v2/users/${id}`, { method: 'PATCH', who, body })

describe('what staff may do to accounts', () => {
  it('a staff user cannot make anyone a superuser, themself included', async () => {
    for (const res of [
      await patch(ids.staffer, { is_superuser: true }),
      await request(server, `/api/v2/users/${ids.staffer}`, { method: 'PUT', who: staff(), body: { username: 'staffer', is_superuser: true } }),
      await patch(ids.plain, { is_superuser: true }),
      await newUser({ username: 'made_root', is_superuser: true }, staff())
    ]) {
      expect(res.status, res.text).toBe(403)
      expect(res.body).toEqual(GRANT_REFUSED)
    }
    expect(row(ids.staffer)).toMatchObject({ is_superuser: 0, is_staff: 1 })
    expect(row(ids.plain)).toMatchObject({ is_superuser: 0 })
    expect((await request(server, '/api/v2/users?filter{username}=made_root', { who: 'admin' })).body.total).toBe(0)
  })

  it('a staff user cannot change or delete a superuser: password, flags, profile', async () => {
    const before = row(ids.root_two)
    for (const body of [{ password: 'taken-over-now' }, { first_name: 'Mallory' }, { is_superuser: false }, { is_staff: false }, { is_active: false }]) {
      const res = await patch(ids.root_two, body)
      expect(res.status, JSON.stringify(body)).toBe(403)
      expect(res.body).toEqual(SUPERUSER_REFUSED)
    }
    const put = await request(server, `/api/v2/users/${ids.root_two}`, { method: 'PUT', who: staff(), body: { username: 'root_two', password: 'taken-over-now' } })
    expect(put.status).toBe(403)
    const removal = await request(server, `/api/v2/users/${ids.root_two}`, { method: 'DELETE', who: staff() })
    expect(removal.status).toBe(403)
    expect(removal.body).toEqual(SUPERUSER_REFUSED)
    expect(row(ids.root_two)).toEqual(before)
    expect((await request(server, '/api/v2/resources', { who: as('root_two') })).status).toBe(200)
    expect((await request(server, '/api/v2/resources', { who: as('root_two', 'taken-over-now') })).status).toBe(403)
  })

  it('a staff user administers every other account: profile, password, staff status, activity, deletion', async () => {
    const res = await patch(ids.plain, { first_name: 'Plain', password: 'a-new-password', is_staff: true, is_superuser: false })
    expect(res.status, res.text).toBe(200)
    expect(res.body.user).toMatchObject({ first_name: 'Plain', is_staff: true, is_superuser: false })
    expect((await request(server, '/api/v2/resources', { who: as('plain', 'a-new-password') })).status).toBe(200)
    expect((await patch(ids.plain, { is_staff: false, is_active: false })).status).toBe(200)
    const made = await newUser({ username: 'made_by_staff', is_staff: true }, staff())
    expect(made.status, made.text).toBe(201)
    expect((await request(server, `/api/v2/users/${made.body.user.pk}`, { method: 'DELETE', who: staff() })).status).toBe(204)
  })

  it('a superuser grants superuser status and changes superusers', async () => {
    const res = await patch(ids.root_two, { first_name: 'Root', is_superuser: true }, 'admin')
    expect(res.status, res.text).toBe(200)
    const promoted = await newUser({ username: 'root_three', is_superuser: true })
    expect(promoted.status).toBe(201)
    expect(promoted.body.user.is_superuser).toBe(true)
  })
})

describe('backups', () => {
  it('are for superusers only: staff can neither download nor restore one', async () => {
    const download = await request(server, '/api/v2/mapshelf/backup', { who: staff() })
    expect(download.status).toBe(403)
    expect(download.body).toEqual({ detail: 'Only superusers back up and restore the catalogue.' })
    const restore = await request(server, '/api/v2/mapshelf/restore', { method: 'POST', who: staff(), body: {} })
    expect(restore.status).toBe(403)
    expect(restore.body).toEqual({ detail: 'Only superusers back up and restore the catalogue.' })
    const own = await fetch(`${server.url}/api/v2/mapshelf/backup`, { headers: { authorization: `Basic ${Buffer.from(`root_two:${PASSWORD}`).toString('base64')}` } })
    expect(own.status).toBe(200)
    await own.arrayBuffer()
  })
})
