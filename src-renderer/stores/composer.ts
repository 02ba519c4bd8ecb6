import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { MapLayerDto, ResourceDto } from '../../src-shared/api/dto'
import { CHANGE } from '../../src-shared/api/permissions'
import { ApiError } from '../../src-shared/client/geonode-client'
import { client, fieldErrorsOf, messageOf } from '../api'
import { boxOfPolygon, type LonLatBox } from '../map/extent'
import type { LayerDataStatus } from '../map/layer-sources'

export interface ComposerLayer {
  key: string
  /** The catalogue layer drawn, or null for a layer the catalogue does not hold (kept as it was). */
  datasetPk: number | null
  title: string
  storeType: string | null
  opacity: number
  visible: boolean
  box: LonLatBox | null
  dataStatus: LayerDataStatus
  /** The typename the server's WMS draws it by (`geonode:name`). */
  alternate: string | null
  original: MapLayerDto | null
}

export interface ComposerView {
  center: [number, number]
  zoom: number
}

let keys = 0
const nextKey = () => `layer-${++keys}`

function layerOf(resource: ResourceDto, from: MapLayerDto | null = null): ComposerLayer {
  return {
    key: nextKey(),
    datasetPk: Number(resource.pk),
    title: resource.title,
    storeType: typeof resource.storeType === 'string' ? resource.storeType : null,
    opacity: from?.opacity ?? 1,
    visible: from?.visibility ?? true,
    box: boxOfPolygon(resource.ll_bbox_polygon),
    dataStatus: 'loading',
    alternate: resource.alternate ?? null,
    original: from
  }
}

