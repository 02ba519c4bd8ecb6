import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { existsSync, mkdirSync } from 'node:fs'
import { systemClock } from '../clock'
import { ConfigError, loadConfig } from '../config'
import { openDatabase } from '../db/database'
import { MigrationFailed, migrateToLatest } from '../db/migrate'
import { DATABASE_FILE, startServer } from '../server'
import { bootstrapCatalogue } from '../services/bootstrap.service'
import { DEMO_PASSWORD, seedCatalogue } from '../seed/seed'
import { BackupError, createBackup, restoreBackup } from '../backup/backup'

const USAGE = `Usage:
  mapshelf serve [--data-dir DIR] [--port N] [--host H] [--admin-password PW] [--site-url URL] [--ui-dir DIR] [--response-cache-mb N] [--enable-patch-all] [--log-requests]
  mapshelf seed  [--data-dir DIR] [--resources N] [--users N] [--groups N] [--admin-password PW]
  mapshelf backup  [--data-dir DIR] --out FILE          (safe while the server runs)
  mapshelf restore [--data-dir DIR] --from FILE [--force] (--force moves a non-empty DIR aside)`

const OPTIONS = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'admin-password': { type: 'string' },
  'site-url': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'log-requests': { type: 'boolean' },
  'ui-dir': { type: 'string' },
  'response-cache-mb': { type: 'string' },
  'enable-patch-all': { type: 'boolean' },
  resources: { type: 'string' },
  users: { type: 'string' },
  groups: { type: 'string' },
  out: { type: 'string' },
  from: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

function count(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) throw new ConfigError(`--${name} must be a whole number, got "${value}"`)
  return n
}

/** The renderer `npm run build` makes, served at / unless --ui-dir (or MAPSHELF_UI_DIR) says otherwise. */
const BUILT_UI = fileURLToPath(new URL('../../out/renderer', import.meta.url))

async function serve(flags: Record<string, string | boolean | undefined>): Promise<void> {
  if (flags['ui-dir'] === undefined && !process.env.MAPSHELF_UI_DIR && existsSync(join(BUILT_UI, 'index.html'))) flags = { ...flags, 'ui-dir': BUILT_UI }
  const config = loadConfig({ flags, env: process.env })
  const server = await startServer(config)
  console.log(server.url)
  if (server.generatedAdminPassword) {
    console.error(`Created superuser "admin" with password: ${server.generatedAdminPassword} (shown once)`)
  }
  const stop = async () => {
    await server.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function seed(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const config = loadConfig({ flags, env: process.env })
  mkdirSync(config.dataDir, { recursive: true })
  const database = openDatabase(join(config.dataDir, DATABASE_FILE))
  try {
    await migrateToLatest(database.db)
    const boot = bootstrapCatalogue(database.sqlite, { adminPassword: config.adminPassword, clock: systemClock() })
    const existing = database.sqlite.prepare('SELECT count(*) AS n FROM resources').get() as { n: number }
    if (existing.n > 0) throw new ConfigError(`${config.dataDir} already holds ${existing.n} resources; seed an empty data folder`)
    const started = performance.now()
    const summary = seedCatalogue(database.sqlite, {
      resources: count('resources', flags.resources as string | undefined, 1000) as number,
      users: count('users', flags.users as string | undefined),
      groups: count('groups', flags.groups as string | undefined)
    })
    database.sqlite.pragma('optimize')
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const r = summary.resources
    console.log(
      `Seeded ${r.total} resources (${r.layer} layers, ${r.map} maps, ${r.document} documents, ${r.geoapp} geoapps, ${r.geostory} geostories), ` +
        `${summary.users} users and ${summary.groups} groups into ${config.dataDir} in ${seconds} s.`
    )
    console.log(`Every seeded user's password is "${DEMO_PASSWORD}"; for example ${summary.fixtures.plainUser}.`)
    if (boot.generatedAdminPassword) console.log(`Created superuser "admin" with password: ${boot.generatedAdminPassword} (shown once)`)
  } finally {
    database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
    await database.close()
  }
}

function required(flags: Record<string, string | boolean | undefined>, name: string): string {
  const value = flags[name]
  if (typeof value !== 'string' || !value) throw new ConfigError(`--${name} FILE is required\n${USAGE}`)
  return value
}

async function backup(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const out = required(flags, 'out')
  const config = loadConfig({ flags, env: process.env })
  const result = await createBackup({ dataDir: config.dataDir, out, log: (line) => console.error(line) })
  console.log(`Backed up ${result.manifest.resources} resources and ${result.manifest.entries.length - 1} files to ${result.out} (${(result.bytes / 1e6).toFixed(1)} MB; changes up to seq ${result.manifest.changesSeq}).`)
}

async function restore(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const from = required(flags, 'from')
  const config = loadConfig({ flags, env: process.env })
  const result = await restoreBackup({ dataDir: config.dataDir, from, force: flags.force === true, log: (line) => console.error(line) })
  console.log(`Restored ${result.manifest.resources} resources (backup of ${result.manifest.createdAt}) into ${result.dataDir}.`)
  if (result.movedAside) console.log(`The previous data folder was kept as ${result.movedAside}.`)
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  const [command] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return
  }
  if (command === 'serve') return serve(values)
  if (command === 'seed') return seed(values)
  if (command === 'backup') return backup(values)
  if (command === 'restore') return restore(values)
  throw new ConfigError(`unknown command "${command}"\n${USAGE}`)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof MigrationFailed || error instanceof BackupError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`mapshelf: ${(error as Error).message}`)
  } else if (/^SQLITE_(CANTOPEN|READONLY|FULL|IOERR)|^(EROFS|EACCES|ENOSPC)$/.test((error as { code?: string }).code ?? '')) {
    // The data folder cannot be written (read-only mount, permissions, full disk): one line, not a stack.
    console.error(`mapshelf: cannot open the catalogue for writing (${(error as { code?: string }).code}: ${(error as Error).message}); is the data folder read-only or its disk full?`)
  } else if ((error as { code?: string }).code === 'EADDRINUSE') {
    console.error(`mapshelf: ${(error as Error).message}: the port is taken; pass --port 0 for a free one`)
  } else {
    console.error(error)
  }
  process.exit(1)
})
