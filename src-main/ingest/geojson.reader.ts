import { createReadStream } from 'node:fs'
import { basename, extname } from 'node:path'
import type { Feature, Geometry } from 'geojson'
import { FieldInferrer, GeometryTypeCollector, conformProperties } from './attributes'
import { crsFromEpsg } from './crs'
import { IngestError, type FieldDef, type SourceCrs, type VectorSource } from './types'

const BATCH = 2000
const CHUNK = 1 << 20

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COLON = 0x3a
const COMMA = 0x2c

const BOM = [0xef, 0xbb, 0xbf]

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection'])

/** A JSON syntax error at an absolute byte offset. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string
  ) {
    super(`${reason} at byte ${offset}`)
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16)}`
}

/**
 * Splits a JSON document, fed chunk by chunk, into the elements of its top-level `features` array
 * (each handed over as text, to be JSON.parse'd on its own) and the skeleton: the rest of the
 * document with that array emptied, small enough to parse whole. It tracks strings, escapes and
 * bracket nesting only; JSON.parse checks the grammar inside each piece.
 */
export class FeatureSplitter {
  count = 0
  private base = 0
  private readonly stack: number[] = []
  private inString = false
  private escape = false
  private started = false
  private stringStart = -1
  private partialString: Buffer | null = null
  private lastString = ''
  private key = ''
  private inFeatures = false
  private afterElement = false
  private sawComma = false
  private elementStart = -1
  private elementParts: Buffer[] = []
  private capturing = true
  private segmentStart = 0
  private readonly skeletonParts: Buffer[] = []

  /** Scans a chunk and calls onElement for each complete feature text, with its absolute byte offset. */
  feed(chunk: Buffer, onElement: (json: string, offset: number) => void): void {
    const n = chunk.length
    let i = 0
    this.segmentStart = 0
    // A UTF-8 byte order mark may open the file (and may be split across the first chunks).
    while (this.base + i < 3 && i < n && chunk[i] === BOM[this.base + i] && !this.started) i++
    this.segmentStart = i
    if (this.inString) {
      const from = this.escape ? 1 : 0
      this.escape = false
      i = this.skipString(chunk, Math.min(from, n), true) + 1
    }
    for (; i < n; i++) {
      const c = chunk[i]
      switch (c) {
        case QUOTE:
          this.checkElementValue(c, i)
          i = this.skipString(chunk, i + 1, false)
          break
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          this.open(c, chunk, i)
          break
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.close(c, chunk, i, onElement)
          break
        case COLON:
          if (this.stack.length === 1) this.key = this.lastString
          else this.checkElementValue(c, i)
          break
        case COMMA:
          if (this.stack.length === 1) this.key = ''
          else if (this.inFeatures && this.stack.length === 2) {
            if (!this.afterElement) throw new JsonSyntaxError(this.base + i, "unexpected ',' in the features array")
            this.afterElement = false
            this.sawComma = true
          }
          break
        default:
          if (this.stack.length <= 2 && !isWhitespace(c)) this.checkElementValue(c, i)
      }
    }
    if (this.elementStart >= 0) this.elementParts.push(chunk.subarray(Math.max(0, this.elementStart - this.base)))
    if (this.capturing && this.segmentStart < n) this.skeletonParts.push(Buffer.from(chunk.subarray(this.segmentStart)))
    this.base += n
  }

  /** Ends the input; returns the skeleton text. */
  end(): string {
    if (this.inString || this.stack.length > 0) throw new JsonSyntaxError(this.base, 'the file ends unexpectedly')
    return Buffer.concat(this.skeletonParts).toString('utf8')
  }

  get bytesRead(): number {
    return this.base
  }

