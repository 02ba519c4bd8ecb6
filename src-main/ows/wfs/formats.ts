import { OwsException } from '../exceptions'
import type { WfsVersion } from './common'

export type FormatKind = 'gml2' | 'gml31' | 'gml32' | 'geojson' | 'shape-zip' | 'csv' | 'excel'

export interface GetFeatureFormat {
  kind: FormatKind
  /** The name capabilities advertise. */
  name: string
  /** The element WFS 1.0.0 capabilities list it as (ResultFormat). */
  v100?: string
  /** Every name a request may use (GeoServer's names, mime types, GeoNode's download links). */
  aliases: readonly string[]
  /** The answer's content type. */
  mime: string
}

export const GETFEATURE_FORMATS: readonly GetFeatureFormat[] = [
  { kind: 'gml2', name: 'text/xml; subtype=gml/2.1.2', v100: 'GML2', aliases: ['gml2', 'gml', 'text/xml; subtype=gml/2.1.2', 'application/gml+xml; version=2.1'], mime: 'text/xml; subtype=gml/2.1.2' },
  { kind: 'gml31', name: 'text/xml; subtype=gml/3.1.1', v100: 'GML3', aliases: ['gml3', 'text/xml; subtype=gml/3.1.1', 'application/gml+xml; version=3.1', 'text/xml'], mime: 'text/xml; subtype=gml/3.1.1' },
  { kind: 'gml32', name: 'application/gml+xml; version=3.2', aliases: ['gml32', 'application/gml+xml; version=3.2', 'text/xml; subtype=gml/3.2', 'text/xml; subtype=gml/3.2.1', 'application/gml+xml'], mime: 'application/gml+xml; version=3.2' },
  { kind: 'geojson', name: 'application/json', v100: 'JSON', aliases: ['application/json', 'json', 'geojson', 'application/geo+json', 'application/vnd.geo+json'], mime: 'application/json' },
  { kind: 'shape-zip', name: 'SHAPE-ZIP', v100: 'SHAPE-ZIP', aliases: ['shape-zip', 'application/zip', 'shapezip', 'shp'], mime: 'application/zip' },
  { kind: 'csv', name: 'csv', v100: 'CSV', aliases: ['csv', 'text/csv'], mime: 'text/csv' },
  {
    kind: 'excel',
    name: 'excel2007',
    v100: 'EXCEL',
    aliases: ['excel', 'excel2007', 'xlsx', 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/msexcel', 'application/vnd.ms-excel'],
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
  }
]

/** A format name compared loosely: case, spaces and `+` (a URL's unencoded `+` arrives as a space) do not count. */
const key = (name: string) => name.toLowerCase().replace(/[\s+"]/g, '')

const BY_KEY = new Map(GETFEATURE_FORMATS.flatMap((f) => f.aliases.map((a) => [key(a), f] as const)))

/** The GML each version answers in without an outputFormat. */
export function defaultFormat(version: WfsVersion): GetFeatureFormat {
  const kind = version === '1.0.0' ? 'gml2' : version === '1.1.0' ? 'gml31' : 'gml32'
  return GETFEATURE_FORMATS.find((f) => f.kind === kind)!
}

export function getFeatureFormat(raw: string | undefined, version: WfsVersion): GetFeatureFormat {
  if (!raw) return defaultFormat(version)
  const found = BY_KEY.get(key(raw))
  if (!found) throw new OwsException('InvalidParameterValue', `outputFormat ${raw} is not offered (${GETFEATURE_FORMATS.map((f) => f.name).join(', ')}).`, 'outputFormat')
  return found
}

/** The GML of a format (2, 3.1 or 3.2), or null for the other formats. */
export function gmlOf(kind: FormatKind): 2 | 31 | 32 | null {
  return kind === 'gml2' ? 2 : kind === 'gml31' ? 31 : kind === 'gml32' ? 32 : null
}
