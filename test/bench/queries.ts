import Sqlite from 'better-sqlite3'
import { ANONYMOUS_GROUP, VIEW } from '../../src-shared/api/permissions'
import type { SeedFixtures } from '../../src-main/seed/seed'

export type CallerKind = 'anonymous' | 'plain user'

/** Values picked from the seeded catalogue so every query hits real, plentiful data. */
export interface QueryParams {
  searchWord: string
  keywordSlug: string
  categoryIdentifier: string
  detailId: number
  ownedId: number
  documentId: number
  /** minx,miny,maxx,maxy in degrees. */
  extent: string
  /** 500, or the last page of the anonymous listing when the catalogue is smaller. */
  deepPage: number
  /** The plain user's username (owner of ownedId). */
  plainUser: string
}

export interface BenchQuery {
  name: string
  path: string
  /** Expected status per caller; 200 unless stated. */
  expect?: Partial<Record<CallerKind, number>>
  note?: string
}

const PAGE_SIZE = 10
/** Western and central Europe, where many seeded places lie. */
const EUROPE = '-10,35,30,60'
const STOP_WORDS = new Set(['the', 'and', 'for', 'with', 'from', 'map', 'maps', 'view'])

function visibleToAnonymous(db: Sqlite.Database): number {
  const row = db
    .prepare(
      `SELECT count(DISTINCT p.resource_id) AS n FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
       WHERE g.name = ? AND p.codename = ?`
    )
    .get(ANONYMOUS_GROUP, VIEW) as { n: number }
  return row.n
}

/** The most frequent word (4+ letters, not a number or filler) across titles, counted once per title. */
function commonTitleWord(db: Sqlite.Database): string {
  const counts = new Map<string, number>()
  for (const { title } of db.prepare('SELECT title FROM resources').iterate() as Iterable<{ title: string }>) {
    const words = new Set(title.toLowerCase().match(/\p{L}{4,}/gu) ?? [])
    for (const word of words) if (!STOP_WORDS.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1)
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (!best) throw new Error('bench: the seeded catalogue has no titles to search')
  return best[0]
}

/** The first column of the first row of a "most used" query; the seed must have provided one. */
function mostUsed(db: Sqlite.Database, query: string, missing: string): string {
  const row = db.prepare(query).pluck().get() as string | undefined
  if (!row) throw new Error(`bench: the seeded catalogue has no ${missing}`)
  return row
}

const mostUsedKeyword = (db: Sqlite.Database) =>
  mostUsed(
    db,
    `SELECT k.slug FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id
     GROUP BY k.id ORDER BY count(*) DESC, k.slug LIMIT 1`,
    'keywords'
  )

const mostUsedCategory = (db: Sqlite.Database) =>
  mostUsed(
    db,
    `SELECT c.identifier FROM resources r JOIN topic_categories c ON c.id = r.category_id
     GROUP BY c.id ORDER BY count(*) DESC, c.identifier LIMIT 1`,
    'categorised resources'
  )

/** A public document with the most public linked resources (ties: the oldest), or the image fixture. */
function linkedDocument(db: Sqlite.Database, fallback: number): number {
  const row = db
    .prepare(
      `WITH public AS (SELECT p.resource_id FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
                       WHERE g.name = ? AND p.codename = ?)
       SELECT l.document_id AS id FROM document_links l
       WHERE l.document_id IN (SELECT resource_id FROM public) AND l.resource_id IN (SELECT resource_id FROM public)
       GROUP BY l.document_id ORDER BY count(*) DESC, l.document_id LIMIT 1`
    )
    .get(ANONYMOUS_GROUP, VIEW) as { id: number } | undefined
  return row?.id ?? fallback
}

/** Reads the seeded database (read-only) for the values the queries need. */
export function pickParams(databaseFile: string, fixtures: SeedFixtures): QueryParams {
  const db = new Sqlite(databaseFile, { readonly: true, fileMustExist: true })
  try {
    const lastPage = Math.max(1, Math.ceil(visibleToAnonymous(db) / PAGE_SIZE))
    return {
      searchWord: commonTitleWord(db),
      keywordSlug: mostUsedKeyword(db),
      categoryIdentifier: mostUsedCategory(db),
      detailId: fixtures.vectorLayerId,
      ownedId: fixtures.vectorLayerId,
      documentId: linkedDocument(db, fixtures.imageDocumentId),
      extent: EUROPE,
      deepPage: Math.min(500, lastPage),
      plainUser: fixtures.plainUser
    }
  } finally {
    db.close()
  }
}

function withQuery(path: string, pairs: [string, string][]): string {
  return `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`
}

/** The measured queries, in report order. */
export function benchQueries(p: QueryParams): BenchQuery[] {
  const list = '/api/v2/resources'
  return [
    { name: 'list page 1', path: list },
    { name: `list page ${p.deepPage}`, path: withQuery(list, [['page', String(p.deepPage)]]) },
    { name: `search "${p.searchWord}"`, path: withQuery(list, [['search', p.searchWord]]) },
    { name: `keyword ${p.keywordSlug}`, path: withQuery(list, [['filter{keywords.slug}', p.keywordSlug]]) },
    {
      name: `category ${p.categoryIdentifier}, sort -date`,
      path: withQuery(list, [['filter{category.identifier}', p.categoryIdentifier], ['sort[]', '-date']])
    },
    { name: `detail #${p.detailId}`, path: `${list}/${p.detailId}` },
    {
      name: `get_perms #${p.ownedId}`,
      path: `${list}/${p.ownedId}/get_perms`,
      expect: { anonymous: 403 },
      note: `#${p.ownedId} is owned by the plain user ${p.plainUser}; anonymous callers are refused with 403, measured anyway.`
    },
    { name: `linked_resources #${p.documentId}`, path: `/api/v2/documents/${p.documentId}/linked_resources` },
    { name: `bbox ${p.extent}`, path: withQuery(list, [['extent', p.extent]]) }
  ]
}

export function expectedStatus(query: BenchQuery, caller: CallerKind): number {
  return query.expect?.[caller] ?? 200
}
