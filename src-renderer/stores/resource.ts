import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import { client, fieldErrorsOf, messageOf } from '../api'

/** The type endpoint of a resource type and its envelope key (spec 1.4). */
export function familyOf(type: string): { family: string; singular: string } {
  switch (type) {
    case 'layer':
      return { family: 'layers', singular: 'layer' }
    case 'map':
      return { family: 'maps', singular: 'map' }
    case 'document':
      return { family: 'documents', singular: 'document' }
    case 'geoapp':
      return { family: 'geoapps', singular: 'geoapp' }
    case 'geostory':
      return { family: 'geostories', singular: 'geostory' }
    default:
      return { family: 'resources', singular: 'resource' }
  }
}

/** The resource page: one resource with its type's fields, its edits and its linked resources. */
export const useResourceStore = defineStore('resource', () => {
  const resource = ref<ResourceDto | null>(null)
  const state = ref<'loading' | 'loaded' | 'not-found' | 'error'>('loading')
  const error = ref('')
  const saving = ref(false)
  const saveError = ref('')
  const fieldErrors = ref<Record<string, string[]>>({})
  const savedAt = ref<Date | null>(null)
  const linked = ref<ResourceDto[]>([])
  const linkedState = ref<'idle' | 'loading' | 'loaded' | 'error'>('idle')

  async function load(id: string): Promise<void> {
    state.value = 'loading'
    resource.value = null
    fieldErrors.value = {}
    saveError.value = ''
    savedAt.value = null
    try {
      const base = await client.resource(id)
      const { family, singular } = familyOf(base.resource_type)
      resource.value = family === 'resources' ? base : await client.get<ResourceDto>(family, singular, id)
      state.value = 'loaded'
      void loadLinked()
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) state.value = 'not-found'
      else {
        error.value = messageOf(e)
        state.value = 'error'
      }
    }
  }

  async function loadLinked(): Promise<void> {
    const r = resource.value
    linked.value = []
    if (!r || (r.resource_type !== 'document' && r.resource_type !== 'map')) return void (linkedState.value = 'idle')
    linkedState.value = 'loading'
    try {
      linked.value = r.resource_type === 'document' ? (await client.linkedResources(r.pk, { page_size: 50 })).items : await client.mapLocalLayers(r.pk)
      linkedState.value = 'loaded'
    } catch {
      linkedState.value = 'error'
    }
  }

  /** PATCHes the changed fields; a 400 keeps the draft and files each message under its field. */
  async function save(changes: Record<string, unknown>): Promise<boolean> {
    const r = resource.value
    if (!r) return false
    saving.value = true
    saveError.value = ''
    fieldErrors.value = {}
    try {
      const { family, singular } = familyOf(r.resource_type)
      resource.value = await client.patch<ResourceDto>(family, singular, r.pk, changes)
      savedAt.value = new Date()
      return true
    } catch (e) {
      fieldErrors.value = fieldErrorsOf(e)
      saveError.value = Object.keys(fieldErrors.value).length ? 'Some fields need attention.' : messageOf(e)
      return false
    } finally {
      saving.value = false
    }
  }

  async function remove(): Promise<void> {
    const r = resource.value
    if (!r) return
    await client.remove('resources', r.pk)
  }

  return { resource, state, error, saving, saveError, fieldErrors, savedAt, linked, linkedState, load, save, remove }
})
