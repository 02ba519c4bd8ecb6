import autocannon from 'autocannon'

export interface Target {
  url: string
  headers: Record<string, string>
  /** The one status every response must have. */
  expectedStatus: number
  /** For writes: the method and JSON body every request sends (default GET, none). */
  method?: 'GET' | 'PATCH' | 'PUT' | 'POST'
  body?: string
}

/** One autocannon run: latencies from every response (sub-millisecond), throughput over the run. */
export interface Sample {
  p50: number
  p99: number
  rps: number
  requests: number
  /** Responses with another status than expected, by status. */
  unexpected: Record<string, number>
  errors: number
}

export interface LoadSettings {
  connections: number
  duration: number
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

class Recorder {
  private times = new Float64Array(1 << 14)
  count = 0
  readonly statuses: Record<string, number> = {}

  record(status: number, ms: number): void {
    if (this.count === this.times.length) {
      const grown = new Float64Array(this.times.length * 2)
      grown.set(this.times)
      this.times = grown
    }
    this.times[this.count++] = ms
    this.statuses[status] = (this.statuses[status] ?? 0) + 1
  }

  sorted(): Float64Array {
    return this.times.subarray(0, this.count).sort()
  }
}

function unexpectedOf(statuses: Record<string, number>, expected: number): Record<string, number> {
  return Object.fromEntries(Object.entries(statuses).filter(([status]) => Number(status) !== expected))
}

/** Fires `settings.connections` keep-alive connections at the target for `settings.duration` seconds. */
export function fire(target: Target, settings: LoadSettings): Promise<Sample> {
  const recorder = new Recorder()
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        headers: target.body ? { ...target.headers, 'content-type': 'application/json' } : target.headers,
        method: target.method ?? 'GET',
        body: target.body,
        connections: settings.connections,
        duration: settings.duration,
        timeout: 10
      },
      (error, result) => {
        if (error) return reject(error)
        const seconds = (performance.now() - started) / 1000
        const sorted = recorder.sorted()
        resolve({
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          rps: recorder.count / seconds,
          requests: recorder.count,
          unexpected: unexpectedOf(recorder.statuses, target.expectedStatus),
          errors: result.errors
        })
      }
    )
    instance.on('response', (_client, status, _bytes, ms) => recorder.record(status, ms))
  })
}

/** Medians over rounds, and what went wrong in any round (same fields as one round's Sample). */
export type Summary = Sample

export function summarise(samples: Sample[]): Summary {
  const unexpected: Record<string, number> = {}
  for (const sample of samples) for (const [status, n] of Object.entries(sample.unexpected)) unexpected[status] = (unexpected[status] ?? 0) + n
  return {
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    rps: median(samples.map((s) => s.rps)),
    requests: samples.reduce((n, s) => n + s.requests, 0),
    unexpected,
    errors: samples.reduce((n, s) => n + s.errors, 0)
  }
}

/**
 * Warm-up, then `rounds` rounds of the query and its baseline, alternating which goes first each
 * round (ABBA...) so both see the same drift and noise. Returns the medians of each.
 */
export async function measurePair(
  query: Target,
  bare: Target,
  options: LoadSettings & { rounds: number; warmup: number }
): Promise<{ query: Summary; bare: Summary }> {
  if (options.warmup > 0) {
    const warm = { connections: options.connections, duration: options.warmup }
    await fire(query, warm)
    await fire(bare, warm)
  }
  const querySamples: Sample[] = []
  const bareSamples: Sample[] = []
  for (let round = 0; round < options.rounds; round++) {
    const order: [Target, Sample[]][] = [[query, querySamples], [bare, bareSamples]]
    if (round % 2 === 1) order.reverse()
    for (const [target, samples] of order) samples.push(await fire(target, options))
  }
  return { query: summarise(querySamples), bare: summarise(bareSamples) }
}

/** autocannon cycling through `paths` (one per request), latencies from every response; `expected` is the status counted as success. */
export function firePaths(baseUrl: string, paths: string[], headers: Record<string, string>, settings: { connections: number; duration: number }, expected = 200): Promise<Sample & { bytes: number }> {
  const times: number[] = []
  const statuses: Record<string, number> = {}
  let next = 0
  let bytes = 0
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const options = {
      url: baseUrl,
      headers,
      connections: settings.connections,
      duration: settings.duration,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          path: paths[0],
          setupRequest: (req: Record<string, unknown>) => ({ ...req, path: paths[next++ % paths.length] })
        }
      ]
    }
    const instance = autocannon(options as autocannon.Options, (error, result) => {
      if (error) return reject(error)
      const sorted = Float64Array.from(times).sort()
      resolve({
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        rps: times.length / ((performance.now() - started) / 1000),
        requests: times.length,
        unexpected: Object.fromEntries(Object.entries(statuses).filter(([s]) => Number(s) !== expected)),
        errors: result.errors,
        bytes: times.length ? bytes / times.length : 0
      })
    })
    instance.on('response', (_client, status, size, ms) => {
      times.push(ms)
      bytes += size
      statuses[status] = (statuses[status] ?? 0) + 1
    })
  })
}
