import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Maps with their layers: order, opacity, visibility, params; catalogue layers or remote services.

const t = useSeededServer({ resources: 40 })

const { one, visibleTo } = groundTruth(() => t.server)
const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number

const osm = { name: 'mapnik', group: 'background', fixed: true, source_params: { ptype: 'gxp_olsource' }, layer_params: { title: 'Open Street Map', type: 'osm' } }

describe('map layers', () => {
  let mapId: number

  it('are created with the map, in order, with catalogue layers marked local', async () => {
    const res = await request(t.server, '/api/v2/maps', {
      method: 'POST',
      who: user(t.fx.plainUser),
      body: { title: 'Composed map', layers: [osm, { dataset: t.fx.vectorLayerId, opacity: 0.5, visibility: false }, { name: 'rivers', ows_url: 'https://example.org/ows', format: 'image/png' }] }
    })
    expect(res.status, res.text).toBe(201)
    mapId = Number(res.body.map.pk)
    const layers = (await request(t.server, `/api/v2/maps/${mapId}/layers`, { who: user(t.fx.plainUser) })).body
    const alternate = one('SELECT alternate FROM resources WHERE id = ?', t.fx.vectorLayerId).alternate
    expect(layers.map((l: any) => [l.stack_order, l.name, l.opacity, l.visibility, l.local, l.fixed, l.group])).toEqual([
      [0, 'mapnik', 1, true, false, true, 'background'],
      [1, alternate, 0.5, false, true, false, null],
      [2, 'rivers', 1, true, false, false, null]
    ])
    expect(JSON.parse(layers[0].source_params)).toEqual({ ptype: 'gxp_olsource' })
    expect(layers[2].ows_url).toBe('https://example.org/ows')
    const local = (await request(t.server, `/api/v2/maps/${mapId}/local_layers`, { who: user(t.fx.plainUser) })).body
    expect(local.map((l: { pk: string }) => Number(l.pk))).toEqual([t.fx.vectorLayerId])
  })

  it('are replaced as a whole by a PATCH, in the new order', async () => {
    const res = await request(t.server, `/api/v2/maps/${mapId}`, { method: 'PATCH', who: user(t.fx.plainUser), body: { layers: [{ dataset: t.fx.rasterLayerId }, osm] } })
    expect(res.status, res.text).toBe(200)
    const layers = (await request(t.server, `/api/v2/maps/${mapId}/layers`, { who: user(t.fx.plainUser) })).body
    expect(layers.map((l: any) => [l.stack_order, l.local])).toEqual([[0, true], [1, false]])
    expect(one('SELECT count(*) AS n FROM map_layers WHERE map_id = ?', mapId).n).toBe(2)
  })

  it('refuse a layer the caller cannot see, or a bad opacity, writing nothing', async () => {
    const visible = visibleTo(t.fx.plainUser)
    const hidden = one("SELECT id FROM resources WHERE resource_type = 'layer' ORDER BY id DESC").id as number
    const hiddenLayer = [hidden, t.fx.privateLayerId].find((id) => !visible.has(id)) ?? 987654
    const before = changeCount()
    for (const layers of [[{ dataset: hiddenLayer }], [{ dataset: 987654 }], [{ dataset: t.fx.vectorLayerId, opacity: 2 }], [{ opacity: 0.5 }]]) {
      const res = await request(t.server, `/api/v2/maps/${mapId}`, { method: 'PATCH', who: user(t.fx.plainUser), body: { layers } })
      expect(res.status, JSON.stringify(layers)).toBe(400)
      expect(Object.keys(res.body)).toEqual(['layers'])
    }
    expect(changeCount()).toBe(before)
  })
})

it('logged no failed request while serving this file', () => {
  expect(t.server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
