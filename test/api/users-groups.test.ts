import { sample } from '../helpers/samples'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, envelopeKeys, request, startTestServer, user } from '../helpers/server'

const USER_KEYS = Object.keys(sample('api_v2_users_list.json').users[0]).sort()
const GROUP_KEYS = Object.keys(sample('api_v2_groups_list.json').group_profiles[0]).sort()
const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' }

let server: TestServer
let plain: string
let other: string

beforeAll(async () => {
  server = await startTestServer({ resources: 200 })
  ;({ plainUser: plain, otherUser: other } = server.seed!.fixtures)
})
afterAll(() => server.close())

const sql = () => server.running.database.sqlite
const all = <T = any>(query: string, ...params: unknown[]) => sql().prepare(query).all(...params) as T[]
const one = <T = any>(query: string, ...params: unknown[]) => sql().prepare(query).get(...params) as T
const userId = (username: string): number => one('SELECT id FROM users WHERE username = ?', username).id
const groupBySlug = (slug: string): { id: number; group_id: number } => one('SELECT id, group_id FROM group_profiles WHERE slug = ?', slug)
const sortedNumbers = (values: unknown[]) => values.map(Number).sort((a, b) => a - b)

/** Ids of resources `username` (null: anonymous) may view, per spec 4.4 with default settings. */
function viewableBy(username: string | null): Set<number> {
  const u = username ? one('SELECT id, is_superuser FROM users WHERE username = ?', username) : { id: -1, is_superuser: 0 }
  const base = 'SELECT id FROM resources WHERE metadata_only = 0 AND dirty_state = 0'
  if (u.is_superuser) return new Set(all(base).map((r) => r.id))
  const rows = all(
    `${base} AND (id IN (SELECT resource_id FROM resource_group_perms WHERE codename = 'view_resourcebase' AND
      (group_id = (SELECT id FROM auth_groups WHERE name = 'anonymous') OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)))
      OR id IN (SELECT resource_id FROM resource_user_perms WHERE codename = 'view_resourcebase' AND user_id = ?))`,
    u.id,
    u.id
  )
  return new Set(rows.map((r) => r.id))
}

/** Groups `username` (null: anonymous) may see, ordered by title (spec 2.4). */
function visibleGroupIds(username: string | null): number[] {
  if (username === 'admin') return all('SELECT id FROM group_profiles ORDER BY title, id').map((r) => r.id)
  const uid = username ? userId(username) : -1
  return all(
    `SELECT id FROM group_profiles WHERE access IN ('public', 'public-invite')
      OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ?) ORDER BY title, id`,
    uid
  ).map((r) => r.id)
}

