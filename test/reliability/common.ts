import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Sqlite from 'better-sqlite3'
import { systemClock } from '../../src-main/clock'
import { openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import { DATABASE_FILE } from '../../src-main/server'
import { bootstrapCatalogue } from '../../src-main/services/bootstrap.service'
import { seedCatalogue } from '../../src-main/seed/seed'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const ADMIN_PASSWORD = 'bench-admin-password'

/** A Mapshelf server in a child process of its own (so it can be killed with SIGKILL). */
export interface ServerChild {
  url: string
  pid: number
  child: ChildProcess
  stderr: string[]
  exited(): string | null
  /** Resident set size of the server process in MB (the server, its loader and worker threads are one process). */
  rssMb(): number | null
  kill9(): Promise<void>
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()

export function killAllServersNow(): void {
  for (const child of live) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Spawns `node --import tsx src-main/cli/main.ts serve` on the data folder (the same loader as
 * `npx tsx`, without npx's start-up) and waits for the URL it prints first.
 */
export function spawnServer(dataDir: string, extra: string[] = [], options: { onSpawn?: (child: ChildProcess) => void; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<ServerChild> {
  const args = ['--import', 'tsx', ...(options.nodeArgs ?? []), 'src-main/cli/main.ts', 'serve', '--data-dir', dataDir, '--port', '0', '--admin-password', ADMIN_PASSWORD, ...extra]
  const child = spawn(process.execPath, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  child.once('exit', () => live.delete(child))
  options.onSpawn?.(child)
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line)
    if (stderr.length > 200) stderr.shift()
  })
  const pid = child.pid!
  const handle = (url: string): ServerChild => ({
    url,
    pid,
    child,
    stderr,
    exited: () => (child.signalCode ? child.signalCode : child.exitCode === null ? null : `code ${child.exitCode}`),
    rssMb: () => {
      try {
        const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
        return match ? Number(match[1]) / 1024 : null
      } catch {
        return null
      }
    },
    async kill9() {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // already gone
      }
      await waitExit(child)
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      try {
        process.kill(-pid, 'SIGTERM')
      } catch {
        return
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {
          // gone
        }
      }, 10_000)
      await waitExit(child)
      clearTimeout(timer)
    }
  })
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => fail('printed no URL in time'), options.timeoutMs ?? 120_000)
    const fail = (why: string) => {
      clearTimeout(timer)
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // gone
      }
      reject(new Error(`server on ${dataDir}: ${why}\n${stderr.slice(-20).join('\n')}`))
    }
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code}) before printing its URL`)
    child.once('exit', onExit)
    lines.once('line', (line) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.stdout!.resume()
      if (/^https?:\/\/\S+$/.test(line.trim())) resolve(handle(line.trim()))
      else fail(`expected a URL first, got "${line}"`)
    })
  })
}

/** A fresh data folder seeded with `resources` demo resources (admin password ADMIN_PASSWORD). */
export async function seedDataDir(dataDir: string, resources: number, users = 20, groups = 4): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const database = openDatabase(join(dataDir, DATABASE_FILE))
  try {
    await migrateToLatest(database.db)
    bootstrapCatalogue(database.sqlite, { adminPassword: ADMIN_PASSWORD, clock: systemClock() })
    seedCatalogue(database.sqlite, { resources, users, groups })
    database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    await database.close()
  }
}

export async function bearerToken(baseUrl: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const response = await fetch(`${baseUrl}/o/token/`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username, password }) })
  const json = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || !json.access_token) throw new Error(`POST /o/token/ for ${username}: ${response.status} ${JSON.stringify(json)}`)
  return json.access_token
}

export const BOUNDARY = 'mapshelfReliabilityBoundary7d1c'

/** A multipart body for POST /api/v2/uploads/upload/: one small GeoJSON and a layer title. */
export function geojsonUploadBody(fileBase: string, title: string, points = 3, padBytes = 0): Buffer {
  const features = Array.from({ length: points }, (_, i) => ({ type: 'Feature', properties: { n: i, pad: padBytes ? 'x'.repeat(Math.ceil(padBytes / points)) : '' }, geometry: { type: 'Point', coordinates: [10 + i * 0.01, 50 + i * 0.01] } }))
  const geojson = JSON.stringify({ type: 'FeatureCollection', features })
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="layer_title"\r\n\r\n${title}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="base_file"; filename="${fileBase}.geojson"\r\nContent-Type: application/geo+json\r\n\r\n${geojson}\r\n` +
      `--${BOUNDARY}--\r\n`
  )
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`

export function openReadonly(dataDir: string): Sqlite.Database {
  const db = new Sqlite(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 10000')
  return db
}

export function integrityCheck(dataDir: string): string {
  const db = new Sqlite(join(dataDir, DATABASE_FILE), { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 10000')
    return String(db.pragma('integrity_check', { simple: true }))
  } finally {
    db.close()
  }
}

/**
 * Orphans after start-up recovery: entries left in tmp/uploads (none wait for input in these
 * checks), folders under files/ no resource names, and resources naming a folder that is missing.
 */
export function orphans(dataDir: string, db: Sqlite.Database): { tmp: string[]; orphanDirs: string[]; danglingDirs: string[] } {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])
  const waiting = new Set((db.prepare("SELECT upload_dir FROM uploads WHERE state = 'WAITING' AND upload_dir IS NOT NULL").pluck().all() as string[]).map((d) => d.split('/').pop()))
  const tmp = list(join(dataDir, 'tmp', 'uploads')).filter((name) => !waiting.has(name))
  const known = new Set(db.prepare('SELECT uuid FROM resources WHERE files_dir IS NOT NULL').pluck().all() as string[])
  const onDisk = list(join(dataDir, 'files'))
  const orphanDirs = onDisk.filter((name) => !known.has(name))
  const present = new Set(onDisk)
  const danglingDirs = [...known].filter((uuid) => !present.has(uuid))
  return { tmp, orphanDirs, danglingDirs }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits)
}
