import OlMap from 'ol/Map'
import View from 'ol/View'
import { defaults as defaultControls } from 'ol/control/defaults'
import ScaleLine from 'ol/control/ScaleLine'
import type BaseLayer from 'ol/layer/Base'
import { transformExtent } from 'ol/proj'
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue'
import { offlineBasemap, offlineStyle, osmBasemap } from '../map/basemap'
import type { LonLatBox } from '../map/extent'

export interface OlMapOptions {
  /** Small maps (filters, previews) drop the attribution and scale controls. */
  compact?: boolean
  interactive?: boolean
}

/**
 * An OpenLayers map on `target`, created on mount and disposed on unmount. The map stays out of
 * reactive state (shallowRef holds the instance, never its internals).
 */
export function useOlMap(target: Ref<HTMLElement | null>, options: OlMapOptions = {}) {
  const map = shallowRef<OlMap | null>(null)
  let osm: BaseLayer | null = null
  const ready: ((m: OlMap) => void)[] = []
  const basemap = offlineBasemap()
  const scheme = window.matchMedia('(prefers-color-scheme: dark)')
  const restyle = () => basemap.setStyle(offlineStyle())

  onMounted(() => {
    if (!target.value) return
    const controls = options.compact ? defaultControls({ attribution: false, rotate: false }) : defaultControls({ rotate: false }).extend([new ScaleLine()])
    const instance = new OlMap({
      target: target.value,
      layers: [basemap],
      controls,
      view: new View({ center: [0, 2_000_000], zoom: options.compact ? 0 : 2, maxZoom: 20, constrainResolution: false }),
      interactions: options.interactive === false ? [] : undefined
    })
    map.value = instance
    scheme.addEventListener('change', restyle)
    for (const callback of ready) callback(instance)
  })

  onBeforeUnmount(() => {
    scheme.removeEventListener('change', restyle)
    map.value?.setTarget(undefined)
    map.value?.dispose()
    map.value = null
  })

  function whenReady(callback: (m: OlMap) => void): void {
    if (map.value) callback(map.value)
    else ready.push(callback)
  }

  function setOnlineBasemap(on: boolean): void {
    const m = map.value
    if (!m) return
    if (on && !osm) {
      osm = osmBasemap()
      m.addLayer(osm)
    } else if (!on && osm) {
      m.removeLayer(osm)
      osm = null
    }
  }

  function fitBox(box: LonLatBox, maxZoom = 12): void {
    const m = map.value
    if (!m) return
    const extent = transformExtent([box[0], Math.max(box[1], -85), box[2], Math.min(box[3], 85)], 'EPSG:4326', 'EPSG:3857')
    m.getView().fit(extent, { padding: [24, 24, 24, 24], maxZoom, duration: 0 })
  }

  return { map, whenReady, setOnlineBasemap, fitBox }
}
