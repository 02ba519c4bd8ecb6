import type { ErrorRequestHandler } from 'express'
import { ApiError, type Logger, TooManyRequests } from '../errors'
import { DrestQueryError } from '../query/drest.parse'

/**
 * The disk or the database file, not the request, is at fault: a clear answer instead of a 500.
 * Nothing was written (the transaction rolled back), and reads keep working.
 */
function storageFailure(error: unknown): { status: number; detail: string; retryAfter?: number } | null {
  const code = String((error as { code?: unknown })?.code ?? '')
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return { status: 507, detail: 'The disk holding the data folder is full; nothing was written. Free some space and try again.' }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES') return { status: 503, detail: 'The data folder is read-only; nothing was written. Reading still works.' }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return { status: 503, detail: 'The data folder could not be written (an I/O error); nothing was written.' }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { status: 503, detail: 'The catalogue is busy with another write; try again.', retryAfter: 1 }
  return null
}

/** Registered last. Renders ApiError and DrestQueryError; anything else is a bug: log it, answer 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error)
    if (error instanceof TooManyRequests) res.set('Retry-After', String(error.retryAfterSeconds))
    if (error instanceof ApiError) return void res.status(error.status).json(error.body)
    if (error instanceof DrestQueryError) return void res.status(400).json(error.body)
    const parseFailure = error as { type?: string; status?: number; expose?: boolean }
    if (parseFailure?.type === 'entity.parse.failed') {
      return void res.status(400).json({ detail: 'JSON parse error - the request body is not valid JSON.' })
    }
    if (parseFailure?.type === 'entity.too.large') {
      return void res.status(413).json({ detail: 'Request body is too large.' })
    }
    if (parseFailure?.expose && typeof parseFailure.status === 'number' && parseFailure.status < 500) {
      return void res.status(parseFailure.status).json({ detail: 'The request could not be read.' })
    }
    const storage = storageFailure(error)
    if (storage) {
      log.warn(`${req.method} ${req.path}: ${storage.detail}`)
      if (storage.retryAfter) res.set('Retry-After', String(storage.retryAfter))
      return void res.status(storage.status).json({ detail: storage.detail })
    }
    log.error(`${req.method} ${req.path} failed`, error)
    res.status(500).json({ detail: 'Internal server error.' })
  }
}
