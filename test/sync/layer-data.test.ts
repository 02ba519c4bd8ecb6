import { describe, expect, it } from 'vitest'
import { fileBytes, postMultipart } from '../helpers/uploads'
import { type Pair, bindings, journal, lastRunId, request, usePair } from './helpers'

// A layer's data replaced here reaches the remote on the next sync (PUT /layers/{pk}/replace);
// data that came from there, or was already sent, is never sent back.

const points = (...names: string[]) =>
  JSON.stringify({ type: 'FeatureCollection', features: names.map((name, i) => ({ type: 'Feature', properties: { name }, geometry: { type: 'Point', coordinates: [8 + i, 47] } })) })

async function names(server: { url: string }, pk: number): Promise<string[]> {
  const res = await request(server, `/api/v2/mapshelf/layers/${pk}/features`, { who: 'admin' })
  expect(res.status, res.text).toBe(200)
  return (res.body.features as { properties: { name: string } }[]).map((f) => f.properties.name).sort()
}

const replacesSent = (pair: Pair) => pair.proxy.log.filter((r) => r.method === 'PUT' && /\/replace\/?$/.test(r.path)).length
const dataJournal = (pair: Pair) => journal(pair, lastRunId(pair)).filter((j: { action: string }) => j.action === 'data').map((j: { direction: string; outcome: string }) => `${j.direction} ${j.outcome}`)

async function replace(server: { url: string }, pk: number, geojson: string) {
  const res = await postMultipart(server, `/api/v2/layers/${pk}/replace`, { method: 'PUT', who: 'admin', files: [fileBytes('base_file', 'gauges.geojson', geojson)] })
  expect(res.status, res.text).toBe(200)
}

const pair = usePair({ resources: 4, synced: true })

describe('replaced layer data', () => {
  let localId: number
  let remotePk: number

  it('sends a layer made here with its data once, then its replacement once', async () => {
    const made = await postMultipart(pair.local, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'gauges.geojson', points('g1', 'g2'))], fields: { layer_title: 'River gauges' } })
    expect(made.status, made.text).toBe(200)
    localId = Number((await request(pair.local, '/api/v2/layers?filter{title}=River%20gauges', { who: 'admin' })).body.layers[0].pk)
    expect((await pair.sync()).errors).toBe(0)
    remotePk = bindings(pair).find((b) => b.local_id === localId)!.remote_pk!
    expect(await names(pair.remote, remotePk)).toEqual(['g1', 'g2'])
    expect(replacesSent(pair)).toBe(0)

    await replace(pair.local, localId, points('g3', 'g4', 'g5'))
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    expect(dataJournal(pair)).toEqual(['push ok'])
    expect(replacesSent(pair)).toBe(1)
    expect(await names(pair.remote, remotePk)).toEqual(['g3', 'g4', 'g5'])

    // Sent: not again.
    await pair.sync()
    expect(dataJournal(pair)).toEqual([])
    expect(replacesSent(pair)).toBe(1)
  })

  it('never sends back data downloaded for a layer kept offline, and sends a later replacement made here', async () => {
    const marked = await request(pair.local, `/api/v2/mapshelf/sync/offline/${localId}`, { method: 'PUT', who: 'admin', body: { offline: true } })
    expect(marked.status, marked.text).toBe(200)
    await replace(pair.remote, remotePk, points('r1'))
    expect((await pair.sync()).errors).toBe(0)
    expect(dataJournal(pair)).toEqual(['pull ok'])
    expect(await names(pair.local, localId)).toEqual(['r1'])
    expect(replacesSent(pair)).toBe(1)
    await pair.sync()
    expect(dataJournal(pair)).toEqual([])
    expect(replacesSent(pair)).toBe(1)

    await replace(pair.local, localId, points('l1', 'l2'))
    expect((await pair.sync()).errors).toBe(0)
    expect(dataJournal(pair)).toEqual(['push ok'])
    expect(await names(pair.remote, remotePk)).toEqual(['l1', 'l2'])
    // Our own upload there is not news here: no download follows.
    await pair.sync()
    expect(dataJournal(pair)).toEqual([])
    expect(await names(pair.local, localId)).toEqual(['l1', 'l2'])
  })

  it('keeps and sends the data replaced here when it was replaced there too, saying so in the journal', async () => {
    await replace(pair.remote, remotePk, points('there'))
    await replace(pair.local, localId, points('here'))
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    expect(dataJournal(pair)).toEqual(['pull conflict', 'push ok'])
    expect(await names(pair.local, localId)).toEqual(['here'])
    expect(await names(pair.remote, remotePk)).toEqual(['here'])
    await pair.sync()
    expect(dataJournal(pair)).toEqual([])
  })
})
