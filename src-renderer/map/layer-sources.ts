import GeoJSON from 'ol/format/GeoJSON'
import type BaseLayer from 'ol/layer/Base'
import type OlMap from 'ol/Map'
import { buffer, containsExtent, getHeight, getWidth } from 'ol/extent'
import VectorImageLayer from 'ol/layer/VectorImage'
import { transformExtent } from 'ol/proj'
import VectorSource from 'ol/source/Vector'
import { Circle, Fill, Stroke, Style } from 'ol/style'
import { VIEWER_MARGIN, viewerFeatureLimit } from '../../src-shared/api/mapshelf'
import { ApiError, type GeoNodeClient } from '../../src-shared/client/geonode-client'
import { isAbort } from '../api'
import { layerFeatures } from '../mapshelf-api'
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

/** What one feature load drew. `limited`: the server stopped at the limit, so there is more here. */
export interface FeatureLoadInfo {
  count: number
  sampled: boolean
  limited: boolean
}


/** The request for a view: its extent with a margin, in EPSG:4326, and the feature limit from the view's pixels. */
export function featureRequestOf(extent: number[], size: number[], projection: string): { bbox: LonLatBox; limit: number; loaded: number[] } {
  const loaded = buffer(extent, Math.max(getWidth(extent), getHeight(extent)) * VIEWER_MARGIN)
  const [minx, miny, maxx, maxy] = transformExtent(loaded, projection, 'EPSG:4326')
  const bbox: LonLatBox = [Math.max(-180, minx), Math.max(-90, miny), Math.min(180, maxx), Math.min(90, maxy)]
  return { bbox, limit: viewerFeatureLimit(size[0]!, size[1]!), loaded }
}

export interface VectorHandle {
  layer: VectorImageLayer<VectorSource>
  /** Follows the map's view (loading on move, debounced); answers how to stop. */
  bind(map: OlMap): () => void
}

/**
 * A vector layer whose features come from `GET /api/v2/mapshelf/layers/{pk}/features?bbox=&limit=`
 * (GeoJSON in EPSG:4326). The view's extent plus a margin is loaded at once, with a limit that
 * follows the view's size in pixels; it reloads when the view leaves that area, or zooms in on data
 * the server thinned (sampled) or cut at the limit. Drawn as an image layer, so a pan moves the
 * last image and only the end of an interaction redraws the features.
 * A 404 means the server cannot serve features for the layer: it reports "unavailable".
 */
export function createVectorLayer(pk: number, onStatus: (status: LayerDataStatus, info?: FeatureLoadInfo) => void): VectorHandle {
  const format = new GeoJSON()
  const source = new VectorSource()
  const layer = new VectorImageLayer({ source, style: styleFor(pk), imageRatio: 1.5, properties: { pk } })
  let loaded: { extent: number[]; resolution: number; complete: boolean } | null = null
  let unavailable = false
  let controller: AbortController | null = null

  async function load(map: OlMap): Promise<void> {
    const size = map.getSize()
    const view = map.getView()
    const resolution = view.getResolution()
    if (!size || !resolution || unavailable || !layer.getVisible()) return
    const extent = view.calculateExtent(size)
    if (loaded && containsExtent(loaded.extent, extent) && (loaded.complete || resolution >= loaded.resolution / 1.5)) return
    const code = view.getProjection().getCode()
    const request = featureRequestOf(extent, size, code)
    controller?.abort()
    const mine = (controller = new AbortController())
    onStatus('loading')
    try {
      const reply = await layerFeatures(pk, request.bbox, request.limit, mine.signal)
      if (mine !== controller) return
      const features = format.readFeatures(reply, { dataProjection: 'EPSG:4326', featureProjection: code })
      source.clear(true)
      source.addFeatures(features)
      const info = { count: features.length, sampled: Boolean(reply.sampled), limited: (reply.numberReturned ?? features.length) >= request.limit }
      loaded = { extent: request.loaded, resolution, complete: !info.sampled && !info.limited }
      onStatus('ready', info)
    } catch (error) {
      if (isAbort(error)) return
      unavailable = error instanceof ApiError && error.status === 404
      onStatus(unavailable ? 'unavailable' : 'error')
    }
  }

  function bind(map: OlMap): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined
    const schedule = (delay: number) => {
      clearTimeout(timer)
      timer = setTimeout(() => void load(map), delay)
    }
    const onMove = () => schedule(120)
    map.on('moveend', onMove)
    const onVisible = () => schedule(0)
    layer.on('change:visible', onVisible)
    schedule(0)
    return () => {
      clearTimeout(timer)
      controller?.abort()
      map.un('moveend', onMove)
      layer.un('change:visible', onVisible)
    }
  }

  return { layer, bind }
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
