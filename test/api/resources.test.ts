import { sample } from '../helpers/samples'
import type Sqlite from 'better-sqlite3'
import { decodeHTML } from 'entities'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, envelopeKeys, request, startTestServer, user } from '../helpers/server'

// /api/v2/resources: objects, detail, actions and per-caller perms (spec 1.1, 1.4, 2.1, 3.1, 4.2, 4.3, 7, 10).

const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/
const VIEW = 'view_resourcebase'
const DOWNLOAD = 'download_resourcebase'
const OWNER_LAYER_PERMS = [
  VIEW, DOWNLOAD, 'change_resourcebase_metadata', 'change_resourcebase', 'delete_resourcebase',
  'change_resourcebase_permissions', 'publish_resourcebase', 'change_layer_data', 'change_layer_style'
]

let server: TestServer
let db: Sqlite.Database
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 200 })
  db = server.running.database.sqlite
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const rows = <T = any>(sql: string, ...params: unknown[]): T[] => db.prepare(sql).all(...params) as T[]
const one = <T = any>(sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T
const userId = (username: string): number => one('SELECT id FROM users WHERE username = ?', username).id
const sorted = (list: string[]) => [...list].sort()

/** Groups a caller belongs to: `anonymous` always, plus memberships. */
function groupsOf(uid: number | null): number[] {
  const anonymous = one("SELECT id FROM auth_groups WHERE name = 'anonymous'").id
  return [anonymous, ...(uid === null ? [] : rows('SELECT group_id FROM group_members WHERE user_id = ?', uid).map((r) => r.group_id))]
}

/** Codenames a caller holds on a resource, straight from the grant tables. */
function grants(resourceId: number, uid: number | null): string[] {
  const groups = groupsOf(uid)
  const viaGroups = rows(`SELECT codename FROM resource_group_perms WHERE resource_id = ? AND group_id IN (${groups.join(',')})`, resourceId)
  const viaUser = uid === null ? [] : rows('SELECT codename FROM resource_user_perms WHERE resource_id = ? AND user_id = ?', resourceId, uid)
  return sorted([...new Set([...viaGroups, ...viaUser].map((r) => r.codename))])
}

/** Resources a caller may see on /resources (view or change grant; spec 4.4). */
function visibleIds(uid: number | null): number[] {
  return rows('SELECT id FROM resources WHERE metadata_only = 0 AND dirty_state = 0 ORDER BY id')
    .map((r) => r.id)
    .filter((id) => grants(id, uid).some((c) => c === VIEW || c === 'change_resourcebase'))
}

/**
 * Sample keys with the conditional ones (spec 10 item 9) set for this caller. `links` is always there:
 * every resource has its catalogue records' metadata links, as on a GeoNode with its catalogue.
 */
function expectedKeys(sampleObject: object, _id: number, authenticated: boolean): string[] {
  const keys = Object.keys(sampleObject).filter((k) => k !== 'favorite' && k !== 'links')
  if (authenticated) keys.push('favorite')
  keys.push('links')
  return keys.sort()
}

const listLayer = () => sample('api_v2_resources_list.json').resources.find((r: any) => r.resource_type === 'layer')
const raw = (value: string | null) =>
  value === null ? 'None' : decodeHTML(value.replace(/<[^>]*>/g, '')).replace(/\r/g, '').replace(/\n/g, ' ').trim()

async function get(path: string, who: Who = 'anonymous') {
  return request(server, path, { who })
}

describe('URL variants (spec 1.1)', () => {
  it('answers the list with or without trailing slash, with .json and ?format=json', async () => {
    const totals: number[] = []
    for (const path of ['/api/v2/resources', '/api/v2/resources/', '/api/v2/resources.json', '/api/v2/resources?format=json']) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
      totals.push(res.body.total)
    }
    expect(totals).toEqual(Array(4).fill(visibleIds(null).length))
  })

  it('answers detail and action URLs with or without trailing slash and with .json', async () => {
    for (const path of [`/api/v2/resources/${fx.vectorLayerId}`, `/api/v2/resources/${fx.vectorLayerId}/`, `/api/v2/resources/${fx.vectorLayerId}.json`]) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(res.body.resource.pk).toBe(String(fx.vectorLayerId))
    }
    for (const path of ['/api/v2/resources/resource_types', '/api/v2/resources/resource_types/']) expect((await get(path)).status).toBe(200)
    for (const path of [`/api/v2/resources/${fx.vectorLayerId}/get_perms`, `/api/v2/resources/${fx.vectorLayerId}/get_perms/`]) {
      expect((await get(path, 'admin')).status).toBe(200)
    }
  })
})

