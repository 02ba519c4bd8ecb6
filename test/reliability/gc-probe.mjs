/**
 * Preloaded into the server by the load check (`node --expose-gc --import ./test/reliability/gc-probe.mjs`):
 * on SIGUSR2 it collects garbage and prints one line with what stays allocated, so the check can
 * tell memory the server keeps (a leak grows it) from heap V8 has not collected yet (RSS alone
 * cannot: V8 grows its heap lazily under load and the OS keeps the pages). Not part of the product.
 * Plain JavaScript: the ingest worker thread inherits the preload and has no TypeScript loader.
 */
import { readFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

/** Kept equal to GC_PROBE_PREFIX in test/reliability/load.ts. */
const PREFIX = 'mapshelf-gc-probe '

const collect = globalThis.gc

// Only in the main thread of a process started with --expose-gc (signals reach the main thread).
if (collect && isMainThread) {
  process.on('SIGUSR2', () => {
    collect()
    collect()
    const usage = process.memoryUsage()
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10
    process.stderr.write(
      `${PREFIX}${JSON.stringify({ heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external), rssAnonMb: mb(kb('RssAnon') * 1024), rssFileMb: mb(kb('RssFile') * 1024) })}\n`
    )
  })
}
