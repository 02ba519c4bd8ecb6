import type OlMap from 'ol/Map'
import Feature from 'ol/Feature'
import { fromExtent } from 'ol/geom/Polygon'
import type BaseLayer from 'ol/layer/Base'
import VectorLayer from 'ol/layer/Vector'
import { transformExtent } from 'ol/proj'
import VectorSource from 'ol/source/Vector'
import { Stroke, Style, Text } from 'ol/style'
import { onBeforeUnmount, type ShallowRef, watch } from 'vue'
import { client } from '../api'
import { createWmsLayer } from '../map/layer-sources'
import type { ComposerLayer } from '../stores/composer'

/**
 * Keeps the map's OpenLayers layers in step with the composer's plain layer list: one OL layer per
 * catalogue layer (drawn by the server's WMS in its own style), stacked in list order, with its
 * opacity and visibility.
 */
export function useComposerLayers(map: ShallowRef<OlMap | null>, layers: () => ComposerLayer[], setStatus: (key: string, status: ComposerLayer['dataStatus']) => void) {
  const made = new Map<string, BaseLayer>()
  // Layers whose data the server cannot serve are shown by their extent, dashed and labelled.
  const outlines = new VectorSource()
  const outlineLayer = new VectorLayer({
    source: outlines,
    zIndex: 1000,
    style: (feature) =>
      new Style({
        stroke: new Stroke({ color: '#7a8699', width: 1.5, lineDash: [6, 4] }),
        text: new Text({ text: String(feature.get('title') ?? ''), font: '12px system-ui, sans-serif', overflow: true, placement: 'line' })
      })
  })

  function drawOutlines(list: ComposerLayer[]): void {
    outlines.clear()
    for (const l of list) {
      if (!l.box || !l.visible || (l.dataStatus !== 'unavailable' && l.dataStatus !== 'error')) continue
      const [minx, miny, maxx, maxy] = l.box
      const feature = new Feature(fromExtent(transformExtent([minx, Math.max(miny, -85), maxx, Math.min(maxy, 85)], 'EPSG:4326', 'EPSG:3857')))
      feature.set('title', l.title)
      outlines.addFeature(feature)
    }
  }

  function sync(): void {
    const m = map.value
    if (!m) return
    const list = layers()
    if (!m.getLayers().getArray().includes(outlineLayer)) m.addLayer(outlineLayer)
    drawOutlines(list)
    const wanted = new Set(list.map((l) => l.key))
    for (const [key, layer] of made) {
      if (wanted.has(key)) continue
      m.removeLayer(layer)
      made.delete(key)
    }
    list.forEach((l, index) => {
      if (l.datasetPk === null || l.alternate === null) return
      if (!made.has(l.key)) create(m, l)
      const layer = made.get(l.key)
      if (!layer) return
      layer.setZIndex(list.length - index)
      layer.setOpacity(l.opacity)
      layer.setVisible(l.visible)
    })
  }

  function create(m: OlMap, l: ComposerLayer): void {
    const pk = l.datasetPk as number
    const layer = createWmsLayer(client, { pk, alternate: l.alternate as string }, (status) => setStatus(l.key, status))
    layer.set('title', l.title)
    made.set(l.key, layer)
    // Nothing wrong is known until an image fails; a hidden layer loads nothing until it is shown.
    if (l.storeType !== 'coverageStore') {
      setStatus(l.key, 'ready')
      return void m.addLayer(layer)
    }
    // A raster record without its file (a catalogue entry synced without data) has nothing to draw: shown by its outline instead.
    setStatus(l.key, 'loading')
    void client.probe(client.layerRasterUrl(pk)).then((status) => {
      if (made.get(l.key) !== layer) return
      if (status >= 200 && status < 400) {
        setStatus(l.key, 'ready')
        m.addLayer(layer)
      } else setStatus(l.key, status === 404 ? 'unavailable' : 'error')
    })
  }

  const stop = watch([map, () => layers().map((l) => `${l.key}:${l.opacity}:${l.visible}:${l.dataStatus}`).join('|')], sync, { immediate: true })
  onBeforeUnmount(() => stop())
}
