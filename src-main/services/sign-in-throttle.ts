import { TooManyRequests } from '../errors'

/** Failed sign-ins per account allowed within the window before the account is locked for a while. */
export const MAX_FAILURES = 10
export const WINDOW_MS = 5 * 60_000
export const LOCK_MS = 5 * 60_000
const MAX_TRACKED = 10_000

/**
 * Slows password guessing on every path that checks a password (Basic, the password grant,
 * session sign-in): after MAX_FAILURES failures within WINDOW_MS, every attempt for that account
 * answers 429 for LOCK_MS, the right password included. A desktop server sees every client as
 * 127.0.0.1, so the key is the account, not the address. Credentials already verified (a cached
 * Basic caller, an issued token) keep working.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { times: number[]; lockedUntil: number }>()

  constructor(private readonly now: () => number) {}

  assertAllowed(account: string): void {
    const entry = this.failures.get(account.toLowerCase())
    if (!entry || entry.lockedUntil <= this.now()) return
    const seconds = Math.ceil((entry.lockedUntil - this.now()) / 1000)
    throw new TooManyRequests(`Too many failed sign-ins for this account; try again in ${seconds} seconds.`, seconds)
  }

  failed(account: string): void {
    const key = account.toLowerCase()
    const now = this.now()
    const entry = this.failures.get(key) ?? { times: [], lockedUntil: 0 }
    entry.times = entry.times.filter((t) => t > now - WINDOW_MS)
    entry.times.push(now)
    if (entry.times.length >= MAX_FAILURES) {
      entry.lockedUntil = now + LOCK_MS
      entry.times = []
    }
    if (!this.failures.has(key) && this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value as string)
    this.failures.set(key, entry)
  }

  succeeded(account: string): void {
    this.failures.delete(account.toLowerCase())
  }
}
