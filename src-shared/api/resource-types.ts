/** The resource families of API v2 with their envelope keys (spec 1.4). */
export const RESOURCE_TYPES = ['layer', 'map', 'document', 'geoapp', 'geostory', 'dashboard'] as const
export type ResourceType = (typeof RESOURCE_TYPES)[number]

/** Types listed by /resources/resource_types, in GeoNode's order. */
export const LISTED_RESOURCE_TYPES: ResourceType[] = ['layer', 'map', 'document', 'geostory', 'dashboard']

/** Django content-type ids reported as `polymorphic_ctype_id` (strings on the wire). */
export const POLYMORPHIC_CTYPE_IDS: Record<ResourceType, string> = {
  layer: '59',
  map: '62',
  document: '60',
  geoapp: '96',
  geostory: '97',
  dashboard: '98'
}

export const DATE_TYPES = ['creation', 'publication', 'revision'] as const
export const GROUP_ACCESS = ['public', 'public-invite', 'private'] as const

/** Upload states (spec 5.3) and the progress GeoNode 3.3 reports for each. */
export const UPLOAD_PROGRESS: Record<string, number | null> = {
  READY: 0,
  INCOMPLETE: 0,
  INVALID: 0,
  PENDING: 33,
  WAITING: 50,
  RUNNING: 80,
  COMPLETE: 80,
  PROCESSED: 100
}
