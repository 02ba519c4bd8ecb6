import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { GroupProfileDto, UserDto } from '../../src-shared/api/dto'
import { client, fieldErrorsOf, messageOf } from '../api'

export interface AdminUser extends UserDto {
  email: string
  is_active: boolean
}

export type FormResult = { ok: true } | { ok: false; fields: Record<string, string[]>; message: string }

async function attempt(run: () => Promise<unknown>): Promise<FormResult> {
  try {
    await run()
    return { ok: true }
  } catch (e) {
    return { ok: false, fields: fieldErrorsOf(e), message: messageOf(e) }
  }
}

/** Users and groups administration (superusers and staff). */
export const useAdminStore = defineStore('admin', () => {
  const users = ref<AdminUser[]>([])
  const usersTotal = ref(0)
  const usersState = ref<'loading' | 'loaded' | 'error'>('loading')
  const groups = ref<GroupProfileDto[]>([])
  const groupsState = ref<'loading' | 'loaded' | 'error'>('loading')
  const error = ref('')

  async function loadUsers(search: string, page: number): Promise<void> {
    usersState.value = 'loading'
    try {
      const [list, extra] = await Promise.all([
        client.list<UserDto>('users', { page, page_size: 25, 'filter{username.icontains}': search || undefined, 'filter{-pk}': -1 }),
        client.mapstoreUsers().catch(() => [])
      ])
      const byName = new Map(extra.map((u) => [u.username, u]))
      users.value = list.items.map((u) => ({ ...u, email: byName.get(u.username)?.email ?? '', is_active: byName.get(u.username)?.is_active ?? true }))
      usersTotal.value = list.total
      usersState.value = 'loaded'
    } catch (e) {
      error.value = messageOf(e)
      usersState.value = 'error'
    }
  }

  const saveUser = (id: number | null, body: Record<string, unknown>) =>
    attempt(() => (id === null ? client.create('users', 'user', body) : client.patch('users', 'user', id, body)))
  const deleteUser = (id: number) => attempt(() => client.remove('users', id))

  async function loadGroups(): Promise<void> {
    groupsState.value = 'loading'
    try {
      groups.value = (await client.list<GroupProfileDto>('groups', { page_size: 200 })).items
      groupsState.value = 'loaded'
    } catch (e) {
      error.value = messageOf(e)
      groupsState.value = 'error'
    }
  }

  const saveGroup = (id: number | null, body: Record<string, unknown>) =>
    attempt(() => (id === null ? client.create('groups', 'group_profile', body) : client.patch('groups', 'group_profile', id, body)))
  const deleteGroup = (id: number) => attempt(() => client.remove('groups', id))
  const changeMembers = (id: number, role: 'members' | 'managers', username: string, change: 'add' | 'remove') =>
    attempt(() => client.changeGroupMembers(id, role, [username], change))

  return { users, usersTotal, usersState, groups, groupsState, error, loadUsers, saveUser, deleteUser, loadGroups, saveGroup, deleteGroup, changeMembers }
})
