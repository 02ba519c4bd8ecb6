import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../clock'
import type { Config } from '../config'
import type { Db } from '../db/database'
import type { UserRow } from '../db/schema'
import * as tokens from '../db/repositories/token.repository'
import { findMemberships, findUserById, findUserByUsername } from '../db/repositories/user.repository'
import { SignInThrottle } from './sign-in-throttle'
import { NotAuthenticated } from '../errors'
import type { Caller, SystemIds } from './caller'
import { oidcSigner } from './oidc'
import { verifyPassword } from './passwords'

export interface TokenGrant {
  access_token: string
  expires_in: number
  token_type: 'Bearer'
  scope: string
  refresh_token: string
  /** OpenID Connect: present when the scope includes `openid`. */
  id_token?: string
}

export class GrantError extends Error {
  constructor(
    readonly error: string,
    readonly description?: string
  ) {
    super(description ?? error)
  }
}

const BASIC_CACHE_TTL_MS = 60_000
const BASIC_CACHE_MAX = 1000
const BEARER_CACHE_MAX = 5000
/**
 * A refresh token works for this long after it was issued (or for the access token's lifetime, if
 * longer); each refresh issues a new one. Long enough that a desktop client used monthly keeps
 * its sign-in, short enough that a leaked one dies on its own.
 */
export const REFRESH_LIFETIME_MS = 30 * 24 * 3600_000
/** Expired tokens are deleted at start and when tokens are issued, at most this often. */
const CLEAN_UP_EVERY_MS = 60_000

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')
const randomToken = () => randomBytes(24).toString('base64url')
/** An instant in the format of the rows' `created` (and of Clock.now()), microseconds included. */
const createdFormat = (epochMs: number) => `${new Date(epochMs).toISOString().slice(0, 23)}000Z`

export type AuthService = ReturnType<typeof createAuthService>

