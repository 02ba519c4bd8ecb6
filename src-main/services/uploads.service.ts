import { type SqlBool, sql } from 'kysely'
import type { UploadDto } from '../../src-shared/api/dto'
import { UPLOAD_PROGRESS } from '../../src-shared/api/resource-types'
import type { Db } from '../db/database'
import { NotAuthenticated, NotFound, PermissionDenied, ValidationError } from '../errors'
import { checkFieldNames, orderBySql, orderTerms } from '../query/drest.kysely'
import type { DrestQuery } from '../query/drest.parse'
import { uploadSizeLimitTable, uploadTable } from '../query/fields'
import type { Clock } from '../clock'
import { type Caller, isAdmin } from './caller'
import { pageOf } from './paging'
import type { ResourceService } from './resources.service'
import { type UrlContext, absolute, applyFields, parseJson } from './serializers/common'
import { tableConditions } from './users.service'
import { validate } from '../validate'
import { fileSizeLabel } from '../ingest/multipart'
import { UploadSizeLimitRequest } from '../../src-shared/api/schemas'

export type UploadService = ReturnType<typeof createUploadService>

export function createUploadService(deps: { db: Db; clock: Clock; url: UrlContext; resources: ResourceService }) {
  const { db, clock, url, resources } = deps

  function ownership(caller: Caller) {
    if (caller.superuser) return sql<SqlBool>`1`
    if (!caller.authenticated) return sql<SqlBool>`0`
    return sql<SqlBool>`up.user_id = ${caller.userId}`
  }

  async function render(ids: number[], caller: Caller, full: boolean): Promise<UploadDto[]> {
    if (ids.length === 0) return []
    const [rows, files] = await Promise.all([
      db.selectFrom('uploads').selectAll().where('id', 'in', ids).execute(),
      db.selectFrom('upload_files').selectAll().where('upload_id', 'in', ids).orderBy('id').execute()
    ])
    const layers = await db
      .selectFrom('resources as r')
      .innerJoin('layers as l', 'l.resource_id', 'r.id')
      .select(['r.id', 'r.alternate', 'r.processed', 'l.store', 'l.workspace', 'l.name'])
      .where('r.id', 'in', rows.map((r) => r.layer_id).filter((id): id is number => id !== null))
      .execute()
    const byId = new Map(rows.map((r) => [r.id, r]))
    const out: UploadDto[] = []
    for (const id of ids) {
      const row = byId.get(id)
      if (!row) continue
      const layer = layers.find((l) => l.id === row.layer_id)
      let progress = UPLOAD_PROGRESS[row.state] ?? null
      if (row.state === 'PROCESSED' && layer && layer.processed !== 1) progress = 80
      const dto: UploadDto = {
        id: row.id,
        name: row.name,
        date: row.date,
        create_date: row.create_date,
        user: row.user_id,
        state: row.state,
        progress,
        complete: row.complete === 1,
        import_id: row.import_id,
        uploadfile_set: files
          .filter((f) => f.upload_id === id)
          .map((f) => ({ pk: f.id, name: f.name, slug: f.slug, base: f.base === 1, file: absolute(url, `uploaded/${f.slug}`) })),
        resume_url: row.state === 'WAITING' && row.import_id !== null ? `/upload/srs?id=${row.import_id}` : null,
        delete_url: row.state === 'PROCESSED' ? null : `/upload/delete/${row.id}`,
        import_url: null,
        detail_url: row.state === 'PROCESSED' && layer ? `/layers/${layer.store}:${layer.alternate ?? `${layer.workspace}:${layer.name}`}` : null,
        link: absolute(url, `api/v2/uploads/${row.id}`)
      }
      if (full) {
        let layerDto = null
        if (row.layer_id !== null) {
          try {
            layerDto = await resources.get('layers', caller, row.layer_id)
          } catch {
            layerDto = null
          }
        }
        dto.layer = layerDto
        dto.session = parseJson<Record<string, unknown> | null>(row.session, null)
      }
      out.push(dto)
    }
    return out
  }

  return {
    async list(caller: Caller, query: DrestQuery, full: boolean) {
      const orderBy = orderBySql(orderTerms(uploadTable, query, [{ path: ['date'], desc: true, raw: '-date' }], 'up.id'))
      const conditions = [ownership(caller), ...tableConditions(uploadTable, query)]
      const page = await pageOf(db, { from: 'uploads up', key: 'up.id', conditions, orderBy }, query)
      return { ...page, items: applyFields(await render(page.keys, caller, full), query) }
    },

    async get(caller: Caller, id: number, full: boolean): Promise<UploadDto> {
      const row = await db.selectFrom('uploads').select(['id', 'user_id']).where('id', '=', id).executeTakeFirst()
      const mine = row && (caller.superuser || (caller.authenticated && row.user_id === caller.userId))
      if (!row || !mine) throw new NotFound()
      const [dto] = await render([id], caller, full)
      return dto
    },

    async listSizeLimits(query: DrestQuery) {
      const orderBy = orderBySql(orderTerms(uploadSizeLimitTable, query, [{ path: ['slug'], desc: false, raw: 'slug' }], 'x.slug'))
      const page = await pageOf<string>(
        db,
        { from: 'upload_size_limits x', key: 'x.slug', conditions: tableConditions(uploadSizeLimitTable, query), orderBy },
        query
      )
      const rows = page.keys.length
        ? await db.selectFrom('upload_size_limits').selectAll().where('slug', 'in', page.keys).execute()
        : []
      const items = page.keys.map((slug) => sizeLimitDto(rows.find((r) => r.slug === slug)!))
      return { ...page, items: applyFields(items, query) }
    },

    /** POST /upload-size-limits: superuser/staff only; a taken slug is a 400 on `slug`. */
    async createSizeLimit(caller: Caller, body: unknown) {
      if (!caller.authenticated) throw new NotAuthenticated()
      if (!isAdmin(caller)) throw new PermissionDenied()
      const input = validate(UploadSizeLimitRequest, body)
      const now = clock.now()
      const created = await db.transaction().execute(async (trx) => {
        const taken = await trx.selectFrom('upload_size_limits').select('slug').where('slug', '=', input.slug).executeTakeFirst()
        if (taken) throw new ValidationError({ slug: ['upload size limit with this slug already exists.'] })
        return trx
          .insertInto('upload_size_limits')
          .values({ slug: input.slug, description: input.description ?? null, max_size: input.max_size ?? 104857600, created: now, last_updated: now })
          .returningAll()
          .executeTakeFirstOrThrow()
      })
      return sizeLimitDto(created)
    },

    async getSizeLimit(slug: string, query?: DrestQuery) {
      if (query) checkFieldNames(uploadSizeLimitTable, [...query.include, ...query.exclude])
      const row = await db.selectFrom('upload_size_limits').selectAll().where('slug', '=', slug).executeTakeFirst()
      if (!row) throw new NotFound()
      return sizeLimitDto(row)
    }
  }

  function sizeLimitDto(row: { slug: string; description: string | null; max_size: number }) {
    return {
      slug: row.slug,
      description: row.description,
      max_size: row.max_size,
      max_size_label: fileSizeLabel(row.max_size),
      link: absolute(url, `api/v2/upload-size-limits/${row.slug}`)
    }
  }
}
