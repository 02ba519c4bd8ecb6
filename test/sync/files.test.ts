import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { fileBytes, fixtureBytes, getBytes, postMultipart } from '../helpers/uploads'
import { ADMIN_PASSWORD, bindings, journal, lastRunId, one, request, usePair } from './helpers'

// Files travel with their records: a document's file both ways (pulled with a resumable download,
// pushed as a multipart create), and a new layer is pushed with its data through the upload wizard.

const pair = usePair({ resources: 4, synced: true })

function png(colour: number): Buffer {
  const image = new PNG({ width: 16, height: 16 })
  image.data.fill(colour)
  return PNG.sync.write(image)
}

const geojson = JSON.stringify({
  type: 'FeatureCollection',
  features: [1, 2, 3].map((i) => ({ type: 'Feature', properties: { name: `well ${i}`, depth: i * 1.5 }, geometry: { type: 'Point', coordinates: [10 + i, 45 + i / 10] } }))
})

const remoteIdOf = (localId: number) => bindings(pair).find((b) => b.local_id === localId)?.remote_pk ?? null

async function download(url: string, base: string): Promise<Buffer> {
  const response = await fetch(base + new URL(url).pathname, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } })
  expect(response.status).toBe(200)
  return Buffer.from(await response.arrayBuffer())
}

describe('files in sync', () => {
  it('pushes a document with its file, byte for byte', async () => {
    const bytes = png(90)
    const made = await postMultipart(pair.local, '/api/v2/documents', { who: 'admin', files: [fileBytes('doc_file', 'field-photo.png', bytes, 'image/png')], fields: { title: 'Field photo' } })
    expect(made.status, made.text).toBe(201)
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    const pk = remoteIdOf(Number(made.body.document.pk))
    expect(pk).not.toBeNull()
    const remoteDoc = (await request(pair.remote, `/api/v2/documents/${pk}`, { who: 'admin' })).body.document
    expect(remoteDoc).toMatchObject({ title: 'Field photo', extension: 'png', doc_type: 'image' })
    expect(await download(remoteDoc.href, pair.remote.url)).toEqual(bytes)
  })

  it('pulls a document file made on the remote into the local data folder', async () => {
    const bytes = png(200)
    const made = await postMultipart(pair.remote, '/api/v2/documents', { who: 'admin', files: [fileBytes('doc_file', 'office-scan.png', bytes, 'image/png')], fields: { title: 'Office scan' } })
    expect(made.status, made.text).toBe(201)
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    const binding = bindings(pair).find((b) => b.remote_pk === Number(made.body.document.pk))!
    const row = one(pair.local, 'SELECT doc_file, extension, doc_type FROM documents WHERE resource_id = ?', binding.local_id)
    expect(row).toMatchObject({ extension: 'png', doc_type: 'image' })
    expect(readFileSync(join(pair.local.dataDir, row.doc_file))).toEqual(bytes)
    expect(journal(pair, lastRunId(pair)).some((j: { action: string; outcome: string }) => j.action === 'file' && j.outcome === 'ok')).toBe(true)
  })

  it('pushes a new layer with its data: the remote imports the same features', async () => {
    const made = await postMultipart(pair.local, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'wells.geojson', geojson)], fields: { layer_title: 'Wells 2026' } })
    expect(made.status, made.text).toBe(200)
    const local = (await request(pair.local, '/api/v2/layers?filter{title}=Wells%202026', { who: 'admin' })).body.layers[0]
    const summary = await pair.sync()
    expect(summary.errors).toBe(0)
    const pk = remoteIdOf(Number(local.pk))
    expect(pk).not.toBeNull()
    const remote = (await request(pair.remote, `/api/v2/layers/${pk}`, { who: 'admin' })).body.layer
    expect(remote.title).toBe('Wells 2026')
    const features = (await request(pair.remote, `/api/v2/mapshelf/layers/${pk}/features`, { who: 'admin' })).body
    expect(features.features.map((f: { properties: { name: string } }) => f.properties.name).sort()).toEqual(['well 1', 'well 2', 'well 3'])
    expect(remote.attribute_set.map((a: { attribute: string }) => a.attribute)).toEqual(local.attribute_set.map((a: { attribute: string }) => a.attribute))
  })
})

