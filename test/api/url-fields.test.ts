import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer, user } from '../helpers/server'
import { postMultipart } from '../helpers/uploads'

// Every URL-valued field of every write route takes http(s) URLs only: a `javascript:` or `data:`
// doc_url became the GUI's Download link, and a thumbnail_url, a logo or a map layer's ows_url is
// fetched or rendered by whoever shows it. Anything else is a 400 naming the field; nothing is written.

let server: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 30, flags: { 'enable-patch-all': true } })
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const changeCount = () => (server.running.database.sqlite.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n
const MESSAGE = 'Enter a valid URL starting with http:// or https://.'

const HOSTILE = [
  'javascript:alert(document.domain)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'data:image/svg+xml,<svg onload=alert(1)>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://example.org/file.pdf',
  '//evil.example/track.png',
  '/uploaded/thumbs/x.png',
  'https:',
  'http://',
  'example.org/photo.png'
]

type Case = { label: string; field: string; send: (url: string) => Promise<{ status: number; body: any; text: string }>; expected: (url: string) => unknown }
const admin: Who = 'admin'
const json = (method: string, path: string, body: unknown, who: Who = admin) => request(server, path, { method, who, body })
const byField = (field: string) => () => ({ [field]: [MESSAGE] })

function cases(): Case[] {
  let n = 0
  const fresh = () => `url test ${++n}`
  return [
    { label: 'POST documents doc_url', field: 'doc_url', send: (url) => json('POST', '/api/v2/documents', { title: fresh(), doc_url: url }), expected: byField('doc_url') },
    { label: 'POST resources doc_url', field: 'doc_url', send: (url) => json('POST', '/api/v2/resources', { resource_type: 'document', title: fresh(), doc_url: url }), expected: byField('doc_url') },
    { label: 'multipart documents doc_url', field: 'doc_url', send: (url) => postMultipart(server, '/api/v2/documents', { who: admin, fields: { title: fresh(), doc_url: url } }), expected: byField('doc_url') },
    { label: 'PATCH resources thumbnail_url', field: 'thumbnail_url', send: (url) => json('PATCH', `/api/v2/resources/${fx.vectorLayerId}`, { thumbnail_url: url }), expected: byField('thumbnail_url') },
    { label: 'PUT maps thumbnail_url', field: 'thumbnail_url', send: (url) => json('PUT', `/api/v2/maps/${fx.mapId}`, { title: 'Map', abstract: '', thumbnail_url: url }), expected: byField('thumbnail_url') },
    { label: 'POST layers thumbnail_url', field: 'thumbnail_url', send: (url) => json('POST', '/api/v2/layers', { title: fresh(), thumbnail_url: url }), expected: byField('thumbnail_url') },
    {
      label: 'bulk PATCH maps thumbnail_url',
      field: 'thumbnail_url',
      send: (url) => json('PATCH', '/api/v2/maps', [{ id: fx.mapId, title: 'fine' }, { id: fx.mapId, thumbnail_url: url }]),
      expected: () => ({ maps: [], errors: [{ detail: { thumbnail_url: [MESSAGE] }, source: { index: 1 } }] })
    },
    { label: 'patch-all thumbnail_url', field: 'thumbnail_url', send: (url) => json('PATCH', '/api/v2/layers?patch-all=query', { thumbnail_url: url }), expected: byField('thumbnail_url') },
    {
      label: 'PATCH maps layers[].ows_url',
      field: 'ows_url',
      send: (url) => json('PATCH', `/api/v2/maps/${fx.mapId}`, { layers: [{ dataset: fx.vectorLayerId }, { name: 'remote', ows_url: url }] }),
      expected: () => ({ layers: [`1.ows_url: ${MESSAGE}`] })
    },
    {
      label: 'MapStore layer url',
      field: 'ows_url',
      send: (url) =>
        json('POST', '/mapstore/rest/resources/?full=true', { name: fresh(), data: { map: { layers: [{ type: 'wms', name: 'remote', url }] } }, attributes: [{ name: 'title', value: fresh() }] }),
      expected: () => ({ layers: [`0.ows_url: ${MESSAGE}`] })
    },
    { label: 'POST groups logo', field: 'logo', send: (url) => json('POST', '/api/v2/groups', { title: fresh(), slug: `url-test-${n}`, logo: url }), expected: byField('logo') },
    { label: 'PATCH groups logo', field: 'logo', send: (url) => json('PATCH', '/api/v2/groups/1', { logo: url }), expected: byField('logo') }
  ]
}

describe('URL-valued fields', () => {
  it('refuse every URL that is not http(s), naming the field, and write nothing', async () => {
    for (const c of cases()) {
      for (const url of HOSTILE) {
        const before = changeCount()
        const res = await c.send(url)
        const label = `${c.label} ${JSON.stringify(url)}: ${res.text.slice(0, 200)}`
        expect(res.status, label).toBe(400)
        expect(res.body, label).toEqual(c.expected(url))
        expect(changeCount(), label).toBe(before)
      }
    }
  })

  it('keep http and https URLs, and take blank or null where a field may be empty', async () => {
    const doc = await json('POST', '/api/v2/documents', { title: 'Linked report', doc_url: 'https://example.org/files/report.pdf' })
    expect(doc.status, doc.text).toBe(201)
    expect(doc.body.document.href).toBe('https://example.org/files/report.pdf')
    const thumb = await json('PATCH', `/api/v2/resources/${fx.vectorLayerId}`, { thumbnail_url: 'http://example.org/thumbs/roads.png' })
    expect(thumb.status, thumb.text).toBe(200)
    expect(thumb.body.resource.thumbnail_url).toBe('http://example.org/thumbs/roads.png')
    for (const blank of ['', null]) {
      const cleared = await json('PATCH', `/api/v2/resources/${fx.vectorLayerId}`, { thumbnail_url: blank })
      expect(cleared.status, cleared.text).toBe(200)
      expect(cleared.body.resource.thumbnail_url).toBeNull()
      const logo = await json('PATCH', '/api/v2/groups/1', { logo: blank })
      expect(logo.status, logo.text).toBe(200)
      expect(logo.body.group_profile.logo).toBeNull()
    }
    const logo = await json('PATCH', '/api/v2/groups/1', { logo: 'https://example.org/logo.svg' })
    expect(logo.body.group_profile.logo).toBe('https://example.org/logo.svg')
    const map = await json('PATCH', `/api/v2/maps/${fx.mapId}`, { layers: [{ name: 'remote', ows_url: 'https://example.org/ows' }] }, user(fx.plainUser))
    expect(map.status, map.text).toBe(200)
  })
})
