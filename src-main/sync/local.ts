import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import type Sqlite from 'better-sqlite3'
import type { Transaction } from 'kysely'
import type { DataFolder } from '../ingest/data-folder'
import { docTypeOf } from '../ingest/thumbnail'
import type { ResourceDto } from '../../src-shared/api/dto'
import type { Clock } from '../clock'
import { parseDrestQuery } from '../query/drest.parse'
import { type Db, transact } from '../db/database'
import { featureChunks } from '../db/repositories/feature.repository'
import { nextId } from '../db/id-sequences'
import type { Database } from '../db/schema'
import type { Caller, SystemIds } from '../services/caller'
import { insertGroup } from '../services/accounts.service'
import { applyPermSpec } from '../services/permissions.service'
import type { ResourceWriteService } from '../services/resource-writes.service'
import type { ResourceService } from '../services/resources.service'
import type { ResourceEndpoint } from '../services/serializers/resource.serializer'
import { type SyncView, layerEntries, mapLayerWrite, parseLayerEntry, permBody, toView, writeBody } from './view'

const ENDPOINT: Record<string, ResourceEndpoint> = {
  layer: 'layers',
  map: 'maps',
  document: 'documents',
  geoapp: 'geoapps',
  geostory: 'geostories',
  dashboard: 'geoapps'
}

const APP_TYPES = new Set(['geoapp', 'geostory', 'dashboard'])
const WITH_DATA = parseDrestQuery({ 'include[]': 'data' })

export const endpointOf = (type: string): ResourceEndpoint => ENDPOINT[type] ?? 'resources'

/** Sync works on the local store as a trusted local process: every resource, every grant. */
function systemCaller(system: SystemIds, userId: number, username: string): Caller {
  return { userId, username, authenticated: true, superuser: true, staff: true, groupIds: [system.anonymousGroupId], managedGroupIds: [], registeredMember: true, via: 'internal', user: null }
}

/**
 * The local catalogue as sync reads and writes it: through the same services as the API (the same
 * rules, the same change log), as a superuser, one transaction per record.
 */
export class LocalStore {
  constructor(
    private readonly deps: {
      db: Db
      sqlite: Sqlite.Database
      folder: DataFolder
      clock: Clock
      system: SystemIds
      resources: ResourceService
      writes: ResourceWriteService
      adminId: number
      /** Reads a file as a layer's new data (the ingest service's replacement path). */
      replaceLayerData: (layerId: number, file: string, name: string) => Promise<number>
      /** The resource service reading through another executor (a transaction: `within`). */
      resourcesFor: (db: Db) => ResourceService
    }
  ) {}

  /**
   * This store working inside transaction `trx`: every read and write goes through it (the one
   * connection is the transaction's until it ends, so nothing here may read around it).
   */
  within(trx: Transaction<Database>): LocalStore {
    return new LocalStore({ ...this.deps, db: trx, resources: this.deps.resourcesFor(trx) })
  }

  private get admin(): Caller {
    return systemCaller(this.deps.system, this.deps.adminId, 'admin')
  }

