import { beforeAll, describe, expect, it } from 'vitest'
import { fileBytes, postMultipart } from '../helpers/uploads'
import { type Pair, api, bindings, catalogue, create, differences, journal, lastRunId, patch, usePair } from './helpers'

// Maps carry their catalogue layers both ways: order, opacity and visibility, each layer named by
// its identity on the remote. Layers outside the catalogue (base maps, other services) stay with
// their server.

type Entry = [uuid: string, opacity: number, visibility: boolean]

/** A map's catalogue layers as a server answers them, bottom first, each by the layer's uuid. */
async function catalogueLayers(server: { url: string }, mapPk: number): Promise<Entry[]> {
  const [layers, local] = await Promise.all([api(server, `/api/v2/maps/${mapPk}/layers`), api(server, `/api/v2/maps/${mapPk}/local_layers`)])
  expect(layers.status).toBe(200)
  const uuidOf = new Map((local.body as { alternate: string; uuid: string }[]).map((l) => [l.alternate, l.uuid]))
  return (layers.body as { name: string; local: boolean; stack_order: number; opacity: number; visibility: boolean }[])
    .filter((l) => l.local)
    .sort((a, b) => a.stack_order - b.stack_order)
    .map((l) => [uuidOf.get(l.name)!, l.opacity, l.visibility])
}

/** The same on the local side, with each layer's uuid translated to its remote one. */
async function localAsRemote(pair: Pair, mapId: number): Promise<Entry[]> {
  const remoteUuid = new Map(bindings(pair).map((b) => [b.local_uuid, b.remote_uuid]))
  return (await catalogueLayers(pair.local, mapId)).map(([uuid, opacity, visibility]) => [remoteUuid.get(uuid) ?? `unbound ${uuid}`, opacity, visibility])
}

const localIdOf = (pair: Pair, remotePk: number): number => bindings(pair).find((b) => b.remote_pk === remotePk)!.local_id!
const remotePkOf = (pair: Pair, localId: number): number | null => bindings(pair).find((b) => b.local_id === localId)?.remote_pk ?? null

const wms = { name: 'relief', ows_url: 'https://example.org/ows', format: 'image/png', opacity: 0.9 }
const geojson = JSON.stringify({
  type: 'FeatureCollection',
  features: [1, 2].map((n) => ({ type: 'Feature', properties: { name: `post ${n}` }, geometry: { type: 'Point', coordinates: [10 + n, 45] } }))
})

