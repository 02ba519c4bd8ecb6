import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { IngestError } from './types'

/** A person or organisation named in the metadata (GeoNode turns these into poc / metadata_author). */
export interface IsoContact {
  name?: string
  organisation?: string
  email?: string
  role?: string
}

/**
 * What an uploaded metadata document carries, keyed like the resource fields it fills (spec 3.1).
 * Absent fields are undefined, never defaulted.
 */
export interface IsoMetadata {
  format: 'iso19139' | 'dublin-core' | 'fgdc'
  uuid?: string
  title?: string
  abstract?: string
  purpose?: string
  supplemental_information?: string
  keywords?: string[]
  /** First topic category (`category.identifier`, e.g. `farming`). */
  category?: string
  topic_categories?: string[]
  date?: string
  date_type?: 'creation' | 'publication' | 'revision'
  edition?: string
  /** ISO 639-2 three-letter code. */
  language?: string
  constraints_other?: string
  restriction_code_type?: string
  maintenance_frequency?: string
  spatial_representation_type?: string
  data_quality_statement?: string
  temporal_extent_start?: string
  temporal_extent_end?: string
  bbox?: { west: number; east: number; south: number; north: number }
  poc?: IsoContact
  metadata_author?: IsoContact
}

/**
 * Reads ISO 19139 (`gmd:MD_Metadata`, also `gmi:MI_Metadata` and a CSW GetRecordById wrapper),
 * plus the title/abstract/keywords of a Dublin Core or FGDC record. Anything else is refused.
 */
export function readIsoMetadata(xml: string, file: string): IsoMetadata {
  const parsed = parseXml(xml)
  if ('error' in parsed) throw new IngestError(file, `not ISO 19139 metadata: ${parsed.error}`)
  let { root, node } = parsed
  if (root === 'GetRecordByIdResponse' || root === 'GetRecordsResponse') {
    const inner = ['MD_Metadata', 'MI_Metadata', 'Record', 'SummaryRecord', 'BriefRecord'].find((name) => nodesAt(node, name).length > 0)
    if (inner) {
      root = inner
      node = nodesAt(node, inner)[0]
    }
  }
  if (root === 'MD_Metadata' || root === 'MI_Metadata') return readIso(node)
  if (['Record', 'SummaryRecord', 'BriefRecord', 'dc', 'simpledc'].includes(root)) return readDublinCore(node)
  if (root === 'metadata' && nodesAt(node, 'idinfo').length > 0) return readFgdc(node)
  throw new IngestError(file, `not ISO 19139 metadata: the root element is <${root}>, expected gmd:MD_Metadata`)
}

function readIso(md: XmlNode): IsoMetadata {
  // MD_DataIdentification, SV_ServiceIdentification, ...
  const identification = nodesAt(md, 'identificationInfo').flatMap((info) =>
    typeof info === 'string'
      ? []
      : Object.entries(info).flatMap(([key, value]) => (key.endsWith('Identification') && Array.isArray(value) ? value : []))
  )[0]
  const citation = nodesAt(identification, 'citation', 'CI_Citation')[0]
  const citationDate = nodesAt(citation, 'date', 'CI_Date')[0]
  const dateType = codeValue(nodesAt(citationDate, 'dateType')[0])
  const topics = unique(nodesAt(identification, 'topicCategory').map((topic) => isoText(topic)))
  const keywords = unique(nodesAt(identification, 'descriptiveKeywords', 'MD_Keywords', 'keyword').map((keyword) => isoText(keyword)))
  const constraints = nodesAt(identification, 'resourceConstraints').flatMap((c) => (typeof c === 'string' ? [] : Object.values(c).flat()))
  const otherConstraints = unique(constraints.flatMap((c) => nodesAt(c, 'otherConstraints').map((other) => isoText(other))))
  const restriction = ['accessConstraints', 'useConstraints']
    .flatMap((name) => constraints.flatMap((c) => nodesAt(c, name)))
    .map((code) => codeValue(code))
    .find((code) => code !== undefined)
  const extents = nodesAt(identification, 'extent', 'EX_Extent')
  const period = extents.flatMap((extent) => nodesAt(extent, 'temporalElement', 'EX_TemporalExtent', 'extent'))[0]
  const date = isoDate(isoText(nodesAt(citationDate, 'date')[0]))
  return compact({
    format: 'iso19139',
    uuid: isoText(nodesAt(md, 'fileIdentifier')[0]),
    title: isoText(nodesAt(citation, 'title')[0]),
    abstract: isoText(nodesAt(identification, 'abstract')[0]),
    purpose: isoText(nodesAt(identification, 'purpose')[0]),
    supplemental_information: isoText(nodesAt(identification, 'supplementalInformation')[0]),
    keywords: keywords.length > 0 ? keywords : undefined,
    category: topics[0],
    topic_categories: topics.length > 0 ? topics : undefined,
    date,
    date_type: date && isDateType(dateType) ? dateType : undefined,
    edition: isoText(nodesAt(citation, 'edition')[0]),
    language: languageCode(nodesAt(identification, 'language')[0]) ?? languageCode(nodesAt(md, 'language')[0]),
    constraints_other: otherConstraints.length > 0 ? otherConstraints.join('\n') : undefined,
    restriction_code_type: restriction,
    maintenance_frequency: codeValue(
      nodesAt(identification, 'resourceMaintenance', 'MD_MaintenanceInformation', 'maintenanceAndUpdateFrequency')[0]
    ),
    spatial_representation_type: codeValue(nodesAt(identification, 'spatialRepresentationType')[0]),
    data_quality_statement: isoText(nodesAt(md, 'dataQualityInfo', 'DQ_DataQuality', 'lineage', 'LI_Lineage', 'statement')[0]),
    temporal_extent_start: isoDate(timeText(period, 'begin')),
    temporal_extent_end: isoDate(timeText(period, 'end')),
    bbox: boundingBox(extents.flatMap((extent) => nodesAt(extent, 'geographicElement', 'EX_GeographicBoundingBox'))[0], {
      west: 'westBoundLongitude',
      east: 'eastBoundLongitude',
      south: 'southBoundLatitude',
      north: 'northBoundLatitude'
    }),
    poc: contact(nodesAt(identification, 'pointOfContact', 'CI_ResponsibleParty')[0]),
    metadata_author: contact(nodesAt(md, 'contact', 'CI_ResponsibleParty')[0])
  })
}

