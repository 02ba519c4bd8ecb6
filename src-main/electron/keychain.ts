import { safeStorage } from 'electron'
import type { SecretBox } from '../sync/secrets'

const PREFIX = 'os1:'

/**
 * Sync credentials sealed by the operating system's keychain (Keychain, DPAPI, libsecret) through
 * Electron's safeStorage; undefined where the OS offers none, and the key file takes over.
 */
export function keychainSecretBox(): SecretBox | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined
  return {
    seal: (plain) => PREFIX + safeStorage.encryptString(plain).toString('base64'),
    open: (sealed) => {
      if (!sealed.startsWith(PREFIX)) throw new Error('This credential was sealed by the headless key file; enter it again in the desktop app.')
      return safeStorage.decryptString(Buffer.from(sealed.slice(PREFIX.length), 'base64'))
    }
  }
}
