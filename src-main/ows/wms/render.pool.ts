import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { sqliteOptions } from '../../platform/sqlite-binding'
import { OwsException } from '../exceptions'
import type { MapJob } from './render.job'
import type { RenderReply, RenderRequest } from './render.worker'

/** Maps waiting for a thread beyond this many are refused at once (the server is saturated). */
const MAX_QUEUED = 64
/** Beyond the job's own deadline, how long a thread may stay silent before it is stopped. */
const GRACE_MS = 2_000

function workerEntry(): { file: string; entry?: string } {
  const bundled = fileURLToPath(new URL('./render-worker.js', import.meta.url))
  if (existsSync(bundled)) return { file: bundled }
  return { file: fileURLToPath(new URL('../../ingest/worker-boot.mjs', import.meta.url)), entry: new URL('./render.worker.ts', import.meta.url).href }
}

interface Task {
  id: number
  job: MapJob
  resolve: (image: Buffer) => void
  reject: (error: Error) => void
}

class Thread {
  worker: Worker
  task: Task | null = null
  timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly pool: RenderPool,
    entry: { file: string; entry?: string }
  ) {
    this.worker = new Worker(entry.file, { workerData: { nativeBinding: sqliteOptions().nativeBinding ?? null, entry: entry.entry } })
    this.worker.on('message', (reply: RenderReply) => this.finish(reply))
    this.worker.on('error', (error) => this.fail(error))
    this.worker.on('exit', () => this.fail(new Error('the map-drawing thread stopped')))
    this.worker.unref()
  }

  run(task: Task): void {
    this.task = task
    this.timer = setTimeout(() => {
      this.fail(deadlineException())
    }, Math.max(0, task.job.deadline - Date.now()) + GRACE_MS)
    this.worker.postMessage({ id: task.id, job: task.job } satisfies RenderRequest)
  }

  private finish(reply: RenderReply): void {
    const task = this.task
    if (!task || task.id !== reply.id) return
    clearTimeout(this.timer)
    this.task = null
    if (reply.kind === 'done') task.resolve(Buffer.from(reply.image.buffer, reply.image.byteOffset, reply.image.byteLength))
    else if (reply.kind === 'deadline') task.reject(deadlineException())
    else task.reject(new Error(reply.message))
    this.pool.next(this)
  }

  /** The thread failed or ran past its deadline: its task fails and the thread is replaced. */
  fail(error: Error): void {
    clearTimeout(this.timer)
    const task = this.task
    this.task = null
    this.pool.retire(this)
    void this.worker.terminate()
    task?.reject(error)
  }
}

function deadlineException(): OwsException {
  return new OwsException('NoApplicableCode', 'The map took too long to draw; ask for a smaller area or image.', undefined, 503)
}

/**
 * A few map-drawing threads (one per core, at most two), shared by every GetMap of a process, and
 * a bounded queue in front of them. A drawing that passes its deadline is cut off: its thread is
 * stopped and replaced, so nothing a client asks for keeps a core busy for good. Threads otherwise
 * live as long as the process (they do not keep it alive): stopping threads that hold a Node-API
 * module is where such modules have crashed processes, so it happens only when it must.
 */
export class RenderPool {
  private readonly threads: Thread[] = []
  private readonly queue: Task[] = []
  private nextId = 1
  private readonly entry = workerEntry()

  constructor(private readonly size = Math.max(1, Math.min(2, availableParallelism()))) {}

  draw(job: MapJob): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const task: Task = { id: this.nextId++, job, resolve, reject }
      const free = this.threads.find((t) => !t.task)
      if (free) return free.run(task)
      if (this.threads.length < this.size) {
        const thread = new Thread(this, this.entry)
        this.threads.push(thread)
        return thread.run(task)
      }
      if (this.queue.length >= MAX_QUEUED) return reject(new OwsException('NoApplicableCode', 'The server is drawing too many maps at once; try again shortly.', undefined, 503))
      this.queue.push(task)
    })
  }

  next(thread: Thread): void {
    const task = this.queue.shift()
    if (task) thread.run(task)
  }

  retire(thread: Thread): void {
    const at = this.threads.indexOf(thread)
    if (at < 0) return
    this.threads.splice(at, 1)
    if (!thread.task) void thread.worker.terminate()
    const task = this.queue.shift()
    if (task) this.draw(task.job).then(task.resolve, task.reject)
  }
}

let shared: RenderPool | null = null

/** The process's map-drawing threads, started on the first GetMap. */
export function renderPool(): RenderPool {
  shared ??= new RenderPool()
  return shared
}
