import { execFile, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Debian's Python, which sees python3-qgis and python3-owslib (a python3 earlier on PATH may not). */
export const PYTHON = '/usr/bin/python3'

const SCRIPTS = fileURLToPath(new URL('../clients/scripts/', import.meta.url))

/** QGIS needs no display this way. */
const HEADLESS = { ...process.env, QT_QPA_PLATFORM: 'offscreen' }

/**
 * Why a client cannot run here, or null when it can: each probe is the command that must work.
 * Printed once by the test file that skips, so a bare clone says what to install.
 */
export function missingClient(client: 'gdal' | 'owslib' | 'qgis'): string | null {
  const probe =
    client === 'gdal'
      ? spawnSync('gdalinfo', ['--version'])
      : spawnSync(PYTHON, ['-c', client === 'owslib' ? 'import owslib' : 'import qgis.core'], { env: HEADLESS })
  if (probe.status === 0) return null
  const packages = { gdal: 'gdal-bin', owslib: 'python3-owslib', qgis: 'python3-qgis' }[client]
  return `${client} is not installed (apt-get install ${packages})`
}

/** Skips a describe block's reason, printed once, or nothing when the client is there. */
export function skipReason(file: string, client: 'gdal' | 'owslib' | 'qgis'): string | null {
  const missing = missingClient(client)
  if (missing) console.log(`${file}: skipping the ${client} tests: ${missing}`)
  return missing
}

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command to its end (never through a shell), with a time limit. */
export function run(command: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

/** Runs one of test/clients/scripts/*.py with Debian's Python (headless for QGIS) and parses the JSON it prints last. */
export async function runPythonScript<T = any>(script: string, args: string[]): Promise<T> {
  const result = await run(PYTHON, [`${SCRIPTS}${script}`, ...args], { env: HEADLESS, timeoutMs: 180_000 })
  const last = result.stdout.trim().split('\n').pop() ?? ''
  if (result.code !== 0 || !last.startsWith('{')) throw new Error(`${script} failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
  return JSON.parse(last) as T
}