  async exists(id: number): Promise<boolean> {
    return (await this.deps.db.selectFrom('resources').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
  }

  async typeOf(id: number): Promise<string | undefined> {
    return (await this.deps.db.selectFrom('resources').select('resource_type').where('id', '=', id).executeTakeFirst())?.resource_type
  }

  /** The record as the API shows it, an app's blob (`data`, deferred in lists) included. */
  async render(id: number, type: string): Promise<ResourceDto> {
    return this.deps.resources.renderOne(endpointOf(type), this.admin, id, APP_TYPES.has(type) ? WITH_DATA : undefined)
  }

  /**
   * The record as sync compares it with remote `remoteId`; `withPerms` adds grants restricted to
   * holders known here; a map carries its catalogue layers by their uuid there.
   */
  async view(id: number, type: string, withPerms: boolean, remoteId: number): Promise<SyncView> {
    const dto = await this.render(id, type)
    const layers = type === 'map' ? await this.mapLayerEntries(id, remoteId) : undefined
    return toView(dto, withPerms ? await this.deps.resources.getPerms(this.admin, id) : undefined, layers)
  }

  /** A map's catalogue layers in stack order, each named by its uuid on the remote where it is bound there. */
  async mapLayerEntries(mapId: number, remoteId: number): Promise<string[]> {
    const rows = await this.deps.db
      .selectFrom('map_layers as ml')
      .innerJoin('resources as r', 'r.id', 'ml.dataset_id')
      .leftJoin('sync_bindings as b', (join) => join.onRef('b.local_id', '=', 'ml.dataset_id').on('b.remote_id', '=', remoteId))
      .select(['r.uuid', 'b.remote_uuid', 'ml.opacity', 'ml.visibility'])
      .where('ml.map_id', '=', mapId)
      .orderBy('ml.stack_order')
      .orderBy('ml.id')
      .execute()
    return layerEntries(rows.map((r) => ({ ref: r.remote_uuid ?? r.uuid, opacity: r.opacity, visibility: r.visibility === 1 })))
  }

  /** The local layer for each remote layer uuid that has one here (bound to it, or pulled with its uuid). */
  async layersByRef(refs: string[], remoteId: number): Promise<Map<string, number>> {
    if (refs.length === 0) return new Map()
    const [same, bound] = await Promise.all([
      this.deps.db.selectFrom('resources').select(['uuid', 'id']).where('uuid', 'in', refs).where('resource_type', '=', 'layer').execute(),
      this.deps.db.selectFrom('sync_bindings').select(['remote_uuid', 'local_id']).where('remote_id', '=', remoteId).where('remote_uuid', 'in', refs).where('local_id', 'is not', null).execute()
    ])
    return new Map<string, number>([...same.map((r) => [r.uuid, r.id] as const), ...bound.map((b) => [b.remote_uuid!, b.local_id!] as const)])
  }

  /**
   * A map's new `layers` write body: its layers outside the catalogue (base maps, services) stay
   * as they are, underneath; the catalogue layers follow the entries (refs known here only).
   */
  private async layersBody(mapId: number | null, entries: string[], remoteId: number): Promise<Record<string, unknown>[]> {
    const wanted = entries.map(parseLayerEntry)
    const local = await this.layersByRef(wanted.map((e) => e.ref), remoteId)
    const kept = mapId === null ? [] : (await this.deps.resources.mapLayerDtos(this.admin, mapId)).filter((l) => !l.local).sort((a, b) => a.stack_order - b.stack_order)
    const layers: Record<string, unknown>[] = [
      ...kept.map(mapLayerWrite),
      ...wanted.filter((e) => local.has(e.ref)).map((e) => ({ dataset: local.get(e.ref)!, opacity: e.opacity, visibility: e.visibility }))
    ]
    return layers.map((layer, index) => ({ ...layer, stack_order: index }))
  }

  /** Which of these user and group names exist here (grants can only name those). */
  async knownHolders(perms: Record<string, string[]> | null): Promise<Set<string>> {
    const names = Object.keys(perms ?? {})
    const users = names.filter((n) => n.startsWith('user:')).map((n) => n.slice(5))
    const groups = names.filter((n) => n.startsWith('group:')).map((n) => n.slice(6))
    const [u, g] = await Promise.all([
      users.length ? this.deps.db.selectFrom('users').select('username').where('username', 'in', users).execute() : [],
      groups.length ? this.deps.db.selectFrom('auth_groups').select('name').where('name', 'in', groups).execute() : []
    ])
    return new Set([...u.map((r) => `user:${r.username}`), ...g.map((r) => `group:${r.name}`), 'user:AnonymousUser'])
  }

  /** Every user and group these records grant rights to here, as `user:name` / `group:name`. */
  async grantHolders(ids: number[]): Promise<string[]> {
    if (ids.length === 0) return []
    const [users, groups] = await Promise.all([
      this.deps.db.selectFrom('resource_user_perms as p').innerJoin('users as u', 'u.id', 'p.user_id').select('u.username as name').distinct().where('p.resource_id', 'in', ids).execute(),
      this.deps.db.selectFrom('resource_group_perms as p').innerJoin('auth_groups as g', 'g.id', 'p.group_id').select('g.name as name').distinct().where('p.resource_id', 'in', ids).execute()
    ])
    return [...users.map((u) => `user:${u.name}`), ...groups.map((g) => `group:${g.name}`)]
  }

  /** A local group for a remote group (its slug, title, description and access) when none has its name. */
  async ensureGroup(group: { slug: string; title: string; description: string; access: 'public' | 'public-invite' | 'private' }): Promise<void> {
    const found = await this.deps.db.selectFrom('auth_groups').select('id').where('name', '=', group.slug).executeTakeFirst()
    if (found) return
    await transact(this.deps.db, (trx) => insertGroup(trx, { ...group, email: null, logo: null }, this.deps.clock.now()))
  }

  /** A local user for a remote username (inactive and without a password when new). */
  async ensureUser(username: string): Promise<number> {
    const found = await this.deps.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()
    if (found) return found.id
    const now = this.deps.clock.now()
    const created = await this.deps.db
      .insertInto('users')
      .values({ id: nextId('users'), uuid: randomUUID(), username, password_hash: null, is_active: 0, created: now, last_updated: now, date_joined: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    return created.id
  }

  /** Writes fields of a view to a local record (and grants, when `perms` is among them; a map's layers, when `layers` is). */
  async apply(id: number, type: string, view: SyncView, fields: string[], remoteId: number): Promise<void> {
    if (fields.length === 0) return
    const now = this.deps.clock.now()
    const layers = type === 'map' && fields.includes('layers') ? await this.layersBody(id, (view.layers as string[] | undefined) ?? [], remoteId) : undefined
    await transact(this.deps.db, async (trx) => {
      const body = writeBody(view, fields)
      if (layers) body.layers = layers
      if (Object.keys(body).length) await this.deps.writes.applyWithin(trx, id, type, body)
      if (fields.includes('perms')) await applyPermSpec(trx, id, permBody(view.perms as Record<string, string[]> | null), now)
    })
  }

  /** A local copy of a remote record, keeping the remote's uuid (the record's global identity). */
  async create(type: string, remote: ResourceDto, view: SyncView, remoteId: number): Promise<number> {
    const ownerName = remote.owner?.username
    const ownerId = ownerName ? await this.ensureUser(ownerName) : this.deps.adminId
    const taken = await this.deps.db.selectFrom('resources').select('id').where('uuid', '=', remote.uuid).executeTakeFirst()
    const now = this.deps.clock.now()
    const fields = Object.keys(view).filter((f) => f !== 'perms')
    const layers = type === 'map' && view.layers !== undefined ? await this.layersBody(null, view.layers as string[], remoteId) : undefined
    return transact(this.deps.db, async (trx) => {
      const owner = systemCaller(this.deps.system, ownerId, ownerName ?? 'admin')
      const body: Record<string, unknown> = { ...writeBody(view, fields), resource_type: type }
      if (layers) body.layers = layers
      if (type === 'geoapp' || type === 'geostory' || type === 'dashboard') {
        body.name = (remote.name as string | undefined) ?? `${remote.title}-${remote.pk}`
        body.owner = ownerName
      }
      const id = await this.deps.writes.insertWithin(trx, type, owner, body, now)
      if (!taken) await trx.updateTable('resources').set({ uuid: remote.uuid }).where('id', '=', id).execute()
      // A raster or remote-service layer there is one here too: it decides which grants apply.
      const storeType = remote.storeType as string | undefined
      if (type === 'layer' && (storeType === 'coverageStore' || storeType === 'remoteStore')) {
        await trx.updateTable('layers').set({ store_type: storeType }).where('resource_id', '=', id).execute()
      }
      if (view.perms !== undefined) await applyPermSpec(trx, id, permBody(view.perms as Record<string, string[]> | null), now)
      return id
    })
  }

  async remove(id: number, type: string): Promise<void> {
    await this.deps.writes.remove(endpointOf(type), this.admin, id)
  }

  /** The files a record carries: a document's file, a layer's uploaded originals and its features. */
  async filesOf(id: number): Promise<{ uuid: string; docFile: string | null; originals: string[]; featureSetId: number | null; layerName: string | null; storeType: string | null }> {
    const row = await this.deps.db
      .selectFrom('resources as r')
      .leftJoin('documents as d', 'd.resource_id', 'r.id')
      .leftJoin('layers as l', 'l.resource_id', 'r.id')
      .select(['r.uuid', 'r.files_dir', 'd.doc_file', 'l.feature_set_id', 'l.name', 'l.store_type'])
      .where('r.id', '=', id)
      .executeTakeFirstOrThrow()
    const dir = row.files_dir ? join(this.deps.folder.absolute(row.files_dir), 'original') : null
    const originals = dir && existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : []
    // A document row may name a file that is not in the data folder (imported metadata): no file then.
    const docFile = row.doc_file && existsSync(this.deps.folder.absolute(row.doc_file)) ? this.deps.folder.absolute(row.doc_file) : null
    return { uuid: row.uuid, docFile, originals, featureSetId: row.feature_set_id, layerName: row.name, storeType: row.store_type }
  }

  /** A layer's features as one GeoJSON file (pushing a layer whose originals the remote cannot read). */
  exportGeoJson(featureSetId: number, dest: string): void {
    const fd = openSync(dest, 'w')
    try {
      writeSync(fd, '{"type":"FeatureCollection","features":[')
      let first = true
      for (const chunk of featureChunks(this.deps.sqlite, featureSetId)) {
        if (!first) writeSync(fd, ',')
        writeSync(fd, chunk)
        first = false
      }
      writeSync(fd, ']}')
    } finally {
      closeSync(fd)
    }
  }

  /** A downloaded file becomes a local document's file (type, MIME and size as an upload sets them). */
  async attachDocumentFile(id: number, file: string, name: string, size: number): Promise<void> {
    const { uuid } = await this.deps.db.selectFrom('resources').select('uuid').where('id', '=', id).executeTakeFirstOrThrow()
    const stored = this.deps.folder.adopt(file, uuid, basename(name) || 'document')
    const extension = extname(name).slice(1).toLowerCase() || null
    const types = extension ? docTypeOf(extension) : null
    await transact(this.deps.db, async (trx) => {
      await trx.updateTable('resources').set({ files_dir: this.deps.folder.relative(this.deps.folder.resourceDir(uuid)) }).where('id', '=', id).execute()
      await trx
        .updateTable('documents')
        .set({ doc_file: this.deps.folder.relative(stored), extension, doc_type: types?.doc_type ?? 'other', mime_type: types?.mime_type ?? null, file_size: size })
        .where('resource_id', '=', id)
        .execute()
    })
  }

  /** A downloaded file becomes a local layer's data (read by the ingest worker, as a replacement). */
  /** Each layer's data as it is here now (its feature set and raster file): a replacement changes it. */
  async dataMarkers(ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map()
    const rows = await this.deps.db.selectFrom('layers').select(['resource_id', 'feature_set_id', 'data_file']).where('resource_id', 'in', ids).execute()
    return new Map(rows.map((r) => [r.resource_id, `${r.feature_set_id ?? ''}:${r.data_file ?? ''}`]))
  }

  replaceLayerData(id: number, file: string, name: string): Promise<number> {
    return this.deps.replaceLayerData(id, file, name)
  }

  /** A temporary path for a transfer, kept across runs so a download can resume. */
  transferPath(key: string): string {
    return join(this.deps.folder.uploads, `sync-${key}.part`)
  }

  /** Resource ids with logged changes after `seq` (their rows, keywords, regions or grants). */
  /** Records changed here after `seq`: their ids, each one's latest change, and the log's last seq. */
  async changedSince(seq: number): Promise<{ ids: Set<number>; latest: Map<number, number>; last: number }> {
    const rows = await this.deps.db
      .selectFrom('changes')
      .select(['row_key', 'seq'])
      .where('seq', '>', seq)
      .where('table_name', 'in', ['resources', 'layers', 'maps', 'documents', 'geoapps', 'resource_keywords', 'resource_regions', 'resource_user_perms', 'resource_group_perms'])
      .execute()
    const ids = new Set<number>()
    const latest = new Map<number, number>()
    let last = seq
    for (const row of rows) {
      const id = Number(row.row_key.split(':')[0])
      ids.add(id)
      latest.set(id, Math.max(latest.get(id) ?? 0, row.seq))
      last = Math.max(last, row.seq)
    }
    const top = await this.deps.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst()
    return { ids, latest, last: Math.max(last, Number(top?.seq ?? seq)) }
  }
}
