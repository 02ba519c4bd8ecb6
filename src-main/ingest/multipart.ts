import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import busboy from 'busboy'
import { ApiError, PayloadTooLarge, UploadRefused } from '../errors'

export interface ReceivedFile {
  field: string
  /** The client's file name, reduced to its last path segment. */
  filename: string
  path: string
  size: number
  sha256: string
}

export interface ReceivedForm {
  fields: Record<string, string>
  files: Map<string, ReceivedFile>
}

export interface MultipartLimits {
  /** The sum of all file sizes (upload-size-limits). */
  maxTotalBytes: number
  maxFiles: number
  maxFieldBytes: number
  /** The most the file of a field may weigh (side-car XML); over it, a 413 names the file. */
  maxFileBytes?: Record<string, number>
}

/** A file name safe to keep on disk: its last segment, no control or path characters. */
export function safeFileName(name: string): string {
  const last = basename(name.replace(/\\/g, '/'))
  const cleaned = last.replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').replace(/^\.+/, '_')
  return cleaned.slice(-200) || 'file'
}

/**
 * Streams a multipart/form-data request to files in `dir` (which must exist and be empty),
 * hashing as it writes; memory stays a few buffers whatever the size. Over the size limit, the
 * answer is the upload wizard's 400 and the request is drained, not read into memory. The caller
 * removes `dir` on failure.
 */
export function receiveMultipart(req: IncomingMessage, dir: string, limits: MultipartLimits): Promise<ReceivedForm> {
  const type = req.headers['content-type'] ?? ''
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(new UploadRefused([`The request must be multipart/form-data with a base_file part, not ${type.split(';')[0] || 'an empty body'}.`]))
  }
  mkdirSync(dir, { recursive: true })
  return new Promise<ReceivedForm>((resolve, reject) => {
    const fields: Record<string, string> = {}
    const files = new Map<string, ReceivedFile>()
    const writes: Promise<void>[] = []
    let total = 0
    let failed = false
    let parser: busboy.Busboy
    try {
      // Browsers send a file name as UTF-8 bytes in filename="..." (RFC 7578); busboy's default reads latin1.
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: limits.maxFiles, fieldSize: limits.maxFieldBytes, fields: 100, parts: 200 } })
    } catch (error) {
      return reject(new UploadRefused([`The multipart body cannot be read: ${(error as Error).message}.`]))
    }
    const fail = (error: Error) => {
      if (failed) return
      failed = true
      req.unpipe(parser)
      req.resume()
      reject(error)
    }
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new UploadRefused([`The field ${name} is longer than ${limits.maxFieldBytes} bytes.`]))
      fields[name] = value
    })
    parser.on('file', (field, stream, info) => {
      if (failed) return void stream.resume()
      if (files.has(field)) return fail(new UploadRefused([`The field ${field} carries more than one file.`]))
      const filename = safeFileName(info.filename || field)
      // A folder per field keeps the user's file name (layers are named after it) without clashes.
      mkdirSync(join(dir, field.replace(/[^A-Za-z0-9_]/g, '_')), { recursive: true })
      const path = join(dir, field.replace(/[^A-Za-z0-9_]/g, '_'), filename)
      const hash = createHash('sha256')
      const record: ReceivedFile = { field, filename, path, size: 0, sha256: '' }
      files.set(field, record)
      const fileLimit = limits.maxFileBytes?.[field] ?? Infinity
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          total += chunk.length
          record.size += chunk.length
          if (total > limits.maxTotalBytes) {
            return done(new UploadRefused([`Total upload size exceeds ${fileSizeLabel(limits.maxTotalBytes)}. Please try again with smaller files.`]))
          }
          if (record.size > fileLimit) return done(new PayloadTooLarge(`${filename}: a ${field} may be at most ${fileSizeLabel(fileLimit)}.`))
          hash.update(chunk)
          done(null, chunk)
        }
      })
      writes.push(
        pipeline(stream, meter, createWriteStream(path)).then(
          () => void (record.sha256 = hash.digest('hex')),
          (error: Error) => {
            stream.resume()
            fail(error instanceof ApiError ? error : new UploadRefused([`${filename}: the upload was interrupted: ${error.message}.`]))
          }
        )
      )
    })
    parser.on('filesLimit', () => fail(new UploadRefused([`At most ${limits.maxFiles} files per upload.`])))
    parser.on('error', (error: Error) => fail(new UploadRefused([`The multipart body cannot be read: ${error.message}.`])))
    parser.on('close', () => {
      void Promise.all(writes).then(() => {
        if (!failed) resolve({ fields, files })
      })
    })
    req.on('aborted', () => fail(new UploadRefused(['The upload was interrupted before it was complete.'])))
    req.pipe(parser)
  })
}

/** Django's filesizeformat, with its non-breaking space: 104857600 -> "100.0\u00a0MB". */
export function fileSizeLabel(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB']
  if (bytes < 1024) return `${bytes}\u00a0byte${bytes === 1 ? '' : 's'}`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(1)}\u00a0${units[unit]}`
}
