/**
 * Baseline for the HTTP benchmark: a bare Express app with one route answering a fixed JSON body of
 * exactly BYTES bytes. Prints its URL (the route's full address) as the first stdout line.
 *
 * @example npx tsx test/bench/bare-server.ts 4096   # prints http://127.0.0.1:PORT/bare
 */
import type { AddressInfo } from 'node:net'
import express from 'express'

/** A JSON document of exactly `bytes` bytes (ASCII padding, so characters are bytes). */
function jsonOfSize(bytes: number): Buffer {
  const empty = '{"pad":""}'
  if (bytes >= empty.length) return Buffer.from(`{"pad":"${'x'.repeat(bytes - empty.length)}"}`)
  if (bytes >= 2) return Buffer.from(`"${'x'.repeat(bytes - 2)}"`)
  return Buffer.from('0')
}

function parseBytes(raw: string | undefined): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 100_000_000) throw new Error(`usage: bare-server.ts BYTES (a whole number), got "${raw ?? ''}"`)
  return n
}

function start(bytes: number): void {
  const body = jsonOfSize(bytes)
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  // Writes are compared with a route that also reads and parses a JSON body.
  app.use(express.json({ limit: '64mb' }))
  app.all('/bare', (_req, res) => {
    res.type('application/json').send(body)
  })
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo
    console.log(`http://127.0.0.1:${port}/bare`)
  })
  server.keepAliveTimeout = 5_000
  const stop = () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

start(parseBytes(process.argv[2]))
