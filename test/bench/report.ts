import type { Summary } from './load'
import type { BenchMode, BenchOptions } from './options'
import type { BenchQuery, CallerKind, QueryParams } from './queries'

export const P99_TARGET_MS = 10
export const RATIO_TARGET = 1 / 3

export interface Row {
  query: BenchQuery
  caller: CallerKind
  expected: number
  /** Status and body size of the check request sent before measuring. */
  checkStatus: number
  bytes: number
  /** `total` of a list envelope, when the response is one. */
  total: number | null
  measured: { query: Summary; bare: Summary } | null
}

/** The rows measured under one server setting. */
export interface Section {
  mode: BenchMode
  rows: Row[]
}

export interface RunInfo {
  date: Date
  cpus: string
  node: string
  commit: string | null
  options: BenchOptions
  catalogueDir: string
  reused: boolean
  params: QueryParams
  /** Rows during which the server died and was restarted (then measured again). */
  restarts: string[]
  minutes: number
}

export const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
const thousands = (n: number) => Math.round(n).toLocaleString('en-US')

function statusCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ')
}

/** What went wrong with a row, or null when every response had the expected status. */
export function rowFailure(row: Row): string | null {
  if (row.checkStatus !== row.expected) return `got ${row.checkStatus}, expected ${row.expected}`
  if (!row.measured) return 'not measured'
  const problems: string[] = []
  const { query, bare } = row.measured
  if (Object.keys(query.unexpected).length) problems.push(statusCounts(query.unexpected))
  if (query.errors) problems.push(`${query.errors} errors`)
  if (Object.keys(bare.unexpected).length || bare.errors) problems.push('baseline failed')
  return problems.length ? problems.join(', ') : null
}

const ratioOf = (row: Row) => (row.measured ? row.measured.query.rps / row.measured.bare.rps : Number.NaN)

export function meetsTargets(row: Row): { p99: boolean; ratio: boolean } {
  const ok = rowFailure(row) === null
  return { p99: ok && row.measured!.query.p99 <= P99_TARGET_MS, ratio: ok && ratioOf(row) >= RATIO_TARGET }
}

function statusCell(row: Row): string {
  const failure = rowFailure(row)
  if (failure) return `**FAIL**: ${failure}`
  return row.expected === 200 ? '200' : `${row.expected} (expected)`
}

function rowCells(row: Row): string[] {
  const failed = rowFailure(row) !== null
  const m = row.measured
  const targets = meetsTargets(row)
  const verdict = (ok: boolean) => (failed ? '**FAIL**' : ok ? 'yes' : '**NO**')
  return [
    row.query.name,
    row.caller,
    statusCell(row),
    m ? fmt(m.query.p50, 2) : '–',
    m ? fmt(m.query.p99, 2) : '–',
    m ? thousands(m.query.rps) : '–',
    m ? thousands(m.bare.rps) : '–',
    m ? fmt(ratioOf(row), 3) : '–',
    verdict(targets.p99),
    verdict(targets.ratio)
  ]
}

const HEADER = ['query', 'caller', 'status', 'p50 ms', 'p99 ms', 'req/s', 'bare req/s', 'ratio', `p99 ≤ ${P99_TARGET_MS} ms?`, 'ratio ≥ 0.33?']
const RIGHT = new Set([3, 4, 5, 6, 7])

function markdownTable(header: string[], rows: string[][], right: Set<number>): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  const rule = header.map((_, i) => (right.has(i) ? '---:' : '---'))
  return [line(header), line(rule), ...rows.map(line)].join('\n')
}

export function resultsTable(rows: Row[]): string {
  return markdownTable(HEADER, rows.map(rowCells), RIGHT)
}

function detailsTable(rows: Row[]): string {
  const seen = new Map<string, Row[]>()
  for (const row of rows) seen.set(row.query.path, [...(seen.get(row.query.path) ?? []), row])
  const cells = [...seen.values()].flatMap((group) =>
    group.map((row) => [
      row.query.name,
      row.caller,
      `\`${decodeURIComponent(row.query.path)}\``,
      thousands(row.bytes),
      row.total === null ? '–' : thousands(row.total)
    ])
  )
  return markdownTable(['query', 'caller', 'path', 'response bytes', 'matches (total)'], cells, new Set([3, 4]))
}

