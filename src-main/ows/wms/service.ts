import type { OwsService } from '../types'
import { getCapabilities } from './capabilities'
import { getFeatureInfo } from './featureinfo'
import { getMap } from './getmap'
import { getLegendGraphic } from './legend'
import { WMS_VERSIONS } from './params'

/**
 * WMS 1.1.1 and 1.3.0 at GeoNode's paths, as GeoServer serves it there: capabilities per caller,
 * maps drawn with each layer's SLD, feature info, and legends. A request without VERSION is read
 * as 1.1.1 (GeoNode's own GetMap links carry none); GetCapabilities negotiates.
 */
export const wmsService: OwsService = {
  name: 'WMS',
  versions: WMS_VERSIONS,
  defaultVersion: '1.1.1',
  operations: {
    getcapabilities: getCapabilities,
    getmap: getMap,
    getfeatureinfo: getFeatureInfo,
    getlegendgraphic: getLegendGraphic
  }
}
