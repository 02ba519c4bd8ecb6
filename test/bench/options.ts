import { parseArgs } from 'node:util'
import type { SeedParams } from './catalogue'
import type { IngestSizes } from './ingest'
import type { SyncSizes } from './sync'
import type { OgcSettings } from './ogc'

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
  /** The ingest and bbox section (test/bench/ingest.ts): run it, and whether it is the only section. */
  ingest: boolean
  ingestOnly: boolean
  ingestSizes: IngestSizes
  /** Timed runs per file for Mapshelf and for ogr2ogr (medians reported). */
  ingestRuns: number
  /** The GUI section (test/bench/gui.ts): run it, and whether it is the only section. */
  gui: boolean
  guiOnly: boolean
  /** The sync section (test/bench/sync.ts): run it, and whether it is the only section. */
  sync: boolean
  syncOnly: boolean
  syncSizes: SyncSizes
  /** Rounds of the sync section, each on fresh copies (medians reported). */
  syncRounds: number
  /** The OGC section (test/bench/ogc.ts): run it, and whether it is the only section. */
  ogc: boolean
  ogcOnly: boolean
  ogcSettings: OgcSettings
}

export type BenchMode = 'cache' | 'no-cache'

export const USAGE = `Usage: npm run bench -- [--quick] [--fresh] [--no-cache | --cache-only] [--ingest-only | --no-ingest] [--gui-only | --no-gui] [--sync-only | --no-sync] [--ogc-only | --no-ogc] [--duration S] [--rounds N] [--connections N] [--warmup S] [--ingest-runs N] [--sync-rounds N]

  --quick          smoke run: 2,000-resource catalogue, 1 round of 1 s, no warm-up; prints the table
                   without rewriting docs/benchmarks.md
  --fresh          reseed the catalogue even if an earlier run left a complete one
  --duration S     seconds per round (default 3)
  --rounds N       rounds per query, medians reported (default 3)
  --connections N  concurrent connections (default 10)
  --warmup S       warm-up seconds per target before the rounds (default 1)
  --no-cache       only measure with the response cache off (--response-cache-mb 0): the query path
  --cache-only     only measure with default settings (repeated URLs are served from the response cache)
                   (default: both, one after the other, in one report)
  --ingest-only    only the ingest and bbox section: uploads of a 1,000,000-point GeoJSON, a ~100 MB
                   shapefile and a ~500 MB GeoJSON beside ogr2ogr, then features by bbox on the
                   1,000,000-point layer (about 15 min; files cached under /tmp/mapshelf-bench-ingest);
                   replaces only that section of docs/benchmarks.md. With --quick: 50,000 points,
                   10 MB and 5 MB files, one run each, and the file is left alone
  --no-ingest      skip the ingest and bbox section (it runs by default, after the other sections)
  --ingest-runs N  runs per file for Mapshelf and for ogr2ogr, medians reported (default 3; --quick 1)
  --gui-only       only the GUI section (test/bench/gui.ts, headless Chromium against the built renderer
                   in out/renderer: cold catalogue loads of the cached 100,000-resource bench catalogue,
                   then frame rate while panning a map of a 100,000-point layer; about 2 min); replaces
                   only that section of docs/benchmarks.md. Needs \`npx electron-vite build\`; seeds the
                   bench catalogue first when no earlier run left one. With --quick: 2 loads, 2 s of panning,
                   20,000 points, and the file is left alone
  --no-gui         skip the GUI section (it runs by default, after the ingest section)
  --sync-only      only the sync section: a remote Mapshelf server on a copy of a seeded 10,000-resource
                   catalogue (cached under the temp directory) behind a counting proxy; per round the full
                   listing downloaded once, the first pull into an empty client, an incremental sync after
                   100 remote edits and a push of 1,000 local edits, with their HTTP requests (about 4 min
                   a round); replaces only that section of docs/benchmarks.md. With --quick: 500 resources,
                   20 and 50 edits, one round, and the file is left alone
  --no-sync        skip the sync section (it runs by default, last)
  --sync-rounds N  rounds of the sync section, medians reported (default 3; --quick 1)
  --ogc-only       only the OGC section: Mapshelf's WMS GetMap (points and an elevation model) and WFS
                   GetFeature beside MapServer 8 and QGIS Server 3.22 (Debian packages, 2 FastCGI
                   processes each behind lighttpd) on the same 1,000,000 points and 8,000 x 8,000 raster,
                   1 and 10 clients (about 15 min; data cached under /tmp/mapshelf-bench-ogc); replaces only
                   that section of docs/benchmarks.md. With --quick: 100,000 points, a 2,000-pixel raster,
                   one round of 2 s, and the file is left alone
  --no-ogc         skip the OGC section (it runs by default, after the sync section)`

