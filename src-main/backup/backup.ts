import { createHash, randomUUID } from 'node:crypto'
import { copyFileSync, createReadStream, createWriteStream, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, posix, resolve } from 'node:path'
import { PassThrough, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Sqlite from 'better-sqlite3'
import yauzl, { type Entry, type ZipFile as ReadZip } from 'yauzl'
import yazl from 'yazl'
import { sqliteOptions } from '../platform/sqlite-binding'
import { DATABASE_FILE, VERSION } from '../product'

/**
 * Backup and restore of a data folder (catalogue.sqlite + files/ + the OIDC key) as one zip with
 * a manifest. A backup can run while the server writes: the database is copied with SQLite's
 * online backup API in one step (one read transaction, so one consistent moment), and the files
 * are hard-linked into a staging folder before and after that moment, so a resource deleted
 * meanwhile still has its files in the archive.
 */

export const BACKUP_FORMAT = 'mapshelf-backup'
export const BACKUP_FORMAT_VERSION = 1
export const MANIFEST_NAME = 'manifest.json'
const OIDC_KEY = 'oidc-signing-key.pem'
const SNAPSHOT_ATTEMPTS = 5

export class BackupError extends Error {}

export interface ManifestEntry {
  path: string
  size: number
  sha256: string
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT
  formatVersion: number
  appVersion: string
  createdAt: string
  /** The highest `changes.seq` in the snapshot: every write up to it is in, none after it. */
  changesSeq: number
  resources: number
  entries: ManifestEntry[]
}

export interface BackupResult {
  out: string
  manifest: BackupManifest
  bytes: number
  attempts: number
}

/** What the snapshot's rows point at in the data folder: every path must be archived. */
interface References {
  /** files/<uuid> folders of resources that have files. */
  resourceDirs: string[]
  /** tmp/uploads/<id> folders of uploads still waiting for input. */
  uploadDirs: string[]
  /** Individual files (layer data, documents, waiting uploads' parts). */
  files: string[]
}

/** Hard-links (or, across disks, copies) every file under `from` that is not yet under `to`. */
function linkTree(from: string, to: string): void {
  let names: string[]
  try {
    names = readdirSync(from)
  } catch {
    return
  }
  mkdirSync(to, { recursive: true })
  for (const name of names) {
    const source = join(from, name)
    const target = join(to, name)
    let stat
    try {
      stat = lstatSync(source)
    } catch {
      continue
    }
    if (stat.isDirectory()) linkTree(source, target)
    else if (stat.isFile() && !existsSync(target)) {
      try {
        linkSync(source, target)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') continue
        try {
          copyFileSync(source, target)
        } catch (copyError) {
          if ((copyError as NodeJS.ErrnoException).code !== 'ENOENT') throw copyError
        }
      }
    }
  }
}

function stageFiles(dataDir: string, staging: string): void {
  linkTree(join(dataDir, 'files'), join(staging, 'files'))
  linkTree(join(dataDir, 'tmp', 'uploads'), join(staging, 'tmp', 'uploads'))
}

function safeRelative(path: string | null): string | null {
  if (!path) return null
  const normal = posix.normalize(path)
  // Only paths the server itself stores count: seeded rows name files that were never uploaded.
  if (!normal.startsWith('files/') && !normal.startsWith('tmp/uploads/')) return null
  return normal
}

function referencesOf(snapshot: Sqlite.Database): References {
  const column = (sql: string) => (snapshot.prepare(sql).pluck().all() as (string | null)[]).map(safeRelative).filter((p): p is string => p !== null)
  const hasTable = (name: string) => snapshot.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  return {
    resourceDirs: hasTable('resources') ? column('SELECT files_dir FROM resources WHERE files_dir IS NOT NULL') : [],
    uploadDirs: hasTable('uploads') ? column("SELECT upload_dir FROM uploads WHERE state = 'WAITING' AND upload_dir IS NOT NULL") : [],
    files: [
      ...(hasTable('layers') ? column('SELECT data_file FROM layers WHERE data_file IS NOT NULL') : []),
      ...(hasTable('documents') ? column('SELECT doc_file FROM documents WHERE doc_file IS NOT NULL') : []),
      ...(hasTable('upload_files') ? column("SELECT f.file FROM upload_files f JOIN uploads u ON u.id = f.upload_id WHERE u.state = 'WAITING'") : [])
    ]
  }
}

/** Copies the live database into `target` in one backup step, so the copy is one moment's state. */
async function snapshotDatabase(databaseFile: string, target: string): Promise<void> {
  rmSync(target, { force: true })
  const source = new Sqlite(databaseFile, sqliteOptions({ fileMustExist: true }))
  try {
    source.pragma('busy_timeout = 10000')
    await source.backup(target, { progress: () => 0x7fffffff })
  } finally {
    source.close()
  }
  const copy = new Sqlite(target, sqliteOptions())
  try {
    // The copy carries the source's WAL flag; a rollback journal keeps the archived file self-contained.
    copy.pragma('journal_mode = DELETE')
  } finally {
    copy.close()
  }
}

function missingReferences(staging: string, refs: References): string[] {
  return [...refs.resourceDirs, ...refs.uploadDirs, ...refs.files].filter((rel) => !existsSync(join(staging, rel)))
}

/** Every regular file under `dir`, as paths relative to `root` with forward slashes. */
function walkFiles(root: string, dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    const stat = lstatSync(path)
    if (stat.isDirectory()) walkFiles(root, path, out)
    else if (stat.isFile()) out.push(path.slice(root.length + 1).split('\\').join('/'))
  }
  return out
}

