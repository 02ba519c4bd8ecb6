import { OwsException } from '../exceptions'
import { ATOM_NS, atomEntry } from './atom'
import { CSW_NS, DC_NAMESPACES, dublinCoreRecord } from './dublin-core'
import { GMD_NS, ISO_NAMESPACES, isoRecord } from './iso19139'
import type { ElementSet, RecordSource } from './record-source'

/** An output schema: its namespace URI (as clients name it), what to declare on the answer's root, and the record writer. */
export interface OutputSchema {
  uri: string
  /** Namespace declarations the records need, put on the root of the answer. */
  namespaces: string
  render(source: RecordSource, set: ElementSet): string
}

export const OUTPUT_SCHEMAS: readonly OutputSchema[] = [
  { uri: CSW_NS, namespaces: DC_NAMESPACES, render: (s, set) => dublinCoreRecord(s, set) },
  { uri: GMD_NS, namespaces: ISO_NAMESPACES, render: (s, set) => isoRecord(s, set) },
  { uri: ATOM_NS, namespaces: '', render: atomEntry }
]

/** The typenames records are queried as (both describe every resource; the output schema decides the form). */
export const TYPE_NAMES = ['csw:Record', 'gmd:MD_Metadata'] as const

/** The output schema a request names (default Dublin Core); refused when not offered. */
export function outputSchema(raw: string | undefined): OutputSchema {
  const uri = (raw ?? CSW_NS).trim()
  const found = OUTPUT_SCHEMAS.find((s) => s.uri === uri || (uri === 'csw:Record' && s.uri === CSW_NS) || (uri === 'gmd:MD_Metadata' && s.uri === GMD_NS))
  if (!found) throw new OwsException('InvalidParameterValue', `outputSchema ${uri} is not offered (${OUTPUT_SCHEMAS.map((s) => s.uri).join(', ')}).`, 'outputSchema')
  return found
}

export function elementSet(raw: string | undefined): ElementSet {
  const value = (raw ?? 'summary').trim().toLowerCase()
  if (value === 'brief' || value === 'summary' || value === 'full') return value
  throw new OwsException('InvalidParameterValue', `ElementSetName ${raw} is not brief, summary or full.`, 'ElementSetName')
}