describe('map layers', () => {
  const pair = usePair({ resources: 12 })
  let layers: { id: number; uuid: string }[]
  let mapPk: number

  beforeAll(async () => {
    layers = catalogue(pair.remote).filter((r) => r.resource_type === 'layer')
    // A remote map of two catalogue layers over a service layer that is not in the catalogue.
    const map = await create(pair.remote, 'map', {
      title: 'Watershed plan',
      layers: [wms, { dataset: layers[0]!.id, opacity: 0.5 }, { dataset: layers[1]!.id, visibility: false }]
    })
    mapPk = Number(map.pk)
  })

  it('pulls a map with its catalogue layers in order, with opacity and visibility', async () => {
    expect(layers.length).toBeGreaterThanOrEqual(3)
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    const expected: Entry[] = [
      [layers[0]!.uuid, 0.5, true],
      [layers[1]!.uuid, 1, false]
    ]
    expect(await catalogueLayers(pair.remote, mapPk)).toEqual(expected)
    expect(await localAsRemote(pair, localIdOf(pair, mapPk))).toEqual(expected)
    expect(await differences(pair)).toEqual([])
  })

  it('pushes a local reorder, opacity change and added layer, and keeps the remote service layer', async () => {
    const mapId = localIdOf(pair, mapPk)
    const [a, b, c] = [0, 1, 2].map((i) => localIdOf(pair, layers[i]!.id))
    await patch(pair.local, 'map', mapId, { layers: [{ dataset: b, opacity: 0.25 }, { dataset: a }, { dataset: c, visibility: false }] })
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    expect(summary.pushed.updated).toBe(1)
    const expected: Entry[] = [
      [layers[1]!.uuid, 0.25, true],
      [layers[0]!.uuid, 1, true],
      [layers[2]!.uuid, 1, false]
    ]
    expect(await catalogueLayers(pair.remote, mapPk)).toEqual(expected)
    expect(await localAsRemote(pair, mapId)).toEqual(expected)
    const there = (await api(pair.remote, `/api/v2/maps/${mapPk}/layers`)).body as { name: string; ows_url: string | null; stack_order: number }[]
    expect(there.find((l) => l.name === 'relief')).toMatchObject({ ows_url: wms.ows_url, stack_order: 0 })
    // Nothing left to do: a second run writes nothing.
    const again = await pair.sync({ reconcile: true })
    expect(again).toMatchObject({ pulled: { created: 0, updated: 0, deleted: 0 }, pushed: { created: 0, updated: 0, deleted: 0 }, conflicts: 0, errors: 0 })
  })

  it('pulls a layer removed there', async () => {
    await patch(pair.remote, 'map', mapPk, { layers: [wms, { dataset: layers[0]!.id }] })
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    expect(await localAsRemote(pair, localIdOf(pair, mapPk))).toEqual([[layers[0]!.uuid, 1, true]])
  })

  it('makes the same layer list changed differently on both sides one conflict, keeping the local list', async () => {
    const mapId = localIdOf(pair, mapPk)
    await patch(pair.local, 'map', mapId, { layers: [{ dataset: localIdOf(pair, layers[0]!.id), opacity: 0.7 }] })
    await patch(pair.remote, 'map', mapPk, { layers: [wms, { dataset: layers[0]!.id, opacity: 0.3 }] })
    const summary = await pair.sync()
    expect(summary.conflicts).toBe(1)
    const open = (await api(pair.local, `/api/v2/mapshelf/sync/remotes/${pair.remoteId}/conflicts`)).body.conflicts as { field: string; readable: Record<string, string[]> }[]
    expect(open.map((c) => c.field)).toEqual(['layers'])
    // The panel shows each side's layers by title.
    const title = catalogue(pair.local).find((r) => r.id === localIdOf(pair, layers[0]!.id))!.title
    expect(open[0]!.readable).toEqual({ base: [title], local: [`${title} (opacity 70%)`], remote: [`${title} (opacity 30%)`] })
    expect(await localAsRemote(pair, mapId)).toEqual([[layers[0]!.uuid, 0.7, true]])
    expect(await catalogueLayers(pair.remote, mapPk)).toEqual([[layers[0]!.uuid, 0.3, true]])
  })

  it('pushes a new local map of a new local layer: the layer first, then the map naming its copy there', async () => {
    const made = await postMultipart(pair.local, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'posts.geojson', geojson)], fields: { layer_title: 'Gauging posts' } })
    expect(made.status, made.text).toBe(200)
    const layerId = Number((await api(pair.local, '/api/v2/layers?filter{title}=Gauging%20posts')).body.layers[0].pk)
    const map = await create(pair.local, 'map', { title: 'Gauging network', layers: [{ dataset: layerId, opacity: 0.6 }] })
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    const layerPk = remotePkOf(pair, layerId)
    const newMapPk = remotePkOf(pair, Number(map.pk))
    expect(layerPk).not.toBeNull()
    expect(newMapPk).not.toBeNull()
    const layerUuid = (await api(pair.remote, `/api/v2/layers/${layerPk}`)).body.layer.uuid as string
    expect(await catalogueLayers(pair.remote, newMapPk!)).toEqual([[layerUuid, 0.6, true]])
    expect(journal(pair, lastRunId(pair)).filter((j: { outcome: string }) => j.outcome === 'failed')).toEqual([])
  })

  it('deletes here a map deleted there whose only change here is a layer deleted here (not a conflict)', async () => {
    const [a, b] = [layers[3]!, layers[4]!]
    const map = await create(pair.remote, 'map', { title: 'Short-lived map', layers: [{ dataset: a.id }, { dataset: b.id }] })
    await pair.sync()
    const mapId = localIdOf(pair, Number(map.pk))
    expect(await localAsRemote(pair, mapId)).toEqual([
      [a.uuid, 1, true],
      [b.uuid, 1, true]
    ])
    const res = await api(pair.local, `/api/v2/layers/${localIdOf(pair, a.id)}`, { method: 'DELETE' })
    expect(res.status, res.text).toBe(204)
    await api(pair.remote, `/api/v2/maps/${map.pk}`, { method: 'DELETE' })
    const summary = await pair.sync({ reconcile: true })
    expect(summary.conflicts).toBe(0)
    expect((await api(pair.local, `/api/v2/maps/${mapId}`)).status).toBe(404)
  })

  it('brings a map whose layer the same pull brings later, in one incremental sync', async () => {
    // A new layer there, a map of it, then the layer edited: the pull (by last_updated) meets the
    // map before the layer, and no reconciliation is due to catch up afterwards.
    const made = await postMultipart(pair.remote, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'weirs.geojson', geojson)], fields: { layer_title: 'Weirs' } })
    expect(made.status, made.text).toBe(200)
    const layer = (await api(pair.remote, '/api/v2/layers?filter{title}=Weirs')).body.layers[0] as { pk: string; uuid: string }
    const map = await create(pair.remote, 'map', { title: 'Weir survey', layers: [{ dataset: Number(layer.pk), opacity: 0.4 }] })
    await patch(pair.remote, 'layer', Number(layer.pk), { title: 'Weirs (checked)' })
    const summary = await pair.sync()
    expect(summary.reconciled).toBe(false)
    expect(summary.errors).toBe(0)
    expect(await localAsRemote(pair, localIdOf(pair, Number(map.pk)))).toEqual([[layer.uuid, 0.4, true]])
  })
})
