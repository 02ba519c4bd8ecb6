import { parseDrestQuery } from '../../query/drest.parse'
import { parseCql } from '../cql'
import { OwsException } from '../exceptions'
import { type Filter, parseFilterElement, propertyName } from '../filter'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, type XmlElement, XmlProblem, attr, childNamed, childrenNamed, parseXmlElement } from '../xml'
import { DC_NAMESPACES } from './dublin-core'
import { type SortKey, matcher, sorter, visibleEntries } from './records'
import { type ElementSet, recordSources } from './record-source'
import { type OutputSchema, TYPE_NAMES, elementSet, outputSchema } from './schemas'

/** The most records one GetRecords answers, whatever maxRecords asks (pycsw caps it too). */
export const MAX_RECORDS = 100
export const DEFAULT_MAX_RECORDS = 10

interface RecordsQuery {
  resultType: 'results' | 'hits' | 'validate'
  schema: OutputSchema
  set: ElementSet
  start: number
  max: number
  constraint: Filter | null
  sort: SortKey[]
}

function positiveInt(raw: string | undefined, fallback: number, locator: string, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new OwsException('InvalidParameterValue', `${locator} must be a whole number of at least ${min}.`, locator)
  return value
}

function resultType(raw: string | undefined): RecordsQuery['resultType'] {
  const value = (raw ?? 'hits').trim().toLowerCase()
  if (value === 'results' || value === 'hits' || value === 'validate') return value
  throw new OwsException('InvalidParameterValue', `resultType ${raw} is not results, hits or validate.`, 'resultType')
}

function checkTypeNames(raw: string | undefined): void {
  if (!raw) return
  for (const name of raw.split(/[\s,]+/).filter(Boolean)) {
    const local = name.slice(name.indexOf(':') + 1)
    if (!TYPE_NAMES.some((t) => t.endsWith(`:${local}`))) throw new OwsException('InvalidParameterValue', `typeNames ${name} is not offered (${TYPE_NAMES.join(', ')}).`, 'typeNames')
  }
}

function checkOutputFormat(raw: string | undefined): void {
  if (raw && !['application/xml', 'text/xml'].includes(raw.trim().toLowerCase())) throw new OwsException('InvalidParameterValue', `outputFormat ${raw} is not offered (application/xml).`, 'outputFormat')
}

/** A constraint as sent in KVP: CQL text or an ogc:Filter document, as CONSTRAINTLANGUAGE says (or as it looks). */
function kvpConstraint(req: OwsRequest): Filter | null {
  const text = param(req, 'constraint')
  if (!text) return null
  const language = (param(req, 'constraintlanguage') ?? (text.trim().startsWith('<') ? 'FILTER' : 'CQL_TEXT')).toUpperCase()
  if (language === 'CQL_TEXT' || language === 'CQL') return parseCql(text, 'constraint')
  if (language !== 'FILTER') throw new OwsException('InvalidParameterValue', `CONSTRAINTLANGUAGE ${language} is not FILTER or CQL_TEXT.`, 'constraintLanguage')
  try {
    return parseFilterElement(parseXmlElement(text))
  } catch (error) {
    if (error instanceof XmlProblem) throw new OwsException('InvalidParameterValue', `Constraint: ${error.message}.`, 'constraint')
    throw error
  }
}

/** SORTBY=dc:title:A,dct:modified:D (names carry prefixes, so the order is what follows the last colon). */
function kvpSort(raw: string | undefined): SortKey[] {
  if (!raw) return []
  return raw.split(',').map((part) => {
    const m = /^(.*?)(?::(A|D|ASC|DESC))?$/i.exec(part.trim())!
    return { name: propertyName(m[1]), desc: /^D/i.test(m[2] ?? '') }
  })
}

function xmlConstraint(query: XmlElement | undefined): Filter | null {
  const constraint = childNamed(query, 'Constraint')
  if (!constraint) return null
  const cql = childNamed(constraint, 'CqlText')
  if (cql) return parseCql(cql.text, 'constraint')
  const filter = childNamed(constraint, 'Filter')
  if (!filter) throw new OwsException('InvalidParameterValue', 'Constraint holds neither an ogc:Filter nor csw:CqlText.', 'constraint')
  return filter.children.length === 0 ? null : parseFilterElement(filter)
}

function xmlSort(query: XmlElement | undefined): SortKey[] {
  return childrenNamed(childNamed(query, 'SortBy'), 'SortProperty').map((p) => ({
    name: propertyName(childNamed(p, 'PropertyName')?.text ?? childNamed(p, 'ValueReference')?.text ?? ''),
    desc: /^DESC/i.test(childNamed(p, 'SortOrder')?.text ?? '')
  }))
}

