import type { Request } from 'express'
import { OwsException } from './exceptions'
import { type XmlElement, XmlProblem, attr, parseXmlElement } from './xml'

export type OwsServiceName = 'WMS' | 'WFS' | 'WCS' | 'CSW'
export const OWS_SERVICES: readonly OwsServiceName[] = ['WMS', 'WFS', 'WCS', 'CSW']

/** Where a request arrived: which path family, which service it implies, which workspace it is scoped to. */
export interface OwsEndpoint {
  /** The service a path implies (`/geoserver/wfs` → WFS), or null for `/ows`. */
  service: OwsServiceName | null
  /** The workspace of a virtual endpoint (`/geoserver/geonode/ows` → geonode), or null. */
  workspace: string | null
  /**
   * This endpoint's public address for the caller's Host, without query (for OnlineResource and
   * DCP links: clients send their later requests there, not to the URL the user typed).
   */
  url: string
}

/** One OGC request, from KVP (GET, or a form POST) or an XML POST body. */
export interface OwsRequest {
  method: 'GET' | 'POST'
  /** Upper case; undefined when neither the request nor the path says. */
  service: OwsServiceName | undefined
  /** As sent (`GetMap`, `getmap`...); `operation` is its lower-case form. */
  request: string | undefined
  operation: string
  version: string | undefined
  /** KVP parameters with lower-case names (OGC KVP names are case-insensitive). */
  params: ReadonlyMap<string, string>
  /** Every value of each KVP parameter, for the ones a request may repeat (WCS 2.0's SUBSET); lower-case names. */
  paramLists?: ReadonlyMap<string, readonly string[]>
  /** The XML body of a POST, parsed (root element = the operation). */
  xml: XmlElement | null
  endpoint: OwsEndpoint
}

/** A KVP parameter by (case-insensitive) name; empty strings count as missing. */
export function param(req: OwsRequest, name: string): string | undefined {
  const value = req.params.get(name.toLowerCase())
  return value === undefined || value === '' ? undefined : value
}

/** A required KVP parameter: MissingParameterValue naming it when absent. */
export function requiredParam(req: OwsRequest, name: string): string {
  const value = param(req, name)
  if (value === undefined) throw new OwsException('MissingParameterValue', `The ${name.toUpperCase()} parameter is required.`, name.toUpperCase())
  return value
}

/** Every value a KVP parameter was given, in order (a repeated key, in any case, gives several). */
export function paramValues(req: OwsRequest, name: string): string[] {
  const values = req.paramLists?.get(name.toLowerCase()) ?? (req.params.has(name.toLowerCase()) ? [req.params.get(name.toLowerCase())!] : [])
  return values.filter((v) => v !== '')
}

function kvpLists(query: Record<string, unknown>, into = new Map<string, string[]>()): Map<string, string[]> {
  for (const [key, value] of Object.entries(query)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string')
    if (values.length === 0) continue
    const name = key.toLowerCase()
    into.set(name, [...(into.get(name) ?? []), ...values])
  }
  return into
}

function kvp(query: Record<string, unknown>): Map<string, string> {
  const params = new Map<string, string>()
  for (const [key, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first !== 'string') continue
    const name = key.toLowerCase()
    if (!params.has(name)) params.set(name, first)
  }
  return params
}

function upperService(value: string | undefined): OwsServiceName | undefined {
  const upper = value?.trim().toUpperCase()
  return upper && (OWS_SERVICES as readonly string[]).includes(upper) ? (upper as OwsServiceName) : undefined
}

/**
 * Reads an OGC request. KVP keys are case-insensitive; a POST carries either form-encoded KVP or
 * an XML document whose root names the operation (its `service` and `version` attributes apply).
 * The path's service fills in a missing SERVICE, as GeoServer's /wms, /wfs and /wcs do.
 */
export function readOwsRequest(req: Request, endpoint: OwsEndpoint): OwsRequest {
  const params = kvp(req.query as Record<string, unknown>)
  const paramLists = kvpLists(req.query as Record<string, unknown>)
  let xml: XmlElement | null = null
  if (req.method === 'POST') {
    if (typeof req.body === 'string' && req.body.trim() !== '') {
      try {
        xml = parseXmlElement(req.body)
      } catch (error) {
        if (error instanceof XmlProblem) throw new OwsException('OperationParsingFailed', `The request body could not be read: ${error.message}.`, 'request')
        throw error
      }
    } else if (req.body && typeof req.body === 'object') {
      for (const [key, value] of kvp(req.body as Record<string, unknown>)) if (!params.has(key)) params.set(key, value)
      kvpLists(req.body as Record<string, unknown>, paramLists)
    }
  }
  const sentService = xml ? attr(xml, 'service') : params.get('service')
  const service = upperService(sentService) ?? endpoint.service ?? undefined
  if (sentService && !upperService(sentService)) {
    throw new OwsException('InvalidParameterValue', `SERVICE=${sentService} is not a service this server offers (WMS, WFS, WCS, CSW).`, 'service')
  }
  const request = xml ? xml.name : params.get('request')
  const version = (xml ? attr(xml, 'version') : params.get('version') ?? params.get('wmtver')) || undefined
  return { method: req.method === 'POST' ? 'POST' : 'GET', service, request, operation: (request ?? '').toLowerCase(), version, params, paramLists, xml, endpoint }
}
