import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer, user } from '../helpers/server'
import { dataFolderEntries, fileBytes, postMultipart, tableCounts } from '../helpers/uploads'

// Depth and breadth extremes: JSON bodies nested hundreds of thousands of levels or thousands of
// keys wide at every write route, and side-car XML likewise at every route taking files. The answer
// is never a 500; a value nested more than 100 levels where one is kept (an app's data, a map
// layer's params, a style, a metadata record) is a 400 naming the field or file, so whatever is
// kept can be served back; a refused request writes nothing.

let server: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']
let geoappId: number

beforeAll(async () => {
  server = await startTestServer({ resources: 40 })
  fx = server.seed!.fixtures
  geoappId = one("SELECT id FROM resources WHERE resource_type = 'geoapp' ORDER BY id LIMIT 1").id
})
afterAll(() => server.close())

function one(query: string, ...params: unknown[]): any {
  return server.running.database.sqlite.prepare(query).get(...params)
}
const changeCount = () => one('SELECT count(*) AS n FROM changes').n as number

type Shape = 'object' | 'array' | 'mixed'

/** JSON text nested `depth` levels (built as text: a value this deep cannot be serialised). */
function nested(depth: number, shape: Shape, leaf = '1'): string {
  const open = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2 === 1) ? '[' : '{"k":')
  const close = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2 === 1) ? ']' : '}')
  let head = ''
  let tail = ''
  for (let i = 0; i < depth; i++) {
    head += open(i)
    tail = close(i) + tail
  }
  return head + leaf + tail
}

/** JSON text of an object with `width` keys (or an array of `width` items). */
function wide(width: number, array: boolean): string {
  const items = Array.from({ length: width }, (_, i) => (array ? String(i) : `"k${i}":${i}`))
  return array ? `[${items.join(',')}]` : `{${items.join(',')}}`
}

const counter = { next: 0 }
const uniqueName = () => `nesting ${++counter.next}`

async function send(method: string, path: string, body: string, who: Who = 'admin') {
  return request(server, path, { method, who, body, headers: { 'content-type': 'application/json' } })
}

describe('an app blob or map layer params nested too deep', () => {
  it('refuses a geoapp data blob nested 300,000 levels with a 400 naming data, as JSON and as JSON text, on create and update', async () => {
    const deep = nested(300_000, 'object')
    for (const [method, path, body] of [
      ['POST', '/api/v2/geoapps', `{"name":"${uniqueName()}","owner":"${fx.plainUser}","data":${deep}}`],
      ['POST', '/api/v2/geoapps', `{"name":"${uniqueName()}","owner":"${fx.plainUser}","data":${JSON.stringify(nested(300_000, 'array'))}}`],
      ['POST', '/api/v2/geostories', `{"name":"${uniqueName()}","blob":${nested(300_000, 'array')}}`],
      ['POST', '/api/v2/resources', `{"resource_type":"geoapp","name":"${uniqueName()}","owner":"${fx.plainUser}","data":${deep}}`],
      ['PATCH', `/api/v2/geoapps/${geoappId}`, `{"data":${deep}}`],
      ['PUT', `/api/v2/geoapps/${geoappId}`, `{"geoapp":{"data":${JSON.stringify(nested(300_000, 'array'))}}}`],
      ['PATCH', '/api/v2/geoapps', `[{"id":${geoappId},"data":${deep}}]`]
    ] as const) {
      const before = { changes: changeCount(), resources: one('SELECT count(*) AS n FROM resources').n }
      const res = await send(method, path, body)
      expect(res.status, `${method} ${path}: ${res.text.slice(0, 200)}`).toBe(400)
      expect(JSON.stringify(res.body), path).toMatch(/"(data|blob)":\["Ensure this value nests objects and arrays no more than 100 levels deep\."\]/)
      expect({ changes: changeCount(), resources: one('SELECT count(*) AS n FROM resources').n }, path).toEqual(before)
    }
  })

  it('refuses map layer params nested 300,000 levels with a 400 naming layers', async () => {
    const before = changeCount()
    for (const field of ['layer_params', 'source_params']) {
      const res = await send('PATCH', `/api/v2/maps/${fx.mapId}`, `{"layers":[{"name":"deep","${field}":${nested(300_000, 'mixed')}}]}`)
      expect(res.status, res.text.slice(0, 200)).toBe(400)
      expect(res.body).toEqual({ layers: [`0.${field}: Ensure this value nests objects and arrays no more than 100 levels deep.`] })
    }
    expect(changeCount()).toBe(before)
  })

  it("refuses a MapStore map configuration or metadata nested 300,000 levels with a 400 naming the field", async () => {
    const before = { changes: changeCount(), resources: one('SELECT count(*) AS n FROM resources').n }
    for (const [field, body] of [
      ['data', `{"name":"${uniqueName()}","data":${nested(300_000, 'object')},"attributes":[]}`],
      ['attributes', `{"name":"${uniqueName()}","data":{"map":{}},"attributes":[{"name":"title","value":${nested(300_000, 'array')}}]}`]
    ] as const) {
      const res = await send('POST', '/mapstore/rest/resources/?full=true', body)
      expect(res.status, res.text.slice(0, 200)).toBe(400)
      expect(res.body).toEqual({ [field]: ['Ensure this value nests objects and arrays no more than 100 levels deep.'] })
    }
    expect({ changes: changeCount(), resources: one('SELECT count(*) AS n FROM resources').n }).toEqual(before)
  })

  it('keeps 100 levels and serves them back, refuses 101', async () => {
    const ok = await send('PATCH', `/api/v2/geoapps/${geoappId}`, `{"data":${nested(100, 'mixed', '"bottom"')}}`)
    expect(ok.status, ok.text.slice(0, 200)).toBe(200)
    const back = await request(server, `/api/v2/geoapps/${geoappId}?include[]=data`, { who: 'admin' })
    expect(back.status).toBe(200)
    expect(JSON.stringify(back.body.geoapp.data)).toBe(nested(100, 'mixed', '"bottom"'))
    const refused = await send('PATCH', `/api/v2/geoapps/${geoappId}`, `{"data":${nested(101, 'mixed')}}`)
    expect(refused.status).toBe(400)
  })

  it('keeps a blob 100,000 keys wide and serves it back', async () => {
    const body = `{"data":{"wide":${wide(100_000, false)},"list":${wide(100_000, true)}}}`
    const res = await send('PATCH', `/api/v2/geoapps/${geoappId}`, body)
    expect(res.status, res.text.slice(0, 200)).toBe(200)
    const back = await request(server, `/api/v2/geoapps/${geoappId}?include[]=data`, { who: 'admin' })
    expect(Object.keys(back.body.geoapp.data.wide)).toHaveLength(100_000)
    expect(back.body.geoapp.data.list).toHaveLength(100_000)
  })
})

