import { NotAuthenticated, PermissionDenied, ValidationError } from '../../errors'
import type { FeatureEdit, FeatureInput, FeatureSelection } from '../../services/feature-writes.service'
import { MAX_EDIT_FEATURES } from '../../services/feature-writes.service'
import type { OwsLayer } from '../../services/ows-layers.service'
import { OwsException } from '../exceptions'
import { type PreparedFeatureQuery, prepareFeatureQuery } from '../features'
import { parseFilterElement, propertyName } from '../filter'
import { isGmlGeometry, readGmlGeometry } from '../gml'
import type { OwsRequest } from '../request'
import type { OwsAnswer, OwsContext } from '../types'
import { XML_HEADER, type XmlElement, attr, childNamed, childrenNamed, esc } from '../xml'
import { NS, type WfsVersion, defaultCrs, featureTypes, requestCrs, versionOf } from './common'
import { isFinite, toStored } from './geometry'
import type { Geometry } from 'geojson'

/**
 * WFS-T: Insert, Update and Delete actions of a Transaction (1.0.0, 1.1.0, 2.0.0, XML POST) run in
 * document order through the feature-write service, in one SQLite transaction: all or nothing.
 * Geometries are read in their srsName (else the action's, else the layer's default CRS in the
 * version's form) and carried to EPSG:4326. Callers without change_layer_data on a layer get 403.
 */

interface Parsed {
  edits: FeatureEdit[]
  queries: PreparedFeatureQuery[]
  handles: (string | undefined)[]
}

function geometryOf(element: XmlElement, srsName: string | undefined, layer: OwsLayer, version: WfsVersion): Geometry | null {
  const shape = element.children.find(isGmlGeometry)
  if (!shape) return null
  const gml = readGmlGeometry(shape)
  const crs = gml.srsName ? requestCrs(gml.srsName) : srsName ? requestCrs(srsName) : defaultCrs(version, layer)
  const geometry = toStored(gml.geometry, crs)
  if (!isFinite(geometry)) throw new OwsException('InvalidParameterValue', `A geometry lies outside the area of ${crs.name}.`, 'geometry')
  return geometry
}

/** A feature element of an Insert: its properties by local name, its geometry from the geometry attribute. */
function featureOf(element: XmlElement, layer: OwsLayer, srsName: string | undefined, version: WfsVersion): FeatureInput {
  const properties: Record<string, unknown> = {}
  let geometry: Geometry | null = null
  for (const child of element.children) {
    if (child.prefix === 'gml') continue
    if (child.name === layer.geometryAttribute || child.children.some(isGmlGeometry)) {
      if (child.name !== layer.geometryAttribute) throw new OwsException('InvalidParameterValue', `${child.name} is not the geometry of ${layer.alternate} (${layer.geometryAttribute ?? 'none'}).`, child.name)
      geometry = geometryOf(child, srsName, layer, version)
      continue
    }
    properties[child.name] = child.attrs['xsi:nil'] === 'true' ? null : child.text
  }
  return { geometry, properties }
}

async function layerFor(ctx: OwsContext, req: OwsRequest, name: string): Promise<OwsLayer> {
  const [layer] = await featureTypes(ctx, req, [name], 'typeName')
  return layer
}

function selection(ctx: OwsContext, version: WfsVersion, action: XmlElement, layer: OwsLayer, queries: PreparedFeatureQuery[]): FeatureSelection {
  const filterElement = childNamed(action, 'Filter')
  const srsName = attr(action, 'srsName')
  const fallback = srsName ? requestCrs(srsName) : defaultCrs(version, layer)
  const prepared = prepareFeatureQuery(ctx.sqlite, {
    source: { name: layer.name, featureSetId: layer.featureSetId!, attributes: layer.attributes, geometryAttribute: layer.geometryAttribute },
    bbox: null,
    filter: filterElement ? parseFilterElement(filterElement) : null,
    sortBy: [],
    shapeOf: (f) => {
      const crs = f.geometry.srsName ? requestCrs(f.geometry.srsName, 'filter') : fallback
      return { geometry: toStored(f.geometry.geometry, crs), geographic: crs.epsg === 4326 }
    }
  })
  queries.push(prepared)
  return { rows: () => prepared.pageIds(0, MAX_EDIT_FEATURES + 1) }
}

