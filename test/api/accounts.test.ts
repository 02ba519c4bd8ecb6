import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Users and groups administration (spec 2.3, 2.4; spec 7 items 24-30).

const t = useSeededServer({ resources: 60 })

const { one, userId } = groundTruth(() => t.server)
const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number
const groupId = (slug: string): number => one('SELECT id FROM group_profiles WHERE slug = ?', slug).id

describe('users', () => {
  it('lets the admin create a user, who can add resources and sign in with the password given', async () => {
    const res = await request(t.server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username: 'new_user', first_name: 'New', email: 'new@example.org', password: 'field-season-2026' } })
    expect(res.status, res.text).toBe(201)
    expect(Object.keys(res.body)).toEqual(['user'])
    expect(res.body.user).toMatchObject({ username: 'new_user', first_name: 'New', perms: ['add_resource'], is_superuser: false })
    const row = one('SELECT password_hash FROM users WHERE username = ?', 'new_user')
    expect(row.password_hash).toMatch(/^scrypt\$/)
    expect(row.password_hash).not.toContain('field-season-2026')
    expect((await request(t.server, '/api/o/v4/userinfo', { who: { username: 'new_user', password: 'field-season-2026' } })).status).toBe(200)
  })

  it('refuses anonymous callers, plain users and bad bodies, writing nothing', async () => {
    const before = changeCount()
    const anonymous = await request(t.server, '/api/v2/users', { method: 'POST', body: { username: 'x1' } })
    expect(anonymous.status).toBe(403)
    expect(anonymous.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect((await request(t.server, '/api/v2/users', { method: 'POST', who: user(t.fx.plainUser), body: { username: 'x2' } })).status).toBe(403)
    for (const [body, field] of [[{}, 'username'], [{ username: 'has space' }, 'username'], [{ username: t.fx.plainUser }, 'username'], [{ username: 'ok_name', email: 'not-an-email' }, 'email'], [{ username: 'ok_name', password: 'short' }, 'password']] as const) {
      const res = await request(t.server, '/api/v2/users', { method: 'POST', who: 'admin', body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(Object.keys(res.body)).toContain(field)
    }
    expect(changeCount()).toBe(before)
  })

  it('only superusers and staff edit users: not even the user themself (spec 7 item 25)', async () => {
    const id = userId(t.fx.otherUser)
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'PATCH', body: { first_name: 'A' } })).status).toBe(403)
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'PATCH', who: user(t.fx.otherUser), body: { first_name: 'Me' } })).status).toBe(403)
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'PATCH', who: user(t.fx.plainUser), body: { first_name: 'B' } })).status).toBe(403)
    const res = await request(t.server, `/api/v2/users/${id}`, { method: 'PATCH', who: 'admin', body: { first_name: 'Renamed', is_staff: true } })
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ first_name: 'Renamed', is_staff: true })
    expect(one('SELECT first_name, is_staff FROM users WHERE id = ?', id)).toEqual({ first_name: 'Renamed', is_staff: 1 })
  })

  it('deactivates a user, whose password and tokens stop working at once, even after catalogue writes', async () => {
    await request(t.server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username: 'leaver', password: 'leaving-soon-1' } })
    const id = userId('leaver')
    const basic = { username: 'leaver', password: 'leaving-soon-1' }
    const grant = await fetch(`${t.server.url}/o/token/`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', ...basic }) })
    const token = ((await grant.json()) as { access_token: string }).access_token
    // Both credentials are resolved (and remembered) before a catalogue write moves the change log on.
    expect((await request(t.server, '/api/v2/resources', { who: basic })).status).toBe(200)
    expect((await request(t.server, '/api/v2/resources', { who: { token } })).status).toBe(200)
    const created = await request(t.server, '/api/v2/resources', { method: 'POST', who: { token }, body: { resource_type: 'map', title: 'Written before leaving' } })
    expect(created.status, created.text).toBe(201)
    expect((await request(t.server, '/api/v2/resources', { who: { token } })).status).toBe(200)
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'PATCH', who: 'admin', body: { is_active: false } })).status).toBe(200)
    const res = await request(t.server, '/api/v2/resources', { who: basic })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'User inactive or deleted.' })
    const withToken = await request(t.server, `/api/v2/resources/${created.body.resource.pk}`, { method: 'PATCH', who: { token }, body: { title: 'After leaving' } })
    expect(withToken.status).toBe(403)
    expect(one('SELECT title FROM resources WHERE id = ?', created.body.resource.pk).title).toBe('Written before leaving')
  })

  it('keeps at least one active superuser', async () => {
    const res = await request(t.server, `/api/v2/users/${userId('admin')}`, { method: 'PATCH', who: 'admin', body: { is_superuser: false } })
    expect(res.status).toBe(400)
    expect(one("SELECT is_superuser FROM users WHERE username = 'admin'").is_superuser).toBe(1)
  })

  it('deletes a user (admin only), refusing one who still owns resources', async () => {
    await request(t.server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username: 'temporary' } })
    const id = userId('temporary')
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'DELETE' })).status).toBe(403)
    expect((await request(t.server, `/api/v2/users/${id}`, { method: 'DELETE', who: user(t.fx.plainUser) })).status).toBe(403)
    const deleted = await request(t.server, `/api/v2/users/${id}`, { method: 'DELETE', who: 'admin' })
    expect(deleted.status).toBe(204)
    expect((await request(t.server, `/api/v2/users/${id}`)).status).toBe(404)
    const owner = await request(t.server, `/api/v2/users/${userId(t.fx.plainUser)}`, { method: 'DELETE', who: 'admin' })
    expect(owner.status).toBe(409)
    expect(owner.body.detail).toMatch(/owns \d+ resources/)
  })
})

