import { type RawBuilder, sql } from 'kysely'

/** Tables whose ids are never reused (the resource_ids and ids_never_reused migrations). */
export type SequencedTable = 'resources' | 'users' | 'auth_groups' | 'group_profiles' | 'uploads' | 'upload_files' | 'map_layers' | 'layer_attributes'

/**
 * The id of a new row of `table`: past the highest it ever used, where SQLite would hand out a
 * deleted row's id again. In an insert of several rows, the row at index `nth` (from 0) takes
 * `nextId(table, nth)`; a trigger moves the counter past every id inserted.
 *
 * @example trx.insertInto('users').values({ id: nextId('users'), uuid, username, ... })
 * @example trx.insertInto('layer_attributes').values(rows.map((row, i) => ({ id: nextId('layer_attributes', i), ...row })))
 */
export function nextId(table: SequencedTable, nth = 0): RawBuilder<number> {
  return sql<number>`(SELECT value + ${nth + 1} FROM id_sequences WHERE name = ${table})`
}
