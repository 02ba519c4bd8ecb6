import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cogUpload, uploadRaster } from '../helpers/coverages'
import { runPythonScript, skipReason } from '../helpers/client-runner'
import { type TestServer, request, startTestServer } from '../helpers/server'

// OWSLib's CatalogueServiceWeb against /catalogue/csw, as QGIS MetaSearch drives it: a text search
// on csw:AnyText, a BBOX latitude first, both together (paged), and an ISO record read by OWSLib's
// MD_Metadata. The answers are compared with what the API finds for the same question.

const missing = skipReason('test/clients/csw.test.ts', 'owslib')

let server: TestServer
let uuid = ''
let title = ''

beforeAll(async () => {
  if (missing) return
  server = await startTestServer({ resources: 60 })
  const id = await uploadRaster(server, 'admin', cogUpload())
  const patched = await request(server, `/api/v2/resources/${id}`, { method: 'PATCH', who: 'admin', body: { keywords: ['hydrology', 'rivers'] } })
  expect(patched.status, patched.text).toBe(200)
  ;({ uuid, title } = (await request(server, `/api/v2/resources/${id}`)).body.resource)
}, 120_000)

afterAll(() => server?.close())

const FIELDS = ['title', 'abstract', 'purpose', 'keywords__name', 'regions__name', 'regions__code', 'category__identifier', 'category__gn_description'].map((f) => `search_fields=${f}`).join('&')

async function apiUuids(query: string): Promise<string[]> {
  return ((await request(server, `/api/v2/resources?page_size=1000&${query}`)).body.resources as { uuid: string }[]).map((r) => r.uuid).sort()
}

describe.skipIf(Boolean(missing))('OWSLib\u2019s CatalogueServiceWeb', () => {
  it('searches by csw:AnyText and BBOX as MetaSearch does, and reads the ISO record with MD_Metadata', async () => {
    const word = 'rivers'
    const [minx, miny, maxx, maxy] = [-20, 30, 40, 70]
    const report = await runPythonScript('csw_owslib.py', [`${server.url}/catalogue/csw`, word, String(minx), String(miny), String(maxx), String(maxy), uuid])
    expect(report).toMatchObject({ type: 'CSW', version: '2.0.2', operations: ['GetCapabilities', 'DescribeRecord', 'GetRecords', 'GetRecordById'] })

    const like = await apiUuids(`search=${word}&${FIELDS}`)
    expect(like).toContain(uuid)
    expect(report.like).toEqual({ matches: like.length, ids: like })
    const inBox = await apiUuids(`extent=${minx},${miny},${maxx},${maxy}`)
    expect(inBox.length).toBeGreaterThan(10)
    expect(report.bbox).toEqual({ matches: inBox.length, ids: inBox })
    const both = like.filter((id) => inBox.includes(id))
    expect(report.both).toEqual({ matches: both.length, ids: both })

    expect(report.iso).toMatchObject({ class: 'MD_Metadata', identifier: uuid, title, keywords: ['hydrology', 'rivers'] })
    expect(report.iso.bbox[0]).toBeCloseTo(15, 6)
    expect(report.iso.bbox[3]).toBeCloseTo(45.1535, 3)
    expect(report.iso.online).toContainEqual(['OGC:WCS', 'geonode:cog_32633', `${server.url}/geoserver/ows`])
    expect(report.iso.online).toContainEqual(['OGC:WMS', 'geonode:cog_32633', `${server.url}/geoserver/ows`])
  }, 180_000)
})
