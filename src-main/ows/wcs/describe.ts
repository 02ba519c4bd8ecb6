import { httpCrsOf } from '../crs'
import type { OwsRequest } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { brief100 } from './capabilities'
import { type Coverage, type WcsVersion, axisLabels, bandNames, coverageIdOf, dataTypeUri, findCoverage, num, offeredCrs, requestedIds, typeInterval } from './coverages'

/** WCS 1.0.0: the grid (origin at the centre of the first pixel, as GeoServer writes it), bands, CRSs and formats. */
function offering100({ layer, info }: Coverage): string {
  const srs = `EPSG:${layer.srid}`
  const [minx, miny, maxx, maxy] = info.bbox
  const nodata = info.noData === null ? '' : `<wcs:nullValues><wcs:singleValue>${num(info.noData)}</wcs:singleValue></wcs:nullValues>`
  const bands = Array.from({ length: info.bands }, (_, i) => `<wcs:singleValue>${i + 1}</wcs:singleValue>`).join('')
  return `<wcs:CoverageOffering>${brief100(layer)}
<wcs:domainSet><wcs:spatialDomain>
<gml:Envelope srsName="${srs}"><gml:pos>${num(minx)} ${num(miny)}</gml:pos><gml:pos>${num(maxx)} ${num(maxy)}</gml:pos></gml:Envelope>
<gml:RectifiedGrid dimension="2" srsName="${srs}"><gml:limits><gml:GridEnvelope><gml:low>0 0</gml:low><gml:high>${info.width - 1} ${info.height - 1}</gml:high></gml:GridEnvelope></gml:limits><gml:axisName>x</gml:axisName><gml:axisName>y</gml:axisName><gml:origin><gml:pos>${num(minx + info.resX / 2)} ${num(maxy - info.resY / 2)}</gml:pos></gml:origin><gml:offsetVector>${num(info.resX)} 0</gml:offsetVector><gml:offsetVector>0 ${num(-info.resY)}</gml:offsetVector></gml:RectifiedGrid>
</wcs:spatialDomain></wcs:domainSet>
<wcs:rangeSet><wcs:RangeSet><wcs:name>${esc(layer.name)}</wcs:name><wcs:label>${esc(layer.title)}</wcs:label><wcs:axisDescription><wcs:AxisDescription><wcs:name>Band</wcs:name><wcs:label>Band</wcs:label><wcs:values>${bands}</wcs:values></wcs:AxisDescription></wcs:axisDescription>${nodata}</wcs:RangeSet></wcs:rangeSet>
<wcs:supportedCRSs>${offeredCrs(layer).map((c) => `<wcs:requestResponseCRSs>EPSG:${c}</wcs:requestResponseCRSs>`).join('')}</wcs:supportedCRSs>
<wcs:supportedFormats nativeFormat="GeoTIFF"><wcs:formats>GeoTIFF</wcs:formats></wcs:supportedFormats>
<wcs:supportedInterpolations default="nearest neighbor"><wcs:interpolationMethod>nearest neighbor</wcs:interpolationMethod></wcs:supportedInterpolations>
</wcs:CoverageOffering>`
}

function description100(coverages: Coverage[]): string {
  return `${XML_HEADER}<wcs:CoverageDescription version="1.0.0" updateSequence="0" xmlns:wcs="http://www.opengis.net/wcs" xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wcs http://schemas.opengis.net/wcs/1.0.0/describeCoverage.xsd">
${coverages.map(offering100).join('\n')}
</wcs:CoverageDescription>
`
}

/** A pair of x, y values written in the CRS's axis order. */
const pair = (x: number, y: number, northFirst: boolean) => (northFirst ? `${num(y)} ${num(x)}` : `${num(x)} ${num(y)}`)

