import { pipeline } from 'node:stream'
import { type RequestHandler, Router } from 'express'
import yazl from 'yazl'
import type { Services } from '../../composition'
import { callerOf } from '../auth'
import { idParam, listQuery } from '../envelope'
import { NotAuthenticated, NotFound, ValidationError } from '../../errors'
import { dropWhenStalled, sendChunks } from '../../streaming'

const isMultipart = (type: string | undefined) => /^multipart\/form-data/i.test(type ?? '')

/** The `id` of the wizard's `?id=` (the import id, which is the upload id). */
function wizardId(value: unknown): number {
  const id = idParam(typeof value === 'string' ? value : undefined)
  if (Number.isNaN(id)) throw new NotFound()
  return id
}

/**
 * The wizard's srs and delete steps change state on GET, as GeoNode's do, where the session's CSRF
 * header is not asked for. SameSite=Strict keeps the session cookie off requests from other sites,
 * but a page on another port of the same host is the same site and its GETs carry the cookie: a
 * browser's request authenticated by the cookie must come from this origin's own pages (Fetch
 * Metadata). Clients that send no Sec-Fetch-Site header (scripts, GeoNode's tools) are not browsers.
 */
const sameOriginSessions: RequestHandler = (req, res, next) => {
  const site = req.get('sec-fetch-site')
  if (callerOf(res).via === 'session' && site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new NotAuthenticated('CSRF Failed: this step changes the upload and may only be asked for by this server\u2019s own pages.')
  }
  next()
}

/**
 * Uploads (spec 5) and layer data: the upload wizard under /api/v2/uploads/upload and /upload/*,
 * document files, layer replacement, and the viewer's extension routes under /api/v2/mapshelf
 * (features by bbox, raster by range requests, exports and originals).
 */