describe('layers kept offline', () => {
  it('downloads a remote layer’s data when marked, and again when it changes there', async () => {
    const first = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { site: 'A' }, geometry: { type: 'Point', coordinates: [5, 50] } }, { type: 'Feature', properties: { site: 'B' }, geometry: { type: 'Point', coordinates: [6, 51] } }] })
    const made = await postMultipart(pair.remote, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'sites.geojson', first)], fields: { layer_title: 'Survey sites' } })
    expect(made.status, made.text).toBe(200)
    const remotePk = Number((await request(pair.remote, '/api/v2/layers?filter{title}=Survey%20sites', { who: 'admin' })).body.layers[0].pk)
    await pair.sync()
    const localId = bindings(pair).find((b) => b.remote_pk === remotePk)!.local_id!
    const names = async () => ((await request(pair.local, `/api/v2/mapshelf/layers/${localId}/features`, { who: 'admin' })).body.features as { properties: { site: string } }[]).map((f) => f.properties.site).sort()
    // Metadata only until marked.
    expect(await names()).toEqual([])
    const unmarked = await request(pair.local, `/api/v2/mapshelf/sync/offline/${localId}`, { who: 'admin' })
    expect(unmarked.body.offline).toMatchObject({ offline: false, data_pulled: null })

    const marked = await request(pair.local, `/api/v2/mapshelf/sync/offline/${localId}`, { method: 'PUT', who: 'admin', body: { offline: true } })
    expect(marked.status, marked.text).toBe(200)
    expect(marked.body.offline.offline).toBe(true)
    expect((await pair.sync()).errors).toBe(0)
    expect(await names()).toEqual(['A', 'B'])
    expect(journal(pair, lastRunId(pair)).filter((j: { action: string; outcome: string }) => j.action === 'data').map((j: { outcome: string }) => j.outcome)).toEqual(['ok'])

    // Unchanged there: not downloaded again.
    await pair.sync()
    expect(journal(pair, lastRunId(pair)).filter((j: { action: string }) => j.action === 'data')).toEqual([])

    // New data there: downloaded on the next sync.
    const second = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { site: 'C' }, geometry: { type: 'Point', coordinates: [7, 52] } }] })
    const replaced = await postMultipart(pair.remote, `/api/v2/layers/${remotePk}/replace`, { method: 'PUT', who: 'admin', files: [fileBytes('base_file', 'sites.geojson', second)] })
    expect(replaced.status, replaced.text).toBe(200)
    expect((await pair.sync()).errors).toBe(0)
    expect(await names()).toEqual(['C'])
  })

  it('reads a raster kept offline from a GeoNode through its WCS (GetCoverage as GeoTIFF)', async () => {
    const tif = fixtureBytes('cog-32633.tif')
    const made = await postMultipart(pair.remote, '/api/v2/uploads/upload/', { who: 'admin', files: [fileBytes('base_file', 'relief.tif', tif)], fields: { layer_title: 'Relief' } })
    expect(made.status, made.text).toBe(200)
    const remote = (await request(pair.remote, '/api/v2/layers?filter{title}=Relief', { who: 'admin' })).body.layers[0] as { pk: string; alternate: string }
    await pair.sync()
    const localId = bindings(pair).find((b) => b.remote_pk === Number(remote.pk))!.local_id!
    expect((await request(pair.local, `/api/v2/mapshelf/sync/offline/${localId}`, { method: 'PUT', who: 'admin', body: { offline: true } })).status).toBe(200)
    // Played as a GeoNode: no Mapshelf raster route, a GeoServer at /geoserver/ows.
    const asked: URLSearchParams[] = []
    pair.proxy.rule = (r) => {
      if (r.path === `/api/v2/mapshelf/layers/${remote.pk}/raster`) return { kind: 'answer', status: 404, body: { detail: 'Not found.' } }
      if (r.path === '/geoserver/ows') {
        asked.push(new URL(r.url, 'http://remote').searchParams)
        return { kind: 'answer', status: 200, body: tif, type: 'image/tiff' }
      }
    }
    try {
      expect((await pair.sync()).errors).toBe(0)
    } finally {
      pair.proxy.rule = null
    }
    expect(asked.map((q) => Object.fromEntries(q))).toEqual([
      { service: 'WCS', version: '2.0.1', request: 'GetCoverage', coverageId: remote.alternate.replace(':', '__'), format: 'image/tiff' }
    ])
    expect(journal(pair, lastRunId(pair)).filter((j: { action: string }) => j.action === 'data').map((j: { outcome: string }) => j.outcome)).toEqual(['ok'])
    const raster = await getBytes(pair.local, `/api/v2/mapshelf/layers/${localId}/raster`, 'admin')
    expect(raster.status).toBe(200)
    expect(raster.bytes.equals(tif)).toBe(true)
  })

  it('refuses to keep a record offline that is not a layer from a remote, naming the problem', async () => {
    const notBound = await request(pair.local, '/api/v2/mapshelf/sync/offline/999999', { method: 'PUT', who: 'admin', body: { offline: true } })
    expect(notBound.status).toBe(404)
    const doc = bindings(pair).find((b) => b.resource_type === 'document' && b.local_id !== null)!
    const refused = await request(pair.local, `/api/v2/mapshelf/sync/offline/${doc.local_id}`, { method: 'PUT', who: 'admin', body: { offline: true } })
    expect(refused.status).toBe(400)
    expect(Object.keys(refused.body)).toEqual(['offline'])
    expect((await request(pair.local, `/api/v2/mapshelf/sync/offline/${doc.local_id}`, { method: 'PUT', body: { offline: true } })).status).toBe(403)
  })
})
