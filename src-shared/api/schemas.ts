import { z } from 'zod'

/**
 * Zod schemas of the API: requests are validated with them and /api/v2/schema/ is generated from
 * them, so the document cannot drift from what the server checks. Each schema carries an `id`
 * (its OpenAPI component name).
 */

export const registry = z.registry<{ id: string; description?: string }>()

const integerString = z.string().regex(/^\s*[+-]?\d+\s*$/, 'A valid integer is required.')
const stringOrList = z.union([z.string(), z.array(z.string())])

export const ListQuery = z
  .looseObject({
    page: integerString.optional().describe('1-based page number (default 1).'),
    page_size: integerString.optional().describe('Items per page (default 10, at most 10,000; 0 or less gives the default, as GeoNode 3.3 does).'),
    search: z.string().optional().describe('Free-text search; with search_fields, DRF SearchFilter semantics.'),
    search_fields: stringOrList.optional().describe('Fields `search` applies to (`title`, `^title`, `owner__username`...).'),
    'sort[]': stringOrList.optional().describe('Sort field, `-` prefix for descending; repeatable.'),
    ordering: z.string().optional().describe('Comma-separated sort fields (same names as sort[]).'),
    'include[]': stringOrList.optional().describe('Add a deferred field (`data`, `metadata`).'),
    'exclude[]': stringOrList.optional().describe('Remove a field; `*` removes all, include[] re-adds.'),
    extent: z.string().optional().describe('minx,miny,maxx,maxy in EPSG:4326 (8 numbers = two boxes).'),
    favorite: z.string().optional().describe('Only the caller\'s favourites (resources).')
  })
  .describe('Common list parameters; DREST filters are sent as `filter{field.op}=value` keys.')
registry.add(ListQuery, { id: 'ListQuery' })

export const TokenRequest = z
  .object({
    grant_type: z.enum(['password', 'refresh_token'], { error: 'Unsupported grant type.' }),
    username: z.string().optional(),
    password: z.string().optional(),
    refresh_token: z.string().optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional()
  })
  .describe('OAuth2 token request (form or JSON).')
registry.add(TokenRequest, { id: 'TokenRequest' })

export const LoginRequest = z
  .object({ username: z.string().min(1, 'This field is required.'), password: z.string().min(1, 'This field is required.') })
  .describe('Session sign-in.')
registry.add(LoginRequest, { id: 'LoginRequest' })

export const TokenResponse = z.object({
  access_token: z.string(),
  expires_in: z.number().int(),
  token_type: z.literal('Bearer'),
  scope: z.string(),
  refresh_token: z.string()
})
registry.add(TokenResponse, { id: 'TokenResponse' })

export const ErrorBody = z.object({ detail: z.string() }).describe('401/403/404/405 body.')
registry.add(ErrorBody, { id: 'Error' })

export const FieldErrors = z.record(z.string(), z.array(z.string())).describe('400 body: field name -> messages.')
registry.add(FieldErrors, { id: 'FieldErrors' })

const geometry = z.object({ type: z.string(), coordinates: z.unknown() }).nullable()
const identifier = z.object({ identifier: z.string() }).nullable()

export const User = z.object({
  pk: z.number().int(),
  username: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  avatar: z.string(),
  perms: z.array(z.string()),
  is_superuser: z.boolean(),
  is_staff: z.boolean(),
  link: z.string()
})
registry.add(User, { id: 'User' })

