/** A map's own rows: the map and its stack of layers, over an OpenStreetMap background. */
import { type LayerRef, type ResourceDraft, type SeedState, clamp, round, toMercator } from './state'

const OSM_BACKGROUND = {
  dataset_id: null,
  stack_order: 0,
  name: 'mapnik',
  store: null,
  format: null,
  opacity: 1,
  styles: '',
  transparent: 0,
  fixed: 1,
  group_name: 'background',
  visibility: 1,
  layer_params: '{"title":"Open Street Map","type":"osm"}',
  source_params: '{"ptype":"gxp_olsource"}',
  local: 0
}

export function pickMapLayers(state: SeedState): LayerRef[] {
  const first = state.rng.pick(state.layers)
  const nearby = (state.layersByCountry.get(first.place.country ?? first.place.label) ?? []).filter((l) => l.id !== first.id)
  return [first, ...state.rng.sample(nearby, state.rng.int(0, 4))]
}

export function insertMap(state: SeedState, draft: ResourceDraft, layers: LayerRef[], times: { created: string; lastUpdated: string }): void {
  const [x0, y0, x1, y1] = draft.place.bbox
  const [cx, cy] = toMercator((x0 + x1) / 2, (y0 + y1) / 2)
  const zoom = clamp(Math.floor(Math.log2(360 / Math.max(x1 - x0, (y1 - y0) * 2, 1e-6))) + 1, 0, 18)
  state.st.map.run(draft.id, zoom, cx, cy, times.created, times.lastUpdated)
  state.st.mapLayer.run({ ...OSM_BACKGROUND, uuid: state.rng.uuid(), map_id: draft.id })
  layers.forEach((layer, index) => {
    state.st.mapLayer.run({
      uuid: state.rng.uuid(),
      map_id: draft.id,
      dataset_id: layer.id,
      stack_order: index + 1,
      name: layer.alternate,
      store: 'geonode_data',
      format: 'image/png',
      opacity: round(state.rng.range(0.5, 1), 2),
      styles: layer.styleName,
      transparent: 1,
      fixed: 0,
      group_name: null,
      visibility: state.rng.chance(0.9) ? 1 : 0,
      layer_params: '{}',
      source_params: '{"ptype":"gxp_wmscsource"}',
      local: 1
    })
  })
  state.summary.mapLayers += layers.length + 1
}
