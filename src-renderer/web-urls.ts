/**
 * URLs from the catalogue as the GUI may use them. Fields such as doc_url and thumbnail_url are
 * data: a synced or older record can hold anything. Only http(s) URLs are ever rendered as a link
 * or an image; one on another server is an image the user must ask for, since loading it tells
 * that server the page is being viewed.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * `value` as an absolute http(s) URL (relative ones against `base`), or null for anything else:
 * `javascript:`, `data:`, `file:` and unparseable text are never rendered.
 *
 * @example webUrl('javascript:alert(1)', 'http://127.0.0.1:8000') // null
 */
export function webUrl(value: unknown, base: string): URL | null {
  if (typeof value !== 'string' || value.trim() === '') return null
  try {
    const url = new URL(value, base)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

/** Whether `url` is served by the local server at `base` (the same origin, or a loopback name for it). */
export function isLocalUrl(url: URL, base: string): boolean {
  const home = new URL(base)
  if (url.origin === home.origin) return true
  return LOOPBACK.has(url.hostname) && LOOPBACK.has(home.hostname) && url.protocol === home.protocol && url.port === home.port
}

/** A link target for `value`: its http(s) URL, or null when it must not be a link at all. */
export function safeHref(value: unknown, base: string): string | null {
  return webUrl(value, base)?.href ?? null
}
