import type { FieldTable, RelationField, ScalarField } from './drest.kysely'

/**
 * What each endpoint's serializer exposes to filter{}, sort[] and search_fields, mapped to SQL.
 * Row aliases: r resources, l layers, m maps, d documents, a geoapps, u users, gp group_profiles,
 * up uploads; related rows are always `x`.
 */

const s = (expr: string): ScalarField => ({ kind: 'string', expr })
const i = (expr: string): ScalarField => ({ kind: 'int', expr })
const f = (expr: string): ScalarField => ({ kind: 'float', expr })
const b = (expr: string): ScalarField => ({ kind: 'bool', expr })
const dt = (expr: string): ScalarField => ({ kind: 'datetime', expr })
const key = (field: ScalarField): ScalarField => ({ ...field, unique: true })

/**
 * The user fields `/users` lets anyone filter, sort and search on: exactly what its representation
 * shows (no e-mail). Relations to users expose the same set, so a path through owner, poc or
 * metadata_author can never read more of a user than `/users` does.
 */
const userColumns = (alias: string) => ({
  pk: i(`${alias}.id`),
  id: i(`${alias}.id`),
  username: s(`${alias}.username`),
  first_name: s(`${alias}.first_name`),
  last_name: s(`${alias}.last_name`),
  is_superuser: b(`${alias}.is_superuser`),
  is_staff: b(`${alias}.is_staff`)
})

function userRelation(fk: string): RelationField {
  const fields = { ...userColumns('x'), pk: key(i('x.id')), id: key(i('x.id')), username: key(s('x.username')) }
  return { kind: 'relation', many: false, from: 'users x', link: `x.id = ${fk}`, pk: key(i('x.id')), fk, fields }
}

function codeListRelation(table: string, fk: string): RelationField {
  return {
    kind: 'relation',
    many: false,
    from: `${table} x`,
    link: `x.id = ${fk}`,
    pk: key(i('x.id')),
    fk,
    fields: { identifier: key(s('x.identifier')), gn_description: s('x.gn_description'), description: s('x.description') }
  }
}

const thesaurusFields = {
  'thesaurus.name': s('(SELECT t.title FROM thesauri t WHERE t.id = x.thesaurus_id)'),
  'thesaurus.slug': s('(SELECT t.identifier FROM thesauri t WHERE t.id = x.thesaurus_id)'),
  'thesaurus.uri': s('(SELECT t.uri FROM thesauri t WHERE t.id = x.thesaurus_id)')
}

const resourceBaseFields = {
  pk: i('r.id'),
  uuid: s('r.uuid'),
  resource_type: s('r.resource_type'),
  polymorphic_ctype_id: i(
    "CASE r.resource_type WHEN 'layer' THEN 59 WHEN 'map' THEN 62 WHEN 'document' THEN 60 WHEN 'geoapp' THEN 96 WHEN 'geostory' THEN 97 ELSE 98 END"
  ),
  owner: userRelation('r.owner_id'),
  poc: userRelation('r.poc_id'),
  metadata_author: userRelation('r.metadata_author_id'),
  keywords: {
    kind: 'relation',
    many: true,
    from: 'resource_keywords j JOIN keywords x ON x.id = j.keyword_id',
    link: 'j.resource_id = r.id',
    pk: i('x.id'),
    fields: { name: s('x.name'), slug: s('x.slug') }
  },
  tkeywords: {
    kind: 'relation',
    many: true,
    from: 'resource_tkeywords j JOIN thesaurus_keywords x ON x.id = j.tkeyword_id',
    link: 'j.resource_id = r.id',
    pk: i('x.id'),
    fields: { name: s('x.alt_label'), slug: s('x.slug'), uri: s('x.about'), ...thesaurusFields }
  },
  regions: {
    kind: 'relation',
    many: true,
    from: 'resource_regions j JOIN regions x ON x.id = j.region_id',
    link: 'j.resource_id = r.id',
    pk: i('x.id'),
    fields: { code: s('x.code'), name: s('x.name') }
  },
  category: codeListRelation('topic_categories', 'r.category_id'),
  license: codeListRelation('licenses', 'r.license_id'),
  restriction_code_type: codeListRelation('restriction_code_types', 'r.restriction_code_type_id'),
  spatial_representation_type: codeListRelation('spatial_representation_types', 'r.spatial_representation_type_id'),
  group: {
    kind: 'relation',
    many: false,
    from: 'auth_groups x',
    link: 'x.id = r.group_id',
    pk: key(i('x.id')),
    fk: 'r.group_id',
    fields: { name: key(s('x.name')) }
  },
  title: s('r.title'),
  abstract: s('r.abstract'),
  attribution: s('r.attribution'),
  doi: s('r.doi'),
  alternate: s('r.alternate'),
  srid: s('r.srid'),
  date: dt('r.date'),
  date_type: s('r.date_type'),
  edition: s('r.edition'),
  purpose: s('r.purpose'),
  maintenance_frequency: s('r.maintenance_frequency'),
  constraints_other: s('r.constraints_other'),
  language: s('r.language'),
  temporal_extent_start: dt('r.temporal_extent_start'),
  temporal_extent_end: dt('r.temporal_extent_end'),
  supplemental_information: s('r.supplemental_information'),
  data_quality_statement: s('r.data_quality_statement'),
  popular_count: i('r.popular_count'),
  share_count: i('r.share_count'),
  rating: i('r.rating'),
  featured: b('r.featured'),
  is_published: b('r.is_published'),
  is_approved: b('r.is_approved'),
  thumbnail_url: s('r.thumbnail_url'),
  created: dt('r.created'),
  last_updated: dt('r.last_updated'),
  metadata_only: b('r.metadata_only'),
  processed: b('r.processed')
} satisfies FieldTable['fields']

