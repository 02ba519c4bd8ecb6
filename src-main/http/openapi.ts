import { z } from 'zod'
import * as schemas from '../../src-shared/api/schemas'

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  tag: string
  summary: string
  query?: z.ZodObject
  body?: z.ZodType
  response?: z.ZodType
  status?: number
}

const list = (key: string, item: z.ZodType) => schemas.envelopeOf(key, item)
const wrap = (key: string, item: z.ZodType) => z.object({ [key]: item })

const families: [path: string, plural: string, singular: string][] = [
  ['resources', 'resources', 'resource'],
  ['layers', 'layers', 'layer'],
  ['maps', 'maps', 'map'],
  ['documents', 'documents', 'document'],
  ['geoapps', 'geoapps', 'geoapp'],
  ['geostories', 'geostories', 'geostory']
]

/** Every route the server answers, with the shared schemas it validates and returns. */
export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/v2/', tag: 'root', summary: 'Absolute list URL of every family', response: z.record(z.string(), z.string()) },
  ...families.flatMap(([path, plural, singular]): Operation[] => [
    { method: 'get', path: `/api/v2/${path}/`, tag: path, summary: `List ${plural} the caller may view`, query: schemas.ListQuery, response: list(plural, schemas.Resource) },
    { method: 'get', path: `/api/v2/${path}/{id}/`, tag: path, summary: `One ${singular}`, response: wrap(singular, schemas.Resource) },
    { method: 'post', path: `/api/v2/${path}/`, tag: path, summary: `Create ${plural}: one object, {"${singular}": {...}}, {"${plural}": [...]} or a list (all or nothing)`, body: schemas.ResourceUpdate, response: wrap(singular, schemas.Resource), status: 201 },
    { method: 'patch', path: `/api/v2/${path}/`, tag: path, summary: `Bulk update (a list of objects with "id"), or ?patch-all=true|query with filters (when enabled)`, body: z.array(schemas.ResourceUpdate), response: z.union([z.array(schemas.Resource), z.object({ meta: z.object({ updated: z.number().int() }) })]) },
    { method: 'delete', path: `/api/v2/${path}/`, tag: path, summary: 'Bulk delete: a list of objects with "id" (all or nothing)', status: 204 },
    { method: 'patch', path: `/api/v2/${path}/{id}/`, tag: path, summary: `Change some fields of a ${singular}`, body: schemas.ResourceUpdate, response: wrap(singular, schemas.Resource) },
    { method: 'put', path: `/api/v2/${path}/{id}/`, tag: path, summary: `Change a ${singular} (title and abstract required)`, body: schemas.ResourceUpdate, response: wrap(singular, schemas.Resource) },
    { method: 'delete', path: `/api/v2/${path}/{id}/`, tag: path, summary: `Delete a ${singular}`, status: 204 }
  ]),
  { method: 'put', path: '/api/v2/resources/{id}/set_perms/', tag: 'resources', summary: 'Replace every grant (echoes the body)', body: schemas.PermSpecRequest, response: schemas.PermSpecRequest },
  { method: 'post', path: '/api/v2/resources/{id}/favorite/', tag: 'resources', summary: "Add to the caller's favourites", response: schemas.MessageBody, status: 201 },
  { method: 'delete', path: '/api/v2/resources/{id}/favorite/', tag: 'resources', summary: "Remove from the caller's favourites", response: schemas.MessageBody },
  { method: 'post', path: '/api/v2/users/', tag: 'users', summary: 'Create a user (superuser/staff)', body: schemas.UserWrite, response: wrap('user', schemas.User), status: 201 },
  { method: 'patch', path: '/api/v2/users/{id}/', tag: 'users', summary: 'Change a user (superuser/staff)', body: schemas.UserWrite, response: wrap('user', schemas.User) },
  { method: 'put', path: '/api/v2/users/{id}/', tag: 'users', summary: 'Change a user (superuser/staff)', body: schemas.UserWrite, response: wrap('user', schemas.User) },
  { method: 'delete', path: '/api/v2/users/{id}/', tag: 'users', summary: 'Delete a user who owns no resources (superuser/staff)', status: 204 },
  { method: 'post', path: '/api/v2/groups/', tag: 'groups', summary: 'Create a group (superuser/staff)', body: schemas.GroupWrite, response: wrap('group_profile', schemas.GroupProfile), status: 201 },
  { method: 'patch', path: '/api/v2/groups/{id}/', tag: 'groups', summary: 'Change a group (superuser/staff or its managers)', body: schemas.GroupWrite, response: wrap('group_profile', schemas.GroupProfile) },
  { method: 'put', path: '/api/v2/groups/{id}/', tag: 'groups', summary: 'Change a group (superuser/staff)', body: schemas.GroupWrite, response: wrap('group_profile', schemas.GroupProfile) },
  ...['members', 'managers'].flatMap((action): Operation[] => [
    { method: 'post', path: `/api/v2/groups/{id}/${action}/`, tag: 'groups', summary: `Add ${action} (superuser/staff or the group's managers; extension)`, body: schemas.MembershipRequest, response: z.array(schemas.User) },
    { method: 'delete', path: `/api/v2/groups/{id}/${action}/`, tag: 'groups', summary: `Remove ${action} (extension)`, body: schemas.MembershipRequest, response: z.array(schemas.User) }
  ]),
  { method: 'delete', path: '/api/v2/groups/{id}/', tag: 'groups', summary: 'Delete a group with its memberships and grants (superuser/staff)', status: 204 },
  { method: 'get', path: '/api/v2/resources/resource_types/', tag: 'resources', summary: 'Visible resources per type', response: z.object({ resource_types: z.array(z.object({ name: z.string(), count: z.number().int() })) }) },
  ...['approved', 'published', 'featured'].map((action): Operation => ({ method: 'get', path: `/api/v2/resources/${action}/`, tag: 'resources', summary: `Visible resources that are ${action}`, query: schemas.ListQuery, response: list('resources', schemas.Resource) })),
  { method: 'get', path: '/api/v2/resources/favorites/', tag: 'resources', summary: "The caller's favourites", query: schemas.ListQuery, response: list('favorites', schemas.Resource) },
  { method: 'get', path: '/api/v2/resources/{id}/get_perms/', tag: 'resources', summary: 'Per-object grants by username and group name', response: schemas.PermSpec },
  { method: 'get', path: '/api/v2/resources/{id}/extra_metadata/', tag: 'resources', summary: 'Extra metadata entries', response: z.array(z.looseObject({ id: z.number().int() })) },
  { method: 'get', path: '/api/v2/maps/{id}/layers/', tag: 'maps', summary: 'Map layers in stack order (bare array)', response: z.array(schemas.MapLayer) },
  { method: 'get', path: '/api/v2/maps/{id}/local_layers/', tag: 'maps', summary: 'Catalogue layers used by the map (bare array)', response: z.array(schemas.Resource) },
  { method: 'get', path: '/api/v2/documents/{id}/linked_resources/', tag: 'documents', summary: 'Resources linked to the document', query: schemas.ListQuery, response: list('resources', schemas.Resource) },
  { method: 'get', path: '/api/v2/users/', tag: 'users', summary: 'All users', query: schemas.ListQuery, response: list('users', schemas.User) },
  { method: 'get', path: '/api/v2/users/{id}/', tag: 'users', summary: 'One user', response: wrap('user', schemas.User) },
  { method: 'get', path: '/api/v2/users/{id}/groups/', tag: 'users', summary: "The user's groups (bare array)", response: z.array(schemas.GroupProfile) },
  { method: 'get', path: '/api/v2/users/{id}/resources/', tag: 'users', summary: "The user's resources the caller may view (bare array)", response: z.array(schemas.Resource) },
  { method: 'get', path: '/api/v2/groups/', tag: 'groups', summary: 'Public groups and the caller\'s own', query: schemas.ListQuery, response: list('group_profiles', schemas.GroupProfile) },
  { method: 'get', path: '/api/v2/groups/{id}/', tag: 'groups', summary: 'One group', response: wrap('group_profile', schemas.GroupProfile) },
  ...['members', 'managers'].map((action): Operation => ({ method: 'get', path: `/api/v2/groups/{id}/${action}/`, tag: 'groups', summary: `Group ${action} (bare array)`, response: z.array(schemas.User) })),
  { method: 'get', path: '/api/v2/groups/{id}/resources/', tag: 'groups', summary: "The group's resources the caller may view (bare array)", response: z.array(schemas.Resource) },
  { method: 'get', path: '/api/v2/uploads/', tag: 'uploads', summary: "The caller's uploads", query: schemas.ListQuery, response: list('uploads', schemas.Upload) },
  { method: 'get', path: '/api/v2/uploads/{id}/', tag: 'uploads', summary: 'One upload (?full=true adds layer and session)', response: wrap('upload', schemas.Upload) },
  { method: 'get', path: '/api/v2/upload-size-limits/', tag: 'uploads', summary: 'Upload size limits', query: schemas.ListQuery, response: list('upload-size-limits', schemas.UploadSizeLimit) },
  { method: 'post', path: '/api/v2/upload-size-limits/', tag: 'uploads', summary: 'Create a size limit (superuser/staff)', body: schemas.UploadSizeLimitRequest, response: wrap('upload-size-limit', schemas.UploadSizeLimit), status: 201 },
  { method: 'get', path: '/o/.well-known/openid-configuration', tag: 'auth', summary: 'OpenID Connect discovery document' },
  { method: 'get', path: '/o/.well-known/jwks.json', tag: 'auth', summary: 'Public keys that sign id_tokens' },
  { method: 'get', path: '/api/v2/upload-size-limits/{slug}/', tag: 'uploads', summary: 'One size limit', response: wrap('upload-size-limit', schemas.UploadSizeLimit) },
  ...['owners', 'categories', 'keywords', 'regions', 'tkeywords'].flatMap((name): Operation[] => [
    { method: 'get', path: `/api/v2/${name}/`, tag: 'lookups', summary: `List ${name}`, query: schemas.ListQuery, response: list(name, schemas.Lookup) },
    { method: 'get', path: `/api/v2/${name}/{id}/`, tag: 'lookups', summary: `One of ${name}`, response: wrap(name, schemas.Lookup) }
  ]),
  { method: 'post', path: '/o/token/', tag: 'auth', summary: 'OAuth2 password and refresh grants', body: schemas.TokenRequest, response: schemas.TokenResponse },
  { method: 'get', path: '/o/userinfo/', tag: 'auth', summary: 'OIDC user info (needs scope openid)', response: z.object({ sub: z.string() }) },
  { method: 'get', path: '/api/o/v4/userinfo', tag: 'auth', summary: 'GeoNode user info', response: z.looseObject({ sub: z.string(), preferred_username: z.string() }) },
  { method: 'post', path: '/account/login/', tag: 'auth', summary: 'Session sign-in (sets sessionid and csrftoken cookies)', body: schemas.LoginRequest, response: z.looseObject({ csrftoken: z.string() }) },
  { method: 'post', path: '/account/logout/', tag: 'auth', summary: 'Ends the session', status: 204 },
  { method: 'get', path: '/mapstore/rest/resources/', tag: 'mapstore', summary: 'MapStore map records the caller may view (bare array; ?full=true adds data and attributes)' },
  { method: 'post', path: '/mapstore/rest/resources/', tag: 'mapstore', summary: 'Create a map from a MapStore configuration (?full=true)', status: 201 },
  { method: 'get', path: '/mapstore/rest/resources/{id}/', tag: 'mapstore', summary: 'One MapStore map record' },
  { method: 'patch', path: '/mapstore/rest/resources/{id}/', tag: 'mapstore', summary: 'Update a map from a MapStore configuration (?full=true)' },
  { method: 'delete', path: '/mapstore/rest/resources/{id}/', tag: 'mapstore', summary: 'Delete the map', status: 204 },
  { method: 'get', path: '/mapstore/rest/users/', tag: 'mapstore', summary: 'Users (superuser/staff)' },
  { method: 'post', path: '/api/v2/uploads/upload/', tag: 'uploads', summary: 'Upload layer files (multipart: base_file, dbf_file, shx_file, prj_file, xml_file, sld_file, permissions, charset, layer_title, abstract); runs every step and answers the last reply (200), or 400 {"success": false, "errors": [...]}' },
  { method: 'put', path: '/api/v2/uploads/upload/', tag: 'uploads', summary: 'Upload layer files as GeoNode 3.2 did: 201 with the first step; the import goes on, poll /upload/final?id=' },
  { method: 'get', path: '/upload/final', tag: 'uploads', summary: 'The upload wizard\'s final step: finished, running, incomplete (needs a CRS) or error (?id=)' },
  { method: 'post', path: '/upload/srs', tag: 'uploads', summary: 'Supply the CRS (srs=EPSG:n) a WAITING upload needs; the import then runs on (?id=)' },
  { method: 'get', path: '/upload/progress', tag: 'uploads', summary: 'Progress of an import ({"state": "RUNNING", "progress": n, "total": 100} or {"state": "NONE"}) (?id=)' },
  { method: 'get', path: '/upload/delete/{id}', tag: 'uploads', summary: 'Delete an unfinished upload and its files' },
  { method: 'put', path: '/api/v2/layers/{id}/replace/', tag: 'layers', summary: 'Replace a layer\'s data (multipart as an upload); answers the layer', response: wrap('layer', schemas.Resource) },
  { method: 'get', path: '/documents/{id}/download', tag: 'documents', summary: 'The document\'s file (download permission)' },
  { method: 'get', path: '/uploaded/thumbs/{file}', tag: 'resources', summary: 'Thumbnail PNG of a layer or document' },
  { method: 'get', path: '/uploaded/{upload}/{name}', tag: 'uploads', summary: 'A file of an upload session (download permission on its layer)' },
  { method: 'get', path: '/api/v2/mapshelf/layers/{id}/features/', tag: 'mapshelf', summary: 'Extension: features of a vector layer in EPSG:4326 by bbox=minx,miny,maxx,maxy and limit (an even sample when more would match)' },
  { method: 'get', path: '/api/v2/mapshelf/layers/{id}/raster/', tag: 'mapshelf', summary: 'Extension: the GeoTIFF of a raster layer, with HTTP range requests' },
  { method: 'get', path: '/api/v2/mapshelf/layers/{id}/export/', tag: 'mapshelf', summary: 'Extension: every feature of a vector layer as format=geojson or format=gpkg (download permission)' },
  { method: 'get', path: '/api/v2/mapshelf/backup/', tag: 'mapshelf', summary: 'Extension (administrators): a consistent backup of the catalogue and its files, as a zip' },
  { method: 'post', path: '/api/v2/mapshelf/restore/', tag: 'mapshelf', summary: 'Extension (administrators): check a backup (multipart part "backup") and stage it; the next start switches to it, keeping the current folder' },
  { method: 'get', path: '/api/v2/mapshelf/resources/{id}/history/', tag: 'mapshelf', summary: 'Extension: the resource\'s history from the change log, newest first ({"history": [{seq, at, subject, op, version}]})' },
  { method: 'get', path: '/api/v2/mapshelf/resources/{id}/links/', tag: 'mapshelf', summary: 'Extension: every link GeoNode makes for the resource: the service, image and metadata links the API lists, and the data downloads, originals and page ({"links": [{extension, link_type, name, mime, url}]})' },
  { method: 'get', path: '/api/v2/mapshelf/uploads/{id}/crs/', tag: 'mapshelf', summary: 'Extension: for an upload waiting for its CRS, the range of its coordinates, whether they are degrees, and the CRSs it is probably in ({"extent", "degrees", "suggestions": [{epsg, name, reason}]})' },
  { method: 'get', path: '/api/v2/mapshelf/layers/{id}/data/', tag: 'mapshelf', summary: 'Extension: what a layer\'s data is: a vector layer\'s feature count, geometry type, CRS and first ten rows; a raster\'s size, bands (type, nodata, min, max, mean), resolution, CRS, overviews and file size' },
  { method: 'get', path: '/api/v2/mapshelf/version/', tag: 'mapshelf', summary: 'Extension: Mapshelf\'s own version beside the GeoNode release whose API it speaks ({"mapshelf", "geonode", "api"})' },
  { method: 'get', path: '/api/v2/mapshelf/resources/{id}/original/', tag: 'mapshelf', summary: 'Extension: the uploaded originals of a layer or document (one file, or a zip of several)' },
  { method: 'get', path: '/api/v2/mapshelf/sync/remotes/', tag: 'sync', summary: 'Extension (administrators): remote servers followed by sync, with their status (never their secrets)' },
  { method: 'post', path: '/api/v2/mapshelf/sync/remotes/', tag: 'sync', summary: 'Extension: add a remote {base_url, username, password | token, follow_types, follow_owners, follow_groups}', status: 201 },
  { method: 'patch', path: '/api/v2/mapshelf/sync/remotes/{id}/', tag: 'sync', summary: 'Extension: change a remote\'s credentials or what it follows' },
  { method: 'delete', path: '/api/v2/mapshelf/sync/remotes/{id}/', tag: 'sync', summary: 'Extension: forget a remote and its sync state', status: 204 },
  { method: 'get', path: '/api/v2/mapshelf/sync/remotes/{id}/status/', tag: 'sync', summary: 'Extension: phase, progress, pending changes, open conflicts, last result, unfinished run' },
  { method: 'post', path: '/api/v2/mapshelf/sync/remotes/{id}/start/', tag: 'sync', summary: 'Extension: start a sync in the background (?full=true also reconciles)', status: 202 },
  { method: 'post', path: '/api/v2/mapshelf/sync/remotes/{id}/cancel/', tag: 'sync', summary: 'Extension: stop a running sync at its next record (its state is kept)' },
  { method: 'get', path: '/api/v2/mapshelf/sync/remotes/{id}/conflicts/', tag: 'sync', summary: 'Extension: open conflicts with base, local and remote values' },
  { method: 'post', path: '/api/v2/mapshelf/sync/conflicts/{id}/resolve/', tag: 'sync', summary: 'Extension: resolve a conflict {choice: mine | theirs | edit, value}' },
  { method: 'get', path: '/api/v2/mapshelf/sync/offline/{id}/', tag: 'sync', summary: 'Extension: whether a layer from a remote is kept offline ({offline, data_pulled, remotes})' },
  { method: 'put', path: '/api/v2/mapshelf/sync/offline/{id}/', tag: 'sync', summary: 'Extension: keep a layer\'s data offline {offline: true} (downloaded at each sync where it changed), or stop' },
  { method: 'get', path: '/api/v2/mapshelf/sync/remotes/{id}/journal/', tag: 'sync', summary: 'Extension: what went where and why something failed, newest first (?limit=)' },
  { method: 'get', path: '/styles/{id}.sld', tag: 'styles', summary: 'Style body (SLD) of a layer style (extension)' },
  { method: 'get', path: '/version.txt', tag: 'root', summary: 'Server version' }
]

