import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import { client, isAbort, messageOf } from '../api'
import { type CatalogueQuery, type FacetKey, FLAGS, type FlagKey, toApiQuery } from './catalogue-query'

export interface FacetValue {
  value: string
  label: string
  count: number
}

type Lookup = { count?: number; [key: string]: unknown }

/** Lookup lists and what each row means as a facet value. */
const LOOKUPS: { key: Exclude<FacetKey, 'type' | 'group'>; family: string; value: (row: Lookup) => string; label: (row: Lookup) => string }[] = [
  { key: 'category', family: 'categories', value: (r) => String(r.identifier), label: (r) => String(r.gn_description || r.identifier) },
  { key: 'keyword', family: 'keywords', value: (r) => String(r.slug), label: (r) => String(r.name) },
  { key: 'owner', family: 'owners', value: (r) => String(r.username), label: (r) => [r.first_name, r.last_name].filter(Boolean).join(' ') || String(r.username) },
  { key: 'region', family: 'regions', value: (r) => String(r.code), label: (r) => String(r.name) }
]

export const useCatalogueStore = defineStore('catalogue', () => {
  const items = ref<ResourceDto[]>([])
  const total = ref(0)
  const state = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')
  const error = ref('')
  const facets = ref<Record<FacetKey, FacetValue[]>>({ type: [], category: [], keyword: [], owner: [], group: [], region: [] })
  const flagCounts = ref<Record<FlagKey, number | null>>({ published: null, approved: null, featured: null })
  const facetState = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')
  let inFlight: AbortController | null = null

  async function load(query: CatalogueQuery): Promise<void> {
    inFlight?.abort()
    const controller = new AbortController()
    inFlight = controller
    state.value = 'loading'
    try {
      const page = await client.list('resources', toApiQuery(query), 'resources', controller.signal)
      items.value = page.items
      total.value = page.total
      state.value = 'loaded'
    } catch (e) {
      if (isAbort(e)) return
      // A page past the end (after a filter shrank the list) is an empty page, not an error.
      if (e instanceof ApiError && e.status === 404) {
        items.value = []
        state.value = 'loaded'
        return
      }
      error.value = messageOf(e)
      state.value = 'error'
    }
  }

  const byCount = (a: FacetValue, b: FacetValue) => b.count - a.count || a.label.localeCompare(b.label)

  /** Counts across the catalogue, from the lookup lists and `total` of filtered one-row pages. */
  let facetsFor = -1
  async function loadFacets(generation: number): Promise<void> {
    if (facetsFor === generation && facetState.value !== 'error') return
    facetsFor = generation
    facetState.value = 'loading'
    try {
      const [types, groups, ...lookups] = await Promise.all([
        client.resourceTypes(),
        client.list<{ title: string; group: { name: string } }>('groups', { page_size: 100 }),
        ...LOOKUPS.map((l) => client.list<Lookup>(l.family, { page_size: 1000 }))
      ])
      const next = { ...facets.value }
      next.type = types.resource_types.map((t) => ({ value: t.name, label: t.name, count: t.count })).filter((v) => v.count > 0)
      LOOKUPS.forEach((l, i) => {
        next[l.key] = lookups[i].items.map((row) => ({ value: l.value(row), label: l.label(row), count: row.count ?? 0 })).filter((v) => v.count > 0).sort(byCount)
      })
      const groupCounts = await Promise.all(
        groups.items.map((g) => client.list('resources', { page_size: 1, 'filter{group.name}': g.group.name, 'exclude[]': '*', 'include[]': 'pk' }).then((p) => p.total))
      )
      next.group = groups.items.map((g, i) => ({ value: g.group.name, label: g.title, count: groupCounts[i] })).filter((v) => v.count > 0).sort(byCount)
      facets.value = next
      const flagTotals = await Promise.all(
        (Object.keys(FLAGS) as FlagKey[]).map((k) => client.list('resources', { page_size: 1, [FLAGS[k].filter]: 'true', 'exclude[]': '*', 'include[]': 'pk' }).then((p) => p.total))
      )
      flagCounts.value = { published: flagTotals[0], approved: flagTotals[1], featured: flagTotals[2] }
      facetState.value = 'loaded'
    } catch (e) {
      error.value = messageOf(e)
      facetState.value = 'error'
    }
  }

  return { items, total, state, error, facets, flagCounts, facetState, load, loadFacets }
})