const FULL: BenchOptions = {
  seed: { resources: 100_000, users: 1_000, groups: 100 },
  fresh: false,
  quick: false,
  duration: 3,
  rounds: 3,
  connections: 10,
  warmup: 1,
  modes: ['cache', 'no-cache'],
  ingest: true,
  ingestOnly: false,
  ingestSizes: { points: 1_000_000, largeBytes: 500_000_000, shapefileBytes: 100_000_000 },
  ingestRuns: 3,
  gui: true,
  guiOnly: false,
  sync: true,
  syncOnly: false,
  syncSizes: { catalogue: { resources: 10_000, users: 100, groups: 10 }, remoteEdits: 100, localEdits: 1_000 },
  syncRounds: 3,
  ogc: true,
  ogcOnly: false,
  ogcSettings: { points: 1_000_000, demSize: 8_000, duration: 10, rounds: 3, warmup: 2, processes: 2, port: 18781 }
}

const QUICK: Partial<BenchOptions> = {
  seed: { resources: 2_000, users: 20, groups: 4 },
  quick: true,
  duration: 1,
  rounds: 1,
  warmup: 0,
  ingestSizes: { points: 50_000, largeBytes: 10_000_000, shapefileBytes: 5_000_000 },
  ingestRuns: 1,
  syncSizes: { catalogue: { resources: 500, users: 20, groups: 4 }, remoteEdits: 20, localEdits: 50 },
  syncRounds: 1,
  ogcSettings: { points: 100_000, demSize: 2_000, duration: 2, rounds: 1, warmup: 1, processes: 2, port: 18781 }
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
      'ingest-only': { type: 'boolean' },
      'no-ingest': { type: 'boolean' },
      'ingest-runs': { type: 'string' },
      'gui-only': { type: 'boolean' },
      'no-gui': { type: 'boolean' },
      'sync-only': { type: 'boolean' },
      'no-sync': { type: 'boolean' },
      'sync-rounds': { type: 'string' },
      'ogc-only': { type: 'boolean' },
      'no-ogc': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return null
  if (values['no-cache'] && values['cache-only']) throw new Error('--no-cache and --cache-only exclude each other')
  if (values['ingest-only'] && values['no-ingest']) throw new Error('--ingest-only and --no-ingest exclude each other')
  if (values['gui-only'] && values['no-gui']) throw new Error('--gui-only and --no-gui exclude each other')
  if (values['sync-only'] && values['no-sync']) throw new Error('--sync-only and --no-sync exclude each other')
  if (values['ogc-only'] && values['no-ogc']) throw new Error('--ogc-only and --no-ogc exclude each other')
  const only = (['ingest-only', 'gui-only', 'sync-only', 'ogc-only'] as const).filter((flag) => values[flag])
  if (only.length > 1) throw new Error(`--${only[0]} and --${only[1]} exclude each other`)
  const base = values.quick ? { ...FULL, ...QUICK } : FULL
  return {
    ...base,
    fresh: values.fresh === true,
    modes: values['no-cache'] ? ['no-cache'] : values['cache-only'] ? ['cache'] : base.modes,
    duration: whole('duration', values.duration, base.duration, 1),
    rounds: whole('rounds', values.rounds, base.rounds, 1),
    connections: whole('connections', values.connections, base.connections, 1),
    warmup: whole('warmup', values.warmup, base.warmup, 0),
    ingest: values['no-ingest'] !== true,
    ingestOnly: values['ingest-only'] === true,
    ingestRuns: whole('ingest-runs', values['ingest-runs'], base.ingestRuns, 1),
    gui: values['no-gui'] !== true,
    guiOnly: values['gui-only'] === true,
    sync: values['no-sync'] !== true,
    syncOnly: values['sync-only'] === true,
    syncRounds: whole('sync-rounds', values['sync-rounds'], base.syncRounds, 1),
    ogc: values['no-ogc'] !== true,
    ogcOnly: values['ogc-only'] === true
  }
}
