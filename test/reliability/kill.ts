import type Sqlite from 'better-sqlite3'
import { ADMIN_PASSWORD, MULTIPART_TYPE, type ServerChild, bearerToken, geojsonUploadBody, integrityCheck, openReadonly, orphans, sleep, spawnServer } from './common'

/**
 * Check b: kill -9 at a random moment while writes run, restart on the same data folder, and
 * check the database and the folder. One data folder for every iteration, so damage accumulates.
 */

export interface KillOptions {
  dataDir: string
  iterations: number
  log: (line: string) => void
  /** Every Nth iteration kills during start-up (recovery, migrations check) instead of during writes. */
  startupKillEvery?: number
}

export interface KillResult {
  iterations: number
  killsDuringWrites: number
  killsDuringStartup: number
  writesSent: number
  writesAcked: number
  byKind: Record<WriteKind, { sent: number; acked: number }>
  integrityFailures: number
  problems: string[]
  meanIterationMs: number
}

type WriteKind = 'patch' | 'bulk' | 'upload' | 'set_perms'
const KINDS: WriteKind[] = ['patch', 'bulk', 'upload', 'set_perms']
const BULK_SIZE = 20

interface Sent {
  kind: WriteKind
  tag: string
  acked: boolean
  resourceId?: number
  username?: string
  /** Sent after the last acknowledged write to the same resource (may or may not have landed). */
  order: number
}

async function send(url: string, token: string, write: Sent, pools: { patch: number[]; perms: number[]; users: string[] }): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  let response: Response
  if (write.kind === 'patch') {
    response = await fetch(`${url}/api/v2/resources/${write.resourceId}`, { method: 'PATCH', headers, body: JSON.stringify({ title: write.tag }) })
  } else if (write.kind === 'set_perms') {
    response = await fetch(`${url}/api/v2/resources/${write.resourceId}/set_perms`, { method: 'PUT', headers, body: JSON.stringify({ users: { [write.username!]: ['view_resourcebase'] }, groups: {} }) })
  } else if (write.kind === 'bulk') {
    const maps = Array.from({ length: BULK_SIZE }, (_, i) => ({ title: `${write.tag} #${i}`, abstract: 'kill loop bulk create' }))
    response = await fetch(`${url}/api/v2/maps`, { method: 'POST', headers, body: JSON.stringify({ maps }) })
  } else {
    response = await fetch(`${url}/api/v2/uploads/upload/`, { method: 'POST', headers: { authorization: headers.authorization, 'content-type': MULTIPART_TYPE }, body: new Uint8Array(geojsonUploadBody(write.tag.replace(/[^a-z0-9]/gi, '_'), write.tag, 5)) })
  }
  await response.arrayBuffer()
  write.acked = response.status >= 200 && response.status < 300
  if (!write.acked && response.status !== 503) throw new Error(`${write.kind} ${write.tag}: HTTP ${response.status}`)
}