const resourceRepresentationOnly = [
  'perms', 'bbox_polygon', 'll_bbox_polygon', 'detail_url', 'embed_url', 'raw_abstract', 'raw_purpose',
  'raw_constraints_other', 'raw_supplemental_information', 'raw_data_quality_statement', 'link', 'favorite', 'links'
] as const

export const resourceFields: FieldTable = {
  serializer: 'resource',
  fields: resourceBaseFields,
  representationOnly: resourceRepresentationOnly,
  deferred: ['metadata']
}

export const layerFields: FieldTable = {
  serializer: 'layer',
  fields: {
    ...resourceBaseFields,
    name: s('l.name'),
    workspace: s('l.workspace'),
    store: s('l.store'),
    storeType: s('l.store_type'),
    charset: s('l.charset'),
    is_mosaic: b('l.is_mosaic'),
    has_time: b('l.has_time'),
    has_elevation: b('l.has_elevation'),
    time_regex: s('l.time_regex'),
    elevation_regex: s('l.elevation_regex'),
    use_featureinfo_custom_template: b('l.use_featureinfo_custom_template'),
    featureinfo_custom_template: s('l.featureinfo_custom_template'),
    ptype: s('l.ptype'),
    upload_session: i('l.upload_session_id'),
    default_style: {
      kind: 'relation',
      many: false,
      from: 'styles x',
      link: 'x.id = l.default_style_id',
      pk: i('x.id'),
      fk: 'l.default_style_id',
      fields: { name: s('x.name'), workspace: s('x.workspace'), sld_title: s('x.sld_title') }
    },
    styles: {
      kind: 'relation',
      many: true,
      from: 'layer_styles j JOIN styles x ON x.id = j.style_id',
      link: 'j.layer_id = l.resource_id',
      pk: i('x.id'),
      fields: { name: s('x.name'), workspace: s('x.workspace'), sld_title: s('x.sld_title') }
    },
    attribute_set: {
      kind: 'relation',
      many: true,
      from: 'layer_attributes x',
      link: 'x.layer_id = l.resource_id',
      pk: i('x.id'),
      fields: {
        attribute: s('x.attribute'),
        attribute_label: s('x.attribute_label'),
        attribute_type: s('x.attribute_type'),
        description: s('x.description'),
        visible: b('x.visible'),
        display_order: i('x.display_order')
      }
    }
  },
  representationOnly: [...resourceRepresentationOnly, 'ows_url']
}

const mapExtras = {
  zoom: i('m.zoom'),
  projection: s('m.projection'),
  center_x: f('m.center_x'),
  center_y: f('m.center_y'),
  urlsuffix: s('m.urlsuffix'),
  featuredurl: s('m.featuredurl')
}

export const mapFields: FieldTable = {
  serializer: 'map',
  fields: { ...resourceBaseFields, ...mapExtras },
  representationOnly: resourceRepresentationOnly
}

export const documentFields: FieldTable = {
  serializer: 'document',
  fields: {
    ...resourceBaseFields,
    name: s('r.title'),
    doc_type: s('d.doc_type'),
    extension: s('d.extension'),
    mime_type: s('d.mime_type')
  },
  representationOnly: [...resourceRepresentationOnly, 'href']
}

const appExtras = {
  name: s('a.name'),
  zoom: i('a.zoom'),
  projection: s('a.projection'),
  center_x: f('a.center_x'),
  center_y: f('a.center_y'),
  urlsuffix: s('a.urlsuffix')
}

export const geoappFields: FieldTable = {
  serializer: 'geoapp',
  fields: { ...resourceBaseFields, ...appExtras },
  representationOnly: resourceRepresentationOnly,
  deferred: ['data']
}

