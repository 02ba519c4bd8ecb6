import { cswService } from './csw'
import type { OwsService } from './types'
import { wcsService } from './wcs'
import { WFS_SERVICE } from './wfs'

/** The OGC services this server offers, each in its own folder (wms/, wfs/, wcs/, csw/). */
export const OWS_SERVICE_LIST: readonly OwsService[] = [WFS_SERVICE, wcsService, cswService]
