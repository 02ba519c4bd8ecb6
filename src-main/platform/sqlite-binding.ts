import type Sqlite from 'better-sqlite3'

/**
 * Which better-sqlite3 native module this thread loads: the one in node_modules (built for Node:
 * tests, headless) unless the process was told to use another (built for Electron's ABI when the
 * desktop app runs from source). Every connection opens through `sqliteOptions`.
 */
let binding: string | null = null

export function useSqliteBinding(path: string | null): void {
  binding = path
}

export function sqliteOptions(options: Sqlite.Options = {}): Sqlite.Options {
  return binding ? { ...options, nativeBinding: binding } : options
}
