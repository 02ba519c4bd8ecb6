import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  ANONYMOUS_GROUP,
  codenamesForLevel,
  levelOfCodenames,
  type PermissionLevel,
  REGISTERED_MEMBERS_GROUP,
  type StoreType
} from '../../src-shared/api/permissions'
import type { PermSpecDto } from '../../src-shared/api/dto'
import { client, messageOf } from '../api'

export interface GrantRow {
  kind: 'user' | 'group'
  name: string
  level: PermissionLevel
  /** What get_perms said; sent back unchanged unless the level was changed. */
  original: string[]
  changed: boolean
}

/** Who may do what on one resource: read with get_perms, replaced as a whole with set_perms. */
export const usePermissionsStore = defineStore('permissions', () => {
  const rows = ref<GrantRow[]>([])
  const state = ref<'idle' | 'loading' | 'loaded' | 'forbidden' | 'error'>('idle')
  const error = ref('')
  const saving = ref(false)
  const savedAt = ref<Date | null>(null)
  const owner = ref('')
  let target: { id: string; type: string; storeType: StoreType | null } | null = null

  function rowsOf(spec: PermSpecDto, type: string, storeType: StoreType | null): GrantRow[] {
    const make = (kind: 'user' | 'group', name: string, codenames: string[]): GrantRow => ({
      kind,
      name,
      level: levelOfCodenames(codenames, type, storeType),
      original: codenames,
      changed: false
    })
    const out = [
      ...Object.entries(spec.users).map(([n, c]) => make('user', n, c)),
      ...Object.entries(spec.groups).map(([n, c]) => make('group', n, c))
    ]
    // Anyone and registered members always get a row, so "none" can be chosen for them.
    for (const name of [ANONYMOUS_GROUP, REGISTERED_MEMBERS_GROUP]) if (!spec.groups[name]) out.push(make('group', name, []))
    return out
  }

  async function load(id: string, type: string, storeType: StoreType | null, ownerName: string): Promise<void> {
    target = { id, type, storeType }
    owner.value = ownerName
    state.value = 'loading'
    savedAt.value = null
    try {
      rows.value = rowsOf(await client.getPerms(id), type, storeType)
      state.value = 'loaded'
    } catch (e) {
      error.value = messageOf(e)
      state.value = /permission|credentials/i.test(error.value) ? 'forbidden' : 'error'
    }
  }

  function setLevel(row: GrantRow, level: PermissionLevel): void {
    row.level = level
    row.changed = true
  }

  function add(kind: 'user' | 'group', name: string, level: PermissionLevel): void {
    const existing = rows.value.find((r) => r.kind === kind && r.name === name)
    if (existing) return setLevel(existing, level)
    rows.value.push({ kind, name, level, original: [], changed: true })
  }

  async function save(): Promise<boolean> {
    if (!target) return false
    const t = target
    const codenames = (row: GrantRow) => (row.changed ? codenamesForLevel(row.level, t.type, t.storeType) : row.original)
    const spec: PermSpecDto = { users: {}, groups: {} }
    for (const row of rows.value) (row.kind === 'user' ? spec.users : spec.groups)[row.name] = codenames(row)
    saving.value = true
    error.value = ''
    try {
      await client.setPerms(t.id, spec)
      rows.value = rowsOf(await client.getPerms(t.id), t.type, t.storeType)
      savedAt.value = new Date()
      return true
    } catch (e) {
      error.value = messageOf(e)
      return false
    } finally {
      saving.value = false
    }
  }

  return { rows, state, error, saving, savedAt, owner, load, setLevel, add, save }
})
