import { RE2JS } from 're2js'

/** The longest pattern a `regex` filter takes; a longer one is refused, never cut short. */
export const MAX_PATTERN = 256

const cache = new Map<string, RE2JS>()

/**
 * Compiles a user-supplied pattern for a linear-time engine (RE2's semantics, like PostgreSQL's
 * and Python's regular expressions without backreferences or look-around). JavaScript's own
 * RegExp backtracks: `^(?:[\w ]|[\w ]){24}!` ran for seconds on one row, on the thread that serves
 * every request. Throws on a pattern RE2 cannot compile.
 */
export function compilePattern(source: string): RE2JS {
  let pattern = cache.get(source)
  if (!pattern) {
    pattern = RE2JS.compile(source)
    if (cache.size >= 100) cache.delete(cache.keys().next().value as string)
    cache.set(source, pattern)
  }
  return pattern
}

/** Why a pattern cannot be used, or null when it can. */
export function patternProblem(source: string): string | null {
  if (source.length > MAX_PATTERN) return `a regular expression of at most ${MAX_PATTERN} characters`
  try {
    compilePattern(source)
    return null
  } catch {
    return 'a valid regular expression (no backreferences or look-around)'
  }
}

/** SQLite's `x REGEXP y` calls regexp(y, x): true when the pattern matches anywhere in the value. */
export function regexpMatches(source: unknown, value: unknown): 0 | 1 {
  if (value === null || value === undefined) return 0
  const text = String(source)
  if (patternProblem(text)) return 0
  return compilePattern(text).matcher(String(value)).find() ? 1 : 0
}
