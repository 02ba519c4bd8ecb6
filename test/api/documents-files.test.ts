import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { type FilePart, dataFolderEntries, fileBytes, getBytes, postMultipart, tableCounts } from '../helpers/uploads'

// Documents with files (spec 3.4): POST /api/v2/documents as multipart with doc_file.

const t = useSeededServer({ resources: 10 })
const { all, one } = groundTruth(() => t.server)
const owner = () => user(t.fx.plainUser)

function pngBytes(width: number, height: number): Buffer {
  const png = new PNG({ width, height })
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set([x * 4, y * 4, 128, 255], (y * width + x) * 4)
  return PNG.sync.write(png)
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

/** A one-page A4 PDF: a blue rectangle in the upper left quarter of the page and a line of text. */
function onePagePdf(): Buffer {
  const content = '0.1 0.3 0.9 rg 40 560 260 240 re f BT /F1 36 Tf 60 480 Td (Field report) Tj ET'
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
  ]
  let out = '%PDF-1.4\n'
  const offsets = objects.map((object, i) => {
    const at = out.length
    out += `${i + 1} 0 obj\n${object}\nendobj\n`
    return at
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

const postDocument = (files: FilePart[], fields: Record<string, string>, who = owner()) => postMultipart(t.server, '/api/v2/documents', { who, files, fields })

describe('POST /api/v2/documents with doc_file', () => {
  it('stores a PNG: 201 {document}, GeoNode type fields, href serving the same bytes, a thumbnail', async () => {
    const png = pngBytes(64, 48)
    const res = await postDocument([fileBytes('doc_file', 'site-photo.png', png, 'image/png')], { title: 'Site photo', abstract: 'Taken on site' })
    expect(res.status, res.text).toBe(201)
    expect(Object.keys(res.body)).toEqual(['document'])
    const doc = res.body.document
    expect(doc).toMatchObject({ title: 'Site photo', abstract: 'Taken on site', resource_type: 'document', doc_type: 'image', extension: 'png', mime_type: 'image/png', owner: { username: t.fx.plainUser } })
    const pk = Number(doc.pk)
    expect(doc.href).toMatch(new RegExp(`/documents/${pk}/download$`))
    const got = await getBytes(t.server, new URL(doc.href, t.server.url).pathname, owner())
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toMatch(/^image\/png/)
    expect(got.bytes.equals(png)).toBe(true)
    expect(doc.thumbnail_url).toMatch(/uploaded\/thumbs\/[0-9a-f-]{36}\.png$/)
    const thumb = await getBytes(t.server, new URL(doc.thumbnail_url, t.server.url).pathname)
    expect(thumb.status).toBe(200)
    expect(PNG.sync.read(thumb.bytes).width).toBeGreaterThan(0)
    const row = one('SELECT d.doc_file, d.file_size, r.uuid FROM documents d JOIN resources r ON r.id = d.resource_id WHERE d.resource_id = ?', pk)
    expect(row.file_size).toBe(png.length)
    expect(row.doc_file).toBe(`files/${row.uuid}/site-photo.png`)
    expect(existsSync(join(t.server.dataDir, row.doc_file))).toBe(true)
    expect(dataFolderEntries(t.server.dataDir).uploads).toEqual([])
  })

  it("draws the top of a PDF's first page as its thumbnail, on white, 240 x 180", async () => {
    const res = await postDocument([fileBytes('doc_file', 'field-report.pdf', onePagePdf(), 'application/pdf')], { title: 'Field report' })
    expect(res.status, res.text).toBe(201)
    const doc = res.body.document
    expect(doc.thumbnail_url).toMatch(/uploaded\/thumbs\/[0-9a-f-]{36}\.png$/)
    const thumb = await getBytes(t.server, new URL(doc.thumbnail_url, t.server.url).pathname)
    expect(thumb.status).toBe(200)
    const png = PNG.sync.read(thumb.bytes)
    // A4 portrait at 240 px wide (340 px high): its top 180 px.
    expect([png.width, png.height]).toEqual([240, 180])
    const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)]
    // The blue box covers 7–50 % of the page's width and 5–33 % of its height (17–113 px here).
    const [r, g, b] = at(48, 60)
    expect(b).toBeGreaterThan(150)
    expect(r).toBeLessThan(80)
    expect(g).toBeLessThan(120)
    expect(at(png.width - 5, png.height - 5)).toEqual([255, 255, 255])
  })

  it('stores a PDF without pages as GeoNode types it, without a thumbnail', async () => {
    const res = await postDocument([fileBytes('doc_file', 'Annual report.PDF', PDF, 'application/pdf')], { title: 'Annual report' })
    expect(res.status, res.text).toBe(201)
    const doc = res.body.document
    expect(doc).toMatchObject({ doc_type: 'presentation', extension: 'pdf', mime_type: 'application/pdf' })
    const got = await getBytes(t.server, new URL(doc.href, t.server.url).pathname, owner())
    expect(got.status).toBe(200)
    expect(got.bytes.equals(PDF)).toBe(true)
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="?Annual report\.PDF"?$/)
  })

  it('takes the title from the file name when none is given', async () => {
    const res = await postDocument([fileBytes('doc_file', 'field_notes.txt', 'notes')], {})
    expect(res.status, res.text).toBe(201)
    expect(res.body.document).toMatchObject({ title: 'field_notes', doc_type: 'text', extension: 'txt' })
  })

  it('links the document to resources given in `links`', async () => {
    const target = t.fx.vectorLayerId
    const res = await postDocument([fileBytes('doc_file', 'linked.png', pngBytes(8, 8))], { title: 'Linked photo', links: String(target) })
    expect(res.status, res.text).toBe(201)
    const pk = Number(res.body.document.pk)
    expect(all('SELECT resource_id FROM document_links WHERE document_id = ?', pk).map((r) => r.resource_id)).toEqual([target])
    const linked = await request(t.server, `/api/v2/documents/${pk}/linked_resources`, { who: owner() })
    expect(linked.status, linked.text).toBe(200)
    expect(linked.body.resources.map((r: { pk: unknown }) => Number(r.pk))).toEqual([target])
  })

  it('refuses a link to a missing resource, leaving nothing behind', async () => {
    const before = tableCounts(one, ['resources', 'documents', 'document_links'])
    const folder = dataFolderEntries(t.server.dataDir)
    const res = await postDocument([fileBytes('doc_file', 'x.png', pngBytes(4, 4))], { title: 'Bad link', links: '99999999' })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ success: false, errors: ['links: resource 99999999 does not exist.'] })
    expect(tableCounts(one, ['resources', 'documents', 'document_links'])).toEqual(before)
    expect(dataFolderEntries(t.server.dataDir)).toEqual(folder)
  })

  it('refuses an empty file with 400, leaving nothing behind', async () => {
    const before = tableCounts(one, ['resources', 'documents'])
    const folder = dataFolderEntries(t.server.dataDir)
    const res = await postDocument([fileBytes('doc_file', 'empty.pdf', Buffer.alloc(0))], { title: 'Empty' })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ success: false, errors: ['empty.pdf: the file is empty.'] })
    expect(tableCounts(one, ['resources', 'documents'])).toEqual(before)
    expect(dataFolderEntries(t.server.dataDir)).toEqual(folder)
  })

  it('refuses anonymous callers with 403', async () => {
    const res = await postDocument([fileBytes('doc_file', 'a.png', pngBytes(4, 4))], { title: 'Anon' }, 'anonymous')
    expect(res.status).toBe(403)
  })

  it('still takes the JSON doc_url form', async () => {
    const res = await request(t.server, '/api/v2/documents', { method: 'POST', who: owner(), body: { title: 'Remote photo', doc_url: 'https://example.org/remote.jpg' } })
    expect(res.status, res.text).toBe(201)
    expect(res.body.document).toMatchObject({ title: 'Remote photo', href: 'https://example.org/remote.jpg', extension: 'jpg', doc_type: 'image' })
  })

  it('still takes the JSON doc_url form, typing a .pdf link like a .pdf file', async () => {
    const res = await request(t.server, '/api/v2/documents', { method: 'POST', who: owner(), body: { title: 'Remote report', doc_url: 'https://example.org/remote.pdf' } })
    expect(res.status, res.text).toBe(201)
    expect(res.body.document).toMatchObject({ title: 'Remote report', href: 'https://example.org/remote.pdf', extension: 'pdf' })
    const fromFile = (await postDocument([fileBytes('doc_file', 'same.pdf', PDF)], { title: 'Same' })).body.document
    expect(res.body.document.doc_type).toBe(fromFile.doc_type)
  })

  it('takes doc_url as a multipart field too', async () => {
    const res = await postDocument([], { title: 'Remote map', doc_url: 'https://example.org/map.png' })
    expect(res.status, res.text).toBe(201)
    expect(res.body.document).toMatchObject({ href: 'https://example.org/map.png', doc_type: 'image', extension: 'png' })
  })
})
