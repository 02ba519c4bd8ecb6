import { extname } from 'node:path'
import express, { type Express, type RequestHandler } from 'express'
import type { Config } from '../config'
import type { Db } from '../db/database'
import type { Services } from '../composition'
import type Sqlite from 'better-sqlite3'
import type { DataFolder } from '../ingest/data-folder'
import { owsErrorHandler, owsRouter } from '../ows/router'
import type { SystemIds } from '../services/caller'
import { authenticate } from './auth'
import { type Logger, NotFound } from '../errors'
import { errorHandler } from './error-handler'
import { hostGuard } from './host-guard'
import { responseCache } from './response-cache'
import { authRouter } from './routers/auth.router'
import { lookupsRouter } from './routers/lookups.router'
import { mapstoreRouter } from './routers/mapstore.router'
import { metadataRouter } from './routers/metadata.router'
import { miscRouter } from './routers/misc.router'
import { resourcesRouter } from './routers/resources.router'
import { uploadsRouter } from './routers/uploads.router'
import { layerDataRouter } from './routers/layer-data.router'
import { syncRouter } from './routers/sync.router'
import { groupsRouter, usersRouter } from './routers/users.router'

export interface AppDeps {
  db: Db
  config: Config
  services: Services
  system: SystemIds
  log: Logger
  version: string
  siteUrl: string
  /** The raw connection and the data folder, for the OGC services' bulk reads. */
  sqlite: Sqlite.Database
  folder: DataFolder
  /** The data folder cannot be written: every change answers 503, reads go on. */
  readOnly?: boolean
}

/** Serving a read-only data folder: anything but a read is refused before it is read. */
function refuseChanges(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next()
    res.status(503).json({ detail: 'The data folder is read-only: this catalogue can be read but not changed until its folder is writable again.' })
  }
}

/**
 * GeoNode routes take an optional trailing slash and a `.json` suffix on /api/v2 (spec 1.1);
 * they are stripped once here so routers match plain paths.
 */
function normalisePath(): express.RequestHandler {
  return (req, res, next) => {
    const at = req.url.indexOf('?')
    const path = at < 0 ? req.url : req.url.slice(0, at)
    const rest = at < 0 ? '' : req.url.slice(at)
    res.locals.originalPath = path
    let normalised = path
    if (normalised.startsWith('/api/v2') && normalised.endsWith('.json')) {
      normalised = normalised.slice(0, -5)
      res.locals.format = 'json'
    }
    if (normalised.length > 1 && normalised.endsWith('/')) normalised = normalised.slice(0, -1)
    req.url = normalised + rest
    next()
  }
}

function requestLog(log: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = performance.now()
    // Paths only: query strings may carry access_token, and headers carry credentials.
    res.on('finish', () => log.info(`${req.method} ${res.locals.originalPath ?? req.path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`))
    next()
  }
}

/**
 * The built renderer: its static files, and index.html at /. The GUI routes by the URL's hash, and
 * its page loads its assets relative to itself, so a page asked for by path (/resources/12, typed
 * or shared without the hash) is sent to the same route in the hash form, where the GUI shows it, or
 * its not-found page; serving index.html there would load no script (/resources/assets/...).
 */
function userInterface(dir: string): express.RequestHandler {
  const files = express.static(dir, { index: 'index.html', fallthrough: true, maxAge: 0 })
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    if (/^\/(api|o|account|mapstore|upload)(\/|$)/.test(req.path)) return next()
    files(req, res, () => {
      if (!req.accepts('html') || extname(req.path)) return next()
      const at = req.originalUrl.indexOf('?')
      res.redirect(302, `/#${req.path}${at < 0 ? '' : req.originalUrl.slice(at)}`)
    })
  }
}

export function createApp(deps: AppDeps): Express {
  const { config, services, system, log } = deps
  const app = express()
  app.disable('x-powered-by')
  app.use((_req, res, next) => {
    res.set('X-Mapshelf-Version', deps.version)
    next()
  })
  app.set('etag', false)
  app.set('query parser', 'simple')
  app.use(hostGuard({ host: config.host, allowedHosts: config.allowedHosts }))
  if (deps.readOnly) app.use(refuseChanges())
  if (config.logRequests) app.use(requestLog(log))
  app.use(normalisePath())
  app.use(express.json({ limit: '2mb', strict: false }))
  app.use(express.urlencoded({ extended: false, limit: '2mb' }))
  app.use(authenticate(services.auth, system))
  app.use(miscRouter({ version: deps.version }))
  app.use(authRouter(services))
  app.use(layerDataRouter(services))
  app.use(syncRouter(services))
  if (config.responseCacheBytes > 0) app.use('/api/v2', responseCache(deps.db, { maxBytes: config.responseCacheBytes }))
  app.use('/api/v2', resourcesRouter(services, { patchAll: config.patchAll }), usersRouter(services), groupsRouter(services), lookupsRouter(services), uploadsRouter(services))
  app.use(mapstoreRouter(services, deps.siteUrl))
  app.use(metadataRouter(services))
  app.use(owsRouter({ services, sqlite: deps.sqlite, folder: deps.folder, log }))
  if (config.uiDir) app.use(userInterface(config.uiDir))
  app.use(() => {
    throw new NotFound()
  })
  app.use(owsErrorHandler({ log }))
  app.use(errorHandler(log))
  return app
}
