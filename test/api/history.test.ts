import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Resource ids are never reused (as GeoNode's sequences), and each resource's history comes from
// the change log (extension route).

const t = useSeededServer({ resources: 20 })
const { one } = groundTruth(() => t.server)

const create = async (title: string) => {
  const res = await request(t.server, '/api/v2/maps', { method: 'POST', who: 'admin', body: { title } })
  expect(res.status, res.text).toBe(201)
  return Number(res.body.map.pk)
}

describe('resource ids', () => {
  it('never gives a deleted resource id to a new resource, not even the highest one', async () => {
    const first = await create('Short-lived map')
    expect(first).toBe(one('SELECT max(id) AS id FROM resources').id)
    expect((await request(t.server, `/api/v2/maps/${first}`, { method: 'DELETE', who: 'admin' })).status).toBe(204)
    const second = await create('The next map')
    expect(second).toBe(first + 1)
    expect((await request(t.server, `/api/v2/maps/${first}`, { who: 'admin' })).status).toBe(404)
  })
})

describe('history', () => {
  it('lists the changes of one resource, newest first, folded per save', async () => {
    const id = await create('History map')
    expect((await request(t.server, `/api/v2/resources/${id}`, { method: 'PATCH', who: 'admin', body: { title: 'History map, renamed', keywords: ['survey'] } })).status).toBe(200)
    const res = await request(t.server, `/api/v2/mapshelf/resources/${id}/history`, { who: 'admin' })
    expect(res.status).toBe(200)
    const subjects = res.body.history.map((h: { subject: string; op: string }) => `${h.subject}:${h.op}`)
    expect(subjects[0]).toBe('keywords:insert')
    expect(subjects).toContain('metadata:insert')
    expect(subjects[subjects.length - 1]).toBe('metadata:insert')
    const seqs = res.body.history.map((h: { seq: number }) => h.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    for (const entry of res.body.history) expect(Object.keys(entry).sort()).toEqual(['at', 'op', 'seq', 'subject', 'version'])
  })

  it('is as private as the resource: 404 for callers who may not view it', async () => {
    const id = await create('Private history')
    expect((await request(t.server, `/api/v2/resources/${id}/set_perms`, { method: 'PUT', who: 'admin', body: { users: {}, groups: {} } })).status).toBe(200)
    expect((await request(t.server, `/api/v2/mapshelf/resources/${id}/history`)).status).toBe(404)
    expect((await request(t.server, `/api/v2/mapshelf/resources/${id}/history`, { who: user(t.fx.plainUser) })).status).toBe(404)
  })
})
