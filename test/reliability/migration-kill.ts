import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { DATABASE_FILE, fixtureDir } from '../fixtures/schemas/make'
import { STEPS } from '../fixtures/schemas/dataset'
import { type CatalogueRows, catalogueRows, differentRows } from '../helpers/catalogue-rows'
import { integrityCheck, sleep, spawnServer } from './common'
import { PROBE_END, PROBE_START } from './migration-probe'

/**
 * Check e: kill -9 while a data folder of an older schema migrates. Each round copies a schema
 * fixture (oldest first, then each older step in turn), starts the server on it and kills it at a
 * random moment inside its migration, one to three times; after each kill the file must pass
 * `PRAGMA integrity_check` and hold exactly the schema of the migrations it records (never half of
 * one); then a clean start must finish the migration and leave every row equal to the same fixture
 * upgraded without kills.
 */

export interface MigrationKillOptions {
  workDir: string
  /** Kills to make in all (rounds go on until there are this many). */
  kills: number
  log: (line: string) => void
  /** Fixture steps to migrate from (default: every step but the newest, oldest first). */
  steps?: string[]
}

export interface MigrationKillResult {
  rounds: number
  kills: number
  /** Kills that struck between the migration's start and end (as the server child reported them). */
  killsInMigration: number
  /** After the kill: the file still at the fixture's schema, at the newest one, or at a step between. */
  outcomes: { untouched: number; complete: number; between: number }
  integrityFailures: number
  /** Rounds whose clean restart finished the migration with every row equal to the upgrade without kills. */
  roundsHeld: number
  steps: string[]
  /** The migration's own length per step, measured on the upgrade without kills. */
  migrationMs: Record<string, number>
  problems: string[]
  seconds: number
}

const PROBE = ['--import', './test/reliability/migration-probe.ts']
/** The migrations table records when each ran; nothing else may differ between two upgrades. */
const LEAVE_OUT = { kysely_migration: ['timestamp'] }
const KILLS_PER_ROUND = 3

type Schema = Set<string>

function schemaOf(file: string): { schema: Schema; applied: string[] } {
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true })
  try {
    const schema = new Set((sqlite.prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS line FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' AND name NOT LIKE 'sqlite_stat%'").pluck().all() as string[]))
    const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get() !== undefined
    const applied = hasTable ? (sqlite.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all() as string[]) : []
    return { schema, applied }
  } finally {
    sqlite.close()
  }
}

function sameSchema(a: Schema, b: Schema): string[] {
  return [...[...a].filter((l) => !b.has(l)).map((l) => `extra ${l.slice(0, 120)}`), ...[...b].filter((l) => !a.has(l)).map((l) => `missing ${l.slice(0, 120)}`)]
}

interface Started {
  child: { pid: number } | null
  started: number | null
  ended: number | null
  exited: boolean
}

/** Spawns the server with the probe; resolves once the migration starts, the server is up, or it exited. */
function spawnProbed(dataDir: string): { state: Started; server: ReturnType<typeof spawnServer>; migrating: Promise<void> } {
  const state: Started = { child: null, started: null, ended: null, exited: false }
  let signal = () => {}
  const migrating = new Promise<void>((resolve) => (signal = resolve))
  const server = spawnServer(dataDir, [], {
    nodeArgs: PROBE,
    timeoutMs: 60_000,
    onSpawn: (child) => {
      state.child = { pid: child.pid! }
      let buffered = ''
      child.stderr!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        if (state.started === null && buffered.includes(PROBE_START)) {
          state.started = performance.now()
          signal()
        }
        if (state.ended === null && buffered.includes(PROBE_END)) state.ended = performance.now()
      })
      child.once('exit', () => {
        state.exited = true
        signal()
      })
    }
  })
  void server.then(signal, signal)
  return { state, server, migrating }
}

