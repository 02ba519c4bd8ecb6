import { defineStore } from 'pinia'
import { ref } from 'vue'
import { client, messageOf } from '../api'

/** Catalogue counts by type for the status bar (what the current caller may see). */
export const useStatusStore = defineStore('status', () => {
  const counts = ref<{ name: string; count: number }[]>([])
  const state = ref<'loading' | 'loaded' | 'error'>('loading')
  const error = ref('')

  async function refresh(): Promise<void> {
    try {
      counts.value = (await client.resourceTypes()).resource_types
      state.value = 'loaded'
    } catch (e) {
      error.value = messageOf(e)
      state.value = 'error'
    }
  }

  return { counts, state, error, refresh }
})
