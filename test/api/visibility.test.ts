import type Sqlite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer, user } from '../helpers/server'

// Who sees what (spec 4.4, 1.8, 10 item 4). Ground truth comes from resource_user_perms, resource_group_perms and
// group_members: a caller sees a resource when it holds view (or, on /resources, change) directly or through one of
// its groups (the anonymous group always counts); a superuser sees everything that is not metadata-only or dirty.

const VIEW = 'view_resourcebase'
const CHANGE = 'change_resourcebase'

interface Role {
  name: string
  who: () => Who
  uid: () => number | null
  superuser?: boolean
}

let server: TestServer
let db: Sqlite.Database
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 220 })
  db = server.running.database.sqlite
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const rows = <T = any>(sql: string, ...params: unknown[]): T[] => db.prepare(sql).all(...params) as T[]
const one = <T = any>(sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T
const userId = (username: string): number => one('SELECT id FROM users WHERE username = ?', username).id
const byId = (a: number, b: number) => a - b
const pksOf = (list: any[]) => list.map((r) => Number(r.pk)).sort(byId)

/** A user of the private group with this role, other than the owner of privateLayerId when possible. */
function privateGroupUser(role: 'member' | 'manager'): string {
  const found = rows(
    `SELECT u.username FROM group_members m JOIN auth_groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
      WHERE g.name = ? AND m.role = ? AND u.is_superuser = 0 AND u.is_staff = 0 ORDER BY u.username = ?, u.id`,
    fx.privateGroup, role, fx.otherUser
  )
  expect(found.length).toBeGreaterThan(0)
  return found[0].username
}

const ROLES: Role[] = [
  { name: 'anonymous callers', who: () => 'anonymous', uid: () => null },
  { name: 'a plain user outside the private group', who: () => user(fx.plainUser), uid: () => userId(fx.plainUser) },
  { name: 'the owner of the private layer', who: () => user(fx.otherUser), uid: () => userId(fx.otherUser) },
  { name: 'a member of the private group', who: () => user(privateGroupUser('member')), uid: () => userId(privateGroupUser('member')) },
  { name: 'a manager of the private group', who: () => user(privateGroupUser('manager')), uid: () => userId(privateGroupUser('manager')) },
  { name: 'the admin', who: () => 'admin', uid: () => one("SELECT id FROM users WHERE username = 'admin'").id, superuser: true }
]

/** Ids the role may see; `codenames` is [view] on typed endpoints and [view, change] on /resources. */
function visible(role: Role, codenames: string[], types?: string[]): number[] {
  const uid = role.uid()
  const typed = types ? `AND r.resource_type IN (${types.map((t) => `'${t}'`).join(',')})` : ''
  const base = `SELECT r.id FROM resources r WHERE r.metadata_only = 0 AND r.dirty_state = 0 ${typed}`
  if (role.superuser) return rows(`${base} ORDER BY r.id`).map((r) => r.id)
  const list = codenames.map((c) => `'${c}'`).join(',')
  const groups = `SELECT id FROM auth_groups WHERE name = 'anonymous'` + (uid === null ? '' : ` UNION SELECT group_id FROM group_members WHERE user_id = ${uid}`)
  const viaUser = uid === null ? '' : ` OR r.id IN (SELECT resource_id FROM resource_user_perms WHERE user_id = ${uid} AND codename IN (${list}))`
  return rows(
    `${base} AND (r.id IN (SELECT resource_id FROM resource_group_perms WHERE codename IN (${list}) AND group_id IN (${groups}))${viaUser}) ORDER BY r.id`
  ).map((r) => r.id)
}

const TYPED: [endpoint: string, types: string[]][] = [
  ['layers', ['layer']],
  ['maps', ['map']],
  ['documents', ['document']],
  ['geoapps', ['geoapp', 'geostory', 'dashboard']],
  ['geostories', ['geostory']]
]

/** An evenly spread sample of at most n ids. */
const spread = (ids: number[], n: number) => (ids.length <= n ? ids : Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]))

