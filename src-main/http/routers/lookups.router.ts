import { Router } from 'express'
import type { Services } from '../../composition'
import type { LookupName } from '../../services/lookups.service'
import { callerOf } from '../auth'
import { idParam, listBody, listQuery } from '../envelope'
import { methodNotAllowed } from '../method-guard'

const LOOKUPS: LookupName[] = ['owners', 'categories', 'keywords', 'regions', 'tkeywords']

/** Read-only vocabularies (AllowAny): every write is 405, whoever asks. */
export function lookupsRouter(s: Services): Router {
  const router = Router()
  for (const name of LOOKUPS) {
    router.get(`/${name}`, async (req, res) => {
      const q = listQuery(req)
      const extra =
        name === 'owners'
          ? {
              type: typeof req.query.type === 'string' ? req.query.type : undefined,
              titleContains: typeof req.query.title__icontains === 'string' ? req.query.title__icontains : undefined
            }
          : {}
      const page = await s.lookups.list(name, callerOf(res), q, extra)
      res.json(listBody(req, res, name, q, page, page.items))
    })
    router.get(`/${name}/:id`, async (req, res) => {
      res.json({ [name]: await s.lookups.get(name, callerOf(res), idParam(req.params.id)) })
    })
    router.all([`/${name}`, `/${name}/:id`], methodNotAllowed({ writesNeedAuth: false }))
  }
  return router
}
