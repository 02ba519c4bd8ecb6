import { type RequestHandler, Router } from 'express'
import type { Services } from '../../composition'
import { callerOf } from '../auth'
import { idParam } from '../envelope'
import { NotFound } from '../../errors'
import { methodNotAllowed } from '../method-guard'

const full = (value: unknown) => typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)

/** DRF's default router: these URLs only exist with their trailing slash (spec 6.1). */
const trailingSlash: RequestHandler = (_req, res, next) => {
  if (!String(res.locals.originalPath ?? '').endsWith('/')) throw new NotFound()
  next()
}

/** `/mapstore/rest/`: plain DRF, no envelope, no pagination (spec 6.1). */
export function mapstoreRouter(s: Services, siteUrl: string): Router {
  const router = Router()
  router.use('/mapstore/rest', trailingSlash)
  router.get('/mapstore/rest/resources', async (req, res) => {
    res.json(await s.mapstore.list(callerOf(res), full(req.query.full)))
  })
  router.post('/mapstore/rest/resources', async (req, res) => {
    res.status(201).json(await s.mapstore.create(callerOf(res), req.body, full(req.query.full)))
  })
  router.get('/mapstore/rest/resources/:id', async (req, res) => {
    res.json(await s.mapstore.get(callerOf(res), idParam(req.params.id), full(req.query.full)))
  })
  for (const method of ['patch', 'put'] as const) {
    router[method]('/mapstore/rest/resources/:id', async (req, res) => {
      res.json(await s.mapstore.update(callerOf(res), idParam(req.params.id), req.body, full(req.query.full)))
    })
  }
  router.delete('/mapstore/rest/resources/:id', async (req, res) => {
    await s.mapstore.remove(callerOf(res), idParam(req.params.id))
    res.status(204).end()
  })
  router.get('/mapstore/rest/users', async (_req, res) => {
    res.json(await s.mapstore.users(callerOf(res), siteUrl))
  })
  router.all(['/mapstore/rest/resources', '/mapstore/rest/resources/:id', '/mapstore/rest/users'], methodNotAllowed({ writesNeedAuth: true }))
  return router
}
