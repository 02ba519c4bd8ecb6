import { existsSync, renameSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { BackupError, createBackup, restoreBackup } from '../backup/backup'
import type { Clock } from '../clock'
import { NotAuthenticated, PermissionDenied, ValidationError } from '../errors'
import type { DataFolder } from '../ingest/data-folder'
import { receiveMultipart } from '../ingest/multipart'
import type { Caller } from './caller'

/** Where a restore made while the server runs waits for the next start (beside the data folder). */
export const pendingRestoreDir = (dataDir: string) => `${dataDir}.pending-restore`

/**
 * At start, before the catalogue is opened: a restore staged by the GUI replaces the data folder,
 * which is kept beside it, renamed. Answers the kept folder's path, or null when nothing waited.
 */
export function applyPendingRestore(dataDir: string, now: Date): string | null {
  const pending = pendingRestoreDir(dataDir)
  if (!existsSync(join(pending, 'catalogue.sqlite'))) return null
  const kept = `${dataDir}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`
  if (existsSync(dataDir)) renameSync(dataDir, kept)
  renameSync(pending, dataDir)
  return kept
}

export type BackupService = ReturnType<typeof createBackupService>

/**
 * Backup and restore from the GUI (superusers): a consistent snapshot to download while the
 * server runs, and a restore that is checked in full, staged beside the data folder and switched
 * to at the next start (a running catalogue cannot be swapped from under its own connections).
 */
export function createBackupService(deps: { dataDir: string; folder: DataFolder; clock: Clock }) {
  const { dataDir, folder, clock } = deps

  /**
   * Superusers only: a backup holds every password hash, the signing keys and the sealed sync
   * credentials, and a restore replaces every account; staff would reach superuser power by either.
   */
  function assertSuperuser(caller: Caller): void {
    if (!caller.authenticated) throw new NotAuthenticated()
    if (!caller.superuser) throw new PermissionDenied('Only superusers back up and restore the catalogue.')
  }

  return {
    /** A backup file in a folder of its own under tmp/; the caller sends it and removes the folder. */
    async backup(caller: Caller): Promise<{ path: string; dir: string; name: string }> {
      assertSuperuser(caller)
      const dir = folder.newUploadDir()
      const name = `mapshelf-backup-${new Date(clock.epochMs()).toISOString().slice(0, 19).replace(/[:T]/g, '-')}.zip`
      const path = join(dir, name)
      try {
        await createBackup({ dataDir, out: path })
      } catch (error) {
        folder.remove(dir)
        if (error instanceof BackupError) throw new ValidationError({ backup: [error.message] })
        throw error
      }
      return { path, dir, name }
    },

    discard(dir: string): void {
      folder.remove(dir)
    },

    /** Checks and stages an uploaded backup (`backup` part) for the next start. */
    async restore(caller: Caller, req: IncomingMessage): Promise<{ staged: true; resources: number; created: string; message: string }> {
      assertSuperuser(caller)
      const dir = folder.newUploadDir()
      try {
        const form = await receiveMultipart(req, dir, { maxTotalBytes: 64 * 1024 ** 3, maxFiles: 1, maxFieldBytes: 1024 })
        const file = form.files.get('backup')
        if (!file) throw new ValidationError({ backup: ['Send the backup file in a part named "backup".'] })
        const pending = pendingRestoreDir(dataDir)
        folder.remove(pending)
        let result
        try {
          result = await restoreBackup({ dataDir: pending, from: file.path })
        } catch (error) {
          if (error instanceof BackupError) throw new ValidationError({ backup: [error.message] })
          throw error
        }
        return {
          staged: true,
          resources: result.manifest.resources,
          created: result.manifest.createdAt,
          message: 'The backup is checked and ready. Restart Mapshelf to switch to it; the current catalogue is kept beside it, renamed.'
        }
      } finally {
        folder.remove(dir)
      }
    }
  }
}
