import { type ErrorRequestHandler, type Request, type Response, Router, text } from 'express'
import { ApiError, type Logger, NotAuthenticated, TooManyRequests } from '../errors'
import type { Caller } from '../services/caller'
import { type ExceptionStyle, OwsException, exceptionStyle, renderException } from './exceptions'
import { type OwsEndpoint, type OwsRequest, type OwsServiceName, readOwsRequest } from './request'
import { OWS_SERVICE_LIST } from './services'
import type { OwsAnswer, OwsDeps, OwsService } from './types'

/** Largest XML request body (a WFS Transaction inserting many features). */
export const MAX_XML_BODY = '64mb'

const SERVICE_PATHS: Record<string, OwsServiceName | null> = { ows: null, wms: 'WMS', wfs: 'WFS', wcs: 'WCS' }

/** The OGC endpoints: GeoServer's at GeoNode's paths (with or without a workspace), and the catalogue's. */
const OWS_ENDPOINT = /^\/(?:(?:geoserver|gs)(?:\/[^/]+)?\/(?:ows|wms|wfs|wcs)|catalogue\/csw)$/

export function isOwsPath(path: string): boolean {
  return OWS_ENDPOINT.test(path)
}

function publicUrl(req: Request, path: string): string {
  return `${req.protocol}://${req.get('host')}${path}`
}

function serviceOf(req: OwsRequest): OwsService | undefined {
  return OWS_SERVICE_LIST.find((s) => s.name === req.service)
}

/** The exception style for what is known of a request so far (service and version). */
function styleFor(service: OwsServiceName | undefined, version: string | undefined): ExceptionStyle {
  const known = OWS_SERVICE_LIST.find((s) => s.name === service)
  return exceptionStyle(service, version ?? known?.defaultVersion)
}

async function send(res: Response, answer: OwsAnswer): Promise<void> {
  res.status(answer.status ?? 200)
  res.type(answer.type)
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.set(name, value)
  if (typeof answer.body === 'function') return answer.body(res)
  res.send(answer.body)
}

/**
 * The OGC services at GeoNode's paths: `/geoserver/ows` (and `/wms`, `/wfs`, `/wcs`), the
 * workspace form `/geoserver/<workspace>/ows`, the same under `/gs` (which QGIS's GeoNode plugin
 * uses), and CSW at `/catalogue/csw`. KVP GET or POST, or an XML POST; every refusal is an OGC
 * exception report in the format of the service and version asked for.
 */
export function owsRouter(deps: OwsDeps): Router {
  const router = Router()
  const xmlBody = text({ type: ['text/xml', 'application/xml', 'application/*+xml', 'text/plain'], limit: MAX_XML_BODY })

  const handle = (endpointOf: (req: Request) => Omit<OwsEndpoint, 'url'>) => async (req: Request, res: Response) => {
    const endpoint = { ...endpointOf(req), url: publicUrl(req, (res.locals.originalPath as string | undefined) ?? req.path) }
    let request: OwsRequest | undefined
    try {
      request = readOwsRequest(req, endpoint)
      const service = serviceOf(request)
      if (!service) {
        if (!request.service) throw new OwsException('MissingParameterValue', 'The SERVICE parameter is required (WMS, WFS, WCS or CSW).', 'service')
        throw new OwsException('InvalidParameterValue', `SERVICE=${request.service} is not offered at this address.`, 'service')
      }
      if (!request.request) throw new OwsException('MissingParameterValue', 'The REQUEST parameter is required.', 'request')
      const handler = service.operations[request.operation]
      if (!handler) {
        throw new OwsException('OperationNotSupported', `${request.request} is not an operation of ${service.name} here (${Object.keys(service.operations).join(', ')}).`, 'request')
      }
      await send(res, await handler({ ...deps, caller: res.locals.caller as Caller }, request))
    } catch (error) {
      if (res.headersSent) {
        deps.log.warn(`${req.method} ${req.path}: the answer failed after it started (${error instanceof Error ? error.message : String(error)})`)
        res.destroy()
        return
      }
      const style = styleFor(request?.service ?? endpoint.service ?? undefined, request?.version)
      const ows = asOwsException(error, deps.log)
      const rendered = renderException(ows, style)
      if (ows.status === 401) res.set('WWW-Authenticate', 'Basic realm="Mapshelf"')
      res.status(rendered.status).type(rendered.type).send(rendered.body)
    }
  }

  for (const prefix of ['/geoserver', '/gs']) {
    for (const [segment, service] of Object.entries(SERVICE_PATHS)) {
      router.all(`${prefix}/${segment}`, xmlBody, handle(() => ({ service, workspace: null })))
      router.all(`${prefix}/:workspace/${segment}`, xmlBody, handle((req) => ({ service, workspace: String(req.params.workspace) })))
    }
  }
  router.all('/catalogue/csw', xmlBody, handle(() => ({ service: 'CSW', workspace: null })))
  return router
}

function asOwsException(error: unknown, log: Logger): OwsException {
  if (error instanceof OwsException) return error
  if (error instanceof NotAuthenticated) return new OwsException('NoApplicableCode', error.message, undefined, 401)
  if (error instanceof TooManyRequests) return new OwsException('NoApplicableCode', error.message, undefined, 429)
  if (error instanceof ApiError) return new OwsException(error.status === 404 ? 'InvalidParameterValue' : 'NoApplicableCode', error.message, undefined, error.status)
  const body = error as { type?: string }
  if (body?.type === 'entity.too.large') return new OwsException('NoApplicableCode', `The request body is larger than ${MAX_XML_BODY}.`, 'request', 413)
  if (body?.type === 'entity.parse.failed' || body?.type === 'charset.unsupported') return new OwsException('OperationParsingFailed', 'The request body could not be read.', 'request')
  log.error('OGC request failed', error)
  return new OwsException('NoApplicableCode', 'The server failed to answer this request; the failure is logged.', undefined, 500)
}

/**
 * Errors raised before the OWS router runs (a wrong Basic password in the auth middleware, an
 * unreadable body) on OGC paths, as an OGC exception report instead of the API's JSON. A wrong
 * password answers 401 with a Basic challenge, as GeoServer does, so clients ask for credentials.
 */
export function owsErrorHandler(deps: Pick<OwsDeps, 'log'>): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent || !isOwsPath(req.path)) return next(error)
    const query = req.query as Record<string, unknown>
    const pick = (name: string) => Object.entries(query).find(([k]) => k.toLowerCase() === name)?.[1]
    const service = String(pick('service') ?? (req.path.startsWith('/catalogue') ? 'CSW' : /\/wms$/.test(req.path) ? 'WMS' : /\/wfs$/.test(req.path) ? 'WFS' : /\/wcs$/.test(req.path) ? 'WCS' : '')).toUpperCase() as OwsServiceName
    const ows = asOwsException(error, deps.log)
    const rendered = renderException(ows, styleFor(service, typeof pick('version') === 'string' ? (pick('version') as string) : undefined))
    if (ows.status === 401) res.set('WWW-Authenticate', 'Basic realm="Mapshelf"')
    res.status(rendered.status).type(rendered.type).send(rendered.body)
  }
}
