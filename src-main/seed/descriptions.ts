/** The words of a resource: titles and abstracts, from its type, theme, place and year (maps: from their layers). */
import { type LayerRef, type ResourceDraft, type SeedState, capitalize } from './state'
import { NOTES, ORGANIZATIONS, PROJECTS, SOURCES } from './vocabulary'

export function resourceTitle(state: SeedState, draft: ResourceDraft): string {
  return capitalize(titleText(state, draft))
}

function titleText(state: SeedState, draft: ResourceDraft): string {
  const { theme: { label: theme }, place: { label: place }, year } = draft
  const lower = theme.toLowerCase()
  if (draft.document) return documentTitle(state, draft.document.kind, lower, theme, place, year)
  if (draft.type === 'geoapp') return `${place} ${lower} dashboard`
  if (draft.type === 'geostory') {
    return state.rng.pick([`The changing ${lower} of ${place}`, `${place}: a ${lower} story`, `Living with ${lower} in ${place}`])
  }
  if (draft.place.global) return state.rng.pick([`Global ${lower}`, `Global ${lower} ${year}`, `World ${lower} (${year})`])
  return state.rng.pick([
    `${theme} of ${place}`,
    `${place} ${lower}`,
    `${theme} - ${place} ${year}`,
    `${theme}, ${place} (${year})`,
    `${place}: ${lower} ${year - state.rng.int(1, 8)}-${year}`,
    draft.theme.geometry === 'raster' ? `${theme} ${draft.resolution}m, ${place}` : `${theme} survey, ${place}`
  ])
}

function documentTitle(state: SeedState, kind: string, lower: string, theme: string, place: string, year: number): string {
  const titles: Record<string, string[]> = {
    image: [`Field photograph - ${lower}, ${place}`, `Photo: ${lower} in ${place}`, `Aerial view of ${place} (${year})`],
    text: [`${theme} report for ${place} (${year})`, `Technical note: ${lower} in ${place}`, `Survey protocol for ${lower} mapping`],
    presentation: [`${place} ${lower} workshop slides`, `${theme} in ${place}: project briefing`],
    archive: [`${theme} field data archive, ${place}`, `Raw survey files - ${lower}, ${place}`],
    other: [`${theme} data dictionary`, `${place} ${lower} statistics (${year})`]
  }
  return state.rng.pick(titles[kind] ?? titles.other)
}

export function resourceAbstract(state: SeedState, draft: ResourceDraft): string {
  if (state.rng.chance(0.03)) return 'No abstract provided'
  const [first, second] = abstractSentences(state, draft)
  const third = state.rng.chance(0.5) ? state.rng.pick(NOTES) : `Produced within the ${state.rng.pick(PROJECTS)} project.`
  if (state.rng.chance(0.3)) return `<p>${first}</p><p>${second} <em>${third}</em></p>`
  if (state.rng.chance(0.05)) return `<p>${first}</p><ul><li>${second}</li><li>${third}</li></ul>`
  return `${first} ${second} ${third}`
}

function abstractSentences(state: SeedState, draft: ResourceDraft): [string, string] {
  const { place, year } = draft
  const lower = draft.theme.label.toLowerCase()
  const source = state.rng.pick(SOURCES)
  if (draft.type === 'document') {
    const what = draft.document?.kind === 'image' ? 'Photograph' : 'Document'
    return [
      `${what} on ${lower} in ${place.label}, prepared in ${year}.`,
      `Supporting material for the ${lower} datasets of the ${state.rng.pick(ORGANIZATIONS)}.`
    ]
  }
  if (draft.type === 'geoapp') return [`Interactive dashboard on ${lower} in ${place.label}.`, `Charts and maps built from ${source}.`]
  if (draft.type === 'geostory') {
    return [`A story about ${lower} in ${place.label}, told with maps and photographs.`, `Based on ${source} from ${year}.`]
  }
  const raster = draft.theme.geometry === 'raster'
  const verb = state.rng.pick(raster ? ['derived', 'interpolated', 'classified'] : ['compiled', 'digitised', 'collected', 'extracted'])
  return [
    `${draft.theme.label} for ${place.label}, ${verb} from ${source} in ${year}.`,
    raster ? `Raster grid at ${draft.resolution} m resolution.` : `Covers ${draft.theme.noun} across the study area.`
  ]
}

export function mapTitle(state: SeedState, layers: LayerRef[]): string {
  const place = layers[0].place.label
  const themes = [...new Set(layers.map((l) => l.theme.label.toLowerCase()))]
  if (themes.length > 1 && state.rng.chance(0.5)) return `${capitalize(place)} ${themes[0]} and ${themes[1]}`
  const [theme] = themes
  return state.rng.pick([`Map of ${theme} in ${place}`, `${capitalize(place)} ${theme} overview`, `${capitalize(place)} atlas: ${theme}`])
}

export function mapAbstract(state: SeedState, draft: ResourceDraft, layers: LayerRef[]): string {
  const list = layers.map((l) => l.title)
  const layerCount = `${list.length} ${list.length === 1 ? 'layer' : 'layers'}`
  const intro = `Web map of ${draft.place.label} combining ${layerCount} over an OpenStreetMap background.`
  if (state.rng.chance(0.3)) return `<p>${intro}</p><ul>${list.map((t) => `<li>${t}</li>`).join('')}</ul>`
  return `${intro} Layers: ${list.join('; ')}.`
}
