/** Source of timestamps, injected so tests can control time. */
export interface Clock {
  /** ISO-8601 UTC with microseconds and Z, strictly increasing within the process. */
  now(): string
  epochMs(): number
}

export function systemClock(): Clock {
  let last = 0
  return {
    now() {
      // Microsecond precision from the high-resolution timer, kept strictly monotonic.
      const micros = Math.max(Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000), last + 1)
      last = micros
      const iso = new Date(Math.floor(micros / 1000)).toISOString()
      return `${iso.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, '0')}Z`
    },
    epochMs: () => Date.now()
  }
}
