import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { Config } from '../config'
import type { Db } from '../db/database'
import { findTkeywordLabels } from '../db/repositories/resource-related.repository'
import { NotFound } from '../errors'
import { type FieldTable, orderBySql, orderTerms } from '../query/drest.kysely'
import type { DrestQuery } from '../query/drest.parse'
import { categoryTable, keywordTable, ownerTable, regionTable, tkeywordTable } from '../query/fields'
import type { Caller, SystemIds } from './caller'
import { pageOf } from './paging'
import { type UrlContext, absolute, applyFields } from './serializers/common'
import { tableConditions } from './users.service'
import type { UserService } from './users.service'
import { visibleResources } from './visibility'

export type LookupName = 'owners' | 'categories' | 'keywords' | 'regions' | 'tkeywords'

interface LookupSpec {
  table: FieldTable
  from: string
  order: string
  /** Count of visible resources per row, or null when the lookup has no count. */
  count: ((visible: RawBuilder<SqlBool>) => RawBuilder<unknown>) | null
  /** Restrict rows to those used by visible resources. */
  usedOnly: boolean
}

const LOOKUPS: Record<LookupName, LookupSpec> = {
  owners: {
    table: ownerTable,
    from: 'users x',
    order: 'username',
    count: (visible) => sql`(SELECT count(*) FROM resources r WHERE r.owner_id = x.id AND ${visible})`,
    usedOnly: true
  },
  categories: {
    table: categoryTable,
    from: 'topic_categories x',
    order: 'identifier',
    count: (visible) => sql`(SELECT count(*) FROM resources r WHERE r.category_id = x.id AND ${visible})`,
    usedOnly: false
  },
  keywords: {
    table: keywordTable,
    from: 'keywords x',
    order: 'name',
    count: (visible) =>
      sql`(SELECT count(*) FROM resource_keywords j JOIN resources r ON r.id = j.resource_id WHERE j.keyword_id = x.id AND ${visible})`,
    usedOnly: true
  },
  regions: {
    table: regionTable,
    from: 'regions x',
    order: 'name',
    count: (visible) =>
      sql`(SELECT count(*) FROM resource_regions j JOIN resources r ON r.id = j.resource_id WHERE j.region_id = x.id AND ${visible})`,
    usedOnly: false
  },
  tkeywords: { table: tkeywordTable, from: 'thesaurus_keywords x', order: 'name', count: null, usedOnly: false }
}

export type LookupService = ReturnType<typeof createLookupService>

export function createLookupService(deps: { db: Db; config: Config; system: SystemIds; url: UrlContext; users: UserService }) {
  const { db, config, system, url, users } = deps

  function visibleFor(caller: Caller, extra: { type?: string; titleContains?: string }): RawBuilder<SqlBool> {
    const parts: RawBuilder<unknown>[] = [visibleResources(caller, config, system, { allowChange: true, plan: 'set' })]
    if (extra.type) parts.push(sql`r.resource_type = ${extra.type}`)
    if (extra.titleContains) parts.push(sql`r.title LIKE ${`%${extra.titleContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`)
    return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`
  }

  async function rows(name: LookupName, keys: number[], counts: Map<number, number>) {
    if (keys.length === 0) return []
    if (name === 'owners') {
      const rendered = await users.renderUsers(keys)
      return rendered.map((u) => {
        const { is_superuser: _su, is_staff: _st, link, ...rest } = u
        return { ...rest, count: counts.get(u.pk) ?? 0, link }
      })
    }
    const table = name === 'tkeywords' ? 'thesaurus_keywords' : name === 'categories' ? 'topic_categories' : name
    const records = await db.selectFrom(table as 'keywords').selectAll().where('id', 'in', keys).execute()
    const byId = new Map(records.map((r: any) => [r.id, r]))
    if (name === 'tkeywords') {
      const thesauri = await db.selectFrom('thesauri').selectAll().execute()
      const labels = await findTkeywordLabels(db, keys)
      return keys.map((id) => {
        const k: any = byId.get(id)
        const t = thesauri.find((x) => x.id === k.thesaurus_id)
        return {
          name: k.alt_label,
          slug: k.slug,
          uri: k.about,
          thesaurus: { name: t?.title ?? '', slug: t?.identifier ?? '', uri: t?.uri ?? '' },
          i18n: labels.get(id) ?? {}
        }
      })
    }
    return keys.map((id) => {
      const { created: _c, last_updated: _l, version: _v, parent_id, ...columns } = byId.get(id) as any
      const row: Record<string, unknown> = name === 'regions' ? { ...columns, parent: parent_id } : { ...columns }
      if (name === 'categories') {
        row.is_choice = row.is_choice === 1
        row.description_en = row.description
        row.gn_description_en = row.gn_description
      }
      if (name === 'regions') row.name_en = row.name
      row.count = counts.get(id) ?? 0
      row.link = absolute(url, `api/v2/${name}/${id}`)
      return row
    })
  }

  async function list(name: LookupName, caller: Caller, query: DrestQuery, extra: { type?: string; titleContains?: string } = {}) {
    const spec = LOOKUPS[name]
    const visible = visibleFor(caller, extra)
    const conditions = tableConditions(spec.table, query)
    if (name === 'owners') conditions.push(sql<SqlBool>`x.id <> -1`)
    if (spec.usedOnly && spec.count) conditions.push(sql<SqlBool>`${spec.count(visible)} > 0`)
    const pkExpr = 'x.id'
    const orderBy = orderBySql(orderTerms(spec.table, query, [{ path: [spec.order], desc: false, raw: spec.order }], pkExpr))
    const page = await pageOf(db, { from: spec.from, key: pkExpr, conditions, orderBy }, query)
    const counts = new Map<number, number>()
    if (spec.count && page.keys.length > 0) {
      const result = await sql<{ id: number; n: number }>`SELECT x.id AS id, ${spec.count(visible)} AS n FROM ${sql.raw(spec.from)} WHERE x.id IN (${sql.join(page.keys)})`.execute(db)
      for (const row of result.rows) counts.set(row.id, row.n)
    }
    return { ...page, items: applyFields(await rows(name, page.keys, counts), query) }
  }

  async function get(name: LookupName, caller: Caller, id: number) {
    const spec = LOOKUPS[name]
    const exists = await sql<{ id: number }>`SELECT x.id AS id FROM ${sql.raw(spec.from)} WHERE x.id = ${id}`.execute(db)
    if (exists.rows.length === 0 || (name === 'owners' && id === -1)) throw new NotFound()
    const counts = new Map<number, number>()
    if (spec.count) {
      const result = await sql<{ n: number }>`SELECT ${spec.count(visibleFor(caller, {}))} AS n FROM ${sql.raw(spec.from)} WHERE x.id = ${id}`.execute(db)
      counts.set(id, result.rows[0]?.n ?? 0)
      if (spec.usedOnly && counts.get(id) === 0) throw new NotFound()
    }
    const [row] = await rows(name, [id], counts)
    return row
  }

  return { list, get }
}