export function layerDataRouter(s: Services): Router {
  const router = Router()

  router.post('/api/v2/uploads/upload', async (req, res) => {
    const reply = await s.ingest.upload(callerOf(res), req, 'post')
    res.status(reply.status).json(reply.body)
  })
  router.put('/api/v2/uploads/upload', async (req, res) => {
    const reply = await s.ingest.upload(callerOf(res), req, 'put')
    res.status(reply.status).json(reply.body)
  })

  // The legacy wizard's steps. Every step but srs leads to final: reading happens in one go.
  router.all(['/upload/final', '/upload/check', '/upload/run', '/upload/time', '/upload/csv'], async (req, res) => {
    res.json(await s.ingest.final(callerOf(res), wizardId(req.query.id)))
  })
  router.all('/upload/srs', sameOriginSessions, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const srs = [body.srs, body.source, req.query.srs, req.query.source].find((v): v is string => typeof v === 'string')
    res.json(await s.ingest.supplySrs(callerOf(res), wizardId(req.query.id), srs))
  })
  router.get('/api/v2/mapshelf/uploads/:id/crs', async (req, res) => {
    res.json(await s.ingest.crsHints(callerOf(res), idParam(req.params.id)))
  })
  router.get('/upload/progress', async (req, res) => {
    res.json(await s.ingest.progress(callerOf(res), wizardId(req.query.id)))
  })
  router.all('/upload/delete/:id', sameOriginSessions, async (req, res) => {
    res.json(await s.ingest.remove(callerOf(res), wizardId(req.params.id)))
  })

  router.put('/api/v2/layers/:id/replace', async (req, res) => {
    const id = await s.ingest.replace(callerOf(res), idParam(req.params.id), req)
    res.json({ layer: await s.resources.get('layers', callerOf(res), id, listQuery(req)) })
  })

  router.post('/api/v2/documents', async (req, res, next) => {
    if (!isMultipart(req.headers['content-type'])) return next()
    const id = await s.ingest.createDocument(callerOf(res), req)
    const document = await s.resources.get('documents', callerOf(res), id, listQuery(req))
    res.status(201).json({ document })
  })

  router.get('/documents/:id/download', async (req, res) => {
    const file = await s.layerData.documentFile(callerOf(res), idParam(req.params.id))
    res.attachment(file.name)
    if (file.mime) res.type(file.mime)
    dropWhenStalled(res)
    res.sendFile(file.path, { dotfiles: 'allow' })
  })

  router.get('/uploaded/thumbs/:file', (req, res) => {
    const uuid = /^([0-9a-f-]{36})\.png$/.exec(req.params.file)?.[1]
    if (!uuid) throw new NotFound()
    res.sendFile(s.layerData.thumbnailFile(uuid), { maxAge: 0, dotfiles: 'allow' })
  })

  // A style follows its layers' view permission (ids are sequential: anyone could walk them).
  router.get('/styles/:file', async (req, res) => {
    const id = /^(\d+)\.sld$/.exec(req.params.file)?.[1]
    if (!id) throw new NotFound()
    const sld = await s.layerData.styleFile(callerOf(res), idParam(id))
    res.type('application/vnd.ogc.sld+xml').send(sld)
  })

  // An upload session's files (uploadfile_set[].file): the originals kept with its layer.
  router.get('/uploaded/:upload/:name', async (req, res) => {
    const file = await s.layerData.uploadedFile(callerOf(res), idParam(req.params.upload), req.params.name)
    res.attachment(file.name)
    dropWhenStalled(res)
    res.sendFile(file.path, { dotfiles: 'allow' })
  })

  router.get('/api/v2/mapshelf/layers/:id/features', async (req, res) => {
    const result = await s.layerData.features(callerOf(res), idParam(req.params.id), { bbox: req.query.bbox, limit: req.query.limit })
    res.type('application/geo+json').send(result.body)
  })

  router.get('/api/v2/mapshelf/layers/:id/data', async (req, res) => {
    res.json(await s.layerData.dataSummary(callerOf(res), idParam(req.params.id)))
  })

  router.get('/api/v2/mapshelf/layers/:id/raster', async (req, res) => {
    const path = await s.layerData.rasterFile(callerOf(res), idParam(req.params.id))
    // express's sendFile answers Range requests (206), which OpenLayers' GeoTIFF source uses.
    dropWhenStalled(res)
    res.sendFile(path, { acceptRanges: true, dotfiles: 'allow', headers: { 'content-type': 'image/tiff' } })
  })

  router.get('/api/v2/mapshelf/layers/:id/export', async (req, res) => {
    const format = String(req.query.format ?? 'geojson')
    if (format === 'gpkg' || format === 'geopackage') {
      const file = await s.layerData.exportGeoPackage(callerOf(res), idParam(req.params.id))
      dropWhenStalled(res)
      return void res.download(file.path, file.name, { dotfiles: 'allow' }, () => s.layerData.discardExport(file.dir))
    }
    if (format !== 'geojson') throw new ValidationError({ format: [`Unknown export format "${format}"; expected geojson or gpkg.`] })
    const { name, chunks } = await s.layerData.exportFeatures(callerOf(res), idParam(req.params.id))
    res.attachment(`${name}.geojson`)
    res.type('application/geo+json')
    await sendChunks(res, '{"type":"FeatureCollection","features":[', chunks, ']}')
  })

  // Backup and restore (administrators): a snapshot to download; a restore staged for the next start.
  router.get('/api/v2/mapshelf/backup', async (_req, res) => {
    const file = await s.backup.backup(callerOf(res))
    dropWhenStalled(res)
    res.download(file.path, file.name, { dotfiles: 'allow' }, () => s.backup.discard(file.dir))
  })
  router.post('/api/v2/mapshelf/restore', async (req, res) => {
    res.json(await s.backup.restore(callerOf(res), req))
  })

  router.get('/api/v2/mapshelf/resources/:id/links', async (req, res) => {
    res.json({ links: await s.resources.allLinks(callerOf(res), idParam(req.params.id)) })
  })

  router.get('/api/v2/mapshelf/resources/:id/history', async (req, res) => {
    res.json({ history: await s.history.history(callerOf(res), idParam(req.params.id)) })
  })

  router.get('/api/v2/mapshelf/resources/:id/original', async (req, res) => {
    const files = await s.layerData.originals(callerOf(res), idParam(req.params.id))
    if (files.length === 1) {
      res.attachment(files[0]!.name)
      dropWhenStalled(res)
      return void res.sendFile(files[0]!.path, { dotfiles: 'allow' })
    }
    const zip = new yazl.ZipFile()
    for (const file of files) zip.addFile(file.path, file.name)
    zip.end()
    res.attachment(`resource-${req.params.id}.zip`)
    res.type('application/zip')
    dropWhenStalled(res)
    // pipeline, not pipe: a client that goes away also stops the zip and closes the files it reads.
    pipeline(zip.outputStream, res, () => undefined)
  })

  return router
}
