import Sqlite from 'better-sqlite3'

/** Every row of a catalogue file, table by table: the columns, and each row as one JSON string. */
export type CatalogueRows = Map<string, { columns: string[]; rows: string[] }>

/**
 * The feature index as what it means: the 1800 migration rewrote the set and level of each entry from
 * points into boxes (± 0.25), so compare the centres.
 */
const NORMALISED: Record<string, string> = {
  layer_feature_index:
    'SELECT id, minx, maxx, miny, maxy, CAST(round((minset + maxset) / 2) AS INTEGER) AS feature_set, CAST(round((minlevel + maxlevel) / 2) AS INTEGER) AS level FROM layer_feature_index'
}

const text = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (Buffer.isBuffer(v) ? `x'${v.toString('hex')}'` : v))

/**
 * Reads every table (virtual tables through their own interface, never their shadow tables),
 * optionally leaving out columns that legitimately differ between two runs.
 *
 * @example catalogueRows(file, { kysely_migration: ['timestamp'] })
 */
export function catalogueRows(file: string, leaveOut: Record<string, string[]> = {}): CatalogueRows {
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true })
  try {
    const tables = sqlite.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string; sql: string | null }[]
    const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name)
    const shadow = (name: string) => virtual.some((v) => name.startsWith(`${v}_`))
    const out: CatalogueRows = new Map()
    for (const { name } of tables) {
      if (shadow(name)) continue
      const rows = (sqlite.prepare(NORMALISED[name] ?? `SELECT ${virtual.includes(name) ? 'rowid, ' : ''}* FROM "${name}"`).all() as Record<string, unknown>[]).map((row) => {
        for (const column of leaveOut[name] ?? []) delete row[column]
        return row
      })
      const columns = rows.length ? Object.keys(rows[0]!) : (sqlite.prepare(`SELECT * FROM "${name}" LIMIT 0`).columns().map((c) => c.name).filter((c) => !(leaveOut[name] ?? []).includes(c)))
      out.set(name, { columns, rows: rows.map(text).sort() })
    }
    return out
  } finally {
    sqlite.close()
  }
}

/**
 * Rows of `before` that `after` lacks, as "table: row" lines: each row compared on the columns it
 * had (later migrations may add columns; new rows are allowed).
 */
export function lostRows(before: CatalogueRows, after: CatalogueRows): string[] {
  const lost: string[] = []
  for (const [table, { columns, rows }] of before) {
    const now = after.get(table)
    if (!now) {
      if (rows.length) lost.push(`${table}: the table is gone with its ${rows.length} rows`)
      continue
    }
    const present = counts(now.rows.map((row) => {
      const parsed = JSON.parse(row) as Record<string, unknown>
      return text(Object.fromEntries(columns.map((c) => [c, parsed[c]])))
    }))
    for (const row of rows) {
      const left = present.get(row) ?? 0
      if (left === 0) lost.push(`${table}: ${row}`)
      else present.set(row, left - 1)
    }
  }
  return lost
}

function counts(lines: string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of lines) out.set(line, (out.get(line) ?? 0) + 1)
  return out
}

/** Rows that differ between two dumps (both directions), for an equality check with a readable failure. */
export function differentRows(a: CatalogueRows, b: CatalogueRows): string[] {
  const lines = (rows: CatalogueRows) => [...rows].flatMap(([table, { rows: r }]) => r.map((row) => `${table}: ${row}`))
  const [left, right] = [counts(lines(a)), counts(lines(b))]
  const surplus = (x: Map<string, number>, y: Map<string, number>, label: string) =>
    [...x].filter(([line, n]) => n > (y.get(line) ?? 0)).map(([line]) => `${label}: ${line}`)
  return [...surplus(left, right, 'only in the first'), ...surplus(right, left, 'only in the second')]
}
