/**
 * GeoNode/DREST query-string language, parsed into a plain AST (no SQL here).
 * Spec 1.5 and 1.6: filter{path.op}, filter{-path}, filter{x}[]=, sort[], ordering, include[],
 * exclude[], search + search_fields, page, page_size.
 */

export const OPERATORS = [
  'in', 'any', 'all', 'icontains', 'contains', 'startswith', 'istartswith', 'endswith', 'iendswith',
  'year', 'month', 'day', 'week_day', 'regex', 'range', 'gt', 'lt', 'gte', 'lte', 'isnull', 'eq', 'iexact'
] as const
export type Operator = (typeof OPERATORS)[number] | 'exact'

const OPERATOR_SET = new Set<string>(OPERATORS)
const MULTI_VALUE_OPERATORS = new Set<Operator>(['in', 'any', 'all', 'range'])

export interface FilterClause {
  /** The key as sent, for error messages: `filter{-owner.username}` */
  key: string
  path: string[]
  op: Operator
  values: string[]
  negate: boolean
  /** A date part compared instead of the value itself: `filter{date.year.gte}` */
  transform?: DatePart
}

export const DATE_PARTS = ['year', 'month', 'day', 'week_day'] as const
export type DatePart = (typeof DATE_PARTS)[number]
const COMPARISONS = new Set<Operator>(['exact', 'gt', 'gte', 'lt', 'lte', 'in', 'range'])

export interface SortClause {
  path: string[]
  desc: boolean
  raw: string
}

export interface SearchClause {
  terms: string[]
  /** DRF SearchFilter fields (`title`, `^title`, `owner__username`); empty means full-text search. */
  fields: string[]
}

export interface DrestQuery {
  filters: FilterClause[]
  sort: SortClause[]
  include: string[]
  exclude: string[]
  search: SearchClause | null
  sideloading: boolean
  page: number
  pageSize: number
  /** page and page_size as sent (echoed in list envelopes), or the defaults. */
  pageEcho: number
  pageSizeEcho: number
}

export type QueryInput = Record<string, string | string[] | undefined>

/** A malformed query; `body` is the exact JSON GeoNode answers with (status 400). */
export class DrestQueryError extends Error {
  constructor(readonly body: unknown) {
    super(typeof body === 'string' ? body : JSON.stringify(body))
  }
}

export const DEFAULT_PAGE_SIZE = 10
/**
 * GeoNode has no maximum; one request for a million items would keep the server busy for minutes,
 * so Mapshelf refuses sizes past this one with a 400 naming `page_size` (docs/decisions.md).
 */
export const MAX_PAGE_SIZE = 10_000
const FILTER_KEY = /^filter\{(-?)([^{}]*)\}(\[\])?$/
const INTEGER = /^[+-]?\d+$/

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function parseFilter(key: string, values: string[]): FilterClause {
  const match = FILTER_KEY.exec(key)
  if (!match || !match[2] || match[2].split('.').some((part) => part === '')) {
    throw new DrestQueryError({ detail: `"${key}" is not a well-formed filter key.` })
  }
  const segments = match[2].split('.')
  let op: Operator = 'exact'
  const last = segments[segments.length - 1]
  if (segments.length > 1 && OPERATOR_SET.has(last)) {
    op = last as Operator
    segments.pop()
  }
  if (op === 'eq') op = 'exact'
  let transform: DatePart | undefined
  const part = segments[segments.length - 1] as DatePart
  if (segments.length > 1 && DATE_PARTS.includes(part) && COMPARISONS.has(op) && op !== (part as Operator)) {
    transform = part
    segments.pop()
  }
  const kept = MULTI_VALUE_OPERATORS.has(op) ? (op === 'range' ? values.slice(0, 2) : values) : values.slice(0, 1)
  const clause: FilterClause = { key: `filter{${match[1]}${match[2]}}`, path: segments, op, values: kept, negate: match[1] === '-' }
  if (transform) clause.transform = transform
  return clause
}

function parseSort(raw: string): SortClause | null {
  const value = raw.trim()
  if (!value) return null
  const desc = value.startsWith('-')
  const name = desc || value.startsWith('+') ? value.slice(1) : value
  return { path: name.split('.'), desc, raw: value }
}

