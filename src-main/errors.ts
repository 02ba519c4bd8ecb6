/**
 * The errors services throw, each with the HTTP status it maps to. They sit below http/, services/,
 * sync/ and ingest/ so that domain rules never import the HTTP layer; http/error-handler.ts renders them.
 */

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
