import { afterAll, beforeAll } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../src-main/clock'
import { loadConfig } from '../../src-main/config'
import { openDatabase } from '../../src-main/db/database'
import { migrateToLatest } from '../../src-main/db/migrate'
import type { Logger } from '../../src-main/errors'
import { DATABASE_FILE, type RunningServer, startServer } from '../../src-main/server'
import { bootstrapCatalogue } from '../../src-main/services/bootstrap.service'
import { DEMO_PASSWORD, type SeedSummary, seedCatalogue } from '../../src-main/seed/seed'

export const ADMIN_PASSWORD = 'admin-test-password'
export { DEMO_PASSWORD }

export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string
  dataDir: string
  seed: SeedSummary | null
  running: RunningServer
  /** Server log lines (errors would show a 500's stack here). */
  logs: string[]
  close(): Promise<void>
}

export interface TestServerOptions {
  /** Seed a demo catalogue of this many resources first (omit for an empty catalogue). */
  resources?: number
  /** The seed's random seed (two catalogues seeded alike share uuids; give a second one another). */
  seed?: number
  /** The bootstrap admin's password (ADMIN_PASSWORD unless given). */
  adminPassword?: string
  flags?: Record<string, string | boolean>
  /** The HTTP client the server's sync uses for remotes (tests slow it down or break it). */
  fetch?: typeof fetch
}

/** A fresh server on an ephemeral port with its own temporary data folder. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mapshelf-test-'))
  let seed: SeedSummary | null = null
  if (options.resources !== undefined) {
    const database = openDatabase(join(dataDir, DATABASE_FILE))
    await migrateToLatest(database.db)
    bootstrapCatalogue(database.sqlite, { adminPassword: options.adminPassword ?? ADMIN_PASSWORD, clock: systemClock() })
    seed = seedCatalogue(database.sqlite, { resources: options.resources, seed: options.seed })
    await database.close()
  }
  const logs: string[] = []
  const log: Logger = {
    info: (m) => logs.push(m),
    warn: (m) => logs.push(m),
    error: (m, e) => logs.push(`${m} ${e instanceof Error ? e.stack : String(e ?? '')}`)
  }
  const config = loadConfig({ flags: { 'data-dir': dataDir, port: '0', 'admin-password': options.adminPassword ?? ADMIN_PASSWORD, ...options.flags } })
  const running = await startServer(config, { log, fetch: options.fetch })
  return {
    url: running.url,
    dataDir,
    seed,
    running,
    logs,
    async close() {
      await running.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export type Who = 'anonymous' | 'admin' | { username: string; password: string } | { token: string }

export function authHeader(who: Who): Record<string, string> {
  if (who === 'anonymous') return {}
  if (who === 'admin') return { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` }
  if ('token' in who) return { authorization: `Bearer ${who.token}` }
  return { authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString('base64')}` }
}

/** A seeded user by name, with the demo password. */
export function user(username: string): Who {
  return { username, password: DEMO_PASSWORD }
}

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

/** One HTTP request; JSON bodies are parsed when the response says JSON. */
export async function request<T = any>(
  server: Pick<TestServer, 'url'>,
  path: string,
  options: { who?: Who; method?: string; headers?: Record<string, string>; body?: unknown; form?: Record<string, string> } = {}
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...authHeader(options.who ?? 'anonymous'), ...options.headers }
  let body: string | undefined
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  } else if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  const response = await fetch(server.url + path, { method: options.method ?? 'GET', headers, body })
  const text = await response.text()
  const isJson = (response.headers.get('content-type') ?? '').includes('json')
  return { status: response.status, headers: response.headers, text, body: (isJson && text ? JSON.parse(text) : text) as T }
}

/** Exactly the five keys of a GeoNode list envelope. */
export function envelopeKeys(plural: string): string[] {
  return ['links', 'total', 'page', 'page_size', plural].sort()
}

/**
 * Registers a fresh seeded server for the current test file (started before all its tests, closed
 * after). `server` and `fx` (the seed's fixtures) are readable from inside tests and hooks.
 */
export function useSeededServer(options: TestServerOptions & { resources: number }) {
  let started: TestServer | undefined
  beforeAll(async () => {
    started = await startTestServer(options)
  })
  afterAll(() => started?.close())
  return {
    get server(): TestServer {
      if (!started) throw new Error('the test server has not started')
      return started
    },
    get fx() {
      return this.server.seed!.fixtures
    }
  }
}
