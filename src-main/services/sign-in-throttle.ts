import { TooManyRequests } from '../errors'

/** Failed sign-ins per key allowed within the window before the key is locked for a while. */
export const MAX_FAILURES = 10
export const WINDOW_MS = 5 * 60_000
export const LOCK_MS = 5 * 60_000
/** Entries kept besides live locks; when full, a tenth is made free at once. */
export const MAX_TRACKED = 10_000

interface Entry {
  times: number[]
  lockedUntil: number
}

/**
 * Slows password guessing on every path that checks a password (Basic, the password grant,
 * session sign-in): after MAX_FAILURES failures within WINDOW_MS, every attempt under that key
 * answers 429 for LOCK_MS, the right password included. Credentials already verified (a cached
 * Basic caller, an issued token) keep working. The caller chooses the key: the auth service
 * counts an account per party (see `signInParty` in http/auth.ts), so a lock-out made by
 * others does not lock out the account's owner.
 *
 * Memory is bounded without forgetting locks: when the table is full, entries that no longer
 * count go first, then the oldest unlocked ones; a live lock stays until it expires, whatever
 * else is failing meanwhile (a flood of failures for made-up names must not unlock an account).
 */
export class SignInThrottle {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly now: () => number,
    private readonly maxTracked = MAX_TRACKED
  ) {}

  /** How many keys are tracked (locks included). */
  get size(): number {
    return this.entries.size
  }

  assertAllowed(key: string): void {
    const entry = this.entries.get(key)
    if (!entry || entry.lockedUntil <= this.now()) return
    const seconds = Math.ceil((entry.lockedUntil - this.now()) / 1000)
    throw new TooManyRequests(`Too many failed sign-ins for this account; try again in ${seconds} seconds.`, seconds)
  }

  failed(key: string): void {
    const now = this.now()
    const entry = this.entries.get(key) ?? { times: [], lockedUntil: 0 }
    entry.times = entry.times.filter((t) => t > now - WINDOW_MS)
    entry.times.push(now)
    if (entry.times.length >= MAX_FAILURES) {
      entry.lockedUntil = now + LOCK_MS
      entry.times = []
    }
    if (!this.entries.has(key)) this.makeRoom(now)
    this.entries.set(key, entry)
  }

  succeeded(key: string): void {
    this.entries.delete(key)
  }

  /**
   * At the bound, frees a tenth of it: entries whose lock and failures have run out first, then
   * the oldest unlocked ones. Live locks are never dropped; if nothing else is left the table
   * grows past the bound by them, until they expire.
   */
  private makeRoom(now: number): void {
    if (this.entries.size < this.maxTracked) return
    const target = this.maxTracked - Math.max(1, Math.floor(this.maxTracked / 10))
    const locked = (entry: Entry) => entry.lockedUntil > now
    for (const [key, entry] of this.entries) {
      if (!locked(entry) && entry.times.every((t) => t <= now - WINDOW_MS)) this.entries.delete(key)
    }
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= target) return
      if (!locked(entry)) this.entries.delete(key)
    }
  }
}
