import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import { sqliteOptions, useSqliteBinding } from '../../platform/sqlite-binding'
import { DeadlineExceeded, type MapJob, renderMap } from './render.job'

/**
 * A map-drawing thread: GetMap requests are drawn here, on the second core, with a read-only
 * connection of its own to the catalogue (WAL lets it read beside every writer), so drawing never
 * holds the API's connection or its thread.
 */
export type RenderRequest = { id: number; job: MapJob }
export type RenderReply = { id: number; kind: 'done'; image: Uint8Array } | { id: number; kind: 'deadline' } | { id: number; kind: 'failed'; message: string }

const { nativeBinding } = workerData as { nativeBinding: string | null }
useSqliteBinding(nativeBinding)

let connection: { file: string; inode: number; db: Sqlite.Database } | null = null

/** The catalogue's connection, reopened when the file was replaced (a restored backup). */
function database(file: string): Sqlite.Database {
  const inode = statSync(file).ino
  if (connection && connection.file === file && connection.inode === inode) return connection.db
  connection?.db.close()
  const db = new Sqlite(file, sqliteOptions({ readonly: true, fileMustExist: true }))
  db.pragma('busy_timeout = 5000')
  connection = { file, inode, db }
  return db
}

const port = parentPort!
port.on('message', (request: RenderRequest) => {
  void draw(request)
})

async function draw({ id, job }: RenderRequest): Promise<void> {
  try {
    const needsDb = job.layers.some((l) => l.kind === 'vector' && l.featureSetId !== null)
    const image = await renderMap(job, needsDb ? database(job.databaseFile) : null)
    const bytes = new Uint8Array(image.buffer, image.byteOffset, image.byteLength)
    port.postMessage({ id, kind: 'done', image: bytes } satisfies RenderReply)
  } catch (error) {
    if (error instanceof DeadlineExceeded) port.postMessage({ id, kind: 'deadline' } satisfies RenderReply)
    else port.postMessage({ id, kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RenderReply)
  }
}
