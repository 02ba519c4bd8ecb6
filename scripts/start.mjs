// `npm start`: build, then open the desktop app; where no Electron binary can be had (offline
// machines, CI), say so in one line and serve the same UI and API on localhost instead.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const build = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

function electronBinary() {
  // Electron >= 42 fetches its binary on first use; asked in a child so its download noise stays
  // out of the terminal when that fails.
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], { encoding: 'utf8' })
  if (probe.status === 0 && probe.stdout) return probe.stdout.trim()
  const reason = /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(probe.stderr) ? 'its download is unreachable' : 'it failed to install'
  return { error: reason }
}

/**
 * better-sqlite3 in node_modules is built for Node (tests, headless). The desktop app needs one
 * built for Electron's ABI: made once into node_modules/.cache (the package's prebuilt binary
 * for this Electron, else compiled against Electron's headers) and handed to the app by path, so
 * neither build ever replaces the other. See docs/decisions.md.
 */
function electronSqliteBinding() {
  const version = JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')).version
  const dir = join('node_modules', '.cache', 'mapshelf', `better-sqlite3-electron-${version}-${process.platform}-${process.arch}`)
  const binding = join(dir, 'build', 'Release', 'better_sqlite3.node')
  if (existsSync(binding)) return binding
  console.log(`Preparing SQLite for Electron ${version} (once)...`)
  cpSync('node_modules/better-sqlite3', dir, { recursive: true, filter: (source) => !source.includes(`${join('better-sqlite3', 'build')}`) })
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: version, npm_config_disturl: 'https://electronjs.org/headers' }
  const prebuilt = spawnSync(process.execPath, [join(process.cwd(), 'node_modules', 'prebuild-install', 'bin.js'), '--runtime=electron', `--target=${version}`, `--arch=${process.arch}`], { cwd: dir, stdio: 'inherit', env })
  if (prebuilt.status !== 0 || !existsSync(binding)) {
    const compiled = spawnSync('npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${version}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers'], { cwd: dir, stdio: 'inherit', env })
    if (compiled.status !== 0 || !existsSync(binding)) return { error: 'better-sqlite3 could not be built for Electron (no prebuilt binary and no compiler)' }
  }
  return binding
}

const electron = electronBinary()
const extra = process.argv.slice(2)
const binding = typeof electron === 'string' ? electronSqliteBinding() : null
if (typeof electron === 'string' && typeof binding === 'string') {
  const child = spawn(electron, ['.', ...extra], { stdio: 'inherit', env: { ...process.env, MAPSHELF_SQLITE_BINDING: binding } })
  child.on('exit', (code) => process.exit(code ?? 0))
} else {
  const why = typeof electron === 'string' ? binding.error : electron.error
  console.log(`Electron is not available here (${why}); serving the same UI and API in your browser instead.`)
  const child = spawn('npx', ['tsx', 'src-main/cli/main.ts', 'serve', '--ui-dir', 'out/renderer', ...extra], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code) => process.exit(code ?? 0))
}
