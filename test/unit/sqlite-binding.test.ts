import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src-main/config'
import { openDatabase } from '../../src-main/db/database'
import { useSqliteBinding } from '../../src-main/platform/sqlite-binding'

// The desktop app running from source loads a better-sqlite3 built for Electron's ABI from a side
// folder (docs/decisions.md); here the Node build stands in for it.
const nodeBinding = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node')

afterEach(() => useSqliteBinding(null))

describe('choosing the SQLite native module', () => {
  it('reads MAPSHELF_SQLITE_BINDING (or --sqlite-binding) into the config', () => {
    expect(loadConfig({ env: { MAPSHELF_SQLITE_BINDING: nodeBinding } }).sqliteBinding).toBe(nodeBinding)
    expect(loadConfig({ env: {} }).sqliteBinding).toBeNull()
  })

  it('opens connections through the chosen module', async () => {
    useSqliteBinding(nodeBinding)
    const { sqlite, close } = openDatabase(':memory:')
    expect(sqlite.prepare('SELECT 41 + 1 AS n').get()).toEqual({ n: 42 })
    await close()
  })

  it('fails loudly, naming the file, when the chosen module is not there', () => {
    useSqliteBinding('/nonexistent/better_sqlite3.node')
    expect(() => openDatabase(':memory:')).toThrow(/nonexistent\/better_sqlite3\.node/)
  })
})