/** WCS 2.0.1: a GMLCOV RectifiedGridCoverage description, axes labelled as the CRS orders them. */
function description201({ layer, info }: Coverage): string {
  const id = coverageIdOf(layer, '2.0.1')
  const crs = httpCrsOf(layer.srid)
  const { labels, northFirst, uom } = axisLabels(layer.srid)
  const [minx, miny, maxx, maxy] = info.bbox
  const nodata =
    info.noData === null
      ? ''
      : `<swe:nilValues><swe:NilValues><swe:nilValue reason="http://www.opengis.net/def/nil/OGC/0/unknown">${num(info.noData)}</swe:nilValue></swe:NilValues></swe:nilValues>`
  const fields = bandNames(info)
    .map(
      (name) =>
        `<swe:field name="${name}"><swe:Quantity definition="${dataTypeUri(info)}"><swe:description>${name}</swe:description>${nodata}<swe:uom code="W.m-2.Sr-1"/><swe:constraint><swe:AllowedValues><swe:interval>${typeInterval(info)}</swe:interval></swe:AllowedValues></swe:constraint></swe:Quantity></swe:field>`
    )
    .join('')
  return `<wcs:CoverageDescription gml:id="${esc(id)}">
<gml:description>${esc(layer.abstract)}</gml:description><gml:name>${esc(layer.title)}</gml:name>
<gml:boundedBy><gml:Envelope srsName="${crs}" axisLabels="${labels.join(' ')}" uomLabels="${uom}" srsDimension="2"><gml:lowerCorner>${pair(minx, miny, northFirst)}</gml:lowerCorner><gml:upperCorner>${pair(maxx, maxy, northFirst)}</gml:upperCorner></gml:Envelope></gml:boundedBy>
<wcs:CoverageId>${esc(id)}</wcs:CoverageId>
<gml:coverageFunction><gml:GridFunction><gml:sequenceRule axisOrder="+1 +2">Linear</gml:sequenceRule><gml:startPoint>0 0</gml:startPoint></gml:GridFunction></gml:coverageFunction>
<gmlcov:metadata/>
<gml:domainSet><gml:RectifiedGrid gml:id="grid00__${esc(id)}" dimension="2"><gml:limits><gml:GridEnvelope><gml:low>0 0</gml:low><gml:high>${info.width - 1} ${info.height - 1}</gml:high></gml:GridEnvelope></gml:limits><gml:axisLabels>i j</gml:axisLabels><gml:origin><gml:Point gml:id="p00_${esc(id)}" srsName="${crs}"><gml:pos>${pair(minx + info.resX / 2, maxy - info.resY / 2, northFirst)}</gml:pos></gml:Point></gml:origin><gml:offsetVector srsName="${crs}">${pair(info.resX, 0, northFirst)}</gml:offsetVector><gml:offsetVector srsName="${crs}">${pair(0, -info.resY, northFirst)}</gml:offsetVector></gml:RectifiedGrid></gml:domainSet>
<gmlcov:rangeType><swe:DataRecord>${fields}</swe:DataRecord></gmlcov:rangeType>
<wcs:ServiceParameters><wcs:CoverageSubtype>RectifiedGridCoverage</wcs:CoverageSubtype><wcs:nativeFormat>image/tiff</wcs:nativeFormat></wcs:ServiceParameters>
</wcs:CoverageDescription>`
}

function descriptions201(coverages: Coverage[]): string {
  return `${XML_HEADER}<wcs:CoverageDescriptions xmlns:wcs="http://www.opengis.net/wcs/2.0" xmlns:ows="http://www.opengis.net/ows/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:gmlcov="http://www.opengis.net/gmlcov/1.0" xmlns:swe="http://www.opengis.net/swe/2.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wcs/2.0 http://schemas.opengis.net/wcs/2.0/wcsDescribeCoverage.xsd">
${coverages.map(description201).join('\n')}
</wcs:CoverageDescriptions>
`
}

/** At most this many coverages per DescribeCoverage (each reads its file's header). */
const MAX_DESCRIBED = 100

export async function describeCoverage(ctx: OwsContext, req: OwsRequest, version: WcsVersion): Promise<OwsAnswer> {
  const key = version === '2.0.1' ? 'coverageid' : 'coverage'
  const ids = requestedIds(req, key).slice(0, MAX_DESCRIBED)
  const coverages: Coverage[] = []
  for (const id of ids) coverages.push(await findCoverage(ctx, req, id, version, key))
  return version === '2.0.1'
    ? { type: 'application/xml', body: descriptions201(coverages) }
    : { type: 'text/xml', body: description100(coverages) }
}
