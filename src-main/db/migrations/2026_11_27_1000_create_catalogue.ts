import { type CreateTableBuilder, type Kysely, sql } from 'kysely'

// Frozen in time: this file never imports app code and never changes once shipped.

const NOW = sql`(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))`

function rowMeta<T extends string>(table: CreateTableBuilder<T, never>) {
  return table
    .addColumn('created', 'text', (c) => c.notNull().defaultTo(NOW))
    .addColumn('last_updated', 'text', (c) => c.notNull().defaultTo(NOW))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
}

/** Tables whose rows the change log follows: the columns that name a row, and whether it has a uuid. */
const TRACKED: Record<string, [key: string[], hasUuid: boolean]> = {
  users: [['id'], true],
  auth_groups: [['id'], false],
  group_profiles: [['id'], true],
  group_members: [['group_id', 'user_id'], false],
  group_categories: [['id'], false],
  group_profile_categories: [['group_profile_id', 'category_id'], false],
  group_profile_keywords: [['group_profile_id', 'keyword_id'], false],
  topic_categories: [['id'], false],
  licenses: [['id'], false],
  restriction_code_types: [['id'], false],
  spatial_representation_types: [['id'], false],
  regions: [['id'], false],
  keywords: [['id'], false],
  thesauri: [['id'], false],
  thesaurus_keywords: [['id'], false],
  thesaurus_keyword_labels: [['id'], false],
  resources: [['id'], true],
  resource_keywords: [['resource_id', 'keyword_id'], false],
  resource_tkeywords: [['resource_id', 'tkeyword_id'], false],
  resource_regions: [['resource_id', 'region_id'], false],
  resource_links: [['id'], false],
  resource_extra_metadata: [['id'], false],
  resource_user_perms: [['resource_id', 'user_id', 'codename'], false],
  resource_group_perms: [['resource_id', 'group_id', 'codename'], false],
  favorites: [['user_id', 'resource_id'], false],
  styles: [['id'], false],
  layers: [['resource_id'], false],
  layer_styles: [['layer_id', 'style_id'], false],
  layer_attributes: [['id'], false],
  maps: [['resource_id'], false],
  map_layers: [['id'], true],
  documents: [['resource_id'], false],
  document_links: [['document_id', 'resource_id'], false],
  geoapps: [['resource_id'], false],
  uploads: [['id'], true],
  upload_files: [['id'], false],
  upload_size_limits: [['slug'], false]
}

