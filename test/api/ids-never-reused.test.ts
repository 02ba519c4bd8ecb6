import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, request, startTestServer } from '../helpers/server'
import { townsShapefile, uploadLayer } from '../helpers/uploads'

// Issue 19, also seen: a deleted user's id went to the next user (SQLite hands out the highest id
// again once its row is gone). Ids the API shows (users, groups and their profiles, uploads and
// their files, map layers, layer attributes) are now never reused, as resource ids were already.

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

const post = (path: string, body: unknown) => request(server, path, { method: 'POST', who: 'admin', body })
const remove = (path: string) => request(server, path, { method: 'DELETE', who: 'admin' })

describe('ids are never reused', () => {
  it('a user deleted keeps their id: the next user gets a new one', async () => {
    const first = await post('/api/v2/users', { username: 'first_one' })
    const gone = await post('/api/v2/users', { username: 'gone_one' })
    expect(gone.status).toBe(201)
    expect((await remove(`/api/v2/users/${gone.body.user.pk}`)).status).toBe(204)
    const next = await post('/api/v2/users', { username: 'next_one' })
    expect(next.status).toBe(201)
    expect(next.body.user.pk).toBeGreaterThan(gone.body.user.pk)
    expect(gone.body.user.pk).toBeGreaterThan(first.body.user.pk)
  })

  it('a group deleted keeps its ids, the profile’s and the group’s', async () => {
    const gone = await post('/api/v2/groups', { title: 'Gone team' })
    expect(gone.status).toBe(201)
    expect((await remove(`/api/v2/groups/${gone.body.group_profile.pk}`)).status).toBe(204)
    const next = await post('/api/v2/groups', { title: 'Next team' })
    expect(next.status).toBe(201)
    expect(next.body.group_profile.pk).toBeGreaterThan(gone.body.group_profile.pk)
    expect(next.body.group_profile.group.pk).toBeGreaterThan(gone.body.group_profile.group.pk)
  })

  it('an upload deleted keeps its id and its files’ ids', async () => {
    const waiting = async () => {
      const res = await uploadLayer(server, 'admin', townsShapefile({ prj: false }))
      expect(res.status, res.text).toBe(200)
      const upload = (await request(server, `/api/v2/uploads/${res.body.id}`, { who: 'admin' })).body.upload
      return { id: upload.id as number, files: upload.uploadfile_set.map((f: { pk: number }) => f.pk) as number[] }
    }
    const gone = await waiting()
    expect((await request(server, `/upload/delete/${gone.id}`, { who: 'admin' })).status).toBe(200)
    const next = await waiting()
    expect(next.id).toBeGreaterThan(gone.id)
    expect(Math.min(...next.files)).toBeGreaterThan(Math.max(...gone.files))
  })

  it('map layers replaced keep their ids: the new ones get new ids', async () => {
    const remote = (name: string) => ({ name, ows_url: 'https://example.org/ows', format: 'image/png' })
    const map = await post('/api/v2/maps', { title: 'Layered map', layers: [remote('a'), remote('b')] })
    expect(map.status, map.text).toBe(201)
    const pks = async () => (await request(server, `/api/v2/maps/${map.body.map.pk}/layers`, { who: 'admin' })).body.map((l: { pk: number }) => l.pk) as number[]
    const before = await pks()
    const patched = await request(server, `/api/v2/maps/${map.body.map.pk}`, { method: 'PATCH', who: 'admin', body: { layers: [remote('c'), remote('d')] } })
    expect(patched.status, patched.text).toBe(200)
    expect(Math.min(...(await pks()))).toBeGreaterThan(Math.max(...before))
  })

  it('a layer deleted keeps its attributes’ ids', async () => {
    const attributes = async () => {
      const res = await uploadLayer(server, 'admin', townsShapefile())
      expect(res.status, res.text).toBe(200)
      const name = String(res.body.url).split(':').pop()
      const layer = (await request(server, `/api/v2/layers?filter{name}=${name}`, { who: 'admin' })).body.layers[0]
      return { pk: layer.pk as string, attributes: layer.attribute_set.map((a: { pk: number }) => a.pk) as number[] }
    }
    const gone = await attributes()
    expect(gone.attributes.length).toBeGreaterThan(1)
    expect((await remove(`/api/v2/resources/${gone.pk}`)).status).toBe(204)
    const next = await attributes()
    expect(Math.min(...next.attributes)).toBeGreaterThan(Math.max(...gone.attributes))
  })
})
