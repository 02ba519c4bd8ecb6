import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { OUTPUT_SCHEMAS, TYPE_NAMES } from './schemas'

const DUBLIN_CORE_QUERYABLES = ['csw:AnyText', 'dc:title', 'dc:subject', 'dc:type', 'dc:identifier', 'dc:format', 'dc:creator', 'dc:language', 'dc:date', 'dct:abstract', 'dct:modified', 'ows:BoundingBox']
const ISO_QUERYABLES = [
  'apiso:AnyText', 'apiso:Title', 'apiso:Abstract', 'apiso:Subject', 'apiso:TopicCategory', 'apiso:Type', 'apiso:Identifier', 'apiso:Modified',
  'apiso:CreationDate', 'apiso:PublicationDate', 'apiso:RevisionDate', 'apiso:AlternateTitle', 'apiso:ResourceLanguage', 'apiso:CRS', 'apiso:BoundingBox'
]

const parameter = (name: string, list: readonly string[]) => `<ows:Parameter name="${name}">${list.map((v) => `<ows:Value>${esc(v)}</ows:Value>`).join('')}</ows:Parameter>`
const constraint = (name: string, list: readonly string[]) => `<ows:Constraint name="${name}">${list.map((v) => `<ows:Value>${esc(v)}</ows:Value>`).join('')}</ows:Constraint>`

function operation(url: string, name: string, body: string, post = true): string {
  return `<ows:Operation name="${name}"><ows:DCP><ows:HTTP><ows:Get xlink:href="${esc(url)}"/>${post ? `<ows:Post xlink:href="${esc(url)}"/>` : ''}</ows:HTTP></ows:DCP>${body}</ows:Operation>`
}

const FILTER_CAPABILITIES = `<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:GeometryOperands><ogc:GeometryOperand>gml:Envelope</ogc:GeometryOperand><ogc:GeometryOperand>gml:Polygon</ogc:GeometryOperand><ogc:GeometryOperand>gml:Point</ogc:GeometryOperand><ogc:GeometryOperand>gml:LineString</ogc:GeometryOperand></ogc:GeometryOperands><ogc:SpatialOperators>${['BBOX', 'Contains', 'Disjoint', 'Equals', 'Intersects', 'Overlaps', 'Within']
  .map((o) => `<ogc:SpatialOperator name="${o}"/>`)
  .join('')}</ogc:SpatialOperators></ogc:Spatial_Capabilities><ogc:Scalar_Capabilities><ogc:LogicalOperators/><ogc:ComparisonOperators>${['Between', 'EqualTo', 'GreaterThan', 'GreaterThanEqualTo', 'LessThan', 'LessThanEqualTo', 'Like', 'NotEqualTo', 'NullCheck']
  .map((o) => `<ogc:ComparisonOperator>${o}</ogc:ComparisonOperator>`)
  .join('')}</ogc:ComparisonOperators></ogc:Scalar_Capabilities><ogc:Id_Capabilities><ogc:EID/><ogc:FID/></ogc:Id_Capabilities></ogc:Filter_Capabilities>`

/** CSW 2.0.2 capabilities: the operations with their parameters and constraints, the queryables, the filters understood. */
export async function getCapabilities(_ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const accept = param(req, 'acceptversions')
  if (accept && !accept.split(',').some((v) => v.trim() === '2.0.2')) {
    throw new OwsException('VersionNegotiationFailed', `None of the versions ${accept} is offered (2.0.2).`, 'AcceptVersions')
  }
  const url = req.endpoint.url
  const schemas = OUTPUT_SCHEMAS.map((s) => s.uri)
  const body = `${XML_HEADER}<csw:Capabilities version="2.0.2" updateSequence="0" xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ows="http://www.opengis.net/ows" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/cat/csw/2.0.2 http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd">
<ows:ServiceIdentification><ows:Title>Mapshelf catalogue</ows:Title><ows:Abstract>Every layer, map, document and app of this Mapshelf catalogue the caller may see, as Dublin Core, ISO 19139 and Atom records.</ows:Abstract><ows:Keywords><ows:Keyword>catalogue</ows:Keyword><ows:Keyword>discovery</ows:Keyword></ows:Keywords><ows:ServiceType>CSW</ows:ServiceType><ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>
<ows:ServiceProvider><ows:ProviderName>Mapshelf</ows:ProviderName><ows:ServiceContact><ows:IndividualName/><ows:ContactInfo/></ows:ServiceContact></ows:ServiceProvider>
<ows:OperationsMetadata>
${operation(url, 'GetCapabilities', parameter('sections', ['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'Filter_Capabilities']))}
${operation(url, 'DescribeRecord', `${parameter('typeName', TYPE_NAMES)}${parameter('outputFormat', ['application/xml'])}${parameter('schemaLanguage', ['http://www.w3.org/XML/Schema', 'XMLSCHEMA'])}`)}
${operation(
  url,
  'GetRecords',
  `${parameter('resultType', ['hits', 'results', 'validate'])}${parameter('outputFormat', ['application/xml'])}${parameter('outputSchema', schemas)}${parameter('typeNames', TYPE_NAMES)}${parameter('CONSTRAINTLANGUAGE', ['FILTER', 'CQL_TEXT'])}${parameter('ElementSetName', ['brief', 'summary', 'full'])}${constraint('SupportedDublinCoreQueryables', DUBLIN_CORE_QUERYABLES)}${constraint('SupportedISOQueryables', ISO_QUERYABLES)}`
)}
${operation(url, 'GetRecordById', `${parameter('outputSchema', schemas)}${parameter('outputFormat', ['application/xml'])}${parameter('ElementSetName', ['brief', 'summary', 'full'])}`)}
${parameter('service', ['CSW'])}${parameter('version', ['2.0.2'])}${constraint('MaxRecordDefault', ['10'])}${constraint('PostEncoding', ['XML'])}
</ows:OperationsMetadata>
${FILTER_CAPABILITIES}
</csw:Capabilities>
`
  return { type: 'application/xml', body }
}
