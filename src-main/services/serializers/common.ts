import { createHash } from 'node:crypto'
import { decodeHTML } from 'entities'
import type { UserDto } from '../../../src-shared/api/dto'
import type { UserRow } from '../../db/schema'

/** Absolute URLs are built from the configured site URL, which always ends with `/`. */
export interface UrlContext {
  siteUrl: string
}

export function absolute(ctx: UrlContext, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path
  return ctx.siteUrl + path.replace(/^\//, '')
}

/**
 * GeoNode's `raw_*` rendering: tags stripped, entities decoded, `\n` as space, `\r` dropped, trimmed.
 * A null source renders as the string "None" (Python's str(None)).
 */
export function rawText(value: string | null): string {
  if (value === null) return 'None'
  return decodeHTML(value.replace(/<[^>]*>/g, ''))
    .replace(/\r/g, '')
    .replace(/\n/g, ' ')
    .trim()
}

export function avatarUrl(ctx: UrlContext, user: Pick<UserRow, 'avatar' | 'email' | 'username'>): string {
  if (user.avatar) return absolute(ctx, user.avatar)
  const email = user.email.trim().toLowerCase()
  if (email) return `https://www.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}/?s=240`
  return absolute(ctx, 'static/mapshelf/img/avatar.svg')
}

/** The embedded user object (spec 3.8); `canAddResource` is the global `add_resource` capability. */
export function userDto(ctx: UrlContext, user: UserRow, canAddResource: boolean): UserDto {
  return {
    pk: user.id,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    avatar: avatarUrl(ctx, user),
    perms: canAddResource ? ['add_resource'] : [],
    is_superuser: user.is_superuser === 1,
    is_staff: user.is_staff === 1,
    link: absolute(ctx, `api/v2/users/${user.id}`)
  }
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}

/** include[] / exclude[] on rendered objects: `exclude[]=*` drops all, include[] adds back. */
export function applyFields<T extends object>(items: T[], query: { include: string[]; exclude: string[] }): T[] {
  if (query.exclude.length === 0) return items
  const keep = new Set(query.include.map((n) => n.split('.')[0]))
  const dropAll = query.exclude.includes('*')
  const drop = new Set(query.exclude.map((n) => n.split('.')[0]).filter((n) => !keep.has(n)))
  return items.map(
    (item) => Object.fromEntries(Object.entries(item).filter(([k]) => (dropAll ? keep.has(k) : !drop.has(k)))) as T
  )
}
