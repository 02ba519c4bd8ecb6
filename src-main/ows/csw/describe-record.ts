import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, childrenNamed } from '../xml'
import { TYPE_NAMES } from './schemas'

/** The XML Schema of each typename: csw:Record written out, gmd:MD_Metadata by reference to ISO's. */
const COMPONENTS: Record<(typeof TYPE_NAMES)[number], string> = {
  'csw:Record': `<csw:SchemaComponent targetNamespace="http://www.opengis.net/cat/csw/2.0.2" schemaLanguage="http://www.w3.org/XML/Schema"><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/" xmlns:ows="http://www.opengis.net/ows" targetNamespace="http://www.opengis.net/cat/csw/2.0.2" elementFormDefault="qualified" version="2.0.2">
<xs:import namespace="http://purl.org/dc/terms/" schemaLocation="http://schemas.opengis.net/csw/2.0.2/rec-dcterms.xsd"/>
<xs:import namespace="http://purl.org/dc/elements/1.1/" schemaLocation="http://schemas.opengis.net/csw/2.0.2/rec-dcmes.xsd"/>
<xs:import namespace="http://www.opengis.net/ows" schemaLocation="http://schemas.opengis.net/ows/1.0.0/owsAll.xsd"/>
<xs:element name="Record" type="csw:RecordType"/>
<xs:complexType name="RecordType"><xs:sequence><xs:choice minOccurs="0" maxOccurs="unbounded"><xs:element ref="dc:identifier"/><xs:element ref="dc:title"/><xs:element ref="dc:type"/><xs:element ref="dc:subject"/><xs:element ref="dc:format"/><xs:element ref="dc:creator"/><xs:element ref="dc:contributor"/><xs:element ref="dc:publisher"/><xs:element ref="dc:date"/><xs:element ref="dc:language"/><xs:element ref="dc:rights"/><xs:element ref="dc:source"/><xs:element ref="dct:abstract"/><xs:element ref="dct:modified"/><xs:element ref="dct:alternative"/><xs:element ref="dct:references"/></xs:choice><xs:element ref="ows:BoundingBox" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
</xs:schema></csw:SchemaComponent>`,
  'gmd:MD_Metadata': `<csw:SchemaComponent targetNamespace="http://www.isotc211.org/2005/gmd" schemaLanguage="http://www.w3.org/XML/Schema"><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.isotc211.org/2005/gmd" elementFormDefault="qualified"><xs:include schemaLocation="http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd"/></xs:schema></csw:SchemaComponent>`
}

/** DescribeRecord: the schema of csw:Record and gmd:MD_Metadata (both when no typeName is given). */
export async function describeRecord(_ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const raw = req.xml ? childrenNamed(req.xml, 'TypeName').map((t) => t.text) : (param(req, 'typename') ?? '').split(',')
  const asked = raw.map((s) => s.trim()).filter(Boolean)
  const names = asked.length === 0 ? [...TYPE_NAMES] : asked.map((name) => {
    const local = name.slice(name.indexOf(':') + 1)
    const known = TYPE_NAMES.find((t) => t.endsWith(`:${local}`))
    if (!known) throw new OwsException('InvalidParameterValue', `typeName ${name} is not offered (${TYPE_NAMES.join(', ')}).`, 'typeName')
    return known
  })
  const body = `${XML_HEADER}<csw:DescribeRecordResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/cat/csw/2.0.2 http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd">
${[...new Set(names)].map((n) => COMPONENTS[n]).join('\n')}
</csw:DescribeRecordResponse>
`
  return { type: 'application/xml', body }
}
