import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type Sqlite from 'better-sqlite3'
import type { Geometry } from 'geojson'
import { type Bbox, type Transform, bboxOf, bboxToWgs84, crsFromEpsg, mergeBbox, reprojectGeometry, transformerToWgs84 } from './crs'
import { type UploadedParts, openSources } from './detect'
import { FeatureSetWriter, clearDroppedSets, dropFeatureSets } from './feature-writer'
import { renderGeoTiffPreview } from './geotiff.reader'
import { vectorThumbnail } from './thumbnail'
import { type AttributeType, type FieldDef, IngestError, type RasterSource, type SourceCrs, type VectorSource } from './types'

/** What the upload service asks the worker to do. */
export interface IngestJob {
  uploadId: number | null
  workDir: string
  parts: UploadedParts
  charset?: string
  /** A CRS the user supplied for sources that carry none (`EPSG:32633` or a code). */
  srs?: string
}

interface LayerCommon {
  name: string
  title?: string
  format: string
  epsg: number | null
  crsDefinition: string
  bbox4326: Bbox | null
  nativeBbox: Bbox | null
  /** PNG written into the work folder, or null. */
  thumbnail: string | null
}

export interface IngestedVector extends LayerCommon {
  kind: 'vector'
  featureSetId: number
  count: number
  fields: FieldDef[]
  geometryType: AttributeType
  charset: string
}

export interface IngestedRaster extends LayerCommon {
  kind: 'raster'
  file: string
  width: number
  height: number
  bands: number
}

export type IngestedLayer = IngestedVector | IngestedRaster

export type IngestOutcome =
  | { status: 'done'; layers: IngestedLayer[] }
  | { status: 'waiting'; message: string; extent: [number, number, number, number] | null }
  | { status: 'error'; message: string }

export type Progress = (fraction: number) => void

const THUMBNAIL_SAMPLE = 20_000

function userCrs(srs: string | undefined): SourceCrs | null {
  if (!srs) return null
  const code = Number(/^(?:EPSG:)?(\d{4,6})$/i.exec(srs.trim())?.[1])
  if (!Number.isInteger(code)) throw new IngestError('srs', `"${srs}" is not an EPSG code such as EPSG:32633`)
  return crsFromEpsg(code)
}

/**
 * Reads every source of an upload and stores it: vector features into staging feature sets,
 * rasters left in the work folder for the service to move. Runs in the ingest worker. On any
 * failure the sets it wrote are dropped, so nothing of a refused upload stays visible.
 */
export async function runIngest(sqlite: Sqlite.Database, job: IngestJob, progress: Progress): Promise<IngestOutcome> {
  const written: number[] = []
  try {
    const supplied = userCrs(job.srs)
    const sources = await openSources(job.parts, job.workDir, { charset: job.charset })
    const unknown = sources.find((s) => s.crs === null)
    if (unknown && !supplied) {
      // The coordinates' range, when the file states it cheaply: what suggests a CRS to the user.
      const extent = unknown.kind === 'raster' ? unknown.bbox : (unknown.extentHint ?? null)
      return { status: 'waiting', message: `${unknown.file}: the coordinate reference system is unknown (no .prj or CRS in the file). Supply it as an EPSG code to continue.`, extent }
    }
    const layers: IngestedLayer[] = []
    for (const [index, source] of sources.entries()) {
      const crs = source.crs ?? supplied!
      const share = (fraction: number) => progress((index + fraction) / sources.length)
      if (source.kind === 'vector') {
        const layer = await storeVector(sqlite, job, source, crs, index, share, written)
        layers.push(layer)
      } else {
        layers.push(await describeRaster(job, source, crs, index))
      }
    }
    return { status: 'done', layers }
  } catch (error) {
    if (written.length) {
      dropFeatureSets(sqlite, written)
      clearDroppedSets(sqlite)
    }
    if (error instanceof IngestError) return { status: 'error', message: error.message }
    const message = error instanceof Error ? error.message : String(error)
    return { status: 'error', message: `${job.parts.baseName}: the file could not be read: ${message}` }
  }
}

async function storeVector(sqlite: Sqlite.Database, job: IngestJob, source: VectorSource, crs: SourceCrs, index: number, progress: Progress, written: number[]): Promise<IngestedVector> {
  const transform = transformerToWgs84(crs)
  const identity = crs.epsg === 4326
  const writer = new FeatureSetWriter(sqlite, job.uploadId)
  written.push(writer.id)
  let nativeBbox: Bbox | null = null
  const sample: Geometry[] = []
  try {
    await readInto(writer, source, transform, identity, (box) => (nativeBbox = mergeBbox(nativeBbox, box)), sample, progress)
  } catch (error) {
    writer.close()
    throw error
  }
  const stored = writer.finish()
  if (stored.count === 0) throw new IngestError(source.file, 'the layer has no features')
  let thumbnail: string | null = null
  if (stored.bbox) {
    thumbnail = join(job.workDir, `thumb-${index}.png`)
    writeFileSync(thumbnail, await vectorThumbnail(sample, padded(stored.bbox)))
  }
  return {
    kind: 'vector',
    name: source.name,
    title: source.title,
    format: source.format,
    epsg: crs.epsg,
    crsDefinition: crs.definition,
    bbox4326: stored.bbox,
    nativeBbox,
    thumbnail,
    featureSetId: stored.featureSetId,
    count: stored.count,
    fields: source.fields,
    geometryType: source.geometryType,
    charset: source.charset
  }
}

/** Reads a source's features into the writer, reprojected, keeping a reservoir sample for the thumbnail. */
async function readInto(
  writer: FeatureSetWriter,
  source: VectorSource,
  transform: Transform,
  identity: boolean,
  onNativeBox: (box: Bbox | null) => void,
  sample: Geometry[],
  progress: Progress
): Promise<void> {
  let seen = 0
  for await (const batch of source.features()) {
    for (const feature of batch) {
      if (!feature.geometry) continue
      onNativeBox(bboxOf(feature.geometry))
      if (!identity) feature.geometry = reprojectGeometry(feature.geometry, transform)
      seen += 1
      // Reservoir sample for the thumbnail: bounded memory whatever the layer's size.
      if (sample.length < THUMBNAIL_SAMPLE) sample.push(feature.geometry)
      else {
        const slot = Math.floor(Math.random() * seen)
        if (slot < THUMBNAIL_SAMPLE) sample[slot] = feature.geometry
      }
    }
    writer.add(batch)
    if (source.countHint) progress(Math.min(0.99, seen / source.countHint))
  }
}

async function describeRaster(job: IngestJob, source: RasterSource, crs: SourceCrs, index: number): Promise<IngestedRaster> {
  const thumbnail = join(job.workDir, `thumb-${index}.png`)
  const file = source.path ?? job.parts.base
  writeFileSync(thumbnail, (await renderGeoTiffPreview(file, { width: 240, height: 180 })).png)
  return {
    kind: 'raster',
    name: source.name,
    format: source.format,
    epsg: crs.epsg,
    crsDefinition: crs.definition,
    bbox4326: bboxToWgs84(source.bbox, crs),
    nativeBbox: source.bbox,
    thumbnail,
    file,
    width: source.width,
    height: source.height,
    bands: source.bands
  }
}

/** A point layer's bbox can be a point: give the thumbnail some room. */
function padded(bbox: Bbox): Bbox {
  const w = Math.max(bbox[2] - bbox[0], 0.01)
  const h = Math.max(bbox[3] - bbox[1], 0.01)
  return [bbox[0] - w * 0.05, bbox[1] - h * 0.05, bbox[2] + w * 0.05, bbox[3] + h * 0.05]
}
