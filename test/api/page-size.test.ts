import { describe, expect, it } from 'vitest'
import { request, useSeededServer } from '../helpers/server'

// page_size of 0 or less is not an error: GeoNode 3.3 does the same. Its pagination is DRF's
// PageNumberPagination, whose get_page_size reads page_size through _positive_int(strict=True),
// raising ValueError for 0 or a negative number; the ValueError is caught and the default page size
// (10) is used, while GeoNode's envelope echoes page_size as sent. Text that is not an integer is a
// 400 here (GeoNode answers a 500: its envelope calls int() on it).

const t = useSeededServer({ resources: 60 })

const LISTS: [path: string, key: string][] = [
  ['/api/v2/resources', 'resources'],
  ['/api/v2/layers', 'layers'],
  ['/api/v2/users', 'users'],
  ['/api/v2/groups', 'group_profiles'],
  ['/api/v2/keywords', 'keywords'],
  ['/api/v2/owners', 'owners'],
  ['/api/v2/uploads', 'uploads']
]
const keys = (items: any[]) => items.map((item) => item.pk ?? item.id ?? item.slug)

describe('page_size of 0 or less', () => {
  it('serves the default ten items, the same as without page_size, and echoes what was sent', async () => {
    for (const [path, key] of LISTS) {
      const plain = await request(t.server, path, { who: 'admin' })
      expect(plain.status, path).toBe(200)
      for (const size of ['0', '-1', '-25']) {
        const res = await request(t.server, `${path}?page_size=${size}`, { who: 'admin' })
        expect(res.status, `${path} ${size}`).toBe(200)
        expect(res.body.page_size, `${path} ${size}`).toBe(Number(size))
        expect(res.body.total, `${path} ${size}`).toBe(plain.body.total)
        expect(keys(res.body[key]), `${path} ${size}`).toEqual(keys(plain.body[key]))
        expect(res.body[key].length, `${path} ${size}`).toBe(Math.min(10, plain.body.total))
      }
    }
  })

  it('pages by ten, and its links keep page_size as sent', async () => {
    const second = await request(t.server, '/api/v2/resources?page=2&page_size=-3', { who: 'admin' })
    const reference = await request(t.server, '/api/v2/resources?page=2&page_size=10', { who: 'admin' })
    expect(keys(second.body.resources)).toEqual(keys(reference.body.resources))
    expect(new URL(second.body.links.next).searchParams.get('page_size')).toBe('-3')
    expect(new URL(second.body.links.next).searchParams.get('page')).toBe('3')
    expect(new URL(second.body.links.previous).searchParams.get('page_size')).toBe('-3')
  })

  it('refuses text that is not an integer with a 400 naming page_size', async () => {
    for (const size of ['abc', '1.5', '', ' ']) {
      const res = await request(t.server, `/api/v2/resources?page_size=${encodeURIComponent(size)}`)
      expect(res.status, JSON.stringify(size)).toBe(400)
      expect(res.body, JSON.stringify(size)).toEqual({ page_size: ['A valid integer is required.'] })
    }
  })
})
