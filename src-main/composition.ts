import type { Clock } from './clock'
import { type AccountService, createAccountService } from './services/accounts.service'
import type { Config } from './config'
import type { Db } from './db/database'
import { type AuthService, createAuthService } from './services/auth.service'
import type { SystemIds } from './services/caller'
import { type FavoriteService, createFavoriteService } from './services/favorites.service'
import { type LookupService, createLookupService } from './services/lookups.service'
import { type MapStoreService, createMapStoreService } from './services/mapstore.service'
import { type PermissionService, createPermissionService } from './services/permissions.service'
import { type ResourceWriteService, createResourceWriteService } from './services/resource-writes.service'
import { type ResourceService, createResourceService } from './services/resources.service'
import { type UploadService, createUploadService } from './services/uploads.service'
import { type UserService, createUserService } from './services/users.service'
import type Sqlite from 'better-sqlite3'
import type { DataFolder } from './ingest/data-folder'
import type { IngestWorker } from './ingest/worker-pool'
import { type IngestService, createIngestService } from './services/ingest.service'
import { type LayerDataService, createLayerDataService } from './services/layer-data.service'
import { type HistoryService, createHistoryService } from './services/history.service'
import { type SyncService, createSyncService } from './sync/sync.service'
import { type BackupService, createBackupService } from './services/backup.service'
import { LocalStore } from './sync/local'
import type { SecretBox } from './sync/secrets'
import { ADMIN_USER_ID } from './services/bootstrap.service'
import { type OwsLayerService, createOwsLayerService } from './services/ows-layers.service'
import { type FeatureWriteService, createFeatureWriteService } from './services/feature-writes.service'

export interface Services {
  auth: AuthService
  resources: ResourceService
  permissions: PermissionService
  favorites: FavoriteService
  writes: ResourceWriteService
  accounts: AccountService
  mapstore: MapStoreService
  users: UserService
  lookups: LookupService
  uploads: UploadService
  ingest: IngestService
  layerData: LayerDataService
  history: HistoryService
  sync: SyncService
  backup: BackupService
  /** The layers as the OGC services see them. */
  owsLayers: OwsLayerService
  /** The one write path for layers' features (WFS-T, the editor, sync). */
  featureWrites: FeatureWriteService
}

export interface ServiceDeps {
  db: Db
  config: Config
  clock: Clock
  system: SystemIds
  siteUrl: string
  /** The raw connection, for the layer-data reads that stream rows. */
  sqlite: Sqlite.Database
  folder: DataFolder
  worker: IngestWorker
  /** Seals remote credentials (the OS keychain on the desktop, a key file headless). */
  secrets: SecretBox
  /** The HTTP client sync uses to reach remotes (tests inject faults through it). */
  fetch?: typeof fetch
}

export function createServices(deps: ServiceDeps): Services {
  const { db, config, clock, system, siteUrl, sqlite, folder, worker, secrets } = deps
  const url = { siteUrl }
  const resourcesFor = (db: ServiceDeps['db']) => createResourceService({ db, config, system, render: { db, siteUrl, contributorsGroupId: system.contributorsGroupId } })
  const resources = resourcesFor(db)
  let ingest: IngestService | undefined
  const writes = createResourceWriteService({ db, clock, resources, contributorsGroupId: system.contributorsGroupId, afterDelete: (uuids) => ingest?.sweep(uuids) })
  ingest = createIngestService({ db, clock, folder, worker, resources, writes, contributorsGroupId: system.contributorsGroupId })
  const auth = createAuthService({ db, clock, config, system, issuer: `${siteUrl}o` })
  const users = createUserService({ db, system, url, resources, auth })
  return {
    auth,
    resources,
    permissions: createPermissionService({ db, clock, resources }),
    favorites: createFavoriteService({ db, clock, resources }),
    writes,
    accounts: createAccountService({ db, clock, system, users }),
    mapstore: createMapStoreService({ db, resources, writes }),
    users,
    lookups: createLookupService({ db, config, system, url, users }),
    uploads: createUploadService({ db, clock, url, resources }),
    ingest,
    layerData: createLayerDataService({ db, sqlite, folder, worker, resources }),
    history: createHistoryService({ db, resources }),
    backup: createBackupService({ dataDir: config.dataDir, folder, clock }),
    owsLayers: createOwsLayerService({ db, config, system, folder }),
    featureWrites: createFeatureWriteService({ db, sqlite, clock, folder }),
    sync: createSyncService({ db, clock, secrets, fetch: deps.fetch, local: new LocalStore({ db, sqlite, folder, clock, system, resources, writes, adminId: ADMIN_USER_ID, replaceLayerData: (id, file, name) => ingest!.replaceFromFile(id, file, name), resourcesFor }) })
  }
}
