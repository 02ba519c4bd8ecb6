import { existsSync, openAsBlob, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import proj4 from 'proj4'
import { type ApiResponse, authHeader, type TestServer, type Who } from './server'
import { FIXTURES_DIR } from './fixtures-files'

/** One file part of a multipart body: bytes in memory, or a file on disk (streamed). */
export interface FilePart {
  field: string
  name: string
  data?: Buffer | string
  path?: string
  type?: string
}

/** A part for a file on disk under its own name, or under `name`. */
export function fileOnDisk(field: string, path: string, name = path.split('/').pop()!): FilePart {
  return { field, name, path }
}

/** A part with bytes made in the test. */
export function fileBytes(field: string, name: string, data: Buffer | string, type?: string): FilePart {
  return { field, name, data, type }
}

async function formOf(files: FilePart[], fields: Record<string, string>): Promise<FormData> {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  for (const part of files) {
    const blob = part.path
      ? await openAsBlob(part.path, { type: part.type ?? 'application/octet-stream' })
      : new Blob([new Uint8Array(typeof part.data === 'string' ? Buffer.from(part.data) : part.data!)], { type: part.type ?? 'application/octet-stream' })
    form.append(part.field, blob, part.name)
  }
  return form
}

/** A multipart/form-data request (fetch sets the boundary); JSON answers are parsed. */
export async function postMultipart<T = any>(
  server: Pick<TestServer, 'url'>,
  path: string,
  options: { who?: Who; method?: string; files?: FilePart[]; fields?: Record<string, string> } = {}
): Promise<ApiResponse<T>> {
  const body = await formOf(options.files ?? [], options.fields ?? {})
  const response = await fetch(server.url + path, { method: options.method ?? 'POST', headers: authHeader(options.who ?? 'anonymous'), body })
  const text = await response.text()
  const isJson = (response.headers.get('content-type') ?? '').includes('json')
  return { status: response.status, headers: response.headers, text, body: (isJson && text ? JSON.parse(text) : text) as T }
}

/** POST /api/v2/uploads/upload/ (GeoNode 3.3: the whole wizard in one request). */
export function uploadLayer(server: Pick<TestServer, 'url'>, who: Who, files: FilePart[], fields: Record<string, string> = {}) {
  return postMultipart(server, '/api/v2/uploads/upload/', { who, files, fields })
}

/** GET bytes (not parsed), with optional headers. */
export async function getBytes(server: Pick<TestServer, 'url'>, path: string, who: Who = 'anonymous', headers: Record<string, string> = {}) {
  const url = /^https?:/.test(path) ? path : server.url + (path.startsWith('/') ? path : `/${path}`)
  const response = await fetch(url, { headers: { ...authHeader(who), ...headers } })
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) }
}

/** The shapefile fixture's parts (EPSG:32633, cp1252), as loose upload fields. */
export function townsShapefile(options: { prj?: boolean; shx?: boolean; dbf?: boolean; cpg?: boolean } = {}): FilePart[] {
  const at = (ext: string) => join(FIXTURES_DIR, `towns_utm33.${ext}`)
  const parts = [fileOnDisk('base_file', at('shp'))]
  if (options.dbf !== false) parts.push(fileOnDisk('dbf_file', at('dbf')))
  if (options.shx !== false) parts.push(fileOnDisk('shx_file', at('shx')))
  if (options.prj !== false) parts.push(fileOnDisk('prj_file', at('prj')))
  if (options.cpg) parts.push(fileOnDisk('cpg_file', at('cpg')))
  return parts
}

export const fixturePath = (name: string) => join(FIXTURES_DIR, name)
export const fixtureBytes = (name: string) => readFileSync(join(FIXTURES_DIR, name))

/** The towns in the shapefile fixture, in EPSG:32633 (read from the .shp: three points at byte 100 + 8 + 4 each 28 bytes). */
export function townsUtm(): [number, number][] {
  const shp = fixtureBytes('towns_utm33.shp')
  const out: [number, number][] = []
  for (let at = 100; at + 28 <= shp.length; at += 28) out.push([shp.readDoubleLE(at + 12), shp.readDoubleLE(at + 20)])
  return out
}

proj4.defs('EPSG:32633', '+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs')

/** UTM 33N metres to [lon, lat], computed here (not by the server). */
export function utm33ToLonLat(point: [number, number]): [number, number] {
  return proj4('EPSG:32633', 'EPSG:4326', point) as [number, number]
}

/** The lon/lat extent of a list of points. */
export function extentOf(points: [number, number][]): [number, number, number, number] {
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

/** The four corners of a GeoJSON bbox polygon as [minx, miny, maxx, maxy]. */
export function extentOfPolygon(polygon: { coordinates: number[][][] }): [number, number, number, number] {
  return extentOf(polygon.coordinates[0]!.map((p) => [p[0]!, p[1]!]))
}

/** Rows counted in the tables an upload writes. */
export const UPLOAD_TABLES = ['resources', 'layers', 'uploads', 'upload_files', 'feature_sets', 'layer_features', 'layer_attributes', 'styles'] as const

export function tableCounts(one: (q: string) => any, tables: readonly string[] = UPLOAD_TABLES): Record<string, number> {
  return Object.fromEntries(tables.map((t) => [t, one(`SELECT count(*) AS n FROM ${t}`).n as number]))
}

/** Entries under files/ and tmp/uploads/ of a data folder. */
export function dataFolderEntries(dataDir: string): { files: string[]; uploads: string[] } {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : [])
  return { files: list(join(dataDir, 'files')), uploads: list(join(dataDir, 'tmp', 'uploads')) }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `probe` until it returns a value `done` accepts, every 25 ms, up to `timeoutMs`; returns the
 * last value (the caller's expect then shows it when the deadline passed).
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await probe()
  while (!done(value) && Date.now() < deadline) {
    await pause(25)
    value = await probe()
  }
  return value
}

/** The pk of a layer by its name (layers.name), from the database. */
export function layerIdByName(one: (q: string, ...p: unknown[]) => any, name: string): number {
  return one('SELECT resource_id AS id FROM layers WHERE name = ?', name)?.id
}

/** A tiny ISO 19139 document with a title, an abstract and keywords. */
export function isoXml(title: string, abstract: string, keywords: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>${title}</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>${abstract}</gco:CharacterString></gmd:abstract>
      <gmd:descriptiveKeywords><gmd:MD_Keywords>
        ${keywords.map((k) => `<gmd:keyword><gco:CharacterString>${k}</gco:CharacterString></gmd:keyword>`).join('\n        ')}
      </gmd:MD_Keywords></gmd:descriptiveKeywords>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
</gmd:MD_Metadata>`
}

/** A small SLD 1.0 with a named layer and a named user style. */
export function sldXml(styleName: string, title: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc">
  <NamedLayer><Name>towns</Name>
    <UserStyle><Name>${styleName}</Name><Title>${title}</Title>
      <FeatureTypeStyle><Rule><PointSymbolizer><Graphic><Mark><WellKnownName>circle</WellKnownName>
        <Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></Mark><Size>8</Size></Graphic></PointSymbolizer></Rule></FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>`
}
