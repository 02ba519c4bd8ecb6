import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface Config {
  readonly dataDir: string
  readonly host: string
  readonly port: number
  /** Absolute base for `link`, `detail_url`, `avatar`...; when null, the listening URL is used. */
  readonly siteUrl: string | null
  readonly adminPassword: string | null
  /** Extra Host header values accepted besides the server's own loopback names. */
  readonly allowedHosts: readonly string[]
  readonly defaultPageSize: number
  /** GeoNode's RESOURCE_PUBLISHING: anonymous callers never see unpublished resources. */
  readonly resourcePublishing: boolean
  /** GeoNode's ADMIN_MODERATE_UPLOADS: anonymous callers see only approved, published resources. */
  readonly adminModerateUploads: boolean
  /** GeoNode's GROUP_PRIVATE_RESOURCES: resources of private groups are hidden from non-members. */
  readonly groupPrivateResources: boolean
  readonly tokenLifetimeSeconds: number
  readonly logRequests: boolean
  /** DREST's patch-all (`PATCH <list>?patch-all=true|query`), off unless enabled. */
  readonly patchAll: boolean
  /** Memory for remembered GET bodies (invalidated by any write); 0 turns the cache off. */
  readonly responseCacheBytes: number
  /** Folder of the built renderer, served at `/` so the GUI and the API share one origin. */
  readonly uiDir: string | null
  /**
   * A better-sqlite3 native module built for another runtime (Electron's ABI when the desktop app
   * runs from source); null loads the one in node_modules. See docs/decisions.md.
   */
  readonly sqliteBinding: string | null
}

export type ConfigSource = {
  flags?: Record<string, string | boolean | undefined>
  env?: Record<string, string | undefined>
}

export class ConfigError extends Error {}

export function defaultDataDir(env: Record<string, string | undefined> = {}): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'mapshelf')
}

function bool(name: string, value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value === 'boolean') return value
  if (/^(1|true|yes|on)$/i.test(value)) return true
  if (/^(0|false|no|off)$/i.test(value)) return false
  throw new ConfigError(`${name} must be true or false, got "${value}"`)
}

function int(name: string, value: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
  return n
}

/**
 * Reads flags and MAPSHELF_* environment variables once (flags win), validates, freezes.
 * The only place that reads the environment.
 */
export function loadConfig(source: ConfigSource = {}): Config {
  const flags = source.flags ?? {}
  const env = source.env ?? {}
  const pick = (flag: string, variable: string) => flags[flag] ?? env[variable]
  const dataDir = pick('data-dir', 'MAPSHELF_DATA_DIR')
  const siteUrl = pick('site-url', 'MAPSHELF_SITE_URL')
  if (siteUrl !== undefined && (typeof siteUrl !== 'string' || !/^https?:\/\/[^/]+/.test(siteUrl))) {
    throw new ConfigError(`site URL must be an absolute http(s) URL, got "${String(siteUrl)}"`)
  }
  const hosts = pick('allowed-hosts', 'MAPSHELF_ALLOWED_HOSTS')
  const adminPassword = pick('admin-password', 'MAPSHELF_ADMIN_PASSWORD')
  const host = pick('host', 'MAPSHELF_HOST')
  const uiDir = pick('ui-dir', 'MAPSHELF_UI_DIR')
  const sqliteBinding = pick('sqlite-binding', 'MAPSHELF_SQLITE_BINDING')
  return Object.freeze({
    dataDir: resolve(typeof dataDir === 'string' && dataDir ? dataDir : defaultDataDir(env)),
    host: typeof host === 'string' && host ? host : '127.0.0.1',
    port: int('port', pick('port', 'MAPSHELF_PORT'), 8000, 0, 65535),
    siteUrl: typeof siteUrl === 'string' ? siteUrl.replace(/\/?$/, '/') : null,
    adminPassword: typeof adminPassword === 'string' && adminPassword ? adminPassword : null,
    allowedHosts: Object.freeze(
      typeof hosts === 'string' ? hosts.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean) : []
    ),
    defaultPageSize: int('page size', pick('page-size', 'MAPSHELF_DEFAULT_PAGE_SIZE'), 10, 1, 10_000),
    resourcePublishing: bool('resource publishing', pick('resource-publishing', 'MAPSHELF_RESOURCE_PUBLISHING'), false),
    adminModerateUploads: bool('moderation', pick('admin-moderate-uploads', 'MAPSHELF_ADMIN_MODERATE_UPLOADS'), false),
    groupPrivateResources: bool('group privacy', pick('group-private-resources', 'MAPSHELF_GROUP_PRIVATE_RESOURCES'), false),
    tokenLifetimeSeconds: int('token lifetime', pick('token-lifetime', 'MAPSHELF_TOKEN_LIFETIME'), 36_000, 60, 31_536_000),
    logRequests: bool('request log', pick('log-requests', 'MAPSHELF_LOG_REQUESTS'), false),
    uiDir: typeof uiDir === 'string' && uiDir ? resolve(uiDir) : null,
    patchAll: bool('patch-all', pick('enable-patch-all', 'MAPSHELF_ENABLE_PATCH_ALL'), false),
    responseCacheBytes: int('response cache size', pick('response-cache-mb', 'MAPSHELF_RESPONSE_CACHE_MB'), 64, 0, 4096) * 1024 * 1024,
    sqliteBinding: typeof sqliteBinding === 'string' && sqliteBinding ? resolve(sqliteBinding) : null
  })
}