function checkIteration(db: Sqlite.Database, dataDir: string, sent: Sent[], problems: string[], iteration: number): void {
  const say = (line: string) => problems.push(`iteration ${iteration}: ${line}`)
  const title = db.prepare('SELECT title FROM resources WHERE id = ?').pluck()
  // For each resource written to: the last acknowledged write, or one sent after it, is what is stored.
  const byResource = new Map<string, Sent[]>()
  for (const w of sent) if (w.resourceId !== undefined) byResource.set(`${w.kind}:${w.resourceId}`, [...(byResource.get(`${w.kind}:${w.resourceId}`) ?? []), w])
  const granted = db.prepare("SELECT 1 FROM resource_user_perms p JOIN users u ON u.id = p.user_id WHERE p.resource_id = ? AND u.username = ? AND p.codename = 'view_resourcebase'")
  for (const writes of byResource.values()) {
    const lastAcked = writes.map((w, i) => (w.acked ? i : -1)).reduce((a, b) => Math.max(a, b), -1)
    if (lastAcked < 0) continue
    const allowed = writes.slice(lastAcked)
    const w = writes[lastAcked]!
    if (w.kind === 'patch') {
      const stored = title.get(w.resourceId) as string
      if (!allowed.some((a) => a.tag === stored)) say(`acknowledged PATCH "${w.tag}" of resource ${w.resourceId} lost (title is "${stored}")`)
    } else if (!allowed.some((a) => granted.get(a.resourceId, a.username))) say(`acknowledged set_perms for ${w.username} on ${w.resourceId} lost`)
  }
  const countLike = db.prepare('SELECT count(*) FROM resources WHERE title LIKE ?').pluck()
  const countIs = db.prepare('SELECT count(*) FROM resources WHERE title = ?').pluck()
  for (const w of sent) {
    if (w.kind === 'bulk') {
      const n = countLike.get(`${w.tag} #%`) as number
      if (w.acked && n !== BULK_SIZE) say(`acknowledged bulk create "${w.tag}" has ${n} of ${BULK_SIZE} items`)
      if (!w.acked && n !== 0 && n !== BULK_SIZE) say(`unacknowledged bulk create "${w.tag}" half present: ${n} of ${BULK_SIZE}`)
    } else if (w.kind === 'upload') {
      const n = countIs.get(w.tag) as number
      if (w.acked && n !== 1) say(`acknowledged upload "${w.tag}" missing`)
      if (n > 1) say(`upload "${w.tag}" created ${n} layers`)
    }
  }
  const stuck = db.prepare("SELECT count(*) FROM uploads WHERE state IN ('READY', 'PENDING', 'RUNNING')").pluck().get() as number
  if (stuck) say(`${stuck} upload(s) still RUNNING after recovery`)
  const staging = db.prepare("SELECT count(*) FROM feature_sets WHERE state = 'staging'").pluck().get() as number
  if (staging) say(`${staging} feature set(s) still staging after recovery`)
  const layersWithoutFeatures = db
    .prepare("SELECT count(*) FROM layers l JOIN resources r ON r.id = l.resource_id WHERE r.title LIKE 'kill % upload' AND (l.feature_set_id IS NULL OR NOT EXISTS (SELECT 1 FROM feature_sets f WHERE f.id = l.feature_set_id AND f.state = 'ready'))")
    .pluck()
    .get() as number
  if (layersWithoutFeatures) say(`${layersWithoutFeatures} uploaded layer(s) without a ready feature set`)
  const left = orphans(dataDir, db)
  if (left.tmp.length) say(`temp files left in tmp/uploads: ${left.tmp.join(', ')}`)
  if (left.orphanDirs.length) say(`orphan folders under files/: ${left.orphanDirs.join(', ')}`)
  if (left.danglingDirs.length) say(`resources whose files folder is missing: ${left.danglingDirs.join(', ')}`)
}

