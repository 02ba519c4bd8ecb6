/** A layer's own rows: the layer, its default style and its attributes (the geometry column first for vectors, GRAY_INDEX for rasters). */
import { slugify } from '../db/reference-data'
import { type LayerRef, type ResourceDraft, type SeedState, capitalize, pushTo } from './state'
import { COMMON_ATTRIBUTES, GEOMETRY_TYPES } from './vocabulary'

export function layerName(title: string, id: number): string {
  const base = slugify(title).replace(/-/g, '_').slice(0, 48).replace(/_+$/, '')
  return `${base}_${id}`
}

export function insertLayer(state: SeedState, draft: ResourceDraft, times: { created: string; lastUpdated: string }): void {
  const name = layerName(draft.title, draft.id)
  const alternate = `geonode:${name}`
  const vector = draft.storeType === 'dataStore'
  const styleId = Number(state.st.style.run(name, draft.title, times.created, times.lastUpdated).lastInsertRowid)
  const featureCount = vector ? Math.round(state.rng.logRange(10, draft.theme.geometry === 'line' ? 200000 : 50000)) : null
  state.st.layer.run(draft.id, name, vector ? 'geonode_data' : name, draft.storeType, styleId, featureCount, times.created, times.lastUpdated)
  state.st.layerStyle.run(draft.id, styleId)
  insertAttributes(state, draft, vector)
  const { id, title, theme, place } = draft
  const ref: LayerRef = { id, alternate, styleName: name, title, theme, place, bbox: place.bbox }
  state.layers.push(ref)
  pushTo(state.layersByCountry, draft.place.country ?? draft.place.label, ref)
  if (vector) state.summary.vectorLayers++
  else state.summary.rasterLayers++
}

function insertAttributes(state: SeedState, draft: ResourceDraft, vector: boolean): void {
  if (!vector) {
    state.st.attribute.run(draft.id, 'GRAY_INDEX', null, 'xsd:double', 1)
    return
  }
  const columns = state.rng.sample([...draft.theme.attributes, ...COMMON_ATTRIBUTES], state.rng.int(2, 7))
  const all: [string, string][] = [['the_geom', GEOMETRY_TYPES[draft.theme.geometry]], ...columns]
  all.forEach(([attribute, type], index) => {
    const label = index > 0 && state.rng.chance(0.3) ? capitalize(attribute.replace(/_/g, ' ')) : null
    state.st.attribute.run(draft.id, attribute, label, type, index + 1)
  })
}
