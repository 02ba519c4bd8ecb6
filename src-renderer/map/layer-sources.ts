import GeoJSON from 'ol/format/GeoJSON'
import type BaseLayer from 'ol/layer/Base'
import VectorLayer from 'ol/layer/Vector'
import { bbox as bboxStrategy } from 'ol/loadingstrategy'
import { transformExtent } from 'ol/proj'
import VectorSource from 'ol/source/Vector'
import { Circle, Fill, Stroke, Style } from 'ol/style'
import { ApiError, type GeoNodeClient } from '../../src-shared/client/geonode-client'
import type { LonLatBox } from './extent'

/** Whether a layer's data could be drawn: "unavailable" when the server has no data endpoint or data for it. */
export type LayerDataStatus = 'loading' | 'ready' | 'unavailable' | 'error'

const PALETTE = ['#2364c4', '#c4522f', '#2f8f5b', '#8a4fc4', '#c49a23', '#1f8fa3']

function styleFor(pk: number): Style {
  const color = PALETTE[pk % PALETTE.length]
  return new Style({
    fill: new Fill({ color: `${color}55` }),
    stroke: new Stroke({ color, width: 1.5 }),
    image: new Circle({ radius: 4, fill: new Fill({ color }), stroke: new Stroke({ color: '#fff', width: 1 }) })
  })
}

/** The query a bbox-strategy load turns into: the box in EPSG:4326 and degrees per pixel. */
export function featureRequestOf(extent: number[], resolution: number, projection: string): { bbox: LonLatBox; resolution: number } {
  const [minx, miny, maxx, maxy] = transformExtent(extent, projection, 'EPSG:4326')
  const bbox: LonLatBox = [Math.max(-180, minx), Math.max(-90, miny), Math.min(180, maxx), Math.min(90, maxy)]
  const widthDegrees = maxx - minx
  const widthUnits = extent[2] - extent[0]
  return { bbox, resolution: widthUnits > 0 ? (resolution * widthDegrees) / widthUnits : resolution }
}

/**
 * A vector layer whose features come from `GET /api/v2/mapshelf/layers/{pk}/features?bbox=&resolution=`
 * (GeoJSON in EPSG:4326), loaded per view extent. A 404 means the server cannot serve features
 * yet: the layer stays empty and reports "unavailable".
 */
export function createVectorLayer(client: GeoNodeClient, pk: number, onStatus: (status: LayerDataStatus) => void): VectorLayer {
  const format = new GeoJSON()
  // After a 404 the server has no features for this layer: asking again per extent would only repeat it.
  let unavailable = false
  const source: VectorSource = new VectorSource({
    strategy: bboxStrategy,
    loader: (extent, resolution, projection, success, failure) => {
      if (unavailable) {
        success?.([])
        return
      }
      const code = projection.getCode()
      const request = featureRequestOf(extent, resolution, code)
      onStatus('loading')
      client
        .layerFeatures(pk, request.bbox, request.resolution)
        .then((collection) => {
          const features = format.readFeatures(collection, { dataProjection: 'EPSG:4326', featureProjection: code })
          source.addFeatures(features)
          onStatus('ready')
          success?.(features)
        })
        .catch((error: unknown) => {
          // The extent stays marked as loaded, so a failing server is not asked again on every frame.
          unavailable = error instanceof ApiError && error.status === 404
          onStatus(unavailable ? 'unavailable' : 'error')
          failure?.()
        })
    }
  })
  return new VectorLayer({ source, style: styleFor(pk), properties: { pk } })
}

/**
 * A raster layer read from `GET /api/v2/mapshelf/layers/{pk}/raster` (a GeoTIFF served with range
 * requests). The file is probed first, so no WebGL layer is made for a raster the server lacks.
 */
export async function createRasterLayer(client: GeoNodeClient, pk: number, onStatus: (status: LayerDataStatus) => void): Promise<BaseLayer | null> {
  onStatus('loading')
  const url = client.layerRasterUrl(pk)
  const status = await client.probe(url)
  if (status < 200 || status >= 400) {
    onStatus(status === 404 ? 'unavailable' : 'error')
    return null
  }
  const [{ default: GeoTIFF }, { default: WebGLTileLayer }] = await Promise.all([import('ol/source/GeoTIFF'), import('ol/layer/WebGLTile')])
  const source = new GeoTIFF({ sources: [{ url }], sourceOptions: { headers: client.authHeaders() } })
  source.on('change', () => {
    const state = source.getState()
    if (state === 'ready') onStatus('ready')
    else if (state === 'error') onStatus('error')
  })
  return new WebGLTileLayer({ source, properties: { pk } })
}
