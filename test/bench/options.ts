import { parseArgs } from 'node:util'
import type { SeedParams } from './catalogue'

export interface BenchOptions {
  seed: SeedParams
  fresh: boolean
  quick: boolean
  /** Seconds per measured round. */
  duration: number
  rounds: number
  connections: number
  /** Seconds of warm-up per target before the rounds (0: none). */
  warmup: number
  /** Server settings to measure, in order: `cache` (defaults) and `no-cache` (--response-cache-mb 0). */
  modes: BenchMode[]
}

export type BenchMode = 'cache' | 'no-cache'

export const USAGE = `Usage: npm run bench -- [--quick] [--fresh] [--no-cache | --cache-only] [--duration S] [--rounds N] [--connections N] [--warmup S]

  --quick          smoke run: 2,000-resource catalogue, 1 round of 1 s, no warm-up; prints the table
                   without rewriting docs/benchmarks.md
  --fresh          reseed the catalogue even if an earlier run left a complete one
  --duration S     seconds per round (default 3)
  --rounds N       rounds per query, medians reported (default 3)
  --connections N  concurrent connections (default 10)
  --warmup S       warm-up seconds per target before the rounds (default 1)
  --no-cache       only measure with the response cache off (--response-cache-mb 0): the query path
  --cache-only     only measure with default settings (repeated URLs are served from the response cache)
                   (default: both, one after the other, in one report)`

const FULL: BenchOptions = {
  seed: { resources: 100_000, users: 1_000, groups: 100 },
  fresh: false,
  quick: false,
  duration: 3,
  rounds: 3,
  connections: 10,
  warmup: 1,
  modes: ['cache', 'no-cache']
}

const QUICK: Partial<BenchOptions> = {
  seed: { resources: 2_000, users: 20, groups: 4 },
  quick: true,
  duration: 1,
  rounds: 1,
  warmup: 0
}

function whole(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}, got "${raw}"`)
  return n
}

/** Flags after `npm run bench --`; returns null when only the usage was asked for. */
export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      fresh: { type: 'boolean' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      'no-cache': { type: 'boolean' },
      'cache-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return null
  if (values['no-cache'] && values['cache-only']) throw new Error('--no-cache and --cache-only exclude each other')
  const base = values.quick ? { ...FULL, ...QUICK } : FULL
  return {
    ...base,
    fresh: values.fresh === true,
    modes: values['no-cache'] ? ['no-cache'] : values['cache-only'] ? ['cache'] : base.modes,
    duration: whole('duration', values.duration, base.duration, 1),
    rounds: whole('rounds', values.rounds, base.rounds, 1),
    connections: whole('connections', values.connections, base.connections, 1),
    warmup: whole('warmup', values.warmup, base.warmup, 0)
  }
}