function parseNumber(name: 'page' | 'page_size', raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback
  if (!INTEGER.test(raw.trim())) throw new DrestQueryError({ [name]: ['A valid integer is required.'] })
  const value = Number.parseInt(raw, 10)
  if (!Number.isSafeInteger(value)) throw new DrestQueryError({ [name]: ['Ensure this value is a valid integer.'] })
  return value
}

/**
 * Bounds on a query's breadth. GeoNode sets none, but every clause becomes part of one SQL
 * expression, and thousands of them (a search of 2,000 words over three fields) exceed what SQLite
 * compiles: a clear 400 instead. Each bound is far above what a person or a client builds.
 */
export const MAX_FILTERS = 64
export const MAX_SORT_KEYS = 16
export const MAX_SEARCH_TERMS = 64
export const MAX_SEARCH_FIELDS = 16

function atMost(name: string, count: number, limit: number, what: string): void {
  if (count > limit) throw new DrestQueryError({ [name]: [`At most ${limit} ${what} in one request; this one has ${count}.`] })
}

/** A key repeated later in a sort changes nothing: only its first place orders the rows. */
function firstOfEachKey<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    if (seen.has(key(item))) return false
    seen.add(key(item))
    return true
  })
}

/** Splits a search string on whitespace and commas, as DRF's SearchFilter does. */
export function searchTerms(raw: string): string[] {
  return raw
    .replace(/\0/g, '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean)
}

/**
 * Parses the query string of a list request. Throws DrestQueryError for malformed keys and
 * non-integer paging values; field names are checked later, against the endpoint's fields.
 *
 * @example parseDrestQuery({ 'filter{owner.username}': 'bobby', 'sort[]': '-title' })
 */
export function parseDrestQuery(query: QueryInput): DrestQuery {
  const filters: FilterClause[] = []
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('filter{')) filters.push(parseFilter(key, all(value)))
  }
  atMost('filter', filters.length, MAX_FILTERS, 'filters')
  const sortClauses = (raws: string[]) => raws.map(parseSort).filter((clause) => clause !== null)
  let sort = sortClauses(all(query['sort[]']))
  if (sort.length === 0) sort = sortClauses(all(query.ordering).flatMap((v) => v.split(',')))
  sort = firstOfEachKey(sort, (clause) => clause.path.join('.'))
  atMost('sort[]', sort.length, MAX_SORT_KEYS, 'sort fields')
  const searchRaw = all(query.search)[0]
  const terms = [...new Set(searchRaw ? searchTerms(searchRaw) : [])]
  atMost('search', terms.length, MAX_SEARCH_TERMS, 'search terms')
  const fields = [
    ...new Set(
      all(query.search_fields)
        .flatMap((v) => v.split(','))
        .map((f) => f.trim())
        .filter(Boolean)
    )
  ]
  atMost('search_fields', fields.length, MAX_SEARCH_FIELDS, 'search fields')

  const pageRaw = all(query.page)[0]
  const pageSizeRaw = all(query.page_size)[0]
  const pageEcho = parseNumber('page', pageRaw, 1)
  const pageSizeEcho = parseNumber('page_size', pageSizeRaw, DEFAULT_PAGE_SIZE)
  if (pageSizeEcho > MAX_PAGE_SIZE) throw new DrestQueryError({ page_size: [`Ensure this value is less than or equal to ${MAX_PAGE_SIZE}.`] })

  return {
    filters,
    sort,
    include: all(query['include[]']).map((v) => v.trim()).filter(Boolean),
    exclude: all(query['exclude[]']).map((v) => v.trim()).filter(Boolean),
    search: terms.length > 0 ? { terms, fields } : null,
    sideloading: /^(1|true|yes|on)$/i.test(all(query.sideloading)[0] ?? ''),
    page: pageEcho,
    // GeoNode 3.3 does the same: DRF's get_page_size reads page_size with _positive_int(strict=True),
    // whose ValueError for 0 or less falls back to the default size, while the envelope echoes it.
    pageSize: pageSizeEcho > 0 ? pageSizeEcho : DEFAULT_PAGE_SIZE,
    pageEcho,
    pageSizeEcho
  }
}

/** DREST's boolean coercion: true unless `0`, `false` or empty (so `no` is true). */
export function drestBoolean(value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase()
  return !(v === '' || v === '0' || v === 'false')
}

/** Python's strtobool, used by GeoNode for `favorite=`; undefined for anything else. */
export function strToBool(value: string | undefined): boolean | undefined {
  const v = (value ?? '').trim().toLowerCase()
  if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true
  if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false
  return undefined
}
