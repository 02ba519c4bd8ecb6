import type { OwsLayer } from '../../services/ows-layers.service'
import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { WCS_VERSIONS, type WcsVersion, coverageIdOf, num, visibleCoverages, wcsVersionOf } from './coverages'

const TITLE = 'Mapshelf Web Coverage Service'
const ABSTRACT = 'The raster layers of this Mapshelf catalogue as coverages, in GeoTIFF.'

/**
 * The version a GetCapabilities is answered in: the first of AcceptVersions this service speaks
 * (WCS 2.0), else VERSION (WCS 1.0) when spoken, else the highest spoken below it, else the
 * highest (OGC version negotiation).
 */
export function negotiate(req: OwsRequest): WcsVersion {
  const accept = param(req, 'acceptversions')
  if (accept) {
    const spoken = accept.split(',').map(wcsVersionOf).find(Boolean)
    if (spoken) return spoken
    throw new OwsException('VersionNegotiationFailed', `None of the versions ${accept} is offered (${WCS_VERSIONS.join(', ')}).`, 'AcceptVersions')
  }
  const asked = param(req, 'version')
  if (!asked) return WCS_VERSIONS[0]
  const known = wcsVersionOf(asked)
  if (known) return known
  const below = WCS_VERSIONS.find((v) => compareVersions(v, asked) < 0)
  return below ?? WCS_VERSIONS[WCS_VERSIONS.length - 1]
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0)
  return 0
}

const keywords100 = (layer: OwsLayer) =>
  layer.keywords.length ? `<wcs:keywords>${layer.keywords.map((k) => `<wcs:keyword>${esc(k)}</wcs:keyword>`).join('')}</wcs:keywords>` : ''

/** A lon/lat envelope of WCS 1.0.0 (CRS84 order). */
export function lonLatEnvelope100(layer: OwsLayer): string {
  const b = layer.lonLatBbox ?? [-180, -90, 180, 90]
  return `<wcs:lonLatEnvelope srsName="urn:ogc:def:crs:OGC:1.3:CRS84"><gml:pos>${num(b[0])} ${num(b[1])}</gml:pos><gml:pos>${num(b[2])} ${num(b[3])}</gml:pos></wcs:lonLatEnvelope>`
}

export function brief100(layer: OwsLayer): string {
  return `<wcs:description>${esc(layer.abstract)}</wcs:description><wcs:name>${esc(coverageIdOf(layer, '1.0.0'))}</wcs:name><wcs:label>${esc(layer.title)}</wcs:label>${lonLatEnvelope100(layer)}${keywords100(layer)}`
}

function capabilities100(url: string, layers: OwsLayer[]): string {
  const dcp = `<wcs:DCPType><wcs:HTTP><wcs:Get><wcs:OnlineResource xlink:href="${esc(url)}?"/></wcs:Get></wcs:HTTP></wcs:DCPType>`
  return `${XML_HEADER}<wcs:WCS_Capabilities version="1.0.0" updateSequence="0" xmlns:wcs="http://www.opengis.net/wcs" xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wcs http://schemas.opengis.net/wcs/1.0.0/wcsCapabilities.xsd">
<wcs:Service><wcs:description>${esc(ABSTRACT)}</wcs:description><wcs:name>WCS</wcs:name><wcs:label>${esc(TITLE)}</wcs:label><wcs:keywords><wcs:keyword>WCS</wcs:keyword><wcs:keyword>GeoTIFF</wcs:keyword></wcs:keywords><wcs:fees>NONE</wcs:fees><wcs:accessConstraints>NONE</wcs:accessConstraints></wcs:Service>
<wcs:Capability><wcs:Request><wcs:GetCapabilities>${dcp}</wcs:GetCapabilities><wcs:DescribeCoverage>${dcp}</wcs:DescribeCoverage><wcs:GetCoverage>${dcp}</wcs:GetCoverage></wcs:Request><wcs:Exception><wcs:Format>application/vnd.ogc.se_xml</wcs:Format></wcs:Exception></wcs:Capability>
<wcs:ContentMetadata>
${layers.map((l) => `<wcs:CoverageOfferingBrief>${brief100(l)}</wcs:CoverageOfferingBrief>`).join('\n')}
</wcs:ContentMetadata>
</wcs:WCS_Capabilities>
`
}

