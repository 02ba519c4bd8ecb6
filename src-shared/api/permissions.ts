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
