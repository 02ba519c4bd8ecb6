import type { LinkDto } from '../../../src-shared/api/dto'
import type { LayerRow, ResourceRow } from '../../db/schema'
import { type UrlContext, absolute } from './common'

/**
 * GeoNode's links of a resource, as GeoNode 3.3 makes them (geonode.utils.set_resource_default_links
 * and the catalogue's metadata links), pointing at this server's own services: the OGC service
 * addresses, GetMap images, the legend, the thumbnail, data downloads, the original files, the
 * HTML page and the metadata records of the catalogue (CSW). Derived on every read, never stored:
 * they follow the site's address and the layer as it is now.
 */

/** The five link types GeoNode 3.3's API v2 serializer lists under `links` (others are filtered out there). */
export const API_LINK_TYPES = new Set(['OGC:WMS', 'OGC:WFS', 'OGC:WCS', 'image', 'metadata'])

/** The public address of the OGC services (GeoNode's `ows_url`). */
export const OWS_PATH = 'geoserver/ows'
export const CSW_PATH = 'catalogue/csw'

/**
 * The CSW output schemas GeoNode names metadata links after, in its order: the ones the catalogue
 * writes. GeoNode also links DIF, ebRIM and FGDC records; their mandatory parts (GCMD science
 * keywords, registry packages, currentness and progress) are nothing a resource here records, so
 * they are not offered rather than made up.
 */
export const METADATA_SCHEMAS: readonly { name: string; schema: string }[] = [
  { name: 'Atom', schema: 'http://www.w3.org/2005/Atom' },
  { name: 'Dublin Core', schema: 'http://www.opengis.net/cat/csw/2.0.2' },
  { name: 'ISO', schema: 'http://www.isotc211.org/2005/gmd' }
]

const query = (params: Record<string, string | number>) =>
  Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&')

/** GeoNode's GetMap image size: 550 high, as wide as the layer's aspect. */
function imageSize(bbox: [number, number, number, number] | null): { width: number; height: number } {
  const height = 550
  if (!bbox) return { width: 550, height }
  const dx = bbox[2] - bbox[0]
  const dy = bbox[3] - bbox[1]
  return { width: Math.max(1, Math.round(height * (dy === 0 ? 1 : dx / dy))), height }
}

/** The [minx, miny, maxx, maxy] of a resource's stored extent polygon (GeoJSON), or null. */
export function polygonBbox(text: string | null): [number, number, number, number] | null {
  if (!text) return null
  try {
    const ring = (JSON.parse(text) as { coordinates?: number[][][] }).coordinates?.[0] ?? []
    if (ring.length === 0) return null
    const xs = ring.map((p) => p[0])
    const ys = ring.map((p) => p[1])
    const box: [number, number, number, number] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
    return box.every(Number.isFinite) ? box : null
  } catch {
    return null
  }
}

const layerBbox = (row: ResourceRow) => polygonBbox(row.bbox_polygon)

export function metadataLinks(ctx: UrlContext, row: Pick<ResourceRow, 'id' | 'uuid' | 'resource_type'>): LinkDto[] {
  const links: LinkDto[] = METADATA_SCHEMAS.map(({ name, schema }) => ({
    extension: 'xml',
    link_type: 'metadata',
    name,
    mime: 'text/xml',
    url: absolute(ctx, `${CSW_PATH}?${query({ request: 'GetRecordById', service: 'CSW', version: '2.0.2', id: row.uuid, outputschema: schema, elementsetname: 'full' })}`)
  }))
  if (row.resource_type === 'layer' || row.resource_type === 'document') {
    links.push({ extension: 'xml', link_type: 'metadata', name: 'ISO with XSL', mime: 'text/xml', url: absolute(ctx, `showmetadata/xsl/${row.id}`) })
  }
  return links
}

