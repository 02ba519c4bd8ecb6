import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { UserDto } from '../../src-shared/api/dto'
import { client, messageOf } from '../api'

const TOKEN_KEY = 'mapshelf.token'

/** Who is signed in. The token lives in memory and sessionStorage only (gone with the window). */
export const useSessionStore = defineStore('session', () => {
  const user = ref<UserDto | null>(null)
  const state = ref<'restoring' | 'ready'>('restoring')
  const signingIn = ref(false)
  const error = ref('')
  /** Bumped on every sign in or out, so views reload what the new caller may see. */
  const generation = ref(0)

  const isSuperuser = computed(() => Boolean(user.value?.is_superuser || user.value?.is_staff))
  const mayAdd = computed(() => Boolean(user.value?.perms.includes('add_resource')))

  async function loadUser(): Promise<void> {
    const info = await client.whoAmI()
    user.value = await client.user(Number(info.sub))
  }

  async function restore(): Promise<void> {
    const token = sessionStorage.getItem(TOKEN_KEY) ?? (window.mapshelf?.token || null)
    try {
      if (token) {
        client.setCredentials({ kind: 'bearer', token })
        await loadUser()
      }
    } catch {
      sessionStorage.removeItem(TOKEN_KEY)
      client.signOut()
      user.value = null
    } finally {
      state.value = 'ready'
    }
  }

  async function signIn(username: string, password: string): Promise<boolean> {
    signingIn.value = true
    error.value = ''
    try {
      // Holding the shell's token, the app's sign-ins are counted apart from anyone else's failures.
      if (window.mapshelf?.token) client.setCredentials({ kind: 'bearer', token: window.mapshelf.token })
      const token = await client.signIn(username, password)
      sessionStorage.setItem(TOKEN_KEY, token)
      await loadUser()
      generation.value++
      return true
    } catch (e) {
      client.signOut()
      error.value = /invalid_grant|Invalid credentials|invalid/i.test(messageOf(e)) ? 'Wrong username or password.' : messageOf(e)
      return false
    } finally {
      signingIn.value = false
    }
  }

  function signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY)
    client.signOut()
    user.value = null
    generation.value++
  }

  return { user, state, signingIn, error, generation, isSuperuser, mayAdd, restore, signIn, signOut }
})
