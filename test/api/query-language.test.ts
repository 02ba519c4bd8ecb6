import type Sqlite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, envelopeKeys, request, startTestServer } from '../helpers/server'

// DREST query language on /api/v2/resources (spec 1.5, 1.6, 1.8, 0.1), checked against the database as ground truth.
// Filters run as admin, who sees every resource that is neither metadata-only nor dirty (spec 4.4).

let server: TestServer
let db: Sqlite.Database

beforeAll(async () => {
  server = await startTestServer({ resources: 200 })
  db = server.running.database.sqlite
})
afterAll(() => server.close())

const rows = <T = any>(sql: string, ...params: unknown[]): T[] => db.prepare(sql).all(...params) as T[]
const one = <T = any>(sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T

/** Ids of admin-visible resources matching a SQL condition on `r`. */
function truth(where: string, ...params: unknown[]): number[] {
  return rows<{ id: number }>(`SELECT r.id FROM resources r WHERE r.metadata_only = 0 AND r.dirty_state = 0 AND (${where}) ORDER BY r.id`, ...params).map((r) => r.id)
}

/** All admin-visible resource rows, for predicates SQL cannot express (regex, tokenised search). */
function truthWhere(predicate: (row: any) => boolean): number[] {
  return rows('SELECT * FROM resources r WHERE r.metadata_only = 0 AND r.dirty_state = 0 ORDER BY r.id').filter(predicate).map((r) => r.id)
}

/** Every matching pk (as numbers, sorted) and the reported total, in one page. */
async function fetchIds(query: string, who: 'admin' | 'anonymous' = 'admin'): Promise<number[]> {
  const res = await request(server, `/api/v2/resources?page_size=1000&${query}`, { who })
  expect(res.status, res.text).toBe(200)
  const pks: string[] = res.body.resources.map((r: any) => r.pk)
  expect(res.body.total).toBe(pks.length)
  expect(new Set(pks).size).toBe(pks.length)
  return pks.map(Number).sort((a, b) => a - b)
}

const q = (key: string, value: string) => `${key}=${encodeURIComponent(value)}`

describe('filter operators (spec 1.6)', () => {
  const cases: [string, () => [string, number[]]][] = [
    ['equality without an operator', () => ['filter{resource_type}=map', truth("r.resource_type = 'map'")]],
    ['eq, the same as no operator', () => ['filter{resource_type.eq}=document', truth("r.resource_type = 'document'")]],
    ['equality with the axios [] suffix', () => ['filter{resource_type}[]=document', truth("r.resource_type = 'document'")]],
    ['in with repeated keys', () => ['filter{resource_type.in}=map&filter{resource_type.in}=geostory', truth("r.resource_type IN ('map', 'geostory')")]],
    ['in with the [] suffix', () => ['filter{resource_type.in}[]=document&filter{resource_type.in}[]=geoapp', truth("r.resource_type IN ('document', 'geoapp')")]],
    ['icontains', () => [q('filter{title.icontains}', 'ROAD NETWORK'), truth("lower(r.title) LIKE '%road network%'")]],
    ['contains (case-sensitive)', () => [q('filter{title.contains}', 'Land'), truth("instr(r.title, 'Land') > 0")]],
    ['startswith', () => [q('filter{title.startswith}', 'Map of'), truth("substr(r.title, 1, 6) = 'Map of'")]],
    ['istartswith', () => [q('filter{title.istartswith}', 'mAP OF'), truth("lower(substr(r.title, 1, 6)) = 'map of'")]],
    ['endswith', () => [q('filter{title.endswith}', ')'), truth("substr(r.title, -1) = ')'")]],
    ['iendswith', () => [q('filter{title.iendswith}', 'COVER'), truth("lower(substr(r.title, -5)) = 'cover'")]],
    ['regex', () => [q('filter{title.regex}', '^[A-M].*\\(20[0-9]{2}\\)$'), truthWhere((r) => /^[A-M].*\(20[0-9]{2}\)$/.test(r.title))]],
    ['range (inclusive, numeric)', () => ['filter{popular_count.range}=9&filter{popular_count.range}=40', truth('r.popular_count BETWEEN 9 AND 40')]],
    ['gt', () => ['filter{popular_count.gt}=100', truth('r.popular_count > 100')]],
    ['gte', () => ['filter{share_count.gte}=5', truth('r.share_count >= 5')]],
    ['lt on a datetime', () => ['filter{date.lt}=2020-01-01', truth("r.date < '2020-01-01'")]],
    ['lte', () => ['filter{rating.lte}=2', truth('r.rating <= 2')]],
    ['isnull true', () => ['filter{purpose.isnull}=true', truth('r.purpose IS NULL')]],
    ['isnull with "no", which is truthy', () => ['filter{purpose.isnull}=no', truth('r.purpose IS NULL')]],
    ['isnull false', () => ['filter{purpose.isnull}=false', truth('r.purpose IS NOT NULL')]],
    ['isnull 0 on a relation', () => ['filter{category.isnull}=0', truth('r.category_id IS NOT NULL')]],
    ['year', () => ['filter{date.year}=2021', truth("strftime('%Y', r.date) = '2021'")]],
    ['month', () => ['filter{date.month}=3', truth("strftime('%m', r.date) = '03'")]],
    ['day', () => ['filter{date.day}=15', truth("strftime('%d', r.date) = '15'")]],
    ['week_day (1 = Sunday)', () => ['filter{date.week_day}=1', truth("strftime('%w', r.date) = '0'")]],
    ['a chained transform and operator, date.year.gte', () => ['filter{date.year.gte}=2020', truth("CAST(strftime('%Y', r.date) AS INTEGER) >= 2020")]],
    ['pk', () => [`filter{pk}=${server.seed!.fixtures.mapId}`, [server.seed!.fixtures.mapId]]],
    ['pk.in', () => ['filter{pk.in}=3&filter{pk.in}=7&filter{pk.in}=11', truth('r.id IN (3, 7, 11)')]],
    ['negation', () => ['filter{-resource_type}=layer', truth("r.resource_type <> 'layer'")]],
    ['negation combined with an include and another negation', () => [
      `filter{resource_type}=layer&${q('filter{-title.icontains}', 'land')}&filter{-featured}=true`,
      truth("r.resource_type = 'layer' AND lower(r.title) NOT LIKE '%land%' AND r.featured = 0")
    ]],
    ['boolean true', () => ['filter{featured}=true', truth('r.featured = 1')]],
    ['boolean "no", which is true', () => ['filter{featured}=no', truth('r.featured = 1')]],
    ['boolean "no" on another field', () => ['filter{is_approved}=no', truth('r.is_approved = 1')]],
    ['boolean false', () => ['filter{featured}=false', truth('r.featured = 0')]],
    ['boolean 0', () => ['filter{is_published}=0', truth('r.is_published = 0')]],
    ['boolean empty, which is false', () => ['filter{is_approved}=', truth('r.is_approved = 0')]],
    ['owner.username', () => [q('filter{owner.username}', server.seed!.fixtures.plainUser), truth('r.owner_id = (SELECT id FROM users WHERE username = ?)', server.seed!.fixtures.plainUser)]],
    ['keywords.name', () => {
      const k = one('SELECT k.name FROM keywords k JOIN resource_keywords rk ON rk.keyword_id = k.id WHERE k.name LIKE \'% %\' GROUP BY k.id ORDER BY count(*) DESC LIMIT 1')
      return [q('filter{keywords.name}', k.name), truth('r.id IN (SELECT rk.resource_id FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE k.name = ?)', k.name)]
    }],
    ['keywords.slug', () => {
      const k = one('SELECT k.slug FROM keywords k JOIN resource_keywords rk ON rk.keyword_id = k.id GROUP BY k.id ORDER BY count(*) DESC LIMIT 1')
      return [q('filter{keywords.slug}', k.slug), truth('r.id IN (SELECT rk.resource_id FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE k.slug = ?)', k.slug)]
    }],
    ['category.identifier', () => ['filter{category.identifier}=inlandWaters', truth("r.category_id = (SELECT id FROM topic_categories WHERE identifier = 'inlandWaters')")]],
    ['regions.name.icontains', () => ['filter{regions.name.icontains}=AFRICA', truth("r.id IN (SELECT rr.resource_id FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE lower(g.name) LIKE '%africa%')")]],
    ['regions.name.icontains, second value', () => ['filter{regions.name.icontains}=ia', truth("r.id IN (SELECT rr.resource_id FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE lower(g.name) LIKE '%ia%')")]],
    ['group.name', () => [q('filter{group.name}', server.seed!.fixtures.publicGroup), truth('r.group_id = (SELECT id FROM auth_groups WHERE name = ?)', server.seed!.fixtures.publicGroup)]],
    ['license.identifier', () => ['filter{license.identifier}=cc-by-4.0', truth("r.license_id = (SELECT id FROM licenses WHERE identifier = 'cc-by-4.0')")]]
  ]

  for (const [name, build] of cases) {
    it(`filters with ${name}`, async () => {
      const [query, expected] = build()
      expect(expected.length, `ground truth for ${query} is empty`).toBeGreaterThan(0)
      expect(await fetchIds(query)).toEqual(expected)
    })
  }

  it('answers an empty filter result with 200, total 0 and null links', async () => {
    const res = await request(server, `/api/v2/resources?${q('filter{title}', 'no such title anywhere')}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ links: { next: null, previous: null }, total: 0, page: 1, page_size: 10, resources: [] })
  })
})

describe('query errors (spec 1.8)', () => {
  const cases: [string, string, unknown][] = [
    ['filter{id}, which is not a field', 'filter{id}=3', ['Invalid filter field: id']],
    ['an unknown filter field', 'filter{foo}=1', ['Invalid filter field: foo']],
    ['a malformed filter key', 'filter{title=x', { detail: '"filter{title" is not a well-formed filter key.' }],
    ['an unknown sort field', 'sort[]=foo', ["Invalid filter field: ['foo']"]],
    ['an unknown include', 'include[]=foo', { detail: '"foo" is not a valid field name for "resource".' }],
    ['an unknown exclude', 'exclude[]=foo', { detail: '"foo" is not a valid field name for "resource".' }]
  ]
  for (const [name, query, body] of cases) {
    it(`rejects ${name} with the exact 400 body`, async () => {
      const res = await request(server, `/api/v2/resources?${query}`)
      expect(res.status).toBe(400)
      expect(res.body).toEqual(body)
    })
  }
})

describe('sorting', () => {
  const visible = 'r.metadata_only = 0 AND r.dirty_state = 0'
  async function listed(query: string): Promise<any[]> {
    const res = await request(server, `/api/v2/resources?page_size=1000&${query}`, { who: 'admin' })
    expect(res.status, res.text).toBe(200)
    return res.body.resources
  }

  it('sorts by title ascending and descending with sort[]', async () => {
    const titles = rows<{ title: string }>(`SELECT title FROM resources r WHERE ${visible} ORDER BY title`).map((r) => r.title)
    expect((await listed('sort[]=title')).map((r) => r.title)).toEqual(titles)
    expect((await listed('sort[]=-title')).map((r) => r.title)).toEqual([...titles].reverse())
  })

  it('sorts popular_count numerically although it is rendered as a string', async () => {
    const counts = rows<{ c: number }>(`SELECT popular_count AS c FROM resources r WHERE ${visible} ORDER BY popular_count`).map((r) => String(r.c))
    expect((await listed('sort[]=popular_count')).map((r) => r.popular_count)).toEqual(counts)
  })

  it('applies several sort[] keys in order', async () => {
    const ids = rows<{ id: number }>(`SELECT id FROM resources r WHERE ${visible} ORDER BY resource_type, popular_count DESC, id`).map((r) => String(r.id))
    expect((await listed('sort[]=resource_type&sort[]=-popular_count&sort[]=pk')).map((r) => r.pk)).toEqual(ids)
  })

  it('honours ordering= like sort[] (Mapshelf extension, spec 0.1)', async () => {
    const dates = rows<{ date: string }>(`SELECT date FROM resources r WHERE ${visible} ORDER BY date DESC`).map((r) => r.date)
    const got = (await listed('ordering=-date')).map((r) => r.date)
    expect(got.map((d: string) => Date.parse(d))).toEqual(dates.map((d) => Date.parse(d)))
  })

  it('orders by -last_updated by default', async () => {
    const stamps = rows<{ t: string }>(`SELECT last_updated AS t FROM resources r WHERE ${visible} ORDER BY last_updated DESC`).map((r) => Date.parse(r.t))
    expect((await listed('')).map((r) => Date.parse(r.last_updated))).toEqual(stamps)
  })
})

describe('include[] and exclude[]', () => {
  it('removes excluded fields and keeps the rest', async () => {
    const full = await request(server, '/api/v2/resources?page_size=3')
    const res = await request(server, '/api/v2/resources?page_size=3&exclude[]=abstract&exclude[]=owner')
    expect(res.status).toBe(200)
    const expected = Object.keys(full.body.resources[0]).filter((k) => k !== 'abstract' && k !== 'owner').sort()
    for (const item of res.body.resources) expect(Object.keys(item).sort()).toEqual(expected)
  })

  it('re-adds included fields after exclude[]=*', async () => {
    const res = await request(server, '/api/v2/resources?page_size=5&exclude[]=*&include[]=pk&include[]=title')
    expect(res.status).toBe(200)
    expect(res.body.resources).toHaveLength(5)
    for (const item of res.body.resources) {
      expect(Object.keys(item).sort()).toEqual(['pk', 'title'])
      expect(item.title).toBe(one('SELECT title FROM resources WHERE id = ?', Number(item.pk)).title)
    }
  })

  it('adds the deferred metadata field only with include[]=metadata', async () => {
    const plain = await request(server, '/api/v2/resources?page_size=3')
    for (const item of plain.body.resources) expect(item).not.toHaveProperty('metadata')
    const res = await request(server, '/api/v2/resources?page_size=3&include[]=metadata')
    expect(res.status).toBe(200)
    for (const item of res.body.resources) expect(Array.isArray(item.metadata)).toBe(true)
  })
})

describe('search=', () => {
  const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
  const tokens = (text: string) => fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean)

  function searchableText(id: number, row: any): string {
    const keywords = rows('SELECT k.name FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = ?', id).map((k) => k.name)
    const regions = rows('SELECT g.name, g.code FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE rr.resource_id = ?', id).map((g) => `${g.name} ${g.code}`)
    const category = row.category_id === null ? null : one('SELECT identifier, gn_description FROM topic_categories WHERE id = ?', row.category_id)
    const html = (s: string | null) => (s ?? '').replace(/<[^>]*>/g, ' ')
    return [row.title, html(row.abstract), row.purpose ?? '', ...keywords, ...regions, category ? `${category.identifier} ${category.gn_description ?? ''}` : ''].join(' ')
  }

  for (const term of ['hydrolog', 'Flood', 'transport']) {
    it(`matches "${term}" as a prefix over title, abstract, purpose, keywords, regions and category without search_fields`, async () => {
      const expected = truthWhere((r) => tokens(searchableText(r.id, r)).some((t) => t.startsWith(fold(term))))
      expect(expected.length).toBeGreaterThan(0)
      expect(await fetchIds(q('search', term))).toEqual(expected)
    })
  }

  it('requires every term to match at least one search_fields field (icontains)', async () => {
    const terms = ['road', 'network']
    const expected = truthWhere((r) => terms.every((t) => r.title.toLowerCase().includes(t) || r.abstract.toLowerCase().includes(t)))
    expect(expected.length).toBeGreaterThan(0)
    expect(await fetchIds(`${q('search', 'road network')}&search_fields=title&search_fields=abstract`)).toEqual(expected)
    expect(await fetchIds(`${q('search', 'road,network')}&search_fields=title&search_fields=abstract`)).toEqual(expected)
  })

  it('narrows to the listed fields only', async () => {
    const expected = truthWhere((r) => r.title.toLowerCase().includes('report'))
    expect(expected.length).toBeGreaterThan(0)
    expect(await fetchIds('search=report&search_fields=title')).toEqual(expected)
  })
})

describe('extent=', () => {
  type Box = [number, number, number, number]
  const intersects = (r: any, [x0, y0, x1, y1]: Box) =>
    r.ll_minx !== null && r.ll_minx <= x1 && r.ll_maxx >= x0 && r.ll_miny <= y1 && r.ll_maxy >= y0
  const inAny = (...boxes: Box[]) => truthWhere((r) => boxes.some((b) => intersects(r, b)))

  it('keeps resources whose bbox intersects a 4-number box', async () => {
    const expected = inAny([10.123457, 35.234567, 30.345679, 55.456789])
    expect(expected.length).toBeGreaterThan(0)
    expect(await fetchIds('extent=10.123457,35.234567,30.345679,55.456789')).toEqual(expected)
  })

  it('keeps every resource with a bbox for the whole world', async () => {
    expect(await fetchIds('extent=-180,-90,180,90')).toEqual(truth('r.ll_minx IS NOT NULL'))
  })

  it('ORs the two boxes of an 8-number extent', async () => {
    const expected = inAny([-180, 56.9689, -162.5977, 70.7435], [155.918, 56.9689, 180, 70.7435])
    const a = inAny([-75.123451, -40.234561, -50.345671, 10.456781], [100.123451, -10.234561, 140.345671, 40.456781])
    expect(a.length).toBeGreaterThan(0)
    expect(await fetchIds('extent=-75.123451,-40.234561,-50.345671,10.456781,100.123451,-10.234561,140.345671,40.456781')).toEqual(a)
    expect(await fetchIds('extent=-180.0000,56.9689,-162.5977,70.7435,155.9180,56.9689,180.0000,70.7435')).toEqual(expected)
  })

  it('splits a box that crosses the antimeridian (minx > maxx)', async () => {
    const expected = inAny([150.123457, -60.234567, 180, 60.345679], [-180, -60.234567, -150.456789, 60.345679])
    expect(expected.length).toBeGreaterThan(0)
    expect(await fetchIds('extent=150.123457,-60.234567,-150.456789,60.345679')).toEqual(expected)
  })

  for (const bad of ['1,2,3', 'a,b,c,d', '1,2,3,4,5']) {
    it(`rejects extent=${bad} with a 400 naming extent`, async () => {
      const res = await request(server, `/api/v2/resources?extent=${bad}`)
      expect(res.status).toBe(400)
      expect(res.text).toContain('extent')
      expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
    })
  }
})

describe('the paging envelope (spec 1.5)', () => {
  const total = () => truth('1').length

  it('has exactly five keys, ten items and page 1 by default', async () => {
    const res = await request(server, '/api/v2/resources', { who: 'admin' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
    expect(res.body.resources).toHaveLength(10)
    expect(res.body.page).toBe(1)
    expect(res.body.page_size).toBe(10)
    expect(res.body.total).toBe(total())
  })

  it('echoes page_size and does not cap it', async () => {
    const res = await request(server, '/api/v2/resources?page_size=17', { who: 'admin' })
    expect(res.body.page_size).toBe(17)
    expect(res.body.resources).toHaveLength(17)
    expect(res.body.total).toBe(total())
    const all = await request(server, '/api/v2/resources?page_size=1000', { who: 'admin' })
    expect(all.body.resources).toHaveLength(total())
  })

  it('echoes page_size=0 but serves ten items', async () => {
    const res = await request(server, '/api/v2/resources?page_size=0')
    expect(res.status).toBe(200)
    expect(res.body.page_size).toBe(0)
    expect(res.body.resources).toHaveLength(10)
  })

  it('pages through the whole list without gaps or repeats', async () => {
    const pages = Math.ceil(total() / 50)
    const seen: string[] = []
    for (let page = 1; page <= pages; page++) {
      const res = await request(server, `/api/v2/resources?page_size=50&page=${page}`, { who: 'admin' })
      expect(res.body.page).toBe(page)
      seen.push(...res.body.resources.map((r: any) => r.pk))
    }
    expect(seen.map(Number).sort((a, b) => a - b)).toEqual(truth('1'))
  })

  for (const field of ['page', 'page_size']) {
    it(`rejects a non-integer ${field} with a 400 naming the field`, async () => {
      const res = await request(server, `/api/v2/resources?${field}=abc`)
      expect(res.status).toBe(400)
      expect(Object.keys(res.body)).toContain(field)
    })
  }

  it('answers a page past the end with 404 Invalid page', async () => {
    const res = await request(server, `/api/v2/resources?page=${Math.ceil(total() / 10) + 1}`, { who: 'admin' })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ detail: 'Invalid page.' })
  })

  it('builds absolute next/previous links with sorted query keys; previous of page 2 has no page', async () => {
    const check = (link: string, expected: [string, string][]) => {
      const url = new URL(link)
      expect(url.origin).toBe(server.url)
      expect(url.pathname).toBe('/api/v2/resources/')
      expect([...url.searchParams.entries()]).toEqual(expected)
    }
    const page2 = await request(server, '/api/v2/resources/?sort[]=title&page_size=3&page=2', { who: 'admin' })
    check(page2.body.links.next, [['page', '3'], ['page_size', '3'], ['sort[]', 'title']])
    check(page2.body.links.previous, [['page_size', '3'], ['sort[]', 'title']])
    const page3 = await request(server, '/api/v2/resources/?sort[]=title&page_size=3&page=3', { who: 'admin' })
    check(page3.body.links.previous, [['page', '2'], ['page_size', '3'], ['sort[]', 'title']])
    const first = await request(server, '/api/v2/resources/?page_size=3', { who: 'admin' })
    expect(first.body.links.previous).toBeNull()
    const last = await request(server, `/api/v2/resources/?page_size=3&page=${Math.ceil(total() / 3)}`, { who: 'admin' })
    expect(last.status).toBe(200)
    expect(last.body.links.next).toBeNull()
  })
})

describe('server health', () => {
  it('logged no failure while answering this file', () => {
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})

describe('sideloading (DREST)', () => {
  it('replaces included user relations by pks and lists each user once under users', async () => {
    const res = await request(server, '/api/v2/resources?page_size=20&sideloading=true&include[]=owner.*&include[]=poc.*')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual([...envelopeKeys('resources'), 'users'].sort())
    const owners = new Set<number>()
    for (const item of res.body.resources) {
      const row = one('SELECT owner_id, poc_id FROM resources WHERE id = ?', Number(item.pk))
      expect(item.owner).toBe(row.owner_id)
      expect(item.poc).toBe(row.poc_id ?? row.owner_id)
      expect(typeof item.metadata_author).toBe('object')
      owners.add(item.owner).add(item.poc)
    }
    const users = res.body.users as { pk: number; username: string }[]
    expect(users.map((u) => u.pk).sort((a, b) => a - b)).toEqual([...owners].sort((a, b) => a - b))
    for (const u of users) expect(u.username).toBe(one('SELECT username FROM users WHERE id = ?', u.pk).username)
  })

  it('embeds users as objects when sideloading is not asked for', async () => {
    const res = await request(server, '/api/v2/resources?page_size=3&include[]=owner.*')
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
    expect(typeof res.body.resources[0].owner.username).toBe('string')
  })
})

describe('filters through to-one relations by a key', () => {
  it('match by category identifier, exclude it (keeping rows without a category), and match nothing for an unknown one', async () => {
    const { identifier } = one("SELECT c.identifier FROM topic_categories c JOIN resources r ON r.category_id = c.id GROUP BY c.id ORDER BY count(*) DESC LIMIT 1")
    const with_ = truth('r.category_id = (SELECT id FROM topic_categories WHERE identifier = ?)', identifier)
    const without = truth('r.category_id IS NULL OR r.category_id <> (SELECT id FROM topic_categories WHERE identifier = ?)', identifier)
    expect(with_.length).toBeGreaterThan(0)
    expect(without.some((id) => one('SELECT category_id FROM resources WHERE id = ?', id).category_id === null)).toBe(true)
    expect(await fetchIds(q('filter{category.identifier}', identifier))).toEqual(with_)
    expect(await fetchIds(q('filter{-category.identifier}', identifier))).toEqual(without)
    expect(await fetchIds(q('filter{category.identifier}', 'no-such-category'))).toEqual([])
    expect(await fetchIds(q('filter{-category.identifier}', 'no-such-category'))).toEqual(truth('1'))
  })

  it('sorts a category by date as asked', async () => {
    const { identifier } = one("SELECT c.identifier FROM topic_categories c JOIN resources r ON r.category_id = c.id GROUP BY c.id ORDER BY count(*) DESC LIMIT 1")
    const res = await request(server, `/api/v2/resources?page_size=1000&${q('filter{category.identifier}', identifier)}&sort[]=-date`, { who: 'admin' })
    const dates: string[] = res.body.resources.map((r: { date: string }) => r.date)
    expect(dates.length).toBeGreaterThan(1)
    expect(dates).toEqual([...dates].sort().reverse())
  })
})