export const geostoryFields: FieldTable = {
  serializer: 'geostory',
  fields: { ...resourceBaseFields, ...appExtras, app_type: s('a.app_type') },
  representationOnly: resourceRepresentationOnly,
  deferred: ['data']
}

export const userTable: FieldTable = {
  serializer: 'user',
  fields: userColumns('u'),
  representationOnly: ['avatar', 'perms', 'link'],
  defaultSearch: ['username', 'first_name', 'last_name']
}

export const ownerTable: FieldTable = {
  serializer: 'owners',
  fields: userColumns('x'),
  representationOnly: ['avatar', 'perms', 'count', 'link'],
  defaultSearch: ['username', 'first_name', 'last_name']
}

export const groupTable: FieldTable = {
  serializer: 'group_profile',
  fields: {
    pk: i('gp.id'),
    id: i('gp.id'),
    title: s('gp.title'),
    slug: s('gp.slug'),
    description: s('gp.description'),
    email: s('gp.email'),
    access: s('gp.access'),
    logo: s('gp.logo'),
    group: {
      kind: 'relation',
      many: false,
      from: 'auth_groups x',
      link: 'x.id = gp.group_id',
      pk: i('x.id'),
      fk: 'gp.group_id',
      fields: { name: s('x.name') }
    },
    categories: {
      kind: 'relation',
      many: true,
      from: 'group_profile_categories j JOIN group_categories x ON x.id = j.category_id',
      link: 'j.group_profile_id = gp.id',
      pk: s('x.slug'),
      fields: { slug: s('x.slug'), name: s('x.name') }
    },
    keywords: {
      kind: 'relation',
      many: true,
      from: 'group_profile_keywords j JOIN keywords x ON x.id = j.keyword_id',
      link: 'j.group_profile_id = gp.id',
      pk: s('x.slug'),
      fields: { slug: s('x.slug'), name: s('x.name') }
    }
  },
  representationOnly: ['link'],
  defaultSearch: ['title', 'slug', 'description']
}

export const uploadTable: FieldTable = {
  serializer: 'upload',
  fields: {
    id: i('up.id'),
    pk: i('up.id'),
    name: s('up.name'),
    date: dt('up.date'),
    create_date: dt('up.create_date'),
    user: i('up.user_id'),
    state: s('up.state'),
    complete: b('up.complete'),
    import_id: i('up.import_id')
  },
  representationOnly: ['progress', 'uploadfile_set', 'resume_url', 'delete_url', 'import_url', 'detail_url', 'link', 'layer', 'session'],
  defaultSearch: ['name']
}

export const uploadSizeLimitTable: FieldTable = {
  serializer: 'upload-size-limit',
  fields: { slug: s('x.slug'), pk: s('x.slug'), description: s('x.description'), max_size: i('x.max_size') },
  representationOnly: ['max_size_label', 'link'],
  defaultSearch: ['slug', 'description']
}

export const categoryTable: FieldTable = {
  serializer: 'categories',
  fields: {
    id: i('x.id'),
    pk: i('x.id'),
    identifier: s('x.identifier'),
    description: s('x.description'),
    gn_description: s('x.gn_description'),
    is_choice: b('x.is_choice'),
    fa_class: s('x.fa_class')
  },
  representationOnly: ['count', 'link', 'description_en', 'gn_description_en'],
  defaultSearch: ['identifier', 'gn_description', 'description']
}

export const keywordTable: FieldTable = {
  serializer: 'keywords',
  fields: {
    id: i('x.id'),
    pk: i('x.id'),
    name: s('x.name'),
    slug: s('x.slug'),
    path: s('x.path'),
    depth: i('x.depth'),
    numchild: i('x.numchild')
  },
  representationOnly: ['count', 'link'],
  defaultSearch: ['name', 'slug']
}

export const regionTable: FieldTable = {
  serializer: 'regions',
  fields: {
    id: i('x.id'),
    pk: i('x.id'),
    code: s('x.code'),
    name: s('x.name'),
    parent: i('x.parent_id'),
    bbox_x0: f('x.bbox_x0'),
    bbox_x1: f('x.bbox_x1'),
    bbox_y0: f('x.bbox_y0'),
    bbox_y1: f('x.bbox_y1'),
    srid: s('x.srid'),
    lft: i('x.lft'),
    rght: i('x.rght'),
    tree_id: i('x.tree_id'),
    level: i('x.level')
  },
  representationOnly: ['count', 'link', 'name_en'],
  defaultSearch: ['name', 'code']
}

export const tkeywordTable: FieldTable = {
  serializer: 'tkeywords',
  fields: {
    id: i('x.id'),
    pk: i('x.id'),
    name: s('x.alt_label'),
    slug: s('x.slug'),
    uri: s('x.about'),
    ...thesaurusFields
  },
  representationOnly: ['thesaurus', 'i18n'],
  defaultSearch: ['name', 'slug', 'uri']
}
