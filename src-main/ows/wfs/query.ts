import type { Bbox } from '../crs'
import { OwsException } from '../exceptions'
import { type Filter, parseFilterElement, propertyName } from '../filter'
import type { SortKey } from '../features'
import { type OwsRequest, param } from '../request'
import { type XmlElement, XmlProblem, attr, childNamed, childrenNamed, parseXmlElement } from '../xml'
import { MAX_FEATURES, list } from './common'

/**
 * A GetFeature (or GetPropertyValue) request read from KVP or from an XML body into queries, one
 * per feature type asked: TYPENAME(S), FEATUREID/RESOURCEID, BBOX, FILTER, SORTBY, PROPERTYNAME,
 * SRSNAME, and the request-wide MAXFEATURES/COUNT, STARTINDEX, RESULTTYPE and OUTPUTFORMAT; the
 * 2.0 stored query GetFeatureById.
 */

export interface WfsQuery {
  typeName: string
  filter: Filter | null
  /** A BBOX parameter as sent: numbers in the axis order of its CRS (null: the answer's default CRS). */
  bbox: { box: Bbox; crs: string | null } | null
  sortBy: SortKey[]
  /** Property names asked (without prefixes); null = all. */
  propertyNames: string[] | null
  srsName: string | null
}

export interface GetFeatureRequest {
  queries: WfsQuery[]
  /** At most this many features in all (capped at MAX_FEATURES). */
  count: number
  startIndex: number
  resultType: 'results' | 'hits'
  outputFormat: string | undefined
  /** GetFeatureById: the answer is the one feature, or an exception when there is none. */
  byId: boolean
  /** GetPropertyValue's VALUEREFERENCE. */
  valueReference: string | null
}

export const GET_FEATURE_BY_ID = 'urn:ogc:def:query:OGC-WFS::GetFeatureById'

function parseXmlParameter(text: string, locator: string): XmlElement {
  try {
    return parseXmlElement(text)
  } catch (error) {
    if (error instanceof XmlProblem) throw new OwsException('InvalidParameterValue', `${locator.toUpperCase()}: ${error.message}.`, locator)
    throw error
  }
}

function whole(raw: string | undefined, name: string, min: number): number | null {
  if (raw === undefined || raw === '') return null
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new OwsException('InvalidParameterValue', `${name} must be a whole number of at least ${min}; it is ${raw}.`, name)
  return n
}

/** SORTBY=name DESC,pop (also `name D`, `name+A`): keys in order. */
export function parseSortBy(raw: string | undefined): SortKey[] {
  return list(raw).map((part) => {
    const [name, order = 'ASC'] = part.split(/[\s+]+/)
    const o = order.toUpperCase()
    if (!['ASC', 'DESC', 'A', 'D'].includes(o)) throw new OwsException('InvalidParameterValue', `SORTBY: ${order} is not a sort order (ASC or DESC).`, 'sortBy')
    return { property: propertyName(name), descending: o.startsWith('D') }
  })
}

/** FILTER=(f1)(f2) gives one filter per type name; a single filter applies to all. */
function splitParenthesised(raw: string): string[] {
  const text = raw.trim()
  if (!text.startsWith('(')) return [text]
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') {
      if (depth++ === 0) start = i + 1
    } else if (text[i] === ')' && --depth === 0) out.push(text.slice(start, i))
  }
  return out
}

function fromKvp(req: OwsRequest): GetFeatureRequest {
  if (param(req, 'cql_filter')) throw new OwsException('InvalidParameterValue', 'CQL_FILTER is not offered here; send the condition as FILTER (OGC Filter Encoding).', 'cql_filter')
  const storedQuery = param(req, 'storedquery_id')
  let ids = list(param(req, 'resourceid') ?? param(req, 'featureid'))
  let byId = false
  if (storedQuery) {
    if (storedQuery !== GET_FEATURE_BY_ID) throw new OwsException('InvalidParameterValue', `${storedQuery} is not a stored query here (${GET_FEATURE_BY_ID}).`, 'STOREDQUERY_ID')
    const id = param(req, 'id')
    if (!id) throw new OwsException('MissingParameterValue', 'GetFeatureById needs the ID parameter.', 'ID')
    ids = [id]
    byId = true
  }
  let typeNames = list(param(req, 'typenames') ?? param(req, 'typename')).map((t) => t.replace(/^\(|\)$/g, ''))
  if (typeNames.length === 0 && ids.length > 0) typeNames = [...new Set(ids.map((id) => id.slice(0, Math.max(0, id.lastIndexOf('.')))).filter(Boolean))]
  if (typeNames.length === 0) {
    if (ids.length > 0) throw new OwsException('InvalidParameterValue', `${ids[0]} is not a feature id (<type>.<number>).`, 'resourceId')
    throw new OwsException('MissingParameterValue', 'The TYPENAME (TYPENAMES in 2.0) parameter is required.', 'typeName')
  }
  const filters = param(req, 'filter') ? splitParenthesised(param(req, 'filter')!) : []
  if (filters.length > 1 && filters.length !== typeNames.length) throw new OwsException('InvalidParameterValue', `FILTER holds ${filters.length} filters for ${typeNames.length} type names.`, 'filter')
  if (filters.length && ids.length) throw new OwsException('InvalidParameterValue', 'FILTER and RESOURCEID (FEATUREID) cannot be sent together.', 'filter')
  if (filters.length && param(req, 'bbox')) throw new OwsException('InvalidParameterValue', 'FILTER and BBOX cannot be sent together; put the BBOX in the filter.', 'bbox')
  const bbox = param(req, 'bbox') ? parseBboxParam(param(req, 'bbox')!) : null
  const properties = allProperties(param(req, 'propertyname') ? list(param(req, 'propertyname')!.replace(/[()]/g, '')).map(propertyName) : null)
  const idFilter: Filter | null = ids.length ? { op: 'ids', ids } : null
  const queries = typeNames.map((typeName, i) => {
    const text = filters.length > 1 ? filters[i] : filters[0]
    return {
      typeName,
      filter: text ? parseFilterElement(parseXmlParameter(text, 'filter')) : idFilter,
      bbox,
      sortBy: parseSortBy(param(req, 'sortby')),
      propertyNames: properties,
      srsName: param(req, 'srsname') ?? param(req, 'srs') ?? null
    }
  })
  return { queries, byId, ...requestWide((name) => param(req, name.toLowerCase())) }
}

