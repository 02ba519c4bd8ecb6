import { type RawBuilder, type SqlBool, sql } from 'kysely'
import { type DrestQuery, DrestQueryError, type FilterClause, type SortClause, drestBoolean } from './drest.parse'
import { patternProblem } from '../db/regex'

/**
 * Turns the DREST AST into SQL conditions and orderings over one endpoint's field table.
 * Field expressions are trusted SQL written in the field tables; values always travel as parameters.
 */

export type FieldKind = 'string' | 'int' | 'float' | 'bool' | 'datetime'

export interface ScalarField {
  kind: FieldKind
  /** SQL expression over the endpoint's row alias (or the relation's alias `x`). */
  expr: string
  sortable?: boolean
  /** At most one related row has a given value (a key): lets a to-one filter compare with `=`. */
  unique?: boolean
}

export interface RelationField {
  kind: 'relation'
  many: boolean
  /** FROM clause of the related rows, aliased `x` (with any join table). */
  from: string
  /** Condition tying the related rows to the outer row: `<inner key> = <outer key>`. */
  link: string
  /** The related row's primary key, compared when the path stops at the relation. */
  pk: ScalarField
  /** For to-one relations: the foreign key on the outer row (used by isnull). */
  fk?: string
  fields: Record<string, ScalarField>
}

export type Field = ScalarField | RelationField

export interface FieldTable {
  /** Serializer name used in error messages (`"foo" is not a valid field name for "resource".`) */
  serializer: string
  fields: Record<string, Field>
  /** Fields that exist in the representation but cannot be filtered or sorted on. */
  representationOnly: readonly string[]
  /** Deferred fields, only present with include[] */
  deferred?: readonly string[]
  /** Fields for full-text search without search_fields; undefined = use the FTS index. */
  defaultSearch?: readonly string[]
}

type Condition = RawBuilder<SqlBool>

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** Normalises an ISO date or datetime to the stored form `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function normaliseDatetime(value: string): string | undefined {
  const m = ISO_DATE.exec(value.trim())
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m
  const base = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone && zone !== 'Z' ? zone : 'Z'}`)
  if (Number.isNaN(base.getTime())) return undefined
  return `${base.toISOString().slice(0, 19)}.${frac.padEnd(6, '0')}Z`
}

function invalidValue(clause: FilterClause, value: string, what: string): DrestQueryError {
  return new DrestQueryError([`Invalid value for ${clause.key}: '${value}' is not ${what}.`])
}

function coerce(field: ScalarField, clause: FilterClause, value: string): string | number {
  switch (field.kind) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(value.trim())) throw invalidValue(clause, value, 'a valid integer')
      const n = Number(value)
      if (!Number.isSafeInteger(n)) throw invalidValue(clause, value, 'a valid integer')
      return n
    }
    case 'float': {
      const n = Number(value)
      if (value.trim() === '' || !Number.isFinite(n)) throw invalidValue(clause, value, 'a valid number')
      return n
    }
    case 'bool':
      return drestBoolean(value) ? 1 : 0
    case 'datetime': {
      const normalised = normaliseDatetime(value)
      if (!normalised) throw invalidValue(clause, value, 'a valid date or datetime')
      return normalised
    }
    default:
      return value
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function datePart(field: ScalarField, clause: FilterClause, value: string, format: string, offset = 0): Condition {
  if (field.kind !== 'datetime') throw new DrestQueryError([`Invalid filter field: ${clause.path.join('.')}.${clause.op}`])
  if (!/^\d+$/.test(value.trim())) throw invalidValue(clause, value, 'a valid integer')
  return sql<SqlBool>`(CAST(strftime(${format}, ${sql.raw(field.expr)}) AS INTEGER) + ${offset}) = ${Number(value)}`
}

const DATE_FORMATS = { year: ['%Y', 0], month: ['%m', 0], day: ['%d', 0], week_day: ['%w', 1] } as const

