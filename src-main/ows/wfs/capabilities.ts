import type { OwsLayer } from '../../services/ows-layers.service'
import { COMMON_CRS } from '../crs'
import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, attr, childNamed, childrenNamed, esc } from '../xml'
import { MAX_FEATURES, NS, WFS_VERSIONS, type WfsVersion, crsName, layerEpsg, list, matchVersion, namespaceOf, visibleFeatureTypes } from './common'
import { GETFEATURE_FORMATS } from './formats'

/**
 * WFS GetCapabilities in 1.0.0, 1.1.0 and 2.0.0: the feature types the caller may view, the
 * operations with this endpoint's public address, and Transaction only for callers who may change
 * some layer's data (QGIS offers editing only when it is advertised).
 */

/** The version to answer in: the first of ACCEPTVERSIONS we offer, else VERSION, else the highest. */
export function negotiate(req: OwsRequest): WfsVersion {
  const accepted = req.xml ? (attr(req.xml, 'acceptVersions') ?? childrenNamed(childNamed(req.xml, 'AcceptVersions'), 'Version').map((v) => v.text).join(',')) : param(req, 'acceptversions')
  if (accepted) {
    for (const raw of list(accepted)) {
      const version = WFS_VERSIONS.find((v) => v === raw.trim())
      if (version) return version
    }
    throw new OwsException('VersionNegotiationFailed', `None of the versions ${accepted} is offered (${WFS_VERSIONS.join(', ')}).`, 'AcceptVersions')
  }
  return matchVersion(req.version) ?? WFS_VERSIONS[0]
}

const SPATIAL_OPERATORS = ['BBOX', 'Intersects', 'Within', 'Contains', 'Disjoint', 'Touches', 'Crosses', 'Overlaps', 'Equals', 'DWithin', 'Beyond']
const COMPARISONS = ['PropertyIsEqualTo', 'PropertyIsNotEqualTo', 'PropertyIsLessThan', 'PropertyIsGreaterThan', 'PropertyIsLessThanOrEqualTo', 'PropertyIsGreaterThanOrEqualTo', 'PropertyIsLike', 'PropertyIsNull', 'PropertyIsBetween']
const GEOMETRY_OPERANDS = ['Envelope', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'MultiCurve', 'MultiSurface']

function namespaces(layers: OwsLayer[]): string {
  const spaces = [...new Set(layers.map((l) => l.workspace))]
  if (!spaces.includes('geonode')) spaces.unshift('geonode')
  return spaces.map((w) => ` xmlns:${w}="${esc(namespaceOf(w))}"`).join('')
}

function bboxOf(layer: OwsLayer): [number, number, number, number] {
  return layer.lonLatBbox ?? [-180, -90, 180, 90]
}

function otherCrs(layer: OwsLayer): number[] {
  const native = layerEpsg(layer)
  return COMMON_CRS.filter((c) => c !== native)
}

function serviceTitle(): string {
  return 'Mapshelf Web Feature Service'
}

function v100(url: string, layers: OwsLayer[], editable: boolean): string {
  const dcp = (query: string) => `<DCPType><HTTP><Get onlineResource="${esc(`${url}?${query}`)}"/></HTTP></DCPType><DCPType><HTTP><Post onlineResource="${esc(url)}"/></HTTP></DCPType>`
  const formats = GETFEATURE_FORMATS.filter((f) => f.v100).map((f) => `<${f.v100}/>`).join('')
  const operations = editable ? '<Query/><Insert/><Update/><Delete/>' : '<Query/>'
  const types = layers
    .map((l) => {
      const [minx, miny, maxx, maxy] = bboxOf(l)
      return `<FeatureType><Name>${esc(l.alternate)}</Name><Title>${esc(l.title)}</Title><Abstract>${esc(l.abstract)}</Abstract><Keywords>${esc(l.keywords.join(', '))}</Keywords><SRS>EPSG:${layerEpsg(l)}</SRS><LatLongBoundingBox minx="${minx}" miny="${miny}" maxx="${maxx}" maxy="${maxy}"/></FeatureType>`
    })
    .join('\n')
  return `${XML_HEADER}<WFS_Capabilities version="1.0.0" xmlns="${NS.wfs}" xmlns:ogc="${NS.ogc}" xmlns:xsi="${NS.xsi}"${namespaces(layers)} xsi:schemaLocation="${NS.wfs} http://schemas.opengis.net/wfs/1.0.0/WFS-capabilities.xsd">
<Service><Name>WFS</Name><Title>${serviceTitle()}</Title><Abstract>The catalogue's vector layers as features.</Abstract><Keywords>WFS, WMS, GEONODE</Keywords><OnlineResource>${esc(url)}</OnlineResource><Fees>NONE</Fees><AccessConstraints>NONE</AccessConstraints></Service>
<Capability><Request>
<GetCapabilities>${dcp('request=GetCapabilities')}</GetCapabilities>
<DescribeFeatureType><SchemaDescriptionLanguage><XMLSCHEMA/></SchemaDescriptionLanguage>${dcp('request=DescribeFeatureType')}</DescribeFeatureType>
<GetFeature><ResultFormat>${formats}</ResultFormat>${dcp('request=GetFeature')}</GetFeature>
${editable ? `<Transaction>${dcp('request=Transaction')}</Transaction>\n` : ''}</Request></Capability>
<FeatureTypeList><Operations>${operations}</Operations>
${types}
</FeatureTypeList>
<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:Spatial_Operators><ogc:Disjoint/><ogc:Equals/><ogc:DWithin/><ogc:Beyond/><ogc:Intersect/><ogc:Touches/><ogc:Crosses/><ogc:Within/><ogc:Contains/><ogc:Overlaps/><ogc:BBOX/></ogc:Spatial_Operators></ogc:Spatial_Capabilities><ogc:Scalar_Capabilities><ogc:Logical_Operators/><ogc:Comparison_Operators><ogc:Simple_Comparisons/><ogc:Between/><ogc:Like/><ogc:NullCheck/></ogc:Comparison_Operators><ogc:Arithmetic_Operators><ogc:Simple_Arithmetic/></ogc:Arithmetic_Operators></ogc:Scalar_Capabilities></ogc:Filter_Capabilities>
</WFS_Capabilities>
`
}

