import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { type BackupManifest, readManifest } from '../../src-main/backup/backup'
import { DATABASE_FILE } from '../../src-main/server'
import { ADMIN_PASSWORD, ROOT, bearerToken, integrityCheck, openReadonly, orphans, spawnServer } from './common'
import { type KindName, type LoadResult, runLoad } from './load'

/**
 * Check d: `backup` (the CLI, as a separate process) while the load of check a runs, `restore`
 * into a new folder, then compare the restored catalogue with the live one at the snapshot's
 * moment: the `changes` log up to the manifest's watermark says what every row was then.
 */

export interface BackupLoadResult {
  load: LoadResult
  backup: { exitCode: number | null; seconds: number; bytes: number; output: string }
  restore: { exitCode: number | null; seconds: number; output: string }
  manifest: BackupManifest | null
  watermark: number
  liveMaxSeq: number
  changesCompared: number
  resourcesCompared: number
  checks: { name: string; held: boolean; detail: string }[]
  problems: string[]
}

function cli(args: string[]): Promise<{ exitCode: number | null; seconds: number; output: string }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('exit', (code) => resolve({ exitCode: code, seconds: (Date.now() - started) / 1000, output: output.trim() }))
  })
}

export async function runBackupDuringLoad(options: { dataDir: string; workDir: string; seconds: number; split: Record<KindName, number>; log: (line: string) => void }): Promise<BackupLoadResult> {
  const archive = join(options.workDir, 'during-load.zip')
  const restored = join(options.workDir, 'restored')
  rmSync(archive, { force: true })
  rmSync(restored, { recursive: true, force: true })
  let backup = { exitCode: null as number | null, seconds: 0, bytes: 0, output: '' }
  const load = await runLoad({
    dataDir: options.dataDir,
    seconds: options.seconds,
    split: options.split,
    log: options.log,
    // This check is about the backup's moment; the stalled downloads are check a's.
    stallDownloads: false,
    midway: async () => {
      options.log('backup-during-load: starting `backup` while the load runs')
      const result = await cli(['backup', '--data-dir', options.dataDir, '--out', archive])
      backup = { ...result, bytes: existsSync(archive) ? (await import('node:fs')).statSync(archive).size : 0 }
      options.log(`backup-during-load: backup exited ${result.exitCode} after ${result.seconds.toFixed(1)} s`)
    }
  })
  const problems: string[] = []
  const checks: BackupLoadResult['checks'] = []
  const check = (name: string, held: boolean, detail: string) => {
    checks.push({ name, held, detail })
    if (!held) problems.push(`${name}: ${detail}`)
  }
  check('backup exits 0 during the load', backup.exitCode === 0, backup.output.split('\n').pop() ?? '')
  if (backup.exitCode !== 0) return { load, backup, restore: { exitCode: null, seconds: 0, output: '' }, manifest: null, watermark: 0, liveMaxSeq: 0, changesCompared: 0, resourcesCompared: 0, checks, problems }
  const manifest = await readManifest(archive)
  const restore = await cli(['restore', '--data-dir', restored, '--from', archive])
  check('restore exits 0', restore.exitCode === 0, restore.output.split('\n').pop() ?? '')
  if (restore.exitCode !== 0) return { load, backup, restore, manifest, watermark: manifest.changesSeq, liveMaxSeq: 0, changesCompared: 0, resourcesCompared: 0, checks, problems }

  check('restored PRAGMA integrity_check', integrityCheck(restored) === 'ok', integrityCheck(restored))
  const W = manifest.changesSeq
  const db = new Sqlite(join(options.dataDir, DATABASE_FILE), { readonly: true })
  db.prepare('ATTACH DATABASE ? AS r').run(join(restored, DATABASE_FILE))
  const one = (sql: string, ...params: unknown[]) => db.prepare(sql).pluck().get(...params) as number
  const liveMaxSeq = one('SELECT max(seq) FROM main.changes')
  const restoredMax = one('SELECT coalesce(max(seq), 0) FROM r.changes')
  check('restored changes end at the manifest watermark', restoredMax === W, `restored max(seq) ${restoredMax}, manifest ${W}, live now ${liveMaxSeq}`)
  check('the load wrote after the snapshot (the backup really ran mid-load)', liveMaxSeq > W, `${liveMaxSeq - W} changes after the watermark`)
  const changesCompared = one('SELECT count(*) FROM main.changes WHERE seq <= ?', W)
  const differing = one(
    'SELECT count(*) FROM main.changes m LEFT JOIN r.changes x ON x.seq = m.seq WHERE m.seq <= ? AND (x.seq IS NULL OR x.table_name IS NOT m.table_name OR x.row_key IS NOT m.row_key OR x.op IS NOT m.op OR x.row_version IS NOT m.row_version)',
    W
  )
  check('changes log up to the watermark identical', differing === 0 && one('SELECT count(*) FROM r.changes') === changesCompared, `${changesCompared} changes compared, ${differing} differ`)
  // Resources alive at the watermark: inserted at or before it (the load deletes nothing).
  const expectedIds = one("SELECT count(*) FROM main.resources WHERE id IN (SELECT CAST(row_key AS INTEGER) FROM main.changes WHERE table_name = 'resources' AND op = 'insert' AND seq <= ?)", W)
  const restoredIds = one('SELECT count(*) FROM r.resources')
  const extra = one("SELECT count(*) FROM r.resources x WHERE NOT EXISTS (SELECT 1 FROM main.changes c WHERE c.table_name = 'resources' AND c.row_key = CAST(x.id AS TEXT) AND c.op = 'insert' AND c.seq <= ?)", W)
  check('restored resources = resources that existed at the watermark', restoredIds === expectedIds && extra === 0, `${restoredIds} restored, ${expectedIds} expected, ${extra} not yet created at the watermark`)
  const versionMismatch = db
    .prepare(
      "SELECT x.id, x.version, (SELECT c.row_version FROM main.changes c WHERE c.table_name = 'resources' AND c.row_key = CAST(x.id AS TEXT) AND c.seq <= ? ORDER BY c.seq DESC LIMIT 1) AS logged FROM r.resources x WHERE x.version IS NOT logged LIMIT 5"
    )
    .all(W) as { id: number; version: number; logged: number }[]
  check('every restored resource has the version the log had at the watermark', versionMismatch.length === 0, versionMismatch.length ? JSON.stringify(versionMismatch) : `${restoredIds} resources compared`)
  const titlesAfter = one("SELECT count(*) FROM r.resources WHERE title LIKE 'rel-load %' AND id IN (SELECT CAST(row_key AS INTEGER) FROM main.changes WHERE table_name = 'resources' AND seq > ? AND op = 'insert')", W)
  check('nothing created after the watermark is in the backup', titlesAfter === 0, `${titlesAfter} found`)
  db.close()
  const restoredDb = openReadonly(restored)
  const left = orphans(restored, restoredDb)
  restoredDb.close()
  check('restored files/ = folders of restored resources', left.orphanDirs.length === 0 && left.danglingDirs.length === 0, `${left.orphanDirs.length} orphan, ${left.danglingDirs.length} missing`)
  const server = await spawnServer(restored)
  try {
    const token = await bearerToken(server.url, 'admin', ADMIN_PASSWORD)
    const response = await fetch(`${server.url}/api/v2/resources?page_size=1`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await response.json()) as { total?: number }
    check('a server starts on the restored folder and lists every resource', response.status === 200 && body.total === restoredIds, `status ${response.status}, total ${body.total}`)
  } finally {
    await server.stop()
  }
  return { load, backup, restore, manifest, watermark: W, liveMaxSeq, changesCompared, resourcesCompared: restoredIds, checks, problems }
}
