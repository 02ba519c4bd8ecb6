import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src-main/clock'
import { loadConfig } from '../../src-main/config'
import { openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { DATABASE_FILE, startServer } from '../../src-main/server'
import { bootstrapCatalogue } from '../../src-main/services/bootstrap.service'
import { seedCatalogue } from '../../src-main/seed/seed'
import { ADMIN_PASSWORD, request } from '../helpers/server'

// A data folder on a read-only disk is still served: reads answer, every change is a 503 naming
// the cause, and nothing is written (the folder is mounted read-only, so nothing could be).

const work = mkdtempSync(join(tmpdir(), 'mapshelf-read-only-'))
const mount = join(work, 'disk')
let mounted = false

function tryMount(): boolean {
  try {
    mkdirSync(mount, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mount], { stdio: 'pipe' })
    mounted = true
    return true
  } catch {
    return false
  }
}

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
  rmSync(work, { recursive: true, force: true })
})

describe('a read-only data folder', () => {
  it.skipIf(!tryMount())('is served read-only: reads answer, changes get a 503 that says why, nothing is written', { timeout: 60_000 }, async () => {
    const dataDir = join(mount, 'catalogue')
    mkdirSync(dataDir)
    const database = openDatabase(join(dataDir, DATABASE_FILE))
    await migrateToLatest(database.db)
    bootstrapCatalogue(database.sqlite, { adminPassword: ADMIN_PASSWORD, clock: systemClock() })
    const seed = seedCatalogue(database.sqlite, { resources: 30 })
    database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
    await database.close()
    execFileSync('mount', ['-o', 'remount,ro', mount], { stdio: 'pipe' })
    const before = readdirSync(dataDir).sort()

    const warnings: string[] = []
    const server = await startServer(loadConfig({ flags: { 'data-dir': dataDir, port: '0' } }), { log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } })
    try {
      expect(warnings.join('\n')).toContain('is read-only')
      const list = await request(server, '/api/v2/resources')
      expect(list.status).toBe(200)
      expect(list.body.total).toBeGreaterThan(0)
      expect((await request(server, `/api/v2/layers/${seed.fixtures.vectorLayerId}`, { who: 'admin' })).status).toBe(200)
      const patch = await request(server, `/api/v2/layers/${seed.fixtures.vectorLayerId}`, { method: 'PATCH', who: 'admin', body: { title: 'Changed' } })
      expect(patch.status).toBe(503)
      expect(patch.body.detail).toMatch(/read-only/)
      expect((await request(server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(503)
      expect((await request(server, '/api/v2/resources')).status).toBe(200)
    } finally {
      await server.close()
    }
    expect(readdirSync(dataDir).sort()).toEqual(before)
  })
})
