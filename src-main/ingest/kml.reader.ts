import { createWriteStream } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { basename, extname, isAbsolute, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { kml } from '@tmcw/togeojson'
import { DOMParser, type Document } from '@xmldom/xmldom'
import type { Feature, Geometry } from 'geojson'
import iconv from 'iconv-lite'
import yauzl from 'yauzl'
import { FieldInferrer, GeometryTypeCollector, conformProperties } from './attributes'
import { crsFromEpsg } from './crs'
import { IngestError, type VectorSource } from './types'

const BATCH = 2000

// togeojson turns KML styles into simplestyle properties: presentation, not attributes.
const STYLE_KEYS = new Set([
  'styleUrl',
  'styleHash',
  'styleMapHash',
  'stroke',
  'stroke-opacity',
  'stroke-width',
  'fill',
  'fill-opacity',
  'icon',
  'icon-opacity',
  'icon-color',
  'icon-scale',
  'icon-heading',
  'icon-offset',
  'icon-offset-units',
  'label-scale',
  'label-color',
  'label-opacity',
  'visibility'
])

/** Parses an XML file, decoding it in the charset its declaration names (UTF-8 by default). */
export async function parseXmlFile(path: string): Promise<Document> {
  const bytes = await readFile(path)
  return parseXml(bytes, basename(path))
}

export function parseXml(bytes: Buffer, file: string): Document {
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(bytes.toString('latin1', 0, 200))?.[1]
  const charset = declared && iconv.encodingExists(declared) ? declared : 'utf8'
  const text = iconv.decode(bytes, charset)
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message)
      }
    }).parseFromString(text, 'text/xml')
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new IngestError(file, `the file is not valid XML: ${message}`)
  }
}

/** Flattens a togeojson property bag into attributes: style keys dropped, nested objects as `key_sub`. */
export function flattenProperties(properties: Record<string, unknown> | null, drop: ReadonlySet<string> = STYLE_KEYS): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(properties ?? {})) {
    if (drop.has(key)) continue
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const object = value as Record<string, unknown>
      // togeojson keeps an HTML description as { '@type': 'html', value }.
      if ('value' in object && '@type' in object) out[key] = object.value
      else for (const [sub, v] of Object.entries(object)) out[`${key}_${sub}`] = v
    } else out[key] = value
  }
  return out
}

/** A vector source over features already in memory (KML and GPX documents are parsed whole). */
export function inMemorySource(
  features: Feature<Geometry | null>[],
  meta: { name: string; file: string; format: string },
  options: { textValues?: boolean } = {}
): VectorSource {
  const inferrer = new FieldInferrer()
  const geometries = new GeometryTypeCollector()
  for (const feature of features) {
    if (options.textValues) inferrer.observeTextual(feature.properties)
    else inferrer.observe(feature.properties)
    geometries.add(feature.geometry)
  }
  const fields = inferrer.fields()
  return {
    kind: 'vector',
    ...meta,
    crs: crsFromEpsg(4326),
    geometryType: geometries.propertyType,
    fields,
    charset: 'UTF-8',
    countHint: features.length,
    features: async function* () {
      for (let i = 0; i < features.length; i += BATCH) {
        yield features.slice(i, i + BATCH).map((f) => ({ ...f, properties: conformProperties(f.properties, fields) }))
      }
    }
  }
}

/** Reads a KML document's placemarks (all folders) as one EPSG:4326 source. */
export async function openKml(path: string): Promise<VectorSource> {
  const file = basename(path)
  const doc = await parseXmlFile(path)
  if (doc.documentElement?.localName !== 'kml') throw new IngestError(file, 'the file is not KML: its root element is not <kml>')
  let features: Feature<Geometry | null>[]
  try {
    features = kml(doc).features
  } catch (error) {
    throw new IngestError(file, `the KML cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }
  for (const feature of features) feature.properties = flattenProperties(feature.properties)
  // ExtendedData values are text: type them like CSV cells.
  return inMemorySource(features, { name: basename(path, extname(path)), file, format: 'kml' }, { textValues: true })
}

function unsafeEntry(name: string): boolean {
  return isAbsolute(name) || /^[a-z]:/i.test(name) || name.startsWith('\\') || name.split(/[\\/]/).includes('..')
}

async function mainDocument(zip: yauzl.ZipFile, file: string): Promise<yauzl.Entry | null> {
  let chosen: yauzl.Entry | null = null
  try {
    for await (const entry of zip.eachEntry()) {
      if (unsafeEntry(entry.fileName)) throw new IngestError(file, `the archive holds an unsafe path: ${entry.fileName}`)
      if (!entry.fileName.toLowerCase().endsWith('.kml')) continue
      const isDoc = basename(entry.fileName).toLowerCase() === 'doc.kml'
      if (!chosen || (isDoc && basename(chosen.fileName).toLowerCase() !== 'doc.kml')) chosen = entry
    }
  } catch (error) {
    if (error instanceof IngestError) throw error
    const message = error instanceof Error ? error.message : String(error)
    // yauzl itself refuses `..`, absolute and backslash names while listing entries.
    const unsafe = /^(?:invalid relative path|absolute path|invalid characters in fileName): (.*)$/.exec(message)
    throw new IngestError(file, unsafe ? `the archive holds an unsafe path: ${unsafe[1]}` : `the archive cannot be read: ${message}`)
  }
  return chosen
}

/**
 * Extracts a KMZ's main document (doc.kml, else the first .kml) into extractDir and reads it.
 * Entries with `..` or absolute paths refuse the whole archive.
 */
export async function openKmz(path: string, extractDir: string): Promise<VectorSource> {
  const file = basename(path)
  let zip: yauzl.ZipFile
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false })
  } catch (error) {
    throw new IngestError(file, `the file is not a KMZ (zip) archive: ${error instanceof Error ? error.message : String(error)}`)
  }
  try {
    const chosen = await mainDocument(zip, file)
    if (!chosen) throw new IngestError(file, 'the KMZ holds no .kml document')
    await mkdir(extractDir, { recursive: true })
    const target = join(extractDir, basename(chosen.fileName))
    await pipeline(await zip.openReadStreamPromise(chosen), createWriteStream(target))
    const source = await openKml(target)
    return { ...source, name: basename(path, extname(path)), file, format: 'kml' }
  } finally {
    zip.close()
  }
}