  // Structural bytes directly inside the top level (after the document) or the features array.
  private checkElementValue(c: number, i: number): void {
    const depth = this.stack.length
    if (depth === 0 && this.started) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)} after the end of the document`)
    if (depth === 0) this.started = true
    if (this.inFeatures && depth === 2) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)}: features must be objects`)
  }

  private skipString(chunk: Buffer, from: number, resumed: boolean): number {
    const n = chunk.length
    let q = chunk.indexOf(QUOTE, from)
    while (q !== -1) {
      let backslashes = 0
      for (let k = q - 1; k >= from && chunk[k] === BACKSLASH; k--) backslashes++
      if ((backslashes & 1) === 0) break
      q = chunk.indexOf(QUOTE, q + 1)
    }
    const top = this.stack.length === 1
    if (q === -1) {
      let backslashes = 0
      for (let k = n - 1; k >= from && chunk[k] === BACKSLASH; k--) backslashes++
      this.inString = true
      this.escape = (backslashes & 1) === 1
      if (top) {
        const start = resumed ? 0 : from
        const part = Buffer.from(chunk.subarray(start, Math.min(n, start + 64)))
        this.partialString = resumed && this.partialString ? Buffer.concat([this.partialString, part]) : part
      }
      return n
    }
    this.inString = false
    if (top) {
      // Only keys at the top level matter ("features"); long strings there are values.
      if (resumed && this.partialString) {
        this.lastString = Buffer.concat([this.partialString, chunk.subarray(0, Math.min(q, 64))]).toString('utf8')
      } else this.lastString = q - from < 64 ? chunk.toString('utf8', from, q) : ''
      this.partialString = null
    }
    return q
  }

  private open(c: number, chunk: Buffer, i: number): void {
    const depth = this.stack.length
    if (depth === 0 && this.started) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)} after the end of the document`)
    this.started = true
    if (this.inFeatures && depth === 2) {
      if (c !== OPEN_OBJECT) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)}: features must be objects`)
      if (this.afterElement) throw new JsonSyntaxError(this.base + i, "expected ',' or ']' after a feature")
      this.elementStart = this.base + i
    } else if (depth === 1 && c === OPEN_ARRAY && this.key === 'features' && this.stack[0] === CLOSE_OBJECT && this.capturing) {
      this.skeletonParts.push(Buffer.from(chunk.subarray(this.segmentStart, i + 1)))
      this.capturing = false
      this.inFeatures = true
      this.afterElement = false
      this.sawComma = false
    }
    this.stack.push(c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)
  }

  private close(c: number, chunk: Buffer, i: number, onElement: (json: string, offset: number) => void): void {
    const expected = this.stack.pop()
    if (expected === undefined && this.started) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)} after the end of the document`)
    if (expected !== c) throw new JsonSyntaxError(this.base + i, `unexpected ${describe(c)}`)
    const depth = this.stack.length
    if (!this.inFeatures) return
    if (depth === 2) {
      const start = this.elementStart
      let json: string
      if (this.elementParts.length > 0) {
        json = Buffer.concat([...this.elementParts, chunk.subarray(0, i + 1)]).toString('utf8')
        this.elementParts = []
      } else json = chunk.toString('utf8', start - this.base, i + 1)
      this.elementStart = -1
      this.afterElement = true
      this.count++
      onElement(json, start)
    } else if (depth === 1) {
      if (this.sawComma && !this.afterElement) throw new JsonSyntaxError(this.base + i, "unexpected ']' after ','")
      this.inFeatures = false
      this.capturing = true
      this.segmentStart = i
    }
  }
}

/** Parses one piece of JSON, mapping a syntax error to an absolute byte offset. */
function parseAt(json: string, offset: number): unknown {
  try {
    return JSON.parse(json)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const position = /position (\d+)/.exec(message)
    const at = position ? Number(position[1]) : errorPosition(json)
    const reason = message.replace(/,? ?(in JSON )?at position \d+.*$/s, '').replace(/, .* is not valid JSON$/s, '')
    throw new JsonSyntaxError(offset + Buffer.byteLength(json.slice(0, at)), reason || 'invalid JSON')
  }
}

// V8 does not always say where JSON.parse failed. A prefix that is fine so far fails only with
// "end of input", so the shortest prefix failing otherwise ends at the offending character.
function errorPosition(json: string): number {
  const failsInside = (length: number): boolean => {
    try {
      JSON.parse(json.slice(0, length))
      return false
    } catch (error) {
      return !/end of (JSON )?input|Unterminated string/i.test(error instanceof Error ? error.message : '')
    }
  }
  let low = 1
  let high = json.length
  if (!failsInside(high)) return 0
  while (low < high) {
    const mid = (low + high) >>> 1
    if (failsInside(mid)) high = mid
    else low = mid + 1
  }
  return low - 1
}

async function lineAt(path: string, offset: number): Promise<number> {
  let line = 1
  let seen = 0
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK, end: Math.max(0, offset - 1) }) as AsyncIterable<Buffer>) {
    for (let k = chunk.indexOf(0x0a); k !== -1 && seen + k < offset; k = chunk.indexOf(0x0a, k + 1)) line++
    seen += chunk.length
  }
  return line
}

async function scan(path: string, onElement: (json: string, offset: number) => void): Promise<{ skeleton: string; count: number }> {
  const splitter = new FeatureSplitter()
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    splitter.feed(chunk, onElement)
  }
  return { skeleton: splitter.end(), count: splitter.count }
}

async function withJsonErrors<T>(path: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
    const line = await lineAt(path, error.offset)
    throw new IngestError(file, `the file is not valid JSON: ${error.reason} at byte ${error.offset} (line ${line})`)
  }
}

function asFeature(value: unknown, file: string, index: number): Feature<Geometry | null> {
  const feature = value as Feature<Geometry | null> | null
  if (!feature || typeof feature !== 'object' || feature.type !== 'Feature') {
    throw new IngestError(file, `features[${index}] is not a GeoJSON Feature`)
  }
  const geometry = feature.geometry
  if (geometry !== null && (typeof geometry !== 'object' || !GEOMETRY_TYPES.has(geometry?.type))) {
    throw new IngestError(file, `features[${index}] has an invalid geometry`)
  }
  if (geometry === undefined) feature.geometry = null
  return feature
}

/** The CRS of a legacy (2008) `crs` member; RFC 7946 data is EPSG:4326. */
export function geoJsonCrs(crs: unknown, file: string): SourceCrs {
  if (crs === undefined || crs === null) return crsFromEpsg(4326)
  const member = crs as { type?: string; properties?: { name?: unknown; code?: unknown } }
  if (member.type === 'EPSG' && member.properties?.code !== undefined) return crsFromEpsg(Number(member.properties.code))
  const name = typeof member.properties?.name === 'string' ? member.properties.name.trim() : ''
  if (/CRS:?84$/i.test(name)) return crsFromEpsg(4326)
  const code = /EPSG\D.*?(\d+)$/i.exec(name)
  if (!code) throw new IngestError(file, `unsupported crs member: ${JSON.stringify(crs).slice(0, 120)}`)
  try {
    return crsFromEpsg(Number(code[1]))
  } catch {
    throw new IngestError(file, `unknown crs ${name}`)
  }
}

/**
 * Reads a GeoJSON FeatureCollection, Feature or bare geometry. The file is read twice, both times
 * streamed: once to count features and infer the fields, once in features(); a FeatureCollection
 * is never held in memory whole.
 */
export async function openGeoJson(path: string): Promise<VectorSource> {
  const file = basename(path)
  const inferrer = new FieldInferrer()
  const geometries = new GeometryTypeCollector()
  let index = 0
  const { skeleton, count } = await withJsonErrors(path, file, () =>
    scan(path, (json, offset) => {
      const feature = asFeature(parseAt(json, offset), file, index++)
      inferrer.observe(feature.properties)
      geometries.add(feature.geometry)
    })
  )
  const root = await withJsonErrors(path, file, async () => parseAt(skeleton, 0))
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new IngestError(file, 'the file is not GeoJSON: no FeatureCollection, Feature or geometry')
  const doc = root as { type?: unknown; crs?: unknown; features?: unknown }
  let single: Feature<Geometry | null> | null = null
  if (doc.type === 'FeatureCollection') {
    if (!Array.isArray(doc.features)) throw new IngestError(file, 'the FeatureCollection has no features array')
  } else if (doc.type === 'Feature') {
    single = asFeature(doc, file, 0)
  } else if (typeof doc.type === 'string' && GEOMETRY_TYPES.has(doc.type)) {
    single = { type: 'Feature', properties: {}, geometry: doc as Geometry }
  } else {
    throw new IngestError(file, `the file is not GeoJSON: unexpected type ${JSON.stringify(doc.type ?? null)}`)
  }
  if (single) {
    inferrer.observe(single.properties)
    geometries.add(single.geometry)
    delete (single as { crs?: unknown }).crs
  }
  const fields = inferrer.fields()
  return {
    kind: 'vector',
    name: basename(path, extname(path)),
    file,
    format: 'geojson',
    crs: geoJsonCrs(doc.crs, file),
    geometryType: geometries.propertyType,
    fields,
    charset: 'UTF-8',
    countHint: single ? 1 : count,
    features: () => (single ? singleBatch(single, fields) : readFeatures(path, file, fields))
  }
}

async function* singleBatch(feature: Feature<Geometry | null>, fields: FieldDef[]): AsyncGenerator<Feature<Geometry | null>[]> {
  yield [{ ...feature, properties: conformProperties(feature.properties, fields) }]
}

async function* readFeatures(path: string, file: string, fields: FieldDef[]): AsyncGenerator<Feature<Geometry | null>[]> {
  const splitter = new FeatureSplitter()
  let batch: Feature<Geometry | null>[] = []
  let index = 0
  const onElement = (json: string, offset: number): void => {
    const feature = asFeature(parseAt(json, offset), file, index++)
    feature.properties = conformProperties(feature.properties, fields)
    batch.push(feature)
  }
  const stream = createReadStream(path, { highWaterMark: CHUNK })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      await withJsonErrors(path, file, async () => splitter.feed(chunk, onElement))
      if (batch.length >= BATCH) {
        // A 1 MB chunk holds several thousand small features: hand them over in BATCH-sized slices.
        for (let k = 0; k < batch.length; k += BATCH) yield batch.slice(k, k + BATCH)
        batch = []
      }
    }
    await withJsonErrors(path, file, async () => splitter.end())
    if (batch.length > 0) yield batch
  } finally {
    stream.destroy()
  }
}
