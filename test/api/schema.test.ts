import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type TestServer, request, startTestServer, user } from '../helpers/server'

let server: TestServer
let yamlDoc: any
let jsonDoc: any

/** Keys an item may lack depending on the caller or the data (spec 3.1 and 10, item 9). */
const CONDITIONAL_RESOURCE_KEYS = ['favorite']

beforeAll(async () => {
  server = await startTestServer({ resources: 150 })
  const [asYaml, asJson] = await Promise.all([request(server, '/api/v2/schema/'), request(server, '/api/v2/schema/?format=json')])
  yamlDoc = parse(asYaml.text)
  jsonDoc = JSON.parse(asJson.text)
})
afterAll(() => server.close())

const componentKeys = (doc: any, name: string) => Object.keys(doc.components.schemas[name].properties).sort()
const requiredKeys = (doc: any, name: string) => [...(doc.components.schemas[name].required ?? [])].sort()

describe('GET /api/v2/schema/ formats', () => {
  it('answers YAML by default', async () => {
    const res = await request(server, '/api/v2/schema/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.oai\.openapi(;|$)/)
    expect(res.text.trimStart().startsWith('{')).toBe(false)
    expect(yamlDoc).toBeTypeOf('object')
  })

  it('answers JSON with ?format=json', async () => {
    const res = await request(server, '/api/v2/schema/?format=json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/json/)
    expect(res.body).toEqual(jsonDoc)
  })

  it('holds the same document in both formats', () => {
    expect(yamlDoc).toEqual(jsonDoc)
  })
})

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with info and paths', () => {
    expect(jsonDoc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(typeof jsonDoc.info.title).toBe('string')
    expect(typeof jsonDoc.info.version).toBe('string')
    expect(Object.keys(jsonDoc.paths).length).toBeGreaterThan(0)
  })

  it('documents a GET for every list route of the API root', async () => {
    const root = await request(server, '/api/v2/')
    expect(Object.keys(root.body).length).toBeGreaterThanOrEqual(15)
    for (const name of Object.keys(root.body)) {
      expect(jsonDoc.paths[`/api/v2/${name}/`]?.get, name).toBeDefined()
    }
  })

  it('documents the detail route of every family of the API root', async () => {
    const root = await request(server, '/api/v2/')
    for (const name of Object.keys(root.body)) {
      const detail = Object.keys(jsonDoc.paths).filter((p) => new RegExp(`^/api/v2/${name}/\\{\\w+\\}/$`).test(p))
      expect(detail, name).toHaveLength(1)
      expect(jsonDoc.paths[detail[0]].get, name).toBeDefined()
    }
  })

  it('resolves every $ref to a component', () => {
    const refs = [...JSON.stringify(jsonDoc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1])
    expect(refs.length).toBeGreaterThan(0)
    for (const name of new Set(refs)) expect(jsonDoc.components.schemas[name], name).toBeDefined()
  })
})

describe('schema components match what the server returns', () => {
  it('User properties and required keys equal the keys of a /users item', async () => {
    const res = await request(server, '/api/v2/users?page_size=100')
    const keySets = new Set<string>(res.body.users.map((u: object) => JSON.stringify(Object.keys(u).sort())))
    expect(keySets.size).toBe(1)
    const keys = JSON.parse([...keySets][0])
    expect(componentKeys(jsonDoc, 'User')).toEqual(keys)
    expect(requiredKeys(jsonDoc, 'User')).toEqual(keys)
  })

  it('GroupProfile properties and required keys equal the keys of a /groups item', async () => {
    const res = await request(server, '/api/v2/groups?page_size=100', { who: 'admin' })
    expect(res.body.group_profiles.length).toBeGreaterThan(0)
    const keySets = new Set<string>(res.body.group_profiles.map((g: object) => JSON.stringify(Object.keys(g).sort())))
    expect(keySets.size).toBe(1)
    const keys = JSON.parse([...keySets][0])
    expect(componentKeys(jsonDoc, 'GroupProfile')).toEqual(keys)
    expect(requiredKeys(jsonDoc, 'GroupProfile')).toEqual(keys)
  })

  it('Resource required keys equal the keys every /resources item carries', async () => {
    const anonymous = await request(server, '/api/v2/resources?page_size=1000')
    expect(anonymous.body.resources.length).toBeGreaterThan(100)
    const common = anonymous.body.resources
      .map((r: object) => Object.keys(r))
      .reduce((acc: string[], keys: string[]) => acc.filter((k) => keys.includes(k)))
    expect(requiredKeys(jsonDoc, 'Resource')).toEqual([...common].sort())
  })

  it('Resource properties equal the keys /resources returns, plus the conditional ones', async () => {
    const seen = new Set<string>(CONDITIONAL_RESOURCE_KEYS)
    for (const who of ['anonymous', 'admin', user(server.seed!.fixtures.plainUser)] as const) {
      const res = await request(server, '/api/v2/resources?page_size=1000', { who })
      for (const item of res.body.resources) for (const key of Object.keys(item)) seen.add(key)
    }
    expect(componentKeys(jsonDoc, 'Resource')).toEqual([...seen].sort())
  })

  it('Resource marks favorite as optional: only signed-in callers get it', async () => {
    const anonymous = await request(server, '/api/v2/resources?page_size=5')
    const signedIn = await request(server, '/api/v2/resources?page_size=5', { who: 'admin' })
    expect(anonymous.body.resources.every((r: object) => !('favorite' in r))).toBe(true)
    expect(signedIn.body.resources.every((r: object) => 'favorite' in r)).toBe(true)
    expect(requiredKeys(jsonDoc, 'Resource')).not.toContain('favorite')
  })
})

it('logged no failed request while serving this file', () => {
  expect(server.logs.filter((line) => line.includes('failed'))).toEqual([])
})
