import { mkdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ResourceDto } from '../../src-shared/api/dto'
import { ApiError } from '../../src-shared/client/geonode-client'
import { type Binding, type SyncContext, describe } from './context'
import { SyncCancelled, TransientError } from './remote'

// What travels as files rather than fields: the data of layers kept offline (pulled), documents'
// files (pulled), and layers' data sent there (a new layer's upload, a replacement on push).

/**
 * Layers kept offline: their data is downloaded where it changed there since the last download
 * (or was never downloaded) and read as the local layer's new data. A failed download is
 * journalled and tried again next time; a partial one resumes where the remote takes ranges.
 */
export async function pullOfflineData(ctx: SyncContext): Promise<void> {
  const due = await ctx.db
    .selectFrom('sync_bindings')
    .selectAll()
    .where('remote_id', '=', ctx.config.id)
    .where('offline', '=', 1)
    .where('resource_type', '=', 'layer')
    .where('local_id', 'is not', null)
    .where('remote_pk', 'is not', null)
    .where((eb) => eb.or([eb('data_pulled', 'is', null), eb('data_pulled', '<', eb.ref('remote_last_updated'))]))
    .execute()
  const markers = await ctx.local.dataMarkers(due.map((b) => b.local_id!))
  for (const binding of due) {
    ctx.check()
    try {
      // Replaced here too since both sides last had the same data: the data replaced here is
      // kept and pushed (never dropped silently), and the journal says so.
      if (binding.data_sent !== null && binding.data_pulled !== null && markers.get(binding.local_id!) !== binding.data_sent) {
        await ctx.journal('pull', 'data', 'conflict', { local: binding.local_id, remote: binding.remote_pk }, 'the data was replaced here and there; the data replaced here is kept and sent there')
        continue
      }
      const layer = await ctx.remote.detail('layer', binding.remote_pk!)
      if (!layer) continue
      const part = ctx.local.transferPath(`${binding.local_uuid}-data`)
      const name = await ctx.remote.layerData(layer, part)
      await ctx.local.replaceLayerData(binding.local_id!, part, name)
      const now = (await ctx.local.dataMarkers([binding.local_id!])).get(binding.local_id!) ?? null
      await ctx.db.updateTable('sync_bindings').set({ data_pulled: layer.last_updated, data_sent: now }).where('id', '=', binding.id).execute()
      await ctx.journal('pull', 'data', 'ok', { local: binding.local_id, remote: binding.remote_pk }, `${name} (${layer.title})`)
    } catch (error) {
      if (error instanceof SyncCancelled || error instanceof TransientError) throw error
      await ctx.journal('pull', 'data', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
    }
  }
}

export async function pullDocumentFile(ctx: SyncContext, localId: number, remote: ResourceDto): Promise<void> {
  const href = typeof remote.href === 'string' ? remote.href : null
  if (!href || !/\/documents\/\d+\/download\/?$/.test(new URL(href).pathname)) return
  // The remote writes its own public address into href; fetch it through the address we use.
  const url = ctx.config.base_url.replace(/\/+$/, '') + new URL(href).pathname
  const files = await ctx.local.filesOf(localId)
  if (files.docFile) return
  const part = ctx.local.transferPath(files.uuid)
  try {
    await ctx.remote.download(url, part)
    const name = typeof remote.extension === 'string' && remote.extension ? `${slugName(remote.title)}.${remote.extension}` : slugName(remote.title)
    await ctx.local.attachDocumentFile(localId, part, name, statSync(part).size)
    await ctx.journal('pull', 'file', 'ok', { local: localId, remote: Number(remote.pk) }, name)
  } catch (error) {
    if (error instanceof SyncCancelled || error instanceof TransientError) throw error
    if (error instanceof ApiError && error.status === 404) {
      await ctx.journal('pull', 'file', 'skipped', { local: localId, remote: Number(remote.pk) }, 'the remote lists a file for this document but does not have it')
      return
    }
    await ctx.journal('pull', 'file', 'failed', { local: localId, remote: Number(remote.pk) }, describe(error))
  }
}

/**
 * A document with its file, or a layer with its data: sent as files (the remote makes the
 * resource from them). Formats GeoNode 3.3 does not take (GeoPackage, GPX) travel as GeoJSON
 * written from the stored features. Null when the record has no files (created from fields).
 */
export async function createWithFiles(ctx: SyncContext, binding: Binding, dto: ResourceDto): Promise<ResourceDto | null> {
  const files = await ctx.local.filesOf(binding.local_id!)
  if (binding.resource_type === 'document' && files.docFile) {
    const answer = await ctx.remote.multipart<{ document: ResourceDto }>('/api/v2/documents/', { title: dto.title, abstract: dto.abstract ?? '' }, { doc_file: files.docFile })
    return answer.document
  }
  if (binding.resource_type !== 'layer') return null
  const upload = await layerUpload(ctx, binding.local_id!, { layer_title: dto.title, abstract: dto.abstract ?? '', charset: 'UTF-8' })
  if (!upload) return null
  try {
    return await ctx.remote.uploadLayer(upload.files, upload.fields)
  } finally {
    upload.done()
  }
}

/**
 * A local layer's data as upload parts: its original files (a shapefile with its side-cars, or a
 * file the remote takes as it is), else its features written to GeoJSON (GeoNode 3.3 takes no
 * GeoPackage or GPX). Null when the layer has no data. `done` removes what was written for it.
 */
async function layerUpload(ctx: SyncContext, localId: number, fields: Record<string, string>): Promise<{ files: Record<string, string>; fields: Record<string, string>; done: () => void } | null> {
  const files = await ctx.local.filesOf(localId)
  if (files.originals.length === 0 && files.featureSetId === null) return null
  const byExt = (ext: string) => files.originals.find((f) => f.toLowerCase().endsWith(`.${ext}`))
  const shp = byExt('shp')
  if (shp) {
    const parts: Record<string, string> = { base_file: shp }
    for (const [field, ext] of [['dbf_file', 'dbf'], ['shx_file', 'shx'], ['prj_file', 'prj'], ['cpg_file', 'cpg']] as const) {
      const part = byExt(ext)
      if (part) parts[field] = part
    }
    return { files: parts, fields, done: () => {} }
  }
  const direct = ['geojson', 'json', 'kml', 'kmz', 'csv', 'zip', 'tif', 'tiff'].map(byExt).find(Boolean)
  if (direct) return { files: { base_file: direct }, fields, done: () => {} }
  if (files.featureSetId === null) return null
  // Named after the layer: the remote names a new layer after the file.
  const dir = ctx.local.transferPath(`${files.uuid}-export`)
  mkdirSync(dir, { recursive: true })
  const exported = join(dir, `${files.layerName ?? 'layer'}.geojson`)
  ctx.local.exportGeoJson(files.featureSetId, exported)
  return { files: { base_file: exported }, fields, done: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Layers whose data was replaced here since both sides last had the same: the new data goes
 * there (PUT /layers/{pk}/replace). A binding that has noted no data yet notes what is here now
 * (its data came from there, or predates this note) and sends nothing.
 */
export async function pushLayerData(ctx: SyncContext): Promise<void> {
  const bound = await ctx.db
    .selectFrom('sync_bindings')
    .selectAll()
    .where('remote_id', '=', ctx.config.id)
    .where('resource_type', '=', 'layer')
    .where('state', '=', 'synced')
    .where('local_id', 'is not', null)
    .where('remote_pk', 'is not', null)
    .execute()
  const markers = await ctx.local.dataMarkers(bound.map((b) => b.local_id!))
  for (const binding of bound) {
    ctx.check()
    const marker = markers.get(binding.local_id!)
    if (marker === undefined || marker === binding.data_sent) continue
    if (binding.data_sent === null) {
      await ctx.db.updateTable('sync_bindings').set({ data_sent: marker }).where('id', '=', binding.id).execute()
      continue
    }
    const upload = await layerUpload(ctx, binding.local_id!, { charset: 'UTF-8' })
    if (!upload) continue
    try {
      await ctx.remote.replaceLayer(binding.remote_pk!, upload.files, upload.fields)
      const after = await ctx.remote.detail('layer', binding.remote_pk!)
      // Our own new data there is not news for a layer kept offline here.
      await ctx.db
        .updateTable('sync_bindings')
        .set({ data_sent: marker, ...(binding.offline && after ? { data_pulled: after.last_updated } : {}) })
        .where('id', '=', binding.id)
        .execute()
      ctx.summary.pushed.updated += 1
      await ctx.journal('push', 'data', 'ok', { local: binding.local_id, remote: binding.remote_pk }, `new data of ${Object.values(upload.files).map((f) => f.split('/').pop()).join(', ')}`)
    } catch (error) {
      if (error instanceof SyncCancelled || error instanceof TransientError) throw error
      await ctx.journal('push', 'data', 'failed', { local: binding.local_id, remote: binding.remote_pk }, describe(error))
    } finally {
      upload.done()
    }
  }
}

function slugName(title: string): string {
  return title.normalize('NFKD').replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'document'
}
