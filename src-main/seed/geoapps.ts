/** A geoapp's own row: a dashboard (a map widget and a text) or a story (a title and a paragraph). */
import { type ResourceDraft, type SeedState, clamp, toMercator } from './state'

export function insertGeoapp(state: SeedState, draft: ResourceDraft, times: { created: string; lastUpdated: string }): void {
  const story = draft.type === 'geostory'
  const [x0, y0, x1, y1] = draft.place.bbox
  const [cx, cy] = toMercator((x0 + x1) / 2, (y0 + y1) / 2)
  const data = story ? storyData(state, draft) : dashboardData(state, draft)
  state.st.geoapp.run(
    draft.id,
    `${draft.title} ${draft.id}`,
    story ? 'GeoStory' : 'GeoDashboard',
    story ? null : clamp(Math.floor(Math.log2(360 / Math.max(x1 - x0, 1e-6))) + 1, 0, 18),
    story ? null : 'EPSG:3857',
    story ? null : cx,
    story ? null : cy,
    story ? null : '',
    JSON.stringify(data),
    times.created,
    times.lastUpdated
  )
}

function storyData(state: SeedState, draft: ResourceDraft): object {
  const text = draft.abstract.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
  return {
    type: 'cascade',
    sections: [
      { type: 'title', id: state.rng.uuid(), title: draft.title, contents: [] },
      {
        type: 'paragraph',
        id: state.rng.uuid(),
        contents: [{ type: 'column', id: state.rng.uuid(), contents: [{ type: 'text', id: state.rng.uuid(), html: `<p>${text}</p>` }] }]
      }
    ],
    settings: {}
  }
}

function dashboardData(state: SeedState, draft: ResourceDraft): object {
  const mapId = state.rng.uuid()
  return {
    version: 1,
    widgets: [
      { id: mapId, widgetType: 'map', title: draft.title },
      { id: state.rng.uuid(), widgetType: 'text', title: 'About', text: `<p>${draft.theme.label} in ${draft.place.label}</p>` }
    ],
    layouts: { md: [{ i: mapId, x: 0, y: 0, w: 4, h: 4 }] }
  }
}