// Every JSON write route, a value of extreme depth or breadth at any of these keys; most often at
// the keys whose values are kept (and served back), and as an administrator, who gets furthest.
const KEPT = ['data', 'blob', 'layers']
const OTHERS = ['keywords', 'title', 'owner', 'group', 'users', 'groups', 'permissions', 'name', 'x', 'category', 'bbox_polygon']
const anyField = fc.oneof({ arbitrary: fc.constantFrom(...KEPT), weight: 3 }, { arbitrary: fc.constantFrom(...OTHERS), weight: 2 })
const anyCaller = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 1 })

function writeRoutes(): [string, string][] {
  return [
    ['POST', '/api/v2/geoapps'], ['POST', '/api/v2/geostories'], ['POST', '/api/v2/resources'], ['POST', '/api/v2/maps'], ['POST', '/api/v2/documents'],
    ['PATCH', `/api/v2/geoapps/${geoappId}`], ['PUT', `/api/v2/maps/${fx.mapId}`], ['PATCH', `/api/v2/resources/${fx.vectorLayerId}`], ['PATCH', '/api/v2/geoapps'],
    ['PUT', `/api/v2/resources/${fx.vectorLayerId}/set_perms`], ['POST', '/api/v2/users'], ['PATCH', '/api/v2/groups/1'], ['POST', '/api/v2/groups'],
    ['POST', '/api/v2/groups/1/members'], ['POST', '/api/v2/upload-size-limits'], ['POST', '/api/v2/resources/1/favorite']
  ]
}

const extremeDepth = fc.oneof(fc.integer({ min: 0, max: 130 }), fc.constantFrom(100, 101, 1_000, 20_000, 300_000))
const failures = () => server.logs.filter((line) => line.includes('failed')).length
const jsonValue = fc.oneof(
  fc.record({ kind: fc.constant('deep' as const), depth: extremeDepth, shape: fc.constantFrom<Shape>('object', 'array', 'mixed'), text: fc.boolean() }),
  fc.record({ kind: fc.constant('wide' as const), width: fc.constantFrom(0, 1, 1_000, 50_000), array: fc.boolean(), text: fc.boolean() })
)
type JsonCase = typeof jsonValue extends fc.Arbitrary<infer T> ? T : never

function render(value: JsonCase): string {
  const json = value.kind === 'deep' ? nested(value.depth, value.shape) : wide(value.width, value.array)
  return value.text ? JSON.stringify(json) : json
}

