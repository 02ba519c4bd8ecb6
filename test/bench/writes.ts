import Database from 'better-sqlite3'
import { type Target, measurePair, median } from './load'
import type { BenchOptions } from './options'
import { P99_TARGET_MS } from './report'

/** Write rows of the benchmark: loaded writes (autocannon) and one-shot large writes (timed). */

export const WRITE_P99_TARGET_MS = 15
export const BULK_CREATE_TARGET_MS = 1000

export interface LoadedWrite {
  name: string
  /** Concurrent keep-alive connections the row was measured with. */
  connections: number
  status: number
  query: { p50: number; p99: number; rps: number; unexpected: Record<string, number>; errors: number }
  bare: { rps: number }
}

export interface LargeWrite {
  name: string
  status: number
  ms: number
  bareMs: number
  target: string
  met: boolean | null
}

async function timed(url: string, init: RequestInit): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now()
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, ms: performance.now() - started, body: text ? JSON.parse(text) : null }
}

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })

export interface WriteContext {
  baseUrl: string
  bareUrl: string
  adminToken: string
  userToken: string
  databaseFile: string
  ownedResourceId: number
}

/** Loaded writes: a single PATCH by the owner, set_perms with 100 grants by the admin. */
export async function loadedWrites(ctx: WriteContext, options: BenchOptions): Promise<LoadedWrite[]> {
  const db = new Database(ctx.databaseFile, { readonly: true })
  const usernames = (db.prepare('SELECT username FROM users WHERE id > 1000 ORDER BY id LIMIT 100').all() as { username: string }[]).map((u) => u.username)
  db.close()
  const grants = Object.fromEntries(usernames.map((name, i) => [name, i % 2 ? ['view_resourcebase'] : ['view_resourcebase', 'download_resourcebase']]))
  const patch: Target = { url: `${ctx.baseUrl}/api/v2/resources/${ctx.ownedResourceId}`, headers: json(ctx.userToken), expectedStatus: 200, method: 'PATCH', body: JSON.stringify({ title: 'Benchmark title' }) }
  const rows: [string, Target, number][] = [
    // One client: the latency of a write itself. Ten: the same writes queued behind one another on
    // the single SQLite writer, so p99 there is mostly waiting time (about ten service times).
    ['single PATCH (owner, title)', patch, 1],
    ['single PATCH (owner, title)', patch, options.connections],
    ['set_perms, 100 grants (admin)', { url: `${ctx.baseUrl}/api/v2/resources/${ctx.ownedResourceId}/set_perms`, headers: json(ctx.adminToken), expectedStatus: 200, method: 'PUT', body: JSON.stringify({ users: grants, groups: { anonymous: ['view_resourcebase', 'download_resourcebase'] } }) }, options.connections]
  ]
  const out: LoadedWrite[] = []
  for (const [name, target, connections] of rows) {
    const check = await timed(target.url, { method: target.method, headers: target.headers, body: target.body })
    const bare: Target = { url: ctx.bareUrl, headers: {}, expectedStatus: 200, method: target.method, body: target.body }
    const measured = await measurePair(target, bare, { ...options, connections })
    out.push({ name, connections, status: check.status, query: measured.query, bare: { rps: measured.bare.rps } })
  }
  return out
}

/** Bulk create of 1,000 resources and patch-all=query over 10,000, each timed 3 times (median). */
export async function largeWrites(ctx: WriteContext): Promise<LargeWrite[]> {
  const items = Array.from({ length: 1000 }, (_, i) => ({ title: `Bench map ${i}`, abstract: 'Created by the benchmark', keywords: ['benchmark'] }))
  const createBody = JSON.stringify({ maps: items })
  const patchBody = JSON.stringify({ purpose: 'Benchmark pass' })
  const runs = { create: [] as number[], bareCreate: [] as number[], patch: [] as number[], barePatch: [] as number[] }
  let createStatus = 0
  let patchStatus = 0
  for (let round = 0; round < 3; round++) {
    const created = await timed(`${ctx.baseUrl}/api/v2/maps`, { method: 'POST', headers: json(ctx.adminToken), body: createBody })
    createStatus = created.status
    runs.create.push(created.ms)
    const ids = ((created.body as { maps?: { pk: string }[] }).maps ?? []).map((m) => ({ id: Number(m.pk) }))
    if (ids.length) await timed(`${ctx.baseUrl}/api/v2/maps`, { method: 'DELETE', headers: json(ctx.adminToken), body: JSON.stringify(ids) })
    runs.bareCreate.push((await timed(ctx.bareUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: createBody })).ms)
    const patched = await timed(`${ctx.baseUrl}/api/v2/resources?patch-all=query&filter{pk.lte}=10000`, { method: 'PATCH', headers: json(ctx.adminToken), body: patchBody })
    patchStatus = patched.status
    runs.patch.push(patched.ms)
    runs.barePatch.push((await timed(ctx.bareUrl, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: patchBody })).ms)
  }
  const create = median(runs.create)
  return [
    { name: 'bulk create of 1,000 maps (admin)', status: createStatus, ms: create, bareMs: median(runs.bareCreate), target: `< ${BULK_CREATE_TARGET_MS} ms`, met: createStatus === 201 && create < BULK_CREATE_TARGET_MS },
    { name: 'patch-all=query over 10,000 resources (admin)', status: patchStatus, ms: median(runs.patch), bareMs: median(runs.barePatch), target: '–', met: null }
  ]
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a')

export function writeTables(loaded: LoadedWrite[], large: LargeWrite[]): string {
  const loadedRows = loaded.map((r) => {
    const ok = r.status === 200 && Object.keys(r.query.unexpected).length === 0 && r.query.errors === 0
    return `| ${r.name} | ${r.connections} | ${ok ? r.status : `**FAIL** ${r.status} ${JSON.stringify(r.query.unexpected)}`} | ${fmt(r.query.p50, 2)} | ${fmt(r.query.p99, 2)} | ${Math.round(r.query.rps)} | ${Math.round(r.bare.rps)} | ${fmt(r.query.rps / r.bare.rps, 3)} | ${ok && r.query.p99 <= WRITE_P99_TARGET_MS ? 'yes' : '**NO**'} |`
  })
  const largeRows = large.map((r) => `| ${r.name} | ${r.status} | ${fmt(r.ms, 1)} | ${fmt(r.bareMs, 1)} | ${r.target} | ${r.met === null ? '–' : r.met ? 'yes' : '**NO**'} |`)
  return [
    `| write | clients | status | p50 ms | p99 ms | req/s | bare req/s | ratio | p99 ≤ ${WRITE_P99_TARGET_MS} ms? |`,
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...loadedRows,
    '',
    '| large write | status | median ms (3 runs) | bare route, same body, ms | target | met? |',
    '| --- | --- | ---: | ---: | --- | --- |',
    ...largeRows
  ].join('\n')
}

export { P99_TARGET_MS }
