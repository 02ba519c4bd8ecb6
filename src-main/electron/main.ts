import { join } from 'node:path'
import { BrowserWindow, Menu, app, shell } from 'electron'
import { loadConfig } from '../config'
import { type RunningServer, VERSION, startServer } from '../server'
import { keychainSecretBox } from './keychain'

let server: RunningServer | null = null
let window: BrowserWindow | null = null

function createWindow(bridge: { baseUrl: string; token: string; version: string }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    title: 'Mapshelf',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      additionalArguments: [`--mapshelf-bridge=${encodeURIComponent(JSON.stringify(bridge))}`]
    }
  })
  win.once('ready-to-show', () => win.show())
  // Links to other sites open in the user's browser, never inside the app window.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // Served by the local server itself, so the renderer and the API share one origin (no CORS).
  void win.loadURL(`${bridge.baseUrl}/`)
  return win
}

async function start(): Promise<void> {
  const config = loadConfig({
    flags: { 'data-dir': join(app.getPath('userData'), 'catalogue'), port: '0', host: '127.0.0.1', 'ui-dir': join(__dirname, '../renderer') },
    env: process.env
  })
  server = await startServer(config, { secrets: keychainSecretBox() })
  const token = await server.desktopToken()
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ label: `Mapshelf ${VERSION}`, enabled: false }] }
    ])
  )
  window = createWindow({ baseUrl: server.url, token, version: VERSION })
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })
  app.whenReady().then(start, (error: unknown) => {
    console.error(error)
    app.exit(1)
  })
  app.on('window-all-closed', () => app.quit())
  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting || !server) return
    // Finish in-flight writes and checkpoint the WAL before the process goes away.
    event.preventDefault()
    quitting = true
    void server.close().finally(() => app.quit())
  })
}