function expectUserObject(item: any) {
  expect(Object.keys(item).sort()).toEqual(USER_KEYS)
  expect(Number.isInteger(item.pk)).toBe(true)
  for (const key of ['username', 'first_name', 'last_name', 'avatar', 'link']) expect(typeof item[key], key).toBe('string')
  for (const key of ['is_superuser', 'is_staff']) expect(typeof item[key], key).toBe('boolean')
  expect(item.avatar).toMatch(/^https?:\/\//)
  expect(item.link).toBe(`${server.url}/api/v2/users/${item.pk}`)
}

describe('GET /api/v2/users', () => {
  it('lists every user, AnonymousUser included, in the five-key envelope to anonymous and admin', async () => {
    const total = one('SELECT count(*) AS n FROM users').n
    for (const who of ['anonymous', 'admin'] as const) {
      const res = await request(server, '/api/v2/users', { who })
      expect(res.status, who).toBe(200)
      expect(Object.keys(res.body).sort(), who).toEqual(envelopeKeys('users'))
      expect(res.body).toMatchObject({ total, page: 1, page_size: 10 })
      expect(res.body.users).toHaveLength(Math.min(10, total))
    }
  })

  it('orders users by username', async () => {
    const res = await request(server, '/api/v2/users?page_size=1000')
    expect(res.body.users.map((u: any) => u.username)).toEqual(all('SELECT username FROM users ORDER BY username').map((r) => r.username))
  })

  it('renders each user with exactly the sample keys, integer pk and the stored flags', async () => {
    const res = await request(server, '/api/v2/users?page_size=1000')
    const rows = new Map(all('SELECT id, username, first_name, last_name, is_superuser, is_staff FROM users').map((r) => [r.id, r]))
    for (const item of res.body.users) {
      expectUserObject(item)
      const row = rows.get(item.pk)
      expect(row, item.username).toBeDefined()
      expect(item).toMatchObject({
        username: row.username,
        first_name: row.first_name,
        last_name: row.last_name,
        is_superuser: row.is_superuser === 1,
        is_staff: row.is_staff === 1
      })
    }
  })

  it('reports add_resource for contributors, staff and superusers, and [] for AnonymousUser', async () => {
    const res = await request(server, '/api/v2/users?page_size=1000')
    const contributors = new Set(
      all(`SELECT user_id FROM group_members WHERE group_id = (SELECT id FROM auth_groups WHERE name = 'contributors')`).map((r) => r.user_id)
    )
    const staff = new Set(all('SELECT id FROM users WHERE is_staff = 1 OR is_superuser = 1').map((r) => r.id))
    for (const item of res.body.users) {
      const canAdd = item.pk !== -1 && (contributors.has(item.pk) || staff.has(item.pk))
      expect(item.perms, item.username).toEqual(canAdd ? ['add_resource'] : [])
    }
    const anonymous = res.body.users.find((u: any) => u.username === 'AnonymousUser')
    expect(anonymous).toMatchObject({ pk: -1, perms: [], is_superuser: false, is_staff: false })
  })

  it('pages with absolute links; previous of page 2 has no page parameter', async () => {
    const usernames = all('SELECT username FROM users ORDER BY username').map((r) => r.username)
    const res = await request(server, '/api/v2/users?page_size=4&page=2')
    expect(res.body).toMatchObject({ total: usernames.length, page: 2, page_size: 4 })
    expect(res.body.users.map((u: any) => u.username)).toEqual(usernames.slice(4, 8))
    expect(res.body.links.previous).toBe(`${server.url}/api/v2/users?page_size=4`)
    expect(res.body.links.next).toBe(usernames.length > 8 ? `${server.url}/api/v2/users?page=3&page_size=4` : null)
  })
})

describe('GET /api/v2/users/{id}', () => {
  it('wraps one user in the user key, AnonymousUser (pk -1) included', async () => {
    const res = await request(server, '/api/v2/users/-1')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['user'])
    expectUserObject(res.body.user)
    expect(res.body.user).toMatchObject({ pk: -1, username: 'AnonymousUser', perms: [] })
  })

  it('shows the admin as a superuser with add_resource', async () => {
    const adminId = userId('admin')
    const res = await request(server, `/api/v2/users/${adminId}/`)
    expect(res.body.user).toMatchObject({ pk: adminId, username: 'admin', is_superuser: true, is_staff: true, perms: ['add_resource'] })
  })

  it("lets a user read another user's record", async () => {
    const res = await request(server, `/api/v2/users/${userId(other)}`, { who: user(plain) })
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ pk: userId(other), username: other, perms: ['add_resource'] })
  })

  it('answers 404 for an unknown user', async () => {
    const missing = one('SELECT max(id) + 1 AS id FROM users').id
    const res = await request(server, `/api/v2/users/${missing}`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })
})

describe('GET /api/v2/users/{id}/groups', () => {
  const groupsOf = (username: string) =>
    sortedNumbers(all('SELECT gp.id FROM group_profiles gp JOIN group_members m ON m.group_id = gp.group_id WHERE m.user_id = ?', userId(username)).map((r) => r.id))

  it('is a bare array of every group profile the user belongs to, for the user and for admin', async () => {
    for (const who of [user(other), 'admin'] as Who[]) {
      const res = await request(server, `/api/v2/users/${userId(other)}/groups`, { who })
      expect(res.status).toBe(200)
      expect(Array.isArray(res.body)).toBe(true)
      expect(sortedNumbers(res.body.map((g: any) => g.pk))).toEqual(groupsOf(other))
      for (const group of res.body) expect(Object.keys(group).sort()).toEqual(GROUP_KEYS)
    }
  })

  it("shows anonymous callers at least the user's public groups", async () => {
    const res = await request(server, `/api/v2/users/${userId(other)}/groups`)
    expect(res.status).toBe(200)
    const pks = res.body.map((g: any) => g.pk)
    const publicOnes = all(
      `SELECT gp.id FROM group_profiles gp JOIN group_members m ON m.group_id = gp.group_id WHERE m.user_id = ? AND gp.access <> 'private'`,
      userId(other)
    ).map((r) => r.id)
    expect(publicOnes.length).toBeGreaterThan(0)
    for (const id of publicOnes) expect(pks).toContain(id)
    for (const id of pks) expect(groupsOf(other)).toContain(id)
  })
})