/** The schema objects of every step's fixture (read from a copy: the committed files stay untouched). */
function fixtureSchemas(workDir: string): Map<string, Schema> {
  const out = new Map<string, Schema>()
  for (const step of STEPS) {
    const dir = join(workDir, `schema-${step}`)
    cpSync(join(fixtureDir(step), DATABASE_FILE), join(dir, DATABASE_FILE))
    out.set(step, schemaOf(join(dir, DATABASE_FILE)).schema)
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

/** The fixture upgraded by a start without kills: its rows and how long the migration took. */
async function reference(step: string, dir: string): Promise<{ rows: CatalogueRows; ms: number }> {
  cpSync(fixtureDir(step), dir, { recursive: true })
  const { state, server } = spawnProbed(dir)
  const running = await server
  await running.stop()
  if (state.started === null || state.ended === null) throw new Error(`${step}: the server did not report its migration`)
  const rows = catalogueRows(join(dir, DATABASE_FILE), LEAVE_OUT)
  rmSync(dir, { recursive: true, force: true })
  return { rows, ms: state.ended - state.started }
}

export async function runMigrationKills(options: MigrationKillOptions): Promise<MigrationKillResult> {
  const began = performance.now()
  const steps = options.steps ?? STEPS.slice(0, -1)
  const newest = STEPS[STEPS.length - 1]!
  mkdirSync(options.workDir, { recursive: true })
  const schemaAt = fixtureSchemas(options.workDir)
  const references = new Map<string, Awaited<ReturnType<typeof reference>>>()
  for (const step of steps) references.set(step, await reference(step, join(options.workDir, `reference-${step}`)))
  const result: MigrationKillResult = {
    rounds: 0, kills: 0, killsInMigration: 0, outcomes: { untouched: 0, complete: 0, between: 0 }, integrityFailures: 0, roundsHeld: 0, steps,
    migrationMs: Object.fromEntries([...references].map(([step, r]) => [step, r.ms])), problems: [], seconds: 0
  }
  while (result.kills < options.kills) {
    const step = steps[result.rounds % steps.length]!
    const round = ++result.rounds
    const say = (line: string) => result.problems.push(`round ${round} (${step}): ${line}`)
    const dir = join(options.workDir, `round-${round}`)
    const file = join(dir, DATABASE_FILE)
    cpSync(fixtureDir(step), dir, { recursive: true })
    const window = Math.max(references.get(step)!.ms * 1.25, 5)
    const kills = Math.min(1 + Math.floor(Math.random() * KILLS_PER_ROUND), options.kills - result.kills)
    let broken = false
    for (let k = 0; k < kills && !broken; k++) {
      const { state, server, migrating } = spawnProbed(dir)
      await migrating
      if (state.started === null) {
        const why = await server.then(() => 'started without migrating', (error: Error) => error.message.split('\n').slice(0, 3).join(' | '))
        say(`start ${k + 1} did not reach the migration: ${why}`)
        broken = true
        break
      }
      await sleep(Math.random() * window)
      const inMigration = state.ended === null
      try {
        process.kill(-state.child!.pid, 'SIGKILL')
      } catch {
        // already gone
      }
      const child = await server.catch(() => null)
      if (child) await child.kill9()
      result.kills++
      if (inMigration) result.killsInMigration++
      const integrity = integrityCheck(dir)
      if (integrity !== 'ok') {
        result.integrityFailures++
        say(`after kill ${k + 1}: integrity_check: ${integrity}`)
      }
      const { schema, applied } = schemaOf(file)
      const at = applied[applied.length - 1] ?? '(none)'
      if (at === step) result.outcomes.untouched++
      else if (at === newest) result.outcomes.complete++
      else result.outcomes.between++
      const expected = schemaAt.get(at) ?? new Set<string>()
      const drift = sameSchema(schema, expected)
      if (drift.length) say(`after kill ${k + 1} (${inMigration ? 'inside' : 'after'} the migration): half migrated, the file records ${at} but ${drift.length} schema objects differ: ${drift.slice(0, 3).join('; ')}`)
    }
    if (!broken) {
      try {
        const server = await spawnServer(dir, [], { timeoutMs: 60_000 })
        await server.stop()
        const integrity = integrityCheck(dir)
        const different = differentRows(references.get(step)!.rows, catalogueRows(file, LEAVE_OUT))
        if (integrity !== 'ok') say(`after the clean restart: integrity_check: ${integrity}`)
        if (different.length) say(`after the clean restart, ${different.length} rows differ from the upgrade without kills: ${different.slice(0, 3).join(' | ').slice(0, 600)}`)
        if (integrity === 'ok' && different.length === 0) result.roundsHeld++
      } catch (error) {
        say(`the clean restart failed: ${(error as Error).message.split('\n').slice(0, 4).join(' | ').slice(0, 600)}`)
      }
    }
    rmSync(dir, { recursive: true, force: true })
    if (round % 10 === 0 || result.kills >= options.kills) options.log(`migration kills: ${result.kills}/${options.kills} kills in ${round} rounds, ${result.killsInMigration} inside a migration, ${result.problems.length} problem(s)`)
  }
  result.seconds = (performance.now() - began) / 1000
  return result
}
