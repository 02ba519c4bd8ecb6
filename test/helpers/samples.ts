import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** GeoNode 3.3's documented response bodies, kept with the tests (test/fixtures/geonode). */
const SAMPLES = new URL('../fixtures/geonode/', import.meta.url)

export function sample<T = any>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, SAMPLES)), 'utf8')) as T
}
