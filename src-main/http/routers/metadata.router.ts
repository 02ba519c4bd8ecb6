import { Router } from 'express'
import type { Services } from '../../composition'
import { NotFound } from '../../errors'
import { ISO_NAMESPACES, isoRecord } from '../../ows/csw/iso19139'
import { METADATA_XSL, METADATA_XSL_PATH } from '../../ows/csw/metadata-xsl'
import { recordSources } from '../../ows/csw/record-source'
import { XML_HEADER } from '../../ows/xml'
import { callerOf } from '../auth'
import { idParam } from '../envelope'

/**
 * GeoNode's "ISO with XSL" metadata link: a resource's ISO 19139 record with an xml-stylesheet
 * instruction, so a browser shows it as a page, and the stylesheet it names. Resources the caller
 * may not see are 404, as in the API.
 */
export function metadataRouter(services: Services): Router {
  const router = Router()

  router.get('/showmetadata/xsl/:pk', async (req, res) => {
    const id = idParam(req.params.pk)
    if (!Number.isSafeInteger(id)) throw new NotFound()
    const caller = callerOf(res)
    await services.resources.findVisibleId('resources', caller, id)
    const [source] = await recordSources({ services, caller }, [id])
    if (!source) throw new NotFound()
    const stylesheet = `${req.protocol}://${req.get('host')}${METADATA_XSL_PATH}`
    const record = isoRecord(source, 'full', ` ${ISO_NAMESPACES}`)
    res.type('text/xml').send(`${XML_HEADER}<?xml-stylesheet type="text/xsl" href="${stylesheet}"?>\n${record}\n`)
  })

  router.get(METADATA_XSL_PATH, (_req, res) => {
    res.type('text/xsl').send(METADATA_XSL)
  })

  return router
}
