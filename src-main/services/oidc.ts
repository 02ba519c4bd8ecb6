import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The RSA key that signs OpenID Connect id_tokens, kept in the data folder (created on first use). */
export interface OidcSigner {
  kid: string
  sign(claims: Record<string, unknown>): string
  jwks(): { keys: Record<string, unknown>[] }
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url')

export function oidcSigner(dataDir: string): OidcSigner {
  let key: KeyObject | null = null
  const file = join(dataDir, 'oidc-signing-key.pem')
  const privateKey = () => {
    if (key) return key
    if (!existsSync(file)) {
      const { privateKey: created } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      writeFileSync(file, created.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' })
    }
    key = createPrivateKey(readFileSync(file))
    return key
  }
  const publicJwk = () => createPublicKey(privateKey()).export({ format: 'jwk' }) as Record<string, string>
  const kid = () => b64url(Buffer.from(publicJwk().n, 'base64url').subarray(0, 12))
  return {
    get kid() {
      return kid()
    },
    sign(claims) {
      const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: kid() }))
      const payload = b64url(JSON.stringify(claims))
      const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey())
      return `${header}.${payload}.${b64url(signature)}`
    },
    jwks() {
      return { keys: [{ ...publicJwk(), kid: kid(), use: 'sig', alg: 'RS256' }] }
    }
  }
}
