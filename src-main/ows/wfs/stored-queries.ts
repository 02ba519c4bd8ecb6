import type { OwsRequest } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, esc } from '../xml'
import { NS, namespaceOf, visibleFeatureTypes } from './common'
import { GET_FEATURE_BY_ID } from './query'

/** WFS 2.0's one mandatory stored query, GetFeatureById, listed and described as the standard asks. */

export async function listStoredQueries(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const layers = await visibleFeatureTypes(ctx, req)
  const spaces = [...new Set(layers.map((l) => l.workspace))]
  const returns = layers.map((l) => `<wfs:ReturnFeatureType>${esc(l.alternate)}</wfs:ReturnFeatureType>`).join('')
  return {
    type: 'text/xml',
    body: `${XML_HEADER}<wfs:ListStoredQueriesResponse xmlns:wfs="${NS.wfs20}"${spaces.map((w) => ` xmlns:${w}="${esc(namespaceOf(w))}"`).join('')}><wfs:StoredQuery id="${GET_FEATURE_BY_ID}"><wfs:Title>Get feature by identifier</wfs:Title>${returns}</wfs:StoredQuery></wfs:ListStoredQueriesResponse>\n`
  }
}

export async function describeStoredQueries(): Promise<OwsAnswer> {
  return {
    type: 'text/xml',
    body: `${XML_HEADER}<wfs:DescribeStoredQueriesResponse xmlns:wfs="${NS.wfs20}" xmlns:xs="${NS.xsd}"><wfs:StoredQueryDescription id="${GET_FEATURE_BY_ID}"><wfs:Title>Get feature by identifier</wfs:Title><wfs:Abstract>Returns the single feature whose identifier is ID.</wfs:Abstract><wfs:Parameter name="ID" type="xs:string"/><wfs:QueryExpressionText isPrivate="true" language="urn:ogc:def:queryLanguage:OGC-WFS::WFS_QueryExpression" returnFeatureTypes=""/></wfs:StoredQueryDescription></wfs:DescribeStoredQueriesResponse>\n`
  }
}
