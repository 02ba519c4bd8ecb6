import { OwsException } from '../exceptions'
import { type OwsRequest, param } from '../request'
import type { OwsContext, OwsService } from '../types'
import { getCapabilities } from './capabilities'
import { WCS_VERSIONS, type WcsVersion, wcsVersionOf } from './coverages'
import { describeCoverage } from './describe'
import { getCoverage } from './getcoverage'

/**
 * The version of a DescribeCoverage or GetCoverage: VERSION when sent (1.0 and 2.0 in any patch
 * level), else what the parameters imply (COVERAGEID is 2.0's, COVERAGE 1.0's).
 */
function versionOf(req: OwsRequest): WcsVersion {
  if (req.version) {
    const version = wcsVersionOf(req.version)
    if (!version) throw new OwsException('InvalidParameterValue', `VERSION=${req.version} is not offered (${WCS_VERSIONS.join(', ')}).`, 'version')
    return version
  }
  return param(req, 'coverage') && !param(req, 'coverageid') ? '1.0.0' : '2.0.1'
}

function kvpOnly(req: OwsRequest): void {
  if (req.xml) throw new OwsException('OperationNotSupported', 'WCS requests are read as KVP (GET or a form POST) here, not as XML.', 'request')
}

/** WCS 1.0.0 and 2.0.1 over the raster layers a caller may view, at GeoServer's /wcs and /ows. */
export const wcsService: OwsService = {
  name: 'WCS',
  versions: WCS_VERSIONS,
  defaultVersion: '2.0.1',
  operations: {
    getcapabilities: (ctx: OwsContext, req: OwsRequest) => {
      kvpOnly(req)
      return getCapabilities(ctx, req)
    },
    describecoverage: (ctx, req) => {
      kvpOnly(req)
      return describeCoverage(ctx, req, versionOf(req))
    },
    getcoverage: (ctx, req) => {
      kvpOnly(req)
      return getCoverage(ctx, req, versionOf(req))
    }
  }
}