export function createAuthService(deps: { db: Db; clock: Clock; config: Config; system: SystemIds; issuer: string }) {
  const { db, clock, config, system, issuer } = deps
  const signer = oidcSigner(config.dataDir)
  // Verified Basic credentials -> the password hash they matched. A slow hash per request would
  // cap throughput; the entry only counts while the stored hash is unchanged.
  const basicCache = new Map<string, { hash: string; expires: number }>()
  const throttle = new SignInThrottle(() => clock.epochMs())
  // Verified Basic credentials -> the caller they resolved to, while the auth generation stands still.
  const basicCallers = new Map<string, { caller: Caller; generation: number; expires: number }>()

  // Resolved bearer tokens, valid while no user, group, membership or token changes (the auth
  // generation stands still) and the token has not expired. Catalogue writes do not retire them.
  const bearerCache = new Map<string, { caller: Caller; scope: string; expires: number; generation: number }>()

  async function callerFor(user: UserRow, via: Caller['via'], credential?: string): Promise<Caller> {
    const memberships = await findMemberships(db, user.id)
    return {
      userId: user.id,
      username: user.username,
      authenticated: true,
      superuser: user.is_superuser === 1,
      staff: user.is_staff === 1,
      groupIds: [system.anonymousGroupId, ...memberships.map((m) => m.group_id)],
      managedGroupIds: memberships.filter((m) => m.role === 'manager').map((m) => m.group_id),
      registeredMember: memberships.some((m) => m.group_id === system.registeredMembersGroupId),
      via,
      credential,
      user
    }
  }

  /**
   * The user whose password this is, or undefined. Failures count per account and party (who is
   * asking, see `signInParty` in http/auth.ts), and only for accounts that exist: a password tried
   * on no one guesses nothing, and made-up names cannot fill the throttle's table.
   */
  async function checkPassword(username: string, password: string, party: string): Promise<UserRow | undefined> {
    const user = await findUserByUsername(db, username)
    if (!user || user.id === -1 || !user.password_hash) return undefined
    const throttleKey = `${user.id}\0${party}`
    throttle.assertAllowed(throttleKey)
    const key = sha256(`${username}\0${password}`)
    const cached = basicCache.get(key)
    if (cached && cached.hash === user.password_hash && cached.expires > clock.epochMs()) return user
    if (!verifyPassword(password, user.password_hash)) {
      throttle.failed(throttleKey)
      return undefined
    }
    throttle.succeeded(throttleKey)
    if (basicCache.size >= BASIC_CACHE_MAX) basicCache.delete(basicCache.keys().next().value as string)
    basicCache.set(key, { hash: user.password_hash, expires: clock.epochMs() + BASIC_CACHE_TTL_MS })
    return user
  }

  const refreshLifetimeMs = Math.max(REFRESH_LIFETIME_MS, config.tokenLifetimeSeconds * 1000)
  /** `created` of the oldest refresh token still valid. */
  const refreshIssuedAfter = () => createdFormat(clock.epochMs() - refreshLifetimeMs)

  let cleanedUpAt = Number.NEGATIVE_INFINITY
  async function cleanUp(): Promise<void> {
    const now = clock.epochMs()
    if (now - cleanedUpAt < CLEAN_UP_EVERY_MS) return
    await tokens.deleteExpiredTokens(db, new Date(now).toISOString(), refreshIssuedAfter())
    cleanedUpAt = now
  }
  // At start; a failure here is tried again at the next issue.
  void cleanUp().catch(() => undefined)

  /** A bearer token (with a refresh token when the caller will hand one out) or a session. */
  async function issue(userId: number, kind: 'bearer' | 'session', scope: string, withRefresh = kind === 'bearer') {
    await cleanUp()
    const token = randomToken()
    const refresh = withRefresh ? randomToken() : null
    const csrf = kind === 'session' ? randomToken() : null
    const expires = new Date(clock.epochMs() + config.tokenLifetimeSeconds * 1000).toISOString()
    await tokens.insertToken(db, {
      token_hash: tokens.tokenHash(token),
      refresh_hash: refresh ? tokens.tokenHash(refresh) : null,
      user_id: userId,
      kind,
      scope,
      csrf_token: csrf,
      expires,
      created: clock.now()
    })
    return { token, refresh, csrf }
  }

  async function activeUserForToken(record: tokens.TokenRecord | undefined): Promise<UserRow | undefined> {
    if (!record || record.expires < new Date(clock.epochMs()).toISOString()) return undefined
    const user = await findUserById(db, record.user_id)
    return user && user.is_active === 1 ? user : undefined
  }

  return {
    /** HTTP Basic: bad credentials and inactive users are 403, as on GeoNode (spec 1.2). */
    async basic(username: string, password: string, party: string): Promise<Caller> {
      const key = sha256(`${username}\0${password}`)
      const generation = await tokens.findAuthGeneration(db)
      const resolved = basicCallers.get(key)
      if (resolved && resolved.generation === generation && resolved.expires > clock.epochMs()) return resolved.caller
      const user = await checkPassword(username, password, party)
      if (!user) throw new NotAuthenticated('Invalid username/password.')
      if (user.is_active !== 1) throw new NotAuthenticated('User inactive or deleted.')
      const caller = await callerFor(user, 'basic')
      if (basicCallers.size >= BASIC_CACHE_MAX) basicCallers.delete(basicCallers.keys().next().value as string)
      basicCallers.set(key, { caller, generation, expires: clock.epochMs() + BASIC_CACHE_TTL_MS })
      return caller
    },

    /** A bearer token; an unknown or expired one is simply not accepted (undefined). */
    async bearer(token: string): Promise<{ caller: Caller; scope: string; expiresInMs: number } | undefined> {
      const hash = tokens.tokenHash(token)
      const generation = await tokens.findAuthGeneration(db)
      const cached = bearerCache.get(hash)
      if (cached && cached.generation === generation && cached.expires > clock.epochMs()) {
        return { caller: cached.caller, scope: cached.scope, expiresInMs: cached.expires - clock.epochMs() }
      }
      const record = await tokens.findTokenByHash(db, hash)
      if (!record || record.kind !== 'bearer') return undefined
      const user = await activeUserForToken(record)
      if (!user) return undefined
      const expires = Date.parse(record.expires)
      const caller = await callerFor(user, 'bearer', token)
      if (bearerCache.size >= BEARER_CACHE_MAX) bearerCache.delete(bearerCache.keys().next().value as string)
      bearerCache.set(hash, { caller, scope: record.scope, expires, generation })
      return { caller, scope: record.scope, expiresInMs: expires - clock.epochMs() }
    },

    async session(sessionId: string): Promise<{ caller: Caller; csrf: string } | undefined> {
      const record = await tokens.findTokenByHash(db, tokens.tokenHash(sessionId))
      if (!record || record.kind !== 'session') return undefined
      const user = await activeUserForToken(record)
      return user ? { caller: await callerFor(user, 'session', sessionId), csrf: record.csrf_token ?? '' } : undefined
    },

    /** Signs a user in for a browser session (cookie `sessionid` plus a CSRF token). */
    async login(username: string, password: string, party: string): Promise<{ sessionId: string; csrf: string; caller: Caller }> {
      const user = await checkPassword(username, password, party)
      if (!user || user.is_active !== 1) throw new NotAuthenticated('Invalid username/password.')
      const { token, csrf } = await issue(user.id, 'session', 'read write')
      return { sessionId: token, csrf: csrf as string, caller: await callerFor(user, 'session', token) }
    },

    /** A session for a known user, as the desktop shell hands one to its renderer. */
    async sessionFor(userId: number): Promise<{ sessionId: string; csrf: string }> {
      const { token, csrf } = await issue(userId, 'session', 'read write')
      return { sessionId: token, csrf: csrf as string }
    },

    async logout(credential: string): Promise<void> {
      bearerCache.delete(tokens.tokenHash(credential))
      const record = await tokens.findTokenByHash(db, tokens.tokenHash(credential))
      if (record) await tokens.deleteToken(db, record.id)
    },

    async passwordGrant(username: string | undefined, password: string | undefined, scope: string | undefined, party: string, clientId?: string): Promise<TokenGrant> {
      if (!username) throw new GrantError('invalid_request', 'Request is missing username parameter.')
      if (!password) throw new GrantError('invalid_request', 'Request is missing password parameter.')
      const user = await checkPassword(username, password, party)
      if (!user || user.is_active !== 1) throw new GrantError('invalid_grant', 'Invalid credentials given.')
      return grant(user, scope?.trim() || 'read write', clientId)
    },

    async refreshGrant(refreshToken: string | undefined, clientId?: string): Promise<TokenGrant> {
      if (!refreshToken) throw new GrantError('invalid_request', 'Request is missing refresh_token parameter.')
      const record = await tokens.findTokenByRefreshHash(db, tokens.tokenHash(refreshToken))
      const user = record && (await findUserById(db, record.user_id))
      if (!record || !user || user.is_active !== 1 || record.created < refreshIssuedAfter()) throw new GrantError('invalid_grant')
      await tokens.deleteToken(db, record.id)
      // The refreshed access token is only known by its row here, not by its hash: forget them all.
      bearerCache.clear()
      return grant(user, record.scope, clientId)
    },

    /**
     * A token for a user who is already authenticated (user info answers with one; the desktop
     * shell hands one to its renderer). No refresh token: nobody would receive it.
     */
    async tokenFor(userId: number): Promise<string> {
      return (await issue(userId, 'bearer', 'read write', false)).token
    },

    callerFor,
    issuer,
    jwks: () => signer.jwks()
  }

  async function grant(user: UserRow, scope: string, clientId = 'mapshelf'): Promise<TokenGrant> {
    const { token, refresh } = await issue(user.id, 'bearer', scope)
    const result: TokenGrant = {
      access_token: token,
      expires_in: config.tokenLifetimeSeconds,
      token_type: 'Bearer',
      scope,
      refresh_token: refresh as string
    }
    if (scope.split(/\s+/).includes('openid')) {
      const now = Math.floor(clock.epochMs() / 1000)
      result.id_token = signer.sign({
        iss: issuer,
        sub: String(user.id),
        aud: clientId,
        iat: now,
        auth_time: now,
        exp: now + config.tokenLifetimeSeconds,
        preferred_username: user.username,
        email: user.email
      })
    }
    return result
  }
}
