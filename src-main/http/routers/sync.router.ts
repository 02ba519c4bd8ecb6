import { Router } from 'express'
import type { Services } from '../../composition'
import { callerOf } from '../auth'
import { idParam } from '../envelope'
import { methodNotAllowed } from '../method-guard'

const PREFIX = '/api/v2/mapshelf/sync'

/**
 * Sync control for the desktop GUI and scripts (extension routes, administrators only): remotes,
 * runs, progress, conflicts and the journal. Mounted before the response cache: sync state is not
 * catalogue data, so the change log does not version it.
 */
export function syncRouter(s: Services): Router {
  const router = Router()
  router.get(`${PREFIX}/remotes`, async (_req, res) => {
    res.json({ remotes: await s.sync.listRemotes(callerOf(res)) })
  })
  router.post(`${PREFIX}/remotes`, async (req, res) => {
    res.status(201).json({ remote: await s.sync.addRemote(callerOf(res), req.body) })
  })
  router.get(`${PREFIX}/remotes/:id`, async (req, res) => {
    res.json({ remote: await s.sync.getRemote(callerOf(res), idParam(req.params.id)) })
  })
  router.patch(`${PREFIX}/remotes/:id`, async (req, res) => {
    res.json({ remote: await s.sync.updateRemote(callerOf(res), idParam(req.params.id), req.body) })
  })
  router.delete(`${PREFIX}/remotes/:id`, async (req, res) => {
    await s.sync.removeRemote(callerOf(res), idParam(req.params.id))
    res.status(204).end()
  })
  router.get(`${PREFIX}/remotes/:id/status`, async (req, res) => {
    res.json({ status: await s.sync.status(callerOf(res), idParam(req.params.id)) })
  })
  router.post(`${PREFIX}/remotes/:id/start`, async (req, res) => {
    const full = req.query.full === 'true' || (req.body as { full?: unknown } | undefined)?.full === true
    res.status(202).json({ status: await s.sync.start(callerOf(res), idParam(req.params.id), full ? { reconcile: true } : {}) })
  })
  router.post(`${PREFIX}/remotes/:id/cancel`, async (req, res) => {
    res.json({ status: await s.sync.cancel(callerOf(res), idParam(req.params.id)) })
  })
  router.get(`${PREFIX}/remotes/:id/conflicts`, async (req, res) => {
    res.json({ conflicts: await s.sync.conflicts(callerOf(res), idParam(req.params.id)) })
  })
  router.get(`${PREFIX}/remotes/:id/journal`, async (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit)
    res.json({ journal: await s.sync.journal(callerOf(res), idParam(req.params.id), limit) })
  })
  router.post(`${PREFIX}/conflicts/:id/resolve`, async (req, res) => {
    res.json({ conflict: await s.sync.resolve(callerOf(res), idParam(req.params.id), req.body) })
  })
  router.get(`${PREFIX}/offline/:localId`, async (req, res) => {
    res.json({ offline: await s.sync.offline(callerOf(res), idParam(req.params.localId)) })
  })
  router.put(`${PREFIX}/offline/:localId`, async (req, res) => {
    res.json({ offline: await s.sync.setOffline(callerOf(res), idParam(req.params.localId), req.body) })
  })
  router.all([`${PREFIX}/offline/:localId`, `${PREFIX}/remotes`, `${PREFIX}/remotes/:id`, `${PREFIX}/remotes/:id/:action`, `${PREFIX}/conflicts/:id/resolve`], methodNotAllowed({ writesNeedAuth: true }))
  return router
}
