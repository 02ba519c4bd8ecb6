import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config'
import { startServer } from '../server'

/**
 * `npm run sync -- --data-dir DIR --remote URL --username U (--password P | --token T) [--full]`:
 * one full sync of the catalogue in DIR with a remote server, for scripts. Prints a summary and
 * exits non-zero when the sync fails. The local catalogue is opened as the server opens it
 * (migrations, recovery), on a loopback port nobody is told about.
 */
const USAGE = `Usage: npm run sync -- --data-dir DIR --remote URL --username USER (--password PW | --token TOKEN) [--full]

  --remote URL   the remote GeoNode-compatible server, e.g. https://geonode.example.org
  --full         also reconcile everything (deletes and changes that did not move last_updated);
                 without it, this happens when the last reconciliation is older than a day
  Credentials can also come from MAPSHELF_SYNC_PASSWORD or MAPSHELF_SYNC_TOKEN.`

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      remote: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      token: { type: 'string' },
      full: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const password = values.password ?? process.env.MAPSHELF_SYNC_PASSWORD
  const token = values.token ?? process.env.MAPSHELF_SYNC_TOKEN
  if (!values.remote || !values.username || (!password && !token)) throw new ConfigError(`--remote, --username and a password or token are required\n${USAGE}`)
  const config = loadConfig({ flags: { 'data-dir': values['data-dir'], port: '0', host: '127.0.0.1' }, env: process.env })
  const server = await startServer(config, { log: { info: () => undefined, warn: (m: string) => console.error(m), error: (m: string, e?: unknown) => console.error(m, e ?? '') } })
  if (server.generatedAdminPassword) console.log(`Created superuser "admin" with password: ${server.generatedAdminPassword} (shown once)`)
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const id = await server.services.sync.ensureRemote({ base_url: values.remote, username: values.username, password, token })
    const started = Date.now()
    const summary = await server.services.sync.runNow(id, { reconcile: values.full ? true : undefined, signal: stop.signal })
    const status = await server.services.sync.status({ userId: 0, username: 'cli', authenticated: true, superuser: true, staff: true, groupIds: [], managedGroupIds: [], registeredMember: false, via: 'internal', user: null }, id)
    const { pulled, pushed } = summary
    console.log(`Synced ${config.dataDir} with ${values.remote} as ${values.username} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    console.log(`  pulled: ${pulled.created} created, ${pulled.updated} updated, ${pulled.deleted} deleted`)
    console.log(`  pushed: ${pushed.created} created, ${pushed.updated} updated, ${pushed.deleted} deleted`)
    console.log(`  reconciled: ${summary.reconciled ? 'yes' : 'no'}; open conflicts: ${status.conflicts}; errors: ${summary.errors}`)
    process.exitCode = summary.errors > 0 ? 2 : 0
    return process.exitCode
  } catch (error) {
    console.error(`sync failed: ${(error as Error).message}`)
    process.exitCode = 1
    return 1
  } finally {
    await server.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof ConfigError ? error.message : error)
    process.exit(1)
  }
)
