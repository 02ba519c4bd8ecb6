import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import { sqliteOptions, useSqliteBinding } from '../platform/sqlite-binding'
import { clearDroppedSets, dropFeatureSets } from './feature-writer'
import { type IngestJob, runIngest } from './ingest-job'
import { type ExportField, writeGeoPackage } from './geopackage.writer'
import { pdfThumbnail } from './thumbnail'

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
