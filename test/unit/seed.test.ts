import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Sqlite from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { openDatabase, type OpenedDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { insertReferenceData, slugify } from '../../src-main/db/reference-data'
import { DEMO_PASSWORD, seedCatalogue, type SeedOptions, type SeedSummary } from '../../src-main/seed/seed'
import { verifyPassword } from '../../src-main/services/passwords'
import { DATABASE_FILE } from '../../src-main/product'
import { applicablePermissions, publicPermissions, type StoreType } from '../../src-shared/api/permissions'

const NOW = new Date('2026-11-27T10:00:00Z')
const OPTIONS: SeedOptions = { resources: 300, seed: 42, now: NOW }
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function insertSystemRows(sqlite: Sqlite.Database): void {
  sqlite.transaction(() => {
    sqlite
      .prepare(`INSERT INTO users (id, uuid, username, is_superuser, is_staff) VALUES (-1, ?, 'AnonymousUser', 0, 0)`)
      .run('00000000-0000-4000-8000-000000000001')
    sqlite
      .prepare(`INSERT INTO users (id, uuid, username, email, is_superuser, is_staff) VALUES (1000, ?, 'admin', 'admin@localhost', 1, 1)`)
      .run('00000000-0000-4000-8000-000000001000')
    for (const name of ['anonymous', 'contributors', 'registered-members']) sqlite.prepare('INSERT INTO auth_groups (name) VALUES (?)').run(name)
    sqlite
      .prepare(
        `INSERT INTO group_profiles (uuid, group_id, title, slug, access)
         VALUES (?, (SELECT id FROM auth_groups WHERE name = 'registered-members'), 'Registered Members', 'registered-members', 'private')`
      )
      .run('00000000-0000-4000-8000-0000000000aa')
  })()
}

async function freshCatalogue(filename = ':memory:'): Promise<OpenedDatabase> {
  const opened = openDatabase(filename)
  await migrateToLatest(opened.db)
  insertSystemRows(opened.sqlite)
  opened.sqlite.transaction(() => insertReferenceData(opened.sqlite))()
  return opened
}

async function seeded(options: SeedOptions): Promise<{ opened: OpenedDatabase; summary: SeedSummary }> {
  const opened = await freshCatalogue()
  return { opened, summary: seedCatalogue(opened.sqlite, options) }
}

const all = <T>(sqlite: Sqlite.Database, source: string, ...params: unknown[]): T[] => sqlite.prepare(source).all(...params) as T[]
const one = <T>(sqlite: Sqlite.Database, source: string, ...params: unknown[]): T => sqlite.prepare(source).get(...params) as T
const count = (sqlite: Sqlite.Database, source: string, ...params: unknown[]): number =>
  (sqlite.prepare(source).pluck().get(...params) as number) ?? 0
const groupId = (sqlite: Sqlite.Database, name: string): number => one<{ id: number }>(sqlite, 'SELECT id FROM auth_groups WHERE name = ?', name).id

describe('insertReferenceData', () => {
  let opened: OpenedDatabase

  beforeAll(async () => {
    opened = await freshCatalogue()
  })
  afterAll(() => opened.close())

  it('ships GeoNode vocabularies', () => {
    const { sqlite } = opened
    expect(count(sqlite, 'SELECT count(*) FROM topic_categories WHERE is_choice = 1')).toBe(19)
    expect(one(sqlite, "SELECT gn_description, fa_class FROM topic_categories WHERE identifier = 'transportation'")).toEqual({
      gn_description: 'Transportation',
      fa_class: 'fa-truck'
    })
    expect(count(sqlite, "SELECT count(*) FROM licenses WHERE identifier = 'not_specified' AND name = 'Not Specified'")).toBe(1)
    expect(count(sqlite, 'SELECT count(*) FROM restriction_code_types')).toBe(8)
    expect(count(sqlite, 'SELECT count(*) FROM spatial_representation_types')).toBe(6)
    expect(count(sqlite, 'SELECT count(*) FROM group_categories')).toBeGreaterThanOrEqual(3)
    expect(all(sqlite, 'SELECT slug, max_size FROM upload_size_limits ORDER BY slug')).toEqual([
      { slug: 'dataset_upload_size', max_size: 104857600 },
      { slug: 'document_upload_size', max_size: 104857600 },
      { slug: 'file_upload_handler', max_size: 1073741824 },
      { slug: 'total_upload_size_sum', max_size: 104857600 }
    ])
  })

  it('ships the INSPIRE thesaurus with slugified URIs and English labels', () => {
    const { sqlite } = opened
    expect(one(sqlite, "SELECT title, uri FROM thesauri WHERE identifier = 'inspire-theme'")).toEqual({
      title: 'GEMET - INSPIRE themes, version 1.0',
      uri: 'http://inspire.ec.europa.eu/theme'
    })
    expect(count(sqlite, 'SELECT count(*) FROM thesaurus_keywords')).toBe(34)
    expect(
      one(sqlite, "SELECT k.about, k.slug, l.lang, l.label FROM thesaurus_keywords k JOIN thesaurus_keyword_labels l ON l.keyword_id = k.id WHERE k.alt_label = 'mf'")
    ).toEqual({
      about: 'http://inspire.ec.europa.eu/theme/mf',
      slug: 'http-inspire-ec-europa-eu-theme-mf',
      lang: 'en',
      label: 'Meteorological geographical features'
    })
    expect(count(sqlite, 'SELECT count(*) FROM thesaurus_keyword_labels')).toBe(34)
  })

  it('builds a consistent MPTT region tree under Global', () => {
    const { sqlite } = opened
    const regions = all<{ id: number; code: string; parent_id: number | null; lft: number; rght: number; tree_id: number; level: number }>(
      sqlite,
      'SELECT id, code, parent_id, lft, rght, tree_id, level FROM regions'
    )
    const byId = new Map(regions.map((r) => [r.id, r]))
    expect(regions.filter((r) => r.parent_id === null).map((r) => r.code)).toEqual(['GLO'])
    expect(regions.length).toBeGreaterThan(60)
    for (const region of regions) {
      const descendants = regions.filter((r) => r.lft > region.lft && r.rght < region.rght)
      expect(region.rght - region.lft).toBe(2 * descendants.length + 1)
      expect(region.tree_id).toBe(1)
      if (region.parent_id === null) continue
      const parent = byId.get(region.parent_id)!
      expect(region.lft).toBeGreaterThan(parent.lft)
      expect(region.rght).toBeLessThan(parent.rght)
      expect(region.level).toBe(parent.level + 1)
    }
    const kenya = one<{ bbox_x0: number; bbox_x1: number; bbox_y0: number; bbox_y1: number }>(
      sqlite,
      "SELECT bbox_x0, bbox_x1, bbox_y0, bbox_y1 FROM regions WHERE code = 'KEN'"
    )
    expect(kenya.bbox_x0).toBeLessThan(kenya.bbox_x1)
    expect(kenya.bbox_y0).toBeLessThan(kenya.bbox_y1)
    expect(count(sqlite, "SELECT count(*) FROM regions WHERE name LIKE '%Africa%'")).toBe(8)
  })

  it('is harmless when run again', () => {
    const { sqlite } = opened
    const tables = ['topic_categories', 'licenses', 'restriction_code_types', 'spatial_representation_types', 'regions', 'thesauri',
      'thesaurus_keywords', 'thesaurus_keyword_labels', 'group_categories', 'upload_size_limits', 'changes']
    const snapshot = () => tables.map((t) => count(sqlite, `SELECT count(*) FROM ${t}`))
    const regions = () => all(sqlite, 'SELECT * FROM regions ORDER BY id')
    const before = snapshot()
    const regionsBefore = regions()
    sqlite.transaction(() => insertReferenceData(sqlite))()
    expect(snapshot()).toEqual(before)
    expect(regions()).toEqual(regionsBefore)
  })
})

describe('seedCatalogue', () => {
  let opened: OpenedDatabase
  let summary: SeedSummary
  let sqlite: Sqlite.Database

  beforeAll(async () => {
    ;({ opened, summary } = await seeded(OPTIONS))
    sqlite = opened.sqlite
  })
  afterAll(() => opened.close())

  it('reports what it created, with the requested mix of types', () => {
    expect(summary.users).toBe(10)
    expect(summary.groups).toBe(4)
    expect(summary.resources).toEqual({ total: 300, layer: 165, map: 60, document: 60, geoapp: 9, geostory: 6 })
    const byType = Object.fromEntries(
      all<{ t: string; n: number }>(sqlite, 'SELECT resource_type AS t, count(*) AS n FROM resources GROUP BY 1').map((r) => [r.t, r.n])
    )
    expect(byType).toEqual({ layer: 165, map: 60, document: 60, geoapp: 9, geostory: 6 })
    expect(summary.vectorLayers + summary.rasterLayers).toBe(165)
    expect(summary.vectorLayers / 165).toBeGreaterThan(0.65)
    expect(summary.mapLayers).toBe(count(sqlite, 'SELECT count(*) FROM map_layers'))
    expect(summary.documentLinks).toBe(count(sqlite, 'SELECT count(*) FROM document_links'))
    expect(summary.keywords).toBe(count(sqlite, 'SELECT count(*) FROM keywords'))
    expect(summary.resourceKeywords).toBe(count(sqlite, 'SELECT count(*) FROM resource_keywords'))
    expect(summary.userPerms).toBe(count(sqlite, 'SELECT count(*) FROM resource_user_perms'))
    expect(summary.groupPerms).toBe(count(sqlite, 'SELECT count(*) FROM resource_group_perms'))
    expect(summary.favorites).toBe(count(sqlite, 'SELECT count(*) FROM favorites'))
    expect(count(sqlite, 'SELECT count(*) FROM layers')).toBe(165)
    expect(count(sqlite, 'SELECT count(*) FROM maps')).toBe(60)
    expect(count(sqlite, 'SELECT count(*) FROM documents')).toBe(60)
    expect(count(sqlite, "SELECT count(*) FROM geoapps WHERE app_type = 'GeoStory'")).toBe(6)
    expect(count(sqlite, "SELECT count(*) FROM geoapps WHERE app_type = 'GeoDashboard'")).toBe(9)
  })

  it('leaves every foreign key satisfied', () => {
    expect(sqlite.pragma('foreign_key_check')).toEqual([])
  })

  it('is deterministic for the same options', async () => {
    const other = await seeded(OPTIONS)
    const queries = [
      'SELECT id, uuid, resource_type, title, abstract, owner_id, group_id, ll_minx, ll_maxy, created, last_updated FROM resources ORDER BY id',
      'SELECT resource_id, user_id, codename FROM resource_user_perms ORDER BY 1, 2, 3',
      'SELECT resource_id, group_id, codename FROM resource_group_perms ORDER BY 1, 2, 3',
      'SELECT id, uuid, username, email FROM users ORDER BY id',
      'SELECT uuid, slug, access FROM group_profiles ORDER BY id',
      'SELECT uuid, map_id, dataset_id, stack_order FROM map_layers ORDER BY id',
      'SELECT resource_id, keyword_id FROM resource_keywords ORDER BY 1, 2'
    ]
    try {
      for (const query of queries) expect(all(other.opened.sqlite, query)).toEqual(all(sqlite, query))
      expect(other.summary).toEqual(summary)
    } finally {
      await other.opened.close()
    }
  })

  it('changes with the seed', async () => {
    const other = await seeded({ ...OPTIONS, seed: 43 })
    try {
      const titles = (db: Sqlite.Database) => all<{ title: string }>(db, 'SELECT title FROM resources ORDER BY id').map((r) => r.title)
      expect(titles(other.opened.sqlite)).not.toEqual(titles(sqlite))
    } finally {
      await other.opened.close()
    }
  })

  it('creates plain users with deterministic v4 uuids, the demo password and the system memberships', () => {
    const users = all<{ id: number; uuid: string; username: string; is_superuser: number; password_hash: string; created: string }>(
      sqlite,
      'SELECT id, uuid, username, is_superuser, password_hash, created FROM users WHERE id > 1000 ORDER BY id'
    )
    expect(users.map((u) => u.id)).toEqual(Array.from({ length: 10 }, (_, i) => 1001 + i))
    expect(new Set(users.map((u) => u.username)).size).toBe(10)
    for (const user of users) {
      expect(user.uuid).toMatch(UUID4)
      expect(user.username).toMatch(/^[a-z]+\.[a-z]+\d*$/)
      expect(user.is_superuser).toBe(0)
      expect(user.created).toMatch(MICROS)
    }
    expect(new Set(users.map((u) => u.password_hash)).size).toBe(1)
    expect(verifyPassword(DEMO_PASSWORD, users[0].password_hash)).toBe(true)
    expect(count(sqlite, 'SELECT count(*) FROM users WHERE is_superuser = 1')).toBe(1)
    for (const name of ['contributors', 'registered-members']) {
      expect(count(sqlite, "SELECT count(*) FROM group_members WHERE group_id = ? AND user_id > 1000 AND role = 'member'", groupId(sqlite, name))).toBe(10)
    }
    expect(count(sqlite, 'SELECT count(*) FROM group_members WHERE group_id = ?', groupId(sqlite, 'anonymous'))).toBe(0)
  })

  it('creates groups of every access level with managers and members', () => {
    const groups = all<{ group_id: number; slug: string; access: string; uuid: string; name: string }>(
      sqlite,
      "SELECT p.group_id, p.slug, p.access, p.uuid, g.name FROM group_profiles p JOIN auth_groups g ON g.id = p.group_id WHERE p.slug <> 'registered-members'"
    )
    expect(groups).toHaveLength(4)
    expect(new Set(groups.map((g) => g.access))).toEqual(new Set(['public', 'public-invite', 'private']))
    for (const group of groups) {
      expect(group.name).toBe(group.slug)
      expect(group.uuid).toMatch(UUID4)
      const managers = count(sqlite, "SELECT count(*) FROM group_members WHERE group_id = ? AND role = 'manager'", group.group_id)
      const members = count(sqlite, "SELECT count(*) FROM group_members WHERE group_id = ? AND role = 'member'", group.group_id)
      expect(managers).toBeGreaterThanOrEqual(1)
      expect(managers).toBeLessThanOrEqual(2)
      expect(members).toBeGreaterThanOrEqual(3)
    }
  })

  it('gives every owner the full applicable permission set', () => {
    const rows = all<{ id: number; resource_type: string; owner_id: number; store_type: StoreType | null; perms: string | null }>(
      sqlite,
      `SELECT r.id, r.resource_type, r.owner_id, l.store_type,
         (SELECT group_concat(codename, ',') FROM resource_user_perms p WHERE p.resource_id = r.id AND p.user_id = r.owner_id) AS perms
       FROM resources r LEFT JOIN layers l ON l.resource_id = r.id`
    )
    expect(rows).toHaveLength(300)
    for (const row of rows) {
      expect(new Set(row.perms?.split(','))).toEqual(new Set(applicablePermissions(row.resource_type, row.store_type)))
    }
  })

  it('makes about 70% of resources public through the anonymous group', () => {
    const anonymous = groupId(sqlite, 'anonymous')
    const rows = all<{ resource_type: string; perms: string | null }>(
      sqlite,
      `SELECT r.resource_type, (SELECT group_concat(codename, ',') FROM resource_group_perms p WHERE p.resource_id = r.id AND p.group_id = ?) AS perms
       FROM resources r`,
      anonymous
    )
    const open = rows.filter((r) => r.perms !== null)
    expect(open.length / rows.length).toBeGreaterThan(0.6)
    expect(open.length / rows.length).toBeLessThan(0.8)
    for (const row of open) expect(new Set(row.perms!.split(','))).toEqual(new Set(publicPermissions(row.resource_type)))
  })

  it('grants a resource group view rights and its managers full rights', () => {
    const rows = all<{ id: number; resource_type: string; group_id: number; store_type: StoreType | null }>(
      sqlite,
      'SELECT r.id, r.resource_type, r.group_id, l.store_type FROM resources r LEFT JOIN layers l ON l.resource_id = r.id WHERE r.group_id IS NOT NULL'
    )
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      const groupPerms = all<{ codename: string }>(
        sqlite,
        'SELECT codename FROM resource_group_perms WHERE resource_id = ? AND group_id = ?',
        row.id,
        row.group_id
      )
      expect(new Set(groupPerms.map((p) => p.codename))).toEqual(new Set(publicPermissions(row.resource_type)))
      const managers = all<{ user_id: number }>(sqlite, "SELECT user_id FROM group_members WHERE group_id = ? AND role = 'manager'", row.group_id)
      for (const { user_id } of managers) {
        const perms = all<{ codename: string }>(sqlite, 'SELECT codename FROM resource_user_perms WHERE resource_id = ? AND user_id = ?', row.id, user_id)
        expect(new Set(perms.map((p) => p.codename))).toEqual(new Set(applicablePermissions(row.resource_type, row.store_type)))
      }
    }
  })

  it('provides the named fixtures', () => {
    const { fixtures } = summary
    const plain = one<{ id: number; is_staff: number; is_superuser: number }>(
      sqlite,
      'SELECT id, is_staff, is_superuser FROM users WHERE username = ?',
      fixtures.plainUser
    )
    expect(plain).toMatchObject({ is_staff: 0, is_superuser: 0 })
    const anonymous = groupId(sqlite, 'anonymous')
    const isPublic = (id: number) => count(sqlite, 'SELECT count(*) FROM resource_group_perms WHERE resource_id = ? AND group_id = ?', id, anonymous) > 0

    const vector = one<Record<string, unknown>>(
      sqlite,
      'SELECT r.resource_type, r.owner_id, r.category_id, r.alternate, l.store_type, l.name FROM resources r JOIN layers l ON l.resource_id = r.id WHERE r.id = ?',
      fixtures.vectorLayerId
    )
    expect(vector).toMatchObject({ resource_type: 'layer', owner_id: plain.id, store_type: 'dataStore', alternate: `geonode:${vector.name}` })
    expect(vector.category_id).not.toBeNull()
    expect(count(sqlite, 'SELECT count(*) FROM resource_keywords WHERE resource_id = ?', fixtures.vectorLayerId)).toBeGreaterThan(0)
    expect(isPublic(fixtures.vectorLayerId)).toBe(true)

    expect(one(sqlite, 'SELECT store_type FROM layers WHERE resource_id = ?', fixtures.rasterLayerId)).toEqual({ store_type: 'coverageStore' })
    expect(all(sqlite, "SELECT attribute FROM layer_attributes WHERE layer_id = ?", fixtures.rasterLayerId)).toEqual([{ attribute: 'GRAY_INDEX' }])

    const mapDatasets = all<{ dataset_id: number }>(
      sqlite,
      'SELECT dataset_id FROM map_layers WHERE map_id = ? AND dataset_id IS NOT NULL ORDER BY stack_order',
      fixtures.mapId
    )
    expect(mapDatasets.map((m) => m.dataset_id)).toEqual([fixtures.vectorLayerId, fixtures.rasterLayerId])

    expect(one(sqlite, 'SELECT doc_type, extension, mime_type FROM documents WHERE resource_id = ?', fixtures.imageDocumentId)).toEqual({
      doc_type: 'image',
      extension: 'png',
      mime_type: 'image/png'
    })
    const image = one<{ doc_file: string | null }>(sqlite, 'SELECT doc_file FROM documents WHERE resource_id = ?', fixtures.imageDocumentId)
    expect(image.doc_file).toBeTruthy()
    expect(all(sqlite, 'SELECT resource_id FROM document_links WHERE document_id = ?', fixtures.imageDocumentId)).toEqual([
      { resource_id: fixtures.vectorLayerId }
    ])

    const access = (slug: string) => one<{ access: string }>(sqlite, 'SELECT access FROM group_profiles WHERE slug = ?', slug).access
    expect(access(fixtures.publicGroup)).toBe('public')
    expect(access(fixtures.privateGroup)).toBe('private')
    expect(access(fixtures.publicInviteGroup)).toBe('public-invite')
    const role = (slug: string) =>
      one<{ role: string } | undefined>(
        sqlite,
        'SELECT m.role FROM group_members m JOIN auth_groups g ON g.id = m.group_id WHERE g.name = ? AND m.user_id = ?',
        slug,
        plain.id
      )?.role
    expect(role(fixtures.publicGroup)).toBe('manager')
    expect(role(fixtures.privateGroup)).toBeUndefined()

    expect(isPublic(fixtures.privateLayerId)).toBe(false)
    expect(one(sqlite, 'SELECT group_id FROM resources WHERE id = ?', fixtures.privateLayerId)).toEqual({
      group_id: groupId(sqlite, fixtures.privateGroup)
    })
    expect(count(sqlite, 'SELECT count(*) FROM resource_user_perms WHERE resource_id = ? AND user_id = ?', fixtures.privateLayerId, plain.id)).toBe(0)
  })

  it('stores valid lon/lat extents, mirrored in resource_extents', () => {
    type Row = Record<'id' | 'll_minx' | 'll_miny' | 'll_maxx' | 'll_maxy', number> & Record<'srid' | 'll_bbox_polygon' | 'bbox_polygon', string>
    const rows = all<Row>(
      sqlite,
      'SELECT id, srid, ll_minx, ll_miny, ll_maxx, ll_maxy, ll_bbox_polygon, bbox_polygon FROM resources'
    )
    for (const r of rows) {
      expect(r.ll_minx).toBeLessThanOrEqual(r.ll_maxx)
      expect(r.ll_miny).toBeLessThanOrEqual(r.ll_maxy)
      for (const x of [r.ll_minx, r.ll_maxx]) expect(Math.abs(x)).toBeLessThanOrEqual(180)
      for (const y of [r.ll_miny, r.ll_maxy]) expect(Math.abs(y)).toBeLessThanOrEqual(90)
      expect(JSON.parse(r.ll_bbox_polygon)).toEqual({
        type: 'Polygon',
        coordinates: [[[r.ll_minx, r.ll_miny], [r.ll_minx, r.ll_maxy], [r.ll_maxx, r.ll_maxy], [r.ll_maxx, r.ll_miny], [r.ll_minx, r.ll_miny]]]
      })
      if (r.srid === 'EPSG:4326') expect(r.bbox_polygon).toBe(r.ll_bbox_polygon)
      else expect(r.srid).toBe('EPSG:3857')
    }
    const extents = all<{ id: number; minx: number; maxx: number; miny: number; maxy: number }>(sqlite, 'SELECT * FROM resource_extents')
    expect(extents).toHaveLength(300)
    const byId = new Map(rows.map((r) => [r.id, r]))
    for (const e of extents) {
      const r = byId.get(e.id)!
      expect(e.minx).toBeCloseTo(r.ll_minx, 3)
      expect(e.maxy).toBeCloseTo(r.ll_maxy, 3)
    }
  })

  it('projects EPSG:3857 bboxes with spherical mercator', () => {
    const projected = all<{ ll_minx: number; ll_maxy: number; bbox_polygon: string }>(
      sqlite,
      "SELECT ll_minx, ll_maxy, bbox_polygon FROM resources WHERE srid = 'EPSG:3857'"
    )
    expect(projected.length).toBeGreaterThan(0)
    for (const r of projected) {
      const [[, [x, y]]] = JSON.parse(r.bbox_polygon).coordinates as number[][][]
      expect(x).toBeCloseTo((6378137 * r.ll_minx * Math.PI) / 180, 1)
      expect(y).toBeCloseTo(6378137 * Math.log(Math.tan(Math.PI / 4 + (r.ll_maxy * Math.PI) / 360)), 1)
    }
  })

  it('indexes every resource for full-text search with its keywords and regions', () => {
    type Row = { id: number; title: string; keywords: string; regions: string } & Record<`search_${'title' | 'keywords' | 'regions'}`, string | null>
    const rows = all<Row>(
      sqlite,
      `SELECT r.id, r.title,
         coalesce((SELECT group_concat(k.name, ' ') FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = r.id), '') AS keywords,
         coalesce((SELECT group_concat(g.code, ' ') FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE rr.resource_id = r.id), '') AS regions,
         s.title AS search_title, s.keywords AS search_keywords, s.regions AS search_regions
       FROM resources r LEFT JOIN resource_search s ON s.rowid = r.id`
    )
    expect(count(sqlite, 'SELECT count(*) FROM resource_search')).toBe(300)
    for (const row of rows) {
      expect(row.search_title).toBe(row.title)
      for (const word of row.keywords.split(' ').filter(Boolean)) expect(row.search_keywords).toContain(word)
      for (const code of row.regions.split(' ').filter(Boolean)) expect(row.search_regions).toContain(code)
    }
    expect(count(sqlite, 'SELECT count(*) FROM resource_regions')).toBeGreaterThanOrEqual(300)
  })

  it('stamps created/last_updated with microseconds, increasing with id', () => {
    const rows = all<{ id: number; created: string; last_updated: string; date: string }>(
      sqlite,
      'SELECT id, created, last_updated, date FROM resources ORDER BY id'
    )
    for (const [index, row] of rows.entries()) {
      expect(row.created).toMatch(MICROS)
      expect(row.last_updated).toMatch(MICROS)
      expect(row.date).toMatch(MICROS)
      expect(row.last_updated >= row.created).toBe(true)
      expect(row.last_updated < NOW.toISOString()).toBe(true)
      if (index > 0) expect(row.created > rows[index - 1].last_updated).toBe(true)
    }
    const newestFirst = all<{ id: number }>(sqlite, 'SELECT id FROM resources ORDER BY last_updated DESC').map((r) => r.id)
    expect(newestFirst).toEqual(rows.map((r) => r.id).reverse())
  })

  it('logs the inserts in changes through the triggers', () => {
    expect(count(sqlite, "SELECT count(*) FROM changes WHERE table_name = 'resources' AND op = 'insert'")).toBe(300)
    expect(
      count(sqlite, "SELECT count(*) FROM changes c JOIN resources r ON c.row_key = CAST(r.id AS TEXT) AND c.row_uuid = r.uuid WHERE c.table_name = 'resources'")
    ).toBe(300)
    expect(count(sqlite, "SELECT count(*) FROM changes WHERE table_name = 'resource_user_perms'")).toBe(summary.userPerms)
    expect(count(sqlite, "SELECT count(*) FROM changes WHERE table_name = 'users' AND op = 'insert'")).toBe(12)
  })

  it('builds maps from existing layers over an OSM background', () => {
    expect(
      count(sqlite, "SELECT count(*) FROM map_layers m LEFT JOIN resources r ON r.id = m.dataset_id WHERE m.dataset_id IS NOT NULL AND r.resource_type IS NOT 'layer'")
    ).toBe(0)
    expect(
      count(sqlite, 'SELECT count(*) FROM map_layers m JOIN layers l ON l.resource_id = m.dataset_id WHERE m.name IS NOT (\'geonode:\' || l.name)')
    ).toBe(0)
    const maps = all<{ map_id: number; backgrounds: number; layers: number; first: number }>(
      sqlite,
      `SELECT map_id, sum(dataset_id IS NULL AND group_name = 'background' AND stack_order = 0 AND fixed = 1) AS backgrounds,
         sum(dataset_id IS NOT NULL AND local = 1) AS layers, min(stack_order) AS first
       FROM map_layers GROUP BY map_id`
    )
    expect(maps).toHaveLength(60)
    for (const map of maps) {
      expect(map.backgrounds).toBe(1)
      expect(map.layers).toBeGreaterThanOrEqual(1)
      expect(map.layers).toBeLessThanOrEqual(5)
      expect(map.first).toBe(0)
    }
    for (const { uuid } of all<{ uuid: string }>(sqlite, 'SELECT uuid FROM map_layers')) expect(uuid).toMatch(UUID4)
  })

  it('describes layers with a default style and attributes', () => {
    expect(count(sqlite, 'SELECT count(*) FROM layers l LEFT JOIN styles s ON s.id = l.default_style_id WHERE s.name IS NOT l.name')).toBe(0)
    expect(count(sqlite, 'SELECT count(*) FROM layers l JOIN layer_styles ls ON ls.layer_id = l.resource_id AND ls.style_id = l.default_style_id')).toBe(165)
    const vectors = all<{ n: number; geometry: string; feature_count: number | null; store: string }>(
      sqlite,
      `SELECT count(a.id) AS n, max(CASE WHEN a.display_order = 1 THEN a.attribute END) AS geometry, l.feature_count, l.store
       FROM layers l JOIN layer_attributes a ON a.layer_id = l.resource_id WHERE l.store_type = 'dataStore' GROUP BY l.resource_id`
    )
    for (const layer of vectors) {
      expect(layer.n).toBeGreaterThanOrEqual(3)
      expect(layer.n).toBeLessThanOrEqual(8)
      expect(layer.geometry).toBe('the_geom')
      expect(layer.feature_count).toBeGreaterThan(0)
      expect(layer.store).toBe('geonode_data')
    }
    expect(count(sqlite, "SELECT count(*) FROM resource_links")).toBe(0)
  })

  it('builds a keyword vocabulary of about 300 entries as a two-level tree', () => {
    const keywords = all<{ id: number; name: string; slug: string; path: string; depth: number; numchild: number }>(sqlite, 'SELECT * FROM keywords')
    expect(keywords.length).toBeGreaterThanOrEqual(250)
    const byPath = new Map(keywords.map((k) => [k.path, k]))
    for (const keyword of keywords) {
      expect(keyword.slug).toBe(slugify(keyword.name))
      expect(keyword.path).toHaveLength(4 * keyword.depth)
      if (keyword.depth === 2) expect(byPath.get(keyword.path.slice(0, 4))?.depth).toBe(1)
      else expect(keyword.numchild).toBe(keywords.filter((k) => k.depth === 2 && k.path.startsWith(keyword.path)).length)
    }
    const perResource = all<{ n: number }>(
      sqlite,
      'SELECT count(rk.keyword_id) AS n FROM resources r LEFT JOIN resource_keywords rk ON rk.resource_id = r.id GROUP BY r.id'
    )
    expect(Math.max(...perResource.map((r) => r.n))).toBeLessThanOrEqual(6)
  })

  it('refuses to seed twice', () => {
    expect(() => seedCatalogue(sqlite, OPTIONS)).toThrow(/already/)
  })
})

