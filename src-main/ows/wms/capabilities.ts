import type { OwsLayer } from '../../services/ows-layers.service'
import { COMMON_CRS, fromXY, isGeographic, transformBbox } from '../crs'
import type { OwsRequest } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { INFO_FORMATS } from './featureinfo'
import { MAX_SIDE, type WmsVersion, negotiateVersion } from './params'

type Box = [number, number, number, number]

const WORLD: Box = [-180, -90, 180, 90]
export const MAP_FORMAT_LIST = ['image/png', 'image/png8', 'image/jpeg', 'application/pdf']

const n = (v: number) => String(Number(v.toFixed(10)))

/** The layer's CRSs: native first, then EPSG:4326 and EPSG:3857. */
function crsList(layer: OwsLayer): number[] {
  return [...new Set([layer.srid, ...COMMON_CRS])]
}

function boxIn(layer: OwsLayer, epsg: number): Box | null {
  const ll = layer.lonLatBbox ?? WORLD
  if (epsg === 4326) return ll
  if (epsg === layer.srid && layer.nativeBbox) return layer.nativeBbox
  const clamped: Box = epsg === 3857 ? [ll[0], Math.max(ll[1], -85.06), ll[2], Math.min(ll[3], 85.06)] : ll
  try {
    return transformBbox(clamped, 4326, epsg)
  } catch {
    return null
  }
}

function link(href: string, version: WmsVersion): string {
  return `<OnlineResource${version === '1.1.1' ? ' xmlns:xlink="http://www.w3.org/1999/xlink"' : ''} xlink:type="simple" xlink:href="${esc(href)}"/>`
}

function dcp(url: string, version: WmsVersion): string {
  const href = `${url}?`
  return `<DCPType><HTTP><Get>${link(href, version)}</Get><Post>${link(href, version)}</Post></HTTP></DCPType>`
}

function legendUrl(url: string, layer: OwsLayer, style: string, version: WmsVersion): string {
  const query = new URLSearchParams({ service: 'WMS', request: 'GetLegendGraphic', format: 'image/png', width: '20', height: '20', layer: layer.alternate, style })
  return `<LegendURL width="20" height="20"><Format>image/png</Format>${link(`${url}?${query.toString()}`, version)}</LegendURL>`
}

function keywords(words: string[]): string {
  return words.length === 0 ? '' : `<KeywordList>${words.map((k) => `<Keyword>${esc(k)}</Keyword>`).join('')}</KeywordList>`
}

function layerXml(layer: OwsLayer, url: string, version: WmsVersion): string {
  const ll = layer.lonLatBbox ?? WORLD
  const crsKey = version === '1.3.0' ? 'CRS' : 'SRS'
  const parts: string[] = [`<Name>${esc(layer.alternate)}</Name>`, `<Title>${esc(layer.title || layer.name)}</Title>`, `<Abstract>${esc(layer.abstract)}</Abstract>`, keywords(layer.keywords)]
  const codes = crsList(layer)
  parts.push(...codes.map((c) => `<${crsKey}>EPSG:${c}</${crsKey}>`))
  if (version === '1.3.0') {
    parts.push(`<CRS>CRS:84</CRS>`)
    parts.push(`<EX_GeographicBoundingBox><westBoundLongitude>${n(ll[0])}</westBoundLongitude><eastBoundLongitude>${n(ll[2])}</eastBoundLongitude><southBoundLatitude>${n(ll[1])}</southBoundLatitude><northBoundLatitude>${n(ll[3])}</northBoundLatitude></EX_GeographicBoundingBox>`)
    parts.push(`<BoundingBox CRS="CRS:84" minx="${n(ll[0])}" miny="${n(ll[1])}" maxx="${n(ll[2])}" maxy="${n(ll[3])}"/>`)
  } else {
    parts.push(`<LatLonBoundingBox minx="${n(ll[0])}" miny="${n(ll[1])}" maxx="${n(ll[2])}" maxy="${n(ll[3])}"/>`)
  }
  for (const code of codes) {
    const box = boxIn(layer, code)
    if (!box) continue
    // WMS 1.3.0 writes a BoundingBox in its CRS's axis order (latitude first for EPSG:4326); 1.1.1 always x, y.
    const [a, b, c, d] = version === '1.3.0' ? fromXY(box, { northFirst: isGeographic(code) }) : box
    parts.push(`<BoundingBox ${crsKey}="EPSG:${code}" minx="${n(a)}" miny="${n(b)}" maxx="${n(c)}" maxy="${n(d)}"/>`)
  }
  const styles = layer.styles.length > 0 ? layer.styles : []
  for (const style of styles) {
    parts.push(`<Style><Name>${esc(style.name)}</Name><Title>${esc(style.title ?? style.name)}</Title>${legendUrl(url, layer, style.name, version)}</Style>`)
  }
  if (styles.length === 0) parts.push(`<Style><Name>${esc(layer.name)}</Name><Title>Default style</Title>${legendUrl(url, layer, '', version)}</Style>`)
  const queryable = layer.kind === 'remote' ? 0 : 1
  return `<Layer queryable="${queryable}" opaque="0">${parts.join('')}</Layer>`
}