for (const role of ROLES) {
  describe(`visibility for ${role.name}`, () => {
    it('lists exactly the visible resources on /resources', async () => {
      const expected = visible(role, [VIEW, CHANGE])
      const res = await request(server, '/api/v2/resources?page_size=1000', { who: role.who() })
      expect(res.status).toBe(200)
      expect(res.body.total).toBe(expected.length)
      expect(pksOf(res.body.resources)).toEqual(expected)
    })

    it('lists exactly the viewable resources on every typed endpoint', async () => {
      for (const [endpoint, types] of TYPED) {
        const expected = visible(role, [VIEW], types)
        const res = await request(server, `/api/v2/${endpoint}?page_size=1000`, { who: role.who() })
        expect(res.body.total, endpoint).toBe(expected.length)
        expect(pksOf(res.body[endpoint]), endpoint).toEqual(expected)
      }
    })

    it('counts visible resources per type in resource_types', async () => {
      const res = await request(server, '/api/v2/resources/resource_types', { who: role.who() })
      expect(res.status).toBe(200)
      expect(res.body.resource_types.length).toBeGreaterThan(0)
      for (const entry of res.body.resource_types) expect(entry.count, entry.name).toBe(visible(role, [VIEW, CHANGE], [entry.name]).length)
    })

    it('answers details of visible resources with 200 and hidden ones with 404, never 403', async () => {
      const seen = new Set(visible(role, [VIEW, CHANGE]))
      const all = rows('SELECT id, resource_type FROM resources ORDER BY id')
      const hidden = spread(all.filter((r) => !seen.has(r.id)).map((r) => r.id), 15)
      if (!role.superuser) expect(hidden.length).toBeGreaterThan(0)
      for (const id of hidden) {
        const res = await request(server, `/api/v2/resources/${id}`, { who: role.who() })
        expect(res.status, `resource ${id}`).toBe(404)
        expect(res.body).toEqual({ detail: 'Not found.' })
        const type = all.find((r) => r.id === id).resource_type
        const endpoint = type === 'geostory' ? 'geostories' : type === 'geoapp' ? 'geoapps' : `${type}s`
        expect((await request(server, `/api/v2/${endpoint}/${id}`, { who: role.who() })).status, `${endpoint}/${id}`).toBe(404)
      }
      for (const id of spread([...seen], 15)) {
        expect((await request(server, `/api/v2/resources/${id}`, { who: role.who() })).status, `resource ${id}`).toBe(200)
      }
    })

    it('filters linked_resources of every visible document to what the caller may view', async () => {
      const viewable = new Set(visible(role, [VIEW, CHANGE]))
      const documents = [...new Set(rows('SELECT document_id FROM document_links ORDER BY document_id').map((r) => r.document_id))]
      const reachable = documents.filter((id) => visible(role, [VIEW], ['document']).includes(id))
      expect(reachable.length).toBeGreaterThan(0)
      for (const id of reachable) {
        const expected = rows('SELECT resource_id FROM document_links WHERE document_id = ?', id).map((r) => r.resource_id).filter((r) => viewable.has(r)).sort(byId)
        const res = await request(server, `/api/v2/documents/${id}/linked_resources?page_size=100`, { who: role.who() })
        expect(res.status, `document ${id}`).toBe(200)
        expect(res.body.total, `document ${id}`).toBe(expected.length)
        expect(pksOf(res.body.resources), `document ${id}`).toEqual(expected)
      }
    })

    it('filters local_layers of every visible map to what the caller may view', async () => {
      const viewable = new Set(visible(role, [VIEW], ['layer']))
      const maps = visible(role, [VIEW], ['map']).filter((id) => one('SELECT count(*) AS n FROM map_layers WHERE map_id = ? AND local = 1', id).n > 0)
      expect(maps.length).toBeGreaterThan(0)
      for (const id of maps) {
        const expected = rows('SELECT dataset_id FROM map_layers WHERE map_id = ? AND local = 1', id).map((r) => r.dataset_id).filter((r) => viewable.has(r)).sort(byId)
        const res = await request(server, `/api/v2/maps/${id}/local_layers`, { who: role.who() })
        expect(res.status, `map ${id}`).toBe(200)
        expect(pksOf(res.body), `map ${id}`).toEqual(expected)
      }
    })

    it('counts only visible resources in approved', async () => {
      const approved = new Set(rows('SELECT id FROM resources WHERE is_approved = 1').map((r) => r.id))
      const res = await request(server, '/api/v2/resources/approved?page_size=1000', { who: role.who() })
      expect(pksOf(res.body.resources)).toEqual(visible(role, [VIEW, CHANGE]).filter((id) => approved.has(id)))
    })
  })
}

describe('named cases', () => {
  const expectations: [string, () => Who, boolean][] = [
    ['anonymous callers', () => 'anonymous', false],
    ['a plain user outside the group', () => user(fx.plainUser), false],
    ['a member of the private group', () => user(privateGroupUser('member')), true],
    ['a manager of the private group', () => user(privateGroupUser('manager')), true],
    ['the owner', () => user(fx.otherUser), true],
    ['the admin', () => 'admin', true]
  ]
  for (const [name, who, sees] of expectations) {
    it(`${sees ? 'shows' : 'hides'} the private group layer ${sees ? 'to' : 'from'} ${name}`, async () => {
      for (const path of [`/api/v2/resources/${fx.privateLayerId}`, `/api/v2/layers/${fx.privateLayerId}`]) {
        const res = await request(server, path, { who: who() })
        expect(res.status, path).toBe(sees ? 200 : 404)
        if (!sees) expect(res.body).toEqual({ detail: 'Not found.' })
      }
    })
  }

  it('shows resources granted to registered members to signed-in users only', async () => {
    const ids = rows(
      `SELECT p.resource_id AS id FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
        WHERE g.name = 'registered-members' AND p.codename = ? AND p.resource_id NOT IN (
          SELECT resource_id FROM resource_group_perms q JOIN auth_groups a ON a.id = q.group_id WHERE a.name = 'anonymous')`,
      VIEW
    ).map((r) => r.id)
    expect(ids.length).toBeGreaterThan(0)
    for (const id of ids.slice(0, 5)) {
      expect((await request(server, `/api/v2/resources/${id}`)).status, `anonymous on ${id}`).toBe(404)
      expect((await request(server, `/api/v2/resources/${id}`, { who: user(fx.plainUser) })).status, `plain user on ${id}`).toBe(200)
    }
  })

  it('answers 404 for the actions of a hidden map or document', async () => {
    const hiddenMap = rows("SELECT id FROM resources WHERE resource_type = 'map' ORDER BY id").map((r) => r.id).find((id) => !visible(ROLES[0], [VIEW]).includes(id))
    const hiddenDoc = rows('SELECT DISTINCT document_id AS id FROM document_links ORDER BY id').map((r) => r.id).find((id) => !visible(ROLES[0], [VIEW]).includes(id))
    expect(hiddenMap).toBeDefined()
    expect(hiddenDoc).toBeDefined()
    for (const path of [`/api/v2/maps/${hiddenMap}/layers`, `/api/v2/maps/${hiddenMap}/local_layers`, `/api/v2/documents/${hiddenDoc}/linked_resources`]) {
      const res = await request(server, path)
      expect(res.status, path).toBe(404)
      expect(res.body).toEqual({ detail: 'Not found.' })
    }
  })
})

describe('server health', () => {
  it('logged no failure while answering this file', () => {
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})
