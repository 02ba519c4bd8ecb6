import type Sqlite from 'better-sqlite3'
import type { Geometry, Position } from 'geojson'
import type { RequestCrs } from '../../crs'
import { esc } from '../../xml'
import { NS, type WfsVersion, crsName, namespaceOf } from '../common'
import { type FeatureAnswer, type OutFeature, type QueryPage, type Sink, attributesOf, chunksOf, timeStamp } from '../output'

/**
 * GetFeature answers in GML 2 (WFS 1.0.0), GML 3.1.1 (1.1.0) and GML 3.2 (2.0.0), written as text
 * a chunk of features at a time: the feature collection of the version, one element per feature
 * named after its layer in the workspace's namespace, properties in the layer's attribute order
 * (nulls left out, as nillable elements may be), the geometry in the answer's CRS and axis order.
 */

export type GmlVersion = 2 | 31 | 32

const XML_NAME = /^[A-Za-z_][\w.-]*$/

/**
 * How answers name their CRS: a name the client wrote as a URN (or http URI) comes back as the
 * version's URN, in the EPSG axis order; a plain EPSG:n comes back as GML's
 * http://www.opengis.net/gml/srs/epsg.xml#n, which every reader takes as x, y.
 */
export function outputSrsName(version: WfsVersion, crs: RequestCrs): string {
  if (crs.northFirst || /^(urn:|https?:\/\/www\.opengis\.net\/def\/)/i.test(crs.name)) return version === '1.0.0' ? `http://www.opengis.net/gml/srs/epsg.xml#${crs.epsg}` : crsName(version, crs.epsg)
  return `http://www.opengis.net/gml/srs/epsg.xml#${crs.epsg}`
}

const num = (n: number) => String(n)

function coordinates2(points: Position[]): string {
  return `<gml:coordinates decimal="." cs="," ts=" ">${points.map((p) => `${num(p[0])},${num(p[1])}`).join(' ')}</gml:coordinates>`
}

function posList(points: Position[]): string {
  return `<gml:posList srsDimension="2">${points.map((p) => `${num(p[0])} ${num(p[1])}`).join(' ')}</gml:posList>`
}

/** A geometry as GML. `srs` goes on the outer element; `id` (GML 3.2 needs one on every geometry) too. */
export function gmlGeometry(geometry: Geometry, gml: GmlVersion, srs: string | null, id: string | null): string {
  const head = (name: string) => `<gml:${name}${srs ? ` srsName="${esc(srs)}"` : ''}${gml === 32 && id ? ` gml:id="${esc(id)}"` : ''}>`
  const inner = (g: Geometry, n: number) => gmlGeometry(g, gml, null, gml === 32 && id ? `${id}.${n}` : null)
  const ring2 = (r: Position[]) => `<gml:LinearRing>${coordinates2(r)}</gml:LinearRing>`
  const ring3 = (r: Position[]) => `<gml:LinearRing>${posList(r)}</gml:LinearRing>`
  switch (geometry.type) {
    case 'Point':
      return `${head('Point')}${gml === 2 ? coordinates2([geometry.coordinates]) : `<gml:pos srsDimension="2">${num(geometry.coordinates[0])} ${num(geometry.coordinates[1])}</gml:pos>`}</gml:Point>`
    case 'LineString':
      return `${head('LineString')}${gml === 2 ? coordinates2(geometry.coordinates) : posList(geometry.coordinates)}</gml:LineString>`
    case 'Polygon': {
      const [outer, ...holes] = geometry.coordinates
      if (gml === 2) return `${head('Polygon')}<gml:outerBoundaryIs>${ring2(outer ?? [])}</gml:outerBoundaryIs>${holes.map((h) => `<gml:innerBoundaryIs>${ring2(h)}</gml:innerBoundaryIs>`).join('')}</gml:Polygon>`
      return `${head('Polygon')}<gml:exterior>${ring3(outer ?? [])}</gml:exterior>${holes.map((h) => `<gml:interior>${ring3(h)}</gml:interior>`).join('')}</gml:Polygon>`
    }
    case 'MultiPoint':
      return `${head('MultiPoint')}${geometry.coordinates.map((p, i) => `<gml:pointMember>${inner({ type: 'Point', coordinates: p }, i)}</gml:pointMember>`).join('')}</gml:MultiPoint>`
    case 'MultiLineString': {
      const [name, member] = gml === 2 ? ['MultiLineString', 'lineStringMember'] : ['MultiCurve', 'curveMember']
      return `${head(name)}${geometry.coordinates.map((l, i) => `<gml:${member}>${inner({ type: 'LineString', coordinates: l }, i)}</gml:${member}>`).join('')}</gml:${name}>`
    }
    case 'MultiPolygon': {
      const [name, member] = gml === 2 ? ['MultiPolygon', 'polygonMember'] : ['MultiSurface', 'surfaceMember']
      return `${head(name)}${geometry.coordinates.map((p, i) => `<gml:${member}>${inner({ type: 'Polygon', coordinates: p }, i)}</gml:${member}>`).join('')}</gml:${name}>`
    }
    case 'GeometryCollection':
      return `${head('MultiGeometry')}${geometry.geometries.map((g, i) => `<gml:geometryMember>${inner(g, i)}</gml:geometryMember>`).join('')}</gml:MultiGeometry>`
  }
}

