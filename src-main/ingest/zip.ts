import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import { IngestError } from './types'

export interface ZipLimits {
  maxEntries: number
  /** Sum of the declared uncompressed sizes, and of the bytes actually written. */
  maxTotalBytes: number
  /** Largest uncompressed/compressed size ratio allowed for one entry. */
  maxRatio: number
}

export interface ZipEntryInfo {
  /** Name as stored in the archive (backslashes turned into slashes). */
  name: string
  size: number
  compressedSize: number
  directory: boolean
  encrypted: boolean
}

/**
 * Below this uncompressed size the ratio says nothing about a bomb (a 200 KB blank .dbf
 * deflates 1000:1) and maxTotalBytes already bounds what can be written.
 */
const RATIO_FLOOR_BYTES = 1024 * 1024

const S_IFMT = 0o170000
const S_IFLNK = 0o120000

/** Lists the archive's entries (central directory only; nothing is inflated or written). */
export async function listZip(zipPath: string): Promise<ZipEntryInfo[]> {
  const zipName = path.basename(zipPath)
  const zip = await openZip(zipPath)
  try {
    const entries = await readEntries(zip, zipName)
    return entries.map((entry) => {
      const name = entryName(entry)
      return {
        name,
        size: entry.uncompressedSize,
        compressedSize: entry.compressedSize,
        directory: name.endsWith('/'),
        encrypted: entry.isEncrypted()
      }
    })
  } finally {
    zip.close()
  }
}

/**
 * Extracts a zip into destDir and returns the relative paths of the files written (slash
 * separated, in archive order). Every entry is checked before anything is written; on any
 * failure everything written so far is removed and an IngestError naming the zip is thrown.
 */
export async function extractZip(zipPath: string, destDir: string, limits: ZipLimits): Promise<string[]> {
  const zipName = path.basename(zipPath)
  const root = path.resolve(destDir)
  const zip = await openZip(zipPath)
  const created: string[] = []
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new IngestError(zipName, `the archive has ${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`)
    }
    const plan = planExtraction(await readEntries(zip, zipName), zipName, root, limits)
    const dirCreated = await mkdir(root, { recursive: true })
    if (dirCreated) created.push(dirCreated)
    let written = 0
    for (const item of plan) {
      const first = await mkdir(path.dirname(item.target), { recursive: true })
      if (first) created.push(first)
      written = await writeEntry(zip, zipName, item, { written, maxTotalBytes: limits.maxTotalBytes, created })
    }
    return plan.map((item) => item.relative)
  } catch (error) {
    for (const target of created.reverse()) await rm(target, { recursive: true, force: true })
    throw error
  } finally {
    zip.close()
  }
}

interface PlannedEntry {
  entry: Entry
  name: string
  relative: string
  target: string
}

function planExtraction(entries: Entry[], zipName: string, root: string, limits: ZipLimits): PlannedEntry[] {
  const plan: PlannedEntry[] = []
  const seen = new Set<string>()
  let declared = 0
  for (const entry of entries) {
    const name = entryName(entry)
    const refuse = (problem: string) => new IngestError(zipName, `entry "${name}" ${problem}`)
    const relative = safeRelativePath(name)
    if (relative === null) throw refuse('points outside the extraction folder')
    if (isSymlink(entry)) throw refuse('is a symbolic link')
    if (entry.isEncrypted()) throw refuse('is encrypted; upload an archive without a password')
    if (name.endsWith('/') || isSkipped(relative)) continue
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw refuse(`uses an unsupported compression method (${entry.compressionMethod})`)
    }
    if (entry.uncompressedSize >= RATIO_FLOOR_BYTES && entry.uncompressedSize > entry.compressedSize * limits.maxRatio) {
      const ratio = entry.compressedSize === 0 ? 'unbounded' : `${Math.round(entry.uncompressedSize / entry.compressedSize)}:1`
      throw refuse(`has a compression ratio of ${ratio}, above the ${limits.maxRatio}:1 allowed (possible zip bomb)`)
    }
    declared += entry.uncompressedSize
    if (declared > limits.maxTotalBytes) {
      throw new IngestError(zipName, `the archive expands to more than ${limits.maxTotalBytes} bytes`)
    }
    const key = relative.toLowerCase()
    if (seen.has(key)) throw refuse('appears more than once')
    seen.add(key)
    plan.push({ entry, name, relative, target: path.join(root, ...relative.split('/')) })
  }
  return plan
}

