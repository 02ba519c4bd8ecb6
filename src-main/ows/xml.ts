import { XMLParser, XMLValidator } from 'fast-xml-parser'

/**
 * An element of a parsed OGC request, children in document order (a WFS Transaction's Insert,
 * Update and Delete run in the order they are written; a filter's operands keep theirs).
 */
export interface XmlElement {
  /** Local name, without its prefix. */
  name: string
  /** The prefix as written (`wfs`, `ogc`, `fes`...), '' when none. */
  prefix: string
  attrs: Record<string, string>
  children: XmlElement[]
  /** The element's own text, trimmed ('' when none). */
  text: string
}

/** Deeper than any real OGC request; a deeper document is refused before it is walked. */
export const MAX_XML_DEPTH = 256

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true
})

export class XmlProblem extends Error {}

/** How deep elements nest, counted from the raw text (cheap, and safe on any input). */
function nestingDepth(xml: string): number {
  let depth = 0
  let deepest = 0
  const tags = /<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>/g
  for (let m = tags.exec(xml); m; m = tags.exec(xml)) {
    if (m[1]) depth--
    else if (!m[3]) deepest = Math.max(deepest, ++depth)
  }
  return deepest
}

/** Parses an XML request body; throws XmlProblem saying what is wrong with it. */
export function parseXmlElement(xml: string): XmlElement {
  const text = xml.replace(/^\uFEFF/, '').trim()
  if (text === '') throw new XmlProblem('the request body is empty')
  if (/<!ENTITY/i.test(text)) throw new XmlProblem('DTD entity declarations are not allowed')
  if (nestingDepth(text) > MAX_XML_DEPTH) throw new XmlProblem(`elements nest deeper than ${MAX_XML_DEPTH} levels`)
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new XmlProblem(`the XML is malformed (line ${valid.err.line}: ${valid.err.msg})`)
  const nodes = parser.parse(text) as RawNode[]
  const root = nodes.map(toElement).find((e): e is XmlElement => e !== null)
  if (!root) throw new XmlProblem('the document has no root element')
  return root
}

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> }

function toElement(node: RawNode): XmlElement | null {
  const key = Object.keys(node).find((k) => k !== ':@' && k !== '#text' && !k.startsWith('?') && !k.startsWith('!'))
  if (!key) return null
  const colon = key.indexOf(':')
  const raw = (node[key] as RawNode[]) ?? []
  const children: XmlElement[] = []
  let text = ''
  for (const child of raw) {
    if ('#text' in child && Object.keys(child).length === 1) text += String(child['#text'])
    else {
      const element = toElement(child)
      if (element) children.push(element)
    }
  }
  return { name: colon < 0 ? key : key.slice(colon + 1), prefix: colon < 0 ? '' : key.slice(0, colon), attrs: { ...(node[':@'] ?? {}) }, children, text: text.trim() }
}

/** Children with this local name (any prefix). */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : []
}

export function childNamed(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name)
}

/** An attribute by local name, whatever its prefix (`xlink:href`, `href`). */
export function attr(element: XmlElement | undefined, name: string): string | undefined {
  if (!element) return undefined
  for (const [key, value] of Object.entries(element.attrs)) {
    const local = key.includes(':') ? key.slice(key.indexOf(':') + 1) : key
    if (local === name || local.toLowerCase() === name.toLowerCase()) return value
  }
  return undefined
}

/** The text of the first descendant along a path of local names. */
export function textAt(element: XmlElement | undefined, ...path: string[]): string | undefined {
  let current = element
  for (const name of path) current = childNamed(current, name)
  return current?.text || undefined
}

/** Escapes text and attribute values for XML output. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
