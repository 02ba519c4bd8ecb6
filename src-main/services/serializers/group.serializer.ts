import type { GroupProfileDto } from '../../../src-shared/api/dto'
import type { Db } from '../../db/database'
import { type UrlContext, absolute } from './common'

/** Renders group profiles in the order of `ids` with their keywords and categories. */
export async function renderGroups(ctx: UrlContext & { db: Db }, ids: number[]): Promise<GroupProfileDto[]> {
  if (ids.length === 0) return []
  const { db } = ctx
  const [rows, keywords, categories] = await Promise.all([
    db
      .selectFrom('group_profiles as gp')
      .innerJoin('auth_groups as g', 'g.id', 'gp.group_id')
      .select(['gp.id', 'gp.title', 'gp.slug', 'gp.logo', 'gp.description', 'gp.email', 'gp.access', 'g.id as group_pk', 'g.name as group_name'])
      .where('gp.id', 'in', ids)
      .execute(),
    db
      .selectFrom('group_profile_keywords as j')
      .innerJoin('keywords as k', 'k.id', 'j.keyword_id')
      .select(['j.group_profile_id', 'k.slug'])
      .where('j.group_profile_id', 'in', ids)
      .orderBy('k.slug')
      .execute(),
    db
      .selectFrom('group_profile_categories as j')
      .innerJoin('group_categories as c', 'c.id', 'j.category_id')
      .select(['j.group_profile_id', 'c.slug'])
      .where('j.group_profile_id', 'in', ids)
      .orderBy('c.slug')
      .execute()
  ])
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids
    .filter((id) => byId.has(id))
    .map((id) => {
      const row = byId.get(id) as (typeof rows)[number]
      return {
        pk: row.id,
        title: row.title,
        group: { pk: row.group_pk, name: row.group_name },
        slug: row.slug,
        logo: row.logo ? absolute(ctx, row.logo) : null,
        description: row.description,
        email: row.email,
        keywords: keywords.filter((k) => k.group_profile_id === id).map((k) => k.slug),
        access: row.access,
        categories: categories.filter((c) => c.group_profile_id === id).map((c) => c.slug),
        link: absolute(ctx, `api/v2/groups/${row.id}`)
      }
    })
}
