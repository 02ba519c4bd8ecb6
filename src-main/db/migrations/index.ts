import type { Migration } from 'kysely'
import * as createCatalogue from './2026_11_27_1000_create_catalogue'
import * as authGeneration from './2026_11_27_1300_auth_generation'
import * as layerData from './2026_11_27_1400_layer_data'
import * as resourceIds from './2026_11_27_1450_resource_ids'
import * as sync from './2026_11_27_1500_sync'
import * as syncOffline from './2026_11_27_1700_sync_offline'
import * as featureIndex from './2026_11_27_1800_feature_index'
import * as syncDataSent from './2026_11_27_1900_sync_data_sent'
import * as syncBindingLookups from './2026_11_27_2000_sync_binding_lookups'
import * as idsNeverReused from './2026_11_28_1000_ids_never_reused'

/** Every migration, listed by hand: a folder-reading provider does not survive bundling. */
export const migrations: Record<string, Migration> = {
  '2026_11_27_1000_create_catalogue': createCatalogue,
  '2026_11_27_1300_auth_generation': authGeneration,
  '2026_11_27_1400_layer_data': layerData,
  '2026_11_27_1450_resource_ids': resourceIds,
  '2026_11_27_1500_sync': sync,
  '2026_11_27_1700_sync_offline': syncOffline,
  '2026_11_27_1800_feature_index': featureIndex,
  '2026_11_27_1900_sync_data_sent': syncDataSent,
  '2026_11_27_2000_sync_binding_lookups': syncBindingLookups,
  '2026_11_28_1000_ids_never_reused': idsNeverReused
}
