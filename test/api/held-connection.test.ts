import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writePointsGeoJson } from '../helpers/fixtures-vector'
import { ADMIN_PASSWORD, request, useSeededServer } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { fileOnDisk, uploadLayer } from '../helpers/uploads'

// Issue 19, finding 1 and its class: no request may hold the catalogue's one connection while it
// waits on a client. An export read slowly, then dropped, left every later write answering 500
// ("This database connection is busy executing a query") until the server restarted.

const t = useSeededServer({ resources: 5 })
const { one } = groundTruth(() => t.server)
const POINTS = 60_000
let layer: number
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapshelf-export-'))
  await writePointsGeoJson(join(dir, 'many.geojson'), POINTS)
  const res = await uploadLayer(t.server, 'admin', [fileOnDisk('base_file', join(dir, 'many.geojson'))])
  expect(res.body.status, res.text).toBe('finished')
  layer = one('SELECT layer_id FROM uploads WHERE id = ?', res.body.id).layer_id
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Starts a download and reads only its first bytes, then stops reading (the socket stays open). */
function stalledDownload(path: string): Promise<{ req: ClientRequest; res: IncomingMessage; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: t.server.running.port, path, headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } }, (res) => {
      res.once('data', (head: Buffer) => {
        res.pause()
        resolve({ req, res, head })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function aWriteAnswers(title: string): Promise<number> {
  const started = Date.now()
  const patch = await request(t.server, `/api/v2/resources/${layer}`, { who: 'admin', method: 'PATCH', body: { title } })
  expect(patch.status, patch.text).toBe(200)
  const token = await request(t.server, '/o/token/', { method: 'POST', form: { grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD } })
  expect(token.status, token.text).toBe(200)
  return Date.now() - started
}

function readRest(res: IncomingMessage, head: Buffer): Promise<string> {
  const parts = [head]
  res.on('data', (c: Buffer) => parts.push(c))
  res.resume()
  return new Promise((resolve, reject) => {
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    res.on('error', reject)
  })
}

describe('a download the client reads slowly or drops holds nothing', () => {
  it('writes and sign-ins answer while a GeoJSON export is stalled mid-body; resumed, the export is whole', async () => {
    const { res, head } = await stalledDownload(`/api/v2/mapshelf/layers/${layer}/export?format=geojson`)
    await sleep(400) // the server has filled the socket and waits for it to drain
    expect(await aWriteAnswers('Written while an export is stalled')).toBeLessThan(3_000)
    expect(one('SELECT title FROM resources WHERE id = ?', layer).title).toBe('Written while an export is stalled')
    const body = JSON.parse(await readRest(res, head)) as { features: { properties: { id: number } }[] }
    expect(body.features).toHaveLength(POINTS)
    expect(body.features.every((f, i) => f.properties.id === i)).toBe(true)
  })

  it('writes answer after a client drops an export halfway, and nothing is logged as failed', async () => {
    const { req } = await stalledDownload(`/api/v2/mapshelf/layers/${layer}/export?format=geojson`)
    await sleep(200)
    req.destroy()
    await sleep(200)
    expect(await aWriteAnswers('Written after a dropped export')).toBeLessThan(3_000)
    expect(t.server.logs.filter((line) => /failed|busy/i.test(line))).toEqual([])
  })

  it('the zipped originals and the GeoPackage export, stalled or dropped, hold nothing either', async () => {
    for (const path of [`/api/v2/mapshelf/layers/${layer}/export?format=gpkg`, `/api/v2/mapshelf/resources/${layer}/original`]) {
      const stalled = await stalledDownload(path)
      await sleep(200)
      expect(await aWriteAnswers(`Written while ${path} is stalled`)).toBeLessThan(3_000)
      stalled.req.destroy()
    }
  })
})