/** The request-wide parameters, from KVP or the root element's attributes (`get` takes the XML spelling). */
function requestWide(get: (name: string) => string | undefined): Omit<GetFeatureRequest, 'queries' | 'byId'> {
  return {
    count: Math.min(MAX_FEATURES, whole(get('count') ?? get('maxFeatures'), 'count', 0) ?? MAX_FEATURES),
    startIndex: whole(get('startIndex'), 'startIndex', 0) ?? 0,
    resultType: resultTypeOf(get('resultType')),
    outputFormat: get('outputFormat'),
    valueReference: get('valueReference') ?? null
  }
}

/** PROPERTYNAME=* (as OWSLib sends) asks for every property. */
function allProperties(names: string[] | null): string[] | null {
  return names && !names.includes('*') ? names : null
}

function resultTypeOf(raw: string | undefined): 'results' | 'hits' {
  const value = (raw ?? 'results').toLowerCase()
  if (value !== 'results' && value !== 'hits') throw new OwsException('InvalidParameterValue', `resultType must be results or hits; it is ${raw}.`, 'resultType')
  return value
}

/** BBOX=minx,miny,maxx,maxy[,crs] (numbers in the axis order of the CRS named). */
export function parseBboxParam(raw: string): { box: Bbox; crs: string | null } {
  const parts = raw.split(',').map((p) => p.trim())
  if (parts.length !== 4 && parts.length !== 5) throw new OwsException('InvalidParameterValue', `BBOX needs four numbers and an optional CRS; it is ${raw}.`, 'bbox')
  const numbers = parts.slice(0, 4).map(Number)
  if (numbers.some((n) => !Number.isFinite(n))) throw new OwsException('InvalidParameterValue', `BBOX needs four numbers; it is ${raw}.`, 'bbox')
  return { box: numbers as Bbox, crs: parts[4] || null }
}

function sortOf(element: XmlElement | undefined): SortKey[] {
  return childrenNamed(element, 'SortProperty').map((p) => {
    const name = (childNamed(p, 'PropertyName') ?? childNamed(p, 'ValueReference'))?.text
    if (!name) throw new OwsException('InvalidParameterValue', 'SortBy: a SortProperty names no property.', 'sortBy')
    const order = (childNamed(p, 'SortOrder')?.text ?? 'ASC').toUpperCase()
    return { property: propertyName(name), descending: order.startsWith('D') }
  })
}

function fromXml(xml: XmlElement): GetFeatureRequest {
  const queries: WfsQuery[] = []
  let byId = false
  for (const child of xml.children) {
    if (child.name === 'StoredQuery') {
      const id = attr(child, 'id') ?? attr(child, 'storedQueryId')
      if (id !== GET_FEATURE_BY_ID) throw new OwsException('InvalidParameterValue', `${id} is not a stored query here (${GET_FEATURE_BY_ID}).`, 'StoredQuery_id')
      const feature = childrenNamed(child, 'Parameter').find((p) => attr(p, 'name')?.toUpperCase() === 'ID')?.text
      if (!feature) throw new OwsException('MissingParameterValue', 'GetFeatureById needs the ID parameter.', 'ID')
      byId = true
      queries.push({ typeName: feature.slice(0, Math.max(0, feature.lastIndexOf('.'))), filter: { op: 'ids', ids: [feature] }, bbox: null, sortBy: [], propertyNames: null, srsName: null })
      continue
    }
    if (child.name !== 'Query') continue
    const names = list(attr(child, 'typeNames') ?? attr(child, 'typeName'))
    if (names.length === 0) throw new OwsException('MissingParameterValue', 'A Query names no typeName.', 'typeName')
    const filterElement = childNamed(child, 'Filter')
    const properties = childrenNamed(child, 'PropertyName').map((p) => propertyName(p.text))
    for (const typeName of names) {
      queries.push({
        typeName,
        filter: filterElement ? parseFilterElement(filterElement) : null,
        bbox: null,
        sortBy: sortOf(childNamed(child, 'SortBy')),
        propertyNames: allProperties(properties.length ? properties : null),
        srsName: attr(child, 'srsName') ?? null
      })
    }
  }
  if (queries.length === 0) throw new OwsException('MissingParameterValue', 'GetFeature holds no Query.', 'Query')
  return { queries, byId, ...requestWide((name) => attr(xml, name)) }
}

export function parseGetFeature(req: OwsRequest): GetFeatureRequest {
  return req.xml ? fromXml(req.xml) : fromKvp(req)
}
