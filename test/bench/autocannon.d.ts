/** The part of autocannon 8's programmatic API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Options {
      url: string
      connections?: number
      /** Seconds. */
      duration?: number
      headers?: Record<string, string>
      method?: string
      body?: string
      /** Seconds. */
      timeout?: number
      pipelining?: number
    }

    interface Histogram {
      average: number
      p50: number
      p99: number
      total: number
    }

    interface Result {
      /** Seconds. */
      duration: number
      errors: number
      timeouts: number
      non2xx: number
      statusCodeStats: Record<string, { count: number }>
      requests: Histogram
      latency: Histogram
    }

    interface Instance extends EventEmitter {
      stop(): void
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this
      on(event: string, listener: (...args: any[]) => void): this
    }
  }

  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance

  export = autocannon
}
