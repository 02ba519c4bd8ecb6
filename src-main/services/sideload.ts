import type { UserDto } from '../../src-shared/api/dto'
import type { DrestQuery } from '../query/drest.parse'

const USER_RELATIONS = ['owner', 'poc', 'metadata_author'] as const

/**
 * DREST sideloading (`sideloading=true` with `include[]=owner.*`): each named user relation is
 * replaced by the user's pk, and the users appear once each under a top-level `users` key.
 */
export function sideloadUsers<T extends Record<string, unknown>>(items: T[], query: Pick<DrestQuery, 'sideloading' | 'include'>) {
  const relations = USER_RELATIONS.filter((name) => query.include.some((inc) => inc === name || inc.startsWith(`${name}.`)))
  if (!query.sideloading || relations.length === 0) return { items, sideloaded: {} as Record<string, unknown[]> }
  const users = new Map<number, UserDto>()
  const flattened = items.map((item) => {
    const copy: Record<string, unknown> = { ...item }
    for (const name of relations) {
      const user = item[name] as UserDto | undefined
      if (!user) continue
      users.set(user.pk, user)
      copy[name] = user.pk
    }
    return copy as T
  })
  return { items: flattened, sideloaded: { users: [...users.values()].sort((a, b) => a.pk - b.pk) } }
}
