import { describe, expect, it } from 'vitest'
import { TooManyRequests } from '../../src-main/errors'
import { LOCK_MS, MAX_FAILURES, MAX_TRACKED, SignInThrottle, WINDOW_MS } from '../../src-main/services/sign-in-throttle'

function throttleAt(start = 1_000_000, maxTracked?: number) {
  const clock = { ms: start }
  const throttle = new SignInThrottle(() => clock.ms, maxTracked)
  const isLocked = (key: string) => {
    try {
      throttle.assertAllowed(key)
      return false
    } catch (error) {
      if (error instanceof TooManyRequests) return true
      throw error
    }
  }
  const lock = (key: string) => {
    for (let i = 0; i < MAX_FAILURES; i++) throttle.failed(key)
  }
  return { clock, throttle, isLocked, lock }
}

describe('the sign-in throttle', () => {
  it('locks a key after ten failures within the window, for the lock time, and not before', () => {
    const { clock, throttle, isLocked, lock } = throttleAt()
    for (let i = 0; i < MAX_FAILURES - 1; i++) throttle.failed('alice')
    expect(isLocked('alice')).toBe(false)
    clock.ms += WINDOW_MS + 1
    throttle.failed('alice')
    expect(isLocked('alice')).toBe(false)
    lock('alice')
    expect(isLocked('alice')).toBe(true)
    clock.ms += LOCK_MS - 1
    expect(isLocked('alice')).toBe(true)
    clock.ms += 1
    expect(isLocked('alice')).toBe(false)
  })

  it('keeps a lock through a flood of failures for other keys, and stays bounded', () => {
    const { throttle, isLocked, lock } = throttleAt()
    lock('alice')
    // The probe's flood: failures for ever new made-up names, five times the table's bound.
    for (let i = 0; i < 50_000; i++) throttle.failed(`made-up-${i}`)
    expect(isLocked('alice')).toBe(true)
    expect(throttle.size).toBeLessThanOrEqual(MAX_TRACKED)
  })

  it('drops unlocked entries before locked ones, and a lock once it has expired', () => {
    const { clock, throttle, isLocked, lock } = throttleAt(1_000_000, 20)
    for (let i = 0; i < 5; i++) lock(`locked-${i}`)
    for (let i = 0; i < 200; i++) throttle.failed(`other-${i}`)
    for (let i = 0; i < 5; i++) expect(isLocked(`locked-${i}`), `locked-${i}`).toBe(true)
    expect(throttle.size).toBeLessThanOrEqual(20)
    // Nothing but live locks: the table holds them all, past its bound, until they expire.
    for (let i = 5; i < 30; i++) lock(`locked-${i}`)
    for (let i = 0; i < 30; i++) expect(isLocked(`locked-${i}`), `locked-${i}`).toBe(true)
    clock.ms += LOCK_MS
    throttle.failed('after-expiry')
    expect(throttle.size).toBeLessThanOrEqual(20)
    expect(isLocked('locked-0')).toBe(false)
  })
})
