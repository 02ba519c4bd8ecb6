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
import { createRasterLayer, createVectorLayer, type FeatureLoadInfo } from '../map/layer-sources'
import type { ComposerLayer } from '../stores/composer'

/**
 * Keeps the map's OpenLayers layers in step with the composer's plain layer list: one OL layer per
 * catalogue layer, stacked in list order, with its opacity and visibility.
 */
export function useComposerLayers(
  map: ShallowRef<OlMap | null>,
  layers: () => ComposerLayer[],
  setStatus: (key: string, status: ComposerLayer['dataStatus'], info?: FeatureLoadInfo) => void
) {
  const made = new Map<string, BaseLayer | 'pending' | null>()
  /** How to stop each vector layer following the view. */
  const unbind = new Map<string, () => void>()
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
      if (layer && layer !== 'pending') m.removeLayer(layer)
      unbind.get(key)?.()
      unbind.delete(key)
      made.delete(key)
    }
    list.forEach((l, index) => {
      if (l.datasetPk === null) return
      if (!made.has(l.key)) create(m, l)
      const layer = made.get(l.key)
      if (!layer || layer === 'pending') return
      layer.setZIndex(list.length - index)
      layer.setOpacity(l.opacity)
      layer.setVisible(l.visible)
    })
  }

  function create(m: OlMap, l: ComposerLayer): void {
    const pk = l.datasetPk as number
    const report = (status: ComposerLayer['dataStatus'], info?: FeatureLoadInfo) => setStatus(l.key, status, info)
    if (l.storeType === 'coverageStore') {
      made.set(l.key, 'pending')
      void createRasterLayer(client, pk, report).then((layer) => {
        if (made.get(l.key) !== 'pending') return
        layer?.set('title', l.title)
        made.set(l.key, layer)
        if (layer) m.addLayer(layer)
        sync()
      })
      return
    }
    const handle = createVectorLayer(pk, report)
    handle.layer.set('title', l.title)
    made.set(l.key, handle.layer)
    m.addLayer(handle.layer)
    unbind.set(l.key, handle.bind(m))
  }

  const stop = watch([map, () => layers().map((l) => `${l.key}:${l.opacity}:${l.visible}:${l.dataStatus}`).join('|')], sync, { immediate: true })
  onBeforeUnmount(() => {
    stop()
    for (const off of unbind.values()) off()
    unbind.clear()
  })
}
