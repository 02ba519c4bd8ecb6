import { groundTruth } from '../helpers/truth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, envelopeKeys, request, startTestServer, user } from '../helpers/server'

const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' }
const LOOKUPS = ['owners', 'categories', 'keywords', 'regions', 'tkeywords'] as const

let server: TestServer
let plain: string
let other: string

beforeAll(async () => {
  server = await startTestServer({ resources: 250 })
  ;({ plainUser: plain, otherUser: other } = server.seed!.fixtures)
})
afterAll(() => server.close())

const { all, one, userId, visibleTo } = groundTruth(() => server)

const whoFor = (username: string | null): Who => (username === null ? 'anonymous' : username === 'admin' ? 'admin' : user(username))


/** Counts of visible resources per key, from (key, resource id) pairs. */
function countBy(pairs: { key: number; rid: number }[], visible: Set<number>): Map<number, number> {
  const counts = new Map<number, number>()
  for (const { key, rid } of pairs) if (visible.has(rid)) counts.set(key, (counts.get(key) ?? 0) + 1)
  return counts
}

async function listAll(name: string, who: Who, query = '') {
  const res = await request(server, `/api/v2/${name}?page_size=1000${query}`, { who })
  expect(res.status, name).toBe(200)
  expect(Object.keys(res.body).sort(), name).toEqual(envelopeKeys(name))
  expect(res.body.total, name).toBe(res.body[name].length)
  return res.body[name] as any[]
}

/** Django's filesizeformat with its non-breaking space. */
function sizeLabel(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB']
  if (bytes < 1024) return `${bytes}\u00a0bytes`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1]
  return `${value.toFixed(1)}\u00a0${units[unit]}`
}

describe('GET /api/v2/owners', () => {
  const ownedPairs = () => all('SELECT owner_id AS key, id AS rid FROM resources')

  it.each([
    ['anonymous callers', null],
    ['a signed-in user', 'plain'],
    ['admin', 'admin']
  ])('lists, by username, the owners of resources visible to %s, with visible counts', async (_label, who) => {
    const username = who === 'plain' ? plain : who
    const counts = countBy(ownedPairs(), visibleTo(username))
    const expected = all('SELECT id, username FROM users WHERE id <> -1 ORDER BY username').filter((u) => counts.has(u.id))
    const owners = await listAll('owners', whoFor(username))
    expect(owners.map((o) => o.username)).toEqual(expected.map((u) => u.username))
    for (const owner of owners) expect(owner.count, owner.username).toBe(counts.get(owner.pk))
  })

  it('renders owners with exactly pk, username, first_name, last_name, avatar, perms, count, link', async () => {
    for (const owner of await listAll('owners', 'anonymous')) {
      expect(Object.keys(owner).sort()).toEqual(['avatar', 'count', 'first_name', 'last_name', 'link', 'perms', 'pk', 'username'])
      expect(Number.isInteger(owner.pk)).toBe(true)
      expect(owner.link).toBe(`${server.url}/api/v2/users/${owner.pk}`)
      expect(owner.perms).toEqual(['add_resource'])
    }
  })

  it('narrows owners and counts with ?type= and ?title__icontains=', async () => {
    const visible = visibleTo(null)
    const layers = all(`SELECT owner_id AS key, id AS rid FROM resources WHERE resource_type = 'layer'`)
    const byType = await listAll('owners', 'anonymous', '&type=layer')
    const typeCounts = countBy(layers, visible)
    expect(byType.map((o) => [o.pk, o.count]).sort()).toEqual([...typeCounts.entries()].sort())
    const titled = all(`SELECT owner_id AS key, id AS rid FROM resources WHERE resource_type = 'layer' AND lower(title) LIKE '%road%'`)
    const titleCounts = countBy(titled, visible)
    expect(titleCounts.size).toBeGreaterThan(0)
    const byTitle = await listAll('owners', 'anonymous', '&type=layer&title__icontains=ROAD')
    expect(byTitle.map((o) => [o.pk, o.count]).sort()).toEqual([...titleCounts.entries()].sort())
    expect(await listAll('owners', 'anonymous', '&type=nosuchtype')).toEqual([])
  })

  it('filters owners with filter{username.icontains}', async () => {
    const owners = await listAll('owners', 'anonymous', `&filter{username.icontains}=${plain.toUpperCase()}`)
    expect(owners.map((o) => o.username)).toEqual([plain])
  })
})