describe('detail', () => {
  it('wraps the object in exactly one key, resource, with a string pk', async () => {
    const res = await get(`/api/v2/resources/${fx.mapId}`)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['resource'])
    expect(res.body.resource.pk).toBe(String(fx.mapId))
    expect(res.body.resource.resource_type).toBe('map')
  })

  const missing: [string, () => string][] = [
    ['an unknown id', () => String(one('SELECT max(id) AS id FROM resources').id + 1000)],
    ['a non-numeric id', () => 'abc'],
    ['a resource hidden from the caller', () => String(fx.privateLayerId)]
  ]
  for (const [name, id] of missing) {
    it(`answers 404 Not found for ${name}`, async () => {
      const res = await get(`/api/v2/resources/${id()}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ detail: 'Not found.' })
    })
  }

  it('gives the owner the keys of the detail sample, with favorite', async () => {
    const res = await get(`/api/v2/resources/${fx.vectorLayerId}`, user(fx.plainUser))
    expect(Object.keys(res.body.resource).sort()).toEqual(expectedKeys(sample('api_v2_resources_detail.json').resource, fx.vectorLayerId, true))
  })
})

describe('list items', () => {
  it('carry the keys of the sample layer item for anonymous callers (no favorite)', async () => {
    const res = await get('/api/v2/resources?page_size=60')
    expect(res.body.resources.length).toBeGreaterThan(10)
    for (const item of res.body.resources) expect(Object.keys(item).sort()).toEqual(expectedKeys(listLayer(), Number(item.pk), false))
  })

  it('add favorite for authenticated callers, true exactly for their favourites', async () => {
    const uid = userId(fx.plainUser)
    const favourites = new Set(rows('SELECT resource_id FROM favorites WHERE user_id = ?', uid).map((r) => r.resource_id))
    expect(favourites.has(fx.rasterLayerId)).toBe(true)
    const res = await get('/api/v2/resources?page_size=1000', user(fx.plainUser))
    for (const item of res.body.resources) {
      expect(Object.keys(item).sort()).toEqual(expectedKeys(listLayer(), Number(item.pk), true))
      expect(item.favorite).toBe(favourites.has(Number(item.pk)))
    }
  })

  it('render every field with the type and value the database holds', async () => {
    const res = await get('/api/v2/resources?page_size=80', 'admin')
    const userKeys = Object.keys(listLayer().owner).sort()
    const nullable = ['attribution', 'doi', 'edition', 'purpose', 'maintenance_frequency', 'constraints_other', 'data_quality_statement', 'alternate']
    for (const item of res.body.resources) {
      const r = one('SELECT * FROM resources WHERE id = ?', Number(item.pk))
      expect(item.pk).toBe(String(r.id))
      expect(item.polymorphic_ctype_id).toMatch(/^\d+$/)
      expect([item.uuid, item.resource_type, item.title, item.abstract, item.srid]).toEqual([r.uuid, r.resource_type, r.title, r.abstract, r.srid])
      expect([item.popular_count, item.share_count, item.rating]).toEqual([String(r.popular_count), String(r.share_count), String(r.rating)])
      expect([item.featured, item.is_published, item.is_approved, item.metadata_only]).toEqual([r.featured === 1, r.is_published === 1, r.is_approved === 1, false])
      expect(typeof item.processed).toBe('boolean')
      for (const field of nullable) expect(item[field], field).toBe(r[field])
      for (const [field, column] of [['owner', 'owner_id'], ['poc', 'poc_id'], ['metadata_author', 'metadata_author_id']]) {
        expect(Object.keys(item[field]).sort()).toEqual(userKeys)
        expect(item[field].pk).toBe(r[column])
        expect(Number.isInteger(item[field].pk)).toBe(true)
      }
      for (const field of ['created', 'last_updated', 'date']) {
        expect(item[field]).toMatch(DATETIME)
        expect(Date.parse(item[field])).toBe(Date.parse(r[field]))
      }
      for (const field of ['temporal_extent_start', 'temporal_extent_end']) {
        if (r[field] === null) expect(item[field]).toBeNull()
        else expect(item[field]).toMatch(DATETIME)
      }
      expect(item.ll_bbox_polygon).toEqual(JSON.parse(r.ll_bbox_polygon))
      expect(item.bbox_polygon).toEqual(JSON.parse(r.bbox_polygon))
      const keywords = rows('SELECT k.name, k.slug FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = ? ORDER BY k.slug', r.id)
      expect([...item.keywords].sort((a: any, b: any) => (a.slug < b.slug ? -1 : 1))).toEqual(keywords)
      const regions = rows('SELECT g.code, g.name FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE rr.resource_id = ? ORDER BY g.code', r.id)
      expect([...item.regions].sort((a: any, b: any) => (a.code < b.code ? -1 : 1))).toEqual(regions)
      const ref = (table: string, id: number | null) => (id === null ? null : { identifier: one(`SELECT identifier FROM ${table} WHERE id = ?`, id).identifier })
      expect(item.category).toEqual(ref('topic_categories', r.category_id))
      expect(item.license).toEqual(ref('licenses', r.license_id))
      expect(item.restriction_code_type).toEqual(ref('restriction_code_types', r.restriction_code_type_id))
      expect(item.group).toEqual(r.group_id === null ? null : { pk: r.group_id, name: one('SELECT name FROM auth_groups WHERE id = ?', r.group_id).name })
      expect(item.thumbnail_url).toBeNull()
      expect(item.link).toBe(`${server.url}/api/v2/resources/${r.id}`)
      const embed: Record<string, string> = {
        layer: `/layers/${r.alternate}/embed`, map: `/maps/${r.id}/embed`, document: `/documents/${r.id}/link`,
        geoapp: `/apps/${r.id}/embed`, geostory: `/apps/${r.id}/embed`
      }
      expect(item.embed_url).toBe(server.url + embed[r.resource_type])
      for (const field of ['abstract', 'purpose', 'constraints_other', 'supplemental_information', 'data_quality_statement']) {
        expect(item[`raw_${field}`], `raw_${field} of ${r.id}`).toBe(raw(r[field]))
      }
    }
  })

  it('render a null source of raw_* as the string "None" and strip HTML', async () => {
    const nullPurpose = one('SELECT id FROM resources WHERE purpose IS NULL AND resource_type = ? LIMIT 1', 'layer').id
    const html = one("SELECT id, abstract FROM resources WHERE abstract LIKE '<p>%' LIMIT 1")
    const a = await get(`/api/v2/resources/${nullPurpose}`, 'admin')
    expect(a.body.resource.purpose).toBeNull()
    expect(a.body.resource.raw_purpose).toBe('None')
    const b = await get(`/api/v2/resources/${html.id}`, 'admin')
    expect(b.body.resource.raw_abstract).toBe(raw(html.abstract))
    expect(b.body.resource.raw_abstract).not.toMatch(/[<>]/)
  })
})

describe('perms on objects (spec 4.3)', () => {
  const permsOf = async (id: number, who: Who) => sorted((await get(`/api/v2/resources/${id}`, who)).body.resource.perms)

  it('gives the owner of a vector layer the nine codenames', async () => {
    expect(await permsOf(fx.vectorLayerId, user(fx.plainUser))).toEqual(sorted(OWNER_LAYER_PERMS))
  })

  it('gives anonymous callers view and download on a public layer', async () => {
    expect(await permsOf(fx.vectorLayerId, 'anonymous')).toEqual(sorted([VIEW, DOWNLOAD]))
  })

  it('gives the superuser every applicable codename', async () => {
    expect(await permsOf(fx.vectorLayerId, 'admin')).toEqual(sorted(OWNER_LAYER_PERMS))
    expect(await permsOf(fx.rasterLayerId, 'admin')).toEqual(sorted(OWNER_LAYER_PERMS.filter((c) => c !== 'change_layer_data')))
    expect(await permsOf(fx.mapId, 'admin')).toEqual(sorted(OWNER_LAYER_PERMS.slice(0, 7).filter((c) => c !== DOWNLOAD)))
  })

  it('gives another registered user exactly their grants', async () => {
    for (const id of [fx.vectorLayerId, fx.rasterLayerId, fx.mapId, fx.imageDocumentId]) {
      expect(await permsOf(id, user(fx.otherUser)), `resource ${id}`).toEqual(grants(id, userId(fx.otherUser)))
    }
  })
})

describe('resource_types', () => {
  it('lists layer, map, document, geostory and dashboard with visible counts, never service', async () => {
    const res = await get('/api/v2/resources/resource_types')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['resource_types'])
    const names = sample('api_v2_resources_resource_types.json').resource_types.map((t: any) => t.name)
    expect(res.body.resource_types.map((t: any) => t.name)).toEqual(names)
    const visible = new Set(visibleIds(null))
    for (const entry of res.body.resource_types) {
      const ids = rows('SELECT id FROM resources WHERE resource_type = ?', entry.name).filter((r) => visible.has(r.id))
      expect(entry.count, entry.name).toBe(ids.length)
    }
  })
})

describe('approved, published and featured', () => {
  for (const [action, column] of [['approved', 'is_approved'], ['published', 'is_published'], ['featured', 'featured']]) {
    it(`lists visible ${column} resources with perms [] and no favorite, ignoring DREST params`, async () => {
      const visible = new Set(visibleIds(userId(fx.plainUser)))
      const expected = rows(`SELECT id FROM resources WHERE ${column} = 1 ORDER BY id`).map((r) => r.id).filter((id) => visible.has(id))
      expect(expected.length).toBeGreaterThan(0)
      const res = await get(`/api/v2/resources/${action}?page_size=1000`, user(fx.plainUser))
      expect(res.status).toBe(200)
      expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
      expect(res.body.resources.map((r: any) => Number(r.pk)).sort((a: number, b: number) => a - b)).toEqual(expected)
      for (const item of res.body.resources) {
        expect(item.perms).toEqual([])
        expect(item).not.toHaveProperty('favorite')
      }
      const filtered = await get(`/api/v2/resources/${action}?filter{resource_type}=geostory&sort[]=title`, user(fx.plainUser))
      expect(filtered.body.total).toBe(expected.length)
    })
  }
})

describe('favourites', () => {
  it('refuses anonymous callers with 403', async () => {
    const res = await get('/api/v2/resources/favorites')
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('lists the caller favourites under the key favorites', async () => {
    const uid = userId(fx.plainUser)
    const expected = rows('SELECT resource_id AS id FROM favorites WHERE user_id = ? ORDER BY resource_id', uid).map((r) => r.id)
    const res = await get('/api/v2/resources/favorites?page_size=100', user(fx.plainUser))
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('favorites'))
    expect(res.body.favorites.map((r: any) => Number(r.pk)).sort((a: number, b: number) => a - b)).toEqual(expected)
    for (const item of res.body.favorites) expect(item.perms).toEqual([])
  })

  it('filters /resources to the caller favourites with favorite=true', async () => {
    const uid = userId(fx.plainUser)
    const expected = rows('SELECT resource_id AS id FROM favorites WHERE user_id = ? ORDER BY resource_id', uid).map((r) => r.id)
    expect(expected).toContain(fx.rasterLayerId)
    const res = await get('/api/v2/resources?favorite=true&page_size=100', user(fx.plainUser))
    expect(res.body.resources.map((r: any) => Number(r.pk)).sort((a: number, b: number) => a - b)).toEqual(expected)
    expect(res.body.resources.every((r: any) => r.favorite === true)).toBe(true)
  })
})

describe('get_perms (spec 4.2)', () => {
  function grantTable(id: number) {
    const users: Record<string, string[]> = {}
    const groups: Record<string, string[]> = {}
    for (const r of rows('SELECT u.username AS n, p.codename AS c FROM resource_user_perms p JOIN users u ON u.id = p.user_id WHERE p.resource_id = ?', id)) (users[r.n] ??= []).push(r.c)
    for (const r of rows('SELECT g.name AS n, p.codename AS c FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE p.resource_id = ?', id)) (groups[r.n] ??= []).push(r.c)
    return { users, groups }
  }
  const normalise = (spec: { users: Record<string, string[]>; groups: Record<string, string[]> }) => ({
    users: Object.fromEntries(Object.entries(spec.users).map(([k, v]) => [k, sorted(v)])),
    groups: Object.fromEntries(Object.entries(spec.groups).map(([k, v]) => [k, sorted(v)]))
  })

  it('refuses anonymous callers with 403', async () => {
    const res = await get(`/api/v2/resources/${fx.vectorLayerId}/get_perms`)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('answers the owner and the admin with the stored grants, anonymous shown as group anonymous', async () => {
    for (const who of [user(fx.plainUser), 'admin'] as Who[]) {
      const res = await get(`/api/v2/resources/${fx.vectorLayerId}/get_perms`, who)
      expect(res.status).toBe(200)
      expect(Object.keys(res.body).sort()).toEqual(Object.keys(sample('api_v2_resources_get_perms.json')).sort())
      expect(normalise(res.body)).toEqual(normalise(grantTable(fx.vectorLayerId)))
      expect(sorted(res.body.groups.anonymous)).toEqual(sorted([VIEW, DOWNLOAD]))
      expect(sorted(res.body.users[fx.plainUser])).toEqual(sorted(OWNER_LAYER_PERMS))
      expect(res.body.users).not.toHaveProperty('AnonymousUser')
    }
  })

  it('refuses a stranger without explicit grants with 403', async () => {
    const stranger = one(
      `SELECT username FROM users WHERE id > 1000 AND is_staff = 0 AND is_superuser = 0
         AND id NOT IN (SELECT user_id FROM resource_user_perms WHERE resource_id = ?) ORDER BY id LIMIT 1`,
      fx.vectorLayerId
    ).username
    const res = await get(`/api/v2/resources/${fx.vectorLayerId}/get_perms`, user(stranger))
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' })
  })
})

describe('server health', () => {
  it('logged no failure while answering this file', () => {
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})
