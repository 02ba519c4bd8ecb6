import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AuthService } from '../services/auth.service'
import { type Caller, type SystemIds, anonymousCaller } from '../services/caller'
import { NotAuthenticated } from '../errors'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {}
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at < 1) continue
    const name = part.slice(0, at).trim()
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim())
    } catch {
      cookies[name] = part.slice(at + 1).trim()
    }
  }
  return cookies
}

/** The caller resolved by `authenticate`; anonymous when nothing was sent. */
export function callerOf(res: Response): Caller {
  return res.locals.caller as Caller
}

/**
 * Session, Basic, then Bearer (GeoNode's order). A bad Basic password is a 403; an unknown bearer
 * token is ignored (the caller stays anonymous); a session write needs the CSRF header.
 */
export function authenticate(auth: AuthService, system: SystemIds): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    res.locals.caller = anonymousCaller(system)
    const header = req.headers.authorization ?? ''
    const [scheme, value = ''] = header.split(/\s+/, 2)
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const at = decoded.indexOf(':')
      if (at < 0) throw new NotAuthenticated('Invalid basic header. No credentials provided.')
      res.locals.caller = await auth.basic(decoded.slice(0, at), decoded.slice(at + 1))
      return next()
    }
    // oauthlib also takes the token from the query string or a form body.
    const formToken = req.is('application/x-www-form-urlencoded') && typeof req.body?.access_token === 'string' ? req.body.access_token : undefined
    const queryToken = typeof req.query.access_token === 'string' ? req.query.access_token : formToken
    const bearer = /^bearer$/i.test(scheme) ? value.trim() : queryToken
    if (bearer) {
      const found = await auth.bearer(bearer)
      if (found) {
        res.locals.caller = found.caller
        res.locals.scope = found.scope
      }
      return next()
    }
    const cookies = parseCookies(req.headers.cookie)
    if (cookies.sessionid) {
      const found = await auth.session(cookies.sessionid)
      if (found) {
        if (!SAFE_METHODS.has(req.method)) {
          const sent = req.get('x-csrftoken') ?? ''
          if (!sent || sent !== found.csrf) throw new NotAuthenticated('CSRF Failed: CSRF token missing or incorrect.')
        }
        res.locals.caller = found.caller
      }
    }
    next()
  }
}