describe('GET /api/v2/categories, keywords, regions, tkeywords', () => {
  it('lists every topic category with its columns, visible count and link', async () => {
    const counts = countBy(all('SELECT category_id AS key, id AS rid FROM resources WHERE category_id IS NOT NULL'), visibleTo(null))
    const rows = all('SELECT * FROM topic_categories')
    const items = await listAll('categories', 'anonymous')
    expect(items.map((c) => c.id).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id).sort((a, b) => a - b))
    for (const item of items) {
      const row = rows.find((r) => r.id === item.id)
      expect(item).toMatchObject({ identifier: row.identifier, description: row.description, gn_description: row.gn_description, is_choice: row.is_choice === 1, fa_class: row.fa_class })
      expect(item.count, item.identifier).toBe(counts.get(item.id) ?? 0)
      expect(item.link).toBe(`${server.url}/api/v2/categories/${item.id}`)
      const extra = Object.keys(item).filter((k) => !['id', 'identifier', 'description', 'gn_description', 'is_choice', 'fa_class', 'count', 'link'].includes(k))
      for (const key of extra) expect(key).toMatch(/^(description|gn_description)_[a-z]{2}/)
    }
  })

  it('filters categories with filter{identifier.icontains}', async () => {
    const items = await listAll('categories', 'anonymous', '&filter{identifier.icontains}=biota')
    expect(items.map((c) => c.identifier)).toEqual(['biota'])
  })

  it.each([
    ['anonymous callers', null],
    ['admin', 'admin']
  ])('lists the keywords used by resources visible to %s, with visible counts', async (_label, who) => {
    const counts = countBy(all('SELECT keyword_id AS key, resource_id AS rid FROM resource_keywords'), visibleTo(who))
    const items = await listAll('keywords', whoFor(who))
    expect(items.map((k) => k.id).sort((a, b) => a - b)).toEqual([...counts.keys()].sort((a, b) => a - b))
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['count', 'depth', 'id', 'link', 'name', 'numchild', 'path', 'slug'])
      expect(item.count, item.slug).toBe(counts.get(item.id))
      expect(item).toMatchObject(one('SELECT id, name, slug, path, depth, numchild FROM keywords WHERE id = ?', item.id))
      expect(item.link).toBe(`${server.url}/api/v2/keywords/${item.id}`)
    }
  })

  it('lists every region with its columns, parent, visible count and link', async () => {
    const counts = countBy(all('SELECT region_id AS key, resource_id AS rid FROM resource_regions'), visibleTo(null))
    const rows = all('SELECT * FROM regions')
    const items = await listAll('regions', 'anonymous')
    expect(items).toHaveLength(rows.length)
    for (const item of items) {
      const row = rows.find((r) => r.id === item.id)
      expect(item).toMatchObject({ code: row.code, name: row.name, parent: row.parent_id, srid: row.srid, level: row.level, lft: row.lft, rght: row.rght })
      for (const key of ['bbox_x0', 'bbox_x1', 'bbox_y0', 'bbox_y1', 'tree_id']) expect(item, key).toHaveProperty(key)
      expect(item.count, item.code).toBe(counts.get(item.id) ?? 0)
      expect(item.link).toBe(`${server.url}/api/v2/regions/${item.id}`)
    }
  })

  it('filters regions with filter{name.icontains}', async () => {
    const expected = all(`SELECT id FROM regions WHERE lower(name) LIKE '%africa%'`).map((r) => r.id).sort((a, b) => a - b)
    expect(expected.length).toBeGreaterThan(1)
    const items = await listAll('regions', 'anonymous', '&filter{name.icontains}=Africa')
    expect(items.map((r) => r.id).sort((a, b) => a - b)).toEqual(expected)
  })

  it('lists every thesaurus keyword as name, slug, uri, thesaurus and i18n, without count or link', async () => {
    const items = await listAll('tkeywords', 'anonymous')
    expect(items).toHaveLength(one('SELECT count(*) AS n FROM thesaurus_keywords').n)
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['i18n', 'name', 'slug', 'thesaurus', 'uri'])
      expect(Object.keys(item.thesaurus).sort()).toEqual(['name', 'slug', 'uri'])
      expect(item.uri).toMatch(/^https?:\/\//)
      expect(typeof item.i18n).toBe('object')
    }
    const mf = items.find((k) => k.uri === 'http://inspire.ec.europa.eu/theme/mf')
    expect(mf).toMatchObject({ slug: 'http-inspire-ec-europa-eu-theme-mf', thesaurus: { slug: 'inspire-theme', uri: 'http://inspire.ec.europa.eu/theme' } })
    expect(mf.i18n.en).toBe('Meteorological geographical features')
  })

  it('wraps a detail in the plural key, equal to the list item', async () => {
    const ids: Record<string, number> = {
      owners: userId(plain),
      categories: one(`SELECT id FROM topic_categories WHERE identifier = 'biota'`).id,
      keywords: one('SELECT keyword_id AS id FROM resource_keywords WHERE resource_id = ?', server.seed!.fixtures.vectorLayerId).id,
      regions: one(`SELECT id FROM regions WHERE code = 'AFR'`).id,
      tkeywords: one(`SELECT id FROM thesaurus_keywords WHERE about = 'http://inspire.ec.europa.eu/theme/mf'`).id
    }
    for (const name of LOOKUPS) {
      const res = await request(server, `/api/v2/${name}/${ids[name]}`)
      expect(res.status, name).toBe(200)
      expect(Object.keys(res.body), name).toEqual([name])
      const listed = await listAll(name, 'anonymous')
      const match = name === 'tkeywords' ? listed.find((k) => k.uri === res.body[name].uri) : listed.find((k) => (k.pk ?? k.id) === ids[name])
      expect(res.body[name], name).toEqual(match)
    }
  })

  it('answers any write with 405, to anonymous callers and admin alike', async () => {
    for (const name of LOOKUPS) {
      for (const path of [`/api/v2/${name}`, `/api/v2/${name}/1`]) {
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
          for (const who of ['anonymous', 'admin'] as Who[]) {
            const res = await request(server, path, { method, who, body: method === 'DELETE' ? undefined : { name: 'x' } })
            expect(res.status, `${method} ${path}`).toBe(405)
            expect(res.body, `${method} ${path}`).toEqual({ detail: `Method "${method}" not allowed.` })
          }
        }
      }
    }
  })
})

