import type { OwsLayer } from '../../services/ows-layers.service'
import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, childrenNamed, esc } from '../xml'
import { NS, type WfsVersion, featureTypes, geometryPropertyType, list, namespaceOf, versionOf, visibleFeatureTypes } from './common'

/**
 * DescribeFeatureType in GeoServer's style: an XML Schema under the `xsd:` prefix only (OWSLib's
 * schema reader skips a default-namespace schema), the workspace's namespace as target, one
 * complexType per layer built from its attribute_set (the geometry as gml:*PropertyType, GML 3
 * naming multi-polygons and multi-lines MultiSurface and MultiCurve), and an element per layer in
 * the feature substitution group of the GML asked for. No type name describes every layer.
 */

const XSD_TYPES = new Set(['xsd:string', 'xsd:int', 'xsd:long', 'xsd:double', 'xsd:float', 'xsd:decimal', 'xsd:boolean', 'xsd:date', 'xsd:dateTime', 'xsd:time', 'xsd:short', 'xsd:integer'])

type SchemaGml = 2 | 31 | 32

function gmlOfRequest(version: WfsVersion, raw: string | undefined): SchemaGml {
  if (!raw) return version === '1.0.0' ? 2 : version === '1.1.0' ? 31 : 32
  const value = raw.toLowerCase().replace(/[\s+]/g, '')
  if (value === 'xmlschema' || value === 'text/xml;subtype=gml/2.1.2' || value === 'gml2') return 2
  if (value === 'text/xml;subtype=gml/3.1.1' || value === 'gml3' || value === 'text/xml') return 31
  if (value === 'application/gmlxml;version=3.2' || value === 'text/xml;subtype=gml/3.2' || value === 'gml32' || value === 'application/gmlxml') return 32
  throw new OwsException('InvalidParameterValue', `outputFormat ${raw} is not offered for DescribeFeatureType (XMLSCHEMA, text/xml; subtype=gml/3.1.1, application/gml+xml; version=3.2).`, 'outputFormat')
}

function complexType(layer: OwsLayer, gml: SchemaGml): string {
  const elements = layer.attributes.map((a) => {
    const type = a.type.startsWith('gml:') ? geometryPropertyType(layer, gml === 2 ? 2 : 3) : XSD_TYPES.has(a.type) ? a.type : 'xsd:string'
    return `<xsd:element maxOccurs="1" minOccurs="0" name="${esc(a.name)}" nillable="true" type="${type}"/>`
  })
  const group = gml === 32 ? 'gml:AbstractFeature' : 'gml:_Feature'
  const base = gml === 32 ? 'gml:AbstractFeatureType' : 'gml:AbstractFeatureType'
  return `<xsd:complexType name="${esc(layer.name)}Type"><xsd:complexContent><xsd:extension base="${base}"><xsd:sequence>${elements.join('')}</xsd:sequence></xsd:extension></xsd:complexContent></xsd:complexType>
<xsd:element name="${esc(layer.name)}" substitutionGroup="${group}" type="${esc(layer.workspace)}:${esc(layer.name)}Type"/>`
}

const GML_SCHEMA: Record<SchemaGml, string> = {
  2: `<xsd:import namespace="${NS.gml}" schemaLocation="http://schemas.opengis.net/gml/2.1.2/feature.xsd"/>`,
  31: `<xsd:import namespace="${NS.gml}" schemaLocation="http://schemas.opengis.net/gml/3.1.1/base/gml.xsd"/>`,
  32: `<xsd:import namespace="${NS.gml32}" schemaLocation="http://schemas.opengis.net/gml/3.2.1/gml.xsd"/>`
}

export function schemaOf(layers: OwsLayer[], gml: SchemaGml, url: string, version: WfsVersion): string {
  const workspace = layers[0]?.workspace ?? 'geonode'
  const own = layers.filter((l) => l.workspace === workspace)
  const others = [...new Set(layers.filter((l) => l.workspace !== workspace).map((l) => l.workspace))]
  const imports = others.map((w) => {
    const names = layers.filter((l) => l.workspace === w).map((l) => l.alternate).join(',')
    return `<xsd:import namespace="${esc(namespaceOf(w))}" schemaLocation="${esc(`${url}?service=WFS&version=${version}&request=DescribeFeatureType&typeName=${encodeURIComponent(names)}`)}"/>`
  })
  const declared = [workspace, ...others].map((w) => ` xmlns:${w}="${esc(namespaceOf(w))}"`).join('')
  return `${XML_HEADER}<xsd:schema xmlns:xsd="${NS.xsd}" xmlns:gml="${gml === 32 ? NS.gml32 : NS.gml}"${declared} elementFormDefault="qualified" targetNamespace="${esc(namespaceOf(workspace))}">
${GML_SCHEMA[gml]}
${imports.join('\n')}${imports.length ? '\n' : ''}${own.map((l) => complexType(l, gml)).join('\n')}
</xsd:schema>
`
}

export async function describeFeatureType(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = versionOf(req)
  const names = req.xml ? childrenNamed(req.xml, 'TypeName').map((t) => t.text) : list(param(req, 'typenames') ?? param(req, 'typename'))
  const layers = names.length ? [...new Set(await featureTypes(ctx, req, names, 'typeName'))] : await visibleFeatureTypes(ctx, req)
  const gml = gmlOfRequest(version, req.xml ? (req.xml.attrs.outputFormat ?? undefined) : param(req, 'outputformat'))
  const type = gml === 32 ? 'application/gml+xml; version=3.2' : gml === 31 ? 'text/xml; subtype=gml/3.1.1' : 'text/xml'
  return { type, body: schemaOf(layers, gml, req.endpoint.url, version) }
}
