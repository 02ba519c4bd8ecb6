import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestServer, type Who, request, startTestServer, user } from '../helpers/server'

// A path through a relation (owner.*, poc.*, metadata_author.*) may filter, sort and search on
// what the related object's own endpoint shows, and nothing more: /users shows no e-mail, so no
// query through a user relation may test one, or it can be read a character at a time.

let server: TestServer
let fx: NonNullable<TestServer['seed']>['fixtures']

beforeAll(async () => {
  server = await startTestServer({ resources: 30 })
  fx = server.seed!.fixtures
})
afterAll(() => server.close())

const emailOf = (username: string) =>
  (server.running.database.sqlite.prepare('SELECT email FROM users WHERE username = ?').get(username) as { email: string }).email

const FAMILIES = ['resources', 'layers', 'maps', 'documents', 'geoapps', 'geostories']
const RELATIONS = ['owner', 'poc', 'metadata_author']
const CALLERS: Who[] = ['anonymous', 'admin']

describe('user relations in the query language', () => {
  it('refuse filters on an e-mail, whatever the operator, the family or the caller', async () => {
    const email = emailOf(fx.plainUser)
    expect(email).toContain('@')
    for (const who of CALLERS) {
      for (const family of FAMILIES) {
        for (const relation of RELATIONS) {
          for (const [op, value] of [['startswith', email[0]], ['', email], ['icontains', '@'], ['isnull', 'false'], ['regex', '^.']] as const) {
            const key = `filter{${relation}.email${op ? `.${op}` : ''}}`
            const res = await request(server, `/api/v2/${family}?${key}=${encodeURIComponent(value)}`, { who })
            expect(res.status, `${family} ${key} ${JSON.stringify(who)}`).toBe(400)
            expect(res.body, `${family} ${key}`).toEqual([`Invalid filter field: ${relation}.email`])
          }
          const negated = await request(server, `/api/v2/${family}?filter{-${relation}.email.startswith}=${encodeURIComponent(email[0]!)}`, { who })
          expect(negated.status, `${family} negated ${relation}`).toBe(400)
        }
      }
    }
  })

  it('refuse sorting and searching on an e-mail', async () => {
    for (const relation of RELATIONS) {
      for (const query of [`sort[]=${relation}.email`, `sort[]=-${relation}.email`, `ordering=${relation}.email`]) {
        const res = await request(server, `/api/v2/resources?${query}`)
        expect(res.status, query).toBe(400)
        expect(res.body, query).toEqual([`Invalid filter field: ['${relation}.email']`])
      }
      for (const field of [`${relation}__email`, `^${relation}__email`, `=${relation}__email`]) {
        const res = await request(server, `/api/v2/layers?search=example&search_fields=${encodeURIComponent(field)}`)
        expect(res.status, field).toBe(400)
        expect(res.body, field).toEqual({ search_fields: [`"${relation}__email" is not a searchable field for "layer".`] })
      }
    }
  })

  it('accept through owner, poc and metadata_author exactly the user fields /users accepts', async () => {
    const names = ['pk', 'id', 'username', 'first_name', 'last_name', 'is_superuser', 'is_staff', 'email', 'password', 'password_hash', 'is_active', 'date_joined', 'last_login', 'avatar', 'uuid']
    for (const name of names) {
      const direct = await request(server, `/api/v2/users?filter{${name}}=1`)
      for (const relation of RELATIONS) {
        const related = await request(server, `/api/v2/resources?filter{${relation}.${name}}=1`, { who: user(fx.plainUser) })
        expect(related.status, `${relation}.${name} (users: ${direct.status})`).toBe(direct.status)
      }
    }
  })

  it('still find resources by what a user shows', async () => {
    const res = await request(server, `/api/v2/resources?filter{owner.username}=${fx.plainUser}&filter{poc.username.startswith}=${fx.plainUser.slice(0, 2)}&sort[]=owner.last_name&page_size=100`)
    expect(res.status).toBe(200)
    expect(res.body.resources.length).toBeGreaterThan(0)
    for (const r of res.body.resources) expect(r.owner.username).toBe(fx.plainUser)
    const searched = await request(server, `/api/v2/resources?search=${fx.plainUser}&search_fields=owner__username`)
    expect(searched.status).toBe(200)
    expect(searched.body.total).toBe(res.body.total)
  })
})
