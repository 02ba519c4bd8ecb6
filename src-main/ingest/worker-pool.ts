import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { IngestJob, IngestOutcome } from './ingest-job'
import type { GeoPackageExport, SideCarFiles, SideCars, WorkerReply, WorkerRequest } from './ingest.worker'

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; progress?: (fraction: number) => void }

/** The server is shutting down: the job was not finished and will not be. */
export class WorkerClosed extends Error {
  constructor() {
    super('the server is shutting down')
  }
}

/** Where the worker's code is: bundled JavaScript next to this file, or the TypeScript source through tsx. */
function workerEntry(): { file: string; entry?: string } {
  const bundled = fileURLToPath(new URL('./ingest-worker.js', import.meta.url))
  if (existsSync(bundled)) return { file: bundled }
  return { file: fileURLToPath(new URL('./worker-boot.mjs', import.meta.url)), entry: new URL('./ingest.worker.ts', import.meta.url).href }
}

/**
 * One ingest worker thread, started on first use. Jobs run one at a time (two cores: one for the
 * API, one for ingest); the worker is restarted if it dies, failing the job it had.
 */
export class IngestWorker {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(
    private readonly databaseFile: string,
    private readonly nativeBinding: string | null = null
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker
    const { file, entry } = workerEntry()
    const worker = new Worker(file, { workerData: { databaseFile: this.databaseFile, nativeBinding: this.nativeBinding, entry } })
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id)
      if (!pending) return
      if (reply.kind === 'progress') return pending.progress?.(reply.fraction)
      this.pending.delete(reply.id)
      if (reply.kind === 'result') pending.resolve(reply.result)
      else pending.reject(new Error(reply.message))
    })
    const fail = (error: Error) => {
      if (this.closed) error = new WorkerClosed()
      this.worker = null
      for (const pending of this.pending.values()) pending.reject(error)
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the ingest worker stopped (exit code ${code})`)))
    worker.unref()
    this.worker = worker
    return worker
  }

  private send<T>(request: WithoutId<WorkerRequest>, progress?: (fraction: number) => void): Promise<T> {
    const run = () =>
      new Promise<T>((resolve, reject) => {
        if (this.closed) return reject(new WorkerClosed())
        const id = this.nextId++
        this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress })
        this.start().postMessage({ ...request, id })
      })
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => undefined)
    return result
  }

  ingest(job: IngestJob, progress?: (fraction: number) => void): Promise<IngestOutcome> {
    return this.send<IngestOutcome>({ kind: 'ingest', job }, progress)
  }

  /** Marks feature sets dropped and clears them (a refused or replaced import's features). */
  dropSets(ids: number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.send<number>({ kind: 'drop', ids })
  }

  /** Writes a layer's features to a GeoPackage file (off the API thread). */
  exportGeoPackage(job: GeoPackageExport): Promise<{ count: number }> {
    return this.send<{ count: number }>({ kind: 'export-gpkg', export: job })
  }

  /** An upload's ISO metadata and SLD style (a large document takes seconds to read: not on the API thread). */
  readSideCars(files: SideCarFiles): Promise<SideCars> {
    return this.send<SideCars>({ kind: 'side-cars', files })
  }

  /** The first page of a PDF as a PNG thumbnail, or null (see `pdfThumbnail`). */
  async pdfThumbnail(path: string): Promise<Buffer | null> {
    const png = await this.send<Uint8Array | null>({ kind: 'pdf-thumbnail', path })
    return png ? Buffer.from(png.buffer, png.byteOffset, png.byteLength) : null
  }

  /** Deletes the features of dropped sets (replaced or deleted layers, crashed imports). */
  clearDropped(): Promise<number> {
    return this.send<number>({ kind: 'clear-dropped' })
  }

  /**
   * Stops the worker at once: an import it was reading is cut short and found by start-up recovery
   * next time (its session INVALID, its staged features dropped); clearing dropped features is
   * picked up again at the next start.
   */
  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    this.worker = null
    await worker?.terminate()
  }
}