describe('seedCatalogue on a tiny catalogue', () => {
  it('still creates every fixture', async () => {
    const { opened, summary } = await seeded({ resources: 10, seed: 5, now: NOW })
    try {
      const { sqlite } = opened
      expect(summary.resources.total).toBe(10)
      const { fixtures } = summary
      const type = (id: number) => one<{ resource_type: string }>(sqlite, 'SELECT resource_type FROM resources WHERE id = ?', id).resource_type
      expect([fixtures.vectorLayerId, fixtures.rasterLayerId, fixtures.privateLayerId].map(type)).toEqual(['layer', 'layer', 'layer'])
      expect(type(fixtures.mapId)).toBe('map')
      expect(type(fixtures.imageDocumentId)).toBe('document')
      expect(count(sqlite, 'SELECT count(*) FROM map_layers WHERE map_id = ? AND dataset_id IS NOT NULL', fixtures.mapId)).toBe(2)
      const slugs = [fixtures.publicGroup, fixtures.privateGroup, fixtures.publicInviteGroup]
      expect(count(sqlite, 'SELECT count(*) FROM group_profiles WHERE slug IN (?, ?, ?)', ...slugs)).toBe(3)
      expect(sqlite.pragma('foreign_key_check')).toEqual([])
    } finally {
      await opened.close()
    }
  })
})

