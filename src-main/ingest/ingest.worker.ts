import { readFileSync, statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import { sqliteOptions, useSqliteBinding } from '../platform/sqlite-binding'
import { clearDroppedSets, dropFeatureSets } from './feature-writer'
import { type IngestJob, runIngest } from './ingest-job'
import { type ExportField, writeGeoPackage } from './geopackage.writer'
import { type IsoMetadata, MAX_SIDE_CAR_BYTES, readIsoMetadata } from './iso-metadata'
import { fileSizeLabel } from './multipart'
import { type UploadedStyle, readSld } from './sld'
import { pdfThumbnail } from './thumbnail'
import { IngestError } from './types'

/**
 * The ingest worker: its own connection to the catalogue file, one job per message. Reading and
 * storing a large file happens here, so the API thread keeps answering; writes are short
 * transactions, and WAL keeps every reader on the API thread unblocked.
 */
export type WorkerRequest =
  | { id: number; kind: 'ingest'; job: IngestJob }
  | { id: number; kind: 'clear-dropped' }
  | { id: number; kind: 'drop'; ids: number[] }
  | { id: number; kind: 'export-gpkg'; export: GeoPackageExport }
  | { id: number; kind: 'pdf-thumbnail'; path: string }
  | { id: number; kind: 'side-cars'; files: SideCarFiles }

/** An upload's side-car XML files, by the field they came in. */
export interface SideCarFiles {
  xml_file?: SideCarFile
  sld_file?: SideCarFile
}

/** What the side-cars say; `errors` names each file that was refused and why. */
export interface SideCars {
  metadata: IsoMetadata | null
  style: UploadedStyle | null
  errors: string[]
}

/** A vector layer's features written as a GeoPackage file (EPSG:4326). */
export interface GeoPackageExport {
  featureSetId: number
  path: string
  table: string
  geometryType: string
  fields: ExportField[]
}
export type WorkerReply =
  | { id: number; kind: 'progress'; fraction: number }
  | { id: number; kind: 'result'; result: unknown }
  | { id: number; kind: 'failed'; message: string }

const { databaseFile, nativeBinding } = workerData as { databaseFile: string; nativeBinding: string | null }
useSqliteBinding(nativeBinding)
const sqlite = new Sqlite(databaseFile, sqliteOptions())
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('busy_timeout = 10000')
sqlite.pragma('synchronous = NORMAL')
sqlite.pragma('foreign_keys = ON')

const port = parentPort!
port.on('message', (request: WorkerRequest) => {
  void handle(request)
})

async function handle(request: WorkerRequest): Promise<void> {
  try {
    if (request.kind === 'ingest') {
      let last = 0
      const result = await runIngest(sqlite, request.job, (fraction) => {
        // A message per percent at most.
        if (fraction - last >= 0.01) {
          last = fraction
          port.postMessage({ id: request.id, kind: 'progress', fraction } satisfies WorkerReply)
        }
      })
      port.postMessage({ id: request.id, kind: 'result', result } satisfies WorkerReply)
    } else if (request.kind === 'export-gpkg') {
      const job = request.export
      const rows = sqlite.prepare('SELECT feature FROM layer_features WHERE feature_set_id = ? ORDER BY fid').pluck().iterate(job.featureSetId) as IterableIterator<string>
      port.postMessage({ id: request.id, kind: 'result', result: writeGeoPackage(job.path, job.table, job.geometryType, job.fields, rows) } satisfies WorkerReply)
    } else if (request.kind === 'side-cars') {
      port.postMessage({ id: request.id, kind: 'result', result: readSideCars(request.files) } satisfies WorkerReply)
    } else if (request.kind === 'pdf-thumbnail') {
      port.postMessage({ id: request.id, kind: 'result', result: await pdfThumbnail(request.path) } satisfies WorkerReply)
    } else if (request.kind === 'drop') {
      dropFeatureSets(sqlite, request.ids)
      port.postMessage({ id: request.id, kind: 'result', result: clearDroppedSets(sqlite) } satisfies WorkerReply)
    } else {
      port.postMessage({ id: request.id, kind: 'result', result: clearDroppedSets(sqlite) } satisfies WorkerReply)
    }
  } catch (error) {
    port.postMessage({ id: request.id, kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply)
  }
}

type SideCarFile = { path: string; name: string }

/** Reads an upload's ISO metadata and SLD style here, off the API thread: a big document takes seconds. */
function readSideCars(files: SideCarFiles): SideCars {
  const out: SideCars = { metadata: null, style: null, errors: [] }
  const attempt = (file: SideCarFile, read: (text: string) => void) => {
    try {
      if (statSync(file.path).size > MAX_SIDE_CAR_BYTES) throw new IngestError(file.name, `the file is larger than ${fileSizeLabel(MAX_SIDE_CAR_BYTES)}`)
      read(readFileSync(file.path, 'utf8'))
    } catch (error) {
      out.errors.push(error instanceof IngestError ? error.message : `${file.name}: the file could not be read: ${(error as Error).message}`)
    }
  }
  const { xml_file: xml, sld_file: sld } = files
  if (xml) attempt(xml, (text) => void (out.metadata = readIsoMetadata(text, xml.name)))
  if (sld) attempt(sld, (text) => void (out.style = readSld(text, sld.name)))
  return out
}
