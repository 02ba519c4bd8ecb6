import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { basename, dirname, extname, join } from 'node:path'
import type { Transaction } from 'kysely'
import type { Polygon } from 'geojson'
import { PermSpecRequest } from '../../src-shared/api/schemas'
import { CHANGE } from '../../src-shared/api/permissions'
import type { Clock } from '../clock'
import { type Db, transact } from '../db/database'
import { nextId } from '../db/id-sequences'
import { callerHolds } from './visibility'
import type { Database } from '../db/schema'
import { NotAuthenticated, NotFound, PermissionDenied, UploadRefused, ValidationError } from '../errors'
import { validate } from '../validate'
import { type Bbox, type CrsSuggestion, isKnownEpsg, likelyCrs } from '../ingest/crs'
import type { DataFolder } from '../ingest/data-folder'
import { LAYER_EXTENSIONS, SUPPORTED_LABEL, type UploadedParts, extensionOf } from '../ingest/detect'
import type { IngestJob, IngestOutcome, IngestedLayer } from '../ingest/ingest-job'
import { type IsoMetadata, MAX_SIDE_CAR_BYTES } from '../ingest/iso-metadata'
import type { SideCarFiles, SideCars } from '../ingest/ingest.worker'
import { type ReceivedFile, type ReceivedForm, receiveMultipart, safeFileName } from '../ingest/multipart'
import { defaultSld } from '../ingest/sld'
import { docTypeOf, imageThumbnail } from '../ingest/thumbnail'
import { type IngestWorker, WorkerClosed } from '../ingest/worker-pool'
import { type Caller, isAdmin } from './caller'
import { applyPermSpec } from './permissions.service'
import type { ResourceWriteService } from './resource-writes.service'
import type { ResourceService } from './resources.service'

type Trx = Transaction<Database>

const SIDE_CARS = ['dbf_file', 'shx_file', 'prj_file', 'cpg_file'] as const
const MAX_FILES = 12
const MAX_FIELD_BYTES = 1024 * 1024
/** Side-car XML is read whole into memory: each file has a limit of its own besides the upload's. */
const MAX_FILE_BYTES = { xml_file: MAX_SIDE_CAR_BYTES, sld_file: MAX_SIDE_CAR_BYTES }

/** Where an upload stands while its files are read (by import id = upload id). */
interface Running {
  fraction: number
}

export type IngestService = ReturnType<typeof createIngestService>

/** The upload wizard's replies (spec 5.2). */
export type WizardReply = Record<string, unknown>

function polygonOf(bbox: Bbox): Polygon {
  const [minx, miny, maxx, maxy] = bbox
  return { type: 'Polygon', coordinates: [[[minx, miny], [minx, maxy], [maxx, maxy], [maxx, miny], [minx, miny]]] }
}

/** A layer name as GeoServer would accept it: letters, digits and underscores, not starting with a digit. */
export function layerNameOf(name: string): string {
  const stem = basename(name, extname(name))
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 60)
  return /^[a-z_]/.test(stem) ? stem : `layer_${stem || 'data'}`
}