function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
    delete json.$schema
    return { name, in: 'query', required: false, description: (field as z.ZodType).description, schema: json }
  })
}

/** OpenAPI 3.1 document built from the shared zod schemas and the operation table. */
export function openApiDocument(version: string) {
  const registry = z.registry<{ id: string }>()
  for (const value of Object.values(schemas)) {
    const meta = value instanceof z.ZodType ? schemas.registry.get(value) : undefined
    if (meta) registry.add(value as z.ZodType, { id: meta.id })
  }
  const ref = (schema: z.ZodType, id: string) => {
    const known = registry.get(schema)?.id
    if (!known) registry.add(schema, { id })
    return { $ref: `#/components/schemas/${known ?? id}` }
  }
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of OPERATIONS) {
    const opId = `${op.method}${op.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`
    const params = [...(op.path.match(/\{(\w+)\}/g) ?? [])].map((p) => ({ name: p.slice(1, -1), in: 'path', required: true, schema: { type: 'string' } }))
    paths[op.path] ??= {}
    paths[op.path][op.method] = {
      operationId: opId,
      tags: [op.tag],
      summary: op.summary,
      parameters: [...params, ...(op.query ? queryParameters(op.query) : [])],
      ...(op.body
        ? { requestBody: { content: { 'application/json': { schema: ref(op.body, `${opId}_body`) }, 'application/x-www-form-urlencoded': { schema: ref(op.body, `${opId}_body`) } } } }
        : {}),
      responses: {
        [String(op.status ?? 200)]: { description: 'OK', ...(op.response ? { content: { 'application/json': { schema: ref(op.response, `${opId}_response`) } } } : {}) },
        '400': { description: 'Invalid input', content: { 'application/json': { schema: { $ref: '#/components/schemas/FieldErrors' } } } },
        '403': { description: 'Not allowed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '404': { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
      }
    }
  }
  const components = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }) as { schemas: Record<string, Record<string, unknown>> }
  for (const component of Object.values(components.schemas)) {
    delete component.$schema
    delete component.$id
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Mapshelf API (GeoNode REST API v2 compatible)', version },
    components: { schemas: components.schemas, securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ basic: [] }, { bearer: [] }, {}],
    paths
  }
}
