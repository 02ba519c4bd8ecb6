import type { Clock } from '../clock'
import type { Db } from '../db/database'
import { ApiError, PermissionDenied } from '../errors'
import type { Caller } from './caller'
import type { ResourceService } from './resources.service'

export type FavoriteService = ReturnType<typeof createFavoriteService>

/** POST/DELETE /resources/{id}/favorite with GeoNode's messages (spec 7, item 16; "Successfuly" sic). */
export function createFavoriteService(deps: { db: Db; clock: Clock; resources: ResourceService }) {
  const { db, clock, resources } = deps

  async function held(caller: Caller, id: number): Promise<boolean> {
    const row = await db.selectFrom('favorites').select('resource_id').where('user_id', '=', caller.userId).where('resource_id', '=', id).executeTakeFirst()
    return row !== undefined
  }

  return {
    async add(caller: Caller, id: number): Promise<{ message: string }> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      await resources.findVisibleId('resources', caller, id)
      const now = clock.now()
      const inserted = await db
        .insertInto('favorites')
        .values({ user_id: caller.userId, resource_id: id, created: now, last_updated: now })
        .onConflict((c) => c.doNothing())
        .executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        throw new ApiError(400, { message: 'Resource is already in favorites' }, 'already_favorite')
      }
      return { message: 'Successfuly added resource to favorites' }
    },

    async remove(caller: Caller, id: number): Promise<{ message: string }> {
      if (!caller.authenticated) throw new PermissionDenied('Authentication credentials were not provided.')
      if (!(await held(caller, id))) throw new ApiError(404, { message: 'Resource not in favorites' }, 'not_favorite')
      await db.deleteFrom('favorites').where('user_id', '=', caller.userId).where('resource_id', '=', id).execute()
      return { message: 'Successfuly removed resource from favorites' }
    }
  }
}
