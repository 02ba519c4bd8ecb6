import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type OpenedDatabase, openDatabase } from '../../src-main/db/database'
import { nextId } from '../../src-main/db/id-sequences'
import { migrateToLatest, migrateUpTo } from '../../src-main/db/migrate'

// The ids_never_reused migration on a catalogue of the schema before it: each counter starts
// past every id used, deleted rows included (the change log remembers them), and new rows
// taken from it never meet an old id.

let store: OpenedDatabase
const run = (sql: string, ...params: unknown[]) => store.sqlite.prepare(sql).run(...params)
const sequence = (name: string) => store.sqlite.prepare('SELECT value FROM id_sequences WHERE name = ?').pluck().get(name)

beforeEach(async () => {
  store = openDatabase(':memory:')
  await migrateUpTo(store.db, '2026_11_27_2000_sync_binding_lookups')
  run("INSERT INTO users (id, uuid, username) VALUES (-1, 'u--1', 'AnonymousUser'), (1000, 'u-1000', 'admin'), (1001, 'u-1001', 'bobby'), (1002, 'u-1002', 'gone')")
  run('DELETE FROM users WHERE id = 1002')
  run("INSERT INTO auth_groups (id, name) VALUES (1, 'anonymous'), (2, 'field-team'), (3, 'gone')")
  run("INSERT INTO group_profiles (id, uuid, group_id, title, slug) VALUES (1, 'g-1', 2, 'Field team', 'field-team'), (2, 'g-2', 3, 'Gone', 'gone')")
  run('DELETE FROM auth_groups WHERE id = 3')
  run("INSERT INTO uploads (id, uuid, user_id, name) VALUES (7, 'up-7', 1001, 'rivers'), (8, 'up-8', 1001, 'lakes')")
  run("INSERT INTO upload_files (id, upload_id, name, slug, file) VALUES (1, 8, 'lakes.shp', '8/lakes.shp', 'tmp/lakes.shp')")
  run('DELETE FROM uploads WHERE id = 8')
})
afterEach(() => store.close())

describe('the ids_never_reused migration', () => {
  it('starts each counter past every id ever used, deleted rows included', async () => {
    await migrateToLatest(store.db)
    expect([sequence('users'), sequence('auth_groups'), sequence('group_profiles'), sequence('uploads'), sequence('upload_files'), sequence('map_layers')]).toEqual([1002, 3, 2, 8, 1, 0])
  })

  it('gives new rows ids past the deleted ones, several rows of one insert included', async () => {
    await migrateToLatest(store.db)
    const user = await store.db.insertInto('users').values({ id: nextId('users'), uuid: 'u-new', username: 'new' }).returning('id').executeTakeFirstOrThrow()
    expect(user.id).toBe(1003)
    const groups = await store.db
      .insertInto('auth_groups')
      .values(['a', 'b', 'c'].map((name, i) => ({ id: nextId('auth_groups', i), name })))
      .returning('id')
      .execute()
    expect(groups.map((g) => g.id)).toEqual([4, 5, 6])
    // Rows written without the counter (older code, a seed) move it too.
    run("INSERT INTO users (uuid, username) VALUES ('u-raw', 'raw')")
    expect(sequence('users')).toBe(1004)
    expect(sequence('auth_groups')).toBe(6)
  })
})
