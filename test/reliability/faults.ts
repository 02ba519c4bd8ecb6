import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ADMIN_PASSWORD, MULTIPART_TYPE, type ServerChild, bearerToken, geojsonUploadBody, integrityCheck, openReadonly, orphans, seedDataDir, spawnServer } from './common'

/**
 * Check c: disk full and a read-only data folder, on a small tmpfs mounted for the check (root
 * ignores file modes, so chmod proves nothing here; a read-only mount binds root too).
 */

export interface FaultStep {
  fault: 'disk full' | 'read-only at start'
  action: string
  status: string
  /** What we required, and whether it held. */
  expected: string
  held: boolean
}

export interface FaultResult {
  simulated: boolean
  /** Why not, when it could not be simulated. */
  reason: string | null
  steps: FaultStep[]
  integrity: string[]
  problems: string[]
}

function tryMount(dir: string, sizeMb: number): string | null {
  try {
    mkdirSync(dir, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()}`
  }
}

function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' })
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
    } catch {
      // left mounted; reported by the caller's log
    }
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Fills the file system until about `leaveBytes` are free. */
function fill(dir: string, leaveBytes: number): string {
  const file = join(dir, 'filler.bin')
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(256 * 1024, 1)
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(dir)
      const free = bavail * bsize
      if (free <= leaveBytes) break
      writeSync(fd, chunk, 0, Math.min(chunk.length, free - leaveBytes))
    }
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd)
  }
  return file
}

interface Call {
  status: number
  json: boolean
  detail: string
}

async function call(url: string, init: RequestInit): Promise<Call> {
  try {
    const response = await fetch(url, init)
    const text = await response.text()
    const json = (response.headers.get('content-type') ?? '').includes('json')
    let detail = text.slice(0, 160)
    try {
      const body = JSON.parse(text) as Record<string, unknown>
      detail = JSON.stringify(body.detail ?? body.errors ?? body).slice(0, 160)
    } catch {
      // not JSON
    }
    return { status: response.status, json, detail }
  } catch (error) {
    return { status: 0, json: false, detail: `no answer: ${(error as Error).message}` }
  }
}

const describe = (c: Call) => (c.status === 0 ? c.detail : `${c.status}${c.json ? ' JSON' : ''} ${c.detail}`)

export async function runFaults(options: { mountDir: string; log: (line: string) => void }): Promise<FaultResult> {
  const steps: FaultStep[] = []
  const problems: string[] = []
  const integrity: string[] = []
  const why = tryMount(options.mountDir, 40)
  if (why) return { simulated: false, reason: why, steps, integrity, problems }
  const dataDir = join(options.mountDir, 'data')
  let server: ServerChild | null = null
  const step = (fault: FaultStep['fault'], action: string, result: Call, expected: string, held: boolean) => {
    steps.push({ fault, action, status: describe(result), expected, held })
    if (!held) problems.push(`${fault}: ${action}: got ${describe(result)}, expected ${expected}`)
  }
  const isCleanError = (c: Call) => c.status >= 400 && c.status < 600 && c.status !== 0 && c.json
  /** A JSON error that names the cause: 4xx, or 503/507 (storage), never the generic 500. */
  const isClearError = (c: Call) => isCleanError(c) && c.status !== 500
  try {
    await seedDataDir(dataDir, 300)
    server = await spawnServer(dataDir)
    const token = await bearerToken(server.url, 'admin', ADMIN_PASSWORD)
    const auth = { authorization: `Bearer ${token}` }
    const json = { ...auth, 'content-type': 'application/json' }
    const db = openReadonly(dataDir)
    const target = db.prepare('SELECT id FROM resources ORDER BY id LIMIT 1').pluck().get() as number
    db.close()
    const list = () => call(`${server!.url}/api/v2/resources?page_size=5`, {})
    const patch = (title: string) => call(`${server!.url}/api/v2/resources/${target}`, { method: 'PATCH', headers: json, body: JSON.stringify({ title }) })
    const upload = (name: string, pad: number) => call(`${server!.url}/api/v2/uploads/upload/`, { method: 'POST', headers: { ...auth, 'content-type': MULTIPART_TYPE }, body: new Uint8Array(geojsonUploadBody(name, name, 10, pad)) })

    // Disk full: an upload bigger than the free space, then small writes, then reads.
    const filler = fill(options.mountDir, 1024 * 1024)
    options.log(`faults: tmpfs filled, ${(statfsSync(options.mountDir).bavail * statfsSync(options.mountDir).bsize / 1e6).toFixed(2)} MB free`)
    let r = await upload('too_big', 4 * 1024 * 1024)
    step('disk full', 'upload of 4 MB GeoJSON with ~1 MB free', r, 'a JSON error naming the cause, not a 500', isClearError(r))
    r = await list()
    step('disk full', 'GET /api/v2/resources after the failed upload', r, '200', r.status === 200)
    const full = fill(options.mountDir, 0)
    r = await patch('written on a full disk')
    step('disk full', 'PATCH title with 0 bytes free', r, '200 (fits in WAL pages already allocated) or a JSON error naming the cause (507), not a 500', r.status === 200 || isClearError(r))
    r = await list()
    step('disk full', 'GET /api/v2/resources with 0 bytes free', r, '200', r.status === 200)
    step('disk full', 'server process still running', { status: server.exited() ? 0 : 200, json: false, detail: server.exited() ?? 'alive' }, 'alive', !server.exited())
    rmSync(full, { force: true })
    rmSync(filler, { force: true })
    r = await patch('written after space came back')
    step('disk full', 'PATCH after freeing space', r, '200', r.status === 200)
    r = await upload('after_full', 0)
    step('disk full', 'small upload after freeing space', r, '200', r.status === 200)
    const tmpLeft = existsSync(join(dataDir, 'tmp', 'uploads')) ? readdirSync(join(dataDir, 'tmp', 'uploads')) : []
    step('disk full', 'tmp/uploads after the failed upload', { status: tmpLeft.length ? 0 : 200, json: false, detail: tmpLeft.join(', ') || 'empty' }, 'empty', tmpLeft.length === 0)
    // A mount cannot turn read-only under a process that has files open for writing (mount says
    // "busy"), so the read-only case is a folder that is read-only when the server starts.
    await server.stop()
    server = null
    integrity.push(`after disk full: ${integrityCheck(dataDir)}`)

    // A folder that is read-only before the server starts.
    remount(options.mountDir, 'ro')
    let startError = ''
    try {
      server = await spawnServer(dataDir, [], { timeoutMs: 30_000 })
    } catch (error) {
      startError = (error as Error).message.split('\n').filter((l) => /mapshelf|Error|readonly|read-only/i.test(l)).slice(0, 2).join(' | ')
    }
    if (server) {
      step('read-only at start', 'start on a read-only folder', { status: 200, json: false, detail: 'started' }, 'starts (or refuses with a clear message)', true)
      r = await list()
      step('read-only at start', 'GET /api/v2/resources', r, '200', r.status === 200)
      r = await call(`${server.url}/api/v2/resources/${target}`, { headers: auth })
      step('read-only at start', `GET /api/v2/resources/${target}`, r, '200', r.status === 200)
      r = await patch('written at a read-only start')
      step('read-only at start', 'PATCH title', r, 'a JSON error naming the cause, not a 500', isClearError(r))
      r = await upload('on_readonly', 0)
      step('read-only at start', 'small upload', r, 'a JSON error naming the cause, not a 500', isClearError(r))
      step('read-only at start', 'server process still running', { status: server.exited() ? 0 : 200, json: false, detail: server.exited() ?? 'alive' }, 'alive', !server.exited())
      await server.stop()
      server = null
    } else {
      step('read-only at start', 'start on a read-only folder', { status: 0, json: false, detail: `refused: ${startError || '(no message)'}` }, 'starts and serves reads with write errors (or refuses with a clear message)', false)
    }
    remount(options.mountDir, 'rw')
    const final = openReadonly(dataDir)
    const left = orphans(dataDir, final)
    final.close()
    if (left.tmp.length || left.orphanDirs.length || left.danglingDirs.length) problems.push(`leftovers: ${JSON.stringify(left)}`)
    integrity.push(`at the end: ${integrityCheck(dataDir)}`)
    for (const line of integrity) if (!line.endsWith(': ok')) problems.push(`integrity_check ${line}`)
    return { simulated: true, reason: null, steps, integrity, problems }
  } finally {
    if (server) await server.kill9()
    try {
      remount(options.mountDir, 'rw')
    } catch {
      // not mounted
    }
    unmount(options.mountDir)
  }
}