describe('GET /api/v2/upload-size-limits (spec 2.5, 3.10)', () => {
  it('lists every limit by slug with exactly slug, description, max_size, max_size_label, link', async () => {
    const rows = all('SELECT slug, description, max_size FROM upload_size_limits ORDER BY slug')
    for (const who of ['anonymous', 'admin'] as Who[]) {
      const items = await listAll('upload-size-limits', who)
      expect(items).toEqual(
        rows.map((r) => ({ ...r, max_size_label: sizeLabel(r.max_size), link: `${server.url}/api/v2/upload-size-limits/${r.slug}` }))
      )
    }
  })

  it('labels 100 MiB as "100.0\\u00a0MB" with a non-breaking space', async () => {
    const items = await listAll('upload-size-limits', 'anonymous')
    const hundred = items.filter((i) => i.max_size === 104857600)
    expect(hundred.length).toBeGreaterThan(0)
    for (const item of hundred) expect(item.max_size_label).toBe('100.0\u00a0MB')
  })

  it('looks a limit up by slug, wrapped in upload-size-limit', async () => {
    const items = await listAll('upload-size-limits', 'anonymous')
    const res = await request(server, `/api/v2/upload-size-limits/${items[0].slug}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ 'upload-size-limit': items[0] })
    const missing = await request(server, '/api/v2/upload-size-limits/no-such-limit')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ detail: 'Not found.' })
  })

  it('refuses PUT, PATCH and DELETE: 405 for admin, 403 for anonymous, and keeps the row', async () => {
    const before = all('SELECT * FROM upload_size_limits ORDER BY slug')
    const slug = before[0].slug
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const body = method === 'DELETE' ? undefined : { max_size: 1 }
      const asAdmin = await request(server, `/api/v2/upload-size-limits/${slug}`, { method, who: 'admin', body })
      expect(asAdmin.status, method).toBe(405)
      expect(asAdmin.body, method).toEqual({ detail: `Method "${method}" not allowed.` })
      const asAnonymous = await request(server, `/api/v2/upload-size-limits/${slug}`, { method, body })
      expect(asAnonymous.status, method).toBe(403)
      expect(asAnonymous.body, method).toEqual(NOT_AUTHENTICATED)
    }
    expect(all('SELECT * FROM upload_size_limits ORDER BY slug')).toEqual(before)
  })

  it('refuses POST from anonymous callers with 403', async () => {
    const res = await request(server, '/api/v2/upload-size-limits', { method: 'POST', body: { slug: 'anon-limit', max_size: 1024 } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(NOT_AUTHENTICATED)
    expect(one(`SELECT count(*) AS n FROM upload_size_limits WHERE slug = 'anon-limit'`).n).toBe(0)
  })

  it('lets admin create a limit with POST: 201 and the stored row', async () => {
    const body = { slug: 'test-size-limit', description: 'Five megabytes', max_size: 5242880 }
    const res = await request(server, '/api/v2/upload-size-limits', { method: 'POST', who: 'admin', body })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      'upload-size-limit': { ...body, max_size_label: '5.0\u00a0MB', link: `${server.url}/api/v2/upload-size-limits/test-size-limit` }
    })
    expect(one(`SELECT slug, description, max_size FROM upload_size_limits WHERE slug = 'test-size-limit'`)).toEqual(body)
  })
})

describe('GET /api/v2/uploads (spec 2.5, 3.10)', () => {
  it('is always empty for anonymous callers', async () => {
    const res = await request(server, '/api/v2/uploads')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ links: { next: null, previous: null }, total: 0, page: 1, page_size: 10, uploads: [] })
  })

  it('answers 404 for an unknown upload', async () => {
    const res = await request(server, '/api/v2/uploads/987654', { who: 'admin' })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Not found.' })
  })

  it("gives a user exactly their own uploads and admin everyone's", async () => {
    for (const username of [plain, other, 'admin']) {
      const items = await listAll('uploads', whoFor(username))
      const expected = username === 'admin' ? all('SELECT id FROM uploads') : all('SELECT id FROM uploads WHERE user_id = ?', userId(username))
      expect(items.map((u) => u.id).sort(), username).toEqual(expected.map((r) => r.id).sort())
    }
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