function readDublinCore(record: XmlNode): IsoMetadata {
  const keywords = unique(nodesAt(record, 'subject').map((subject) => ownText(subject)))
  return compact({
    format: 'dublin-core',
    uuid: ownText(nodesAt(record, 'identifier')[0]),
    title: ownText(nodesAt(record, 'title')[0]),
    abstract: ownText(nodesAt(record, 'abstract')[0]) ?? ownText(nodesAt(record, 'description')[0]),
    keywords: keywords.length > 0 ? keywords : undefined
  })
}

function readFgdc(metadata: XmlNode): IsoMetadata {
  const idinfo = nodesAt(metadata, 'idinfo')[0]
  const keywords = unique(nodesAt(idinfo, 'keywords', 'theme', 'themekey').map((key) => ownText(key)))
  return compact({
    format: 'fgdc',
    title: ownText(nodesAt(idinfo, 'citation', 'citeinfo', 'title')[0]),
    abstract: ownText(nodesAt(idinfo, 'descript', 'abstract')[0]),
    purpose: ownText(nodesAt(idinfo, 'descript', 'purpose')[0]),
    keywords: keywords.length > 0 ? keywords : undefined,
    bbox: boundingBox(nodesAt(idinfo, 'spdom', 'bounding')[0], { west: 'westbc', east: 'eastbc', south: 'southbc', north: 'northbc' })
  })
}

/** The text an ISO property carries, whichever gco/gmx wrapper holds it. */
function isoText(node: XmlNode | undefined): string | undefined {
  if (node === undefined || typeof node === 'string') return ownText(node)
  for (const wrapper of ['CharacterString', 'Anchor', 'Decimal', 'Real', 'Integer', 'DateTime', 'Date', 'MD_TopicCategoryCode', 'URL']) {
    const inner = nodesAt(node, wrapper)[0]
    if (inner !== undefined) return ownText(inner)
  }
  const localised = nodesAt(node, 'PT_FreeText', 'textGroup', 'LocalisedCharacterString')[0]
  return localised !== undefined ? ownText(localised) : ownText(node)
}

/** A code list property: `<gmd:x><gmd:XCode codeListValue="v">v</gmd:XCode></gmd:x>`. */
function codeValue(property: XmlNode | undefined): string | undefined {
  if (property === undefined || typeof property === 'string') return undefined
  const code = Object.entries(property).find(([key, value]) => !key.startsWith('@_') && key !== '#text' && Array.isArray(value))
  const node = code ? (code[1] as XmlNode[])[0] : undefined
  return attribute(node, 'codeListValue') ?? ownText(node)
}

function timeText(period: XmlNode | undefined, which: 'begin' | 'end'): string | undefined {
  const timePeriod = nodesAt(period, 'TimePeriod')[0]
  const position = nodesAt(timePeriod, `${which}Position`)[0]
  return ownText(position) ?? ownText(nodesAt(timePeriod, which, 'TimeInstant', 'timePosition')[0])
}

function isoDate(value: string | undefined): string | undefined {
  if (value === undefined || Number.isNaN(Date.parse(value))) return undefined
  return value
}

function isDateType(value: string | undefined): value is 'creation' | 'publication' | 'revision' {
  return value === 'creation' || value === 'publication' || value === 'revision'
}

const LANGUAGE_3: Record<string, string> = {
  en: 'eng', fr: 'fre', de: 'ger', es: 'spa', it: 'ita', pt: 'por', nl: 'dut', el: 'gre', ru: 'rus', zh: 'chi',
  ja: 'jpn', ar: 'ara', fa: 'per', id: 'ind', vi: 'vie', pl: 'pol', sv: 'swe', fi: 'fin', da: 'dan', no: 'nor',
  cs: 'cze', hu: 'hun', ro: 'rum', tr: 'tur', uk: 'ukr', ko: 'kor', hr: 'hrv', sk: 'slo', sl: 'slv', ca: 'cat'
}

