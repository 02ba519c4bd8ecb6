import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type Clock, systemClock } from './clock'
import { DATABASE_FILE, VERSION } from './product'
import type { Config } from './config'
import { type OpenedDatabase, openDatabase } from './db/database'
import { useSqliteBinding } from './platform/sqlite-binding'
import { migrateToLatest } from './db/migrate'
import { createApp } from './http/app'
import type { Logger } from './errors'
import { type Services, createServices } from './composition'
import { bootstrapCatalogue } from './services/bootstrap.service'
import { applyPendingRestore } from './services/backup.service'
import { DataFolder } from './ingest/data-folder'
import { IngestWorker, WorkerClosed } from './ingest/worker-pool'
import { type SecretBox, keyFileSecretBox } from './sync/secrets'

export { DATABASE_FILE, VERSION }

export interface RunningServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:8000 */
  url: string
  port: number
  services: Services
  database: OpenedDatabase
  /** Set when this start created the admin account with a generated password. */
  generatedAdminPassword: string | null
  /** A bearer token for the first superuser: the desktop shell hands it to its renderer. */
  desktopToken(): Promise<string>
  close(): Promise<void>
}

export const consoleLogger: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
  error: (message, error) => console.error(message, error instanceof Error ? error.stack : (error ?? ''))
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/**
 * Opens (or creates) the catalogue in the data folder, migrates it, makes sure the system rows
 * exist, and listens. Resolves only once requests can be served.
 */
export interface ServerOptions {
  clock?: Clock
  log?: Logger
  /** Seals sync credentials; the desktop shell passes one backed by the OS keychain. */
  secrets?: SecretBox
  /** The HTTP client sync uses for remotes (tests put a fault-injecting one here). */
  fetch?: typeof fetch
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock()
  const log = options.log ?? consoleLogger
  // A restore staged from the GUI takes the data folder's place before anything opens it.
  const kept = applyPendingRestore(config.dataDir, new Date(clock.epochMs()))
  if (kept) log.warn(`Restored the staged backup into ${config.dataDir}; the previous catalogue is kept in ${kept}.`)
  mkdirSync(config.dataDir, { recursive: true })
  useSqliteBinding(config.sqliteBinding)
  // A read-only data folder (a write-protected disk, a read-only mount) is still served, read-only:
  // from a copy of the catalogue file in a temporary folder, with every write answered 503.
  const readOnly = isReadOnlyFolder(config.dataDir)
  let snapshotDir: string | null = null
  if (readOnly) {
    const file = join(config.dataDir, DATABASE_FILE)
    if (!existsSync(file)) throw new Error(`The data folder ${config.dataDir} is read-only and holds no catalogue to serve.`)
    snapshotDir = mkdtempSync(join(tmpdir(), 'mapshelf-read-only-'))
    for (const suffix of ['', '-wal']) if (existsSync(file + suffix)) copyFileSync(file + suffix, join(snapshotDir, DATABASE_FILE + suffix))
    log.warn(`The data folder ${config.dataDir} is read-only: serving it read-only; every change answers 503 until it is writable again.`)
  }
  const database = openDatabase(join(snapshotDir ?? config.dataDir, DATABASE_FILE))
  try {
    await migrateToLatest(database.db)
    const boot = bootstrapCatalogue(database.sqlite, { adminPassword: config.adminPassword, clock })
    const server = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"Starting."}')
    })
    server.headersTimeout = 20_000
    server.requestTimeout = 120_000
    server.keepAliveTimeout = 5_000
    const port = await listen(server, config.host, config.port)
    const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host
    const url = `http://${hostInUrl}:${port}`
    const siteUrl = config.siteUrl ?? `${url}/`
    const folder = new DataFolder(config.dataDir, { readOnly })
    if (!readOnly) {
      const recovered = folder.recover(database.sqlite)
      if (recovered.interrupted) log.warn(`${recovered.interrupted} upload(s) were interrupted by the last stop; marked INVALID.`)
    }
    const worker = new IngestWorker(join(config.dataDir, DATABASE_FILE), config.sqliteBinding)
    const secrets = options.secrets ?? keyFileSecretBox(config.dataDir)
    const services = createServices({ db: database.db, config, clock, system: boot.system, siteUrl, sqlite: database.sqlite, folder, worker, secrets, fetch: options.fetch })
    // Features of replaced, deleted or interrupted layers are cleared off the API thread.
    if (!readOnly) {
      void worker.clearDropped().catch((error: Error) => {
        if (!(error instanceof WorkerClosed)) log.warn(`clearing dropped layer data failed: ${error.message}`)
      })
    }
    const app = createApp({ db: database.db, sqlite: database.sqlite, folder, config, services, system: boot.system, log, version: VERSION, siteUrl, readOnly })
    server.removeAllListeners('request')
    server.on('request', app)
    let closed = false
    return {
      url,
      port,
      services,
      database,
      generatedAdminPassword: boot.generatedAdminPassword,
      async desktopToken() {
        const admin = await database.db
          .selectFrom('users')
          .select('id')
          .where('is_superuser', '=', 1)
          .where('is_active', '=', 1)
          .orderBy('id')
          .executeTakeFirstOrThrow()
        return services.auth.tokenFor(admin.id)
      },
      async close() {
        if (closed) return
        closed = true
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
          setTimeout(() => server.closeAllConnections(), 2_000).unref()
        })
        await services.sync.cancelAll()
        await worker.close()
        database.sqlite.pragma('wal_checkpoint(TRUNCATE)')
        await database.close()
        if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true })
      }
    }
  } catch (error) {
    await database.close()
    if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true })
    throw error
  }
}

/** Nothing can be written in the folder (EROFS, or no permission for this user). */
function isReadOnlyFolder(dir: string): boolean {
  const probe = join(dir, `.write-probe-${process.pid}`)
  try {
    writeFileSync(probe, '')
    rmSync(probe, { force: true })
    return false
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return true
    throw error
  }
}
