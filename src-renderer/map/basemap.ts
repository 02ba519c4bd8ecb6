import type { FeatureCollection } from 'geojson'
import GeoJSON from 'ol/format/GeoJSON'
import TileLayer from 'ol/layer/Tile'
import VectorLayer from 'ol/layer/Vector'
import OSM from 'ol/source/OSM'
import VectorSource from 'ol/source/Vector'
import { Fill, Stroke, Style } from 'ol/style'
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'
import countries from 'world-atlas/countries-110m.json'

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

type Ring = number[][]

/**
 * Rings that touch both sides of the antimeridian (Fiji, Chukotka) would be drawn across the whole
 * world in Web Mercator: their western points move east of 180. Antarctica really spans every
 * longitude; its pole points are clamped to the Mercator limit instead.
 */
export function fixRing(ring: Ring, polar: boolean): Ring {
  if (polar) return ring.map(([x, y]) => [x, Math.max(-85, Math.min(85, y))])
  const xs = ring.map((p) => p[0])
  if (Math.max(...xs) - Math.min(...xs) <= 180) return ring
  return ring.map(([x, y]) => [x < 0 ? x + 360 : x, y])
}

function fixCollection(collection: FeatureCollection): FeatureCollection {
  for (const f of collection.features) {
    const polar = f.properties?.name === 'Antarctica'
    const g = f.geometry
    if (g?.type === 'Polygon') g.coordinates = g.coordinates.map((r) => fixRing(r, polar))
    else if (g?.type === 'MultiPolygon') g.coordinates = g.coordinates.map((p) => p.map((r) => fixRing(r, polar)))
  }
  return collection
}

/** Land and border colours of the current theme (CSS variables, light or dark). */
export function offlineStyle(): Style {
  return new Style({
    fill: new Fill({ color: cssColor('--map-land', '#f4f1ea') }),
    stroke: new Stroke({ color: cssColor('--map-border', '#b9b3a6'), width: 0.6 })
  })
}

/** Natural Earth country outlines (1:110m), bundled with the app: a basemap that needs no network. */
export function offlineBasemap(): VectorLayer {
  const topology = countries as unknown as Topology<{ countries: GeometryCollection }>
  const collection = fixCollection(feature(topology, topology.objects.countries) as unknown as FeatureCollection)
  const source = new VectorSource({
    features: new GeoJSON().readFeatures(collection, { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' })
  })
  return new VectorLayer({ source, style: offlineStyle(), zIndex: -10, properties: { basemap: 'offline' } })
}

/** OpenStreetMap tiles: only when the user asks for them (they need the network). */
export function osmBasemap(): TileLayer<OSM> {
  return new TileLayer({ source: new OSM(), zIndex: -9, properties: { basemap: 'osm' } })
}
