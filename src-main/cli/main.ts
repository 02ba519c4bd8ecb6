import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { systemClock } from '../clock'
import { ConfigError, loadConfig } from '../config'
import { openDatabase } from '../db/database'
import { MigrationFailed, migrateToLatest } from '../db/migrate'
import { DATABASE_FILE, startServer } from '../server'
import { bootstrapCatalogue } from '../services/bootstrap.service'
import { DEMO_PASSWORD, seedCatalogue } from '../seed/seed'

const USAGE = `Usage:
  mapshelf serve [--data-dir DIR] [--port N] [--host H] [--admin-password PW] [--site-url URL] [--ui-dir DIR] [--response-cache-mb N] [--enable-patch-all] [--log-requests]
  mapshelf seed  [--data-dir DIR] [--resources N] [--users N] [--groups N] [--admin-password PW]`

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
  help: { type: 'boolean', short: 'h' }
} as const

function count(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) throw new ConfigError(`--${name} must be a whole number, got "${value}"`)
  return n
}

async function serve(flags: Record<string, string | boolean | undefined>): Promise<void> {
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

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  const [command] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return
  }
  if (command === 'serve') return serve(values)
  if (command === 'seed') return seed(values)
  throw new ConfigError(`unknown command "${command}"\n${USAGE}`)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof MigrationFailed || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`mapshelf: ${(error as Error).message}`)
  } else if ((error as { code?: string }).code === 'EADDRINUSE') {
    console.error(`mapshelf: ${(error as Error).message}: the port is taken; pass --port 0 for a free one`)
  } else {
    console.error(error)
  }
  process.exit(1)
})