/** The entry's path relative to the extraction folder, or null when it is absolute or climbs out. */
function safeRelativePath(name: string): string | null {
  if (name.includes('\0')) return null
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return null
  const normalised = path.posix.normalize(name)
  if (normalised === '..' || normalised.startsWith('../') || normalised.startsWith('/')) return null
  const relative = normalised.replace(/^\.\//, '').replace(/\/$/, '')
  if (relative === '' || relative === '.') return name.endsWith('/') ? relative : null
  return relative
}

function isSkipped(relative: string): boolean {
  return relative.split('/').some((segment) => segment === '__MACOSX' || segment.startsWith('.'))
}

function isSymlink(entry: Entry): boolean {
  const madeBy = entry.versionMadeBy >> 8
  // Only Unix (3) and macOS (19) store a mode in the high 16 bits of the external attributes.
  if (madeBy !== 3 && madeBy !== 19) return false
  return ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK
}

function entryName(entry: Entry): string {
  // decodeStrings is off so that yauzl does not reject bad names before we can name them.
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false)
}

interface WriteState {
  written: number
  maxTotalBytes: number
  /** Paths this extraction created, for the cleanup; a file joins once we have opened it. */
  created: string[]
}

async function writeEntry(zip: ZipFile, zipName: string, item: PlannedEntry, state: WriteState): Promise<number> {
  const { maxTotalBytes } = state
  const declared = item.entry.uncompressedSize
  const tooLarge = () => new IngestError(zipName, `entry "${item.name}" inflates to more than its declared ${declared} bytes`)
  let written = state.written
  let entryBytes = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      entryBytes += chunk.length
      written += chunk.length
      if (entryBytes > item.entry.uncompressedSize) return callback(tooLarge())
      if (written > maxTotalBytes) return callback(new IngestError(zipName, `the archive expands to more than ${maxTotalBytes} bytes`))
      callback(null, chunk)
    }
  })
  try {
    const input = await zip.openReadStreamPromise(item.entry)
    const output = createWriteStream(item.target, { flags: 'wx' })
    output.once('open', () => state.created.push(item.target))
    await pipeline(input, counter, output)
  } catch (error) {
    // The write stream may have created the file without emitting 'open' before it was destroyed.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && !state.created.includes(item.target)) state.created.push(item.target)
    if (error instanceof IngestError) throw error
    const message = errorMessage(error)
    if (message.startsWith('too many bytes in the stream')) throw tooLarge()
    if (code === 'EEXIST') {
      throw new IngestError(zipName, `entry "${item.name}" would overwrite an existing file`)
    }
    if (isFsError(error)) throw error
    throw damaged(zipName, `entry "${item.name}": ${message}`)
  }
  return written
}

async function openZip(zipPath: string): Promise<ZipFile> {
  try {
    return await yauzl.openPromise(zipPath, {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false,
      autoClose: false,
      strictFileNames: false
    })
  } catch (error) {
    if (isFsError(error)) throw error
    throw damaged(path.basename(zipPath), errorMessage(error))
  }
}

function readEntries(zip: ZipFile, zipName: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = []
    const onEntry = (entry: Entry) => {
      entries.push(entry)
      zip.readEntry()
    }
    const onError = (error: unknown) => {
      cleanup()
      const message = errorMessage(error)
      reject(
        message.includes('strong encryption')
          ? new IngestError(zipName, 'an entry uses strong encryption; upload an archive without a password')
          : damaged(zipName, message)
      )
    }
    const onEnd = () => {
      cleanup()
      resolve(entries)
    }
    const cleanup = () => {
      zip.off('entry', onEntry)
      zip.off('error', onError)
      zip.off('end', onEnd)
    }
    zip.on('entry', onEntry)
    zip.on('error', onError)
    zip.on('end', onEnd)
    zip.readEntry()
  })
}

function damaged(zipName: string, reason: string): IngestError {
  return new IngestError(zipName, `the zip archive is damaged or incomplete: ${reason}`)
}

function isFsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && !code.startsWith('ERR_') && code !== 'EOF'
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
