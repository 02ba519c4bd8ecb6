import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { type FilePart, dataFolderEntries, fileBytes, isoXml, postMultipart, sldXml, tableCounts, uploadLayer } from '../helpers/uploads'

// Side-car XML (an upload's sld_file and xml_file, also on /layers/{pk}/replace) is read by the
// ingest worker, never on the API thread; a file over 10 MB is refused with a 413 naming it as it
// streams in, and one nested past 100 levels with a 400 naming it. A refused request leaves nothing.

const t = useSeededServer({ resources: 10 })
const { one } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)

const LIMIT = 10 * 1024 * 1024
const points = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { n: 1 }, geometry: { type: 'Point', coordinates: [10, 45] } }] })
const base = (name = 'towns.geojson') => fileBytes('base_file', name, points)

/** A well-formed document whose elements nest `levels` deep inside the given root. */
function nested(root: string, levels: number, attributes = ''): string {
  return `<?xml version="1.0"?><${root}${attributes}>${'<a>'.repeat(levels)}x${'</a>'.repeat(levels)}</${root}>`
}
const deepSld = (levels: number) => nested('StyledLayerDescriptor', levels, ' xmlns="http://www.opengis.net/sld"')
const deepIso = (levels: number) => nested('gmd:MD_Metadata', levels, ' xmlns:gmd="http://www.isotc211.org/2005/gmd"')

/** An SLD of about `bytes` bytes: one style with many plain rules. */
function wideSld(bytes: number): string {
  const rule = '<Rule><Name>r</Name><PolygonSymbolizer><Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></PolygonSymbolizer></Rule>'
  const head = '<?xml version="1.0"?><StyledLayerDescriptor xmlns="http://www.opengis.net/sld"><NamedLayer><Name>wide</Name><UserStyle><Name>wide_style</Name><FeatureTypeStyle>'
  const tail = '</FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>'
  return head + rule.repeat(Math.floor((bytes - head.length - tail.length) / rule.length)) + tail
}

const catalogueChanges = () => one('SELECT count(*) AS n FROM changes').n as number
const snapshot = () => ({ counts: tableCounts(one), changes: catalogueChanges(), folder: dataFolderEntries(t.server.dataDir) })

type Route = { label: string; send: (files: FilePart[]) => ReturnType<typeof uploadLayer> }
const ROUTES: Route[] = [
  { label: 'upload', send: (files) => uploadLayer(t.server, uploader(), files) },
  { label: 'replace', send: (files) => postMultipart(t.server, `/api/v2/layers/${t.fx.vectorLayerId}/replace`, { method: 'PUT', who: 'admin', files }) }
]

async function expectRefused(route: Route, files: FilePart[], status: number, body: unknown) {
  const before = snapshot()
  const res = await route.send(files)
  expect(res.status, `${route.label}: ${res.text.slice(0, 300)}`).toBe(status)
  expect(res.body, route.label).toEqual(body)
  expect(snapshot(), route.label).toEqual(before)
}

describe('side-car XML nested too deep', () => {
  it('refuses a style nested 200,000 levels deep with a 400 naming the file, on upload and on replace', async () => {
    for (const route of ROUTES) {
      await expectRefused(route, [base(), fileBytes('sld_file', 'deep.sld', deepSld(200_000))], 400, {
        success: false,
        errors: ['deep.sld: not a valid SLD style: elements are nested more than 100 levels deep']
      })
    }
  })

  it('refuses ISO metadata nested 200,000 levels deep with a 400 naming the file, on upload and on replace', async () => {
    for (const route of ROUTES) {
      await expectRefused(route, [base(), fileBytes('xml_file', 'deep.xml', deepIso(200_000))], 400, {
        success: false,
        errors: ['deep.xml: not ISO 19139 metadata: elements are nested more than 100 levels deep']
      })
    }
  })

  it('draws the line at 100 levels', async () => {
    await expectRefused(ROUTES[0]!, [base(), fileBytes('sld_file', 's.sld', deepSld(100))], 400, {
      success: false,
      errors: ['s.sld: not a valid SLD style: elements are nested more than 100 levels deep']
    })
    // 99 levels inside the root: within the limit, so the style is judged on its content instead.
    const res = await uploadLayer(t.server, uploader(), [base(), fileBytes('sld_file', 'd.sld', deepSld(99))])
    expect(res.body).toEqual({ success: false, errors: ['d.sld: not a valid SLD style: it has no NamedLayer or UserLayer with a UserStyle'] })
  })
})