/** A layer's service, image, legend, data, original and page links (GeoNode's default links). */
export function layerLinks(ctx: UrlContext, row: ResourceRow, layer: Pick<LayerRow, 'name' | 'workspace' | 'store_type' | 'store' | 'data_file'>): LinkDto[] {
  const alternate = row.alternate ?? `${layer.workspace}:${layer.name}`
  const ows = absolute(ctx, OWS_PATH)
  const bbox = layerBbox(row)
  const srid = row.srid || 'EPSG:4326'
  const { width, height } = imageSize(bbox)
  const links: LinkDto[] = []
  links.push({ extension: 'zip', link_type: 'original', name: 'Original Layer', mime: 'application/octet-stream', url: absolute(ctx, `api/v2/mapshelf/resources/${row.id}/original`) })
  for (const [extension, name, mime] of [
    ['jpg', 'JPEG', 'image/jpeg'],
    ['pdf', 'PDF', 'application/pdf'],
    ['png', 'PNG', 'image/png']
  ] as const) {
    const params: Record<string, string | number> = { service: 'WMS', request: 'GetMap', layers: alternate, format: mime, height, width, srs: srid }
    if (bbox) params.bbox = bbox.join(',')
    links.push({ extension, link_type: 'image', name, mime, url: `${ows}?${query(params)}` })
  }
  if (layer.store_type === 'dataStore') {
    for (const [extension, name, mime, extra] of [
      ['zip', 'Zipped Shapefile', 'SHAPE-ZIP', { format_options: 'charset:UTF-8' }],
      ['gml', 'GML 2.0', 'gml2', {}],
      ['gml', 'GML 3.1.1', 'text/xml; subtype=gml/3.1.1', {}],
      ['csv', 'CSV', 'csv', {}],
      ['excel', 'Excel', 'excel', {}],
      ['json', 'GeoJSON', 'json', { srsName: srid }]
    ] as const) {
      const params = { service: 'WFS', version: '1.0.0', request: 'GetFeature', typename: alternate, outputFormat: mime, srs: srid, ...extra }
      links.push({ extension, link_type: 'data', name, mime, url: `${ows}?${query(params)}` })
    }
  } else if (layer.store_type === 'coverageStore' && layer.data_file) {
    // A raster kept as metadata only (no stored file) has no coverage to download.
    const params = { service: 'WCS', request: 'GetCoverage', coverageid: alternate.replace(':', '__'), format: 'image/tiff', version: '2.0.1', compression: 'DEFLATE', tileWidth: 512, tileHeight: 512 }
    links.push({ extension: 'geotiff', link_type: 'data', name: 'GeoTIFF', mime: 'image/tiff', url: `${ows}?${query(params)}` })
  }
  links.push({ extension: 'html', link_type: 'html', name: alternate, mime: 'text/html', url: absolute(ctx, `layers/${layer.store}:${alternate}`) })
  if (layer.store_type !== 'remoteStore') {
    const legend = query({ service: 'WMS', request: 'GetLegendGraphic', format: 'image/png', WIDTH: 20, HEIGHT: 20, LAYER: alternate, version: '1.3.0', sld_version: '1.1.0', legend_options: 'fontAntiAliasing:true;fontSize:12;forceLabels:on' })
    links.push({ extension: 'png', link_type: 'image', name: 'Legend', mime: 'image/png', url: `${ows}?${legend}` })
  }
  if (row.thumbnail_url) links.push({ extension: 'png', link_type: 'image', name: 'Thumbnail', mime: 'image/png', url: absolute(ctx, row.thumbnail_url) })
  const workspace = layer.workspace || 'geonode'
  links.push({ extension: 'html', link_type: 'OGC:WMS', name: `OGC WMS: ${workspace} Service`, mime: 'text/html', url: ows })
  if (layer.store_type === 'dataStore') links.push({ extension: 'html', link_type: 'OGC:WFS', name: `OGC WFS: ${workspace} Service`, mime: 'text/html', url: ows })
  if (layer.store_type === 'coverageStore') links.push({ extension: 'html', link_type: 'OGC:WCS', name: `OGC WCS: ${workspace} Service`, mime: 'text/html', url: ows })
  return links
}

/**
 * Every link of a resource, in the order GeoNode creates them: metadata first (made when the
 * record is first saved), then a layer's default links; a document's or map's thumbnail.
 */
export function resourceLinks(ctx: UrlContext, row: ResourceRow, layer: Pick<LayerRow, 'name' | 'workspace' | 'store_type' | 'store' | 'data_file'> | undefined): LinkDto[] {
  if (row.resource_type === 'layer' && layer) return [...metadataLinks(ctx, row), ...layerLinks(ctx, row, layer)]
  const links: LinkDto[] = []
  if (row.thumbnail_url) links.push({ extension: 'png', link_type: 'image', name: 'Thumbnail', mime: 'image/png', url: absolute(ctx, row.thumbnail_url) })
  return [...links, ...metadataLinks(ctx, row)]
}
