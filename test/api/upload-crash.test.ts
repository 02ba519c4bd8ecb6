import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePointsGeoJson } from '../helpers/fixtures-vector'
import { DATABASE_FILE } from '../../src-main/server'
import { ADMIN_PASSWORD, request, type Who } from '../helpers/server'
import { fileOnDisk, pollUntil, postMultipart } from '../helpers/uploads'

// A crash (kill -9) while an upload is being read: on restart the upload is INVALID with a
// message, no layer exists, tmp/uploads is empty and the staged features are cleared.

const ROOT = join(import.meta.dirname, '..', '..')
const PASSWORD = ADMIN_PASSWORD
const admin: Who = 'admin'

let work: string
let dataDir: string
let bigFile: string
let child: ChildProcess | null = null

/** Starts `mapshelf serve` on the data folder and answers its URL (the first stdout line). */
function serve(): Promise<{ url: string; process: ChildProcess }> {
  const proc = spawn('npx', ['tsx', 'src-main/cli/main.ts', 'serve', '--data-dir', dataDir, '--port', '0', '--admin-password', PASSWORD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false })
  child = proc
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${err}`)), 40_000)
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const url = /https?:\/\/\S+/.exec(out)?.[0]
      if (url) {
        clearTimeout(timer)
        resolve({ url: url.replace(/\/$/, ''), process: proc })
      }
    })
    proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
    proc.once('exit', (code) => reject(new Error(`the server exited (${code}): ${err}`)))
  })
}

/** kill -9 the server process itself (npx's child): the pid that listens is tsx's node. */
async function killHard(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  // npx → tsx → node: kill the whole group we started, hard, by the pids under ours.
  for (const pid of descendants(proc.pid!).reverse()) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  proc.kill('SIGKILL')
  await exited
  child = null
}

function descendants(pid: number): number[] {
  const out: number[] = [pid]
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(...descendants(Number(entry)))
    } catch {}
  }
  return out
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mapshelf-crash-'))
  dataDir = join(work, 'data')
  bigFile = join(work, 'big_points.geojson')
  await writePointsGeoJson(bigFile, 200_000)
}, 60_000)

afterAll(async () => {
  if (child) await killHard(child)
  rmSync(work, { recursive: true, force: true })
})

function readDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

async function crashAt(label: string, reached: (progress: number) => boolean) {
  const first = await serve()
  const server = { url: first.url }
  const put = await postMultipart(server, '/api/v2/uploads/upload/', { method: 'PUT', who: admin, files: [fileOnDisk('base_file', bigFile)] })
  expect(put.status, put.text).toBe(201)
  const id = put.body.id as number
  const seen = await pollUntil(
    async () => (await request(server, `/upload/progress?id=${id}`, { who: admin })).body,
    (body) => body.state === 'RUNNING' && reached(body.progress),
    40_000
  )
  expect(seen.state, `${label}: ${JSON.stringify(seen)}`).toBe('RUNNING')
  await killHard(first.process)

  const second = await serve()
  const again = { url: second.url }
  const upload = (await request(again, `/api/v2/uploads/${id}`, { who: admin })).body.upload
  expect(upload.state, label).toBe('INVALID')
  expect(upload.complete).toBe(false)
  const final = await request(again, `/upload/final?id=${id}`, { who: admin })
  expect(final.body).toMatchObject({ status: 'error', success: false, id, error_msg: expect.stringContaining('interrupted') })
  const layers = await request(again, '/api/v2/layers?filter{name.startswith}=big_points', { who: admin })
  expect(layers.body.total, label).toBe(0)
  expect(readdirSync(join(dataDir, 'tmp', 'uploads')), label).toEqual([])
  const staged = await pollUntil(
    () => readDb((db) => db.prepare('SELECT (SELECT count(*) FROM feature_sets) AS sets, (SELECT count(*) FROM layer_features) AS features, (SELECT count(*) FROM layer_feature_index) AS indexed').get()),
    (c: any) => c.sets === 0 && c.features === 0 && c.indexed === 0,
    30_000
  )
  expect(staged, label).toEqual({ sets: 0, features: 0, indexed: 0 })
  expect(readDb((db) => db.pragma('integrity_check', { simple: true })), label).toBe('ok')
  expect(readDb((db) => db.prepare('SELECT count(*) AS n FROM layers WHERE upload_session_id = ?').get(id)), label).toEqual({ n: 0 })
  await killHard(second.process)
}

describe('kill -9 during an import', () => {
  it('early: just after the import started', async () => {
    await crashAt('early', () => true)
  }, 120_000)

  it('mid-way: about half the features stored', async () => {
    await crashAt('mid', (p) => p >= 40)
  }, 120_000)

  it('late: most features stored', async () => {
    await crashAt('late', (p) => p >= 85)
  }, 120_000)
})