function headerLines(info: RunInfo): string[] {
  const o = info.options
  const seed = o.seed
  const warm = o.warmup > 0 ? `, after a ${o.warmup} s warm-up of each` : ', no warm-up'
  return [
    `- Date: ${info.date.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    `- Machine: ${info.cpus}`,
    `- Node: ${info.node}`,
    `- Catalogue: ${thousands(seed.resources)} resources, ${thousands(seed.users)} users, ${thousands(seed.groups)} groups` +
      ` (mixed permissions, seeded with \`seedCatalogue\`${info.reused ? ', reused from an earlier run' : ''})${o.quick ? ' — **quick smoke run**' : ''}`,
    `- Load: ${o.rounds} round${o.rounds === 1 ? '' : 's'} × ${o.duration} s × ${o.connections} connections per query and per baseline${warm}`,
    `- Commit: ${info.commit ?? 'unknown'}`,
    `- Wall time: ${fmt(info.minutes, 1)} min`,
    ...(info.restarts.length ? [`- Server restarts (row measured again): ${info.restarts.join('; ')}`] : [])
  ]
}

function verdictLine(rows: Row[]): string {
  const failed = rows.filter((r) => rowFailure(r) !== null).length
  const slow = rows.filter((r) => rowFailure(r) === null && !meetsTargets(r).p99).length
  const heavy = rows.filter((r) => rowFailure(r) === null && !meetsTargets(r).ratio).length
  if (!failed && !slow && !heavy) return `All ${rows.length} rows meet both targets.`
  const parts = [
    failed ? `${failed} row(s) failed (unexpected status or errors)` : '',
    slow ? `${slow} row(s) miss the p99 target` : '',
    heavy ? `${heavy} row(s) miss the throughput target` : ''
  ]
  return `${parts.filter(Boolean).join('; ')}, of ${rows.length}.`
}

const METHOD = `How it was measured: the real headless server (\`tsx src-main/cli/main.ts serve\`) and a bare Express app
(\`test/bench/bare-server.ts\`, one route answering a fixed JSON body of exactly as many bytes as the measured
response) each run as a child process; autocannon drives them from the parent process over loopback
(127.0.0.1) with keep-alive connections. For every row the query and its baseline are measured in alternating
rounds (the order flips each round) so both see the same machine noise; p50 and p99 are computed from every
response's latency in a round, req/s is responses ÷ round duration, and the table shows the median of each over
the rounds. "ratio" is Mapshelf req/s ÷ bare req/s. Targets: p99 ≤ ${P99_TARGET_MS} ms and ratio ≥ 1/3 (0.333). A row
fails when its check request or any response under load has another status than expected (200; 403 for
anonymous get_perms) or a connection error.`

const SECTION_TITLES: Record<BenchMode, string> = {
  cache: 'Default settings (response cache on)',
  'no-cache': 'Response cache off: the query path'
}

const SECTION_NOTES: Record<BenchMode, string> = {
  cache: `The server remembers each caller's GET bodies per URL until the next write (\`--response-cache-mb\`, 64 MB by
default; every write adds a change-log row, which retires them). Every request of a row repeats one URL, so after
the first request these rows measure that path: authentication, the change-log check and sending the body.`,
  'no-cache': `The same rows with \`--response-cache-mb 0\`: every request authenticates, runs its SQL (visibility, filters,
the page and, unless remembered since the last write, the count) and renders the resources.`
}

const RERUN = `Rerun with \`npm run bench\` (full run of both settings, about 13 minutes plus 1–2 minutes of seeding the first
time; the seeded catalogue is kept under the temp directory and reused, \`--fresh\` reseeds) or \`npm run bench -- --quick\`
(smoke run on a 2,000-resource catalogue, about a minute; it prints its tables and leaves this file alone).
Flags: \`--no-cache\` or \`--cache-only\` (one setting), \`--ingest-only\` / \`--no-ingest\`, \`--gui-only\` / \`--no-gui\` and \`--sync-only\` / \`--no-sync\` (one section alone, or without it), \`--duration S\`, \`--rounds N\`, \`--connections N\`, \`--warmup S\`.`

function paramsLines(info: RunInfo, rows: Row[]): string[] {
  const p = info.params
  const notes = [...new Set(rows.map((r) => r.query.note).filter(Boolean))]
  return [
    `Plain user: \`${p.plainUser}\` (bearer token from \`POST /o/token/\`, password grant). Search word, keyword and`,
    'category are the most frequent ones in the seeded catalogue; the document is the public one with the most public links.',
    ...notes.map((n) => `${n}`)
  ]
}

/**
 * `ingest`: the ingest and bbox section (test/bench/ingest.ts, between its markers), placed after
 * the writes when the run measured it; `gui`: the GUI section (between its markers), after that;
 * `sync`: the sync section (test/bench/sync.ts), last before the method.
 */
export function markdownReport(info: RunInfo, sections: Section[], writes: string, ingest?: string, gui?: string, sync?: string, ogc?: string): string {
  const rows = sections[0]?.rows ?? []
  return [
    '# Mapshelf HTTP benchmark',
    '',
    ...headerLines(info),
    '',
    ...sections.flatMap((section) => [
      `## ${SECTION_TITLES[section.mode]}`,
      '',
      SECTION_NOTES[section.mode],
      '',
      resultsTable(section.rows),
      '',
      verdictLine(section.rows),
      ''
    ]),
    '## Writes',
    '',
    `Default settings plus \`--enable-patch-all\`. Loaded writes repeat one request (the same PATCH, the same set_perms body)
from the number of clients shown, beside the bare route answering the same method and body with as many clients. One client
measures the latency of a write itself; with ${info.options.connections}, writes queue behind one another on SQLite's single writer, so
their p99 is mostly waiting (about ${info.options.connections} service times). Large writes are one request each, timed three times
(median), each bulk create followed by a bulk delete of what it made (untimed).
Targets: a single write's p99 at most 15 ms (judged on the one-client row); a bulk create of 1,000 in under 1 s.`,
    '',
    writes,
    '',
    ...(ingest ? [ingest, ''] : []),
    ...(gui ? [gui, ''] : []),
    ...(sync ? [sync, ''] : []),
    ...(ogc ? [ogc, ''] : []),
    '## Method',
    '',
    METHOD,
    '',
    RERUN,
    '',
    '## Queries',
    '',
    detailsTable(rows),
    '',
    ...paramsLines(info, rows),
    ''
  ].join('\n')
}

/**
 * The report with its section between `start` and `end` replaced by `section` (a run of one
 * section alone): inserted before "## Method" when the report has none yet, appended when it has
 * no Method heading either.
 */
export function spliceSection(report: string, section: string, start: string, end: string): string {
  const from = report.indexOf(start)
  const to = report.indexOf(end)
  if (from >= 0 && to > from) return report.slice(0, from) + section + report.slice(to + end.length)
  const method = report.indexOf('\n## Method')
  if (method >= 0) return `${report.slice(0, method + 1)}${section}\n\n${report.slice(method + 1)}`
  return `${report.trimEnd()}\n\n${section}\n`
}

/** When, at which commit and on what a one-section run measured: the first lines of its section. */
export interface SectionContext {
  date: Date
  machine: string
  node: string
  commit: string | null
  quick: boolean
}

/** The "Date" and "Machine" lines every section's header starts with; `tools` names versions beside Node's. */
export function runLines(context: SectionContext, run: { minutes: number; load: { start: number; end: number } }, options: { tools?: string; loadNote: string }): string[] {
  return [
    `- Date: ${context.date.toISOString().replace('T', ' ').slice(0, 16)} UTC; commit ${context.commit ?? 'unknown'}; wall time of this section ${fmt(run.minutes, 1)} min${context.quick ? ' — **quick smoke run**' : ''}`,
    `- Machine: ${context.machine}; Node ${context.node}${options.tools ? `; ${options.tools}` : ''}; 1-minute load average ${fmt(run.load.start, 2)} at the start, ${fmt(run.load.end, 2)} at the end (${options.loadNote})`
  ]
}
