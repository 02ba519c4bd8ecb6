import type { RequestHandler } from 'express'
import type { Db } from '../db/database'
import { changeGeneration } from '../db/repositories/listing.repository'
import { callerOf } from './auth'

export interface ResponseCacheOptions {
  maxBytes: number
}

interface Entry {
  generation: number
  body: string
}

/**
 * Remembers successful GET bodies of /api/v2 per caller, Host and URL until the change log moves
 * on: every write to the catalogue adds a change row, so an entry can never outlive the data it
 * shows. Responses depend only on the data, the caller and the request, never on the time.
 */
export function responseCache(db: Db, options: ResponseCacheOptions): RequestHandler {
  const entries = new Map<string, Entry>()
  let bytes = 0

  function remember(key: string, entry: Entry): void {
    const old = entries.get(key)
    if (old) {
      bytes -= old.body.length
      entries.delete(key)
    }
    if (entry.body.length > options.maxBytes / 4) return
    entries.set(key, entry)
    bytes += entry.body.length
    while (bytes > options.maxBytes) {
      const [oldest, value] = entries.entries().next().value as [string, Entry]
      entries.delete(oldest)
      bytes -= value.body.length
    }
  }

  return async (req, res, next) => {
    if (req.method !== 'GET') return next()
    const caller = callerOf(res)
    const key = `${caller.userId}\u0000${req.headers.host ?? ''}\u0000${req.originalUrl}`
    const generation = await changeGeneration(db)
    const hit = entries.get(key)
    if (hit && hit.generation === generation) {
      entries.delete(key)
      entries.set(key, hit)
      res.type('application/json').send(hit.body)
      return
    }
    const json = res.json.bind(res)
    res.json = (body: unknown) => {
      if (res.statusCode !== 200) return json(body)
      const text = JSON.stringify(body)
      remember(key, { generation, body: text })
      return res.type('application/json').send(text)
    }
    next()
  }
}