const STORED_AS_IS = /\.(png|jpe?g|gif|zip|gz|tgz|bz2|xz|7z|webp|cog)$/i

/** A pass-through that counts and hashes what flows through it. */
function hashing(onDone: (sha256: string, size: number) => void): Transform {
  const hash = createHash('sha256')
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    },
    flush(callback) {
      onDone(hash.digest('hex'), size)
      callback()
    }
  })
}

/**
 * Writes a consistent backup of the data folder to `out` (a zip). Safe while the server runs.
 *
 * @example await createBackup({ dataDir: '/data', out: '/backups/mapshelf.zip' })
 */
export async function createBackup(options: { dataDir: string; out: string; log?: (line: string) => void }): Promise<BackupResult> {
  const dataDir = resolve(options.dataDir)
  const out = resolve(options.out)
  const log = options.log ?? (() => {})
  const databaseFile = join(dataDir, DATABASE_FILE)
  if (!existsSync(databaseFile)) throw new BackupError(`${dataDir} holds no ${DATABASE_FILE}: not a Mapshelf data folder`)
  if (!existsSync(dirname(out))) throw new BackupError(`cannot write ${out}: folder ${dirname(out)} does not exist`)
  if (existsSync(out) && statSync(out).isDirectory()) throw new BackupError(`cannot write ${out}: it is a folder`)
  if (out.startsWith(join(dataDir, 'files') + '/')) throw new BackupError(`cannot write ${out}: the backup would land inside the files it archives`)
  // Staged inside the data folder so hard links work (same disk); start-up recovery never touches tmp/backup-*.
  const staging = join(dataDir, 'tmp', `backup-${randomUUID()}`)
  const partial = `${out}.partial-${process.pid}`
  mkdirSync(staging, { recursive: true })
  try {
    const stagedDb = join(staging, DATABASE_FILE)
    let refs: References | null = null
    let attempts = 0
    let missing: string[] = []
    for (attempts = 1; attempts <= SNAPSHOT_ATTEMPTS; attempts++) {
      stageFiles(dataDir, staging)
      await snapshotDatabase(databaseFile, stagedDb)
      stageFiles(dataDir, staging)
      const snapshot = new Sqlite(stagedDb, sqliteOptions({ readonly: true }))
      try {
        refs = referencesOf(snapshot)
      } finally {
        snapshot.close()
      }
      missing = missingReferences(staging, refs)
      if (missing.length === 0) break
      log(`snapshot ${attempts}: ${missing.length} referenced file(s) vanished before they were staged; taking it again`)
    }
    if (missing.length > 0 || !refs) throw new BackupError(`files referenced by the catalogue are missing from ${dataDir}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' ...' : ''}`)
    const snapshot = new Sqlite(stagedDb, sqliteOptions({ readonly: true }))
    let changesSeq = 0
    let resources = 0
    try {
      changesSeq = (snapshot.prepare('SELECT coalesce(max(seq), 0) FROM changes').pluck().get() as number) ?? 0
      resources = snapshot.prepare('SELECT count(*) FROM resources').pluck().get() as number
    } catch {
      // A folder from before the changes table: the watermark stays 0.
    } finally {
      snapshot.close()
    }
    if (existsSync(join(dataDir, OIDC_KEY))) copyFileSync(join(dataDir, OIDC_KEY), join(staging, OIDC_KEY))

    const wanted = [DATABASE_FILE, ...(existsSync(join(staging, OIDC_KEY)) ? [OIDC_KEY] : [])]
    for (const dir of [...refs.resourceDirs, ...refs.uploadDirs]) wanted.push(...walkFiles(staging, join(staging, dir)))
    const paths = [...new Set(wanted)]
    const entries: ManifestEntry[] = []
    const zip = new yazl.ZipFile()
    const written = pipeline(zip.outputStream, createWriteStream(partial))
    for (const path of paths) {
      const source = join(staging, path)
      const mtime = statSync(source).mtime
      zip.addReadStreamLazy(path, { compress: !STORED_AS_IS.test(path), mtime }, (callback) => {
        const through = hashing((sha256, size) => entries.push({ path, size, sha256 }))
        const input = createReadStream(source)
        input.on('error', (error) => through.destroy(error))
        callback(null, input.pipe(through))
      })
    }
    const manifestDone = new PassThrough()
    let lastManifest: BackupManifest | null = null
    // The manifest goes last: only then are all the hashes known.
    zip.addReadStreamLazy(MANIFEST_NAME, { compress: true }, (callback) => {
      const manifest: BackupManifest = {
        format: BACKUP_FORMAT,
        formatVersion: BACKUP_FORMAT_VERSION,
        appVersion: VERSION,
        createdAt: new Date().toISOString(),
        changesSeq,
        resources,
        entries: [...entries].sort((a, b) => a.path.localeCompare(b.path))
      }
      manifestDone.end(`${JSON.stringify(manifest, null, 2)}\n`)
      callback(null, manifestDone)
      lastManifest = manifest
    })
    zip.end()
    await written
    renameSync(partial, out)
    const bytes = statSync(out).size
    log(`wrote ${out}: ${entries.length} entries, ${(bytes / 1e6).toFixed(1)} MB, changes up to seq ${changesSeq}`)
    return { out, manifest: lastManifest!, bytes, attempts }
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

function entryPathProblem(name: string): string | null {
  if (name.includes('\\') || name.includes('\0')) return 'has a backslash or NUL'
  if (posix.isAbsolute(name) || /^[A-Za-z]:/.test(name)) return 'is absolute'
  if (name.split('/').some((part) => part === '..' || part === '.' || part === '')) return 'leaves its folder'
  const top = name.split('/')[0]
  if (![DATABASE_FILE, OIDC_KEY, MANIFEST_NAME, 'files', 'tmp'].includes(top!)) return 'is not part of a data folder'
  if (top === 'tmp' && !name.startsWith('tmp/uploads/')) return 'is not part of a data folder'
  return null
}

async function openArchive(from: string): Promise<ReadZip> {
  try {
    return await yauzl.openPromise(from, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true } as yauzl.Options)
  } catch (error) {
    throw new BackupError(`${from} is not a readable zip archive (${(error as Error).message})`)
  }
}

async function readAll(zip: ReadZip, entry: Entry): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function parseManifest(from: string, text: string): BackupManifest {
  let manifest: BackupManifest
  try {
    manifest = JSON.parse(text) as BackupManifest
  } catch {
    throw new BackupError(`${from}: ${MANIFEST_NAME} is not JSON; the archive is corrupt`)
  }
  if (manifest?.format !== BACKUP_FORMAT) throw new BackupError(`${from} is not a Mapshelf backup (its manifest has no "format": "${BACKUP_FORMAT}")`)
  if (manifest.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new BackupError(`${from} is backup format version ${String(manifest.formatVersion)}; this Mapshelf (${VERSION}) reads version ${BACKUP_FORMAT_VERSION}`)
  }
  if (!Array.isArray(manifest.entries) || !manifest.entries.every((e) => typeof e?.path === 'string' && typeof e.sha256 === 'string' && typeof e.size === 'number')) {
    throw new BackupError(`${from}: ${MANIFEST_NAME} lists no valid entries; the archive is corrupt`)
  }
  return manifest
}

/** Reads the manifest of a backup and checks it is one this version can restore. */
export async function readManifest(from: string): Promise<BackupManifest> {
  const zip = await openArchive(resolve(from))
  try {
    for await (const entry of zip.eachEntry()) if (entry.fileName === MANIFEST_NAME) return parseManifest(from, (await readAll(zip, entry)).toString('utf8'))
    throw new BackupError(`${from} is not a Mapshelf backup (no ${MANIFEST_NAME})`)
  } catch (error) {
    if (error instanceof BackupError) throw error
    throw new BackupError(`${from}: the archive is corrupt (${(error as Error).message})`)
  } finally {
    zip.close()
  }
}

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0)
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}