function readQuery(req: OwsRequest): RecordsQuery {
  const xml = req.xml
  if (xml) {
    const query = childNamed(xml, 'Query')
    checkTypeNames(attr(query, 'typeNames'))
    checkOutputFormat(attr(xml, 'outputFormat'))
    const names = childrenNamed(query, 'ElementName')
    return {
      resultType: resultType(attr(xml, 'resultType')),
      schema: outputSchema(attr(xml, 'outputSchema')),
      set: names.length > 0 ? 'full' : elementSet(childNamed(query, 'ElementSetName')?.text),
      start: positiveInt(attr(xml, 'startPosition'), 1, 'startPosition', 1),
      max: positiveInt(attr(xml, 'maxRecords'), DEFAULT_MAX_RECORDS, 'maxRecords', 0),
      constraint: xmlConstraint(query),
      sort: xmlSort(query)
    }
  }
  checkTypeNames(param(req, 'typenames'))
  checkOutputFormat(param(req, 'outputformat'))
  return {
    resultType: resultType(param(req, 'resulttype')),
    schema: outputSchema(param(req, 'outputschema')),
    set: param(req, 'elementname') ? 'full' : elementSet(param(req, 'elementsetname')),
    start: positiveInt(param(req, 'startposition'), 1, 'startPosition', 1),
    max: positiveInt(param(req, 'maxrecords'), DEFAULT_MAX_RECORDS, 'maxRecords', 0),
    constraint: kvpConstraint(req),
    sort: kvpSort(param(req, 'sortby'))
  }
}

const timestamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

/**
 * GetRecords over every resource the caller may see: a constraint (ogc:Filter or CQL), sorting,
 * paging by startPosition and maxRecords (at most 100 a page) with nextRecord, brief, summary or
 * full records in any offered output schema; hits counts, validate only checks the request.
 */
export async function getRecords(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const query = readQuery(req)
  const test = matcher(query.constraint)
  const order = sorter(query.sort)
  if (query.resultType === 'validate') {
    return { type: 'application/xml', body: `${XML_HEADER}<csw:Acknowledgement ${DC_NAMESPACES} timeStamp="${timestamp()}"><csw:EchoedRequest/></csw:Acknowledgement>\n` }
  }
  const matched = (await visibleEntries(ctx)).filter(test).sort(order)
  const max = Math.min(query.max, MAX_RECORDS)
  const page = query.resultType === 'hits' ? [] : matched.slice(query.start - 1, query.start - 1 + max)
  const sources = await recordSources(ctx, page.map((e) => e.id))
  const next = query.start - 1 + page.length < matched.length && query.resultType === 'results' ? query.start + page.length : 0
  const records = sources.map((s) => query.schema.render(s, query.set)).join('\n')
  const body = `${XML_HEADER}<csw:GetRecordsResponse ${DC_NAMESPACES} ${query.schema.namespaces === DC_NAMESPACES ? '' : query.schema.namespaces} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2.0.2" xsi:schemaLocation="http://www.opengis.net/cat/csw/2.0.2 http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd">
<csw:SearchStatus timestamp="${timestamp()}"/>
<csw:SearchResults numberOfRecordsMatched="${matched.length}" numberOfRecordsReturned="${sources.length}" elementSet="${query.set}" nextRecord="${next}" recordSchema="${query.schema.uri}">
${records}
</csw:SearchResults>
</csw:GetRecordsResponse>
`
  return { type: 'application/xml', body }
}

/** GetRecordById: the records of the ids the caller may see (others are simply absent, as unknown ids are). */
export async function getRecordById(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const xml = req.xml
  const ids = xml ? childrenNamed(xml, 'Id').map((e) => e.text) : (param(req, 'id') ?? '').split(',')
  const wanted = ids.map((s) => s.trim()).filter(Boolean).slice(0, MAX_RECORDS)
  if (wanted.length === 0) throw new OwsException('MissingParameterValue', 'The Id parameter is required.', 'Id')
  const schema = outputSchema(xml ? attr(xml, 'outputSchema') : param(req, 'outputschema'))
  const set = elementSet(xml ? childNamed(xml, 'ElementSetName')?.text : param(req, 'elementsetname'))
  const visible = await ctx.services.resources.matchingIds('resources', ctx.caller, parseDrestQuery({ 'filter{uuid.in}': wanted }))
  const sources = await recordSources(ctx, visible)
  sources.sort((a, b) => wanted.indexOf(a.dto.uuid) - wanted.indexOf(b.dto.uuid))
  const body = `${XML_HEADER}<csw:GetRecordByIdResponse ${DC_NAMESPACES} ${schema.namespaces === DC_NAMESPACES ? '' : schema.namespaces}>
${sources.map((s) => schema.render(s, set)).join('\n')}
</csw:GetRecordByIdResponse>
`
  return { type: 'application/xml', body }
}