/**
 * sha256 of what a seed leaves in a data folder: every table's rows (tables by name, rows by rowid or
 * primary key, every column by name) and every other file (by relative path and content hash).
 * Left out: the shadow tables of the full-text and R-tree indexes (their pages are the SQLite build's
 * storage format; the rows they index are dumped through the virtual tables), the migrator's own
 * tables (kysely_migration holds when each migration ran) and the SQLite catalogue (sqlite_*).
 * Masked: salted password hashes, and values the database's clock stamped during the run (columns
 * whose default is the current time, where neither the seed nor the system rows give one); the seed's
 * own timestamps all fall before its fixed `now`, years before any run.
 */
function catalogueHash(sqlite: Sqlite.Database, dataDir: string, run: { from: number; to: number }): string {
  const hash = createHash('sha256')
  const tables = all<{ name: string; type: string; wr: number }>(sqlite, "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' ORDER BY name")
  for (const table of tables) {
    if (table.type === 'shadow' || table.name.startsWith('sqlite_') || table.name.startsWith('kysely_')) continue
    const columns = all<{ name: string; pk: number; dflt_value: string | null }>(sqlite, 'SELECT name, pk, dflt_value FROM pragma_table_info(?)', table.name)
    const clocked = new Set(columns.filter((c) => /'now'/i.test(c.dflt_value ?? '')).map((c) => c.name))
    const keys = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => `"${c.name}"`)
    const order = table.wr ? keys.join(', ') : 'rowid'
    const names = columns.map((c) => c.name).sort()
    hash.update(`table ${table.name} (${names.join(', ')})\n`)
    for (const row of sqlite.prepare(`SELECT * FROM "${table.name}" ORDER BY ${order}`).all() as Record<string, unknown>[]) {
      const values = names.map((name) => {
        const value = row[name]
        if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`
        if (name === 'password_hash' && value !== null) return '(salted)'
        if (clocked.has(name) && typeof value === 'string' && Date.parse(value) >= run.from && Date.parse(value) <= run.to) return '(clock)'
        return value
      })
      hash.update(`${JSON.stringify(values)}\n`)
    }
  }
  const database = new Set([DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, `${DATABASE_FILE}-journal`])
  const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' })
    .filter((path) => !database.has(path) && statSync(join(dataDir, path)).isFile())
    .map((path) => path.split(sep).join('/'))
    .sort()
  for (const path of files) hash.update(`file ${path} ${createHash('sha256').update(readFileSync(join(dataDir, path))).digest('hex')}\n`)
  return hash.digest('hex')
}

describe('seedCatalogue output', () => {
  it('is the catalogue this hash was taken from, row for row', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-seed-'))
    const from = Date.now() - 1000
    const opened = await freshCatalogue(join(dataDir, DATABASE_FILE))
    try {
      seedCatalogue(opened.sqlite, { resources: 200, seed: 7, now: new Date('2020-06-01T12:00:00Z') })
      expect(catalogueHash(opened.sqlite, dataDir, { from, to: Date.now() + 1000 })).toBe('239c9b78801dc7038093039755a9d7d42d48cc15a655d12f7cdc9fb38148c9f9')
    } finally {
      await opened.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
