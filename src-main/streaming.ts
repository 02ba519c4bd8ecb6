import type { Response } from 'express'

/**
 * How long a download may make no progress (the client reads nothing) before its connection is
 * dropped. A browser that stops reading a cancelled download, or a client that stalls on purpose,
 * would otherwise keep the response, its buffers and its open files for as long as it likes.
 */
export const STALL_MS = 60_000

/**
 * Drops the connection when it makes no progress for `ms` (call it when the body starts to flow,
 * not before: preparing an export may legitimately take longer than a stall).
 */
export function dropWhenStalled(res: Response, ms = STALL_MS): void {
  res.setTimeout(ms, () => res.destroy())
}

/**
 * Sends `head`, every chunk, then `tail`, waiting for the socket to drain between chunks. The
 * chunks must each be complete in memory (see featureChunks): nothing is held open on the
 * catalogue while the client is slow. Stops at once when the client goes away.
 */
export async function sendChunks(res: Response, head: string, chunks: Iterable<Buffer | string>, tail: string): Promise<void> {
  dropWhenStalled(res)
  let gone = false
  const onClose = () => {
    gone = true
  }
  res.once('close', onClose)
  try {
    res.write(head)
    let first = true
    for (const chunk of chunks) {
      if (gone) return
      if (!first) res.write(',')
      first = false
      if (!res.write(chunk)) await drained(res)
    }
    if (!gone) res.end(tail)
  } finally {
    res.off('close', onClose)
  }
}

/** Resolves when the socket takes more, or when it is gone (the caller checks which before writing again). */
export function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}
