import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

/** A server started in its own process group; its first stdout line is its URL. */
export interface ChildServer {
  name: string
  url: string
  pid: number
  /** Last stderr lines, for error messages. */
  stderr: string[]
  /** How it ended if it already exited ("code 1", "SIGKILL"), else null. */
  exited(): string | null
  stop(): Promise<void>
}

const STDERR_LINES = 40
const running = new Map<number, ChildProcess>()

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

function keepTail(lines: string[], line: string): void {
  lines.push(line)
  if (lines.length > STDERR_LINES) lines.shift()
}

async function waitForGroupExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!signalGroup(pid, 0)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return !signalGroup(pid, 0)
}

/** SIGTERM to the whole group (e.g. npx, tsx and node), then SIGKILL if it is still there after a grace period. */
async function stopGroup(pid: number, child: ChildProcess): Promise<void> {
  if (!running.has(pid)) return
  running.delete(pid)
  const alive = child.exitCode === null && child.signalCode === null
  const exited = alive ? once(child, 'exit') : Promise.resolve()
  signalGroup(pid, 'SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  if (!(await waitForGroupExit(pid, 2_000))) signalGroup(pid, 'SIGKILL')
}

/** Synchronous last resort for process exit: SIGKILL every group still running. */
export function killAllChildrenNow(): void {
  for (const pid of running.keys()) signalGroup(pid, 'SIGKILL')
  running.clear()
}

/** Stops every child still running (errors, Ctrl-C). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running.entries()].map(([pid, child]) => stopGroup(pid, child)))
}

function firstLine(name: string, child: ChildProcess, stderr: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const fail = (reason: string) => {
      clearTimeout(timer)
      reject(new Error(`${name}: ${reason}\n${stderr.join('\n')}`))
    }
    const timer = setTimeout(() => fail(`printed no URL within ${timeoutMs / 1000} s`), timeoutMs)
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code}) before printing its URL`)
    child.once('exit', onExit)
    lines.once('line', (line) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      if (/^https?:\/\/\S+$/.test(line.trim())) resolve(line.trim())
      else reject(new Error(`${name}: expected a URL as the first stdout line, got "${line}"\n${stderr.join('\n')}`))
    })
  })
}

/**
 * Starts `command` (e.g. `npx tsx script.ts ...`) as a detached process group, so the whole tree can
 * be signalled, and resolves with the URL it prints first. Later output is drained, stderr kept.
 */
export async function startChild(name: string, command: string[], options: { cwd: string; timeoutMs?: number }): Promise<ChildServer> {
  const [program, ...args] = command
  const child = spawn(program, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error(`${name}: could not start ${program}`)
  const pid = child.pid
  running.set(pid, child)
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => keepTail(stderr, line))
  try {
    const url = await firstLine(name, child, stderr, options.timeoutMs ?? 60_000)
    child.stdout!.resume()
    const exited = () => (child.signalCode ? child.signalCode : child.exitCode === null ? null : `code ${child.exitCode}`)
    return { name, url, pid, stderr, exited, stop: () => stopGroup(pid, child) }
  } catch (error) {
    await stopGroup(pid, child)
    throw error
  }
}