export interface RestoreResult {
  dataDir: string
  manifest: BackupManifest
  /** Where the data folder that was there before went (only with force). */
  movedAside: string | null
}

/**
 * Restores a backup into `dataDir`. Everything is unpacked and checked (sha256 of every entry,
 * `PRAGMA integrity_check`) in a sibling folder first; only then is an existing folder moved aside
 * (with `force`) and the restored one renamed into place. Nothing is deleted.
 *
 * @example await restoreBackup({ dataDir: '/data', from: '/backups/mapshelf.zip', force: false })
 */
export async function restoreBackup(options: { dataDir: string; from: string; force?: boolean; log?: (line: string) => void }): Promise<RestoreResult> {
  const dataDir = resolve(options.dataDir)
  const from = resolve(options.from)
  const log = options.log ?? (() => {})
  if (!existsSync(from)) throw new BackupError(`${from} does not exist`)
  if (!statSync(from).isFile()) throw new BackupError(`${from} is not a file`)
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new BackupError(`${dataDir} exists and is not a folder`)
  if (!isEmptyDir(dataDir) && !options.force) throw new BackupError(`${dataDir} is not empty; pass --force to move it aside (it is kept, renamed) and restore`)
  const manifest = await readManifest(from)
  const expected = new Map(manifest.entries.map((e) => [e.path, e]))
  for (const path of expected.keys()) {
    const problem = entryPathProblem(path)
    if (problem) throw new BackupError(`${from}: manifest entry "${path}" ${problem}; refusing to restore`)
  }
  if (!expected.has(DATABASE_FILE)) throw new BackupError(`${from}: the backup holds no ${DATABASE_FILE}`)

  mkdirSync(dirname(dataDir), { recursive: true })
  const staging = `${dataDir}.restoring-${process.pid}-${randomUUID().slice(0, 8)}`
  mkdirSync(staging)
  const zip = await openArchive(from)
  try {
    const seen = new Set<string>()
    try {
      for await (const entry of zip.eachEntry()) {
        const name = entry.fileName
        if (name === MANIFEST_NAME) continue
        if (name.endsWith('/')) continue
        const want = expected.get(name)
        if (!want) throw new BackupError(`${from}: entry "${name}" is not in the manifest; the archive was altered`)
        if (seen.has(name)) throw new BackupError(`${from}: entry "${name}" appears twice`)
        seen.add(name)
        const target = join(staging, ...name.split('/'))
        mkdirSync(dirname(target), { recursive: true })
        let got = { sha256: '', size: 0 }
        await pipeline(await zip.openReadStreamPromise(entry), hashing((sha256, size) => (got = { sha256, size })), createWriteStream(target, { flags: 'wx' }))
        if (got.sha256 !== want.sha256 || got.size !== want.size) throw new BackupError(`${from}: checksum mismatch for ${name}; the archive is corrupt`)
      }
    } catch (error) {
      if (error instanceof BackupError) throw error
      throw new BackupError(`${from}: the archive is corrupt (${(error as Error).message})`)
    }
    const absent = [...expected.keys()].filter((p) => !seen.has(p))
    if (absent.length) throw new BackupError(`${from}: ${absent.length} entr${absent.length === 1 ? 'y' : 'ies'} of the manifest missing (${absent.slice(0, 3).join(', ')}); the archive is truncated`)
    const check = new Sqlite(join(staging, DATABASE_FILE), sqliteOptions({ fileMustExist: true }))
    try {
      const result = check.pragma('integrity_check', { simple: true })
      if (result !== 'ok') throw new BackupError(`${from}: the archived database fails PRAGMA integrity_check (${String(result)})`)
    } catch (error) {
      if (error instanceof BackupError) throw error
      throw new BackupError(`${from}: the archived database cannot be opened (${(error as Error).message})`)
    } finally {
      check.close()
    }
    mkdirSync(join(staging, 'files'), { recursive: true })
    mkdirSync(join(staging, 'tmp', 'uploads'), { recursive: true })
    let movedAside: string | null = null
    if (existsSync(dataDir)) {
      if (isEmptyDir(dataDir)) rmSync(dataDir, { recursive: true })
      else {
        movedAside = `${dataDir}.before-restore-${stamp()}`
        renameSync(dataDir, movedAside)
        log(`moved the previous data folder aside to ${movedAside}`)
      }
    }
    renameSync(staging, dataDir)
    log(`restored ${manifest.entries.length} entries from ${basename(from)} (taken ${manifest.createdAt}, changes up to seq ${manifest.changesSeq}) into ${dataDir}`)
    return { dataDir, manifest, movedAside }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    throw error
  } finally {
    zip.close()
  }
}