function scalarCondition(base: ScalarField, clause: FilterClause): Condition {
  let field = base
  if (clause.transform) {
    if (base.kind !== 'datetime') throw new DrestQueryError([`Invalid filter field: ${clause.path.join('.')}.${clause.transform}`])
    const [format, offset] = DATE_FORMATS[clause.transform]
    field = { kind: 'int', expr: `(CAST(strftime('${format}', ${base.expr}) AS INTEGER) + ${offset})` }
  }
  const e = sql.raw(field.expr)
  const values = clause.values
  const first = values[0] ?? ''
  const text = (v: string) => (field.kind === 'string' ? v : String(coerce(field, clause, v)))
  switch (clause.op) {
    case 'exact':
      return sql<SqlBool>`${e} = ${coerce(field, clause, first)}`
    case 'iexact':
      return sql<SqlBool>`lower(${e}) = lower(${text(first)})`
    case 'in':
    case 'any': {
      if (values.length === 0) return sql<SqlBool>`0`
      return sql<SqlBool>`${e} IN (${sql.join(values.map((v) => coerce(field, clause, v)))})`
    }
    case 'all':
      return sql<SqlBool>`(${sql.join(
        values.map((v) => sql`${e} = ${coerce(field, clause, v)}`),
        sql` AND `
      )})`
    case 'icontains':
      return sql<SqlBool>`${e} LIKE ${`%${escapeLike(text(first))}%`} ESCAPE '\\'`
    case 'contains':
      return sql<SqlBool>`instr(${e}, ${text(first)}) > 0`
    case 'startswith':
      return sql<SqlBool>`instr(${e}, ${text(first)}) = 1`
    case 'istartswith':
      return sql<SqlBool>`${e} LIKE ${`${escapeLike(text(first))}%`} ESCAPE '\\'`
    case 'endswith':
      return sql<SqlBool>`substr(${e}, -length(${text(first)})) = ${text(first)}`
    case 'iendswith':
      return sql<SqlBool>`${e} LIKE ${`%${escapeLike(text(first))}`} ESCAPE '\\'`
    case 'regex':
      {
        const problem = patternProblem(first)
        if (problem) throw invalidValue(clause, first, problem)
      }
      return sql<SqlBool>`${e} REGEXP ${first}`
    case 'range': {
      if (values.length < 2) throw new DrestQueryError([`Invalid value for ${clause.key}: range needs two values.`])
      return sql<SqlBool>`${e} BETWEEN ${coerce(field, clause, values[0])} AND ${coerce(field, clause, values[1])}`
    }
    case 'gt':
      return sql<SqlBool>`${e} > ${coerce(field, clause, first)}`
    case 'gte':
      return sql<SqlBool>`${e} >= ${coerce(field, clause, first)}`
    case 'lt':
      return sql<SqlBool>`${e} < ${coerce(field, clause, first)}`
    case 'lte':
      return sql<SqlBool>`${e} <= ${coerce(field, clause, first)}`
    case 'isnull':
      return drestBoolean(first) ? sql<SqlBool>`${e} IS NULL` : sql<SqlBool>`${e} IS NOT NULL`
    case 'year':
      return datePart(field, clause, first, '%Y')
    case 'month':
      return datePart(field, clause, first, '%m')
    case 'day':
      return datePart(field, clause, first, '%d')
    case 'week_day':
      return datePart(field, clause, first, '%w', 1)
    default:
      throw new DrestQueryError([`Invalid filter field: ${clause.path.join('.')}`])
  }
}

function invalidField(path: string[]): DrestQueryError {
  return new DrestQueryError([`Invalid filter field: ${path.join('.')}`])
}

/** Resolves `path` to a scalar field, through at most one relation. */
function resolve(table: FieldTable, path: string[]): { field: ScalarField; relation?: RelationField } {
  const dotted = table.fields[path.join('.')]
  if (path.length > 1 && dotted && dotted.kind !== 'relation') return { field: dotted }
  const [head, ...rest] = path
  const field = head === 'pk' && !table.fields.pk ? table.fields.id : table.fields[head]
  if (!field) throw invalidField(path)
  if (field.kind !== 'relation') {
    if (rest.length > 0) throw invalidField(path)
    return { field }
  }
  if (rest.length === 0) return { field: field.pk, relation: field }
  const nested = rest.join('.')
  const inner = nested === 'pk' || nested === 'id' ? field.pk : field.fields[nested]
  if (!inner) throw invalidField(path)
  return { field: inner, relation: field }
}

/**
 * Rows whose related rows match: `outer IN (SELECT inner ...)`, which lets SQLite drive the query
 * from a selective relation (a keyword, an owner) instead of testing every row.
 */
function related(relation: RelationField, condition: Condition | null): Condition {
  const [inner, outer] = relation.link.split(' = ')
  const where = condition ?? sql`1`
  return sql<SqlBool>`${sql.raw(outer)} IN (SELECT ${sql.raw(inner)} FROM ${sql.raw(relation.from)} WHERE ${where})`
}

