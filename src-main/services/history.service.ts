import type { HistoryEntry } from '../../src-shared/api/mapshelf'
import type { Db } from '../db/database'
import type { Caller } from './caller'
import type { ResourceService } from './resources.service'

/** What a change-log row means to a user reading a resource's history. */
const SUBJECTS: Record<string, string> = {
  resources: 'metadata',
  layers: 'layer settings',
  maps: 'map settings',
  documents: 'document',
  geoapps: 'app data',
  resource_keywords: 'keywords',
  resource_tkeywords: 'thesaurus keywords',
  resource_regions: 'regions',
  resource_user_perms: 'permissions',
  resource_group_perms: 'permissions',
  document_links: 'linked resources',
  // Written by the feature-write service: a layer's features were inserted, changed or deleted.
  layer_features: 'features'
}
const BY_ID = ['resources', 'layers', 'maps', 'documents', 'geoapps', 'layer_features']
const BY_PREFIX = ['resource_keywords', 'resource_tkeywords', 'resource_regions', 'resource_user_perms', 'resource_group_perms', 'document_links']


export type HistoryService = ReturnType<typeof createHistoryService>

/**
 * A resource's history read from the change log: one entry per logged row change (its metadata
 * row, its type's row, its keyword, region, permission and link rows), newest first. Consecutive
 * rows of one subject written in the same instant (one save) are folded into one entry, which is a
 * creation or deletion when the save created or deleted the row.
 */
export function createHistoryService(deps: { db: Db; resources: ResourceService }) {
  const { db, resources } = deps
  return {
    async history(caller: Caller, id: number, limit = 200): Promise<HistoryEntry[]> {
      await resources.findVisibleId('resources', caller, id)
      const key = String(id)
      // Only this resource's life: ids of resources deleted before the counter existed may recur.
      const { uuid } = await db.selectFrom('resources').select('uuid').where('id', '=', id).executeTakeFirstOrThrow()
      const born = await db
        .selectFrom('changes')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('table_name', '=', 'resources')
        .where('row_key', '=', key)
        .where('row_uuid', '=', uuid)
        .executeTakeFirst()
      // Composite keys start with the resource id: a range on the (table_name, row_key) index.
      const rows = await db
        .selectFrom('changes')
        .select(['seq', 'changed_at', 'table_name', 'op', 'row_version'])
        .where((eb) =>
          eb.or([
            eb.and([eb('table_name', 'in', BY_ID), eb('row_key', '=', key)]),
            eb.and([eb('table_name', 'in', BY_PREFIX), eb('row_key', '>=', `${key}:`), eb('row_key', '<', `${key};`)])
          ])
        )
        .where('seq', '>=', born?.seq ?? 0)
        .orderBy('seq', 'desc')
        .limit(limit * 4)
        .execute()
      const out: HistoryEntry[] = []
      for (const row of rows) {
        const subject = SUBJECTS[row.table_name] ?? row.table_name
        const previous = out[out.length - 1]
        if (previous && previous.subject === subject && previous.at === row.changed_at) {
          // One save: a creation or deletion in it is what the entry is about.
          if (row.op !== 'update') previous.op = row.op
          continue
        }
        out.push({ seq: row.seq, at: row.changed_at, subject, op: row.op, version: row.row_version })
        if (out.length >= limit) break
      }
      return out
    }
  }
}
