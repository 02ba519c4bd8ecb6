import { describe, expect, it } from 'vitest'
import { applicablePermissions } from '../../src-shared/api/permissions'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// PUT /api/v2/resources/{id}/set_perms (spec 4.2, 7 item 12) and the favourites actions (7 items 15-17).

const t = useSeededServer({ resources: 120 })

const { all, one, userId, visibleTo } = groundTruth(() => t.server)

function grantsOf(id: number) {
  const users: Record<string, string[]> = {}
  const groups: Record<string, string[]> = {}
  for (const r of all('SELECT u.username AS name, p.codename FROM resource_user_perms p JOIN users u ON u.id = p.user_id WHERE p.resource_id = ?', id)) (users[r.name] ??= []).push(r.codename)
  for (const r of all('SELECT g.name AS name, p.codename FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ?', id)) (groups[r.name] ??= []).push(r.codename)
  for (const list of [...Object.values(users), ...Object.values(groups)]) list.sort()
  return { users, groups }
}

const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number

/** A public, group-less vector layer owned by the plain user. */
function ownedLayer(): number {
  return one(
    `SELECT r.id FROM resources r JOIN layers l ON l.resource_id = r.id
     WHERE r.owner_id = ? AND r.group_id IS NULL AND l.store_type = 'dataStore' AND r.audience = 2 ORDER BY r.id LIMIT 1`,
    userId(t.fx.plainUser)
  ).id
}

describe('PUT set_perms', () => {
  it('replaces every grant, folds AnonymousUser into the anonymous group, and keeps the owner whole', async () => {
    const id = ownedLayer()
    const body = {
      users: { AnonymousUser: ['view_resourcebase'], [t.fx.otherUser]: ['view_resourcebase', 'change_resourcebase', 'no_such_codename'], ghost: ['view_resourcebase'] },
      groups: { [t.fx.publicGroup]: ['view_resourcebase', 'download_resourcebase'] }
    }
    const res = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body })
    expect(res.status).toBe(200)
    expect(res.body).toEqual(body)
    const owner = applicablePermissions('layer', 'dataStore').slice().sort()
    expect(grantsOf(id)).toEqual({
      users: { [t.fx.plainUser]: owner, [t.fx.otherUser]: ['change_resourcebase', 'view_resourcebase'] },
      groups: { anonymous: ['view_resourcebase'], [t.fx.publicGroup]: ['download_resourcebase', 'view_resourcebase'] }
    })
    const perms = await request(t.server, `/api/v2/resources/${id}/get_perms`, { who: user(t.fx.plainUser) })
    expect(perms.body.users[t.fx.otherUser].sort()).toEqual(['change_resourcebase', 'view_resourcebase'])
    expect(perms.body.groups.anonymous).toEqual(['view_resourcebase'])
  })

  it('removes a principal given an empty list, and the change shows at once in perms and visibility', async () => {
    const id = ownedLayer()
    await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: { users: { [t.fx.otherUser]: ['view_resourcebase'] }, groups: {} } })
    expect((await request(t.server, `/api/v2/resources/${id}`, { who: user(t.fx.otherUser) })).body.resource.perms).toEqual(['view_resourcebase'])
    expect((await request(t.server, `/api/v2/resources/${id}`)).status).toBe(404)
    const res = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: { users: { [t.fx.otherUser]: [] }, groups: {} } })
    expect(res.status).toBe(200)
    expect(grantsOf(id).users[t.fx.otherUser]).toBeUndefined()
    const hidden = one("SELECT count(*) AS n FROM group_members gm JOIN auth_groups g ON g.id = gm.group_id WHERE gm.user_id = ? AND g.name = 'registered-members'", userId(t.fx.otherUser))
    expect(hidden.n).toBe(1)
    expect((await request(t.server, `/api/v2/resources/${id}`, { who: user(t.fx.otherUser) })).status).toBe(404)
    await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: { users: {}, groups: { anonymous: ['view_resourcebase', 'download_resourcebase'] } } })
    expect((await request(t.server, `/api/v2/resources/${id}`)).status).toBe(200)
  })

  it('writes only the rows that change, each logged in the change log', async () => {
    const id = ownedLayer()
    const body = { users: {}, groups: { anonymous: ['view_resourcebase', 'download_resourcebase'] } }
    await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body })
    const before = changeCount()
    expect((await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body })).status).toBe(200)
    expect(changeCount()).toBe(before)
    await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: { users: {}, groups: { anonymous: ['view_resourcebase'] } } })
    const logged = all("SELECT table_name, op, row_key FROM changes WHERE seq > ? ORDER BY seq", before)
    expect(logged).toEqual([{ table_name: 'resource_group_perms', op: 'delete', row_key: `${id}:${one("SELECT id FROM auth_groups WHERE name = 'anonymous'").id}:download_resourcebase` }])
  })

  it('refuses anonymous callers, users without change_resourcebase_permissions, and bad bodies, writing nothing', async () => {
    const id = ownedLayer()
    const before = changeCount()
    const grantSelf = { users: { [t.fx.otherUser]: ['view_resourcebase', 'change_resourcebase_permissions'] }, groups: {} }
    const anonymous = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', body: grantSelf })
    expect(anonymous.status).toBe(403)
    expect(anonymous.body).toEqual({ detail: 'Authentication credentials were not provided.' })
    const stranger = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.otherUser), body: grantSelf })
    expect(stranger.status).toBe(403)
    expect(stranger.body).toEqual({ detail: 'You do not have permission to perform this action.' })
    for (const bad of [{ users: ['bobby'] }, { users: { bobby: 'view_resourcebase' } }, { owners: {} }, '[', 42]) {
      const res = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: bad })
      expect(res.status, JSON.stringify(bad)).toBe(400)
    }
    expect(changeCount()).toBe(before)
  })

  it('answers 404 for a resource the caller cannot see', async () => {
    const res = await request(t.server, `/api/v2/resources/${t.fx.privateLayerId}/set_perms`, { method: 'PUT', who: user(t.fx.plainUser), body: { users: {}, groups: {} } })
    expect(res.status).toBe(404)
  })

  it('lets the admin set grants on any resource', async () => {
    const id = t.fx.privateLayerId
    const res = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: 'admin', body: { users: { [t.fx.plainUser]: ['view_resourcebase'] }, groups: {} } })
    expect(res.status).toBe(200)
    expect(grantsOf(id).users[t.fx.plainUser]).toEqual(['view_resourcebase'])
    expect((await request(t.server, `/api/v2/resources/${id}`, { who: user(t.fx.plainUser) })).status).toBe(200)
  })
})

