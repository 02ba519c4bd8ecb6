import type { Db } from '../db/database'
import { type ListingSpec, countListing, pageOfKeys } from '../db/repositories/listing.repository'
import { NotFound } from '../errors'

export interface PageRequest {
  page: number
  pageSize: number
}

export interface Page<K> {
  keys: K[]
  total: number
  page: number
  hasNext: boolean
}

/** One page of a listing; a page past the end (or below 1) is 404 "Invalid page." as in GeoNode. */
export async function pageOf<K = number>(db: Db, spec: ListingSpec, request: PageRequest): Promise<Page<K>> {
  const total = await countListing(db, spec)
  const offset = (request.page - 1) * request.pageSize
  if (request.page < 1 || (request.page > 1 && offset >= total)) throw new NotFound('Invalid page.')
  const keys = total === 0 ? [] : await pageOfKeys<K>(db, spec, request.pageSize, offset)
  return { keys, total, page: request.page, hasNext: offset + keys.length < total }
}
