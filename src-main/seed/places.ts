/** Where a resource lies: a city, part of a country, a country, a wider region or the world, with its extent and regions. */
import type { RegionInfo } from './reference'
import { type Place, type SeedState, cleanBbox } from './state'
import { DIRECTIONS } from './vocabulary'

export function pickPlace(state: SeedState): Place {
  const kind = state.rng.weighted([['city', 40], ['part', 30], ['country', 15], ['region', 10], ['global', 5]] as const)
  const countries = state.countryList
  if (kind === 'global' || !countries.length) return globalPlace(state)
  if (kind === 'city' && state.cities.length) return cityPlace(state)
  if (kind === 'region') return regionPlace(state)
  const country = state.rng.pick(countries)
  return kind === 'part' ? countryPartPlace(state, country) : countryPlace(state, country)
}

function globalPlace(state: SeedState): Place {
  const glo = state.lookups.regions.find((r) => r.code === 'GLO')
  return { label: 'the world', bbox: [-180, -90, 180, 90], regionIds: glo ? [glo.id] : [], country: null, global: true }
}

function cityPlace(state: SeedState): Place {
  const [name, code, lon, lat] = state.rng.pick(state.cities)
  const country = state.lookups.countries.get(code)!
  const width = state.rng.logRange(0.03, 0.8)
  const height = width * state.rng.range(0.6, 1)
  const cx = lon + state.rng.range(-0.3, 0.3) * width
  const cy = lat + state.rng.range(-0.3, 0.3) * height
  const bbox = cleanBbox([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2])
  return { label: name, bbox, regionIds: withParent(state, country, 0.3), country: code, global: false }
}

function countryPartPlace(state: SeedState, country: RegionInfo): Place {
  const [x0, y0, x1, y1] = country.bbox
  const fx = state.rng.range(0.15, 0.6)
  const fy = state.rng.range(0.15, 0.6)
  const left = x0 + state.rng.next() * (x1 - x0) * (1 - fx)
  const bottom = y0 + state.rng.next() * (y1 - y0) * (1 - fy)
  const bbox = cleanBbox([left, bottom, left + (x1 - x0) * fx, bottom + (y1 - y0) * fy])
  const rx = ((bbox[0] + bbox[2]) / 2 - x0) / (x1 - x0) - 0.5
  const ry = ((bbox[1] + bbox[3]) / 2 - y0) / (y1 - y0) - 0.5
  const direction =
    Math.abs(rx) < 0.15 && Math.abs(ry) < 0.15
      ? DIRECTIONS.centre
      : Math.abs(ry) >= Math.abs(rx)
        ? ry > 0
          ? DIRECTIONS.north
          : DIRECTIONS.south
        : rx > 0
          ? DIRECTIONS.east
          : DIRECTIONS.west
  return { label: `${direction} ${country.name}`, bbox, regionIds: [country.id], country: country.code, global: false }
}

function countryPlace(state: SeedState, country: RegionInfo): Place {
  return { label: country.name, bbox: cleanBbox(country.bbox), regionIds: withParent(state, country, 0.4), country: country.code, global: false }
}

function regionPlace(state: SeedState): Place {
  const wide = state.wideRegions
  if (!wide.length) return globalPlace(state)
  const region = state.rng.pick(wide)
  return { label: region.name, bbox: cleanBbox(region.bbox), regionIds: [region.id], country: null, global: false }
}

function withParent(state: SeedState, country: RegionInfo, p: number): number[] {
  const parent = country.parentId === null ? undefined : state.lookups.regionById.get(country.parentId)
  return parent && state.rng.chance(p) ? [country.id, parent.id] : [country.id]
}
