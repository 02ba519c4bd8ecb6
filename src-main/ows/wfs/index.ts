import type { OwsService } from '../types'
import { getCapabilities } from './capabilities'
import { describeFeatureType } from './describe'
import { getFeature, getPropertyValue } from './get-feature'
import { describeStoredQueries, listStoredQueries } from './stored-queries'
import { transaction } from './transaction'
import { WFS_VERSIONS } from './common'

/** WFS 1.0.0, 1.1.0 and 2.0.0 over the catalogue's vector layers, with transactions. */
export const WFS_SERVICE: OwsService = {
  name: 'WFS',
  versions: WFS_VERSIONS,
  defaultVersion: '2.0.0',
  operations: {
    getcapabilities: getCapabilities,
    describefeaturetype: describeFeatureType,
    getfeature: getFeature,
    getpropertyvalue: getPropertyValue,
    liststoredqueries: listStoredQueries,
    describestoredqueries: describeStoredQueries,
    transaction
  }
}
