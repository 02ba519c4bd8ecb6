import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, envelopeKeys, request, startTestServer } from '../helpers/server'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ resources: 120 })
})
afterAll(() => server.close())

describe('a fresh server', () => {
  it('lists resources in the GeoNode envelope', async () => {
    const res = await request(server, '/api/v2/resources')
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).sort()).toEqual(envelopeKeys('resources'))
    expect(res.body.resources).toHaveLength(10)
    expect(typeof res.body.resources[0].pk).toBe('string')
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})
