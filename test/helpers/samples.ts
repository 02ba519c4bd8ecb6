import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The spec's sample bodies live in ../shared beside the project (CI lays a copy there too). */
const SAMPLES = new URL('../../../shared/spec/samples/', import.meta.url)

export function sample<T = any>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, SAMPLES)), 'utf8')) as T
}
