import type { OwsService } from './types'

/** The OGC services this server offers, each in its own folder (wms/, wfs/, wcs/, csw/). */
export const OWS_SERVICE_LIST: readonly OwsService[] = []
