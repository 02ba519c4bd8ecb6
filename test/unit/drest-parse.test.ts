import { describe, expect, it } from 'vitest'
import { DrestQueryError, drestBoolean, parseDrestQuery, searchTerms, strToBool } from '../../src-main/query/drest.parse'

const onlyFilter = (query: Record<string, string | string[]>) => {
  const parsed = parseDrestQuery(query)
  expect(parsed.filters).toHaveLength(1)
  return parsed.filters[0]
}

describe('parseDrestQuery: filter keys (spec 1.6)', () => {
  it('reads a dotted path with no operator as an exact match', () => {
    expect(onlyFilter({ 'filter{owner.username}': 'bobby' })).toEqual({
      key: 'filter{owner.username}',
      path: ['owner', 'username'],
      op: 'exact',
      values: ['bobby'],
      negate: false
    })
  })

  it('takes the last dotted segment as the operator when it is a DREST operator', () => {
    const clause = onlyFilter({ 'filter{regions.name.icontains}': 'Italy' })
    expect(clause.path).toEqual(['regions', 'name'])
    expect(clause.op).toBe('icontains')
    expect(clause.values).toEqual(['Italy'])
  })

  it('keeps a lone segment named like an operator as the field', () => {
    const clause = onlyFilter({ 'filter{in}': 'x' })
    expect(clause.path).toEqual(['in'])
    expect(clause.op).toBe('exact')
  })

  it('treats eq as no operator', () => {
    const clause = onlyFilter({ 'filter{title.eq}': 'Roads' })
    expect(clause.path).toEqual(['title'])
    expect(clause.op).toBe('exact')
  })

  it('marks a leading minus as an exclusion and keeps it in the key', () => {
    const clause = onlyFilter({ 'filter{-owner.username.icontains}': 'bob' })
    expect(clause).toMatchObject({ key: 'filter{-owner.username.icontains}', path: ['owner', 'username'], op: 'icontains', negate: true })
  })

  it('strips the axios-style [] suffix after the brace', () => {
    const plain = onlyFilter({ 'filter{resource_type.in}': 'map' })
    const bracketed = onlyFilter({ 'filter{resource_type.in}[]': 'map' })
    expect(bracketed).toEqual(plain)
    expect(bracketed.key).toBe('filter{resource_type.in}')
  })

  it('keeps every value for in', () => {
    const clause = onlyFilter({ 'filter{pk.in}': ['1', '2', '3'] })
    expect(clause.op).toBe('in')
    expect(clause.values).toEqual(['1', '2', '3'])
  })

  it('keeps only the first two values for range', () => {
    const clause = onlyFilter({ 'filter{date.range}': ['2020-01-01', '2021-01-01', '2022-01-01'] })
    expect(clause.op).toBe('range')
    expect(clause.values).toEqual(['2020-01-01', '2021-01-01'])
  })

  it('keeps only the first value for single-value operators and plain equality', () => {
    expect(onlyFilter({ 'filter{title.icontains}': ['roads', 'rivers'] }).values).toEqual(['roads'])
    expect(onlyFilter({ 'filter{title}': ['a', 'b'] }).values).toEqual(['a'])
    expect(onlyFilter({ 'filter{popular_count.gte}': ['5', '7'] }).values).toEqual(['5'])
  })

  it('reads a date part used as the operator', () => {
    const clause = onlyFilter({ 'filter{date.year}': '2020' })
    expect(clause.path).toEqual(['date'])
    expect(clause.op).toBe('year')
    expect(clause.transform).toBeUndefined()
  })

  it('reads a date part followed by a comparison as a transform', () => {
    const clause = onlyFilter({ 'filter{date.year.gte}': '2020' })
    expect(clause).toMatchObject({ path: ['date'], op: 'gte', transform: 'year', values: ['2020'] })
  })

  it('parses several filter keys into separate clauses', () => {
    const parsed = parseDrestQuery({ 'filter{resource_type}': 'layer', 'filter{title.icontains}': 'roads', page: '1' })
    expect(parsed.filters.map((f) => f.key).sort()).toEqual(['filter{resource_type}', 'filter{title.icontains}'])
  })

  it('rejects a malformed filter key with the GeoNode detail body', () => {
    let caught: unknown
    try {
      parseDrestQuery({ 'filter{x': '1' })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(DrestQueryError)
    expect((caught as DrestQueryError).body).toEqual({ detail: '"filter{x" is not a well-formed filter key.' })
  })

  it('ignores parameters that are not filters', () => {
    expect(parseDrestQuery({ title: 'x', filterx: 'y', format: 'json' }).filters).toEqual([])
  })
})

describe('parseDrestQuery: sort, include, exclude, search', () => {
  it('reads sort[] with a minus prefix as descending and dotted paths as relations', () => {
    const parsed = parseDrestQuery({ 'sort[]': ['-title', 'owner.username'] })
    expect(parsed.sort.map(({ path, desc }) => ({ path, desc }))).toEqual([
      { path: ['title'], desc: true },
      { path: ['owner', 'username'], desc: false }
    ])
  })

  it('honours ordering= with comma-separated fields (spec 0.1)', () => {
    const parsed = parseDrestQuery({ ordering: '-date,title' })
    expect(parsed.sort.map(({ path, desc }) => ({ path, desc }))).toEqual([
      { path: ['date'], desc: true },
      { path: ['title'], desc: false }
    ])
  })

  it('ignores a plain sort= key', () => {
    expect(parseDrestQuery({ sort: 'title' }).sort).toEqual([])
  })

  it('collects include[] and exclude[] values', () => {
    const parsed = parseDrestQuery({ 'include[]': 'data', 'exclude[]': ['*', 'abstract'] })
    expect(parsed.include).toEqual(['data'])
    expect(parsed.exclude).toEqual(['*', 'abstract'])
  })

  it('splits search terms and keeps the repeated search_fields', () => {
    const parsed = parseDrestQuery({ search: 'flood, risk  map', search_fields: ['title', 'abstract'] })
    expect(parsed.search).toEqual({ terms: ['flood', 'risk', 'map'], fields: ['title', 'abstract'] })
  })

  it('has no search clause for an empty or blank search', () => {
    expect(parseDrestQuery({}).search).toBeNull()
    expect(parseDrestQuery({ search: ' , ' }).search).toBeNull()
  })

  it('keeps search terms without search_fields (full-text search, spec 0.1)', () => {
    expect(parseDrestQuery({ search: 'roads' }).search).toEqual({ terms: ['roads'], fields: [] })
  })
})

describe('parseDrestQuery: paging (spec 1.5)', () => {
  it('defaults to page 1 of 10 items', () => {
    expect(parseDrestQuery({})).toMatchObject({ page: 1, pageSize: 10, pageEcho: 1, pageSizeEcho: 10 })
  })

  it('echoes page and page_size as sent', () => {
    expect(parseDrestQuery({ page: '3', page_size: '1000' })).toMatchObject({ page: 3, pageSize: 1000, pageEcho: 3, pageSizeEcho: 1000 })
  })

  it('echoes a zero or negative page_size but pages by 10', () => {
    expect(parseDrestQuery({ page_size: '0' })).toMatchObject({ pageSize: 10, pageSizeEcho: 0 })
    expect(parseDrestQuery({ page_size: '-4' })).toMatchObject({ pageSize: 10, pageSizeEcho: -4 })
  })

  it('refuses a non-integer page or page_size with a 400 body', () => {
    expect(() => parseDrestQuery({ page: 'two' })).toThrow(DrestQueryError)
    expect(() => parseDrestQuery({ page_size: '1.5' })).toThrow(DrestQueryError)
  })
})

describe('drestBoolean (DREST boolean coercion)', () => {
  it('is false only for 0, false and empty, case-insensitively', () => {
    for (const value of ['0', 'false', 'False', 'FALSE', '', undefined]) expect(drestBoolean(value), String(value)).toBe(false)
  })

  it('is true for anything else, including no', () => {
    for (const value of ['1', 'true', 'True', 'yes', 'no', 'off', 'n', 'x']) expect(drestBoolean(value), value).toBe(true)
  })
})

describe("strToBool (Python's strtobool)", () => {
  it('reads y, yes, t, true, on and 1 as true, case-insensitively', () => {
    for (const value of ['y', 'yes', 't', 'true', 'on', '1', 'TRUE', 'Yes']) expect(strToBool(value), value).toBe(true)
  })

  it('reads n, no, f, false, off and 0 as false, case-insensitively', () => {
    for (const value of ['n', 'no', 'f', 'false', 'off', '0', 'OFF', 'No']) expect(strToBool(value), value).toBe(false)
  })

  it('gives undefined for anything else', () => {
    for (const value of ['', '2', 'maybe', 'truthy', undefined]) expect(strToBool(value), String(value)).toBeUndefined()
  })
})

describe('searchTerms (DRF SearchFilter splitting)', () => {
  it('splits on whitespace and commas and drops empty terms', () => {
    expect(searchTerms('  flood,risk ,, map\tmodel\nx ')).toEqual(['flood', 'risk', 'map', 'model', 'x'])
  })

  it('gives no terms for blank input', () => {
    expect(searchTerms('')).toEqual([])
    expect(searchTerms(' ,  , ')).toEqual([])
  })

  it('strips NUL characters', () => {
    expect(searchTerms('ro\0ads')).toEqual(['roads'])
  })
})

describe('page size bound', () => {
  it('accepts 10,000 and refuses more, naming page_size', () => {
    expect(parseDrestQuery({ page_size: '10000' }).pageSize).toBe(10000)
    expect(() => parseDrestQuery({ page_size: '10001' })).toThrowError(DrestQueryError)
    const error = (() => {
      try {
        parseDrestQuery({ page_size: '99999999999' })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(DrestQueryError)
    expect((error as DrestQueryError).body).toEqual({ page_size: ['Ensure this value is less than or equal to 10000.'] })
  })
})