function value(v: unknown): string {
  if (typeof v === 'object') return esc(JSON.stringify(v))
  return esc(v)
}

/** One feature element. */
export function featureGml(feature: OutFeature, page: QueryPage, gml: GmlVersion, srs: string): string {
  const prefix = page.layer.workspace
  const idAttr = gml === 2 ? `fid="${esc(feature.id)}"` : `gml:id="${esc(feature.id)}"`
  const parts: string[] = [`<${prefix}:${page.layer.name} ${idAttr}>`]
  for (const attribute of attributesOf(page)) {
    if (!XML_NAME.test(attribute.name)) continue
    const tag = `${prefix}:${attribute.name}`
    if (attribute.type.startsWith('gml:')) {
      if (feature.geometry) parts.push(`<${tag}>${gmlGeometry(feature.geometry, gml, srs, `${feature.id}.geom`)}</${tag}>`)
      continue
    }
    const v = feature.properties[attribute.name]
    if (v === null || v === undefined) continue
    parts.push(`<${tag}>${value(v)}</${tag}>`)
  }
  parts.push(`</${prefix}:${page.layer.name}>`)
  return parts.join('')
}

function schemaLocation(answer: FeatureAnswer, gml: GmlVersion): string {
  const byWorkspace = new Map<string, string[]>()
  for (const page of answer.pages) byWorkspace.set(page.layer.workspace, [...(byWorkspace.get(page.layer.workspace) ?? []), page.layer.alternate])
  const describe = [...byWorkspace.entries()].map(
    ([w, names]) => `${namespaceOf(w)} ${answer.url}?service=WFS&version=${answer.version}&request=DescribeFeatureType&typeName=${encodeURIComponent([...new Set(names)].join(','))}`
  )
  const own = gml === 2 ? `${NS.wfs} http://schemas.opengis.net/wfs/1.0.0/WFS-basic.xsd` : gml === 31 ? `${NS.wfs} http://schemas.opengis.net/wfs/1.1.0/wfs.xsd` : `${NS.wfs20} http://schemas.opengis.net/wfs/2.0/wfs.xsd ${NS.gml32} http://schemas.opengis.net/gml/3.2.1/gml.xsd`
  return esc([own, ...describe].join(' '))
}

function rootAttributes(answer: FeatureAnswer, gml: GmlVersion): string {
  const spaces = [...new Set(answer.pages.map((p) => p.layer.workspace))]
  const wfs = gml === 32 ? NS.wfs20 : NS.wfs
  const gmlNs = gml === 32 ? NS.gml32 : NS.gml
  return `xmlns:wfs="${wfs}" xmlns:gml="${gmlNs}"${spaces.map((w) => ` xmlns:${w}="${esc(namespaceOf(w))}"`).join('')} xmlns:xsi="${NS.xsi}" xsi:schemaLocation="${schemaLocation(answer, gml)}"`
}

/** The count-only answer of resultType=hits (1.1.0 numberOfFeatures, 2.0.0 numberMatched). */
export function hitsGml(answer: FeatureAnswer, gml: GmlVersion): string {
  const matched = answer.pages.reduce((n, p) => n + p.matched, 0)
  if (gml === 32) return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection numberMatched="${matched}" numberReturned="0" timeStamp="${timeStamp()}" ${rootAttributes(answer, gml)}/>\n`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection numberOfFeatures="${matched}" timeStamp="${timeStamp()}" ${rootAttributes(answer, gml)}/>\n`
}

/** Streams the feature collection. */
export async function writeGml(sqlite: Sqlite.Database, answer: FeatureAnswer, gml: GmlVersion, sink: Sink): Promise<void> {
  const matched = answer.pages.reduce((n, p) => n + p.matched, 0)
  const returned = answer.pages.reduce((n, p) => n + p.ids.length, 0)
  const counts = gml === 32 ? ` numberMatched="${matched}" numberReturned="${returned}" timeStamp="${timeStamp()}"` : gml === 31 ? ` numberOfFeatures="${returned}" timeStamp="${timeStamp()}"` : ''
  await sink.write(`<?xml version="1.0" encoding="UTF-8"?>\n<wfs:FeatureCollection${counts} ${rootAttributes(answer, gml)}>`)
  if (gml === 2) await sink.write('<gml:boundedBy><gml:null>unknown</gml:null></gml:boundedBy>')
  const [open, close] = gml === 32 ? ['<wfs:member>', '</wfs:member>'] : ['<gml:featureMember>', '</gml:featureMember>']
  for (const page of answer.pages) {
    const srs = outputSrsName(answer.version, page.crs)
    for (const chunk of chunksOf(sqlite, page, true)) {
      await sink.write(chunk.map((f) => `\n${open}${featureGml(f, page, gml, srs)}${close}`).join(''))
    }
  }
  sink.end('\n</wfs:FeatureCollection>\n')
}
