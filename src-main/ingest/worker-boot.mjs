// Loads the TypeScript worker through tsx when running from source (tests, `npm run serve`);
// the desktop build bundles the worker as JavaScript and never comes here.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
