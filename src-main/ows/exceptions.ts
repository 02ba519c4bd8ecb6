import { XML_HEADER, esc } from './xml'

/**
 * OGC exception codes (OWS Common and the service specs): what went wrong, with the parameter it
 * concerns as `locator`. Every refusal of an OGC request is one of these, rendered in the report
 * format of the service and version asked for; a 500 is a bug.
 */
export type OwsExceptionCode =
  | 'MissingParameterValue'
  | 'InvalidParameterValue'
  | 'OperationNotSupported'
  | 'VersionNegotiationFailed'
  | 'InvalidFormat'
  | 'InvalidCRS'
  | 'InvalidSRS'
  | 'LayerNotDefined'
  | 'StyleNotDefined'
  | 'LayerNotQueryable'
  | 'InvalidPoint'
  | 'NoSuchCoverage'
  | 'CoverageNotDefined'
  | 'InvalidSubsetting'
  | 'InvalidAxisLabel'
  | 'InvalidUpdateSequence'
  | 'OptionNotSupported'
  | 'NoApplicableCode'
  | 'OperationProcessingFailed'
  | 'OperationParsingFailed'
  | 'InvalidValue'
  | 'CannotLockAllFeatures'
  | 'DuplicateStoredQueryIdValue'
  | 'ResponseCacheExpired'

/** HTTP status per code: OWS Common 2.0 maps codes to statuses; WMS and WFS 1.x answer 200. */
const STATUS: Partial<Record<OwsExceptionCode, number>> = {
  MissingParameterValue: 400,
  InvalidParameterValue: 400,
  OperationNotSupported: 501,
  VersionNegotiationFailed: 400,
  InvalidFormat: 400,
  InvalidCRS: 400,
  InvalidSRS: 400,
  LayerNotDefined: 400,
  StyleNotDefined: 400,
  LayerNotQueryable: 400,
  InvalidPoint: 400,
  NoSuchCoverage: 404,
  CoverageNotDefined: 404,
  InvalidSubsetting: 400,
  InvalidAxisLabel: 400,
  InvalidUpdateSequence: 400,
  OptionNotSupported: 501,
  OperationParsingFailed: 400,
  InvalidValue: 400,
  OperationProcessingFailed: 500,
  NoApplicableCode: 500
}

export class OwsException extends Error {
  constructor(
    readonly code: OwsExceptionCode,
    message: string,
    readonly locator?: string,
    /** An HTTP status other than the code's own (403 for a write without the right, 413 for a too-large body). */
    readonly status?: number
  ) {
    super(message)
  }
}

/** Shorthand for the two most common refusals. */
export const missing = (parameter: string) => new OwsException('MissingParameterValue', `The ${parameter} parameter is required.`, parameter)
export const invalid = (parameter: string, why: string) => new OwsException('InvalidParameterValue', `${parameter}: ${why}`, parameter)

/** Which report format a service and version answer errors in. */
export type ExceptionStyle = 'wms111' | 'wms130' | 'wfs100' | 'ows110' | 'ows200' | 'wcs100'

export function exceptionStyle(service: string | undefined, version: string | undefined): ExceptionStyle {
  const s = (service ?? '').toUpperCase()
  const v = version ?? ''
  if (s === 'WMS') return v.startsWith('1.1') ? 'wms111' : 'wms130'
  if (s === 'WFS') return v === '1.0.0' ? 'wfs100' : v.startsWith('1.1') ? 'ows110' : 'ows200'
  if (s === 'WCS') return v.startsWith('1.0') ? 'wcs100' : v.startsWith('1.1') ? 'ows110' : 'ows200'
  if (s === 'CSW') return 'ows110'
  return 'ows110'
}

export interface RenderedException {
  status: number
  type: string
  body: string
}

/**
 * The exception report: ServiceExceptionReport (WMS 1.1.1 and 1.3.0, WFS 1.0.0, WCS 1.0.0) or
 * ows:ExceptionReport (OWS Common 1.1 for WFS 1.1, WCS 1.1 and CSW; 2.0 for WFS 2.0 and WCS 2.0).
 * WMS and WFS 1.x answer 200, as their specs and GeoServer do (clients read the body); OWS Common
 * 2.0 services answer the status its code maps to.
 */
export function renderException(error: OwsException, style: ExceptionStyle): RenderedException {
  const locator = error.locator ? ` locator="${esc(error.locator)}"` : ''
  const message = esc(error.message)
  const own = error.status
  switch (style) {
    case 'wms111':
      return {
        status: own ?? 200,
        type: 'application/vnd.ogc.se_xml',
        body: `${XML_HEADER}<!DOCTYPE ServiceExceptionReport SYSTEM "http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd">\n<ServiceExceptionReport version="1.1.1"><ServiceException code="${error.code}"${locator}>${message}</ServiceException></ServiceExceptionReport>\n`
      }
    case 'wms130':
      return {
        status: own ?? 200,
        type: 'text/xml',
        body: `${XML_HEADER}<ServiceExceptionReport version="1.3.0" xmlns="http://www.opengis.net/ogc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/ogc http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd"><ServiceException code="${error.code}"${locator}>${message}</ServiceException></ServiceExceptionReport>\n`
      }
    case 'wfs100':
    case 'wcs100':
      return {
        status: own ?? 200,
        type: 'text/xml',
        body: `${XML_HEADER}<ServiceExceptionReport version="1.2.0" xmlns="http://www.opengis.net/ogc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/ogc http://schemas.opengis.net/wfs/1.0.0/OGC-exception.xsd"><ServiceException code="${error.code}"${locator}>${message}</ServiceException></ServiceExceptionReport>\n`
      }
    case 'ows110':
      return {
        status: own ?? 200,
        type: 'text/xml',
        body: `${XML_HEADER}<ows:ExceptionReport version="1.1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/ows/1.1 http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd"><ows:Exception exceptionCode="${error.code}"${locator}><ows:ExceptionText>${message}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>\n`
      }
    case 'ows200':
      return {
        status: own ?? STATUS[error.code] ?? 400,
        type: 'application/xml',
        body: `${XML_HEADER}<ows:ExceptionReport version="2.0.0" xmlns:ows="http://www.opengis.net/ows/2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/ows/2.0 http://schemas.opengis.net/ows/2.0/owsExceptionReport.xsd"><ows:Exception exceptionCode="${error.code}"${locator}><ows:ExceptionText>${message}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>\n`
      }
  }
}