describe('side-car XML refused in the ingest worker', () => {
  it('names both files when both are refused', async () => {
    await expectRefused(ROUTES[0]!, [base(), fileBytes('xml_file', 'm.xml', deepIso(100)), fileBytes('sld_file', 's.sld', '<NotAStyle/>')], 400, {
      success: false,
      errors: ['m.xml: not ISO 19139 metadata: elements are nested more than 100 levels deep', 's.sld: not a valid SLD style: the root element is <NotAStyle>, expected StyledLayerDescriptor']
    })
  })
})

describe('side-car XML over the size limit', () => {
  it('answers 413 naming the file, for a style and for metadata, on upload and on replace', async () => {
    for (const route of ROUTES) {
      await expectRefused(route, [base(), fileBytes('sld_file', 'huge.sld', wideSld(LIMIT + 4096))], 413, { detail: 'huge.sld: a sld_file may be at most 10.0\u00a0MB.' })
      const iso = isoXml('Huge', 'x'.repeat(LIMIT), ['k'])
      await expectRefused(route, [base(), fileBytes('xml_file', 'huge.xml', iso)], 413, { detail: 'huge.xml: a xml_file may be at most 10.0\u00a0MB.' })
    }
  })
})

describe('a large side-car is read off the API thread', () => {
  it('keeps other requests answering while a 9.5 MB style is read, then uses the style', async () => {
    const sld = wideSld(9.5 * 1024 * 1024)
    const upload = uploadLayer(t.server, uploader(), [base('wide.geojson'), fileBytes('sld_file', 'wide.sld', sld)])
    let done = false
    void upload.finally(() => (done = true))
    const latencies: number[] = []
    while (!done) {
      const started = performance.now()
      const res = await request(t.server, '/api/v2/resources?page_size=1')
      latencies.push(performance.now() - started)
      expect(res.status).toBe(200)
    }
    const res = await upload
    expect(res.status, res.text).toBe(200)
    const pk = one("SELECT resource_id AS id FROM layers WHERE name = 'wide'").id
    expect(one('SELECT s.name, length(s.sld_body) AS size FROM layers l JOIN styles s ON s.id = l.default_style_id WHERE l.resource_id = ?', pk)).toEqual({ name: 'wide_style', size: sld.length })
    expect(latencies.length).toBeGreaterThan(3)
    expect(Math.max(...latencies), `latencies: ${latencies.map((l) => l.toFixed(0)).join(', ')}`).toBeLessThan(1000)
  }, 60_000)

  it('still reads a good style and metadata record', async () => {
    const res = await uploadLayer(t.server, uploader(), [base('good.geojson'), fileBytes('xml_file', 'good.xml', isoXml('Good title', 'Good abstract', ['good'])), fileBytes('sld_file', 'good.sld', sldXml('good_style', 'Good'))])
    expect(res.status, res.text).toBe(200)
    const pk = one("SELECT resource_id AS id FROM layers WHERE name = 'good'").id
    expect(one('SELECT r.title, r.abstract, s.name FROM resources r JOIN layers l ON l.resource_id = r.id JOIN styles s ON s.id = l.default_style_id WHERE r.id = ?', pk)).toEqual({ title: 'Good title', abstract: 'Good abstract', name: 'good_style' })
  })
})
