import { describe, expect, it } from 'vitest'
import { type Who, request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { fileBytes, getBytes, postMultipart, uploadLayer } from '../helpers/uploads'

// Files served beside the API follow the permissions of the resource they belong to: a style its
// layers' view permission, documents, originals, upload files, rasters and exports the view and
// download permissions. Thumbnails stay as public as GeoNode's /uploaded/thumbs.

const t = useSeededServer({ resources: 40 })
const { one, all } = groundTruth(() => t.server)

const styleOf = (layerId: number) => one('SELECT default_style_id AS id FROM layers WHERE resource_id = ?', layerId).id as number
const onlyOwner = { users: {}, groups: {} }

async function makePrivate(id: number, owner: Who) {
  const res = await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: owner, body: onlyOwner })
  expect(res.status, res.text).toBe(200)
  expect((await request(t.server, `/api/v2/resources/${id}`)).status).toBe(404)
}

describe('styles', () => {
  it('answer only to callers who may view a layer using them', async () => {
    const style = styleOf(t.fx.privateLayerId)
    for (const who of ['anonymous', user(t.fx.plainUser)] as Who[]) {
      const res = await request(t.server, `/styles/${style}.sld`, { who })
      expect(res.status, JSON.stringify(who)).toBe(404)
      expect(res.body).toEqual({ detail: 'Not found.' })
    }
    for (const who of ['admin', user(t.fx.otherUser)] as Who[]) {
      const res = await request(t.server, `/styles/${style}.sld`, { who })
      expect(res.status, JSON.stringify(who)).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.ogc\.sld\+xml/)
      expect(res.text).toContain('StyledLayerDescriptor')
    }
  })

  it('answer anonymously for exactly the styles of the layers anonymous callers can list', async () => {
    const layers = (await request(t.server, '/api/v2/layers?page_size=1000')).body.layers as any[]
    const visible = new Set(layers.flatMap((l) => [l.default_style?.pk, ...l.styles.map((s: any) => s.pk)]).filter((pk) => pk !== undefined))
    const styles = all('SELECT id FROM styles ORDER BY id').map((r) => r.id as number)
    expect(visible.size).toBeGreaterThan(0)
    expect(visible.size).toBeLessThan(styles.length)
    for (const id of styles) {
      const res = await request(t.server, `/styles/${id}.sld`)
      expect(res.status, `style ${id}`).toBe(visible.has(id) ? 200 : 404)
    }
  })

  it('follow a change of the layer\u2019s permissions', async () => {
    const style = styleOf(t.fx.privateLayerId)
    const grant = { users: {}, groups: { anonymous: ['view_resourcebase'] } }
    expect((await request(t.server, `/api/v2/resources/${t.fx.privateLayerId}/set_perms`, { method: 'PUT', who: 'admin', body: grant })).status).toBe(200)
    expect((await request(t.server, `/styles/${style}.sld`)).status).toBe(200)
    await makePrivate(t.fx.privateLayerId, 'admin')
    expect((await request(t.server, `/styles/${style}.sld`)).status).toBe(404)
  })
})

describe('the other file routes of a private resource', () => {
  it('refuse anonymous callers and outsiders, serve the owner, and keep the thumbnail public', async () => {
    const owner = user(t.fx.plainUser)
    const points = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { n: 1 }, geometry: { type: 'Point', coordinates: [10, 45] } }] })
    expect((await uploadLayer(t.server, owner, [fileBytes('base_file', 'secret_sites.geojson', points)])).status).toBe(200)
    const layer = one("SELECT resource_id AS id FROM layers WHERE name = 'secret_sites'").id as number
    const upload = one('SELECT id FROM uploads WHERE layer_id = ?', layer).id as number
    const doc = await postMultipart(t.server, '/api/v2/documents', { who: owner, files: [fileBytes('doc_file', 'secret.pdf', '%PDF-1.4\n%%EOF\n')], fields: { title: 'Secret report' } })
    expect(doc.status, doc.text).toBe(201)
    const document = Number(doc.body.document.pk)
    await makePrivate(layer, owner)
    await makePrivate(document, owner)

    const paths = [
      `/styles/${styleOf(layer)}.sld`,
      `/api/v2/mapshelf/layers/${layer}/features`,
      `/api/v2/mapshelf/layers/${layer}/raster`,
      `/api/v2/mapshelf/layers/${layer}/export?format=geojson`,
      `/api/v2/mapshelf/layers/${layer}/export?format=gpkg`,
      `/api/v2/mapshelf/resources/${layer}/original`,
      `/uploaded/${upload}/secret_sites.geojson`,
      `/documents/${document}/download`
    ]
    for (const path of paths) {
      for (const who of ['anonymous', user(t.fx.otherUser)] as Who[]) {
        const res = await getBytes(t.server, path, who)
        expect([403, 404], `${path} ${JSON.stringify(who)}: ${res.status}`).toContain(res.status)
        expect(res.bytes.toString()).not.toMatch(/secret|Point|%PDF|StyledLayer/)
      }
      const mine = await getBytes(t.server, path, owner)
      // The raster route of a vector layer has nothing to send, even to its owner.
      expect(mine.status, path).toBe(path.endsWith('/raster') ? 404 : 200)
    }
    const uuid = one('SELECT uuid FROM resources WHERE id = ?', layer).uuid as string
    expect((await getBytes(t.server, `/uploaded/thumbs/${uuid}.png`)).status).toBe(200)
  })
})
