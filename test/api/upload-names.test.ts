import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { fileBytes, getBytes, postMultipart, uploadLayer } from '../helpers/uploads'

// File names arrive as the client sent them: browsers and fetch send UTF-8 in the part's
// filename="..." (RFC 7578), which was read as latin1 (Straßen became StraÃŸen).

const t = useSeededServer({ resources: 10 })
const { one, all } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)

const STEM = 'Straßen_Ürümqi_日本'
const points = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { n: 1 }, geometry: { type: 'Point', coordinates: [87.6, 43.8] } }] })
/** What an attachment's Content-Disposition says its name is (the RFC 5987 form when present). */
function attachmentName(disposition: string | null): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')
  if (extended) return decodeURIComponent(extended[1]!)
  return /filename="([^"]*)"/.exec(disposition ?? '')?.[1] ?? ''
}

describe('UTF-8 file names', () => {
  it('keep a layer upload\u2019s name in the session, its files, its title and its downloads', async () => {
    const res = await uploadLayer(t.server, uploader(), [fileBytes('base_file', `${STEM}.geojson`, points)])
    expect(res.status, res.text).toBe(200)
    const upload = one('SELECT id, name, layer_id FROM uploads ORDER BY id DESC LIMIT 1')
    expect(upload.name).toBe(STEM)
    expect(all('SELECT name FROM upload_files WHERE upload_id = ?', upload.id).map((f) => f.name)).toEqual([`${STEM}.geojson`])
    const layer = (await request(t.server, `/api/v2/layers/${upload.layer_id}`, { who: uploader() })).body.layer
    expect(layer.title).toBe(STEM)
    const listed = (await request(t.server, `/api/v2/uploads/${upload.id}`, { who: uploader() })).body.upload
    expect(listed.name).toBe(STEM)
    expect(listed.uploadfile_set.map((f: any) => f.name)).toEqual([`${STEM}.geojson`])
    const original = await getBytes(t.server, `/api/v2/mapshelf/resources/${upload.layer_id}/original`, uploader())
    expect(original.status).toBe(200)
    expect(attachmentName(original.headers.get('content-disposition'))).toBe(`${STEM}.geojson`)
    expect(original.bytes.toString()).toBe(points)
    const file = await getBytes(t.server, new URL(listed.uploadfile_set[0].file).pathname, uploader())
    expect(file.status).toBe(200)
    expect(file.bytes.toString()).toBe(points)
  })

  it('keep a document\u2019s name as its title and its download name', async () => {
    const res = await postMultipart(t.server, '/api/v2/documents', { who: uploader(), files: [fileBytes('doc_file', `${STEM}.pdf`, '%PDF-1.4\n%%EOF\n')] })
    expect(res.status, res.text).toBe(201)
    expect(res.body.document.title).toBe(STEM)
    const download = await getBytes(t.server, `/documents/${res.body.document.pk}/download`, uploader())
    expect(download.status).toBe(200)
    expect(attachmentName(download.headers.get('content-disposition'))).toBe(`${STEM}.pdf`)
  })

  it('keep a replacement\u2019s name among the layer\u2019s originals', async () => {
    const layer = one("SELECT resource_id AS id FROM layers WHERE name LIKE 'stra%' ORDER BY resource_id DESC LIMIT 1").id
    const res = await postMultipart(t.server, `/api/v2/layers/${layer}/replace`, { method: 'PUT', who: uploader(), files: [fileBytes('base_file', `Größe_${STEM}.geojson`, points)] })
    expect(res.status, res.text).toBe(200)
    const original = await getBytes(t.server, `/api/v2/mapshelf/resources/${layer}/original`, uploader())
    expect(attachmentName(original.headers.get('content-disposition'))).toBe(`Größe_${STEM}.geojson`)
  })

  it('read a name sent in the RFC 5987 form too', async () => {
    const boundary = 'mapshelfNameBoundary'
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="base_file"; filename*=UTF-8''${encodeURIComponent(`${STEM}_5987.geojson`)}\r\n\r\n`),
      Buffer.from(points),
      Buffer.from(`\r\n--${boundary}--\r\n`)
    ])
    const res = await request(t.server, '/api/v2/uploads/upload/', { method: 'POST', who: uploader(), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: body.toString('latin1') })
    expect(res.status, res.text).toBe(200)
    expect(one('SELECT name FROM uploads ORDER BY id DESC LIMIT 1').name).toBe(`${STEM}_5987`)
  })
})
