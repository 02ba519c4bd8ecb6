import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import Sqlite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yazl from 'yazl'
import { BACKUP_FORMAT, BackupError, createBackup, readManifest, restoreBackup } from '../../src-main/backup/backup'
import { loadConfig } from '../../src-main/config'
import { DATABASE_FILE, startServer } from '../../src-main/server'
import { ADMIN_PASSWORD, type TestServer, request, startTestServer } from '../helpers/server'
import { MULTIPART_TYPE, geojsonUploadBody } from '../reliability/common'

// `mapshelf backup` / `mapshelf restore` (src-main/cli/backup.ts), against a running server.

const ROOT = join(import.meta.dirname, '..', '..')
const work = mkdtempSync(join(tmpdir(), 'mapshelf-backup-test-'))
let server: TestServer

async function upload(title: string): Promise<number> {
  const response = await fetch(`${server.url}/api/v2/uploads/upload/`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': MULTIPART_TYPE },
    body: new Uint8Array(geojsonUploadBody(title.replace(/\W/g, '_'), title, 4))
  })
  expect(response.status, await response.clone().text()).toBe(200)
  const db = new Sqlite(join(server.dataDir, DATABASE_FILE), { readonly: true })
  try {
    return db.prepare('SELECT id FROM resources WHERE title = ?').pluck().get(title) as number
  } finally {
    db.close()
  }
}

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' })
  return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() }
}

async function zipOf(file: string, entries: Record<string, string | Buffer>): Promise<string> {
  const zip = new yazl.ZipFile()
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.from(data), name)
  zip.end()
  await pipeline(zip.outputStream, createWriteStream(file))
  return file
}

/** yazl refuses `../` names, so the entry is written as `QQ/evil.txt` and renamed in the bytes. */
async function traversalZip(file: string, db: string): Promise<string> {
  await zipOf(file, { 'manifest.json': manifestOf({ [DATABASE_FILE]: db, '../evil.txt': 'x' }), [DATABASE_FILE]: db, 'QQ/evil.txt': 'x' })
  const bytes = readFileSync(file)
  writeFileSync(file, Buffer.from(bytes.toString('latin1').replaceAll('QQ/evil.txt', '../evil.txt'), 'latin1'))
  return file
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const manifestOf = (entries: Record<string, string | Buffer>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    format: BACKUP_FORMAT,
    formatVersion: 1,
    appVersion: '0.1.0',
    createdAt: new Date().toISOString(),
    changesSeq: 0,
    resources: 0,
    entries: Object.entries(entries).map(([path, data]) => ({ path, size: Buffer.from(data).length, sha256: sha(data) })),
    ...extra
  })

beforeAll(async () => {
  server = await startTestServer({ resources: 40 })
})

afterAll(async () => {
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

describe('backup while the server writes, then restore', () => {
  let archive: string
  let kept: number
  let deleted: number

  it('writes a zip with a manifest (format, app version, sha256 per entry, changes watermark)', { timeout: 30_000 }, async () => {
    kept = await upload('Kept layer')
    deleted = await upload('Deleted mid-backup')
    archive = join(work, 'live.zip')
    const writes = (async () => {
      for (let i = 0; i < 20; i++) await request(server, '/api/v2/resources/1', { who: 'admin', method: 'PATCH', body: { title: `During backup ${i}` } })
    })()
    const backup = createBackup({ dataDir: server.dataDir, out: archive })
    const removal = request(server, `/api/v2/resources/${deleted}`, { who: 'admin', method: 'DELETE' })
    const [result] = await Promise.all([backup, writes, removal])
    expect((await removal).status).toBe(204)
    expect(result.manifest).toMatchObject({ format: 'mapshelf-backup', formatVersion: 1, appVersion: '0.1.0', resources: expect.any(Number) })
    expect(result.manifest.changesSeq).toBeGreaterThan(0)
    const paths = result.manifest.entries.map((e) => e.path)
    expect(paths).toContain(DATABASE_FILE)
    for (const entry of result.manifest.entries) expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/)
    // Nothing staged is left in the live folder.
    expect(readdirSync(join(server.dataDir, 'tmp')).filter((n) => n.startsWith('backup-'))).toEqual([])
    expect(await readManifest(archive)).toEqual(result.manifest)
  })

  it('restores into an empty folder: integrity ok, every referenced folder present, the server starts', { timeout: 30_000 }, async () => {
    const target = join(work, 'restored')
    const result = await restoreBackup({ dataDir: target, from: archive })
    expect(result.movedAside).toBeNull()
    const db = new Sqlite(join(target, DATABASE_FILE), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.prepare('SELECT coalesce(max(seq), 0) FROM changes').pluck().get()).toBe(result.manifest.changesSeq)
      const dirs = db.prepare('SELECT uuid, files_dir FROM resources WHERE files_dir IS NOT NULL').all() as { uuid: string; files_dir: string }[]
      // The layer deleted during the backup is either in the snapshot with its files or absent from both.
      expect(dirs.length).toBeGreaterThanOrEqual(1)
      for (const d of dirs) expect(existsSync(join(target, d.files_dir, 'original')), d.files_dir).toBe(true)
      expect(readdirSync(join(target, 'files')).sort()).toEqual(dirs.map((d) => d.uuid).sort())
      expect(db.prepare('SELECT count(*) FROM resources WHERE id = ?').pluck().get(kept)).toBe(1)
    } finally {
      db.close()
    }
    const restored = await startServer(loadConfig({ flags: { 'data-dir': target, port: '0', 'admin-password': ADMIN_PASSWORD } }), { log: { info() {}, warn() {}, error() {} } })
    try {
      const response = await fetch(`${restored.url}/api/v2/layers/${kept}`)
      expect(response.status).toBe(200)
    } finally {
      await restored.close()
    }
  })

  it('refuses a non-empty folder without --force; with --force moves it aside, never deletes it', { timeout: 30_000 }, async () => {
    const target = join(work, 'occupied')
    mkdirSync(target)
    writeFileSync(join(target, 'precious.txt'), 'keep me')
    await expect(restoreBackup({ dataDir: target, from: archive })).rejects.toThrow(/not empty; pass --force/)
    const result = await restoreBackup({ dataDir: target, from: archive, force: true })
    expect(result.movedAside).toMatch(/occupied\.before-restore-/)
    expect(existsSync(join(result.movedAside!, 'precious.txt'))).toBe(true)
    expect(existsSync(join(target, DATABASE_FILE))).toBe(true)
  })
})