function languageCode(property: XmlNode | undefined): string | undefined {
  const raw = codeValue(property) ?? isoText(property)
  const code = raw?.toLowerCase().match(/^[a-z]+/)?.[0]
  if (!code) return undefined
  if (code.length === 3) return code
  return LANGUAGE_3[code]
}

function boundingBox(
  node: XmlNode | undefined,
  names: { west: string; east: string; south: string; north: string }
): IsoMetadata['bbox'] {
  if (node === undefined) return undefined
  const read = (name: string) => Number(isoText(nodesAt(node, name)[0]) ?? NaN)
  const bbox = { west: read(names.west), east: read(names.east), south: read(names.south), north: read(names.north) }
  return Object.values(bbox).every(Number.isFinite) ? bbox : undefined
}

function contact(party: XmlNode | undefined): IsoContact | undefined {
  if (party === undefined) return undefined
  const found = compact({
    name: isoText(nodesAt(party, 'individualName')[0]),
    organisation: isoText(nodesAt(party, 'organisationName')[0]),
    email: isoText(nodesAt(party, 'contactInfo', 'CI_Contact', 'address', 'CI_Address', 'electronicMailAddress')[0]),
    role: codeValue(nodesAt(party, 'role')[0])
  })
  return found.name || found.organisation || found.email ? found : undefined
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined))]
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T
}

/**
 * A namespace-stripped XML tree in which every element is an array of nodes, so paths read the
 * same whether an element occurs once or many times. Attributes are keyed `@_name`.
 */
export type XmlNode = string | { [key: string]: XmlNode[] | string }

/** Elements nested deeper than this are refused (ISO 19139 and SLD documents stay under 30). */
export const MAX_XML_DEPTH = 100
/** The most a side-car XML file (an SLD style, an ISO metadata record) may weigh. */
export const MAX_SIDE_CAR_BYTES = 10 * 1024 * 1024

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: '#text',
  // Also decodes numeric character references (&#38;), which plain processEntities leaves alone.
  htmlEntities: true,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
  maxNestedTags: MAX_XML_DEPTH
})

// Comments, CDATA, declarations and processing instructions; otherwise a start or end tag, whose
// quoted attribute values may hold `>`.
const MARKUP = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][^>]*>|<(\/?)[^\s/>!?][^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>/g

/** Whether elements of a well-formed document nest deeper than `limit`; counted in one pass, without recursion. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  for (const match of text.matchAll(MARKUP)) {
    const tag = match[0]
    if (tag[1] === '!' || tag[1] === '?') continue
    if (match[1]) depth -= 1
    else if (!tag.endsWith('/>') && ++depth > limit) return true
  }
  return false
}

/**
 * Parses an XML document into an {@link XmlNode} tree, or says why it is not well formed.
 * DTD entity declarations are refused (entity-expansion bombs), as GeoNode's defusedxml does, and
 * so are elements nested more than {@link MAX_XML_DEPTH} levels deep. Shared with sld.ts.
 */
export function parseXml(xml: string): { root: string; node: XmlNode } | { error: string } {
  const text = xml.replace(/^\uFEFF/, '')
  if (/<!ENTITY/i.test(text)) return { error: 'DTD entity declarations are not allowed' }
  const valid = XMLValidator.validate(text)
  if (valid !== true) return { error: `the XML is malformed (line ${valid.err.line}: ${valid.err.msg})` }
  if (nestsDeeperThan(text, MAX_XML_DEPTH)) return { error: `elements are nested more than ${MAX_XML_DEPTH} levels deep` }
  let document: Record<string, XmlNode[]>
  try {
    document = parser.parse(text) as Record<string, XmlNode[]>
  } catch (error) {
    return { error: `the XML cannot be read (${(error as Error).message})` }
  }
  const root = Object.keys(document).find((key) => !key.startsWith('?') && !key.startsWith('#') && !key.startsWith('!'))
  if (!root) return { error: 'the document has no root element' }
  return { root, node: document[root][0] }
}

/** Descendants by local name along a path: `nodesAt(md, 'identificationInfo', 'MD_DataIdentification')`. */
export function nodesAt(node: XmlNode | undefined, ...names: string[]): XmlNode[] {
  let current: XmlNode[] = node === undefined ? [] : [node]
  for (const name of names) {
    current = current.flatMap((item) => {
      if (typeof item === 'string') return []
      const children = item[name]
      return Array.isArray(children) ? children : []
    })
  }
  return current
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined
  const value = node[`@_${name}`]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** The element's own text, trimmed; undefined when empty. */
export function ownText(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined
  const value = typeof node === 'string' ? node : node['#text']
  if (Array.isArray(value)) return ownText(value[0])
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}
