import { cswService } from './csw'
import type { OwsService } from './types'
import { wcsService } from './wcs'
import { WFS_SERVICE } from './wfs'
import { wmsService } from './wms/service'

/** The OGC services this server offers, each in its own folder (wms/, wfs/, wcs/, csw/). */
export const OWS_SERVICE_LIST: readonly OwsService[] = [wmsService, WFS_SERVICE, wcsService, cswService]
