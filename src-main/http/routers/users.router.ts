import { Router } from 'express'
import type { Services } from '../../composition'
import { callerOf } from '../auth'
import { idParam, listBody, listQuery } from '../envelope'
import { methodNotAllowed } from '../method-guard'
import { unwrap } from '../../validate'

export function usersRouter(s: Services): Router {
  const router = Router()
  router.get('/users', async (req, res) => {
    const q = listQuery(req)
    const page = await s.users.list(q)
    res.json(listBody(req, res, 'users', q, page, page.items))
  })
  router.get('/users/:id', async (req, res) => {
    res.json({ user: await s.users.get(idParam(req.params.id), listQuery(req)) })
  })
  router.get('/users/:id/groups', async (req, res) => {
    res.json(await s.users.groupsOf(callerOf(res), idParam(req.params.id)))
  })
  router.get('/users/:id/resources', async (req, res) => {
    res.json(await s.users.resourcesOf(callerOf(res), idParam(req.params.id)))
  })
  router.post('/users', async (req, res) => {
    res.status(201).json({ user: await s.accounts.createUser(callerOf(res), unwrap(req.body, 'user')) })
  })
  for (const [method, partial] of [['patch', true], ['put', false]] as const) {
    router[method]('/users/:id', async (req, res) => {
      res.json({ user: await s.accounts.updateUser(callerOf(res), idParam(req.params.id), unwrap(req.body, 'user'), partial) })
    })
  }
  router.delete('/users/:id', async (req, res) => {
    await s.accounts.deleteUser(callerOf(res), idParam(req.params.id))
    res.status(204).end()
  })
  router.all(['/users', '/users/:id'], methodNotAllowed({ writesNeedAuth: true }))
  return router
}

export function groupsRouter(s: Services): Router {
  const router = Router()
  router.get('/groups', async (req, res) => {
    const q = listQuery(req)
    const page = await s.users.listGroups(callerOf(res), q)
    res.json(listBody(req, res, 'group_profiles', q, page, page.items))
  })
  router.get('/groups/:id', async (req, res) => {
    res.json({ group_profile: await s.users.getGroup(callerOf(res), idParam(req.params.id), listQuery(req)) })
  })
  router.get('/groups/:id/members', async (req, res) => {
    res.json(await s.users.groupMembers(callerOf(res), idParam(req.params.id)))
  })
  router.get('/groups/:id/managers', async (req, res) => {
    res.json(await s.users.groupMembers(callerOf(res), idParam(req.params.id), 'manager'))
  })
  router.get('/groups/:id/resources', async (req, res) => {
    res.json(await s.users.groupResources(callerOf(res), idParam(req.params.id)))
  })
  for (const [method, partial] of [['patch', true], ['put', false]] as const) {
    router[method]('/groups/:id', async (req, res) => {
      res.json({ group_profile: await s.accounts.updateGroup(callerOf(res), idParam(req.params.id), unwrap(req.body, 'group_profile'), partial) })
    })
  }
  for (const [path, role] of [['members', 'member'], ['managers', 'manager']] as const) {
    router.post(`/groups/:id/${path}`, async (req, res) => {
      res.json(await s.accounts.changeMembers(callerOf(res), idParam(req.params.id), role, req.body, 'add'))
    })
    router.delete(`/groups/:id/${path}`, async (req, res) => {
      res.json(await s.accounts.changeMembers(callerOf(res), idParam(req.params.id), role, req.body, 'remove'))
    })
  }
  router.post('/groups', async (req, res) => {
    res.status(201).json({ group_profile: await s.accounts.createGroup(callerOf(res), unwrap(req.body, 'group_profile')) })
  })
  router.delete('/groups/:id', async (req, res) => {
    await s.accounts.deleteGroup(callerOf(res), idParam(req.params.id))
    res.status(204).end()
  })
  router.all(['/groups', '/groups/:id'], methodNotAllowed({ writesNeedAuth: true }))
  return router
}
