import type { Coordinate } from 'ol/coordinate'
import GeoJSON from 'ol/format/GeoJSON'
import type Feature from 'ol/Feature'
import type ImageWrapper from 'ol/Image'
import ImageLayer from 'ol/layer/Image'
import type OlMap from 'ol/Map'
import ImageWMS from 'ol/source/ImageWMS'
import type { GeoNodeClient } from '../../src-shared/client/geonode-client'

/** Whether a layer's data could be drawn: "unavailable" when the server has no data for it. */
export type LayerDataStatus = 'loading' | 'ready' | 'unavailable' | 'error'

/** The server's WMS, where every catalogue layer is drawn with its own style (the one GetMap, QGIS and the legend use). */
export const wmsUrl = (client: GeoNodeClient) => client.url('/geoserver/ows')

/**
 * Loads a WMS image with the caller's credentials (an <img> cannot send an Authorization header):
 * fetched, checked to be an image (the WMS answers refusals as XML), and handed to the image
 * element as a blob URL, released once drawn.
 */
function authorisedLoader(client: GeoNodeClient) {
  return (image: ImageWrapper, src: string) => {
    const element = image.getImage() as HTMLImageElement
    void fetch(src, { headers: client.authHeaders() })
      .then(async (response) => {
        const type = response.headers.get('content-type') ?? ''
        if (!response.ok || !type.startsWith('image/')) throw new Error(`the map server answered ${response.status} ${type}`)
        const url = URL.createObjectURL(await response.blob())
        element.addEventListener('load', () => URL.revokeObjectURL(url), { once: true })
        element.src = url
      })
      .catch(() => {
        // An empty source fires the element's error event: the source reports imageloaderror.
        element.src = ''
      })
  }
}

/**
 * A catalogue layer drawn by the server's WMS (a transparent PNG of the view, in the layer's
 * default style), reloaded as the view moves. Vector and raster layers alike: rasters come out
 * stretched as GetMap draws them.
 */
export function createWmsLayer(client: GeoNodeClient, layer: { pk: number; alternate: string }, onStatus: (status: LayerDataStatus) => void): ImageLayer<ImageWMS> {
  const source = new ImageWMS({
    url: wmsUrl(client),
    params: { LAYERS: layer.alternate, STYLES: '', FORMAT: 'image/png', TRANSPARENT: true, VERSION: '1.3.0' },
    ratio: 1.5,
    imageLoadFunction: authorisedLoader(client)
  })
  source.on('imageloadstart', () => onStatus('loading'))
  source.on('imageloadend', () => onStatus('ready'))
  source.on('imageloaderror', () => onStatus('error'))
  return new ImageLayer({ source, properties: { pk: layer.pk, alternate: layer.alternate } })
}

/** A feature found by GetFeatureInfo, with the title of the layer it belongs to. */
export interface IdentifiedFeature {
  title: string
  feature: Feature
}

/**
 * What lies under a pixel: GetFeatureInfo (application/json) on each visible WMS layer, top
 * first; the first layer with a feature there answers.
 */
export async function identifyAt(client: GeoNodeClient, map: OlMap, coordinate: Coordinate): Promise<IdentifiedFeature | null> {
  const view = map.getView()
  const resolution = view.getResolution()
  if (resolution === undefined) return null
  const layers = map
    .getLayers()
    .getArray()
    .filter((l): l is ImageLayer<ImageWMS> => l instanceof ImageLayer && l.get('pk') !== undefined && l.getVisible())
    .sort((a, b) => (b.getZIndex() ?? 0) - (a.getZIndex() ?? 0))
  const projection = view.getProjection()
  for (const layer of layers) {
    const url = layer.getSource()?.getFeatureInfoUrl(coordinate, resolution, projection, { INFO_FORMAT: 'application/json', FEATURE_COUNT: 1 })
    if (!url) continue
    const response = await fetch(url, { headers: client.authHeaders() })
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) continue
    const features = new GeoJSON().readFeatures(await response.json(), { dataProjection: projection, featureProjection: projection })
    if (features.length > 0) return { title: String(layer.get('title') ?? 'Layer'), feature: features[0] as Feature }
  }
  return null
}

/** The legend of a layer's default style (GetLegendGraphic), as a URL an <img> can load. */
export function legendUrl(client: GeoNodeClient, alternate: string): string {
  const query = new URLSearchParams({ service: 'WMS', version: '1.3.0', request: 'GetLegendGraphic', format: 'image/png', width: '16', height: '16', layer: alternate, legend_options: 'fontSize:11' })
  return client.signedUrl(`${wmsUrl(client)}?${query.toString()}`)
}
