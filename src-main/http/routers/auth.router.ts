import { Router } from 'express'
import { LoginRequest, TokenRequest } from '../../../src-shared/api/schemas'
import type { Services } from '../../composition'
import { GrantError } from '../../services/auth.service'
import { callerOf, signInParty } from '../auth'
import { validate } from '../../validate'
import { PermissionDenied } from '../../errors'

/** OAuth2 token endpoint, user info, and session sign-in for browser clients. */
export function authRouter(s: Services): Router {
  const router = Router()

  router.post('/o/token', async (req, res) => {
    res.set('Cache-Control', 'no-store')
    const parsed = TokenRequest.safeParse(req.body ?? {})
    if (!parsed.success) {
      const grant = (req.body ?? {}).grant_type
      return void res.status(400).json(grant ? { error: 'unsupported_grant_type' } : { error: 'invalid_request', error_description: 'Missing grant type.' })
    }
    const body = parsed.data
    try {
      const grant =
        body.grant_type === 'password'
          ? await s.auth.passwordGrant(body.username, body.password, body.scope, signInParty(req, callerOf(res)), body.client_id)
          : await s.auth.refreshGrant(body.refresh_token, body.client_id)
      res.json(grant)
    } catch (error) {
      if (!(error instanceof GrantError)) throw error
      res.status(400).json(error.description ? { error: error.error, error_description: error.description } : { error: error.error })
    }
  })

  router.get('/o/.well-known/jwks.json', (_req, res) => {
    res.json(s.auth.jwks())
  })

  router.get('/o/.well-known/openid-configuration', (req, res) => {
    const base = `${req.protocol}://${req.get('host')}/o`
    res.json({
      issuer: s.auth.issuer,
      token_endpoint: `${base}/token/`,
      userinfo_endpoint: `${base}/userinfo/`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: ['token'],
      scopes_supported: ['openid', 'read', 'write'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'none']
    })
  })

  router.all('/o/userinfo', (req, res) => {
    const caller = callerOf(res)
    if (caller.via !== 'bearer') {
      res.set('WWW-Authenticate', 'Bearer realm="oauth", error="invalid_token"')
      return void res.status(401).json({ detail: 'Authentication credentials were not provided.' })
    }
    const scopes = String(res.locals.scope ?? '').split(/\s+/)
    if (!scopes.includes('openid')) return void res.status(403).json({ error: 'insufficient_scope' })
    res.json({ sub: String(caller.userId) })
  })

  router.get('/api/o/v4/userinfo', async (_req, res) => {
    res.set('Cache-Control', 'no-store')
    const caller = callerOf(res)
    if (!caller.authenticated || !caller.user) {
      return void res.status(403).json({ success: false, status: 'error', errors: { auth: ['No token provided.'] } })
    }
    const groups = await s.users.groupNamesOf(caller.userId)
    const user = caller.user
    res.json({
      sub: String(user.id),
      name: `${user.first_name} ${user.last_name}`.trim(),
      given_name: user.first_name,
      family_name: user.last_name,
      email: user.email,
      preferred_username: user.username,
      groups: ['anonymous', ...groups, ...(caller.superuser ? ['admin'] : [])],
      access_token: caller.via === 'bearer' && caller.credential ? caller.credential : await s.auth.tokenFor(user.id)
    })
  })

  router.post('/api/o/v4/tokeninfo', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : ''
    const found = token ? await s.auth.bearer(token) : undefined
    if (!found?.caller.user) return void res.status(403).json({ error: 'token is not valid' })
    const user = found.caller.user
    res.json({
      client_id: 'mapshelf',
      user_id: user.id,
      username: user.username,
      issued_to: user.username,
      access_token: token,
      email: user.email,
      verified_email: 'true',
      access_type: 'online',
      expires_in: found.expiresInMs
    })
  })

  router.post('/account/login', async (req, res) => {
    // Login CSRF: a page of another origin must not sign the browser in (to an account of its
    // choosing), as Django's CSRF middleware refuses a foreign Origin on its login form.
    const party = signInParty(req, callerOf(res))
    if (party === 'other-origin') throw new PermissionDenied('CSRF Failed: Origin checking failed - the request comes from another site.')
    const body = validate(LoginRequest, req.body)
    const session = await s.auth.login(body.username, body.password, party)
    const cookie = 'Path=/; SameSite=Strict'
    res.append('Set-Cookie', `sessionid=${session.sessionId}; HttpOnly; ${cookie}`)
    res.append('Set-Cookie', `csrftoken=${session.csrf}; ${cookie}`)
    res.json({ user: await s.users.get(session.caller.userId), csrftoken: session.csrf })
  })

  router.post('/account/logout', async (_req, res) => {
    const caller = callerOf(res)
    if (caller.via === 'session' && caller.credential) await s.auth.logout(caller.credential)
    res.append('Set-Cookie', 'sessionid=; Max-Age=0; Path=/')
    res.append('Set-Cookie', 'csrftoken=; Max-Age=0; Path=/')
    res.status(204).end()
  })

  return router
}