/** Waits until start-up recovery has run: the server answers, so recover() (which runs before the app is mounted) is done. */
async function ready(server: ServerChild): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${server.url}/api/v2/`).catch(() => null)
    if (response) {
      await response.arrayBuffer()
      if (response.status === 200) return
    }
    await sleep(20)
  }
  throw new Error('the server did not become ready')
}

export async function runKillLoop(options: KillOptions): Promise<KillResult> {
  const setup = openReadonly(options.dataDir)
  const ids = setup.prepare('SELECT id FROM resources ORDER BY id LIMIT 200').pluck().all() as number[]
  const users = setup.prepare("SELECT username FROM users WHERE is_superuser = 0 AND is_active = 1 AND username <> 'AnonymousUser' ORDER BY id LIMIT 20").pluck().all() as string[]
  setup.close()
  const pools = { patch: ids.slice(0, 100), perms: ids.slice(100, 200), users }
  const problems: string[] = []
  const byKind = Object.fromEntries(KINDS.map((k) => [k, { sent: 0, acked: 0 }])) as KillResult['byKind']
  let token: string | null = null
  let killsDuringWrites = 0
  let killsDuringStartup = 0
  let integrityFailures = 0
  let writesSent = 0
  let writesAcked = 0
  let order = 0
  const started = Date.now()
  let server: ServerChild | null = null
  for (let iteration = 1; iteration <= options.iterations; iteration++) {
    const startupKill = options.startupKillEvery !== undefined && iteration % options.startupKillEvery === 0
    if (startupKill) {
      if (server) await server.kill9()
      server = null
      // Killed while it opens, migrates and recovers the folder.
      let spawned: { pid: number } | null = null
      const pending = spawnServer(options.dataDir, [], { onSpawn: (child) => (spawned = { pid: child.pid! }) }).catch(() => null)
      await sleep(100 + Math.random() * 1200)
      try {
        process.kill(-(spawned as { pid: number } | null)!.pid, 'SIGKILL')
      } catch {
        // gone
      }
      const child = await pending
      if (child) await child.kill9()
      killsDuringStartup++
    } else {
      server ??= await spawnServer(options.dataDir)
      await ready(server)
      token ??= await bearerToken(server.url, 'admin', ADMIN_PASSWORD)
      const sent: Sent[] = []
      const killAt = 30 + Math.random() * 2000
      let killed = false
      const url = server.url
      const workers = Array.from({ length: 4 }, async (_, worker) => {
        let n = 0
        while (!killed) {
          const kind = KINDS[(worker + n) % KINDS.length]!
          const tag = `kill ${iteration}.${worker}.${n++} ${kind}`
          const write: Sent = { kind, tag, acked: false, order: order++ }
          if (kind === 'patch') write.resourceId = pools.patch[(worker * 25 + n) % pools.patch.length]
          if (kind === 'set_perms') {
            write.resourceId = pools.perms[(worker * 25 + n) % pools.perms.length]
            write.username = pools.users[(iteration + n) % pools.users.length]
          }
          sent.push(write)
          try {
            await send(url, token!, write, pools)
          } catch (error) {
            if (!killed) problems.push(`iteration ${iteration}: ${(error as Error).message}`)
            return
          }
        }
      })
      await sleep(killAt)
      killed = true
      await server.kill9()
      server = null
      await Promise.all(workers)
      killsDuringWrites++
      for (const w of sent) {
        byKind[w.kind].sent++
        if (w.acked) byKind[w.kind].acked++
      }
      writesSent += sent.length
      writesAcked += sent.filter((w) => w.acked).length
      // The restarted server runs start-up recovery; it then takes the next iteration's writes.
      server = await spawnServer(options.dataDir)
      await ready(server)
      const integrity = integrityCheck(options.dataDir)
      if (integrity !== 'ok') {
        integrityFailures++
        problems.push(`iteration ${iteration}: integrity_check: ${integrity}`)
      }
      const db = openReadonly(options.dataDir)
      try {
        checkIteration(db, options.dataDir, sent, problems, iteration)
      } finally {
        db.close()
      }
    }
    if (iteration % 10 === 0 || iteration === options.iterations) {
      options.log(`kill loop: ${iteration}/${options.iterations} iterations, ${writesAcked}/${writesSent} writes acknowledged, ${problems.length} problem(s)`)
    }
  }
  if (server) await server.kill9()
  // A last clean start: recovery after a start-up kill, checked like the others.
  const final = await spawnServer(options.dataDir)
  try {
    await ready(final)
    const integrity = integrityCheck(options.dataDir)
    if (integrity !== 'ok') problems.push(`final start: integrity_check: ${integrity}`)
    const db = openReadonly(options.dataDir)
    try {
      checkIteration(db, options.dataDir, [], problems, options.iterations + 1)
    } finally {
      db.close()
    }
  } finally {
    await final.stop()
  }
  return {
    iterations: options.iterations,
    killsDuringWrites,
    killsDuringStartup,
    writesSent,
    writesAcked,
    byKind,
    integrityFailures,
    problems,
    meanIterationMs: (Date.now() - started) / options.iterations
  }
}
