import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPERATORS } from '../../src-main/query/drest.parse'
import { type TestServer, request, startTestServer } from '../helpers/server'

// Seeded random query strings over every list route: a client may send anything, and the answer
// is always a JSON 200, 400 or 404, never a 500 (which the server logs as "failed").

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ resources: 80 })
})
afterAll(() => server.close())

function prng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ROUTES = [
  'resources', 'layers', 'maps', 'documents', 'geoapps', 'geostories', 'users', 'groups', 'uploads',
  'owners', 'categories', 'keywords', 'regions', 'tkeywords', 'upload-size-limits', 'resources/approved'
]
const FIELDS = [
  'pk', 'id', 'title', 'abstract', 'date', 'created', 'owner', 'owner.username', 'keywords.name', 'keywords', 'regions.name',
  'category.identifier', 'featured', 'is_published', 'popular_count', 'username', 'name', 'slug', 'state', 'perms', 'link',
  'tkeywords.thesaurus.slug', 'group.name', 'storeType', 'doc_type', 'zoom', 'bogus', 'owner.bogus', '', 'a.b.c.d'
]
const VALUES = [
  '1', '-1', '0', 'abc', '', 'true', 'no', '2020', '2020-01-01', '2020-13-45', '2021-07-13T16:43:58.509987Z', "'; DROP TABLE resources; --",
  '%', '_', '\\', '(', '[a-z]+', '"', '1e400', '99999999999999999999', 'ñandú', '\u0000', '*', 'NULL', ' ', '..'
]

function randomQuery(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]
  const parts: string[] = []
  const n = 1 + Math.floor(next() * 4)
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(next() * 8)
    const value = encodeURIComponent(pick(VALUES))
    if (kind === 0) parts.push(`filter{${next() < 0.2 ? '-' : ''}${pick(FIELDS)}${next() < 0.7 ? `.${pick(OPERATORS)}` : ''}}${next() < 0.2 ? '[]' : ''}=${value}`)
    if (kind === 1) parts.push(`sort[]=${next() < 0.5 ? '-' : ''}${encodeURIComponent(pick(FIELDS))}`)
    if (kind === 2) parts.push(`${next() < 0.5 ? 'include' : 'exclude'}[]=${encodeURIComponent(pick([...FIELDS, '*', 'data', 'metadata']))}`)
    if (kind === 3) parts.push(`search=${value}${next() < 0.5 ? `&search_fields=${encodeURIComponent(pick(['title', '^title', '=slug', '$name', 'owner__username', 'bogus', 'keywords__name']))}` : ''}`)
    if (kind === 4) parts.push(`page=${value}&page_size=${encodeURIComponent(pick(['1', '0', '-5', '1000', 'x']))}`)
    if (kind === 5) parts.push(`extent=${encodeURIComponent(pick(['-180,-90,180,90', '170,-10,-170,10', '1,2,3', 'a,b,c,d', '0,10,10,0', '1,1,1,1,2,2,2,2']))}`)
    if (kind === 6) parts.push(`filter{${pick(['x', 'title', '-'])}=${value}`)
    if (kind === 7) parts.push(`ordering=${encodeURIComponent(`${pick(FIELDS)},-${pick(FIELDS)}`)}&favorite=${value}`)
  }
  return parts.join('&')
}

describe('hostile query strings', () => {
  it('answer 200, 400 or 404 with JSON, never 500, across 400 random requests', async () => {
    const next = prng(20261127)
    const seen = new Map<number, number>()
    for (let i = 0; i < 400; i++) {
      const path = `/api/v2/${ROUTES[i % ROUTES.length]}?${randomQuery(next)}`
      const res = await request(server, path, { who: i % 3 === 0 ? 'admin' : 'anonymous' })
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1)
      expect([200, 400, 404], `${res.status} for ${path}: ${res.text.slice(0, 200)}`).toContain(res.status)
      expect(res.headers.get('content-type'), path).toMatch(/json/)
      if (res.status === 400) expect(res.text.length).toBeGreaterThan(2)
    }
    expect(seen.get(200)).toBeGreaterThan(20)
    expect(seen.get(400)).toBeGreaterThan(20)
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})

/** Patterns that make a backtracking engine take exponential time on a long enough value. */
const CATASTROPHIC = [String.raw`^(?:[\w ]|[\w ]){25}!`, '^(a+)+$', '^(a|aa)+$', String.raw`(\w+\s?)+!`, '^(.*a){20}$', '(x+x+)+y']

function broadQuery(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]
  const many = (n: number, part: (i: number) => string) => Array.from({ length: n }, (_, i) => part(i)).join('&')
  const n = 1 + Math.floor(next() * 3000)
  switch (Math.floor(next() * 7)) {
    case 0:
      return `search=${encodeURIComponent(Array.from({ length: n }, (_, i) => `w${i}`).join(' '))}&search_fields=title&search_fields=abstract`
    case 1:
      return many(Math.min(n, 900), () => `sort[]=${next() < 0.5 ? '-' : ''}${encodeURIComponent(pick(FIELDS))}`)
    case 2:
      return many(Math.min(n, 700), (i) => `filter{pk.in}=${i}`)
    case 3:
      return many(Math.min(n, 300), (i) => `filter{${pick(['title', 'abstract', 'purpose'])}.${pick(OPERATORS)}}=${i}`)
    case 4:
      return `filter{${pick(['title', 'abstract', 'name', 'username'])}.regex}=${encodeURIComponent(pick(CATASTROPHIC))}`
    case 5:
      return `search=${encodeURIComponent(pick(CATASTROPHIC).replace(/ /g, ''))}&search_fields=${encodeURIComponent(pick(['$title', '$abstract', '$name']))}`
    default:
      return many(Math.min(n, 900), () => `${pick(['include', 'exclude'])}[]=${encodeURIComponent(pick(FIELDS))}`)
  }
}

describe('queries at the extremes of breadth and backtracking', () => {
  it('answer 200, 400, 404 or 431 within two seconds, never 500, across 120 random requests', async () => {
    // Abstracts a backtracking engine chokes on: long runs of word characters without a "!".
    const first = await request(server, '/api/v2/resources?page_size=5', { who: 'admin' })
    for (const r of first.body.resources as { pk: string }[]) {
      await request(server, `/api/v2/resources/${r.pk}`, { who: 'admin', method: 'PATCH', body: { abstract: 'a'.repeat(60), title: 'a'.repeat(40) } })
    }
    const next = prng(20261207)
    for (let i = 0; i < 120; i++) {
      const path = `/api/v2/${ROUTES[i % 6]}?${broadQuery(next)}`
      const started = Date.now()
      const res = await request(server, path, { who: i % 2 === 0 ? 'admin' : 'anonymous' })
      const ms = Date.now() - started
      expect([200, 400, 404, 431], `${res.status} for ${path.slice(0, 300)}: ${res.text.slice(0, 200)}`).toContain(res.status)
      expect(ms, path.slice(0, 300)).toBeLessThan(2_000)
    }
    expect(server.logs.filter((l) => l.includes('failed'))).toEqual([])
  })
})
