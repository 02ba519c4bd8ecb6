import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import { client } from '../api'

export const useCatalogueStore = defineStore('catalogue', () => {
  const items = ref<ResourceDto[]>([])
  const total = ref(0)
  const page = ref(1)
  const pageSize = 20
  const search = ref('')
  const type = ref('')
  const typeCounts = ref<{ name: string; count: number }[]>([])
  const state = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')
  const error = ref('')

  async function load(): Promise<void> {
    state.value = 'loading'
    try {
      const [result, types] = await Promise.all([
        client.list('resources', {
          page: page.value,
          page_size: pageSize,
          search: search.value || undefined,
          'filter{resource_type}': type.value || undefined
        }),
        client.resourceTypes()
      ])
      items.value = result.items
      total.value = result.total
      typeCounts.value = types.resource_types
      state.value = 'loaded'
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : String(e)
      state.value = 'error'
    }
  }

  function setQuery(next: { search?: string; type?: string; page?: number }): Promise<void> {
    if (next.search !== undefined) search.value = next.search
    if (next.type !== undefined) type.value = next.type
    page.value = next.page ?? 1
    return load()
  }

  return { items, total, page, pageSize, search, type, typeCounts, state, error, load, setQuery }
})
