import { Router } from 'express'
import type { Services } from '../../composition'
import type { ResourceEndpoint } from '../../services/serializers/resource.serializer'
import { callerOf } from '../auth'
import { idParam, listBody, listQuery } from '../envelope'
import { BadRequest, NotAuthenticated, NotFound, ValidationError } from '../../errors'
import { methodNotAllowed } from '../method-guard'
import { bodyItems, unwrap } from '../../validate'
import { BulkError } from '../../services/resource-writes.service'
import { sideloadUsers } from '../../services/sideload'

const KEYS: Record<ResourceEndpoint, [plural: string, singular: string]> = {
  resources: ['resources', 'resource'],
  layers: ['layers', 'layer'],
  maps: ['maps', 'map'],
  documents: ['documents', 'document'],
  geoapps: ['geoapps', 'geoapp'],
  geostories: ['geostories', 'geostory']
}

/** DREST relation routes (`/layers/{id}/{field_name}`) wrap users in `user`, other fields in their own name. */
const USER_FIELDS = new Set(['owner', 'poc', 'metadata_author'])

const query = (value: unknown) => (typeof value === 'string' ? value : undefined)

function resourceActions(router: Router, s: Services): void {
  router.get('/resources/resource_types', async (_req, res) => {
    res.json({ resource_types: await s.resources.resourceTypes(callerOf(res)) })
  })
  for (const [action, flag] of [
    ['approved', 'is_approved'],
    ['published', 'is_published'],
    ['featured', 'featured']
  ] as const) {
    router.get(`/resources/${action}`, async (req, res) => {
      const q = listQuery(req)
      const page = await s.resources.flagged(flag, callerOf(res), q)
      res.json(listBody(req, res, 'resources', q, page, page.items))
    })
  }
  router.get('/resources/favorites', async (req, res) => {
    const q = listQuery(req)
    const page = await s.resources.favorites(callerOf(res), q)
    res.json(listBody(req, res, 'favorites', q, page, page.items))
  })
  router.get('/resources/:id/get_perms', async (req, res) => {
    res.json(await s.resources.getPerms(callerOf(res), idParam(req.params.id)))
  })
  router.get('/resources/:id/extra_metadata', async (req, res) => {
    const filters = Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string')
    res.json(await s.resources.extraMetadata(callerOf(res), idParam(req.params.id), filters))
  })
  router.put('/resources/:id/set_perms', async (req, res) => {
    res.json(await s.permissions.setPerms(callerOf(res), idParam(req.params.id), req.body))
  })
  router.post('/resources/:id/favorite', async (_req, res) => {
    res.status(201).json(await s.favorites.add(callerOf(res), idParam(_req.params.id)))
  })
  router.delete('/resources/:id/favorite', async (req, res) => {
    res.json(await s.favorites.remove(callerOf(res), idParam(req.params.id)))
  })
  router.all(
    ['/resources/:id/get_perms', '/resources/:id/set_perms', '/resources/:id/favorite', '/resources/resource_types'],
    methodNotAllowed({ writesNeedAuth: true })
  )
}

function typedActions(router: Router, s: Services): void {
  router.get('/maps/:id/layers', async (req, res) => {
    res.json(await s.resources.mapLayerDtos(callerOf(res), idParam(req.params.id)))
  })
  router.get('/maps/:id/local_layers', async (req, res) => {
    res.json(await s.resources.localLayers(callerOf(res), idParam(req.params.id)))
  })
  router.get('/documents/:id/linked_resources', async (req, res) => {
    const q = listQuery(req)
    const page = await s.resources.linkedResources(callerOf(res), idParam(req.params.id), q)
    res.json(listBody(req, res, 'resources', q, page, page.items))
  })
}

