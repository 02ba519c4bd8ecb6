import { contextBridge } from 'electron'

/** Values the shell hands to the renderer: named, read-only, no channel pass-through. */
export interface DesktopBridge {
  baseUrl: string
  token: string
  version: string
}

const prefix = '--mapshelf-bridge='
const encoded = process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? ''
const parsed = JSON.parse(decodeURIComponent(encoded || '%7B%7D')) as Partial<DesktopBridge>

const bridge = {
  baseUrl: String(parsed.baseUrl ?? ''),
  token: String(parsed.token ?? ''),
  version: String(parsed.version ?? '')
} satisfies DesktopBridge

contextBridge.exposeInMainWorld('mapshelf', Object.freeze(bridge))