function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`
  return Number.isNaN(Date.parse(value)) ? undefined : new Date(value).toISOString()
}

/** The resource fields an uploaded ISO document fills (GeoNode's metadata upload). */
function metadataFields(meta: IsoMetadata | null): Record<string, unknown> {
  if (!meta) return {}
  const out: Record<string, unknown> = {}
  for (const key of ['title', 'abstract', 'purpose', 'supplemental_information', 'edition', 'constraints_other', 'data_quality_statement'] as const) {
    if (meta[key]) out[key] = meta[key]
  }
  if (meta.keywords?.length) out.keywords = meta.keywords
  if (meta.category) out.category = meta.category
  if (meta.language) out.language = meta.language
  if (meta.date) out.date = isoDate(meta.date)
  if (meta.date_type) out.date_type = meta.date_type
  if (meta.maintenance_frequency) out.maintenance_frequency = meta.maintenance_frequency
  if (meta.restriction_code_type) out.restriction_code_type = meta.restriction_code_type
  const start = isoDate(meta.temporal_extent_start)
  const end = isoDate(meta.temporal_extent_end)
  if (start) out.temporal_extent_start = start
  if (end) out.temporal_extent_end = end
  return out
}

/**
 * Uploads (spec 5): files stream to a folder of their own, the ingest worker reads and stores
 * them, and one transaction creates the layers (resource, layer, attributes, style, grants,
 * upload session) from what it stored. A refused upload leaves nothing: its folder is removed and
 * its staged features are dropped.
 */
export function createIngestService(deps: {
  db: Db
  clock: Clock
  folder: DataFolder
  worker: IngestWorker
  resources: ResourceService
  writes: ResourceWriteService
  contributorsGroupId: number
}) {
  const { db, clock, folder, worker, resources, writes, contributorsGroupId } = deps
  const running = new Map<number, Running>()

  function assertMayAdd(caller: Caller): void {
    if (!caller.authenticated) throw new NotAuthenticated()
    if (!isAdmin(caller) && !caller.groupIds.includes(contributorsGroupId)) throw new PermissionDenied()
  }

  async function sizeLimit(slug: string): Promise<number> {
    const row = await db.selectFrom('upload_size_limits').select('max_size').where('slug', '=', slug).executeTakeFirst()
    return row?.max_size ?? 104_857_600
  }

  async function receive(req: IncomingMessage, dir: string, limitSlug: string): Promise<ReceivedForm> {
    try {
      return await receiveMultipart(req, dir, { maxTotalBytes: await sizeLimit(limitSlug), maxFiles: MAX_FILES, maxFieldBytes: MAX_FIELD_BYTES, maxFileBytes: MAX_FILE_BYTES })
    } catch (error) {
      folder.remove(dir)
      throw error
    }
  }

  /**
   * The ISO metadata and SLD style of an upload, read by the ingest worker: a large document takes
   * seconds to parse, which would hold every other request on the API thread.
   */
  async function readSideCars(files: SideCarFiles): Promise<SideCars> {
    if (!files.xml_file && !files.sld_file) return { metadata: null, style: null, errors: [] }
    try {
      return await worker.readSideCars(files)
    } catch (error) {
      if (error instanceof WorkerClosed) throw error
      const names = [files.xml_file, files.sld_file].flatMap((file) => (file ? [file.name] : [])).join(', ')
      return { metadata: null, style: null, errors: [`${names}: the file could not be read: ${(error as Error).message}`] }
    }
  }

  /** Reads the small parts (permissions, metadata, style) before any data is touched. */
  async function readForm(form: ReceivedForm) {
    const errors: string[] = []
    for (const key of Object.keys(form.fields)) {
      if (key.endsWith('_path')) errors.push(`${key}: server-side paths and URLs are not read; send the file itself in ${key.replace(/_path$/, '')}.`)
    }
    const base = form.files.get('base_file')
    if (!base) errors.push('Base file must be a file or url.')
    else if (!(LAYER_EXTENSIONS as readonly string[]).includes(extensionOf(base.filename))) {
      errors.push(`${SUPPORTED_LABEL} files are supported. You uploaded a ${extensionOf(base.filename) || 'file without extension'} file`)
    }
    let permissions: ReturnType<typeof PermSpecRequest.parse> | null = null
    if (form.fields.permissions?.trim()) {
      try {
        permissions = validate(PermSpecRequest, JSON.parse(form.fields.permissions))
      } catch {
        errors.push('permissions: expected a JSON perm spec such as {"users": {"AnonymousUser": ["view_resourcebase"]}, "groups": {}}.')
      }
    }
    const charset = form.fields.charset?.trim() || undefined
    if (charset && !/^[A-Za-z0-9_.:-]{2,40}$/.test(charset)) errors.push(`charset: "${charset}" is not a character set name.`)
    const sideCar = (field: keyof SideCarFiles) => {
      const file = form.files.get(field)
      return file ? { path: file.path, name: file.filename } : undefined
    }
    const { metadata, style, errors: refused } = await readSideCars({ xml_file: sideCar('xml_file'), sld_file: sideCar('sld_file') })
    errors.push(...refused)
    if (errors.length) throw new UploadRefused(errors)
    const parts: UploadedParts = { base: base!.path, baseName: base!.filename }
    const originals = [...form.files.values()]
    const side = (field: (typeof SIDE_CARS)[number]) => form.files.get(field)?.path
    Object.assign(parts, { dbf: side('dbf_file'), shx: side('shx_file'), prj: side('prj_file'), cpg: side('cpg_file') })
    return { base: base!, parts, permissions, charset, metadata, style, originals }
  }

  type Form = Awaited<ReturnType<typeof readForm>>

  /** Streams a layer upload to a folder of its own and reads its form; nothing is left on refusal. */
  async function receiveLayer(req: IncomingMessage): Promise<{ dir: string; form: ReceivedForm; read: Form }> {
    const dir = folder.newUploadDir()
    const form = await receive(req, dir, 'dataset_upload_size')
    try {
      return { dir, form, read: await readForm(form) }
    } catch (error) {
      folder.remove(dir)
      throw error
    }
  }

  async function createSession(caller: Caller, form: ReceivedForm, read: Form, dir: string): Promise<number> {
    const now = clock.now()
    return db.transaction().execute(async (trx) => {
      const session = {
        name: basename(read.base.filename, extname(read.base.filename)),
        charset: read.charset ?? 'UTF-8',
        permissions: read.permissions,
        layer_title: form.fields.layer_title || null,
        layer_abstract: form.fields.abstract || null,
        upload_type: extensionOf(read.base.filename),
        time: form.fields.time === 'true',
        completed_step: null,
        error_msg: null
      }
      const created = await trx
        .insertInto('uploads')
        .values({ id: nextId('uploads'), uuid: randomUUID(), user_id: caller.userId, name: session.name, state: 'RUNNING', date: now, create_date: now, upload_dir: folder.relative(dir), session: JSON.stringify(session), created: now, last_updated: now })
        .returning('id')
        .executeTakeFirstOrThrow()
      await trx.updateTable('uploads').set({ import_id: created.id }).where('id', '=', created.id).execute()
      for (const file of form.files.values()) {
        await trx
          .insertInto('upload_files')
          .values({ id: nextId('upload_files'), upload_id: created.id, name: file.filename, slug: `${created.id}/${file.filename}`, base: file.field === 'base_file' ? 1 : 0, file: folder.relative(file.path), size: file.size, created: now, last_updated: now })
          .execute()
      }
      return created.id
    })
  }

  function jobOf(uploadId: number | null, dir: string, read: Pick<Form, 'parts' | 'charset'>, srs?: string): IngestJob {
    return { uploadId, workDir: dir, parts: read.parts, charset: read.charset, srs }
  }

  async function ingest(uploadId: number, job: IngestJob): Promise<IngestOutcome> {
    running.set(uploadId, { fraction: 0 })
    try {
      return await worker.ingest(job, (fraction) => {
        const state = running.get(uploadId)
        if (state) state.fraction = fraction
      })
    } catch (error) {
      return { status: 'error', message: `${job.parts.baseName}: the import failed: ${(error as Error).message}` }
    } finally {
      running.delete(uploadId)
    }
  }

  /** A unique layer name in the geonode workspace: the file's name, then name_2, name_3 ... */
  async function freeLayerName(trx: Trx, wanted: string): Promise<string> {
    const taken = new Set((await trx.selectFrom('layers').select('name').where('name', 'like', `${wanted}%`).execute()).map((r) => r.name))
    if (!taken.has(wanted)) return wanted
    for (let n = 2; ; n++) if (!taken.has(`${wanted}_${n}`)) return `${wanted}_${n}`
  }

  /** Creates one layer from what the worker stored, inside the finishing transaction. */
  async function createLayer(trx: Trx, caller: Caller, layer: IngestedLayer, read: Form & { title?: string; abstract?: string }, uploadId: number, now: string, single: boolean) {
    const meta = metadataFields(read.metadata)
    const title = (single ? read.title : undefined) ?? (single ? (meta.title as string | undefined) : undefined) ?? layer.title ?? layer.name
    const body: Record<string, unknown> = {
      ...meta,
      title,
      resource_type: 'layer',
      srid: layer.epsg ? `EPSG:${layer.epsg}` : 'EPSG:4326'
    }
    if (single && read.abstract) body.abstract = read.abstract
    if (layer.nativeBbox) body.bbox_polygon = polygonOf(layer.nativeBbox)
    if (layer.bbox4326) body.ll_bbox_polygon = polygonOf(clampLonLat(layer.bbox4326))
    let id: number
    try {
      id = await writes.insertWithin(trx, 'layer', caller, body, now)
    } catch (error) {
      if (error instanceof ValidationError && read.metadata) {
        throw new UploadRefused([`The metadata file does not fit this catalogue: ${JSON.stringify(error.fields)}`])
      }
      throw error
    }
    const resource = await trx.selectFrom('resources').select(['uuid']).where('id', '=', id).executeTakeFirstOrThrow()
    const name = await freeLayerName(trx, layerNameOf(layer.name))
    const dir = folder.resourceDir(resource.uuid)
    await trx.updateTable('resources').set({ alternate: `geonode:${name}`, files_dir: folder.relative(dir), thumbnail_url: layer.thumbnail ? `uploaded/thumbs/${resource.uuid}.png` : null }).where('id', '=', id).execute()
    let dataFile: string | null = null
    if (layer.kind === 'raster') dataFile = folder.relative(join(dir, `${name}${extname(layer.file) || '.tif'}`))
    await trx
      .updateTable('layers')
      .set({
        name,
        store: layer.kind === 'raster' ? name : 'geonode_data',
        store_type: layer.kind === 'raster' ? 'coverageStore' : 'dataStore',
        charset: layer.kind === 'vector' ? layer.charset : 'UTF-8',
        feature_count: layer.kind === 'vector' ? layer.count : null,
        feature_set_id: layer.kind === 'vector' ? layer.featureSetId : null,
        data_file: dataFile,
        upload_session_id: uploadId
      })
      .where('resource_id', '=', id)
      .execute()
    if (layer.kind === 'vector') {
      await trx.updateTable('feature_sets').set({ state: 'ready' }).where('id', '=', layer.featureSetId).execute()
      const attributes = [{ attribute: 'the_geom', attribute_type: layer.geometryType as string }, ...layer.fields.map((f) => ({ attribute: f.name, attribute_type: f.type as string }))]
      await trx
        .insertInto('layer_attributes')
        .values(attributes.map((a, i) => ({ id: nextId('layer_attributes', i), layer_id: id, attribute: a.attribute, attribute_label: null, attribute_type: a.attribute_type, display_order: i + 1, created: now, last_updated: now })))
        .execute()
    }
    const geometry = layer.kind === 'raster' ? 'raster' : /Point/.test(layer.geometryType) ? 'point' : /Line/.test(layer.geometryType) ? 'line' : 'polygon'
    const style = read.style && single ? read.style : { name, title: null, body: defaultSld(name, geometry) }
    const created = await trx
      .insertInto('styles')
      .values({ name: style.name, workspace: 'geonode', sld_title: style.title, sld_body: style.body, created: now, last_updated: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    await trx.insertInto('layer_styles').values({ layer_id: id, style_id: created.id, created: now, last_updated: now }).execute()
    await trx.updateTable('layers').set({ default_style_id: created.id }).where('resource_id', '=', id).execute()
    if (read.permissions) await applyPermSpec(trx, id, read.permissions, now)
    return { id, uuid: resource.uuid, dir, dataFile, name }
  }

  /**
   * Files first (renamed into each resource's folder), then one transaction; if the transaction
   * fails the folders are removed again, and a crash in between leaves folders that start-up
   * recovery deletes (no resource names them).
   */
  async function finish(caller: Caller, uploadId: number, outcome: Extract<IngestOutcome, { status: 'done' }>, read: Form & { title?: string; abstract?: string }, dir: string): Promise<number[]> {
    const now = clock.now()
    const moved: string[] = []
    try {
      const ids = await db.transaction().execute(async (trx) => {
        const ids: number[] = []
        for (const layer of outcome.layers) {
          const created = await createLayer(trx, caller, layer, read, uploadId, now, outcome.layers.length === 1)
          moved.push(created.dir)
          // Originals first (hard links): a GeoTIFF's base file is also the raster it becomes.
          keepOriginals(read, created.uuid)
          if (layer.kind === 'raster' && created.dataFile) folder.adopt(layer.file, created.uuid, basename(created.dataFile))
          if (layer.thumbnail && existsSync(layer.thumbnail)) folder.adopt(layer.thumbnail, created.uuid, 'thumbnail.png')
          if (ids.length === 0) {
            // The session's files now live with the (first) layer's originals.
            for (const file of read.originals) {
              await trx
                .updateTable('upload_files')
                .set({ file: folder.relative(join(created.dir, 'original', file.filename)) })
                .where('upload_id', '=', uploadId)
                .where('name', '=', file.filename)
                .execute()
            }
          }
          ids.push(created.id)
        }
        await trx
          .updateTable('uploads')
          .set((eb) => ({ state: 'PROCESSED', complete: 1, layer_id: ids[0] ?? null, upload_dir: null, date: now, last_updated: now, version: eb('version', '+', 1) }))
          .where('id', '=', uploadId)
          .execute()
        return ids
      })
      folder.remove(dir)
      return ids
    } catch (error) {
      for (const path of moved) folder.remove(path)
      throw error
    }
  }

  /** The uploaded files, kept under the resource's folder as `original/<name>` (the download of the original upload). */
  function keepOriginals(read: Form, uuid: string): void {
    for (const file of read.originals) folder.linkInto(file.path, uuid, `original/${file.filename}`)
  }

  async function fail(uploadId: number, dir: string, message: string, keepSession: boolean): Promise<void> {
    folder.remove(dir)
    const now = clock.now()
    await db.transaction().execute(async (trx) => {
      if (keepSession) {
        await trx
          .updateTable('uploads')
          .set((eb) => ({ state: 'INVALID', error_msg: message, upload_dir: null, date: now, last_updated: now, version: eb('version', '+', 1) }))
          .where('id', '=', uploadId)
          .execute()
      } else {
        await trx.deleteFrom('upload_files').where('upload_id', '=', uploadId).execute()
        await trx.deleteFrom('uploads').where('id', '=', uploadId).execute()
      }
    })
  }

  /** The upload waits for a CRS; the range of its coordinates is kept in its session to suggest one. */
  async function wait(uploadId: number, message: string, extent: [number, number, number, number] | null): Promise<void> {
    const now = clock.now()
    await transact(db, async (trx) => {
      const row = await trx.selectFrom('uploads').select('session').where('id', '=', uploadId).executeTakeFirstOrThrow()
      const session = { ...(JSON.parse(row.session ?? '{}') as Record<string, unknown>), crs_extent: extent }
      await trx
        .updateTable('uploads')
        .set((eb) => ({ state: 'WAITING', error_msg: message, session: JSON.stringify(session), date: now, last_updated: now, version: eb('version', '+', 1) }))
        .where('id', '=', uploadId)
        .execute()
    })
  }

  /** Runs an upload to its end; answers the wizard's last reply. */
  async function complete(caller: Caller, uploadId: number, dir: string, read: Form & { title?: string; abstract?: string }, srs: string | undefined, keepSessionOnError: boolean): Promise<WizardReply> {
    const outcome = await ingest(uploadId, jobOf(uploadId, dir, read, srs))
    if (outcome.status === 'waiting') {
      await wait(uploadId, outcome.message, outcome.extent)
      return incompleteReply(uploadId, `/upload/srs?id=${uploadId}&force_ajax=true`, true, outcome.message)
    }
    if (outcome.status === 'error') {
      await fail(uploadId, dir, outcome.message, keepSessionOnError)
      if (!keepSessionOnError) throw new UploadRefused([outcome.message])
      return { status: 'error', success: false, id: uploadId, error_msg: outcome.message }
    }
    try {
      await finish(caller, uploadId, outcome, read, dir)
    } catch (error) {
      await worker.dropSets(outcome.layers.flatMap((l) => (l.kind === 'vector' ? [l.featureSetId] : [])))
      const message = error instanceof UploadRefused ? error.errors.join(' ') : `${read.base.filename}: the layer could not be saved: ${(error as Error).message}`
      await fail(uploadId, dir, message, keepSessionOnError)
      if (!keepSessionOnError) throw error instanceof UploadRefused ? error : new UploadRefused([message])
      return { status: 'error', success: false, id: uploadId, error_msg: message }
    }
    return finalReply(uploadId)
  }

  function incompleteReply(id: number, redirect: string, requiredInput: boolean, message?: string): WizardReply {
    const reply: WizardReply = { url: `/upload/?id=${id}`, status: 'incomplete', success: true, id, redirect_to: redirect, required_input: requiredInput }
    if (message) reply.error_msg = message
    return reply
  }

  async function finalReply(uploadId: number): Promise<WizardReply> {
    const upload = await db.selectFrom('uploads').select(['id', 'state', 'error_msg', 'layer_id', 'import_id']).where('id', '=', uploadId).executeTakeFirst()
    if (!upload) throw new NotFound()
    switch (upload.state) {
      case 'PROCESSED': {
        const layer = await db
          .selectFrom('resources as r')
          .innerJoin('layers as l', 'l.resource_id', 'r.id')
          .select(['r.alternate', 'l.store', 'r.srid', 'r.ll_minx', 'r.ll_miny', 'r.ll_maxx', 'r.ll_maxy'])
          .where('r.id', '=', upload.layer_id ?? -1)
          .executeTakeFirst()
        if (!layer) return { status: 'error', success: false, id: uploadId, error_msg: 'The layer of this upload has been deleted.' }
        return {
          status: 'finished',
          id: uploadId,
          url: `/layers/${layer.store}:${layer.alternate}`,
          bbox: [layer.ll_minx, layer.ll_miny, layer.ll_maxx, layer.ll_maxy].join(','),
          crs: { type: 'name', properties: layer.srid },
          success: true
        }
      }
      case 'WAITING':
        return incompleteReply(uploadId, `/upload/srs?id=${uploadId}&force_ajax=true`, true, upload.error_msg ?? undefined)
      case 'INVALID':
        return { status: 'error', success: false, id: uploadId, error_msg: upload.error_msg ?? 'The upload failed.' }
      default:
        return { status: 'running', success: true, id: uploadId, redirect_to: `/upload/final?id=${uploadId}&force_ajax=true` }
    }
  }

  async function ownUpload(caller: Caller, id: number) {
    if (!caller.authenticated) throw new NotAuthenticated()
    const upload = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst()
    if (!upload || (!caller.superuser && upload.user_id !== caller.userId)) throw new NotFound()
    return upload
  }

  /** The form of an upload, rebuilt from its session and files (to resume a WAITING one). */
  async function storedForm(upload: { id: number; session: string | null }): Promise<Form & { title?: string; abstract?: string }> {
    const session = JSON.parse(upload.session ?? '{}') as { charset?: string; permissions?: Form['permissions']; layer_title?: string | null; layer_abstract?: string | null }
    const files = await db.selectFrom('upload_files').selectAll().where('upload_id', '=', upload.id).orderBy('id').execute()
    const base = files.find((f) => f.base === 1)
    if (!base) throw new UploadRefused(['This upload has no base file any more.'])
    const byExt = (ext: string) => files.find((f) => extensionOf(f.name) === ext && f.base !== 1)
    const path = (f: { file: string } | undefined) => (f ? folder.absolute(f.file) : undefined)
    const received: ReceivedFile = { field: 'base_file', filename: base.name, path: folder.absolute(base.file), size: base.size ?? 0, sha256: '' }
    const originals = files.map((f) => ({ field: f.base === 1 ? 'base_file' : 'side_car', filename: f.name, path: folder.absolute(f.file), size: f.size ?? 0, sha256: '' }))
    // The metadata and style sent with the files apply when the import resumes, too.
    const xml = byExt('xml')
    const sld = byExt('sld')
    const sideCar = (f: { file: string; name: string } | undefined) => (f ? { path: folder.absolute(f.file), name: f.name } : undefined)
    const { metadata, style, errors } = await readSideCars({ xml_file: sideCar(xml), sld_file: sideCar(sld) })
    if (errors.length) throw new UploadRefused(errors)
    return {
      originals,
      base: received,
      parts: { base: received.path, baseName: base.name, dbf: path(byExt('dbf')), shx: path(byExt('shx')), prj: path(byExt('prj')), cpg: path(byExt('cpg')) },
      permissions: session.permissions ?? null,
      charset: session.charset,
      metadata,
      style,
      title: session.layer_title ?? undefined,
      abstract: session.layer_abstract ?? undefined
    }
  }

  /** What a replacement needs to know of the layer it replaces. */
  function layerToReplace(layerId: number) {
    return db
      .selectFrom('layers as l')
      .innerJoin('resources as r', 'r.id', 'l.resource_id')
      .select(['l.store_type', 'l.feature_set_id', 'l.data_file', 'r.uuid', 'l.name'])
      .where('l.resource_id', '=', layerId)
      .executeTakeFirstOrThrow()
  }

  /** The common end of a replacement: read the files, then swap the layer's data in one transaction. */
  async function replaceWith(
    layerId: number,
    current: { store_type: string; feature_set_id: number | null; data_file: string | null; uuid: string; name: string },
    dir: string,
    read: Form,
    srs: string | undefined
  ): Promise<number> {
    {
      const outcome = await worker.ingest(jobOf(null, dir, read, srs))
      const refuse = async (message: string) => {
        if (outcome.status === 'done') await worker.dropSets(outcome.layers.flatMap((l) => (l.kind === 'vector' ? [l.featureSetId] : [])))
        folder.remove(dir)
        throw new UploadRefused([message])
      }
      if (outcome.status !== 'done') return void (await refuse(outcome.message)) as never
      if (outcome.layers.length !== 1) return void (await refuse(`${read.base.filename}: a replacement must hold exactly one layer; it holds ${outcome.layers.length}.`)) as never
      const layer = outcome.layers[0]!
      const wantsRaster = current.store_type === 'coverageStore'
      if ((layer.kind === 'raster') !== wantsRaster) return void (await refuse(`${read.base.filename}: a ${wantsRaster ? 'raster' : 'vector'} layer can only be replaced by ${wantsRaster ? 'raster' : 'vector'} data.`)) as never
      const now = clock.now()
      const resourceDir = folder.resourceDir(current.uuid)
      const dataFile = layer.kind === 'raster' ? folder.relative(join(resourceDir, `${current.name}-${Date.now()}${extname(layer.file) || '.tif'}`)) : null
      folder.remove(join(resourceDir, 'original'))
      keepOriginals(read, current.uuid)
      if (layer.kind === 'raster') folder.adopt(layer.file, current.uuid, basename(dataFile!))
      try {
        await db.transaction().execute(async (trx) => {
          const update: Record<string, unknown> = { srid: layer.epsg ? `EPSG:${layer.epsg}` : 'EPSG:4326' }
          if (layer.nativeBbox) update.bbox_polygon = polygonOf(layer.nativeBbox)
          if (layer.bbox4326) update.ll_bbox_polygon = polygonOf(clampLonLat(layer.bbox4326))
          await writes.applyWithin(trx, layerId, 'layer', update)
          await trx
            .updateTable('layers')
            .set((eb) => ({
              feature_set_id: layer.kind === 'vector' ? layer.featureSetId : null,
              feature_count: layer.kind === 'vector' ? layer.count : null,
              data_file: dataFile,
              last_updated: now,
              version: eb('version', '+', 1)
            }))
            .where('resource_id', '=', layerId)
            .execute()
          if (layer.kind === 'vector') {
            await trx.updateTable('feature_sets').set({ state: 'ready' }).where('id', '=', layer.featureSetId).execute()
            await trx.deleteFrom('layer_attributes').where('layer_id', '=', layerId).execute()
            const attributes = [{ attribute: 'the_geom', attribute_type: layer.geometryType as string }, ...layer.fields.map((f) => ({ attribute: f.name, attribute_type: f.type as string }))]
            await trx
              .insertInto('layer_attributes')
              .values(attributes.map((a, i) => ({ id: nextId('layer_attributes', i), layer_id: layerId, attribute: a.attribute, attribute_type: a.attribute_type, display_order: i + 1, created: now, last_updated: now })))
              .execute()
          }
          if (current.feature_set_id !== null) await trx.updateTable('feature_sets').set({ state: 'dropped' }).where('id', '=', current.feature_set_id).execute()
        })
      } catch (error) {
        if (dataFile) folder.remove(folder.absolute(dataFile))
        await refuse(`${read.base.filename}: the new data could not be saved: ${(error as Error).message}`)
      }
      if (current.data_file) folder.remove(folder.absolute(current.data_file))
      if (layer.thumbnail && existsSync(layer.thumbnail)) renameSync(layer.thumbnail, join(resourceDir, 'thumbnail.png'))
      folder.remove(dir)
      void worker.clearDropped().catch(() => undefined)
      return layerId
    }
  }

  return {
    /**
     * Clears what deleted resources left: their folders under files/ and their layers' features
     * (in the worker, after the delete has answered).
     */
    sweep(uuids: string[]): void {
      for (const uuid of uuids) folder.remove(folder.resourceDir(uuid))
      void worker.clearDropped().catch(() => undefined) // start-up recovery catches whatever is left
    },

    /**
     * POST /api/v2/uploads/upload/ (3.3: runs every step, answers the last reply, 200) and PUT
     * (3.2: answers the first step with 201 and goes on in the background; poll /upload/final).
     */
    async upload(caller: Caller, req: IncomingMessage, mode: 'post' | 'put'): Promise<{ status: number; body: WizardReply }> {
      assertMayAdd(caller)
      const { dir, form, read } = await receiveLayer(req)
      const withText = { ...read, title: form.fields.layer_title?.trim() || undefined, abstract: form.fields.abstract?.trim() || undefined }
      const uploadId = await createSession(caller, form, read, dir)
      if (mode === 'post') return { status: 200, body: await complete(caller, uploadId, dir, withText, form.fields.srs, false) }
      void complete(caller, uploadId, dir, withText, form.fields.srs, true).catch(() => undefined)
      return { status: 201, body: incompleteReply(uploadId, `/upload/final?id=${uploadId}&force_ajax=true`, false) }
    },

    /** GET /upload/final?id= and the other wizard steps, which all lead there. */
    async final(caller: Caller, id: number): Promise<WizardReply> {
      await ownUpload(caller, id)
      return finalReply(id)
    },

    /** /upload/srs?id= with `srs` (or `source`): the CRS a WAITING upload needs; then it runs on. */
    async supplySrs(caller: Caller, id: number, srs: string | undefined): Promise<WizardReply> {
      const upload = await ownUpload(caller, id)
      if (upload.state !== 'WAITING') return finalReply(id)
      if (!srs?.trim()) return incompleteReply(id, `/upload/srs?id=${id}&force_ajax=true`, true, upload.error_msg ?? undefined)
      if (!/^(EPSG:)?\d{4,6}$/i.test(srs.trim())) throw new UploadRefused([`srs: "${srs}" is not an EPSG code such as EPSG:32633.`])
      const read = await storedForm(upload)
      await db.updateTable('uploads').set({ state: 'RUNNING', error_msg: null }).where('id', '=', id).execute()
      return complete(caller, id, folder.absolute(upload.upload_dir!), read, srs.trim(), true)
    },

    /**
     * For an upload waiting for its CRS: the range of its coordinates, whether they are degrees, and
     * the CRSs it is probably in (catalogue layers' CRSs whose area of use the data fall in).
     */
    async crsHints(caller: Caller, id: number): Promise<{ extent: [number, number, number, number] | null; degrees: boolean | null; suggestions: CrsSuggestion[] }> {
      const upload = await ownUpload(caller, id)
      if (upload.state !== 'WAITING') throw new NotFound('This upload is not waiting for a CRS.')
      const extent = (JSON.parse(upload.session ?? '{}') as { crs_extent?: [number, number, number, number] | null }).crs_extent ?? null
      if (!extent) return { extent: null, degrees: null, suggestions: [] }
      const layers = await db
        .selectFrom('resources')
        .select(['srid', 'll_minx', 'll_miny', 'll_maxx', 'll_maxy'])
        .where('resource_type', '=', 'layer')
        .where('srid', '!=', 'EPSG:4326')
        .limit(10_000)
        .execute()
      const byCode = new Map<number, Bbox[]>()
      for (const l of layers) {
        const epsg = Number(/(\d+)$/.exec(l.srid ?? '')?.[1])
        if (!Number.isInteger(epsg) || !isKnownEpsg(epsg)) continue
        const box = [l.ll_minx, l.ll_miny, l.ll_maxx, l.ll_maxy]
        const boxes = byCode.get(epsg) ?? []
        if (box.every((v) => v !== null)) boxes.push(box as Bbox)
        byCode.set(epsg, boxes)
      }
      return { extent, ...likelyCrs(extent, [...byCode].map(([epsg, boxes]) => ({ epsg, boxes }))) }
    },

    /** GET /upload/progress?id=: the task's progress, or `{"state": "NONE"}`. */
    async progress(caller: Caller, id: number): Promise<Record<string, unknown>> {
      const upload = await ownUpload(caller, id)
      const live = running.get(id)
      if (live) return { state: 'RUNNING', progress: Math.round(live.fraction * 100), total: 100 }
      if (upload.state === 'PROCESSED') return { state: 'COMPLETE', progress: 100, total: 100 }
      if (upload.state === 'WAITING') return { state: 'NO_CRS', progress: 0, total: 100 }
      if (upload.state === 'INVALID') return { state: 'ERROR', progress: 0, total: 100, error_msg: upload.error_msg }
      return { state: 'NONE' }
    },

    /** GET /upload/delete/<id>: an unfinished upload and its files go (owner or superuser). */
    async remove(caller: Caller, id: number): Promise<{ success: true }> {
      const upload = await ownUpload(caller, id)
      if (upload.state === 'PROCESSED') throw new UploadRefused(['This upload has been processed; delete its layer instead.'])
      if (running.has(id)) throw new UploadRefused(['This upload is being imported; wait for it to end.'])
      if (upload.upload_dir) folder.remove(folder.absolute(upload.upload_dir))
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('feature_sets').set({ state: 'dropped' }).where('upload_id', '=', id).where('state', '=', 'staging').execute()
        await trx.deleteFrom('upload_files').where('upload_id', '=', id).execute()
        await trx.deleteFrom('uploads').where('id', '=', id).execute()
      })
      return { success: true }
    },

    /** PUT /api/v2/layers/{id}/replace: new data for a layer, same resource; attributes follow the data. */
    async replace(caller: Caller, layerId: number, req: IncomingMessage): Promise<number> {
      if (!caller.authenticated) throw new NotAuthenticated()
      await resources.findVisibleId('layers', caller, layerId)
      if (!(await callerHolds(db, caller, layerId, CHANGE))) throw new PermissionDenied()
      const current = await layerToReplace(layerId)
      const { dir, form, read } = await receiveLayer(req)
      return replaceWith(layerId, current, dir, read, form.fields.srs)
    },

    /**
     * New data for a layer from a file already on disk (sync's offline copies): moved into an
     * upload folder of its own and read as a replacement would be. No permission check: callers
     * are the server's own.
     */
    async replaceFromFile(layerId: number, file: string, name: string): Promise<number> {
      const current = await layerToReplace(layerId)
      const dir = folder.newUploadDir()
      const path = join(dir, 'base_file', safeFileName(name))
      mkdirSync(dirname(path), { recursive: true })
      renameSync(file, path)
      const base: ReceivedFile = { field: 'base_file', filename: basename(path), path, size: statSync(path).size, sha256: '' }
      const read: Form = { base, parts: { base: path, baseName: base.filename }, permissions: null, charset: undefined, metadata: null, style: null, originals: [base] }
      return replaceWith(layerId, current, dir, read, undefined)
    },

    /** POST /api/v2/documents with a file part (`doc_file`): the document, its file and thumbnail. */
    async createDocument(caller: Caller, req: IncomingMessage): Promise<number> {
      assertMayAdd(caller)
      const dir = folder.newUploadDir()
      const form = await receive(req, dir, 'document_upload_size')
      try {
        const file = form.files.get('doc_file') ?? form.files.get('file')
        if (!file && !form.fields.doc_url) throw new UploadRefused(['doc_file: a document needs a file (doc_file) or a URL (doc_url).'])
        if (file && form.fields.doc_url) throw new UploadRefused(['A document takes either doc_file or doc_url, not both.'])
        if (file && file.size === 0) throw new UploadRefused([`${file.filename}: the file is empty.`])
        const extension = file ? extensionOf(file.filename) : null
        const types = extension ? docTypeOf(extension) : null
        const body: Record<string, unknown> = { resource_type: 'document', title: form.fields.title?.trim() || (file ? basename(file.filename, extname(file.filename)) : '') }
        for (const key of ['abstract', 'purpose', 'attribution', 'doc_url'] as const) if (form.fields[key]) body[key] = form.fields[key]
        const thumbnail = !file || !types ? null : types.mime_type === 'application/pdf' ? await worker.pdfThumbnail(file.path) : await imageThumbnail(file.path, types.mime_type)
        const now = clock.now()
        let resourceDirPath: string | null = null
        try {
          const id = await db.transaction().execute(async (trx) => {
            const id = await writes.insertWithin(trx, 'document', caller, body, now)
            if (file && types) {
              const { uuid } = await trx.selectFrom('resources').select('uuid').where('id', '=', id).executeTakeFirstOrThrow()
              resourceDirPath = folder.resourceDir(uuid)
              const stored = folder.adopt(file.path, uuid, file.filename)
              if (thumbnail) folder.writeFile(uuid, 'thumbnail.png', thumbnail)
              await trx.updateTable('resources').set({ files_dir: folder.relative(resourceDirPath), thumbnail_url: thumbnail ? `uploaded/thumbs/${uuid}.png` : null }).where('id', '=', id).execute()
              await trx
                .updateTable('documents')
                .set({ doc_file: folder.relative(stored), extension, doc_type: types.doc_type, mime_type: types.mime_type, file_size: file.size })
                .where('resource_id', '=', id)
                .execute()
            }
            const links = form.fields.links ?? form.fields.resource_links
            if (links) {
              const ids = links.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0)
              for (const target of ids) {
                const exists = await trx.selectFrom('resources').select('id').where('id', '=', target).executeTakeFirst()
                if (!exists) throw new UploadRefused([`links: resource ${target} does not exist.`])
                await trx.insertInto('document_links').values({ document_id: id, resource_id: target, created: now, last_updated: now }).execute()
              }
            }
            return id
          })
          return id
        } catch (error) {
          if (resourceDirPath) folder.remove(resourceDirPath)
          throw error
        }
      } finally {
        folder.remove(dir)
      }
    }
  }
}

function clampLonLat(b: Bbox): Bbox {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))
  return [clamp(b[0], -180, 180), clamp(b[1], -90, 90), clamp(b[2], -180, 180), clamp(b[3], -90, 90)]
}