function filterCondition(table: FieldTable, clause: FilterClause): Condition {
  const { field, relation } = resolve(table, clause.path)
  let condition: Condition
  if (!relation) {
    condition = scalarCondition(field, clause)
  } else if (clause.op === 'isnull' && field === relation.pk) {
    const isNull = drestBoolean(clause.values[0])
    const present = relation.fk ? sql<SqlBool>`${sql.raw(relation.fk)} IS NOT NULL` : related(relation, null)
    condition = isNull ? sql<SqlBool>`NOT (${present})` : present
  } else if (clause.op === 'all' && relation.many) {
    condition = sql<SqlBool>`(${sql.join(
      clause.values.map((v) => related(relation, scalarCondition(field, { ...clause, op: 'exact', values: [v] }))),
      sql` AND `
    )})`
  } else if (!relation.many && clause.op === 'exact' && field.unique) {
    // `fk = (SELECT ...)` rather than `fk IN (...)`: SQLite can then read an index on the foreign
    // key in the requested order instead of sorting every match (category + sort by date).
    const [inner, outer] = relation.link.split(' = ')
    condition = sql<SqlBool>`${sql.raw(outer)} = (SELECT ${sql.raw(inner)} FROM ${sql.raw(relation.from)} WHERE ${scalarCondition(field, clause)})`
  } else {
    condition = related(relation, scalarCondition(field, clause))
  }
  // Django's exclude() keeps rows whose value is NULL, so a NULL comparison counts as "not matched".
  return clause.negate ? sql<SqlBool>`NOT COALESCE((${condition}), 0)` : condition
}

/** Every filter{} clause of the query as one AND-ed condition, or null when there are none. */
export function filterConditions(table: FieldTable, query: DrestQuery): Condition[] {
  return query.filters.map((clause) => filterCondition(table, clause))
}

function sortExpression(table: FieldTable, clause: SortClause): RawBuilder<unknown> {
  const invalid = new DrestQueryError([`Invalid filter field: ['${clause.path.join('.')}']`])
  let resolved: ReturnType<typeof resolve>
  try {
    resolved = resolve(table, clause.path)
  } catch {
    throw invalid
  }
  const { field, relation } = resolved
  if (field.sortable === false) throw invalid
  if (!relation) return sql.raw(field.expr)
  if (relation.many) throw invalid
  return sql`(SELECT ${sql.raw(field.expr)} FROM ${sql.raw(relation.from)} WHERE ${sql.raw(relation.link)})`
}

export interface OrderTerm {
  expression: RawBuilder<unknown>
  desc: boolean
}

/** ORDER BY terms for sort[] / ordering, then a tie-breaker on the primary key for stable pages. */
export function orderTerms(table: FieldTable, query: DrestQuery, fallback: SortClause[], pkExpr: string): OrderTerm[] {
  const clauses = query.sort.length > 0 ? query.sort : fallback
  const terms = clauses.map((clause) => ({ expression: sortExpression(table, clause), desc: clause.desc }))
  const lastDesc = terms.length > 0 ? terms[terms.length - 1].desc : false
  terms.push({ expression: sql.raw(pkExpr), desc: lastDesc })
  return terms
}

/** Renders order terms as one SQL fragment for `ORDER BY`. */
export function orderBySql(terms: OrderTerm[]): RawBuilder<unknown> {
  return sql.join(
    terms.map((t) => (t.desc ? sql`${t.expression} DESC` : sql`${t.expression} ASC`)),
    sql`, `
  )
}

const SEARCH_PREFIXES: Record<string, FilterClause['op']> = { '^': 'istartswith', '=': 'iexact', $: 'regex', '@': 'icontains' }

/**
 * DRF SearchFilter semantics: every term must match at least one listed field (icontains by default).
 * ORM paths (`owner__username`) resolve through the same field table as filters.
 */
export function searchFieldsCondition(table: FieldTable, terms: string[], fields: string[]): Condition {
  const resolvedFields = fields.map((raw) => {
    const prefix = raw[0] in SEARCH_PREFIXES ? raw[0] : ''
    const name = prefix ? raw.slice(1) : raw
    const path = name.split('__')
    try {
      resolve(table, path)
    } catch {
      throw new DrestQueryError({ search_fields: [`"${name}" is not a searchable field for "${table.serializer}".`] })
    }
    return { path, op: prefix ? SEARCH_PREFIXES[prefix] : ('icontains' as const) }
  })
  return sql<SqlBool>`(${sql.join(
    terms.map(
      (term) =>
        sql`(${sql.join(
          resolvedFields.map(({ path, op }) =>
            filterCondition(table, { key: `search=${term}`, path, op, values: [term], negate: false })
          ),
          sql` OR `
        )})`
    ),
    sql` AND `
  )})`
}

/** Checks include[] / exclude[] names against the representation's fields. */
export function checkFieldNames(table: FieldTable, names: string[]): void {
  for (const name of names) {
    if (name === '*') continue
    const head = name.split('.')[0]
    const known = head in table.fields || table.representationOnly.includes(head) || table.deferred?.includes(head)
    if (!known) throw new DrestQueryError({ detail: `"${name}" is not a valid field name for "${table.serializer}".` })
  }
}
