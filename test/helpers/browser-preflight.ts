import { NO_BROWSER_MESSAGE, findChromium } from './browser'

/** vitest options that take the next argument as their value (the rest are flags or `--x=y`). */
const TAKES_VALUE = new Set(['--config', '-c', '--reporter', '--outputFile', '--project', '-t', '--testNamePattern', '--root', '-r', '--dir', '--pool', '--shard'])

/** The file filters of this vitest run: its positional arguments after `run`. */
function fileFilters(argv: string[]): string[] {
  const start = argv.findIndex((arg) => arg === 'run' || arg === 'watch' || arg === 'related')
  const filters: string[] = []
  for (let i = start + 1; start >= 0 && i < argv.length; i++) {
    const arg = argv[i]
    if (arg.startsWith('-')) {
      if (TAKES_VALUE.has(arg)) i++
      continue
    }
    filters.push(arg)
  }
  return filters
}

/**
 * Global setup: a run that includes the browser tests stops at once, with one line, when there is
 * no browser to run them in (instead of one stack trace per browser test file).
 */
export default function setup(): void {
  const filters = fileFilters(process.argv)
  const needsBrowser = filters.length === 0 || filters.some((filter) => filter.includes('e2e'))
  if (!needsBrowser || findChromium()) return
  process.stderr.write(`\n${NO_BROWSER_MESSAGE}\n\n`)
  process.exit(1)
}
