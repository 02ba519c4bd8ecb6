import { describe, expect, it } from 'vitest'
import { request, useSeededServer } from '../helpers/server'
import { groundTruth } from '../helpers/truth'

// Issue 19, findings 2 and 9 (breadth), and their class: nothing a caller puts in a query may run
// unbounded on the thread that serves every request, nor grow past what SQLite compiles (a 500).

const t = useSeededServer({ resources: 60 })
const { one } = groundTruth(() => t.server)

const qs = (params: [string, string][]) => new URLSearchParams(params).toString()
const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = Date.now()
  const value = await work()
  return { value, ms: Date.now() - started }
}

describe('regular expressions in filters run in linear time', () => {
  it('a pattern that backtracks exponentially answers at once, and other requests are not held', async () => {
    const id = Number(one("SELECT id FROM resources WHERE resource_type = 'layer' ORDER BY id LIMIT 1").id)
    const patch = await request(t.server, `/api/v2/resources/${id}`, { who: 'admin', method: 'PATCH', body: { abstract: 'a'.repeat(40), title: 'Regex target' } })
    expect(patch.status, patch.text).toBe(200)
    // A backtracking engine takes about 2^26 steps on that abstract (seconds); RE2 takes a few dozen.
    const evil = qs([['filter{abstract.regex}', String.raw`^(?:[\w ]|[\w ]){26}!`]])
    const [slow, other] = await Promise.all([
      timed(() => request(t.server, `/api/v2/resources?${evil}`)),
      timed(() => request(t.server, '/api/v2/resources?page_size=1'))
    ])
    expect(slow.value.status, slow.value.text).toBe(200)
    expect(slow.value.body.total).toBe(0)
    expect(slow.ms).toBeLessThan(1_500)
    expect(other.value.status).toBe(200)
    expect(other.ms).toBeLessThan(1_500)
    // The same pattern with the "!" found matches: the engine still answers the question asked.
    const found = await request(t.server, `/api/v2/resources?${qs([['filter{abstract.regex}', String.raw`^(?:[\w ]|[\w ]){26}a`]])}`)
    expect(found.body.resources.map((r: { pk: string }) => Number(r.pk))).toContain(id)
  })

  it('refuses what a linear-time engine cannot run, and over-long patterns, with a 400 naming the filter', async () => {
    for (const pattern of ['(?<=a)b', String.raw`(a)\1`, '(unclosed', 'x'.repeat(257)]) {
      const res = await request(t.server, `/api/v2/resources?${qs([['filter{title.regex}', pattern]])}`)
      expect(res.status, pattern).toBe(400)
      expect(JSON.stringify(res.body)).toContain('filter{title.regex}')
    }
    const ok = await request(t.server, `/api/v2/resources?${qs([['filter{title.regex}', 'x'.repeat(256)]])}`)
    expect(ok.status).toBe(200)
  })

  it('search_fields with a regex prefix go through the same engine', async () => {
    // Search terms split on spaces and commas: the same blow-up without either.
    const res = await timed(() => request(t.server, `/api/v2/resources?${qs([['search', String.raw`^(?:\w|\w){26}!`], ['search_fields', '$abstract']])}`))
    expect(res.value.status, res.value.text).toBe(200)
    expect(res.ms).toBeLessThan(1_500)
  })
})

describe('a query too broad to compile is a 400 naming the parameter, never a 500', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ')

  it('search: at most 64 distinct words, on every list that searches', async () => {
    for (const path of ['/api/v2/resources', '/api/v2/layers', '/api/v2/users', '/api/v2/groups', '/api/v2/keywords']) {
      const tooMany = await request(t.server, `${path}?${qs([['search', words(2000)], ['search_fields', 'title'], ['search_fields', 'abstract']])}`)
      expect(tooMany.status, `${path} ${tooMany.text.slice(0, 200)}`).toBe(400)
      expect(tooMany.body).toEqual({ search: ['At most 64 search terms in one request; this one has 2000.'] })
    }
    const atTheLimit = await request(t.server, `/api/v2/resources?${qs([['search', words(64)], ['search_fields', 'title'], ['search_fields', 'abstract'], ['search_fields', 'owner__username']])}`)
    expect(atTheLimit.status, atTheLimit.text).toBe(200)
    // Repeated words count once: they ask nothing more.
    const repeated = await request(t.server, `/api/v2/resources?${qs([['search', 'river '.repeat(500)]])}`)
    expect(repeated.status, repeated.text).toBe(200)
  })

  it('sort: a key repeated changes nothing and costs nothing; more than 16 distinct keys are refused', async () => {
    const once = await request(t.server, '/api/v2/resources?sort[]=-owner.username&page_size=50')
    const repeated = await timed(() => request(t.server, `/api/v2/resources?${qs(Array.from({ length: 600 }, () => ['sort[]', '-owner.username'] as [string, string]))}&page_size=50`))
    expect(repeated.value.status).toBe(200)
    expect(repeated.ms).toBeLessThan(1_000)
    expect(repeated.value.body.resources.map((r: { pk: string }) => r.pk)).toEqual(once.body.resources.map((r: { pk: string }) => r.pk))
    const keys = ['title', 'date', 'pk', 'uuid', 'abstract', 'created', 'last_updated', 'owner.username', 'category.identifier', 'popular_count', 'share_count', 'rating', 'featured', 'is_published', 'resource_type', 'language', 'srid']
    const tooMany = await request(t.server, `/api/v2/resources?${qs(keys.map((k) => ['sort[]', k] as [string, string]))}`)
    expect(tooMany.status, tooMany.text).toBe(400)
    expect(tooMany.body).toEqual({ 'sort[]': ['At most 16 sort fields in one request; this one has 17.'] })
  })

  it('filters: more than 64 clauses are refused', async () => {
    const ops = ['icontains', 'contains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'iexact', 'eq']
    const fields = ['title', 'abstract', 'purpose', 'supplemental_information', 'data_quality_statement', 'constraints_other', 'attribution', 'doi', 'language']
    const params: [string, string][] = []
    for (const field of fields) for (const op of ops) params.push([`filter{${field}.${op}}`, 'x'])
    expect(params.length).toBeGreaterThan(64)
    const res = await request(t.server, `/api/v2/resources?${qs(params)}`)
    expect(res.status, res.text).toBe(400)
    expect(res.body).toEqual({ filter: [`At most 64 filters in one request; this one has ${params.length}.`] })
  })
})
