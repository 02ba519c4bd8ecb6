import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type OpenedDatabase, openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'

let store: OpenedDatabase
const run = (sql: string, ...params: unknown[]) => store.sqlite.prepare(sql).run(...params)
const all = <T = any>(sql: string, ...params: unknown[]) => store.sqlite.prepare(sql).all(...params) as T[]
const one = <T = any>(sql: string, ...params: unknown[]) => store.sqlite.prepare(sql).get(...params) as T

beforeEach(async () => {
  store = openDatabase(':memory:')
  await migrateToLatest(store.db)
  run("INSERT INTO users (id, uuid, username) VALUES (1, 'u-1', 'bobby')")
  run("INSERT INTO auth_groups (id, name) VALUES (1, 'anonymous'), (2, 'registered-members'), (3, 'field-team')")
  run("INSERT INTO topic_categories (id, identifier, gn_description) VALUES (1, 'inlandWaters', 'Inland Waters')")
  run("INSERT INTO keywords (id, name, slug) VALUES (1, 'rivers', 'rivers')")
  run("INSERT INTO regions (id, code, name) VALUES (1, 'KEN', 'Kenya')")
  run(`INSERT INTO resources (id, uuid, resource_type, owner_id, title, abstract, category_id, ll_minx, ll_miny, ll_maxx, ll_maxy)
       VALUES (10, 'r-10', 'layer', 1, 'Lake levels', 'Gauge readings', 1, 34, -1, 36, 1)`)
})
afterEach(() => store.close())

describe('the change log', () => {
  it('records inserts, updates and deletes with the row key, uuid and version, in order', () => {
    run("UPDATE resources SET title = 'Lake levels 2025', version = version + 1 WHERE id = 10")
    run('DELETE FROM resources WHERE id = 10')
    const log = all("SELECT table_name, row_key, row_uuid, op, row_version FROM changes WHERE table_name = 'resources' ORDER BY seq")
    expect(log).toEqual([
      { table_name: 'resources', row_key: '10', row_uuid: 'r-10', op: 'insert', row_version: 1 },
      { table_name: 'resources', row_key: '10', row_uuid: 'r-10', op: 'update', row_version: 2 },
      { table_name: 'resources', row_key: '10', row_uuid: 'r-10', op: 'delete', row_version: 2 }
    ])
  })

  it('names rows of link tables by their composite key, deletes included', () => {
    run('INSERT INTO resource_keywords (resource_id, keyword_id) VALUES (10, 1)')
    run('DELETE FROM resource_keywords WHERE resource_id = 10')
    expect(all("SELECT row_key, op FROM changes WHERE table_name = 'resource_keywords' ORDER BY seq")).toEqual([
      { row_key: '10:1', op: 'insert' },
      { row_key: '10:1', op: 'delete' }
    ])
  })

  it('keeps a strictly increasing sequence', () => {
    for (let i = 0; i < 5; i++) run('UPDATE resources SET popular_count = ? WHERE id = 10', i)
    const seqs = all<{ seq: number }>('SELECT seq FROM changes ORDER BY rowid').map((r) => r.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(seqs.length)
  })

  it('does not log updates that only touch the derived audience', () => {
    const before = one('SELECT count(*) AS n FROM changes').n
    run('UPDATE resources SET audience = 2 WHERE id = 10')
    expect(one('SELECT count(*) AS n FROM changes').n).toBe(before)
  })
})

describe('no write path bypasses the change log', () => {
  it('every table of catalogue data logs inserts, updates and deletes by trigger', () => {
    // Bookkeeping, not catalogue data: the log itself, credentials, migrations, the auth counter, and
    // layer data (features follow their layer row, whose version moves when its data is replaced), and
    // sync bookkeeping (it reads the log; it is not catalogue data).
    const exempt = new Set(['changes', 'access_tokens', 'auth_generation', 'feature_sets', 'layer_features', 'id_sequences', 'sync_remotes', 'sync_state', 'sync_bindings', 'sync_conflicts', 'sync_journal', 'kysely_migration', 'kysely_migration_lock'])
    const tables = all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'"
    )
      .map((t) => t.name)
      .filter((name) => !exempt.has(name) && !/^(resource_search|resource_extents|layer_feature_index)_/.test(name))
    expect(tables.length).toBeGreaterThan(30)
    const triggers = all<{ name: string; tbl_name: string; sql: string }>("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    for (const table of tables) {
      for (const op of ['insert', 'update', 'delete']) {
        const trigger = triggers.find((t) => t.tbl_name === table && t.name === `${table}_changes_${op}`)
        expect(trigger, `${table} ${op}`).toBeDefined()
        expect(trigger!.sql).toMatch(/INSERT INTO changes/)
      }
    }
  })
})

