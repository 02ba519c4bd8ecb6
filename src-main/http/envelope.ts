import type { Request, Response } from 'express'
import type { DrestQuery } from '../query/drest.parse'
import { type QueryInput, parseDrestQuery } from '../query/drest.parse'
import { ListQuery } from '../../src-shared/api/schemas'
import { validate } from '../validate'

/** The list query, validated by the shared schema, then parsed into the DREST AST. */
export function listQuery(req: Request): DrestQuery {
  validate(ListQuery, req.query)
  return parseDrestQuery(req.query as QueryInput)
}

function pageLink(req: Request, res: Response, page: number | null): string {
  const original = new URL(req.originalUrl, 'http://placeholder')
  const params = [...original.searchParams.entries()].filter(([k]) => k !== 'page')
  if (page !== null) params.push(['page', String(page)])
  // Python's urlencode over a sorted dict: stable by key, repeated keys keep their order.
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const search = new URLSearchParams(params).toString()
  return `${req.protocol}://${req.get('host')}${res.locals.originalPath ?? original.pathname}${search ? `?${search}` : ''}`
}

/**
 * GeoNode's list envelope: exactly links, total, page, page_size and the plural key; `page` and
 * `page_size` echo what was sent; links are absolute, from the request's host.
 */
export function listBody<T>(
  req: Request,
  res: Response,
  key: string,
  query: Pick<DrestQuery, 'pageEcho' | 'pageSizeEcho'>,
  page: { page: number; hasNext: boolean; total: number },
  items: T[]
) {
  return {
    links: {
      next: page.hasNext ? pageLink(req, res, page.page + 1) : null,
      previous: page.page > 1 ? pageLink(req, res, page.page === 2 ? null : page.page - 1) : null
    },
    total: page.total,
    page: query.pageEcho,
    page_size: query.pageSizeEcho,
    [key]: items
  }
}

/** Path ids are integers; anything else cannot name an object. */
export function idParam(value: string | undefined): number {
  if (!value || !/^-?\d{1,15}$/.test(value)) return Number.NaN
  return Number(value)
}
