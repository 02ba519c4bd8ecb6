/** Object permission codenames of GeoNode's model, in the order GeoNode lists them. */
export const VIEW = 'view_resourcebase'
export const DOWNLOAD = 'download_resourcebase'
export const CHANGE_METADATA = 'change_resourcebase_metadata'
export const CHANGE = 'change_resourcebase'
export const DELETE = 'delete_resourcebase'
export const CHANGE_PERMISSIONS = 'change_resourcebase_permissions'
export const PUBLISH = 'publish_resourcebase'
export const CHANGE_LAYER_DATA = 'change_layer_data'
export const CHANGE_LAYER_STYLE = 'change_layer_style'

export const RESOURCE_PERMISSIONS = [VIEW, DOWNLOAD, CHANGE_METADATA, CHANGE, DELETE, CHANGE_PERMISSIONS, PUBLISH] as const
export const LAYER_PERMISSIONS = [CHANGE_LAYER_DATA, CHANGE_LAYER_STYLE] as const
export const ALL_PERMISSIONS = [...RESOURCE_PERMISSIONS, ...LAYER_PERMISSIONS] as const
export type PermissionCodename = (typeof ALL_PERMISSIONS)[number]

/** Django group that stands for everyone, AnonymousUser included. */
export const ANONYMOUS_GROUP = 'anonymous'
/** Django group whose members may add resources (reported as the global perm `add_resource`). */
export const CONTRIBUTORS_GROUP = 'contributors'
/** Group every registered user joins; grants to it reach all signed-in users. */
export const REGISTERED_MEMBERS_GROUP = 'registered-members'
export const ANONYMOUS_USER_ID = -1
export const ANONYMOUS_USERNAME = 'AnonymousUser'

export type StoreType = 'dataStore' | 'coverageStore' | 'remoteStore'

/** Whether a resource of this type carries download rights at all (layers and documents). */
export function isDownloadable(resourceType: string): boolean {
  return resourceType === 'layer' || resourceType === 'document'
}

/**
 * Every codename that applies to a resource: the owner's full set, and what a superuser holds.
 *
 * @example applicablePermissions('layer', 'dataStore') // 9 codenames
 */
export function applicablePermissions(resourceType: string, storeType?: StoreType | null): PermissionCodename[] {
  const perms: PermissionCodename[] = [VIEW]
  if (isDownloadable(resourceType)) perms.push(DOWNLOAD)
  perms.push(CHANGE_METADATA, CHANGE, DELETE, CHANGE_PERMISSIONS, PUBLISH)
  if (resourceType === 'layer') {
    if (storeType === 'dataStore') perms.push(CHANGE_LAYER_DATA)
    if (storeType === 'dataStore' || storeType === 'coverageStore') perms.push(CHANGE_LAYER_STYLE)
  }
  return perms
}

/** What "public" means for a new resource: anonymous may view, and download where it applies. */
export function publicPermissions(resourceType: string): PermissionCodename[] {
  return isDownloadable(resourceType) ? [VIEW, DOWNLOAD] : [VIEW]
}

/** GeoNode's compact permission levels, each including the ones before it. */
export const PERMISSION_LEVELS = ['none', 'view', 'download', 'edit', 'manage'] as const
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number]

/**
 * The codenames a level grants on a resource, as GeoNode groups them: view; download adds the
 * download right (layers and documents only); edit adds changing metadata and the resource (and a
 * layer's data and style); manage adds delete, permissions and publish.
 *
 * @example codenamesForLevel('edit', 'map') // view, change metadata, change
 */
export function codenamesForLevel(level: PermissionLevel, resourceType: string, storeType?: StoreType | null): PermissionCodename[] {
  const applicable = new Set(applicablePermissions(resourceType, storeType))
  const wanted: PermissionCodename[] = []
  const at = PERMISSION_LEVELS.indexOf(level)
  if (at >= 1) wanted.push(VIEW)
  if (at >= 2) wanted.push(DOWNLOAD)
  if (at >= 3) wanted.push(CHANGE_METADATA, CHANGE, CHANGE_LAYER_DATA, CHANGE_LAYER_STYLE)
  if (at >= 4) wanted.push(DELETE, CHANGE_PERMISSIONS, PUBLISH)
  return wanted.filter((c) => applicable.has(c))
}

/**
 * The highest level whose codenames are all held. Resources without download rights have no
 * "download" level (see levelsFor), so a viewer of a map is at "view".
 *
 * @example levelOfCodenames(['view_resourcebase', 'download_resourcebase'], 'layer') // 'download'
 */
export function levelOfCodenames(codenames: readonly string[], resourceType: string, storeType?: StoreType | null): PermissionLevel {
  const held = new Set(codenames)
  let found: PermissionLevel = 'none'
  for (const level of levelsFor(resourceType).slice(1)) {
    if (codenamesForLevel(level, resourceType, storeType).every((c) => held.has(c))) found = level
    else break
  }
  return found
}

/** The levels that mean something for a resource type ("download" only for layers and documents). */
export function levelsFor(resourceType: string): PermissionLevel[] {
  return PERMISSION_LEVELS.filter((level) => level !== 'download' || isDownloadable(resourceType))
}