describe('GET /api/v2/users/{id}/resources', () => {
  const titlesFor = (ids: Set<number>) => all('SELECT id, title FROM resources ORDER BY title').filter((r) => ids.has(r.id))

  async function expectViewable(owner: string, caller: string | null) {
    const who: Who = caller === null ? 'anonymous' : caller === 'admin' ? 'admin' : user(caller)
    const res = await request(server, `/api/v2/users/${userId(owner)}/resources`, { who })
    expect(res.status).toBe(200)
    expect(Array.isArray(res.body)).toBe(true)
    const callerSees = viewableBy(caller)
    const expected = titlesFor(new Set([...viewableBy(owner)].filter((id) => callerSees.has(id))))
    expect(sortedNumbers(res.body.map((r: any) => r.pk))).toEqual(sortedNumbers(expected.map((r) => r.id)))
    expect(res.body.map((r: any) => r.title)).toEqual(expected.map((r) => r.title))
    for (const item of res.body) {
      expect(typeof item.pk).toBe('string')
      expect(item.perms).toEqual([])
    }
  }

  it('lists, by title, the resources that user can view (spec 2.3), as seen by that user', () => expectViewable(other, other))
  it('lists for another user only what both that user and the caller can view', () => expectViewable(other, plain))
  it('lists for anonymous callers only what both that user and anonymous can view', () => expectViewable(other, null))
})

describe('GET /api/v2/groups', () => {
  async function expectGroups(who: Who, username: string | null) {
    const res = await request(server, '/api/v2/groups?page_size=100', { who })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('group_profiles'))
    const expected = visibleGroupIds(username)
    expect(res.body.total).toBe(expected.length)
    expect(res.body.group_profiles.map((g: any) => g.pk)).toEqual(expected)
    return res.body.group_profiles as any[]
  }

  it('shows anonymous callers only public and public-invite groups, by title', async () => {
    const groups = await expectGroups('anonymous', null)
    expect(groups.some((g) => g.access === 'public')).toBe(true)
    expect(groups.some((g) => g.access === 'public-invite')).toBe(true)
    expect(groups.filter((g) => g.access === 'private')).toEqual([])
  })

  it('adds the private groups a user belongs to, and no others', async () => {
    const groups = await expectGroups(user(plain), plain)
    expect(groups.map((g) => g.slug)).not.toContain(server.seed!.fixtures.privateGroup)
  })

  it("shows a private group's member that group", async () => {
    const groups = await expectGroups(user(other), other)
    expect(groups.map((g) => g.slug)).toContain(server.seed!.fixtures.privateGroup)
  })

  it('shows admin every group', async () => {
    const groups = await expectGroups('admin', 'admin')
    expect(groups).toHaveLength(one('SELECT count(*) AS n FROM group_profiles').n)
  })

  it('renders each group with exactly the sample keys and the stored values', async () => {
    const res = await request(server, '/api/v2/groups?page_size=100', { who: 'admin' })
    for (const g of res.body.group_profiles) {
      expect(Object.keys(g).sort()).toEqual(GROUP_KEYS)
      const row = one('SELECT gp.*, a.name AS group_name FROM group_profiles gp JOIN auth_groups a ON a.id = gp.group_id WHERE gp.id = ?', g.pk)
      expect(g).toMatchObject({ pk: row.id, title: row.title, slug: row.slug, description: row.description, email: row.email, access: row.access })
      expect(g.group).toEqual({ pk: row.group_id, name: row.group_name })
      expect(g.group.name).toBe(g.slug)
      expect(g.logo === null || typeof g.logo === 'string').toBe(true)
      const keywords = all('SELECT k.slug FROM group_profile_keywords j JOIN keywords k ON k.id = j.keyword_id WHERE j.group_profile_id = ?', g.pk)
      const categories = all('SELECT c.slug FROM group_profile_categories j JOIN group_categories c ON c.id = j.category_id WHERE j.group_profile_id = ?', g.pk)
      expect([...g.keywords].sort()).toEqual(keywords.map((k) => k.slug).sort())
      expect([...g.categories].sort()).toEqual(categories.map((c) => c.slug).sort())
      expect(g.link).toBe(`${server.url}/api/v2/groups/${g.pk}`)
    }
  })
})

