import type { Geometry, Position } from 'geojson'
import { XML_HEADER, esc } from '../xml'

/** One layer's answer to GetFeatureInfo: its features, geometries already in the request's CRS. */
export interface InfoLayer {
  name: string
  alternate: string
  geometryAttribute: string | null
  features: { id: string; geometry: Geometry | null; properties: Record<string, unknown> }[]
}

const GEONODE_NS = 'http://www.geonode.org/'

/** An attribute name usable as an XML element name. */
function elementName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_')
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`
}

function text(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

export function infoJson(layers: InfoLayer[], epsg: number): string {
  const features = layers.flatMap((layer) =>
    layer.features.map((f) => ({
      type: 'Feature',
      id: f.id,
      geometry: f.geometry,
      geometry_name: f.geometry ? (layer.geometryAttribute ?? 'the_geom') : undefined,
      properties: f.properties
    }))
  )
  return JSON.stringify({
    type: 'FeatureCollection',
    features,
    totalFeatures: 'unknown',
    numberReturned: features.length,
    timeStamp: new Date().toISOString(),
    crs: features.some((f) => f.geometry) ? { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${epsg}` } } : null
  })
}

export function infoText(layers: InfoLayer[]): string {
  if (layers.every((l) => l.features.length === 0)) return 'no features were found\n'
  let out = ''
  for (const layer of layers) {
    if (layer.features.length === 0) continue
    out += `Results for FeatureType '${GEONODE_NS}:${layer.name}':\n`
    for (const f of layer.features) {
      out += '--------------------------------------------\n'
      if (f.geometry) out += `${layer.geometryAttribute ?? 'the_geom'} = [GEOMETRY (${f.geometry.type})]\n`
      for (const [k, v] of Object.entries(f.properties)) out += `${k} = ${text(v)}\n`
    }
    out += '--------------------------------------------\n'
  }
  return out
}

