import { Router } from 'express'
import type { Services } from '../../composition'
import { callerOf } from '../auth'
import { idParam, listBody, listQuery } from '../envelope'
import { NotFound } from '../../errors'
import { methodNotAllowed } from '../method-guard'
import { unwrap } from '../../validate'

const full = (value: unknown) => typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)

export function uploadsRouter(s: Services): Router {
  const router = Router()
  router.get('/uploads', async (req, res) => {
    const q = listQuery(req)
    const page = await s.uploads.list(callerOf(res), q, full(req.query.full))
    res.json(listBody(req, res, 'uploads', q, page, page.items))
  })
  router.get('/uploads/:id', async (req, res) => {
    res.json({ upload: await s.uploads.get(callerOf(res), idParam(req.params.id), full(req.query.full)) })
  })
  router.get('/uploads/:id/:field', async (req, res) => {
    const upload = await s.uploads.get(callerOf(res), idParam(req.params.id), true)
    const field = req.params.field
    if (!(field in upload) || field === 'link') throw new NotFound()
    res.json({ [field]: upload[field as keyof typeof upload] })
  })
  router.all(['/uploads', '/uploads/:id'], methodNotAllowed({ writesNeedAuth: true }))

  router.get('/upload-size-limits', async (req, res) => {
    const q = listQuery(req)
    const page = await s.uploads.listSizeLimits(q)
    res.json(listBody(req, res, 'upload-size-limits', q, page, page.items))
  })
  router.post('/upload-size-limits', async (req, res) => {
    res.status(201).json({ 'upload-size-limit': await s.uploads.createSizeLimit(callerOf(res), unwrap(req.body, 'upload-size-limit')) })
  })
  router.get('/upload-size-limits/:slug', async (req, res) => {
    res.json({ 'upload-size-limit': await s.uploads.getSizeLimit(req.params.slug, listQuery(req)) })
  })
  router.all(['/upload-size-limits', '/upload-size-limits/:slug'], methodNotAllowed({ writesNeedAuth: true }))
  return router
}
