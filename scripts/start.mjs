// `npm start`: build, then open the desktop app; where no Electron binary can be had (offline
// machines, CI), say so in one line and serve the same UI and API on localhost instead.
import { spawn, spawnSync } from 'node:child_process'
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

const electron = electronBinary()
const extra = process.argv.slice(2)
if (typeof electron === 'string') {
  const child = spawn(electron, ['.', ...extra], { stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 0))
} else {
  console.log(`Electron is not available here (${electron.error}); serving the same UI and API in your browser instead.`)
  const child = spawn('npx', ['tsx', 'src-main/cli/main.ts', 'serve', '--ui-dir', 'out/renderer', ...extra], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code) => process.exit(code ?? 0))
}