const PROFILES = [
  'http://www.opengis.net/spec/WCS/2.0/conf/core',
  'http://www.opengis.net/spec/WCS_protocol-binding_get-kvp/1.0/conf/get-kvp',
  'http://www.opengis.net/spec/WCS_service-extension_crs/1.0/conf/crs',
  'http://www.opengis.net/spec/WCS_service-extension_scaling/1.0/conf/scaling',
  'http://www.opengis.net/spec/GMLCOV/1.0/conf/gml-coverage',
  'http://www.opengis.net/spec/WCS_geotiff-coverages/1.0/conf/geotiff-coverage'
]

function capabilities201(url: string, layers: OwsLayer[]): string {
  const operation = (name: string) => `<ows:Operation name="${name}"><ows:DCP><ows:HTTP><ows:Get xlink:href="${esc(url)}?"/></ows:HTTP></ows:DCP></ows:Operation>`
  const summary = (l: OwsLayer) => {
    const b = l.lonLatBbox ?? [-180, -90, 180, 90]
    const keywords = l.keywords.length ? `<ows:Keywords>${l.keywords.map((k) => `<ows:Keyword>${esc(k)}</ows:Keyword>`).join('')}</ows:Keywords>` : ''
    return `<wcs:CoverageSummary><ows:Title>${esc(l.title)}</ows:Title><ows:Abstract>${esc(l.abstract)}</ows:Abstract>${keywords}<wcs:CoverageId>${esc(coverageIdOf(l, '2.0.1'))}</wcs:CoverageId><wcs:CoverageSubtype>RectifiedGridCoverage</wcs:CoverageSubtype><ows:WGS84BoundingBox><ows:LowerCorner>${num(b[0])} ${num(b[1])}</ows:LowerCorner><ows:UpperCorner>${num(b[2])} ${num(b[3])}</ows:UpperCorner></ows:WGS84BoundingBox></wcs:CoverageSummary>`
  }
  return `${XML_HEADER}<wcs:Capabilities version="2.0.1" updateSequence="0" xmlns:wcs="http://www.opengis.net/wcs/2.0" xmlns:ows="http://www.opengis.net/ows/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:gmlcov="http://www.opengis.net/gmlcov/1.0" xmlns:crs="http://www.opengis.net/wcs/service-extension/crs/1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wcs/2.0 http://schemas.opengis.net/wcs/2.0/wcsAll.xsd">
<ows:ServiceIdentification><ows:Title>${esc(TITLE)}</ows:Title><ows:Abstract>${esc(ABSTRACT)}</ows:Abstract><ows:Keywords><ows:Keyword>WCS</ows:Keyword><ows:Keyword>GeoTIFF</ows:Keyword></ows:Keywords><ows:ServiceType codeSpace="OGC">urn:ogc:service:wcs</ows:ServiceType><ows:ServiceTypeVersion>2.0.1</ows:ServiceTypeVersion><ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>${PROFILES.map((p) => `<ows:Profile>${p}</ows:Profile>`).join('')}<ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>
<ows:ServiceProvider><ows:ProviderName>Mapshelf</ows:ProviderName><ows:ServiceContact/></ows:ServiceProvider>
<ows:OperationsMetadata>${operation('GetCapabilities')}${operation('DescribeCoverage')}${operation('GetCoverage')}</ows:OperationsMetadata>
<wcs:ServiceMetadata><wcs:formatSupported>image/tiff</wcs:formatSupported><wcs:Extension><crs:CrsMetadata><crs:crsSupported>http://www.opengis.net/def/crs/EPSG/0/4326</crs:crsSupported><crs:crsSupported>http://www.opengis.net/def/crs/EPSG/0/3857</crs:crsSupported></crs:CrsMetadata></wcs:Extension></wcs:ServiceMetadata>
<wcs:Contents>
${layers.map(summary).join('\n')}
</wcs:Contents>
</wcs:Capabilities>
`
}

export async function getCapabilities(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = negotiate(req)
  const layers = await visibleCoverages(ctx, req)
  const body = version === '1.0.0' ? capabilities100(req.endpoint.url, layers) : capabilities201(req.endpoint.url, layers)
  return { type: version === '1.0.0' ? 'text/xml' : 'application/xml', body }
}
