import { basename, extname } from 'node:path'
import { gpx } from '@tmcw/togeojson'
import type { Feature, Geometry } from 'geojson'
import { flattenProperties, inMemorySource, parseXmlFile } from './kml.reader'
import { IngestError, type VectorSource } from './types'

// Per-vertex arrays (times, heart rates) and togeojson's own tag are not attributes.
const DROPPED = new Set(['_gpxType', 'coordinateProperties'])

const KINDS = [
  { tag: 'wpt', suffix: 'waypoints' },
  { tag: 'trk', suffix: 'tracks' },
  { tag: 'rte', suffix: 'routes' }
] as const

// togeojson tags tracks and routes; waypoints are its untagged points.
function gpxTag(feature: Feature<Geometry | null>): string | null {
  const tag = feature.properties?._gpxType
  if (typeof tag === 'string') return tag
  return feature.geometry?.type === 'Point' ? 'wpt' : null
}

/** Reads a GPX file as up to three EPSG:4326 sources: waypoints, tracks and routes, when present. */
export async function openGpx(path: string): Promise<VectorSource[]> {
  const file = basename(path)
  const doc = await parseXmlFile(path)
  if (doc.documentElement?.localName !== 'gpx') throw new IngestError(file, 'the file is not GPX: its root element is not <gpx>')
  let features: Feature<Geometry | null>[]
  try {
    features = gpx(doc).features
  } catch (error) {
    throw new IngestError(file, `the GPX cannot be read: ${error instanceof Error ? error.message : String(error)}`)
  }
  const name = basename(path, extname(path))
  const sources: VectorSource[] = []
  for (const kind of KINDS) {
    const group = features
      .filter((f) => gpxTag(f) === kind.tag)
      .map((f) => ({ ...f, properties: flattenProperties(f.properties, DROPPED) }))
    if (group.length > 0) sources.push(inMemorySource(group, { name: `${name}_${kind.suffix}`, file: `${file}:${kind.suffix}`, format: 'gpx' }))
  }
  if (sources.length === 0) throw new IngestError(file, 'the GPX holds no waypoints, tracks or routes')
  return sources
}