describe('derived indexes', () => {
  const search = (term: string) => all<{ rowid: number }>('SELECT rowid FROM resource_search WHERE resource_search MATCH ?', term).map((r) => r.rowid)

  it('finds a resource by title, abstract, category, keyword and region, and follows renames', () => {
    expect(search('lake')).toEqual([10])
    expect(search('gauge')).toEqual([10])
    expect(search('inland')).toEqual([10])
    expect(search('rivers')).toEqual([])
    run('INSERT INTO resource_keywords (resource_id, keyword_id) VALUES (10, 1)')
    run('INSERT INTO resource_regions (resource_id, region_id) VALUES (10, 1)')
    expect(search('rivers')).toEqual([10])
    expect(search('kenya')).toEqual([10])
    run("UPDATE keywords SET name = 'streams' WHERE id = 1")
    expect(search('rivers')).toEqual([])
    expect(search('streams')).toEqual([10])
    run('DELETE FROM resources WHERE id = 10')
    expect(search('lake')).toEqual([])
  })

  it('keeps the extent index in step with the lon/lat box', () => {
    const hits = (x0: number, y0: number, x1: number, y1: number) =>
      all('SELECT id FROM resource_extents WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?', x1, x0, y1, y0).map((r) => r.id)
    expect(hits(35, 0, 35.5, 0.5)).toEqual([10])
    run('UPDATE resources SET ll_minx = 100, ll_maxx = 101 WHERE id = 10')
    expect(hits(35, 0, 35.5, 0.5)).toEqual([])
    expect(hits(100.2, 0, 100.3, 0.1)).toEqual([10])
  })

  it('derives the audience from view grants to anonymous and registered members', () => {
    const audience = () => one('SELECT audience FROM resources WHERE id = 10').audience
    expect(audience()).toBe(0)
    run("INSERT INTO resource_group_perms (resource_id, group_id, codename) VALUES (10, 3, 'view_resourcebase')")
    expect(audience()).toBe(0)
    run("INSERT INTO resource_group_perms (resource_id, group_id, codename) VALUES (10, 2, 'view_resourcebase')")
    expect(audience()).toBe(1)
    run("INSERT INTO resource_group_perms (resource_id, group_id, codename) VALUES (10, 1, 'view_resourcebase')")
    expect(audience()).toBe(2)
    run("DELETE FROM resource_group_perms WHERE group_id = 1")
    expect(audience()).toBe(1)
    run("INSERT INTO resource_group_perms (resource_id, group_id, codename) VALUES (10, 1, 'download_resourcebase')")
    expect(audience()).toBe(1)
  })
})

describe('opening a catalogue file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mapshelf-store-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('uses WAL, enforces foreign keys, waits on locks, and migrates once', async () => {
    const file = openDatabase(join(dir, 'catalogue.sqlite'))
    expect(await migrateToLatest(file.db)).toEqual(['2026_11_27_1000_create_catalogue', '2026_11_27_1300_auth_generation', '2026_11_27_1400_layer_data', '2026_11_27_1450_resource_ids', '2026_11_27_1500_sync', '2026_11_27_1700_sync_offline', '2026_11_27_1800_feature_index', '2026_11_27_1900_sync_data_sent', '2026_11_27_2000_sync_binding_lookups', '2026_11_28_1000_ids_never_reused'])
    expect(file.sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(file.sqlite.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(file.sqlite.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000)
    expect(() => file.sqlite.prepare("INSERT INTO resources (uuid, resource_type, owner_id, title) VALUES ('x', 'map', 999, 't')").run()).toThrow(/FOREIGN KEY/)
    await file.close()
    const again = openDatabase(join(dir, 'catalogue.sqlite'))
    expect(await migrateToLatest(again.db)).toEqual([])
    await again.close()
  })
})