describe('bad input: one-line errors, non-zero exit codes, nothing written', () => {
  it('the CLI: missing archive, corrupt archive, missing --out, not a data folder', { timeout: 30_000 }, async () => {
    const garbage = join(work, 'garbage.zip')
    writeFileSync(garbage, 'this is not a zip')
    const cases = [
      [cli('restore', '--data-dir', join(work, 'r1'), '--from', join(work, 'nope.zip')), /^mapshelf: .*nope\.zip does not exist$/],
      [cli('restore', '--data-dir', join(work, 'r1'), '--from', garbage), /^mapshelf: .*garbage\.zip is not a readable zip archive/],
      [cli('backup', '--data-dir', join(work, 'empty-dir')), /^mapshelf: --out FILE is required/],
      [cli('backup', '--data-dir', join(work, 'empty-dir'), '--out', join(work, 'x.zip')), /^mapshelf: .* holds no catalogue\.sqlite/]
    ] as const
    for (const [run, message] of cases) {
      expect(run.code).toBe(1)
      expect(run.stderr.split('\n')[0]).toMatch(message)
    }
    expect(existsSync(join(work, 'r1'))).toBe(false)
  })

  it('wrong format version, foreign zip, checksum mismatch, truncated, path traversal', async () => {
    const db = 'not really a database'
    const bad = {
      version: await zipOf(join(work, 'v99.zip'), { 'manifest.json': manifestOf({ [DATABASE_FILE]: db }, { formatVersion: 99 }), [DATABASE_FILE]: db }),
      foreign: await zipOf(join(work, 'foreign.zip'), { 'readme.txt': 'hello' }),
      checksum: await zipOf(join(work, 'sum.zip'), { 'manifest.json': manifestOf({ [DATABASE_FILE]: db }), [DATABASE_FILE]: `${db}!` }),
      truncated: await zipOf(join(work, 'missing.zip'), { 'manifest.json': manifestOf({ [DATABASE_FILE]: db, 'files/x/a.txt': 'a' }), [DATABASE_FILE]: db }),
      traversal: await traversalZip(join(work, 'evil.zip'), db),
      unlisted: await zipOf(join(work, 'unlisted.zip'), { 'manifest.json': manifestOf({ [DATABASE_FILE]: db }), [DATABASE_FILE]: db, 'files/extra.txt': 'x' })
    }
    const expectations: [string, RegExp][] = [
      [bad.version, /backup format version 99; this Mapshelf .* reads version 1/],
      [bad.foreign, /is not a Mapshelf backup \(no manifest\.json\)/],
      [bad.checksum, /checksum mismatch for catalogue\.sqlite/],
      [bad.truncated, /1 entry of the manifest missing \(files\/x\/a\.txt\)/],
      [bad.traversal, /manifest entry "\.\.\/evil\.txt" leaves its folder|not a readable zip archive/],
      [bad.unlisted, /entry "files\/extra\.txt" is not in the manifest/]
    ]
    for (const [from, message] of expectations) {
      const target = join(work, `t-${Math.random().toString(36).slice(2)}`)
      const attempt = restoreBackup({ dataDir: target, from })
      await expect(attempt).rejects.toBeInstanceOf(BackupError)
      await expect(restoreBackup({ dataDir: target, from })).rejects.toThrow(message)
      expect(existsSync(target)).toBe(false)
      expect(readdirSync(work).filter((n) => n.includes('.restoring-'))).toEqual([])
    }
    expect(existsSync(join(work, '..', 'evil.txt'))).toBe(false)
  })
})