export async function up(db: Kysely<any>): Promise<void> {
  await rowMeta(
    db.schema
      .createTable('users')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('first_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('last_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('password_hash', 'text')
      .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_staff', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('date_joined', 'text', (c) => c.notNull().defaultTo(NOW))
      .addColumn('last_login', 'text')
      .addColumn('avatar', 'text')
      .addColumn('organization', 'text')
      .addColumn('profile', 'text')
      .addColumn('position', 'text')
      .addColumn('voice', 'text')
      .addColumn('fax', 'text')
      .addColumn('delivery', 'text')
      .addColumn('city', 'text')
      .addColumn('area', 'text')
      .addColumn('zipcode', 'text')
      .addColumn('country', 'text')
      .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
      .addColumn('timezone', 'text', (c) => c.notNull().defaultTo(''))
  ).execute()

  await rowMeta(
    db.schema
      .createTable('auth_groups')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
  ).execute()

  await rowMeta(
    db.schema
      .createTable('group_profiles')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('group_id', 'integer', (c) => c.notNull().unique().references('auth_groups.id').onDelete('cascade'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('logo', 'text')
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('email', 'text')
      .addColumn('access', 'text', (c) => c.notNull().defaultTo('public').check(sql`access in ('public', 'public-invite', 'private')`))
  ).execute()

  await rowMeta(
    db.schema
      .createTable('group_members')
      .addColumn('group_id', 'integer', (c) => c.notNull().references('auth_groups.id').onDelete('cascade'))
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('member').check(sql`role in ('member', 'manager')`))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
  ).execute()
  await db.schema.createIndex('group_members_user').on('group_members').columns(['user_id', 'group_id']).execute()

  await rowMeta(
    db.schema
      .createTable('group_categories')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
  ).execute()

  for (const name of ['topic_categories', 'restriction_code_types', 'spatial_representation_types']) {
    await rowMeta(
      db.schema
        .createTable(name)
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('identifier', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('gn_description', 'text')
        .addColumn('is_choice', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('fa_class', 'text', (c) => c.notNull().defaultTo('fa-times'))
    ).execute()
  }

  await rowMeta(
    db.schema
      .createTable('licenses')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('identifier', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('abbreviation', 'text')
      .addColumn('description', 'text')
      .addColumn('url', 'text')
      .addColumn('license_text', 'text')
  ).execute()

  await rowMeta(
    db.schema
      .createTable('regions')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('code', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'integer', (c) => c.references('regions.id').onDelete('set null'))
      .addColumn('bbox_x0', 'real')
      .addColumn('bbox_x1', 'real')
      .addColumn('bbox_y0', 'real')
      .addColumn('bbox_y1', 'real')
      .addColumn('srid', 'text', (c) => c.notNull().defaultTo('EPSG:4326'))
      .addColumn('lft', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rght', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('tree_id', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('level', 'integer', (c) => c.notNull().defaultTo(0))
  ).execute()

  await rowMeta(
    db.schema
      .createTable('keywords')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('path', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('numchild', 'integer', (c) => c.notNull().defaultTo(0))
  ).execute()
  await db.schema.createIndex('keywords_name').on('keywords').column('name').execute()

  await rowMeta(
    db.schema
      .createTable('group_profile_categories')
      .addColumn('group_profile_id', 'integer', (c) => c.notNull().references('group_profiles.id').onDelete('cascade'))
      .addColumn('category_id', 'integer', (c) => c.notNull().references('group_categories.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_profile_categories_pk', ['group_profile_id', 'category_id'])
  ).execute()

  await rowMeta(
    db.schema
      .createTable('group_profile_keywords')
      .addColumn('group_profile_id', 'integer', (c) => c.notNull().references('group_profiles.id').onDelete('cascade'))
      .addColumn('keyword_id', 'integer', (c) => c.notNull().references('keywords.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_profile_keywords_pk', ['group_profile_id', 'keyword_id'])
  ).execute()

  await rowMeta(
    db.schema
      .createTable('thesauri')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('identifier', 'text', (c) => c.notNull().unique())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('uri', 'text', (c) => c.notNull().defaultTo(''))
  ).execute()

  await rowMeta(
    db.schema
      .createTable('thesaurus_keywords')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('thesaurus_id', 'integer', (c) => c.notNull().references('thesauri.id').onDelete('cascade'))
      .addColumn('about', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('alt_label', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('slug', 'text', (c) => c.notNull().unique())
  ).execute()

  await rowMeta(
    db.schema
      .createTable('thesaurus_keyword_labels')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('keyword_id', 'integer', (c) => c.notNull().references('thesaurus_keywords.id').onDelete('cascade'))
      .addColumn('lang', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addUniqueConstraint('thesaurus_keyword_labels_unique', ['keyword_id', 'lang'])
  ).execute()

  await rowMeta(
    db.schema
      .createTable('resources')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('resource_type', 'text', (c) =>
        c.notNull().check(sql`resource_type in ('layer', 'map', 'document', 'geoapp', 'geostory', 'dashboard')`)
      )
      .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id'))
      .addColumn('poc_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('metadata_author_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('abstract', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('purpose', 'text')
      .addColumn('attribution', 'text')
      .addColumn('doi', 'text')
      .addColumn('alternate', 'text')
      .addColumn('date', 'text', (c) => c.notNull().defaultTo(NOW))
      .addColumn('date_type', 'text', (c) =>
        c.notNull().defaultTo('publication').check(sql`date_type in ('creation', 'publication', 'revision')`)
      )
      .addColumn('edition', 'text')
      .addColumn('maintenance_frequency', 'text')
      .addColumn('restriction_code_type_id', 'integer', (c) => c.references('restriction_code_types.id').onDelete('set null'))
      .addColumn('constraints_other', 'text')
      .addColumn('license_id', 'integer', (c) => c.references('licenses.id').onDelete('set null'))
      .addColumn('language', 'text', (c) => c.notNull().defaultTo('eng'))
      .addColumn('spatial_representation_type_id', 'integer', (c) =>
        c.references('spatial_representation_types.id').onDelete('set null')
      )
      .addColumn('temporal_extent_start', 'text')
      .addColumn('temporal_extent_end', 'text')
      .addColumn('supplemental_information', 'text', (c) => c.notNull().defaultTo('No information provided'))
      .addColumn('data_quality_statement', 'text')
      .addColumn('group_id', 'integer', (c) => c.references('auth_groups.id').onDelete('set null'))
      .addColumn('category_id', 'integer', (c) => c.references('topic_categories.id').onDelete('set null'))
      .addColumn('bbox_polygon', 'text')
      .addColumn('ll_bbox_polygon', 'text')
      .addColumn('ll_minx', 'real')
      .addColumn('ll_miny', 'real')
      .addColumn('ll_maxx', 'real')
      .addColumn('ll_maxy', 'real')
      .addColumn('srid', 'text', (c) => c.notNull().defaultTo('EPSG:4326'))
      .addColumn('thumbnail_url', 'text')
      .addColumn('popular_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('share_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rating', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('featured', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_published', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('is_approved', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('metadata_only', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dirty_state', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('audience', 'integer', (c) => c.notNull().defaultTo(0))
  ).execute()
  // Covering indexes for browsing: the default order plus everything the visibility test reads.
  await db.schema
    .createIndex('resources_browse')
    .on('resources')
    .columns(['last_updated', 'id', 'audience', 'resource_type', 'metadata_only', 'dirty_state', 'owner_id'])
    .execute()
  await db.schema
    .createIndex('resources_audience')
    .on('resources')
    .columns(['audience', 'metadata_only', 'dirty_state', 'resource_type'])
    .execute()
  await db.schema.createIndex('resources_owner').on('resources').columns(['owner_id', 'resource_type']).execute()
  await db.schema.createIndex('resources_category').on('resources').columns(['category_id', 'last_updated']).execute()
  await db.schema.createIndex('resources_category_date').on('resources').columns(['category_id', 'date', 'id']).execute()
  await db.schema.createIndex('resources_group').on('resources').column('group_id').execute()
  await db.schema.createIndex('resources_title').on('resources').columns(['title', 'id']).execute()
  await db.schema.createIndex('resources_date').on('resources').columns(['date', 'id']).execute()

  const joins: [string, string, string][] = [
    ['resource_keywords', 'keyword_id', 'keywords.id'],
    ['resource_tkeywords', 'tkeyword_id', 'thesaurus_keywords.id'],
    ['resource_regions', 'region_id', 'regions.id']
  ]
  for (const [name, column, target] of joins) {
    await rowMeta(
      db.schema
        .createTable(name)
        .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn(column, 'integer', (c) => c.notNull().references(target).onDelete('cascade'))
        .addPrimaryKeyConstraint(`${name}_pk`, ['resource_id', column])
    ).execute()
    await db.schema.createIndex(`${name}_reverse`).on(name).columns([column, 'resource_id']).execute()
  }

  await rowMeta(
    db.schema
      .createTable('resource_links')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('link_type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('mime', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
  ).execute()
  await db.schema.createIndex('resource_links_resource').on('resource_links').column('resource_id').execute()

  await rowMeta(
    db.schema
      .createTable('resource_extra_metadata')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
  ).execute()
  await db.schema.createIndex('resource_extra_metadata_resource').on('resource_extra_metadata').column('resource_id').execute()

  await rowMeta(
    db.schema
      .createTable('resource_user_perms')
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('codename', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_user_perms_pk', ['resource_id', 'user_id', 'codename'])
  ).execute()
  await db.schema.createIndex('resource_user_perms_user').on('resource_user_perms').columns(['user_id', 'codename', 'resource_id']).execute()

  await rowMeta(
    db.schema
      .createTable('resource_group_perms')
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addColumn('group_id', 'integer', (c) => c.notNull().references('auth_groups.id').onDelete('cascade'))
      .addColumn('codename', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_group_perms_pk', ['resource_id', 'group_id', 'codename'])
  ).execute()
  await db.schema.createIndex('resource_group_perms_group').on('resource_group_perms').columns(['group_id', 'codename', 'resource_id']).execute()

  await rowMeta(
    db.schema
      .createTable('favorites')
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('favorites_pk', ['user_id', 'resource_id'])
  ).execute()

  await rowMeta(
    db.schema
      .createTable('styles')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text')
      .addColumn('sld_title', 'text')
      .addColumn('sld_body', 'text')
  ).execute()

  await rowMeta(
    db.schema
      .createTable('layers')
      .addColumn('resource_id', 'integer', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('workspace', 'text', (c) => c.notNull().defaultTo('geonode'))
      .addColumn('store', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('store_type', 'text', (c) =>
        c.notNull().defaultTo('dataStore').check(sql`store_type in ('dataStore', 'coverageStore', 'remoteStore')`)
      )
      .addColumn('charset', 'text', (c) => c.notNull().defaultTo('UTF-8'))
      .addColumn('is_mosaic', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('has_time', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('has_elevation', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('time_regex', 'text')
      .addColumn('elevation_regex', 'text')
      .addColumn('use_featureinfo_custom_template', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('featureinfo_custom_template', 'text')
      .addColumn('default_style_id', 'integer', (c) => c.references('styles.id').onDelete('set null'))
      .addColumn('ptype', 'text', (c) => c.notNull().defaultTo('gxp_wmscsource'))
      .addColumn('upload_session_id', 'integer')
      .addColumn('feature_count', 'integer')
  ).execute()
  await db.schema.createIndex('layers_name').on('layers').columns(['workspace', 'name']).unique().execute()

  await rowMeta(
    db.schema
      .createTable('layer_styles')
      .addColumn('layer_id', 'integer', (c) => c.notNull().references('layers.resource_id').onDelete('cascade'))
      .addColumn('style_id', 'integer', (c) => c.notNull().references('styles.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('layer_styles_pk', ['layer_id', 'style_id'])
  ).execute()

  await rowMeta(
    db.schema
      .createTable('layer_attributes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('layer_id', 'integer', (c) => c.notNull().references('layers.resource_id').onDelete('cascade'))
      .addColumn('attribute', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('attribute_label', 'text')
      .addColumn('attribute_type', 'text', (c) => c.notNull().defaultTo('xsd:string'))
      .addColumn('visible', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('display_order', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('featureinfo_type', 'text', (c) => c.notNull().defaultTo('type_property'))
      .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('min', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('max', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('average', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('median', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('stddev', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('sum', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('unique_values', 'text', (c) => c.notNull().defaultTo('NA'))
      .addColumn('last_stats_updated', 'text')
  ).execute()
  await db.schema.createIndex('layer_attributes_layer').on('layer_attributes').columns(['layer_id', 'display_order']).execute()

  await rowMeta(
    db.schema
      .createTable('maps')
      .addColumn('resource_id', 'integer', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
      .addColumn('zoom', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('projection', 'text', (c) => c.notNull().defaultTo('EPSG:3857'))
      .addColumn('center_x', 'real', (c) => c.notNull().defaultTo(0))
      .addColumn('center_y', 'real', (c) => c.notNull().defaultTo(0))
      .addColumn('urlsuffix', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('featuredurl', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('mapstore_data', 'text')
      .addColumn('mapstore_attributes', 'text')
  ).execute()

  await rowMeta(
    db.schema
      .createTable('map_layers')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('map_id', 'integer', (c) => c.notNull().references('maps.resource_id').onDelete('cascade'))
      .addColumn('dataset_id', 'integer', (c) => c.references('resources.id').onDelete('set null'))
      .addColumn('stack_order', 'integer', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('store', 'text')
      .addColumn('format', 'text')
      .addColumn('opacity', 'real', (c) => c.notNull().defaultTo(1))
      .addColumn('styles', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('transparent', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('fixed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('group_name', 'text')
      .addColumn('visibility', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('ows_url', 'text')
      .addColumn('layer_params', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('source_params', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('local', 'integer', (c) => c.notNull().defaultTo(0))
  ).execute()
  await db.schema.createIndex('map_layers_map').on('map_layers').columns(['map_id', 'stack_order']).execute()
  await db.schema.createIndex('map_layers_dataset').on('map_layers').column('dataset_id').execute()

  await rowMeta(
    db.schema
      .createTable('documents')
      .addColumn('resource_id', 'integer', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
      .addColumn('doc_type', 'text')
      .addColumn('extension', 'text')
      .addColumn('mime_type', 'text')
      .addColumn('doc_file', 'text')
      .addColumn('doc_url', 'text')
      .addColumn('file_size', 'integer')
      .addColumn('sha256', 'text')
  ).execute()

  await rowMeta(
    db.schema
      .createTable('document_links')
      .addColumn('document_id', 'integer', (c) => c.notNull().references('documents.resource_id').onDelete('cascade'))
      .addColumn('resource_id', 'integer', (c) => c.notNull().references('resources.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('document_links_pk', ['document_id', 'resource_id'])
  ).execute()
  await db.schema.createIndex('document_links_resource').on('document_links').column('resource_id').execute()

  await rowMeta(
    db.schema
      .createTable('geoapps')
      .addColumn('resource_id', 'integer', (c) => c.primaryKey().references('resources.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('app_type', 'text')
      .addColumn('zoom', 'integer')
      .addColumn('projection', 'text')
      .addColumn('center_x', 'real')
      .addColumn('center_y', 'real')
      .addColumn('urlsuffix', 'text')
      .addColumn('data', 'text')
  ).execute()

  await rowMeta(
    db.schema
      .createTable('uploads')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('layer_id', 'integer', (c) => c.references('resources.id').onDelete('set null'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('READY'))
      .addColumn('date', 'text', (c) => c.notNull().defaultTo(NOW))
      .addColumn('create_date', 'text', (c) => c.notNull().defaultTo(NOW))
      .addColumn('import_id', 'integer')
      .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('upload_dir', 'text')
      .addColumn('session', 'text')
      .addColumn('error_msg', 'text')
  ).execute()
  await db.schema.createIndex('uploads_user_date').on('uploads').columns(['user_id', 'date']).execute()

  await rowMeta(
    db.schema
      .createTable('upload_files')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('upload_id', 'integer', (c) => c.notNull().references('uploads.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('base', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('size', 'integer')
      .addColumn('sha256', 'text')
  ).execute()
  await db.schema.createIndex('upload_files_upload').on('upload_files').column('upload_id').execute()

  await rowMeta(
    db.schema
      .createTable('upload_size_limits')
      .addColumn('slug', 'text', (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('max_size', 'integer', (c) => c.notNull().defaultTo(104857600))
  ).execute()

  await rowMeta(
    db.schema
      .createTable('access_tokens')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('refresh_hash', 'text', (c) => c.unique())
      .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('bearer', 'session')`))
      .addColumn('scope', 'text', (c) => c.notNull().defaultTo('read write'))
      .addColumn('csrf_token', 'text')
      .addColumn('expires', 'text', (c) => c.notNull())
  ).execute()
  await db.schema.createIndex('access_tokens_user').on('access_tokens').column('user_id').execute()

  await db.schema
    .createTable('changes')
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('row_key', 'text', (c) => c.notNull())
    .addColumn('row_uuid', 'text')
    .addColumn('op', 'text', (c) => c.notNull().check(sql`op in ('insert', 'update', 'delete')`))
    .addColumn('row_version', 'integer')
    .addColumn('changed_at', 'text', (c) => c.notNull().defaultTo(NOW))
    .execute()
  await db.schema.createIndex('changes_row').on('changes').columns(['table_name', 'row_key', 'seq']).execute()

  for (const [table, [key, hasUuid]] of Object.entries(TRACKED)) {
    for (const [event, row, op] of [
      ['INSERT', 'NEW', 'insert'],
      ['UPDATE', 'NEW', 'update'],
      ['DELETE', 'OLD', 'delete']
    ] as const) {
      const rowKey = key.map((column) => `${row}.${column}`).join(" || ':' || ")
      // `audience` is derived from the permission rows, which the log records themselves.
      const when = table === 'resources' && op === 'update' ? ' WHEN NEW.audience IS OLD.audience' : ''
      await sql
        .raw(
          `CREATE TRIGGER ${table}_changes_${op} AFTER ${event} ON ${table}${when} BEGIN
             INSERT INTO changes (table_name, row_key, row_uuid, op, row_version)
             VALUES ('${table}', ${rowKey}, ${hasUuid ? `${row}.uuid` : 'NULL'}, '${op}', ${row}.version);
           END`
        )
        .execute(db)
    }
  }

  // resources.audience caches who may view without a personal grant: 2 anonymous (and so
  // everyone), 1 registered members, 0 neither. It lets lists test visibility from an index.
  const audienceOf = (id: string) => `
      UPDATE resources SET audience = CASE
        WHEN EXISTS (SELECT 1 FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
                     WHERE p.resource_id = ${id} AND p.codename = 'view_resourcebase' AND g.name = 'anonymous') THEN 2
        WHEN EXISTS (SELECT 1 FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id
                     WHERE p.resource_id = ${id} AND p.codename = 'view_resourcebase' AND g.name = 'registered-members') THEN 1
        ELSE 0 END
      WHERE id = ${id};`
  for (const [event, row] of [
    ['INSERT', 'NEW'],
    ['DELETE', 'OLD']
  ] as const) {
    await sql
      .raw(
        `CREATE TRIGGER resource_group_perms_audience_${event.toLowerCase()} AFTER ${event} ON resource_group_perms
         WHEN ${row}.codename = 'view_resourcebase'
           AND ${row}.group_id IN (SELECT id FROM auth_groups WHERE name IN ('anonymous', 'registered-members'))
         BEGIN ${audienceOf(`${row}.resource_id`)} END`
      )
      .execute(db)
  }

  await sql`CREATE VIRTUAL TABLE resource_extents USING rtree(id, minx, maxx, miny, maxy)`.execute(db)
  await sql`CREATE TRIGGER resources_extent_insert AFTER INSERT ON resources WHEN NEW.ll_minx IS NOT NULL BEGIN
      INSERT INTO resource_extents VALUES (NEW.id, NEW.ll_minx, NEW.ll_maxx, NEW.ll_miny, NEW.ll_maxy);
    END`.execute(db)
  await sql`CREATE TRIGGER resources_extent_update AFTER UPDATE OF ll_minx, ll_miny, ll_maxx, ll_maxy ON resources BEGIN
      DELETE FROM resource_extents WHERE id = OLD.id;
      INSERT INTO resource_extents SELECT NEW.id, NEW.ll_minx, NEW.ll_maxx, NEW.ll_miny, NEW.ll_maxy WHERE NEW.ll_minx IS NOT NULL;
    END`.execute(db)
  await sql`CREATE TRIGGER resources_extent_delete AFTER DELETE ON resources BEGIN
      DELETE FROM resource_extents WHERE id = OLD.id;
    END`.execute(db)

  await sql`CREATE VIRTUAL TABLE resource_search USING fts5(
      title, abstract, purpose, keywords, regions, category,
      tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
    )`.execute(db)
  const searchRows = (where: string) => `
      INSERT INTO resource_search (rowid, title, abstract, purpose, keywords, regions, category)
      SELECT r.id, r.title, r.abstract, coalesce(r.purpose, ''),
        coalesce((SELECT group_concat(k.name, ' ') FROM resource_keywords rk JOIN keywords k ON k.id = rk.keyword_id WHERE rk.resource_id = r.id), ''),
        coalesce((SELECT group_concat(g.name || ' ' || g.code, ' ') FROM resource_regions rr JOIN regions g ON g.id = rr.region_id WHERE rr.resource_id = r.id), ''),
        coalesce((SELECT c.identifier || ' ' || coalesce(c.gn_description, '') FROM topic_categories c WHERE c.id = r.category_id), '')
      FROM resources r WHERE ${where};`
  const refresh = (id: string) => `DELETE FROM resource_search WHERE rowid = ${id}; ${searchRows(`r.id = ${id}`)}`
  await sql.raw(`CREATE TRIGGER resources_search_insert AFTER INSERT ON resources BEGIN ${searchRows('r.id = NEW.id')} END`).execute(db)
  await sql
    .raw(`CREATE TRIGGER resources_search_update AFTER UPDATE OF title, abstract, purpose, category_id ON resources BEGIN ${refresh('NEW.id')} END`)
    .execute(db)
  await sql.raw(`CREATE TRIGGER resources_search_delete AFTER DELETE ON resources BEGIN DELETE FROM resource_search WHERE rowid = OLD.id; END`).execute(db)
  for (const table of ['resource_keywords', 'resource_regions']) {
    await sql.raw(`CREATE TRIGGER ${table}_search_insert AFTER INSERT ON ${table} BEGIN ${refresh('NEW.resource_id')} END`).execute(db)
    await sql.raw(`CREATE TRIGGER ${table}_search_delete AFTER DELETE ON ${table} BEGIN ${refresh('OLD.resource_id')} END`).execute(db)
  }
  const renamed: [string, string, string][] = [
    ['keywords', 'name', 'SELECT resource_id FROM resource_keywords WHERE keyword_id = NEW.id'],
    ['regions', 'name, code', 'SELECT resource_id FROM resource_regions WHERE region_id = NEW.id'],
    ['topic_categories', 'identifier, gn_description', 'SELECT id FROM resources WHERE category_id = NEW.id']
  ]
  for (const [table, columns, affected] of renamed) {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_search_rename AFTER UPDATE OF ${columns} ON ${table} BEGIN
           DELETE FROM resource_search WHERE rowid IN (${affected});
           ${searchRows(`r.id IN (${affected})`)}
         END`
      )
      .execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const tables = [
    'resource_search', 'resource_extents', 'changes', 'access_tokens', 'upload_size_limits', 'upload_files', 'uploads',
    'geoapps', 'document_links', 'documents', 'map_layers', 'maps', 'layer_attributes', 'layer_styles', 'layers',
    'styles', 'favorites', 'resource_group_perms', 'resource_user_perms', 'resource_extra_metadata', 'resource_links',
    'resource_regions', 'resource_tkeywords', 'resource_keywords', 'resources', 'thesaurus_keyword_labels',
    'thesaurus_keywords', 'thesauri', 'keywords', 'regions', 'licenses', 'spatial_representation_types',
    'restriction_code_types', 'topic_categories', 'group_categories', 'group_profile_keywords',
    'group_profile_categories', 'group_members', 'group_profiles', 'auth_groups', 'users'
  ]
  for (const table of tables) await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db)
}
