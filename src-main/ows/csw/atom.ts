import { esc } from '../xml'
import { type ElementSet, type RecordSource, abstractOf, lonLatBox, personName, recordLinks } from './record-source'

export const ATOM_NS = 'http://www.w3.org/2005/Atom'

const el = (name: string, value: unknown) => (value === null || value === undefined || value === '' ? '' : `<${name}>${esc(value)}</${name}>`)

/**
 * An Atom entry of a resource (RFC 4287, with its extent as a GeoRSS box): id, title, dates,
 * author, summary, keywords as categories, its page and its links (downloads as enclosures).
 */
export function atomEntry(source: RecordSource, set: ElementSet): string {
  const { dto } = source
  const box = lonLatBox(dto)
  const georss = box ? `<georss:box>${box[1]} ${box[0]} ${box[3]} ${box[2]}</georss:box>` : ''
  const head = `<entry xmlns="${ATOM_NS}" xmlns:georss="http://www.georss.org/georss" xmlns:dc="http://purl.org/dc/elements/1.1/">${el('id', `urn:uuid:${dto.uuid}`)}${el('title', dto.title)}${el('updated', dto.last_updated)}`
  if (set === 'brief') return `${head}${georss}</entry>`
  const links = recordLinks(source)
    .map((l) => `<link rel="${l.link_type === 'data' || l.link_type === 'original' ? 'enclosure' : 'related'}" href="${esc(l.url)}" type="${esc(l.mime)}" title="${esc(l.name)}"/>`)
    .join('')
  const page = dto.detail_url ? `<link rel="alternate" type="text/html" href="${esc(dto.detail_url)}"/>` : ''
  return `${head}${el('published', dto.date)}<author>${el('name', personName(dto.owner))}</author>${el('summary', abstractOf(dto))}${dto.keywords.map((k) => `<category term="${esc(k.name)}"/>`).join('')}${page}${links}${el('dc:identifier', dto.uuid)}${georss}</entry>`
}
