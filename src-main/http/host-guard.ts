import type { RequestHandler } from 'express'

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

/**
 * Refuses requests whose Host header is not one of the server's own names, so that a web page
 * cannot reach the API through DNS rebinding. The port must be the one the request arrived on.
 */
export function hostGuard(options: { host: string; allowedHosts: readonly string[] }): RequestHandler {
  const names = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map((h) => h.toLowerCase())])
  if (options.host !== '0.0.0.0' && options.host !== '::') {
    names.add(options.host.includes(':') ? `[${options.host.toLowerCase()}]` : options.host.toLowerCase())
  }
  return (req, res, next) => {
    const host = (req.headers.host ?? '').toLowerCase()
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host)
    const port = match?.[2] ? Number(match[2]) : 80
    if (match && names.has(match[1]) && port === req.socket.localPort) return next()
    if (match && options.allowedHosts.includes(host)) return next()
    res.status(400).json({ detail: `Invalid HTTP_HOST header: '${req.headers.host ?? ''}'.` })
  }
}