async function parse(ctx: OwsContext, req: OwsRequest, version: WfsVersion, xml: XmlElement): Promise<Parsed> {
  const parsed: Parsed = { edits: [], queries: [], handles: [] }
  for (const action of xml.children) {
    const handle = attr(action, 'handle')
    if (action.name === 'Insert') {
      const srsName = attr(action, 'srsName')
      const byLayer = new Map<number, { layer: OwsLayer; features: FeatureInput[] }>()
      const members = action.children.flatMap((c) => (c.name === 'FeatureCollection' ? childrenNamed(c, 'featureMember').flatMap((m) => m.children).concat(childrenNamed(c, 'member').flatMap((m) => m.children)) : [c]))
      for (const element of members) {
        const layer = await layerFor(ctx, req, element.prefix ? `${element.prefix}:${element.name}` : element.name)
        const entry = byLayer.get(layer.id) ?? { layer, features: [] }
        entry.features.push(featureOf(element, layer, srsName, version))
        byLayer.set(layer.id, entry)
      }
      for (const { layer, features } of byLayer.values()) {
        parsed.edits.push({ kind: 'insert', layerId: layer.id, features })
        parsed.handles.push(handle)
      }
      continue
    }
    if (action.name === 'Update' || action.name === 'Delete') {
      const typeName = attr(action, 'typeName') ?? attr(action, 'typeNames')
      if (!typeName) throw new OwsException('MissingParameterValue', `${action.name} names no typeName.`, 'typeName')
      const layer = await layerFor(ctx, req, typeName)
      const select = selection(ctx, version, action, layer, parsed.queries)
      if (action.name === 'Delete') {
        if (!childNamed(action, 'Filter')) throw new OwsException('MissingParameterValue', 'Delete needs a Filter.', 'Filter')
        parsed.edits.push({ kind: 'delete', layerId: layer.id, select })
      } else {
        const properties: Record<string, unknown> = {}
        let geometry: Geometry | null | undefined
        for (const property of childrenNamed(action, 'Property')) {
          const name = propertyName((childNamed(property, 'Name') ?? childNamed(property, 'ValueReference'))?.text ?? '')
          if (!name) throw new OwsException('InvalidParameterValue', 'An Update Property names nothing.', 'Property')
          const value = childNamed(property, 'Value')
          if (name === layer.geometryAttribute) geometry = value ? geometryOf(value, attr(action, 'srsName'), layer, version) : null
          else properties[name] = value ? (value.children.length ? value.children.map((c) => c.text).join('') : value.text) : null
        }
        parsed.edits.push({ kind: 'update', layerId: layer.id, select, properties, ...(geometry !== undefined ? { geometry } : {}) })
      }
      parsed.handles.push(handle)
      continue
    }
    if (action.name === 'Replace' || action.name === 'Native') throw new OwsException('OperationNotSupported', `${action.name} is not offered in a Transaction here (Insert, Update, Delete).`, action.name)
    if (action.name === 'LockId') continue
    throw new OwsException('InvalidParameterValue', `<${action.name}> is not a Transaction action.`, action.name)
  }
  return parsed
}

function response(version: WfsVersion, parsed: Parsed, result: { inserted: number[][]; updated: number; deleted: number }, layers: Map<number, OwsLayer>): string {
  const inserted = parsed.edits.flatMap((edit, i) => (edit.kind === 'insert' ? result.inserted[i].map((fid) => ({ id: `${layers.get(edit.layerId)!.name}.${fid}`, handle: parsed.handles[i] })) : []))
  const total = inserted.length
  if (version === '1.0.0') {
    const insertResult = total ? `<wfs:InsertResult>${inserted.map((f) => `<ogc:FeatureId fid="${esc(f.id)}"/>`).join('')}</wfs:InsertResult>` : ''
    return `${XML_HEADER}<wfs:WFS_TransactionResponse version="1.0.0" xmlns:wfs="${NS.wfs}" xmlns:ogc="${NS.ogc}">${insertResult}<wfs:TransactionResult><wfs:Status><wfs:SUCCESS/></wfs:Status></wfs:TransactionResult></wfs:WFS_TransactionResponse>\n`
  }
  const summary = `<wfs:TransactionSummary><wfs:totalInserted>${total}</wfs:totalInserted><wfs:totalUpdated>${result.updated}</wfs:totalUpdated>${version === '2.0.0' ? '<wfs:totalReplaced>0</wfs:totalReplaced>' : ''}<wfs:totalDeleted>${result.deleted}</wfs:totalDeleted></wfs:TransactionSummary>`
  const handleAttr = (h: string | undefined) => (h ? ` handle="${esc(h)}"` : '')
  if (version === '1.1.0') {
    const results = total ? `<wfs:InsertResults>${inserted.map((f) => `<wfs:Feature${handleAttr(f.handle)}><ogc:FeatureId fid="${esc(f.id)}"/></wfs:Feature>`).join('')}</wfs:InsertResults>` : ''
    return `${XML_HEADER}<wfs:TransactionResponse version="1.1.0" xmlns:wfs="${NS.wfs}" xmlns:ogc="${NS.ogc}">${summary}<wfs:TransactionResults/>${results}</wfs:TransactionResponse>\n`
  }
  const results = total ? `<wfs:InsertResults>${inserted.map((f) => `<wfs:Feature${handleAttr(f.handle)}><fes:ResourceId rid="${esc(f.id)}"/></wfs:Feature>`).join('')}</wfs:InsertResults>` : ''
  return `${XML_HEADER}<wfs:TransactionResponse version="2.0.0" xmlns:wfs="${NS.wfs20}" xmlns:fes="${NS.fes}">${summary}${results}</wfs:TransactionResponse>\n`
}

export async function transaction(ctx: OwsContext, req: OwsRequest): Promise<OwsAnswer> {
  const version = versionOf(req)
  if (!req.xml) throw new OwsException('OperationNotSupported', 'A Transaction is an XML document sent by POST.', 'request')
  if (!ctx.caller.authenticated) throw new NotAuthenticated()
  const parsed = await parse(ctx, req, version, req.xml)
  try {
    const layers = new Map<number, OwsLayer>()
    for (const edit of parsed.edits) if (!layers.has(edit.layerId)) layers.set(edit.layerId, (await ctx.services.owsLayers.byId(ctx.caller, edit.layerId))!)
    const result = await ctx.services.featureWrites.apply(ctx.caller, parsed.edits)
    return { type: 'text/xml', body: response(version, parsed, result, layers) }
  } catch (error) {
    if (error instanceof PermissionDenied) throw new OwsException('NoApplicableCode', error.message, 'Transaction', 403)
    if (error instanceof ValidationError) {
      const [field, messages] = Object.entries(error.fields as Record<string, string[]>)[0] ?? ['Transaction', [error.message]]
      throw new OwsException('InvalidParameterValue', (Array.isArray(messages) ? messages : [String(messages)]).join(' '), field)
    }
    throw error
  } finally {
    parsed.queries.forEach((q) => q.release())
  }
}

