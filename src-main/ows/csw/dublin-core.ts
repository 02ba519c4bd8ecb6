import { esc } from '../xml'
import { latLonCorners } from './records'
import { type ElementSet, type RecordSource, abstractOf, formatOf, linkName, lonLatBox, personName, protocolOf, recordLinks, typeOf } from './record-source'

export const CSW_NS = 'http://www.opengis.net/cat/csw/2.0.2'
export const DC_NAMESPACES = 'xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/" xmlns:ows="http://www.opengis.net/ows"'

const el = (name: string, value: unknown, attrs = '') => (value === null || value === undefined || value === '' ? '' : `<${name}${attrs}>${esc(value)}</${name}>`)

/** The record's extent, latitude first in the CRS pycsw names (OWSLib and MetaSearch read it so). */
function boundingBox(source: RecordSource): string {
  const box = lonLatBox(source.dto)
  if (!box) return ''
  const { lower, upper } = latLonCorners(box)
  return `<ows:BoundingBox crs="urn:x-ogc:def:crs:EPSG:6.11:4326" dimensions="2"><ows:LowerCorner>${lower}</ows:LowerCorner><ows:UpperCorner>${upper}</ows:UpperCorner></ows:BoundingBox>`
}

/**
 * A Dublin Core record of CSW 2.0.2: csw:BriefRecord (identifier, title, type, extent),
 * csw:SummaryRecord (and subjects, formats, modified, abstract) or csw:Record (everything,
 * with the resource's links as dct:references and dc:URI, as pycsw writes them).
 */
export function dublinCoreRecord(source: RecordSource, set: ElementSet, namespaces = ''): string {
  const { dto } = source
  const head = `${el('dc:identifier', dto.uuid)}${el('dc:title', dto.title)}${el('dc:type', typeOf(dto))}`
  if (set === 'brief') return `<csw:BriefRecord${namespaces}>${head}${boundingBox(source)}</csw:BriefRecord>`
  const subjects = [...dto.keywords.map((k) => k.name), ...(dto.category ? [dto.category.identifier] : [])].map((s) => el('dc:subject', s)).join('')
  const format = el('dc:format', formatOf(source))
  const abstract = el('dct:abstract', abstractOf(dto))
  if (set === 'summary') {
    return `<csw:SummaryRecord${namespaces}>${head}${subjects}${format}${el('dct:modified', dto.date)}${abstract}${boundingBox(source)}</csw:SummaryRecord>`
  }
  const links = recordLinks(source)
  const references = links.map((l) => el('dct:references', l.url, ` scheme="${esc(protocolOf(l))}"`)).join('')
  const uris = links.map((l) => el('dc:URI', l.url, ` protocol="${esc(protocolOf(l))}" name="${esc(linkName(source, l))}" description="${esc(l.name)}"`)).join('')
  return `<csw:Record${namespaces}>${head}${subjects}${format}${el('dc:creator', personName(dto.owner))}${el('dc:contributor', personName(dto.poc))}${el('dc:publisher', personName(dto.metadata_author))}${el('dc:date', dto.date)}${el('dc:language', dto.language)}${el('dc:rights', dto.license?.identifier)}${el('dc:source', dto.attribution)}${abstract}${el('dct:modified', dto.date)}${el('dct:alternative', dto.alternate)}${references}${uris}${boundingBox(source)}</csw:Record>`
}
