/** The catalogue's reference data as the seed uses it: the keyword vocabulary it adds, and the rows it looks up. */
import type Sqlite from 'better-sqlite3'
import { ANONYMOUS_GROUP, CONTRIBUTORS_GROUP, REGISTERED_MEMBERS_GROUP } from '../../src-shared/api/permissions'
import { INSPIRE_THESAURUS, slugify } from '../db/reference-data'
import type { Bbox, SeedState } from './state'
import { KEYWORD_TREE } from './vocabulary'

export interface RegionInfo {
  id: number
  code: string
  name: string
  parentId: number | null
  level: number
  bbox: Bbox
}

export interface Lookups {
  anonymousGroupId: number
  contributorsGroupId: number
  registeredGroupId: number
  categories: Map<string, number>
  licenses: [number, number][]
  restrictionIds: number[]
  spatialTypes: Map<string, number>
  regions: RegionInfo[]
  countries: Map<string, RegionInfo>
  regionById: Map<number, RegionInfo>
  inspire: Map<string, number>
  inspireIds: number[]
  groupCategoryIds: number[]
}

const LICENSE_WEIGHTS: Record<string, number> = {
  not_specified: 35,
  'cc-by-4.0': 20,
  'cc-by-sa-4.0': 8,
  'odbl-1.0': 8,
  'cc0-1.0': 5,
  'cc-by-nc-4.0': 5
}

export function createKeywords(state: SeedState): void {
  const existingRoots = state.sqlite.prepare('SELECT count(*) AS n FROM keywords WHERE depth = 1').get() as { n: number }
  let rootCount = existingRoots.n
  for (const [root, children] of Object.entries(KEYWORD_TREE)) {
    const parent = ensureKeyword(state, root, () => treePath('', ++rootCount), 1)
    let childCount = parent.numchild
    for (const child of children) {
      const slug = slugify(child)
      if (state.keywordIds.has(slug)) continue
      ensureKeyword(state, child, () => treePath(parent.path, ++childCount), 2)
    }
    state.st.keywordChildren.run(childCount, parent.id, childCount)
  }
}

function ensureKeyword(state: SeedState, name: string, path: () => string, depth: number): { id: number; path: string; numchild: number } {
  const slug = slugify(name)
  const found = state.st.findKeyword.get(slug) as { id: number; path: string; numchild: number } | undefined
  if (found) {
    state.keywordIds.set(slug, found.id)
    return found
  }
  const newPath = path()
  const id = Number(state.st.keyword.run(name, slug, newPath, depth).lastInsertRowid)
  state.keywordIds.set(slug, id)
  state.summary.keywords++
  return { id, path: newPath, numchild: 0 }
}

function treePath(parent: string, index: number): string {
  return parent + index.toString(36).toUpperCase().padStart(4, '0')
}

export function loadLookups(sqlite: Sqlite.Database): Lookups {
  const groupId = (name: string): number => {
    const row = sqlite.prepare('SELECT id FROM auth_groups WHERE name = ?').get(name) as { id: number } | undefined
    if (!row) throw new Error(`seedCatalogue: system group "${name}" is missing; run the bootstrap first`)
    return row.id
  }
  const codes = (table: string) => sqlite.prepare(`SELECT id, identifier FROM ${table} ORDER BY id`).all() as { id: number; identifier: string }[]
  const regions = loadRegions(sqlite)
  const regionById = new Map(regions.map((r) => [r.id, r]))
  const parents = new Set(regions.map((r) => r.parentId))
  const countries = new Map(regions.filter((r) => r.parentId !== null && !parents.has(r.id)).map((r) => [r.code, r]))
  const inspireRows = sqlite
    .prepare('SELECT k.id, k.alt_label FROM thesaurus_keywords k JOIN thesauri t ON t.id = k.thesaurus_id WHERE t.identifier = ? ORDER BY k.id')
    .all(INSPIRE_THESAURUS.identifier) as { id: number; alt_label: string }[]
  return {
    anonymousGroupId: groupId(ANONYMOUS_GROUP),
    contributorsGroupId: groupId(CONTRIBUTORS_GROUP),
    registeredGroupId: groupId(REGISTERED_MEMBERS_GROUP),
    categories: new Map(codes('topic_categories').map((r) => [r.identifier, r.id])),
    licenses: codes('licenses').map((r) => [r.id, LICENSE_WEIGHTS[r.identifier] ?? 2]),
    restrictionIds: codes('restriction_code_types').map((r) => r.id),
    spatialTypes: new Map(codes('spatial_representation_types').map((r) => [r.identifier, r.id])),
    regions,
    countries,
    regionById,
    inspire: new Map(inspireRows.map((r) => [r.alt_label, r.id])),
    inspireIds: inspireRows.map((r) => r.id),
    groupCategoryIds: (sqlite.prepare('SELECT id FROM group_categories ORDER BY id').all() as { id: number }[]).map((r) => r.id)
  }
}

function loadRegions(sqlite: Sqlite.Database): RegionInfo[] {
  type Row = { id: number; code: string; name: string; parent_id: number | null; level: number } & Record<`bbox_${'x' | 'y'}${0 | 1}`, number>
  const rows = sqlite
    .prepare('SELECT id, code, name, parent_id, level, bbox_x0, bbox_y0, bbox_x1, bbox_y1 FROM regions WHERE bbox_x0 IS NOT NULL ORDER BY id')
    .all() as Row[]
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    parentId: r.parent_id,
    level: r.level,
    bbox: [r.bbox_x0, r.bbox_y0, r.bbox_x1, r.bbox_y1]
  }))
}
