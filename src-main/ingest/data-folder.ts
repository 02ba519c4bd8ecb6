import { randomUUID } from 'node:crypto'
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type Sqlite from 'better-sqlite3'

/**
 * The data folder's file layout: `files/<resource uuid>/` holds a resource's originals (kept for
 * download), its raster data and its thumbnail; `tmp/uploads/<id>/` holds uploads being read.
 * Both live on the same disk as the database, so finishing an upload is a rename.
 */
export class DataFolder {
  readonly files: string
  readonly uploads: string

  constructor(
    readonly root: string,
    options: { readOnly?: boolean } = {}
  ) {
    this.files = join(root, 'files')
    this.uploads = join(root, 'tmp', 'uploads')
    if (options.readOnly) return
    mkdirSync(this.files, { recursive: true })
    mkdirSync(this.uploads, { recursive: true })
  }

  newUploadDir(): string {
    const dir = join(this.uploads, randomUUID())
    mkdirSync(dir)
    return dir
  }

  resourceDir(uuid: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uuid)) throw new Error(`not a uuid: ${uuid}`)
    return join(this.files, uuid)
  }

  /** A path relative to the data folder (what rows store), refusing anything outside it. */
  relative(path: string): string {
    const rel = relative(this.root, resolve(path))
    if (rel.startsWith('..') || rel.startsWith(sep)) throw new Error(`outside the data folder: ${path}`)
    return rel.split(sep).join('/')
  }

  /** The absolute path of a stored relative path, refusing any that would leave the data folder. */
  absolute(rel: string): string {
    const path = resolve(this.root, rel)
    if (!path.startsWith(this.root + sep)) throw new Error(`outside the data folder: ${rel}`)
    return path
  }

  /** Moves a file into a resource's folder under a safe name; returns the new absolute path. */
  adopt(file: string, uuid: string, name: string): string {
    const dir = this.resourceDir(uuid)
    mkdirSync(dir, { recursive: true })
    const target = join(dir, name)
    renameSync(file, target)
    return target
  }

  /** A second name for a file under a resource's folder (a hard link; a copy across disks). */
  linkInto(file: string, uuid: string, name: string): string {
    const target = join(this.resourceDir(uuid), name)
    mkdirSync(dirname(target), { recursive: true })
    rmSync(target, { force: true })
    try {
      linkSync(file, target)
    } catch {
      copyFileSync(file, target)
    }
    return target
  }

  writeFile(uuid: string, name: string, data: Buffer): string {
    const dir = this.resourceDir(uuid)
    mkdirSync(dir, { recursive: true })
    const target = join(dir, name)
    writeFileSync(target, data)
    return target
  }

  remove(path: string): void {
    rmSync(path, { recursive: true, force: true })
  }

  /**
   * At start: an upload the last process was reading when it stopped is marked INVALID and its
   * staged features dropped; upload folders nobody waits for and resource folders without a
   * resource (a crash between moving files and committing) are deleted.
   */
  recover(sqlite: Sqlite.Database): { interrupted: number; removedDirs: number } {
    const now = new Date().toISOString().replace('Z', '000Z')
    const interrupted = sqlite
      .prepare(
        "UPDATE uploads SET state = 'INVALID', error_msg = 'The import was interrupted (the program stopped while reading the files). Upload the files again.', date = ?, last_updated = ?, version = version + 1 WHERE state IN ('READY', 'PENDING', 'RUNNING')"
      )
      .run(now, now).changes
    sqlite.prepare("UPDATE feature_sets SET state = 'dropped' WHERE state = 'staging'").run()
    const waiting = new Set(
      (sqlite.prepare("SELECT upload_dir FROM uploads WHERE state = 'WAITING' AND upload_dir IS NOT NULL").pluck().all() as string[]).map((d) => this.absolute(d))
    )
    let removedDirs = 0
    for (const entry of readdirSync(this.uploads)) {
      const dir = join(this.uploads, entry)
      if (waiting.has(dir)) continue
      this.remove(dir)
      removedDirs += 1
    }
    const known = new Set(sqlite.prepare('SELECT uuid FROM resources WHERE files_dir IS NOT NULL').pluck().all() as string[])
    removedDirs += this.removeResourceDirsExcept(known)
    return { interrupted, removedDirs }
  }

  /**
   * Deletes the folders under files/ of resources that no longer exist. While the server runs,
   * folders younger than `minAgeMs` are left alone: an upload moves its files in just before the
   * transaction that creates its resource commits.
   */
  removeResourceDirsExcept(known: Set<string>, minAgeMs = 0): number {
    let removed = 0
    const now = Date.now()
    if (!existsSync(this.files)) return 0
    for (const entry of readdirSync(this.files)) {
      if (known.has(entry)) continue
      if (minAgeMs > 0 && now - statSync(join(this.files, entry)).mtimeMs < minAgeMs) continue
      this.remove(join(this.files, entry))
      removed += 1
    }
    return removed
  }

  exists(rel: string): boolean {
    return existsSync(this.absolute(rel))
  }
}
