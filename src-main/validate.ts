import type { z } from 'zod'
import { ValidationError } from './errors'

/** Validates with a shared zod schema; failures become a 400 field map naming each field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  const fields: Record<string, string[]> = {}
  for (const issue of result.error.issues) {
    // Errors are keyed by the top-level field, as DRF does; a nested part is named in the message.
    const [head, ...rest] = issue.path
    const name = head === undefined ? 'non_field_errors' : String(head)
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'This field is required.' : issue.message
    ;(fields[name] ??= []).push(rest.length > 0 ? `${rest.join('.')}: ${message}` : message)
  }
  throw new ValidationError(fields)
}

/** DREST accepts a body wrapped in the singular key as its only key: `{"geoapp": {...}}`. */
export function unwrap(body: unknown, singular: string): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body)
    if (keys.length === 1 && keys[0] === singular) return (body as Record<string, unknown>)[singular]
  }
  return body
}

/**
 * The four body forms of a POST (spec 1.4): a bare object, an object wrapped in the singular key,
 * a list wrapped in the plural key, or a bare list. Lists are bulk operations.
 */
export function bodyItems(body: unknown, singular: string, plural: string): { items: unknown[]; bulk: boolean } {
  if (Array.isArray(body)) return { items: body, bulk: true }
  if (body && typeof body === 'object') {
    const keys = Object.keys(body)
    const only = keys.length === 1 ? (body as Record<string, unknown>)[keys[0]] : undefined
    if (keys[0] === plural && Array.isArray(only)) return { items: only, bulk: true }
    if (keys[0] === singular && keys.length === 1) return { items: [only], bulk: false }
  }
  return { items: [body], bulk: false }
}
