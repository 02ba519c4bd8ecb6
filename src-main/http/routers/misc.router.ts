import { Router } from 'express'
import { stringify } from 'yaml'
import { openApiDocument } from '../openapi'

/** The GeoNode release whose API this server speaks. */
export const GEONODE_VERSION = '3.3.2'

export const API_FAMILIES = [
  'categories', 'documents', 'geoapps', 'geostories', 'groups', 'keywords', 'layers', 'maps', 'owners', 'regions',
  'resources', 'tkeywords', 'upload-size-limits', 'uploads', 'users'
]

const AVATAR_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 24 24"><rect width="24" height="24" fill="#cfd8dc"/><circle cx="12" cy="9" r="4" fill="#78909c"/><path d="M4 22c0-4.4 3.6-7 8-7s8 2.6 8 7z" fill="#78909c"/></svg>`


export function miscRouter(deps: { version: string }): Router {
  const router = Router()
  let schemaCache: { json: string; yaml: string } | null = null
  const schema = () => {
    if (!schemaCache) {
      const doc = openApiDocument(deps.version)
      schemaCache = { json: JSON.stringify(doc), yaml: stringify(doc) }
    }
    return schemaCache
  }

  router.get('/api/v2', (req, res) => {
    const base = `${req.protocol}://${req.get('host')}/api/v2/`
    res.json(Object.fromEntries(API_FAMILIES.map((name) => [name, base + name])))
  })

  router.get('/api/v2/schema', (req, res) => {
    const wantsJson = req.query.format === 'json' || res.locals.format === 'json'
    if (wantsJson) return void res.type('application/vnd.oai.openapi+json').send(schema().json)
    res.type('application/vnd.oai.openapi').send(schema().yaml)
  })

  // GeoNode's version, bare: clients such as QGIS's GeoNode plugin read it as a version number to
  // choose the API they speak. Mapshelf's own version is in the X-Mapshelf-Version header of every
  // answer and at /api/v2/mapshelf/version.
  router.get('/version.txt', (_req, res) => {
    res.type('text/plain').send(GEONODE_VERSION)
  })

  router.get('/api/v2/mapshelf/version', (_req, res) => {
    res.json({ mapshelf: deps.version, geonode: GEONODE_VERSION, api: 'v2' })
  })

  router.get('/static/mapshelf/img/avatar.svg', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400').send(AVATAR_SVG)
  })

  return router
}