describe('favourites', () => {
  it('adds, refuses a duplicate, lists, and removes with GeoNode messages', async () => {
    const id = t.fx.vectorLayerId
    const who = user(t.fx.otherUser)
    expect((await request(t.server, `/api/v2/resources/${id}/favorite`, { method: 'POST' })).status).toBe(403)
    const added = await request(t.server, `/api/v2/resources/${id}/favorite`, { method: 'POST', who })
    expect(added.status).toBe(201)
    expect(added.body).toEqual({ message: 'Successfuly added resource to favorites' })
    const again = await request(t.server, `/api/v2/resources/${id}/favorite`, { method: 'POST', who })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({ message: 'Resource is already in favorites' })
    const favorites = await request(t.server, '/api/v2/resources/favorites', { who })
    expect(favorites.body.favorites.map((r: { pk: string }) => Number(r.pk))).toContain(id)
    expect((await request(t.server, `/api/v2/resources/${id}`, { who })).body.resource.favorite).toBe(true)
    expect((await request(t.server, '/api/v2/resources?favorite=true&page_size=100', { who })).body.resources.map((r: { pk: string }) => Number(r.pk))).toContain(id)
    const removed = await request(t.server, `/api/v2/resources/${id}/favorite`, { method: 'DELETE', who })
    expect(removed.status).toBe(200)
    expect(removed.body).toEqual({ message: 'Successfuly removed resource from favorites' })
    const gone = await request(t.server, `/api/v2/resources/${id}/favorite`, { method: 'DELETE', who })
    expect(gone.status).toBe(404)
    expect(gone.body).toEqual({ message: 'Resource not in favorites' })
  })

  it('cannot favour what the caller cannot see', async () => {
    const visible = visibleTo(t.fx.plainUser)
    const hidden = all<{ id: number }>('SELECT id FROM resources ORDER BY id').find((r) => !visible.has(r.id))!.id
    const res = await request(t.server, `/api/v2/resources/${hidden}/favorite`, { method: 'POST', who: user(t.fx.plainUser) })
    expect(res.status).toBe(404)
    expect(one('SELECT count(*) AS n FROM favorites WHERE resource_id = ? AND user_id = ?', hidden, userId(t.fx.plainUser)).n).toBe(0)
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