describe('JSON bodies of extreme depth and breadth at every write route', () => {
  it('never get a 500, a refusal writes nothing, and whatever was kept is served back', async () => {
    const whos: Who[] = ['admin', user(fx.plainUser), 'anonymous']
    const failed = failures()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: writeRoutes().length - 1 }),
        anyCaller,
        anyField,
        jsonValue,
        fc.constantFrom('bare', 'wrapped', 'list', 'whole'),
        async (r, w, field, value, form) => {
          const [method, path] = writeRoutes()[r]!
          const rendered = render(value)
          const item = field === 'layers' ? `{"name":"${uniqueName()}","owner":"${fx.plainUser}","layers":[{"name":"l","layer_params":${rendered}}]}` : `{"name":"${uniqueName()}","owner":"${fx.plainUser}","id":${geoappId},"${field}":${rendered}}`
          const body = form === 'whole' ? rendered : form === 'list' ? `[${item}]` : form === 'wrapped' ? `{"geoapp":${item}}` : item
          const before = changeCount()
          const res = await send(method, path, body, whos[w]!)
          const label = `${method} ${path} ${form} ${field} ${JSON.stringify(value)}: ${res.status} ${res.text.slice(0, 200)}`
          expect(res.status, label).toBeLessThan(500)
          if (res.status >= 400) {
            expect(res.headers.get('content-type') ?? '', label).toMatch(/json/)
            expect(changeCount(), label).toBe(before)
          }
        }
      ),
      { numRuns: 120, seed: 20261128 }
    )
    expect(failures()).toBe(failed)
    // Whatever was kept can be served back.
    const apps = server.running.database.sqlite.prepare("SELECT id, resource_type FROM resources WHERE resource_type IN ('geoapp', 'geostory', 'map')").all() as { id: number; resource_type: string }[]
    for (const { id, resource_type } of apps) {
      const path = resource_type === 'map' ? `/api/v2/maps/${id}` : `/api/v2/${resource_type === 'geostory' ? 'geostories' : 'geoapps'}/${id}?include[]=data`
      const res = await request(server, path, { who: 'admin' })
      expect(res.status, `${resource_type} ${id}`).toBe(200)
    }
  }, 240_000)
})

// Side-car XML of extreme depth and breadth, with the markup a depth count must see past.
const xmlCase = fc.record({
  field: fc.constantFrom('sld_file', 'xml_file'),
  depth: extremeDepth,
  width: fc.constantFrom(0, 1, 1_000, 100_000),
  decoration: fc.constantFrom('', '<!-- <a><a><a> -->', '<![CDATA[<a><a>]]>', '<e x="1>2"/>', "<e y='<</'/>", '<?pi <a>?>'),
  route: fc.constantFrom('upload', 'replace')
})

function xmlOf(c: { field: string; depth: number; width: number; decoration: string }): string {
  const root = c.field === 'sld_file' ? 'StyledLayerDescriptor xmlns="http://www.opengis.net/sld"' : 'gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"'
  const end = c.field === 'sld_file' ? 'StyledLayerDescriptor' : 'gmd:MD_Metadata'
  return `<?xml version="1.0"?><${root}>${c.decoration}${'<a>'.repeat(c.depth)}${'<b/>'.repeat(c.width)}${'</a>'.repeat(c.depth)}</${end}>`
}

/** What an upload writes; staged features are left out (a replaced layer's old ones are cleared in the background). */
function state() {
  const { feature_sets: _sets, layer_features: _features, ...counts } = tableCounts(one)
  return { counts, changes: changeCount(), folder: dataFolderEntries(server.dataDir) }
}

describe('side-car XML of extreme depth and breadth at every route taking one', () => {
  it('never gets a 500; past 100 levels it is a 400 naming the file; a refusal leaves no row, change or file', async () => {
    const points = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }] })
    const failed = failures()
    await fc.assert(
      fc.asyncProperty(xmlCase, async (c) => {
        const name = c.field === 'sld_file' ? 'side.sld' : 'side.xml'
        const files = [fileBytes('base_file', 'nest.geojson', points), fileBytes(c.field, name, xmlOf(c))]
        const before = state()
        const res =
          c.route === 'upload'
            ? await postMultipart(server, '/api/v2/uploads/upload/', { who: user(fx.plainUser), files })
            : await postMultipart(server, `/api/v2/layers/${fx.vectorLayerId}/replace`, { method: 'PUT', who: 'admin', files })
        const label = `${c.route} ${c.field} depth ${c.depth} width ${c.width} ${c.decoration}: ${res.status} ${res.text.slice(0, 200)}`
        expect(res.status, label).toBeLessThan(500)
        if (c.depth + 1 > 100) {
          expect(res.status, label).toBe(400)
          expect(res.body.errors, label).toContainEqual(expect.stringMatching(new RegExp(`^${name.replace('.', '\\.')}: .*nested more than 100 levels deep$`)))
        }
        if (res.status >= 400) expect(state(), label).toEqual(before)
      }),
      { numRuns: 40, seed: 20261128 }
    )
    expect(failures()).toBe(failed)
  }, 240_000)
})