function union(layers: OwsLayer[]): Box {
  const boxes = layers.map((l) => l.lonLatBbox).filter((b): b is Box => b !== null)
  if (boxes.length === 0) return WORLD
  return [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))]
}

/** The capabilities document of one version, listing the layers the caller may view. */
export function capabilitiesXml(layers: OwsLayer[], url: string, version: WmsVersion): string {
  const all = union(layers)
  const info = Object.keys(INFO_FORMATS)
  const maps = MAP_FORMAT_LIST.map((f) => `<Format>${f}</Format>`).join('')
  const infos = info.map((f) => `<Format>${esc(f)}</Format>`).join('')
  const service = `<Service><Name>${version === '1.3.0' ? 'WMS' : 'OGC:WMS'}</Name><Title>Mapshelf Web Map Service</Title><Abstract>The layers of this Mapshelf catalogue, drawn with their styles.</Abstract>${keywords(['WMS', 'Mapshelf', 'GeoNode'])}${link(url, version)}<Fees>NONE</Fees><AccessConstraints>NONE</AccessConstraints>${version === '1.3.0' ? `<LayerLimit>64</LayerLimit><MaxWidth>${MAX_SIDE}</MaxWidth><MaxHeight>${MAX_SIDE}</MaxHeight>` : ''}</Service>`
  const capsFormat = version === '1.3.0' ? 'text/xml' : 'application/vnd.ogc.wms_xml'
  const legend = `<${version === '1.3.0' ? 'sld:' : ''}GetLegendGraphic><Format>image/png</Format>${dcp(url, version)}</${version === '1.3.0' ? 'sld:' : ''}GetLegendGraphic>`
  const request = `<Request><GetCapabilities><Format>${capsFormat}</Format>${dcp(url, version)}</GetCapabilities><GetMap>${maps}${dcp(url, version)}</GetMap><GetFeatureInfo>${infos}${dcp(url, version)}</GetFeatureInfo>${legend}</Request>`
  const exception = `<Exception><Format>${version === '1.3.0' ? 'XML' : 'application/vnd.ogc.se_xml'}</Format></Exception>`
  const crsKey = version === '1.3.0' ? 'CRS' : 'SRS'
  const rootBox =
    version === '1.3.0'
      ? `<CRS>EPSG:4326</CRS><CRS>EPSG:3857</CRS><CRS>CRS:84</CRS><EX_GeographicBoundingBox><westBoundLongitude>${n(all[0])}</westBoundLongitude><eastBoundLongitude>${n(all[2])}</eastBoundLongitude><southBoundLatitude>${n(all[1])}</southBoundLatitude><northBoundLatitude>${n(all[3])}</northBoundLatitude></EX_GeographicBoundingBox><BoundingBox CRS="CRS:84" minx="${n(all[0])}" miny="${n(all[1])}" maxx="${n(all[2])}" maxy="${n(all[3])}"/>`
      : `<${crsKey}>EPSG:4326</${crsKey}><${crsKey}>EPSG:3857</${crsKey}><LatLonBoundingBox minx="${n(all[0])}" miny="${n(all[1])}" maxx="${n(all[2])}" maxy="${n(all[3])}"/>`
  const root = `<Layer><Title>Mapshelf</Title><Abstract>Every layer of the catalogue this caller may view.</Abstract>${rootBox}${layers.map((l) => layerXml(l, url, version)).join('')}</Layer>`
  const capability = `<Capability>${request}${exception}${root}</Capability>`
  if (version === '1.3.0') {
    return `${XML_HEADER}<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms" xmlns:sld="http://www.opengis.net/sld" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wms http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd">${service}${capability}</WMS_Capabilities>\n`
  }
  return `${XML_HEADER}<!DOCTYPE WMT_MS_Capabilities SYSTEM "http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd">\n<WMT_MS_Capabilities version="1.1.1">${service}${capability}</WMT_MS_Capabilities>\n`
}

/** WMS GetCapabilities: the version negotiated from VERSION (the highest without one), the endpoint's own address in every link. */
export async function getCapabilities(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = negotiateVersion(req.version)
  const layers = (await ctx.services.owsLayers.visible(ctx.caller)).filter((l) => !req.endpoint.workspace || l.workspace === req.endpoint.workspace)
  return { type: version === '1.3.0' ? 'text/xml' : 'application/vnd.ogc.wms_xml', body: capabilitiesXml(layers, req.endpoint.url, version) }
}