describe('GET /api/v2/groups/{id} and its actions', () => {
  it('answers 404 for a private group to anonymous callers and non-members', async () => {
    const { id } = groupBySlug(server.seed!.fixtures.privateGroup)
    for (const who of ['anonymous', user(plain)] as Who[]) {
      for (const path of [`/api/v2/groups/${id}`, `/api/v2/groups/${id}/members`, `/api/v2/groups/${id}/managers`, `/api/v2/groups/${id}/resources`]) {
        const res = await request(server, path, { who })
        expect(res.status, path).toBe(404)
        expect(res.body, path).toEqual({ detail: 'Not found.' })
      }
    }
  })

  it('shows a private group to its members and to admin, wrapped in group_profile', async () => {
    const { id } = groupBySlug(server.seed!.fixtures.privateGroup)
    for (const who of [user(other), 'admin'] as Who[]) {
      const res = await request(server, `/api/v2/groups/${id}`, { who })
      expect(res.status).toBe(200)
      expect(Object.keys(res.body)).toEqual(['group_profile'])
      expect(res.body.group_profile).toMatchObject({ pk: id, slug: server.seed!.fixtures.privateGroup, access: 'private' })
    }
  })

  it('shows a public group to anonymous callers', async () => {
    const { id } = groupBySlug(server.seed!.fixtures.publicGroup)
    const res = await request(server, `/api/v2/groups/${id}/`)
    expect(res.status).toBe(200)
    expect(res.body.group_profile).toMatchObject({ pk: id, access: 'public' })
  })

  it('lists members (managers included) and managers as bare arrays of user objects', async () => {
    for (const [slug, who] of [[server.seed!.fixtures.publicGroup, 'anonymous'], [server.seed!.fixtures.privateGroup, user(other)]] as [string, Who][]) {
      const group = groupBySlug(slug)
      const members = await request(server, `/api/v2/groups/${group.id}/members`, { who })
      const managers = await request(server, `/api/v2/groups/${group.id}/managers`, { who })
      expect(members.status).toBe(200)
      expect(managers.status).toBe(200)
      const rows = all('SELECT user_id, role FROM group_members WHERE group_id = ?', group.group_id)
      expect(sortedNumbers(members.body.map((u: any) => u.pk))).toEqual(sortedNumbers(rows.map((r) => r.user_id)))
      expect(sortedNumbers(managers.body.map((u: any) => u.pk))).toEqual(sortedNumbers(rows.filter((r) => r.role === 'manager').map((r) => r.user_id)))
      expect(managers.body.length).toBeGreaterThan(0)
      for (const item of [...members.body, ...managers.body]) expectUserObject(item)
    }
  })

  it("lists the group's resources the caller may view as a bare array with empty perms", async () => {
    const group = groupBySlug(server.seed!.fixtures.publicGroup)
    const ofGroup = all('SELECT id FROM resources WHERE group_id = ?', group.group_id).map((r) => r.id)
    for (const [who, username] of [['anonymous', null], ['admin', 'admin'], [user(plain), plain]] as [Who, string | null][]) {
      const res = await request(server, `/api/v2/groups/${group.id}/resources`, { who })
      expect(res.status).toBe(200)
      expect(Array.isArray(res.body)).toBe(true)
      const sees = viewableBy(username)
      expect(sortedNumbers(res.body.map((r: any) => r.pk))).toEqual(sortedNumbers(ofGroup.filter((id) => sees.has(id))))
      for (const item of res.body) expect(item.perms).toEqual([])
    }
  })
})

describe('writes by anonymous callers (spec 2.3, 2.4)', () => {
  it('refuses POST, PUT, PATCH and DELETE on users and groups with 403 and changes nothing', async () => {
    const before = all('SELECT id, username, first_name, is_staff FROM users ORDER BY id')
    const groupsBefore = all('SELECT id, title, access FROM group_profiles ORDER BY id')
    const uid = userId(plain)
    const { id: gid } = groupBySlug(server.seed!.fixtures.publicGroup)
    const calls: [string, string, unknown][] = [
      ['POST', '/api/v2/users', { username: 'intruder' }],
      ['PATCH', `/api/v2/users/${uid}`, { first_name: 'Mallory', is_staff: true }],
      ['PUT', `/api/v2/users/${uid}`, { username: plain, first_name: 'Mallory' }],
      ['DELETE', `/api/v2/users/${uid}`, undefined],
      ['POST', '/api/v2/groups', { title: 'Intruders', slug: 'intruders', access: 'public' }],
      ['PATCH', `/api/v2/groups/${gid}`, { title: 'Defaced' }],
      ['PUT', `/api/v2/groups/${gid}`, { title: 'Defaced', access: 'private' }],
      ['DELETE', `/api/v2/groups/${gid}/`, undefined]
    ]
    for (const [method, path, body] of calls) {
      const res = await request(server, path, { method, body })
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body, `${method} ${path}`).toEqual(NOT_AUTHENTICATED)
    }
    expect(all('SELECT id, username, first_name, is_staff FROM users ORDER BY id')).toEqual(before)
    expect(all('SELECT id, title, access FROM group_profiles ORDER BY id')).toEqual(groupsBefore)
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