export function infoHtml(layers: InfoLayer[]): string {
  const tables = layers
    .filter((l) => l.features.length > 0)
    .map((layer) => {
      const keys = [...new Set(layer.features.flatMap((f) => Object.keys(f.properties)))]
      const head = `<tr><th>fid</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`
      const rows = layer.features.map((f) => `<tr><td>${esc(f.id)}</td>${keys.map((k) => `<td>${esc(text(f.properties[k]))}</td>`).join('')}</tr>`).join('')
      return `<table class="featureInfo"><caption class="featureInfo">${esc(layer.name)}</caption>${head}${rows}</table>`
    })
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Feature information</title><style>table.featureInfo{border-collapse:collapse}table.featureInfo td,table.featureInfo th{border:1px solid #999;padding:2px 4px;font:12px sans-serif}</style></head><body>${tables.join('<br/>')}</body></html>\n`
}

const num = (v: number) => String(Number(v.toFixed(9)))

function gml2(geometry: Geometry, srs: string): string {
  const coords = (ps: Position[]) => `<gml:coordinates decimal="." cs="," ts=" ">${ps.map((p) => `${num(p[0])},${num(p[1])}`).join(' ')}</gml:coordinates>`
  const ring = (r: Position[]) => `<gml:LinearRing>${coords(r)}</gml:LinearRing>`
  const polygon = (rings: Position[][], own = true) =>
    `<gml:Polygon${own ? ` srsName="${srs}"` : ''}><gml:outerBoundaryIs>${ring(rings[0])}</gml:outerBoundaryIs>${rings
      .slice(1)
      .map((r) => `<gml:innerBoundaryIs>${ring(r)}</gml:innerBoundaryIs>`)
      .join('')}</gml:Polygon>`
  switch (geometry.type) {
    case 'Point':
      return `<gml:Point srsName="${srs}">${coords([geometry.coordinates])}</gml:Point>`
    case 'LineString':
      return `<gml:LineString srsName="${srs}">${coords(geometry.coordinates)}</gml:LineString>`
    case 'Polygon':
      return polygon(geometry.coordinates)
    case 'MultiPoint':
      return `<gml:MultiPoint srsName="${srs}">${geometry.coordinates.map((p) => `<gml:pointMember><gml:Point>${coords([p])}</gml:Point></gml:pointMember>`).join('')}</gml:MultiPoint>`
    case 'MultiLineString':
      return `<gml:MultiLineString srsName="${srs}">${geometry.coordinates.map((l) => `<gml:lineStringMember><gml:LineString>${coords(l)}</gml:LineString></gml:lineStringMember>`).join('')}</gml:MultiLineString>`
    case 'MultiPolygon':
      return `<gml:MultiPolygon srsName="${srs}">${geometry.coordinates.map((p) => `<gml:polygonMember>${polygon(p, false)}</gml:polygonMember>`).join('')}</gml:MultiPolygon>`
    case 'GeometryCollection':
      return `<gml:MultiGeometry srsName="${srs}">${geometry.geometries.map((g) => `<gml:geometryMember>${gml2(g, srs)}</gml:geometryMember>`).join('')}</gml:MultiGeometry>`
  }
}

function gml3(geometry: Geometry, srs: string): string {
  const list = (ps: Position[]) => `<gml:posList srsDimension="2">${ps.map((p) => `${num(p[0])} ${num(p[1])}`).join(' ')}</gml:posList>`
  const ring = (r: Position[]) => `<gml:LinearRing>${list(r)}</gml:LinearRing>`
  const polygon = (rings: Position[][], own = true) =>
    `<gml:Polygon${own ? ` srsName="${srs}"` : ''}><gml:exterior>${ring(rings[0])}</gml:exterior>${rings
      .slice(1)
      .map((r) => `<gml:interior>${ring(r)}</gml:interior>`)
      .join('')}</gml:Polygon>`
  switch (geometry.type) {
    case 'Point':
      return `<gml:Point srsName="${srs}"><gml:pos>${num(geometry.coordinates[0])} ${num(geometry.coordinates[1])}</gml:pos></gml:Point>`
    case 'LineString':
      return `<gml:LineString srsName="${srs}">${list(geometry.coordinates)}</gml:LineString>`
    case 'Polygon':
      return polygon(geometry.coordinates)
    case 'MultiPoint':
      return `<gml:MultiPoint srsName="${srs}">${geometry.coordinates.map((p) => `<gml:pointMember><gml:Point><gml:pos>${num(p[0])} ${num(p[1])}</gml:pos></gml:Point></gml:pointMember>`).join('')}</gml:MultiPoint>`
    case 'MultiLineString':
      return `<gml:MultiCurve srsName="${srs}">${geometry.coordinates.map((l) => `<gml:curveMember><gml:LineString>${list(l)}</gml:LineString></gml:curveMember>`).join('')}</gml:MultiCurve>`
    case 'MultiPolygon':
      return `<gml:MultiSurface srsName="${srs}">${geometry.coordinates.map((p) => `<gml:surfaceMember>${polygon(p, false)}</gml:surfaceMember>`).join('')}</gml:MultiSurface>`
    case 'GeometryCollection':
      return `<gml:MultiGeometry srsName="${srs}">${geometry.geometries.map((g) => `<gml:geometryMember>${gml3(g, srs)}</gml:geometryMember>`).join('')}</gml:MultiGeometry>`
  }
}

/** GetFeatureInfo as a WFS FeatureCollection in GML 2 (GeoServer's application/vnd.ogc.gml) or GML 3.1.1. */
export function infoGml(layers: InfoLayer[], epsg: number, version: 2 | 3): string {
  const srs = version === 2 ? `http://www.opengis.net/gml/srs/epsg.xml#${epsg}` : `urn:x-ogc:def:crs:EPSG:${epsg}`
  const members = layers.flatMap((layer) =>
    layer.features.map((f) => {
      const type = `geonode:${elementName(layer.name)}`
      const geometry = f.geometry ? `<geonode:${elementName(layer.geometryAttribute ?? 'the_geom')}>${version === 2 ? gml2(f.geometry, srs) : gml3(f.geometry, srs)}</geonode:${elementName(layer.geometryAttribute ?? 'the_geom')}>` : ''
      const props = Object.entries(f.properties)
        .map(([k, v]) => `<geonode:${elementName(k)}>${esc(text(v))}</geonode:${elementName(k)}>`)
        .join('')
      return `<gml:featureMember><${type} ${version === 2 ? 'fid' : 'gml:id'}="${esc(f.id)}">${geometry}${props}</${type}></gml:featureMember>`
    })
  )
  const boundedBy = version === 2 ? '<gml:boundedBy><gml:null>unknown</gml:null></gml:boundedBy>' : ''
  return `${XML_HEADER}<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" xmlns:gml="http://www.opengis.net/gml" xmlns:geonode="${GEONODE_NS}">${boundedBy}${members.join('')}</wfs:FeatureCollection>\n`
}