export function resourcesRouter(s: Services, options: { patchAll: boolean }): Router {
  const router = Router()
  resourceActions(router, s)
  typedActions(router, s)
  for (const endpoint of Object.keys(KEYS) as ResourceEndpoint[]) {
    const [plural, singular] = KEYS[endpoint]
    router.get(`/${endpoint}`, async (req, res) => {
      const q = listQuery(req)
      const page = await s.resources.list(endpoint, callerOf(res), q, { extent: query(req.query.extent), favorite: query(req.query.favorite) })
      const { items, sideloaded } = sideloadUsers(page.items, q)
      res.json({ ...listBody(req, res, plural, q, page, items), ...sideloaded })
    })
    router.get(`/${endpoint}/:id`, async (req, res) => {
      const q = listQuery(req)
      const { items, sideloaded } = sideloadUsers([await s.resources.get(endpoint, callerOf(res), idParam(req.params.id), q)], q)
      res.json({ [singular]: items[0], ...sideloaded })
    })
    if (endpoint !== 'resources') {
      router.get(`/${endpoint}/:id/:field`, async (req, res) => {
        const dto = await s.resources.get(endpoint, callerOf(res), idParam(req.params.id), listQuery(req))
        const field = req.params.field
        if (!(field in dto) || field === 'link' || field === 'pk') throw new NotFound()
        res.json({ [USER_FIELDS.has(field) ? 'user' : field]: dto[field] })
      })
    }
    router.post(`/${endpoint}`, async (req, res) => {
      const { items, bulk } = bodyItems(req.body, singular, plural)
      try {
        const created = await s.writes.create(endpoint, callerOf(res), items, listQuery(req))
        res.status(201).json(bulk ? { [plural]: created } : { [singular]: created[0] })
      } catch (error) {
        if (!(error instanceof BulkError)) throw error
        res.status(400).json({ [plural]: [], errors: [{ detail: error.fields, source: { index: error.index } }] })
      }
    })
    router.patch(`/${endpoint}`, async (req, res) => {
      if (!callerOf(res).authenticated) throw new NotAuthenticated()
      const mode = req.query['patch-all']
      if (mode !== undefined) {
        if (!options.patchAll) throw new BadRequest('patch-all is disabled on this server; start it with --enable-patch-all to allow it.')
        if (mode !== 'true' && mode !== 'query') throw new ValidationError({ 'patch-all': ['Expected true or query.'] })
        const q = listQuery(req)
        const ids = await s.resources.matchingIds(endpoint, callerOf(res), q, { extent: query(req.query.extent), favorite: query(req.query.favorite) })
        return void res.json({ meta: { updated: await s.writes.patchAll(callerOf(res), ids, req.body, mode) } })
      }
      const { items, bulk } = bodyItems(req.body, singular, plural)
      if (!bulk) throw new ValidationError(['A PATCH on a list URL takes a list of objects with an "id"; send one object to its detail URL.'])
      try {
        res.json(await s.writes.updateMany(endpoint, callerOf(res), items, listQuery(req)))
      } catch (error) {
        if (!(error instanceof BulkError)) throw error
        res.status(400).json({ [plural]: [], errors: [{ detail: error.fields, source: { index: error.index } }] })
      }
    })
    router.delete(`/${endpoint}`, async (req, res) => {
      const hasBody = req.body !== undefined && req.body !== null && !(typeof req.body === 'object' && !Array.isArray(req.body) && Object.keys(req.body).length === 0)
      if (!callerOf(res).authenticated) throw new NotAuthenticated()
      // Without a body a list DELETE is refused with an empty 405, as DREST does (spec 1.7).
      if (!hasBody) return void res.status(405).end()
      const { items, bulk } = bodyItems(req.body, singular, plural)
      if (!bulk) throw new ValidationError(['A DELETE on a list URL takes a list of objects with an "id".'])
      try {
        await s.writes.removeMany(endpoint, callerOf(res), items)
      } catch (error) {
        if (!(error instanceof BulkError)) throw error
        return void res.status(400).json({ [plural]: [], errors: [{ detail: error.fields, source: { index: error.index } }] })
      }
      res.status(204).end()
    })
    for (const [method, partial] of [['patch', true], ['put', false]] as const) {
      router[method](`/${endpoint}/:id`, async (req, res) => {
        const body = unwrap(req.body, singular)
        const updated = await s.writes.update(endpoint, callerOf(res), idParam(req.params.id), body, partial, listQuery(req))
        res.json({ [singular]: updated })
      })
    }
    router.delete(`/${endpoint}/:id`, async (req, res) => {
      await s.writes.remove(endpoint, callerOf(res), idParam(req.params.id))
      res.status(204).end()
    })
    router.all([`/${endpoint}`, `/${endpoint}/:id`], methodNotAllowed({ writesNeedAuth: true }))
  }
  return router
}
