import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src-main/config'
import { DATABASE_FILE, type RunningServer, startServer } from '../../src-main/server'
import {
  BINDINGS, CHANGED_SIZE_LIMIT, CONFLICTS, DELETED_RESOURCE, FAVORITES, GROUPS, JOURNAL, LAYER_DATA, NEXT_RESOURCE_ID, REMOTE, RESOURCES, RIVER_FEATURES,
  STEPS, SYNC, SYNC_OFFLINE, TOKENS, USERS, type ResourceSpec, ownerPerms, resourceById, since, userByName
} from '../fixtures/schemas/dataset'
import { fixtureDir } from '../fixtures/schemas/make'
import { type CatalogueRows, catalogueRows, lostRows } from '../helpers/catalogue-rows'
import { type Who, request } from '../helpers/server'
import { MULTIPART_TYPE, geojsonUploadBody } from '../reliability/common'

// A data folder from every released schema (test/fixtures/schemas, made by make.ts) is copied, the
// current server starts on it (migrating it), and everything the old catalogue held must be there
// and unchanged: first row by row in the file, then through the API; then writes must work.

const work = mkdtempSync(join(tmpdir(), 'mapshelf-schema-upgrade-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const as = (username: string): Who => ({ username, password: userByName(username).password })
const ADMIN = as('admin')
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
const sorted = <T>(items: T[], key: (item: T) => string = String) => [...items].sort((a, b) => key(a).localeCompare(key(b)))
const groupPk = (name: string) => GROUPS.find((g) => g.name === name)!.id

const ENDPOINT: Record<ResourceSpec['resource_type'], [string, string]> = {
  layer: ['layers', 'layer'],
  map: ['maps', 'map'],
  document: ['documents', 'document'],
  geoapp: ['geoapps', 'geoapp'],
  geostory: ['geostories', 'geostory'],
  dashboard: ['geoapps', 'geoapp']
}

function sqliteOf(file: string): Sqlite.Database {
  const sqlite = new Sqlite(file, { fileMustExist: true })
  sqlite.pragma('busy_timeout = 10000')
  return sqlite
}

function query<T>(file: string, source: string): T[] {
  const sqlite = sqliteOf(file)
  try {
    return sqlite.prepare(source).all() as T[]
  } finally {
    sqlite.close()
  }
}

/** What GET /api/v2/resources/:id must answer for a resource of the fixture (besides its lists). */
function expectedFields(r: ResourceSpec, step: string, url: string): Record<string, unknown> {
  const edited: Record<string, unknown> = Object.assign({}, ...r.edits.map((e) => e.set))
  const pick = <K extends keyof ResourceSpec>(key: K) => (key in edited ? edited[key] : r[key])
  const code = (identifier: string | null) => (identifier === null ? null : { identifier })
  const person = (name: string | null) => ({ pk: userByName(name ?? r.owner).id, username: name ?? r.owner })
  const polygon = r.bbox && { type: 'Polygon', coordinates: [[[r.bbox[0], r.bbox[1]], [r.bbox[0], r.bbox[3]], [r.bbox[2], r.bbox[3]], [r.bbox[2], r.bbox[1]], [r.bbox[0], r.bbox[1]]]] }
  const withData = r.layer?.data && since(step, LAYER_DATA)
  return {
    pk: String(r.id), uuid: r.uuid, resource_type: r.resource_type,
    owner: person(r.owner), poc: person(r.poc), metadata_author: person(r.metadata_author),
    title: pick('title'), abstract: pick('abstract'), purpose: r.purpose, attribution: r.attribution, doi: r.doi,
    alternate: r.layer ? `geonode:${r.layer.name}` : null, date: r.date, date_type: r.date_type, edition: r.edition, maintenance_frequency: r.maintenance_frequency,
    restriction_code_type: code(r.restriction_code_type), constraints_other: r.constraints_other, license: code(r.license), language: r.language,
    spatial_representation_type: code(r.spatial_representation_type), temporal_extent_start: r.temporal_extent_start, temporal_extent_end: r.temporal_extent_end,
    supplemental_information: r.supplemental_information, data_quality_statement: r.data_quality_statement,
    group: r.group ? { pk: groupPk(r.group), name: r.group } : null, category: code(r.category),
    bbox_polygon: polygon, ll_bbox_polygon: polygon, srid: 'EPSG:4326',
    popular_count: String(pick('popular_count')), share_count: String(r.share_count), rating: String(r.rating),
    featured: r.featured === 1, is_published: r.is_published === 1, is_approved: r.is_approved === 1, metadata_only: r.metadata_only === 1,
    created: r.created, last_updated: r.edits.at(-1)?.last_updated ?? r.last_updated,
    thumbnail_url: withData ? `${url}/uploaded/thumbs/${r.uuid}.png` : null
  }
}

async function body(server: { url: string }, path: string, who: Who = ADMIN): Promise<any> {
  const response = await request(server, path, { who })
  expect(response.status, `GET ${path}: ${response.text.slice(0, 300)}`).toBe(200)
  return response.body
}

async function bytes(server: { url: string }, path: string, who: Who = ADMIN): Promise<Buffer> {
  const response = await fetch(server.url + path, { headers: who === 'anonymous' ? {} : authOf(who) })
  expect(response.status, `GET ${path}`).toBe(200)
  return Buffer.from(await response.arrayBuffer())
}

function authOf(who: Who): Record<string, string> {
  if (who === 'anonymous' || who === 'admin') throw new Error('use explicit credentials with the fixtures')
  if ('token' in who) return { authorization: `Bearer ${who.token}` }
  return { authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString('base64')}` }
}

describe.each(STEPS)('a data folder of schema %s', (step) => {
  const dataDir = join(work, step)
  const file = join(dataDir, DATABASE_FILE)
  const fixture = (rel: string) => readFileSync(join(fixtureDir(step), rel))
  const remoteCalls: { url: string; authorization: string | null }[] = []
  let before: CatalogueRows
  let server: RunningServer

  const start = () =>
    startServer(loadConfig({ flags: { 'data-dir': dataDir, port: '0' } }), {
      log: { info: () => undefined, warn: () => undefined, error: (m, e) => console.error(m, e) },
      // The fixture's sync remote does not exist: record what would be sent, answer "down".
      fetch: async (input, init) => {
        remoteCalls.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') })
        return new Response('{"detail":"down for the test"}', { status: 503, headers: { 'content-type': 'application/json' } })
      }
    })

  beforeAll(async () => {
    if (!existsSync(join(fixtureDir(step), DATABASE_FILE))) throw new Error(`no fixture for the schema step ${step}: make it with npx tsx test/fixtures/schemas/make.ts ${step}`)
    cpSync(fixtureDir(step), dataDir, { recursive: true })
    before = catalogueRows(file)
    server = await start()
  })
  afterAll(() => server?.close())

  it('migrates to the newest schema on start, keeping every row of every table as it was', () => {
    expect(before.get('kysely_migration')!.rows.length).toBe(STEPS.indexOf(step) + 1)
    expect(lostRows(before, catalogueRows(file))).toEqual([])
    expect(query<{ name: string }>(file, 'SELECT name FROM kysely_migration ORDER BY name').map((r) => r.name)).toEqual(STEPS)
    expect(query<{ integrity_check: string }>(file, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
    // The feature index is in the newest form: every set and level a box of width 0.5.
    const widths = query<{ set: number; level: number }>(file, 'SELECT DISTINCT maxset - minset AS "set", maxlevel - minlevel AS level FROM layer_feature_index')
    expect(widths).toEqual(since(step, LAYER_DATA) ? [{ set: 0.5, level: 0.5 }] : [])
  })

  it('keeps the accounts: profiles, passwords, active flags and tokens', async () => {
    const users = (await body(server, '/api/v2/users?page_size=50')).users
    expect(users.map((u: any) => [u.pk, u.username, u.first_name, u.last_name, u.is_superuser, u.is_staff])).toEqual([
      [-1, 'AnonymousUser', '', '', false, false],
      ...USERS.map((u) => [u.id, u.username, u.first_name, u.last_name, u.is_superuser === 1, u.is_staff === 1])
    ])
    for (const u of USERS) {
      const info = await request(server, '/api/o/v4/userinfo', { who: as(u.username) })
      if (u.is_active === 0) {
        expect(info.status, u.username).toBe(403)
        continue
      }
      expect(info.status, u.username).toBe(200)
      expect(info.body).toMatchObject({ sub: String(u.id), preferred_username: u.username, email: u.email, given_name: u.first_name, family_name: u.last_name })
      expect(sorted(info.body.groups)).toEqual(sorted(['anonymous', ...u.groups.map(([g]) => g), ...(u.is_superuser ? ['admin'] : [])]))
    }
    expect((await request(server, '/api/o/v4/userinfo', { who: { username: 'alice', password: 'not-her-password' } })).status).toBe(403)
    const bearer = TOKENS.find((t) => t.kind === 'bearer')!
    const viaToken = await request(server, '/api/o/v4/userinfo', { who: { token: bearer.token } })
    expect(viaToken.status).toBe(200)
    expect(viaToken.body.preferred_username).toBe(bearer.user)
  })

  it('keeps the groups: profiles, categories, keywords, members and managers', async () => {
    const profiles = (await body(server, '/api/v2/groups?page_size=50')).group_profiles
    const expected = GROUPS.filter((g) => g.profile)
    expect(sorted(profiles.map((p: any) => p.slug))).toEqual(sorted(expected.map((g) => g.name)))
    for (const g of expected) {
      const p = profiles.find((x: any) => x.slug === g.name)
      expect(p).toMatchObject({ title: g.profile!.title, description: g.profile!.description, email: g.profile!.email, access: g.profile!.access, group: { pk: g.id, name: g.name } })
      expect(sorted(p.keywords)).toEqual(sorted(g.profile!.keywords))
      expect(sorted(p.categories)).toEqual(sorted(g.profile!.categories))
      const people = (role: string) => USERS.filter((u) => u.groups.some(([name, r]) => name === g.name && (role === 'members' || r === 'manager'))).map((u) => u.username)
      for (const role of ['members', 'managers']) {
        const listed = await body(server, `/api/v2/groups/${p.pk}/${role}`)
        expect(sorted(listed.map((u: any) => u.username)), `${g.name} ${role}`).toEqual(sorted(people(role)))
      }
    }
  })

  it('keeps every resource with every field, keyword, region, thesaurus keyword and link', async () => {
    for (const r of RESOURCES) {
      const dto = (await body(server, `/api/v2/resources/${r.id}`)).resource
      expect(dto, `resource ${r.id}`).toMatchObject(expectedFields(r, step, server.url))
      expect(sorted(dto.keywords, (k: any) => k.name)).toEqual(sorted(r.keywords).map((name) => ({ name, slug: expect.any(String) })))
      expect(sorted(dto.regions.map((g: any) => g.code))).toEqual(sorted(r.regions))
      expect(dto.tkeywords.map((k: any) => k.name)).toEqual(r.tkeywords)
      // The links kept with a resource come after the ones derived from it (its catalogue records' and
      // services'); the API lists GeoNode 3.3's five types, the extension route every one.
      const listed = r.links.filter((l) => ['OGC:WMS', 'OGC:WFS', 'OGC:WCS', 'image', 'metadata'].includes(l.link_type))
      expect(dto.links.slice(dto.links.length - listed.length)).toEqual(listed)
      const all = (await body(server, `/api/v2/mapshelf/resources/${r.id}/links`)).links
      expect(all.slice(all.length - r.links.length)).toEqual(r.links)
      expect(dto.links.filter((l: { link_type: string }) => l.link_type === 'metadata').length).toBeGreaterThanOrEqual(3)
      expect(await body(server, `/api/v2/resources/${r.id}/extra_metadata`)).toEqual(r.extra_metadata.map((m) => ({ id: expect.any(Number), ...m })))
    }
    const deleted = await request(server, `/api/v2/resources/${DELETED_RESOURCE.id}`, { who: ADMIN })
    expect(deleted.status).toBe(404)
  })

  it('keeps what each kind of resource adds: layers, maps, documents, apps', async () => {
    for (const r of RESOURCES) {
      const [endpoint, key] = ENDPOINT[r.resource_type]
      const dto = (await body(server, `/api/v2/${endpoint}/${r.id}${r.app ? '?include[]=data' : ''}`))[key]
      if (r.layer) {
        const l = r.layer
        const withData = l.data !== null && since(step, LAYER_DATA)
        expect(dto).toMatchObject({ name: l.name, workspace: 'geonode', store: l.store, storeType: l.store_type, charset: 'UTF-8', default_style: { name: l.style.name, sld_title: l.style.sld_title } })
        expect(dto.upload_session === null).toBe(!withData)
        expect(dto.styles.map((s: any) => s.name)).toEqual([l.style.name])
        expect(dto.attribute_set.map((a: any) => [a.attribute, a.attribute_type, a.attribute_label, a.description, a.visible, a.display_order, a.count, a.min, a.max])).toEqual(
          l.attributes.map((a) => [a.attribute, a.attribute_type, a.attribute_label, a.description, a.visible === 1, a.display_order, a.count, a.min, a.max])
        )
        const sld = await request(server, `/styles/${dto.default_style.pk}.sld`, { who: ADMIN })
        expect(sld.text).toBe(l.style.sld_body)
      }
      if (r.map) {
        expect(dto).toMatchObject({ zoom: r.map.zoom, projection: 'EPSG:3857', center_x: r.map.center_x, center_y: r.map.center_y })
        const layers = await body(server, `/api/v2/maps/${r.id}/layers`)
        expect(layers.map((l: any) => [l.name, l.store, l.stack_order, l.format, l.opacity, l.styles, l.transparent, l.visibility, l.local, l.source_params])).toEqual(
          r.map.layers.map((l) => [l.name, l.store, l.stack_order, l.format, l.opacity, l.styles, l.transparent === 1, l.visibility === 1, l.local === 1, l.source_params])
        )
      }
      if (r.document) {
        const d = r.document
        const withFile = d.file !== null && since(step, LAYER_DATA)
        expect(dto).toMatchObject({ doc_type: d.doc_type, extension: d.extension, mime_type: d.mime_type, href: withFile ? `${server.url}/documents/${r.id}/download` : (d.doc_url ?? d.file!.url_before) })
        const linked = await body(server, `/api/v2/documents/${r.id}/linked_resources`)
        expect(sorted(linked.resources.map((x: any) => Number(x.pk)), String)).toEqual(sorted(d.linked, String))
      }
      if (r.app) {
        expect(dto).toMatchObject({ zoom: r.app.zoom, projection: r.app.projection, center_x: r.app.center_x, center_y: r.app.center_y, urlsuffix: r.app.urlsuffix, data: r.app.data })
        if (r.resource_type === 'geostory') expect(dto.app_type).toBe(r.app.app_type)
      }
    }
  })

  it('keeps the permissions: owners, users, groups, and who sees what', async () => {
    for (const r of RESOURCES) {
      const perms = await body(server, `/api/v2/resources/${r.id}/get_perms`)
      const users: Record<string, string[]> = { [r.owner]: ownerPerms(r.resource_type, r.layer?.store_type ?? null), ...r.user_perms }
      expect(perms.users, `resource ${r.id}`).toEqual(Object.fromEntries(Object.entries(users).map(([name, codes]) => [name, expect.arrayContaining(codes)])))
      for (const [name, codes] of Object.entries(users)) expect(sorted(perms.users[name]), `resource ${r.id} ${name}`).toEqual(sorted(codes))
      expect(Object.fromEntries(Object.entries(perms.groups).map(([g, codes]) => [g, sorted(codes as string[])]))).toEqual(
        Object.fromEntries(Object.entries(r.group_perms).map(([g, codes]) => [g, sorted(codes)]))
      )
    }
    const sees = async (who: Who, id: number) => (await request(server, `/api/v2/resources/${id}`, { who })).status === 200
    expect(await sees('anonymous', 1)).toBe(true)
    expect(await sees('anonymous', 5)).toBe(false)
    expect(await sees('anonymous', 8)).toBe(false)
    expect(await sees(as('bob'), 5)).toBe(true)
    expect(await sees(as('bob'), 8)).toBe(true)
    expect(await sees(as('alice'), 7)).toBe(true)
    expect(await sees(as('alice'), 9)).toBe(false)
    expect(await sees(as('bob'), 9)).toBe(true)
    expect((await body(server, '/api/v2/resources/1', as('bob'))).resource.perms.sort()).toEqual(sorted(resourceById(1).user_perms.bob!))
    for (const username of new Set(FAVORITES.map(([u]) => u))) {
      const favorites = await body(server, '/api/v2/resources/favorites', as(username))
      expect(sorted(favorites.favorites.map((f: any) => f.pk))).toEqual(sorted(FAVORITES.filter(([u]) => u === username).map(([, id]) => String(id))))
    }
  })

  it('keeps the history and the settings', async () => {
    const history = (await body(server, '/api/v2/mapshelf/resources/1/history')).history
    const metadata = history.filter((h: any) => h.subject === 'metadata').map((h: any) => [h.op, h.version])
    expect(metadata[0]).toEqual(['update', 2])
    expect(metadata.at(-1)).toEqual(['insert', 1])
    const limits = (await body(server, '/api/v2/upload-size-limits'))['upload-size-limits']
    expect(limits.find((l: any) => l.slug === CHANGED_SIZE_LIMIT.slug).max_size).toBe(CHANGED_SIZE_LIMIT.max_size)
  })

  it.runIf(since(step, LAYER_DATA))('keeps layer data and files: features, rasters, originals, documents, thumbnails, uploads', async () => {
    const geometric = RIVER_FEATURES.map((f, i) => ({ type: 'Feature', id: i + 1, geometry: f.geometry, properties: f.properties })).filter((f) => f.geometry)
    const all = JSON.parse((await bytes(server, '/api/v2/mapshelf/layers/1/features?limit=1000', ADMIN)).toString())
    expect(sorted(all.features, (f: any) => String(f.id).padStart(3, '0'))).toEqual(geometric)
    const vienna = JSON.parse((await bytes(server, '/api/v2/mapshelf/layers/1/features?bbox=15,47,17.5,49', ADMIN)).toString())
    expect(sorted(vienna.features.map((f: any) => f.properties.name))).toEqual(sorted(['Wachau', 'Wien reach', 'Hainburg reach']))
    const exported = JSON.parse((await bytes(server, '/api/v2/mapshelf/layers/1/export?format=geojson', ADMIN)).toString())
    expect(exported.features.map((f: any) => f.properties.name)).toEqual(RIVER_FEATURES.map((f) => f.properties.name))
    const layer1 = resourceById(1)
    const layer2 = resourceById(2)
    const report = resourceById(5)
    const files: [string, string][] = [
      ['/api/v2/mapshelf/resources/1/original', `files/${layer1.uuid}/original/danube_rivers.geojson`],
      ['/uploaded/1/danube_rivers.geojson', `files/${layer1.uuid}/original/danube_rivers.geojson`],
      [`/uploaded/thumbs/${layer1.uuid}.png`, `files/${layer1.uuid}/thumbnail.png`],
      ['/api/v2/mapshelf/layers/2/raster', `files/${layer2.uuid}/elevation_austria.tif`],
      ['/api/v2/mapshelf/resources/2/original', `files/${layer2.uuid}/original/elevation_austria.tif`],
      ['/documents/5/download', `files/${report.uuid}/${report.document!.file!.name}`]
    ]
    for (const [path, rel] of files) expect(sha(await bytes(server, path, as('alice'))), path).toBe(sha(fixture(rel)))
    const uploads = (await body(server, '/api/v2/uploads')).uploads
    expect(sorted(uploads.map((u: any) => [u.name, u.state, u.uploadfile_set.map((f: any) => f.name)]), JSON.stringify)).toEqual([
      ['danube_rivers', 'PROCESSED', ['danube_rivers.geojson']],
      ['elevation_austria', 'PROCESSED', ['elevation_austria.tif']]
    ])
  })

  it.runIf(!since(step, LAYER_DATA))('has no layer data to keep before the layer_data schema', async () => {
    const none = JSON.parse((await bytes(server, '/api/v2/mapshelf/layers/1/features', ADMIN)).toString())
    expect(none.features).toEqual([])
  })

  it.runIf(since(step, SYNC))('keeps sync: the remote, its state, bindings, conflicts, journal and sealed credentials', async () => {
    const remote = (await body(server, `/api/v2/mapshelf/sync/remotes/${REMOTE.id}`)).remote
    expect(remote).toMatchObject({ base_url: REMOTE.base_url, username: REMOTE.username, auth_kind: 'basic', follow_types: REMOTE.follow_types, follow_owners: REMOTE.follow_owners, follow_groups: REMOTE.follow_groups })
    expect(remote.status).toMatchObject({ phase: 'idle', running: false, last_result: { conflicts: 1, errors: 1, reconciled: true }, progress: { done: 3, total: 3 }, conflicts: 1 })
    expect(remote.status.pending.deletes).toBe(BINDINGS.filter((b) => b.resource === DELETED_RESOURCE.id).length)
    const conflicts = (await body(server, `/api/v2/mapshelf/sync/remotes/${REMOTE.id}/conflicts`)).conflicts
    expect(conflicts.map((c: any) => [c.id, c.field, c.base, c.local, c.remote, c.local_id])).toEqual(
      CONFLICTS.filter((c) => c.state === 'open').map((c) => [c.id, c.field, c.base, c.local, c.remote, BINDINGS.find((b) => b.id === c.binding)!.resource])
    )
    const journal = (await body(server, `/api/v2/mapshelf/sync/remotes/${REMOTE.id}/journal`)).journal
    expect(sorted(journal.map((j: any) => JSON.stringify([j.id, j.run_id, j.direction, j.action, j.local_id, j.remote_pk, j.outcome, j.message])))).toEqual(
      sorted(JOURNAL.map((j) => JSON.stringify([j.id, j.run_id, j.direction, j.action, j.local_id, j.remote_pk, j.outcome, j.message])))
    )
    const offline = (await body(server, '/api/v2/mapshelf/sync/offline/1')).offline
    expect(offline).toMatchObject({ offline: since(step, SYNC_OFFLINE), remotes: [REMOTE.id] })
  })

  it('takes writes after the upgrade, and the file stays sound', async () => {
    const alice = as('alice')
    const patched = await request(server, '/api/v2/resources/1', { method: 'PATCH', who: { token: TOKENS[0]!.token }, body: { title: 'Danube reaches, after the upgrade', keywords: ['hydrology', 'upgraded'] } })
    expect(patched.status, patched.text).toBe(200)
    expect((await body(server, '/api/v2/resources/1', alice)).resource).toMatchObject({ title: 'Danube reaches, after the upgrade' })
    const perms = await request(server, '/api/v2/resources/3/set_perms', { method: 'PUT', who: alice, body: { users: { bob: ['view_resourcebase'] }, groups: { anonymous: [] } } })
    expect(perms.status, perms.text).toBeLessThan(300)
    expect((await request(server, '/api/v2/resources/3', { who: 'anonymous' })).status).toBe(404)
    const created = await request(server, '/api/v2/maps', { method: 'POST', who: alice, body: { title: 'A map made after the upgrade' } })
    expect(created.status, created.text).toBe(201)
    expect(Number(created.body.map.pk)).toBe(NEXT_RESOURCE_ID)
    const upload = await fetch(`${server.url}/api/v2/uploads/upload/`, {
      method: 'POST',
      headers: { ...authOf(alice), 'content-type': MULTIPART_TYPE },
      body: new Uint8Array(geojsonUploadBody('after_upgrade', 'Uploaded after the upgrade', 4))
    })
    expect(upload.status, await upload.clone().text()).toBe(200)
    const layer = (await body(server, `/api/v2/layers?filter{title}=${encodeURIComponent('Uploaded after the upgrade')}`, alice)).layers[0]
    const features = JSON.parse((await bytes(server, `/api/v2/mapshelf/layers/${layer.pk}/features`, alice)).toString())
    expect(features.features).toHaveLength(4)
    expect((await request(server, '/api/v2/resources/4', { method: 'DELETE', who: as('bob') })).status).toBe(204)
    expect((await request(server, '/api/v2/resources/4', { who: ADMIN })).status).toBe(404)
    if (since(step, SYNC)) {
      // The sealed password opens with the key file that came with the folder: the run sends it.
      expect((await request(server, `/api/v2/mapshelf/sync/remotes/${REMOTE.id}/start`, { method: 'POST', who: ADMIN })).status).toBe(202)
      await server.services.sync.settle(REMOTE.id)
      const expected = `Basic ${Buffer.from(`${REMOTE.username}:${REMOTE.password}`).toString('base64')}`
      expect(remoteCalls.length).toBeGreaterThan(0)
      expect(remoteCalls.every((c) => c.url.startsWith(REMOTE.base_url) && c.authorization === expected), JSON.stringify(remoteCalls)).toBe(true)
    }
    await server.close()
    expect(query<{ integrity_check: string }>(file, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
    expect(query<{ n: number }>(file, 'SELECT count(*) AS n FROM layer_feature_index WHERE maxset - minset <> 0.5 OR maxlevel - minlevel <> 0.5')).toEqual([{ n: 0 }])
  })
})
