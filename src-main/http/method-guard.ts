import type { RequestHandler } from 'express'
import { callerOf } from './auth'
import { MethodNotAllowed, NotAuthenticated } from '../errors'

/**
 * Answers methods a route does not serve. Permission runs before the method check (spec 1.8):
 * where writes need a signed-in user, an anonymous caller gets 403 and a signed-in one 405.
 */
export function methodNotAllowed(options: { writesNeedAuth: boolean }): RequestHandler {
  return (req, res) => {
    const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS'
    if (options.writesNeedAuth && !safe && !callerOf(res).authenticated) throw new NotAuthenticated()
    throw new MethodNotAllowed(req.method)
  }
}
