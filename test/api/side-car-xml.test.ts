import { describe, expect, it } from 'vitest'
import { useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { type FilePart, dataFolderEntries, fileBytes, postMultipart, tableCounts, uploadLayer } from '../helpers/uploads'

// Side-car XML (an upload's sld_file and xml_file, also on /layers/{pk}/replace) nested past 100
// levels is refused with a 400 naming it. A refused request leaves nothing.

const t = useSeededServer({ resources: 10 })
const { one } = groundTruth(() => t.server)
const uploader = () => user(t.fx.plainUser)

const points = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { n: 1 }, geometry: { type: 'Point', coordinates: [10, 45] } }] })
const base = (name = 'towns.geojson') => fileBytes('base_file', name, points)

/** A well-formed document whose elements nest `levels` deep inside the given root. */
function nested(root: string, levels: number, attributes = ''): string {
  return `<?xml version="1.0"?><${root}${attributes}>${'<a>'.repeat(levels)}x${'</a>'.repeat(levels)}</${root}>`
}
const deepSld = (levels: number) => nested('StyledLayerDescriptor', levels, ' xmlns="http://www.opengis.net/sld"')
const deepIso = (levels: number) => nested('gmd:MD_Metadata', levels, ' xmlns:gmd="http://www.isotc211.org/2005/gmd"')

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
