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
 * Who is asking for a password check, as far as the sign-in throttle needs to tell parties apart:
 * failures count per account and party, so that a lock-out made by one party does not stop
 * another. A desktop server sees every client as 127.0.0.1, so the address tells nothing; what
 * does:
 * - `holder:<user id>`: the request already carries a bearer token or session of this catalogue
 *   (the desktop app's renderer signs in holding the token the shell handed it). Only a party
 *   that holds a credential of that user gets here, so nobody else can lock it.
 * - `other-origin`: a browser sent it from a page of another origin (a foreign or `null`
 *   Origin, or Sec-Fetch-Site saying so): a cross-site form or script. A page cannot forge these
 *   headers, so its failures never lock out the app or local clients.
 * - `same-origin`: a page served by this server (the GUI in a browser) without a credential.
 * - `direct`: no browser headers at all: scripts and desktop clients (QGIS, curl, sync).
 * Guessing stays slow on every path: each party gets MAX_FAILURES tries per window per account,
 * and a party of its own only comes with a credential of the catalogue.
 */
export function signInParty(req: Request, caller: Caller): string {
  if (caller.authenticated && (caller.via === 'bearer' || caller.via === 'session')) return `holder:${caller.userId}`
  const origin = req.get('origin')
  if (origin !== undefined) return origin.toLowerCase() === `${req.protocol}://${req.get('host') ?? ''}`.toLowerCase() ? 'same-origin' : 'other-origin'
  const site = req.get('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'other-origin'
  return 'direct'
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
      res.locals.caller = await auth.basic(decoded.slice(0, at), decoded.slice(at + 1), signInParty(req, res.locals.caller))
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
