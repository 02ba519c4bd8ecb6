import { OwsException } from '../exceptions'
import type { OwsRequest } from '../request'
import type { OwsContext, OwsHandler, OwsService } from '../types'
import { getCapabilities } from './capabilities'
import { describeRecord } from './describe-record'
import { getRecordById, getRecords } from './getrecords'

/** Operations other than GetCapabilities speak 2.0.2 only. */
const versioned =
  (handler: OwsHandler): OwsHandler =>
  (ctx: OwsContext, req: OwsRequest) => {
    if (req.version && req.version !== '2.0.2') throw new OwsException('InvalidParameterValue', `VERSION=${req.version} is not offered (2.0.2).`, 'version')
    return handler(ctx, req)
  }

/** CSW 2.0.2 at /catalogue/csw over every resource the caller may see, as GeoNode's pycsw serves it. */
export const cswService: OwsService = {
  name: 'CSW',
  versions: ['2.0.2'],
  defaultVersion: '2.0.2',
  operations: {
    getcapabilities: getCapabilities,
    describerecord: versioned(describeRecord),
    getrecords: versioned(getRecords),
    getrecordbyid: versioned(getRecordById)
  }
}