describe('groups', () => {
  it('lets only the admin create a group (spec 7 item 28)', async () => {
    const body = { title: 'Survey Team North', description: 'Field survey', access: 'private', categories: [] }
    expect((await request(t.server, '/api/v2/groups', { method: 'POST', body })).status).toBe(403)
    expect((await request(t.server, '/api/v2/groups', { method: 'POST', who: user(t.fx.plainUser), body })).status).toBe(403)
    const res = await request(t.server, '/api/v2/groups', { method: 'POST', who: 'admin', body })
    expect(res.status, res.text).toBe(201)
    expect(res.body.group_profile).toMatchObject({ title: 'Survey Team North', slug: 'survey-team-north', access: 'private', group: { name: 'survey-team-north' } })
    const again = await request(t.server, '/api/v2/groups', { method: 'POST', who: 'admin', body })
    expect(again.status).toBe(400)
    expect(Object.keys(again.body)).toEqual(['slug'])
  })

  it('lets a manager PATCH their group but not PUT or DELETE it; members may do neither (spec 7 items 29-30)', async () => {
    const id = groupId(t.fx.publicGroup)
    const member = one("SELECT u.username FROM group_members m JOIN users u ON u.id = m.user_id JOIN group_profiles p ON p.group_id = m.group_id WHERE p.id = ? AND m.role = 'member' AND u.is_staff = 0 AND u.is_superuser = 0 LIMIT 1", id).username
    expect((await request(t.server, `/api/v2/groups/${id}`, { method: 'PATCH', who: user(member), body: { description: 'member edit' } })).status).toBe(403)
    const managed = await request(t.server, `/api/v2/groups/${id}`, { method: 'PATCH', who: user(t.fx.plainUser), body: { description: 'Edited by its manager' } })
    expect(managed.status, managed.text).toBe(200)
    expect(managed.body.group_profile.description).toBe('Edited by its manager')
    expect((await request(t.server, `/api/v2/groups/${id}`, { method: 'PUT', who: user(t.fx.plainUser), body: { title: 'x' } })).status).toBe(403)
    expect((await request(t.server, `/api/v2/groups/${id}`, { method: 'DELETE', who: user(t.fx.plainUser) })).status).toBe(403)
    expect((await request(t.server, `/api/v2/groups/${id}`, { method: 'PATCH', body: { title: 'anon' } })).status).toBe(403)
  })

  it('adds and removes members and managers (admin or the group manager), and visibility follows', async () => {
    const id = groupId(t.fx.privateGroup)
    const authGroup = one('SELECT group_id FROM group_profiles WHERE id = ?', id).group_id
    const outsider = 'outsider'
    const asOutsider = { username: outsider, password: 'outsider-pass-1' }
    expect((await request(t.server, '/api/v2/users', { method: 'POST', who: 'admin', body: { username: outsider, password: asOutsider.password } })).status).toBe(201)
    expect((await request(t.server, `/api/v2/groups/${id}`, { who: asOutsider })).status).toBe(404)
    expect((await request(t.server, `/api/v2/groups/${id}/members`, { method: 'POST', who: asOutsider, body: { users: [outsider] } })).status).toBe(403)
    const added = await request(t.server, `/api/v2/groups/${id}/members`, { method: 'POST', who: 'admin', body: { users: [outsider] } })
    expect(added.status, added.text).toBe(200)
    expect(added.body.map((u: { username: string }) => u.username)).toContain(outsider)
    expect((await request(t.server, `/api/v2/groups/${id}`, { who: asOutsider })).status).toBe(200)
    const promoted = await request(t.server, `/api/v2/groups/${id}/managers`, { method: 'POST', who: 'admin', body: { users: [outsider] } })
    expect(promoted.body.map((u: { username: string }) => u.username)).toContain(outsider)
    expect(one('SELECT role FROM group_members WHERE group_id = ? AND user_id = ?', authGroup, userId(outsider)).role).toBe('manager')
    const unknown = await request(t.server, `/api/v2/groups/${id}/members`, { method: 'POST', who: 'admin', body: { users: ['nobody-at-all'] } })
    expect(unknown.status).toBe(400)
    expect(Object.keys(unknown.body)).toEqual(['users'])
    const removed = await request(t.server, `/api/v2/groups/${id}/members`, { method: 'DELETE', who: 'admin', body: { users: [outsider] } })
    expect(removed.status).toBe(200)
    expect(removed.body.map((u: { username: string }) => u.username)).not.toContain(outsider)
    expect((await request(t.server, `/api/v2/groups/${id}`, { who: asOutsider })).status).toBe(404)
  })

  it('deletes a group with its memberships and grants (admin)', async () => {
    const id = groupId(t.fx.publicInviteGroup)
    const authGroup = one('SELECT group_id FROM group_profiles WHERE id = ?', id).group_id
    const res = await request(t.server, `/api/v2/groups/${id}`, { method: 'DELETE', who: 'admin' })
    expect(res.status).toBe(204)
    expect((await request(t.server, `/api/v2/groups/${id}`, { who: 'admin' })).status).toBe(404)
    for (const table of ['group_members', 'resource_group_perms']) expect(one(`SELECT count(*) AS n FROM ${table} WHERE group_id = ?`, authGroup).n).toBe(0)
    expect(one('SELECT count(*) AS n FROM resources WHERE group_id = ?', authGroup).n).toBe(0)
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
