import type { ErrorRequestHandler } from 'express'
import { DrestQueryError } from '../query/drest.parse'

/** Base of every error a service may throw; the error middleware is the only code that renders them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly code: string
  ) {
    super(typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : code)
  }
}

/** 400 with a field map: `{ "title": ["This field is required."] }` */
export class ValidationError extends ApiError {
  constructor(readonly fields: Record<string, string[]> | string[]) {
    super(400, fields, 'invalid')
  }
}

export class BadRequest extends ApiError {
  constructor(detail: string) {
    super(400, { detail }, 'bad_request')
  }
}

/** Auth failures on /api/v2 are 403 (spec 1.2): never 401. */
export class NotAuthenticated extends ApiError {
  constructor(detail = 'Authentication credentials were not provided.') {
    super(403, { detail }, 'not_authenticated')
  }
}

export class PermissionDenied extends ApiError {
  constructor(detail = 'You do not have permission to perform this action.') {
    super(403, { detail }, 'permission_denied')
  }
}

export class NotFound extends ApiError {
  constructor(detail = 'Not found.') {
    super(404, { detail }, 'not_found')
  }
}

export class MethodNotAllowed extends ApiError {
  constructor(method: string) {
    super(405, { detail: `Method "${method}" not allowed.` }, 'method_not_allowed')
  }
}

export class Conflict extends ApiError {
  constructor(detail: string) {
    super(409, { detail }, 'conflict')
  }
}

/** The upload wizard's refusal (spec 5.1): 400 `{"success": false, "errors": ["…"]}`. */
export class UploadRefused extends ApiError {
  constructor(readonly errors: string[]) {
    super(400, { success: false, errors }, 'upload_refused')
  }
}

/** 429 with the seconds to wait, sent as Retry-After too. */
export class TooManyRequests extends ApiError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number
  ) {
    super(429, { detail }, 'throttled')
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(detail: string) {
    super(413, { detail }, 'payload_too_large')
  }
}

export interface Logger {
  info(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/** Registered last. Renders ApiError and DrestQueryError; anything else is a bug: log it, answer 500. */
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
