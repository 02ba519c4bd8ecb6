import { describe, expect, it } from 'vitest'
import { request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Two clients writing the same record at the same moment: each gets a whole answer, and the record
// ends in one of the two states, never a mix of both.

const t = useSeededServer({ resources: 30 })

const { one } = groundTruth(() => t.server)

describe('concurrent writes to one record', () => {
  it('end in one of the two states, with both answers consistent', async () => {
    const id = t.fx.vectorLayerId
    for (let round = 0; round < 20; round++) {
      const a = { title: `A${round}`, abstract: `from A ${round}`, keywords: [`a-${round}`] }
      const b = { title: `B${round}`, abstract: `from B ${round}`, keywords: [`b-${round}`] }
      const [ra, rb] = await Promise.all([
        request(t.server, `/api/v2/layers/${id}`, { method: 'PATCH', who: user(t.fx.plainUser), body: a }),
        request(t.server, `/api/v2/layers/${id}`, { method: 'PATCH', who: 'admin', body: b })
      ])
      expect([ra.status, rb.status]).toEqual([200, 200])
      for (const [res, sent] of [[ra, a], [rb, b]] as const) {
        expect(res.body.layer.title).toBe(sent.title)
        expect(res.body.layer.abstract).toBe(sent.abstract)
      }
      const row = one('SELECT title, abstract FROM resources WHERE id = ?', id)
      const keywords = t.server.running.database.sqlite
        .prepare('SELECT k.name FROM resource_keywords j JOIN keywords k ON k.id = j.keyword_id WHERE j.resource_id = ?')
        .all(id)
        .map((r: any) => r.name)
      const winner = row.title === a.title ? a : b
      expect(row).toEqual({ title: winner.title, abstract: winner.abstract })
      expect(keywords).toEqual(winner.keywords)
      const read = await request(t.server, `/api/v2/layers/${id}`, { who: 'admin' })
      expect(read.body.layer.title).toBe(winner.title)
    }
  })
})