/** The map being composed: plain data only; MapView turns it into OpenLayers layers. */
export const useComposerStore = defineStore('composer', () => {
  const mapPk = ref<string | null>(null)
  const title = ref('')
  const abstract = ref('')
  /** Top of the stack first, as the layer list shows it. */
  const layers = ref<ComposerLayer[]>([])
  /** Background and other layers without a catalogue layer or a place in the list, saved unchanged. */
  const backgrounds = ref<MapLayerDto[]>([])
  const view = ref<ComposerView | null>(null)
  const perms = ref<string[]>([])
  const state = ref<'idle' | 'loading' | 'loaded' | 'not-found' | 'error'>('idle')
  const error = ref('')
  const saving = ref(false)
  const saveError = ref('')
  const fieldErrors = ref<Record<string, string[]>>({})
  const dirty = ref(false)
  const savedAt = ref<Date | null>(null)

  const mayChange = computed(() => mapPk.value === null || perms.value.includes(CHANGE))

  function reset(): void {
    mapPk.value = null
    title.value = ''
    abstract.value = ''
    layers.value = []
    backgrounds.value = []
    view.value = null
    perms.value = []
    dirty.value = false
    savedAt.value = null
    saveError.value = ''
    fieldErrors.value = {}
    state.value = 'loaded'
  }

  async function load(id: string): Promise<void> {
    reset()
    state.value = 'loading'
    try {
      const [map, mapLayers, local] = await Promise.all([client.get<ResourceDto>('maps', 'map', id), client.mapLayers(id), client.mapLocalLayers(id)])
      const byName = new Map(local.map((l) => [l.alternate, l]))
      mapPk.value = map.pk
      title.value = map.title
      abstract.value = map.abstract
      perms.value = map.perms
      const zoom = Number(map.zoom)
      const center: [number, number] = [Number(map.center_x), Number(map.center_y)]
      view.value = Number.isFinite(zoom) && center.every(Number.isFinite) && map.projection === 'EPSG:3857' ? { center, zoom } : null
      const ordered = [...mapLayers].sort((a, b) => b.stack_order - a.stack_order)
      backgrounds.value = ordered.filter((l) => l.group === 'background').reverse()
      layers.value = ordered
        .filter((l) => l.group !== 'background')
        .map((l) => {
          const resource = l.name ? byName.get(l.name) : undefined
          if (resource) return layerOf(resource, l)
          const params = safeJson(l.layer_params)
          return { key: nextKey(), datasetPk: null, title: String(params.title ?? l.name ?? 'Layer'), storeType: null, opacity: l.opacity, visible: l.visibility, box: null, dataStatus: 'unavailable', alternate: null, original: l }
        })
      state.value = 'loaded'
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) state.value = 'not-found'
      else {
        error.value = messageOf(e)
        state.value = 'error'
      }
    }
  }

  function add(resource: ResourceDto): void {
    layers.value.unshift(layerOf(resource))
    dirty.value = true
  }

  function remove(key: string): void {
    layers.value = layers.value.filter((l) => l.key !== key)
    dirty.value = true
  }

  function move(from: number, to: number): void {
    if (from === to || to < 0 || to >= layers.value.length) return
    const next = [...layers.value]
    const [moved] = next.splice(from, 1)
    next.splice(to, 0, moved)
    layers.value = next
    dirty.value = true
  }

  function update(key: string, change: Partial<Pick<ComposerLayer, 'opacity' | 'visible'>>): void {
    const layer = layers.value.find((l) => l.key === key)
    if (!layer) return
    Object.assign(layer, change)
    dirty.value = true
  }

  function setStatus(key: string, status: LayerDataStatus): void {
    const layer = layers.value.find((l) => l.key === key)
    if (!layer) return
    if (layer.dataStatus !== status) layer.dataStatus = status
  }

  /** The `layers` body of a map write, bottom of the stack first (spec 3.5; MapLayerWrite). */
  function layersBody(): Record<string, unknown>[] {
    const bottomUp = [...layers.value].reverse()
    const body: Record<string, unknown>[] = backgrounds.value.map((l) => passthrough(l, l.opacity, l.visibility))
    for (const l of bottomUp) {
      if (l.datasetPk !== null) body.push({ dataset: l.datasetPk, opacity: l.opacity, visibility: l.visible })
      else if (l.original) body.push(passthrough(l.original, l.opacity, l.visible))
    }
    return body.map((l, i) => ({ ...l, stack_order: i }))
  }

  /** Creates the map (POST) or replaces its fields and layers (PATCH); answers the map's pk. */
  async function save(asNew = false): Promise<string | null> {
    saving.value = true
    saveError.value = ''
    fieldErrors.value = {}
    const body: Record<string, unknown> = { title: title.value.trim(), abstract: abstract.value, layers: layersBody() }
    if (view.value) Object.assign(body, { projection: 'EPSG:3857', center_x: view.value.center[0], center_y: view.value.center[1], zoom: Math.max(0, Math.round(view.value.zoom)) })
    try {
      const saved = mapPk.value && !asNew ? await client.patch<ResourceDto>('maps', 'map', mapPk.value, body) : await client.create<ResourceDto>('maps', 'map', body)
      mapPk.value = saved.pk
      perms.value = saved.perms
      dirty.value = false
      savedAt.value = new Date()
      return saved.pk
    } catch (e) {
      fieldErrors.value = fieldErrorsOf(e)
      saveError.value = Object.keys(fieldErrors.value).length ? Object.entries(fieldErrors.value).map(([f, m]) => `${f}: ${m.join(' ')}`).join(' ') : messageOf(e)
      return null
    } finally {
      saving.value = false
    }
  }

  return { mapPk, title, abstract, layers, backgrounds, view, perms, state, error, saving, saveError, fieldErrors, dirty, savedAt, mayChange, reset, load, add, remove, move, update, setStatus, save }
})

function safeJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function passthrough(l: MapLayerDto, opacity: number, visibility: boolean): Record<string, unknown> {
  return {
    name: l.name,
    store: l.store,
    format: l.format,
    opacity,
    styles: l.styles,
    transparent: l.transparent,
    fixed: l.fixed,
    group: l.group,
    visibility,
    ows_url: l.ows_url,
    layer_params: l.layer_params,
    source_params: l.source_params
  }
}