export const Resource = z.looseObject({
  pk: z.string().describe('Integer id rendered as a string, as GeoNode does.'),
  uuid: z.string(),
  resource_type: z.string(),
  polymorphic_ctype_id: z.string(),
  perms: z.array(z.string()),
  owner: User,
  poc: User,
  metadata_author: User,
  keywords: z.array(z.object({ name: z.string(), slug: z.string() })),
  tkeywords: z.array(
    z.object({
      name: z.string(),
      slug: z.string(),
      uri: z.string(),
      thesaurus: z.object({ name: z.string(), slug: z.string(), uri: z.string() }),
      i18n: z.record(z.string(), z.string())
    })
  ),
  regions: z.array(z.object({ code: z.string(), name: z.string() })),
  category: identifier,
  title: z.string(),
  abstract: z.string(),
  attribution: z.string().nullable(),
  doi: z.string().nullable(),
  alternate: z.string().nullable(),
  bbox_polygon: geometry,
  ll_bbox_polygon: geometry,
  srid: z.string(),
  date: z.string(),
  date_type: z.string(),
  edition: z.string().nullable(),
  purpose: z.string().nullable(),
  maintenance_frequency: z.string().nullable(),
  restriction_code_type: identifier,
  constraints_other: z.string().nullable(),
  license: identifier,
  language: z.string(),
  spatial_representation_type: identifier,
  temporal_extent_start: z.string().nullable(),
  temporal_extent_end: z.string().nullable(),
  supplemental_information: z.string(),
  data_quality_statement: z.string().nullable(),
  group: z.object({ pk: z.number().int(), name: z.string() }).nullable(),
  popular_count: z.string(),
  share_count: z.string(),
  rating: z.string(),
  featured: z.boolean(),
  is_published: z.boolean(),
  is_approved: z.boolean(),
  detail_url: z.string().nullable(),
  embed_url: z.string(),
  created: z.string(),
  last_updated: z.string(),
  raw_abstract: z.string(),
  raw_purpose: z.string(),
  raw_constraints_other: z.string(),
  raw_supplemental_information: z.string(),
  raw_data_quality_statement: z.string(),
  metadata_only: z.boolean(),
  processed: z.boolean(),
  thumbnail_url: z.string().nullable(),
  link: z.string(),
  favorite: z.boolean().optional().describe('Only for authenticated callers.'),
  links: z
    .array(z.object({ extension: z.string(), link_type: z.string(), name: z.string(), mime: z.string(), url: z.string() }))
    .describe("GeoNode's service (OGC:WMS, OGC:WFS, OGC:WCS), image and metadata links; every resource has its catalogue records' metadata links.")
})
registry.add(Resource, { id: 'Resource' })

export const MapLayer = z.object({
  pk: z.number().int(),
  name: z.string().nullable(),
  store: z.string().nullable(),
  stack_order: z.number().int(),
  format: z.string().nullable(),
  opacity: z.number(),
  styles: z.string(),
  transparent: z.boolean(),
  fixed: z.boolean(),
  group: z.string().nullable(),
  visibility: z.boolean(),
  ows_url: z.string().nullable(),
  layer_params: z.string(),
  source_params: z.string(),
  local: z.boolean()
})
registry.add(MapLayer, { id: 'MapLayer' })

export const GroupProfile = z.object({
  pk: z.number().int(),
  title: z.string(),
  group: z.object({ pk: z.number().int(), name: z.string() }),
  slug: z.string(),
  logo: z.string().nullable(),
  description: z.string(),
  email: z.string().nullable(),
  keywords: z.array(z.string()),
  access: z.enum(['public', 'public-invite', 'private']),
  categories: z.array(z.string()),
  link: z.string()
})
registry.add(GroupProfile, { id: 'GroupProfile' })

export const Upload = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  date: z.string(),
  create_date: z.string(),
  user: z.number().int().nullable(),
  state: z.string(),
  progress: z.number().nullable(),
  complete: z.boolean(),
  import_id: z.number().int().nullable(),
  uploadfile_set: z.array(z.object({ pk: z.number().int(), name: z.string(), slug: z.string(), base: z.boolean(), file: z.string() })),
  resume_url: z.string().nullable(),
  delete_url: z.string().nullable(),
  import_url: z.string().nullable(),
  detail_url: z.string().nullable(),
  link: z.string()
})
registry.add(Upload, { id: 'Upload' })

export const UploadSizeLimit = z.object({
  slug: z.string(),
  description: z.string().nullable(),
  max_size: z.number().int(),
  max_size_label: z.string(),
  link: z.string()
})
registry.add(UploadSizeLimit, { id: 'UploadSizeLimit' })