function owsOperation(prefix: 'ows' | 'ows11', url: string, name: string, parameters: Record<string, string[]>, constraints: Record<string, string[]> = {}): string {
  const values = (vs: string[]) => vs.map((v) => `<ows:Value>${esc(v)}</ows:Value>`).join('')
  // OWS Common 1.0 (WFS 1.1) lists a parameter's values directly; 1.1 (WFS 2.0) inside AllowedValues.
  const params = Object.entries(parameters)
    .map(([n, vs]) => (prefix === 'ows' ? `<ows:Parameter name="${n}">${values(vs)}</ows:Parameter>` : `<ows:Parameter name="${n}"><ows:AllowedValues>${values(vs)}</ows:AllowedValues></ows:Parameter>`))
    .join('')
  const cons = Object.entries(constraints)
    .map(([n, vs]) => `<ows:Constraint name="${n}"><ows:AllowedValues>${values(vs)}</ows:AllowedValues></ows:Constraint>`)
    .join('')
  return `<ows:Operation name="${name}"><ows:DCP><ows:HTTP><ows:Get xlink:href="${esc(url)}"/><ows:Post xlink:href="${esc(url)}"/></ows:HTTP></ows:DCP>${params}${cons}</ows:Operation>`
}

function v110(url: string, layers: OwsLayer[], editable: boolean): string {
  const gml = 'text/xml; subtype=gml/3.1.1'
  const formats = GETFEATURE_FORMATS.map((f) => f.name)
  const op = (name: string, parameters: Record<string, string[]>) => owsOperation('ows', url, name, parameters)
  const operations = [
    op('GetCapabilities', { AcceptVersions: [...WFS_VERSIONS], AcceptFormats: ['text/xml'], Sections: ['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'FeatureTypeList', 'Filter_Capabilities'] }),
    op('DescribeFeatureType', { outputFormat: [gml] }),
    op('GetFeature', { resultType: ['results', 'hits'], outputFormat: formats }),
    editable ? op('Transaction', { inputFormat: [gml], idgen: ['GenerateNew'], releaseAction: ['ALL', 'SOME'] }) : ''
  ].join('\n')
  const typeOperations = editable ? '<Operations><Operation>Query</Operation><Operation>Insert</Operation><Operation>Update</Operation><Operation>Delete</Operation></Operations>' : '<Operations><Operation>Query</Operation></Operations>'
  const types = layers
    .map((l) => {
      const [minx, miny, maxx, maxy] = bboxOf(l)
      const keywords = l.keywords.length ? `<ows:Keywords>${l.keywords.map((k) => `<ows:Keyword>${esc(k)}</ows:Keyword>`).join('')}</ows:Keywords>` : ''
      return `<FeatureType><Name>${esc(l.alternate)}</Name><Title>${esc(l.title)}</Title><Abstract>${esc(l.abstract)}</Abstract>${keywords}<DefaultSRS>${crsName('1.1.0', layerEpsg(l))}</DefaultSRS>${otherCrs(l)
        .map((c) => `<OtherSRS>${crsName('1.1.0', c)}</OtherSRS>`)
        .join('')}<ows:WGS84BoundingBox><ows:LowerCorner>${minx} ${miny}</ows:LowerCorner><ows:UpperCorner>${maxx} ${maxy}</ows:UpperCorner></ows:WGS84BoundingBox></FeatureType>`
    })
    .join('\n')
  return `${XML_HEADER}<wfs:WFS_Capabilities version="1.1.0" xmlns="${NS.wfs}" xmlns:wfs="${NS.wfs}" xmlns:ows="${NS.ows}" xmlns:gml="${NS.gml}" xmlns:ogc="${NS.ogc}" xmlns:xlink="${NS.xlink}" xmlns:xsi="${NS.xsi}"${namespaces(layers)} xsi:schemaLocation="${NS.wfs} http://schemas.opengis.net/wfs/1.1.0/wfs.xsd">
<ows:ServiceIdentification><ows:Title>${serviceTitle()}</ows:Title><ows:Abstract>The catalogue's vector layers as features.</ows:Abstract><ows:Keywords><ows:Keyword>WFS</ows:Keyword><ows:Keyword>GEONODE</ows:Keyword></ows:Keywords><ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>1.1.0</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>
<ows:ServiceProvider><ows:ProviderName>Mapshelf</ows:ProviderName><ows:ServiceContact/></ows:ServiceProvider>
<ows:OperationsMetadata>
${operations}
</ows:OperationsMetadata>
<FeatureTypeList>${typeOperations}
${types}
</FeatureTypeList>
<ogc:Filter_Capabilities><ogc:Spatial_Capabilities><ogc:GeometryOperands>${GEOMETRY_OPERANDS.map((g) => `<ogc:GeometryOperand>gml:${g}</ogc:GeometryOperand>`).join('')}</ogc:GeometryOperands><ogc:SpatialOperators>${SPATIAL_OPERATORS.map((o) => `<ogc:SpatialOperator name="${o}"/>`).join('')}</ogc:SpatialOperators></ogc:Spatial_Capabilities><ogc:Scalar_Capabilities><ogc:LogicalOperators/><ogc:ComparisonOperators>${['LessThan', 'GreaterThan', 'LessThanEqualTo', 'GreaterThanEqualTo', 'EqualTo', 'NotEqualTo', 'Like', 'Between', 'NullCheck'].map((c) => `<ogc:ComparisonOperator>${c}</ogc:ComparisonOperator>`).join('')}</ogc:ComparisonOperators><ogc:ArithmeticOperators><ogc:SimpleArithmetic/></ogc:ArithmeticOperators></ogc:Scalar_Capabilities><ogc:Id_Capabilities><ogc:FID/><ogc:EID/></ogc:Id_Capabilities></ogc:Filter_Capabilities>
</wfs:WFS_Capabilities>
`
}

function v200(url: string, layers: OwsLayer[], editable: boolean): string {
  const formats = GETFEATURE_FORMATS.map((f) => f.name)
  const op = (name: string, parameters: Record<string, string[]>) => owsOperation('ows11', url, name, parameters)
  const bool = (v: boolean) => [v ? 'TRUE' : 'FALSE']
  const constraint = (name: string, value: string) => `<ows:Constraint name="${name}"><ows:NoValues/><ows:DefaultValue>${value}</ows:DefaultValue></ows:Constraint>`
  const operations = [
    op('GetCapabilities', { AcceptVersions: [...WFS_VERSIONS], AcceptFormats: ['text/xml'], Sections: ['ServiceIdentification', 'ServiceProvider', 'OperationsMetadata', 'FeatureTypeList', 'Filter_Capabilities'] }),
    op('DescribeFeatureType', { outputFormat: ['application/gml+xml; version=3.2'] }),
    op('GetFeature', { resultType: ['results', 'hits'], outputFormat: formats }),
    op('GetPropertyValue', { resolve: ['none'], outputFormat: ['application/gml+xml; version=3.2'] }),
    op('ListStoredQueries', {}),
    op('DescribeStoredQueries', {}),
    editable ? op('Transaction', { inputFormat: ['application/gml+xml; version=3.2'], releaseAction: ['ALL', 'SOME'] }) : ''
  ].join('\n')
  const constraints = [
    ...(
      [
        ['ImplementsBasicWFS', true],
        ['ImplementsTransactionalWFS', editable],
        ['ImplementsLockingWFS', false],
        ['KVPEncoding', true],
        ['XMLEncoding', true],
        ['SOAPEncoding', false],
        ['ImplementsInheritance', false],
        ['ImplementsRemoteResolve', false],
        ['ImplementsResultPaging', true],
        ['ImplementsStandardJoins', false],
        ['ImplementsSpatialJoins', false],
        ['ImplementsTemporalJoins', false],
        ['ImplementsFeatureVersioning', false],
        ['ManageStoredQueries', false]
      ] as const
    ).map(([n, v]) => constraint(n, bool(v)[0])),
    constraint('CountDefault', String(MAX_FEATURES)),
    `<ows:Constraint name="QueryExpressions"><ows:AllowedValues><ows:Value>wfs:Query</ows:Value><ows:Value>wfs:StoredQuery</ows:Value></ows:AllowedValues></ows:Constraint>`
  ].join('')
  const types = layers
    .map((l) => {
      const [minx, miny, maxx, maxy] = bboxOf(l)
      const keywords = l.keywords.length ? `<ows:Keywords>${l.keywords.map((k) => `<ows:Keyword>${esc(k)}</ows:Keyword>`).join('')}</ows:Keywords>` : ''
      return `<FeatureType><Name>${esc(l.alternate)}</Name><Title>${esc(l.title)}</Title><Abstract>${esc(l.abstract)}</Abstract>${keywords}<DefaultCRS>${crsName('2.0.0', layerEpsg(l))}</DefaultCRS>${otherCrs(l)
        .map((c) => `<OtherCRS>${crsName('2.0.0', c)}</OtherCRS>`)
        .join('')}<ows:WGS84BoundingBox><ows:LowerCorner>${minx} ${miny}</ows:LowerCorner><ows:UpperCorner>${maxx} ${maxy}</ows:UpperCorner></ows:WGS84BoundingBox></FeatureType>`
    })
    .join('\n')
  const conformance = (
    [
      ['ImplementsQuery', true],
      ['ImplementsAdHocQuery', true],
      ['ImplementsFunctions', false],
      ['ImplementsResourceId', true],
      ['ImplementsMinStandardFilter', true],
      ['ImplementsStandardFilter', true],
      ['ImplementsMinSpatialFilter', true],
      ['ImplementsSpatialFilter', true],
      ['ImplementsMinTemporalFilter', false],
      ['ImplementsTemporalFilter', false],
      ['ImplementsVersionNav', false],
      ['ImplementsSorting', true],
      ['ImplementsExtendedOperators', false],
      ['ImplementsMinimumXPath', true],
      ['ImplementsSchemaElementFunc', false]
    ] as const
  )
    .map(([n, v]) => `<fes:Constraint name="${n}"><ows:NoValues/><ows:DefaultValue>${v ? 'TRUE' : 'FALSE'}</ows:DefaultValue></fes:Constraint>`)
    .join('')
  return `${XML_HEADER}<wfs:WFS_Capabilities version="2.0.0" xmlns="${NS.wfs20}" xmlns:wfs="${NS.wfs20}" xmlns:ows="${NS.ows11}" xmlns:gml="${NS.gml32}" xmlns:fes="${NS.fes}" xmlns:xlink="${NS.xlink}" xmlns:xs="${NS.xsd}" xmlns:xsi="${NS.xsi}"${namespaces(layers)} xsi:schemaLocation="${NS.wfs20} http://schemas.opengis.net/wfs/2.0/wfs.xsd">
<ows:ServiceIdentification><ows:Title>${serviceTitle()}</ows:Title><ows:Abstract>The catalogue's vector layers as features.</ows:Abstract><ows:Keywords><ows:Keyword>WFS</ows:Keyword><ows:Keyword>GEONODE</ows:Keyword></ows:Keywords><ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>
<ows:ServiceProvider><ows:ProviderName>Mapshelf</ows:ProviderName><ows:ServiceContact/></ows:ServiceProvider>
<ows:OperationsMetadata>
${operations}
${constraints}
</ows:OperationsMetadata>
<FeatureTypeList>
${types}
</FeatureTypeList>
<fes:Filter_Capabilities><fes:Conformance>${conformance}</fes:Conformance><fes:Id_Capabilities><fes:ResourceIdentifier name="fes:ResourceId"/></fes:Id_Capabilities><fes:Scalar_Capabilities><fes:LogicalOperators/><fes:ComparisonOperators>${COMPARISONS.map((c) => `<fes:ComparisonOperator name="${c}"/>`).join('')}</fes:ComparisonOperators></fes:Scalar_Capabilities><fes:Spatial_Capabilities><fes:GeometryOperands>${GEOMETRY_OPERANDS.map((g) => `<fes:GeometryOperand name="gml:${g}"/>`).join('')}</fes:GeometryOperands><fes:SpatialOperators>${SPATIAL_OPERATORS.map((o) => `<fes:SpatialOperator name="${o}"/>`).join('')}</fes:SpatialOperators></fes:Spatial_Capabilities></fes:Filter_Capabilities>
</wfs:WFS_Capabilities>
`
}

export async function getCapabilities(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = negotiate(req)
  const layers = await visibleFeatureTypes(ctx, req)
  const editable = (await ctx.services.owsLayers.editableIds(ctx.caller, layers)).size > 0
  const url = req.endpoint.url
  const body = version === '1.0.0' ? v100(url, layers, editable) : version === '1.1.0' ? v110(url, layers, editable) : v200(url, layers, editable)
  return { type: 'text/xml', body }
}
