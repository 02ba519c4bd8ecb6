import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Seals remote credentials at rest. The desktop shell passes one backed by the OS keychain
 * (Electron's safeStorage); headless, a key file in the data folder does the job.
 */
export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
}

const PREFIX = 'kf1:'

/**
 * AES-256-GCM with a random key kept in `<data>/keys/sync.key` (mode 0600). It keeps passwords
 * out of the database file and its backups; whoever can read the whole data folder can read them.
 */
export function keyFileSecretBox(dataDir: string): SecretBox {
  const dir = join(dataDir, 'keys')
  const file = join(dir, 'sync.key')
  let key: Buffer | null = null
  const load = (): Buffer => {
    if (key) return key
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' })
    }
    chmodSync(file, 0o600)
    key = readFileSync(file)
    if (key.length !== 32) throw new Error(`${file} is not a 32-byte key`)
    return key
  }
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', load(), iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error('This credential was sealed by another key store (the desktop keychain?); enter it again.')
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64')
      const decipher = createDecipheriv('aes-256-gcm', load(), raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
    }
  }
}