export const UploadSizeLimitRequest = z.object({
  slug: z
    .string({ error: 'This field is required.' })
    .min(3, 'Ensure this field has at least 3 characters.')
    .max(255, 'Ensure this field has no more than 255 characters.')
    .regex(/^[-a-zA-Z0-9_]+$/, 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
  description: z.string().max(255, 'Ensure this field has no more than 255 characters.').nullable().optional(),
  max_size: z.number({ error: 'A valid integer is required.' }).int('A valid integer is required.').min(0, 'Ensure this value is greater than or equal to 0.').max(Number.MAX_SAFE_INTEGER).optional()
})
registry.add(UploadSizeLimitRequest, { id: 'UploadSizeLimitRequest' })

const codenameLists = z.record(
  z.string().max(150, 'Ensure names have no more than 150 characters.'),
  z.array(z.string().max(100), { error: 'Expected a list of permission codenames.' }).max(50)
)

export const PermSpecRequest = z
  .object({
    users: codenameLists.optional(),
    groups: codenameLists.optional()
  })
  .strict()
  .describe('set_perms body: usernames and group names to codename lists; replaces every grant.')
registry.add(PermSpecRequest, { id: 'PermSpecRequest' })

/** ISO 19115 MD_MaintenanceFrequencyCode values GeoNode offers. */
export const MAINTENANCE_FREQUENCIES = [
  'unknown', 'continual', 'daily', 'weekly', 'fortnightly', 'monthly', 'quarterly', 'biannually', 'annually',
  'asNeeded', 'irregular', 'notPlanned'
] as const

const text = (max: number) => z.string({ error: 'Not a valid string.' }).max(max, `Ensure this field has no more than ${max} characters.`)
const isoDatetime = z
  .string({ error: 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].' })
  .regex(
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
    'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'
  )
const counter = z.union([z.number().int().min(0), z.string().regex(/^\d{1,12}$/)], { error: 'A valid integer is required.' })
/** A related row named by what users see (identifier, name, username) or by its pk. */
const reference = z.union([z.number().int(), text(255), z.looseObject({})], { error: 'Expected a name, an identifier or a pk.' })
const polygon = z.object(
  {
    type: z.literal('Polygon', { error: 'Expected a GeoJSON Polygon.' }),
    coordinates: z.array(z.array(z.tuple([z.number(), z.number()]).rest(z.number())).min(1)).min(1)
  },
  { error: 'Expected a GeoJSON Polygon.' }
)

/** The deepest a JSON value sent to the API may nest its objects and arrays. */
export const MAX_JSON_DEPTH = 100

/**
 * Whether the objects and arrays of a JSON value nest at most `max` levels deep. Counted without
 * recursion, so a value of any depth can be tested; JSON text is parsed first (text that is not
 * JSON passes: whether it must be JSON is for the field to say).
 *
 * @example jsonDepthWithin({ a: [1] }, 2) // true; jsonDepthWithin('[[[]]]', 2) // false
 */
export function jsonDepthWithin(value: unknown, max: number): boolean {
  let root = value
  if (typeof value === 'string') {
    try {
      root = JSON.parse(value)
    } catch {
      return true
    }
  }
  const pending: [unknown, number][] = [[root, 1]]
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!
    if (node === null || typeof node !== 'object') continue
    if (depth > max) return false
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') pending.push([child, depth + 1])
  }
  return true
}

/** A JSON value (or its text) of at most MAX_JSON_DEPTH levels: deeper ones could not be stored and served back. */
function shallowJson<T extends z.ZodType>(schema: T) {
  return schema.refine((value) => jsonDepthWithin(value, MAX_JSON_DEPTH), { error: `Ensure this value nests objects and arrays no more than ${MAX_JSON_DEPTH} levels deep.` })
}

/** Whether `value` is an absolute http or https URL: the only kind the catalogue stores, serves as a link, or fetches. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

/**
 * A URL-valued field: http(s) only. `javascript:` and `data:` URLs would run or render in whatever
 * shows the link, and other schemes have nothing to do in a catalogue.
 */
const httpUrl = z
  .string({ error: 'Enter a valid URL.' })
  .max(2048, 'Ensure this field has no more than 2048 characters.')
  .refine(isHttpUrl, { error: 'Enter a valid URL starting with http:// or https://.' })
/** The same, where an empty string means none. */
const httpUrlOrBlank = z.union([z.literal(''), httpUrl], { error: 'Enter a valid URL starting with http:// or https://.' })

const jsonText = shallowJson(z.union([z.string().max(20000), z.looseObject({})], { error: 'Expected a JSON object or its text.' }))

export const MapLayerWrite = z
  .object({
    dataset: z.union([z.number().int(), z.string().regex(/^\d+$/)], { error: 'Expected the pk of a catalogue layer.' }).nullable().optional(),
    name: text(255).nullable().optional(),
    store: text(255).nullable().optional(),
    stack_order: z.number().int().min(0).optional(),
    format: text(200).nullable().optional(),
    opacity: z.number().min(0, 'Ensure this value is between 0 and 1.').max(1, 'Ensure this value is between 0 and 1.').optional(),
    styles: text(1024).optional(),
    transparent: z.boolean().optional(),
    fixed: z.boolean().optional(),
    group: text(255).nullable().optional(),
    visibility: z.boolean().optional(),
    ows_url: httpUrl.nullable().optional(),
    layer_params: jsonText.optional(),
    source_params: jsonText.optional()
  })
  .refine((l) => l.dataset != null || l.name || l.ows_url, { error: 'Each map layer needs a catalogue layer (dataset), a name or an ows_url.' })
registry.add(MapLayerWrite, { id: 'MapLayerWrite' })

export const ResourceUpdate = z
  .looseObject({
    title: text(255).min(1, 'This field may not be blank.'),
    abstract: text(20000),
    purpose: text(20000).nullable(),
    attribution: text(2048).nullable(),
    doi: text(255).nullable(),
    date: isoDatetime,
    date_type: z.enum(['creation', 'publication', 'revision'], { error: 'Expected creation, publication or revision.' }),
    edition: text(255).nullable(),
    maintenance_frequency: z.enum(MAINTENANCE_FREQUENCIES, { error: 'Not a valid ISO maintenance frequency.' }).nullable(),
    constraints_other: text(20000).nullable(),
    language: z.string().regex(/^[a-z]{3}$/, 'Expected an ISO 639-2 code such as "eng".'),
    temporal_extent_start: isoDatetime.nullable(),
    temporal_extent_end: isoDatetime.nullable(),
    supplemental_information: text(20000),
    data_quality_statement: text(20000).nullable(),
    srid: z.string().regex(/^(EPSG:)?\d{4,6}$/, 'Expected an EPSG code such as "EPSG:4326".'),
    bbox_polygon: polygon.nullable(),
    ll_bbox_polygon: polygon.nullable(),
    popular_count: counter,
    share_count: counter,
    rating: counter,
    featured: z.boolean({ error: 'Must be a valid boolean.' }),
    is_published: z.boolean({ error: 'Must be a valid boolean.' }),
    is_approved: z.boolean({ error: 'Must be a valid boolean.' }),
    metadata_only: z.boolean({ error: 'Must be a valid boolean.' }),
    thumbnail_url: httpUrlOrBlank.nullable(),
    category: reference.nullable(),
    license: reference.nullable(),
    restriction_code_type: reference.nullable(),
    spatial_representation_type: reference.nullable(),
    group: reference.nullable(),
    owner: reference,
    poc: reference.nullable(),
    metadata_author: reference.nullable(),
    keywords: z.array(reference, { error: "'keywords' value must be a list" }).max(500),
    tkeywords: z.array(reference, { error: "'tkeywords' value must be a list" }).max(500),
    regions: z.array(reference, { error: "'regions' value must be a list" }).max(500),
    // Layers
    is_mosaic: z.boolean(),
    has_time: z.boolean(),
    has_elevation: z.boolean(),
    time_regex: text(128).nullable(),
    elevation_regex: text(128).nullable(),
    use_featureinfo_custom_template: z.boolean(),
    featureinfo_custom_template: text(20000).nullable(),
    // Maps
    zoom: z.number().int().min(0).max(30),
    projection: text(32),
    center_x: z.number(),
    center_y: z.number(),
    urlsuffix: text(255).nullable(),
    featuredurl: text(255),
    layers: z.array(MapLayerWrite, { error: "'layers' value must be a list" }).max(500),
    // Geoapps and geostories: the app's JSON blob (an object, or JSON text as MapStore sends it)
    name: text(255).min(1, 'This field may not be blank.'),
    data: shallowJson(z.unknown()),
    blob: shallowJson(z.unknown()),
    app_type: text(255),
    // Documents
    doc_url: httpUrl,
    // Creating through /resources: the family of the new resource
    resource_type: z.enum(['layer', 'map', 'document', 'geoapp', 'geostory'], { error: 'Expected layer, map, document, geoapp or geostory.' })
  })
  .partial()
  .describe('PATCH body of a resource; PUT additionally needs title and abstract. Read-only fields are ignored.')
registry.add(ResourceUpdate, { id: 'ResourceUpdate' })

export const UserWrite = z
  .looseObject({
    username: z
      .string({ error: 'This field is required.' })
      .min(1, 'This field may not be blank.')
      .max(150, 'Ensure this field has no more than 150 characters.')
      .regex(/^[\w.@+-]+$/u, 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'),
    first_name: text(150),
    last_name: text(150),
    email: z.union([z.literal(''), z.email('Enter a valid email address.').max(254)]),
    is_superuser: z.boolean({ error: 'Must be a valid boolean.' }),
    is_staff: z.boolean({ error: 'Must be a valid boolean.' }),
    is_active: z.boolean({ error: 'Must be a valid boolean.' }),
    password: z.string().min(8, 'Ensure this field has at least 8 characters.').max(4096)
  })
  .partial()
  .describe('User fields a superuser may set; `password` is stored as a salted scrypt hash and never shown.')
registry.add(UserWrite, { id: 'UserWrite' })

export const GroupWrite = z
  .looseObject({
    title: text(255).min(1, 'This field may not be blank.'),
    slug: z.string().min(1).max(255).regex(/^[-a-zA-Z0-9_]+$/, 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    description: text(20000),
    email: z.union([z.literal(''), z.email('Enter a valid email address.').max(254)]).nullable(),
    access: z.enum(['public', 'public-invite', 'private'], { error: 'Expected public, public-invite or private.' }),
    logo: httpUrlOrBlank.nullable(),
    categories: z.array(text(255), { error: 'Expected a list of category slugs.' }).max(100)
  })
  .partial()
  .describe('Group profile fields; the Django group is created with the slug as its name.')
registry.add(GroupWrite, { id: 'GroupWrite' })

export const MembershipRequest = z
  .object({
    users: z
      .array(z.union([z.number().int(), text(150)]), { error: 'Expected a list of usernames or user pks.' })
      .min(1, 'Name at least one user.')
      .max(1000)
  })
  .strict()
  .describe('Users to add to (POST) or remove from (DELETE) a group, as members or managers.')
registry.add(MembershipRequest, { id: 'MembershipRequest' })

export const MessageBody = z.object({ message: z.string() })
registry.add(MessageBody, { id: 'Message' })

export const PermSpec = z.object({
  users: z.record(z.string(), z.array(z.string())),
  groups: z.record(z.string(), z.array(z.string()))
})
registry.add(PermSpec, { id: 'PermSpec' })

export const Lookup = z.looseObject({ count: z.number().int().optional(), link: z.string().optional() })
registry.add(Lookup, { id: 'Lookup' })

/** A list envelope: exactly links, total, page, page_size and the family's plural key. */
export function envelopeOf(key: string, item: z.ZodType) {
  return z.object({
    links: z.object({ next: z.string().nullable(), previous: z.string().nullable() }),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    [key]: z.array(item)
  })
}
