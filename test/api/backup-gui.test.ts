import { existsSync, readdirSync, rmSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { loadConfig } from '../../src-main/config'
import { startServer } from '../../src-main/server'
import { ADMIN_PASSWORD, request, startTestServer, user } from '../helpers/server'

// Backup and restore as the GUI does them: download a snapshot; upload it to restore, which is
// checked at once and takes effect at the next start, keeping the folder it replaces.

const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` }
const cleanup: string[] = []
// Only the folders this test made (the data folder, its staged restore, the folder a restore kept).
afterAll(() => cleanup.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function zipEntries(bytes: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error)
      const names: string[] = []
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName)
        zip.readEntry()
      })
      zip.on('end', () => resolve(names))
      zip.readEntry()
    })
  })
}

describe('backup and restore over HTTP', () => {
  it('downloads a snapshot (administrators only) and restores it at the next start, keeping the old folder', { timeout: 60_000 }, async () => {
    const first = await startTestServer({ resources: 20 })
    const dataDir = first.dataDir
    cleanup.push(dataDir)
    expect((await request(first, '/api/v2/mapshelf/backup')).status).toBe(403)
    expect((await request(first, '/api/v2/mapshelf/backup', { who: user(first.seed!.fixtures.plainUser) })).status).toBe(403)
    const response = await fetch(`${first.url}/api/v2/mapshelf/backup`, { headers: auth })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="?mapshelf-backup-[\d-]+\.zip"?$/)
    const backup = Buffer.from(await response.arrayBuffer())
    const entries = await zipEntries(backup)
    expect(entries).toContain('catalogue.sqlite')
    expect(entries).toContain('manifest.json')
    expect(readdirSync(`${dataDir}/tmp/uploads`)).toEqual([])

    // A change after the backup, which the restore takes back.
    const made = await request(first, '/api/v2/maps', { method: 'POST', who: 'admin', body: { title: 'Made after the backup' } })
    expect(made.status).toBe(201)

    const bad = new FormData()
    bad.append('backup', new Blob([new Uint8Array(backup.subarray(0, 500))]), 'broken.zip')
    const refused = await fetch(`${first.url}/api/v2/mapshelf/restore`, { method: 'POST', headers: auth, body: bad })
    expect(refused.status).toBe(400)
    expect(Object.keys(await refused.json())).toEqual(['backup'])

    const form = new FormData()
    form.append('backup', new Blob([new Uint8Array(backup)]), 'backup.zip')
    const staged = await fetch(`${first.url}/api/v2/mapshelf/restore`, { method: 'POST', headers: auth, body: form })
    expect(staged.status).toBe(200)
    expect(await staged.json()).toMatchObject({ staged: true, message: expect.stringContaining('Restart Mapshelf') })
    expect(existsSync(`${dataDir}.pending-restore/catalogue.sqlite`)).toBe(true)
    cleanup.push(`${dataDir}.pending-restore`)
    // Until the restart, the running catalogue is unchanged.
    expect((await request(first, `/api/v2/maps/${made.body.map.pk}`, { who: 'admin' })).status).toBe(200)
    await first.running.close()

    const second = await startServer(loadConfig({ flags: { 'data-dir': dataDir, port: '0' } }), { log: { info: () => undefined, warn: () => undefined, error: () => undefined } })
    try {
      expect((await request(second, `/api/v2/maps/${made.body.map.pk}`, { who: 'admin' })).status).toBe(404)
      expect((await request(second, '/api/v2/resources?page_size=1')).body.total).toBeGreaterThan(0)
      const kept = readdirSync(dirname(dataDir)).filter((name) => name.startsWith(`${basename(dataDir)}.before-restore-`))
      expect(kept).toHaveLength(1)
      cleanup.push(`${dirname(dataDir)}/${kept[0]}`)
      expect(existsSync(`${dataDir}.pending-restore`)).toBe(false)
    } finally {
      await second.close()
    }
  })
})
