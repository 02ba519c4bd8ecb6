import { describe, expect, it } from 'vitest'
import { type Pair, all, api, bindings, catalogue, create, detail, differences, journal, lastRunId, maxSeq, one, patch, sqliteOf, status, usePair } from './helpers'

// Scenarios 6 and 7: refused connections, timeouts and slow links, an expired login mid-sweep,
// records changing during a scan, and runs cancelled at several points then resumed.

const localIdOf = (pair: Pair, remotePk: number): number => bindings(pair).find((b) => b.remote_pk === remotePk)!.local_id!
const dupes = (rows: { title: string }[]) => rows.map((r) => r.title).filter((t, i, a) => a.indexOf(t) !== i)

describe('refused connections', () => {
  const pair = usePair({ resources: 8, synced: true })

  it('fails cleanly while the remote is down, writes nothing here, and completes once it is back', async () => {
    const id = localIdOf(pair, 3)
    await patch(pair.local, 'map', id, { abstract: 'edited offline' })
    await pair.proxy.stop()
    const localSeq = maxSeq(pair.local)
    const localCount = catalogue(pair.local).length
    const error = await pair.trySync()
    expect(error).toMatch(/cannot be reached|ECONNREFUSED/)
    const st = await status(pair)
    expect(st.last_error).toMatch(/cannot be reached|ECONNREFUSED/)
    expect(st.last_error).not.toContain('\n')
    expect(st.running).toBe(false)
    expect(maxSeq(pair.local)).toBe(localSeq)
    expect(catalogue(pair.local).length).toBe(localCount)
    expect(st.pending.updates).toBe(1)
    await pair.proxy.start()
    await pair.sync()
    expect((await detail(pair.remote, 'map', 3)).abstract).toBe('edited offline')
    const after = await status(pair)
    expect(after.last_error).toBeNull()
    expect(after.unfinished).toBe(false)
    expect(after.pending.updates).toBe(0)
  })
})

describe('timeouts and slow links', () => {
  // The engine's own timeout (Remote.timeoutMs, 30 s) cannot be set from outside: the local
  // server's fetch adds an 800 ms one in front of it.
  const pair = usePair({ resources: 8, timeoutMs: 800 })

  it('survives a slow link (every answer 60 ms late) and one answer later than the timeout (retried)', async () => {
    let slowOnce = true
    pair.proxy.rule = (r) => {
      if (slowOnce && r.method === 'GET' && /^\/api\/v2\/resources\/\d+\/get_perms\/$/.test(r.path)) {
        slowOnce = false
        return { kind: 'delay', ms: 1500 }
      }
      return { kind: 'delay', ms: 60 }
    }
    const summary = await pair.sync()
    pair.proxy.rule = null
    expect(slowOnce).toBe(false)
    expect(summary.errors).toBe(0)
    expect(summary.pulled.created).toBe(catalogue(pair.remote).length)
    expect(await differences(pair)).toEqual([])
  })

  it('fails with a clear timeout when the remote stays slower than the timeout, and resumes', async () => {
    await patch(pair.remote, 'layer', 1, { abstract: 'changed while the link was slow' })
    pair.proxy.rule = (r) => (r.path === '/api/v2/resources/' ? { kind: 'delay', ms: 1500 } : undefined)
    const started = Date.now()
    const error = await pair.trySync()
    pair.proxy.rule = null
    expect(error).toMatch(/did not answer in time/)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect((await status(pair)).last_error).toMatch(/did not answer in time/)
    await pair.sync()
    expect((await detail(pair.local, 'layer', localIdOf(pair, 1))).abstract).toBe('changed while the link was slow')
  })
})

describe('an expired login mid-sweep', () => {
  const pair = usePair({ resources: 12, synced: true })

  it('signs in again after a 401 answer in the middle of a push and carries on', async () => {
    for (const pk of [1, 2, 3]) {
      const type = one(pair.remote, 'SELECT resource_type FROM resources WHERE id = ?', pk).resource_type
      await patch(pair.local, type, localIdOf(pair, pk), { purpose: `pushed ${pk}` })
    }
    let patches = 0
    pair.proxy.rule = (r) => (r.method === 'PATCH' && ++patches === 2 ? { kind: 'answer', status: 401, body: { detail: 'Invalid token.' } } : undefined)
    const tokensBefore = pair.proxy.seen((r) => r.path.startsWith('/o/token')).length
    const summary = await pair.sync()
    pair.proxy.rule = null
    expect(summary.errors).toBe(0)
    expect(pair.proxy.seen((r) => r.path.startsWith('/o/token')).length).toBe(tokensBefore + 2)
    for (const pk of [1, 2, 3]) {
      const type = one(pair.remote, 'SELECT resource_type FROM resources WHERE id = ?', pk).resource_type
      expect((await detail(pair.remote, type, pk)).purpose).toBe(`pushed ${pk}`)
    }
  })

  it('signs in again when the remote revokes the token mid-push (writes as anonymous are refused)', async () => {
    for (const pk of [4, 5]) {
      const type = one(pair.remote, 'SELECT resource_type FROM resources WHERE id = ?', pk).resource_type
      await patch(pair.local, type, localIdOf(pair, pk), { purpose: `after revocation ${pk}` })
    }
    let revoked = false
    pair.proxy.rule = (r) => {
      if (!revoked && r.method === 'PATCH') {
        revoked = true
        pair.remote.running.database.sqlite.prepare('DELETE FROM access_tokens').run()
      }
    }
    const summary = await pair.sync()
    pair.proxy.rule = null
    expect(revoked).toBe(true)
    expect(summary.errors).toBe(0)
    for (const pk of [4, 5]) {
      const type = one(pair.remote, 'SELECT resource_type FROM resources WHERE id = ?', pk).resource_type
      expect((await detail(pair.remote, type, pk)).purpose).toBe(`after revocation ${pk}`)
    }
  })

  it('does not delete private records when the login expires during a reconciliation', async () => {
    await pair.sync()
    const hidden = all(pair.remote, `SELECT id FROM resources WHERE id NOT IN (SELECT resource_id FROM resource_group_perms p JOIN auth_groups g ON g.id = p.group_id WHERE g.name = 'anonymous' AND p.codename = 'view_resourcebase')`).length
    expect(hidden).toBeGreaterThan(0)
    const before = catalogue(pair.local).length
    let revoked = false
    pair.proxy.rule = (r) => {
      if (!revoked && r.path === '/api/v2/resources/' && r.url.includes('sort[]=pk')) {
        revoked = true
        pair.remote.running.database.sqlite.prepare('DELETE FROM access_tokens').run()
      }
    }
    await pair.trySync({ reconcile: true })
    pair.proxy.rule = null
    expect(revoked).toBe(true)
    expect(catalogue(pair.local).length).toBe(before)
    expect(journal(pair, lastRunId(pair)).filter((j) => j.action === 'delete' && j.outcome === 'ok')).toEqual([])
  })
})

describe('records changing during a scan', () => {
  const pair = usePair({ resources: 130, setupTimeout: 120_000 }) // more than one page (100)

  it('misses nothing when records move between two page requests', { timeout: 120_000 }, async () => {
    let listings = 0
    pair.proxy.rule = async (r) => {
      if (r.method === 'GET' && r.path === '/api/v2/resources/' && ++listings === 2) {
        // One record already pulled and one not yet pulled change while the scan runs; one new appears.
        const type = (pk: number) => one(pair.remote, 'SELECT resource_type FROM resources WHERE id = ?', pk).resource_type
        await patch(pair.remote, type(1), 1, { title: 'Moved during the scan (early)' })
        await patch(pair.remote, type(125), 125, { title: 'Moved during the scan (late)' })
        await create(pair.remote, 'map', { title: 'Created during the scan', abstract: 'x' })
      }
    }
    await pair.sync()
    pair.proxy.rule = null
    await pair.sync()
    expect(listings).toBeGreaterThanOrEqual(2)
    const remoteRecords = catalogue(pair.remote)
    const localRecords = catalogue(pair.local)
    expect(localRecords.length).toBe(remoteRecords.length)
    expect(new Set(localRecords.map((r) => r.uuid))).toEqual(new Set(remoteRecords.map((r) => r.uuid)))
    for (const title of ['Moved during the scan (early)', 'Moved during the scan (late)', 'Created during the scan']) {
      expect(localRecords.filter((r) => r.title === title), title).toHaveLength(1)
    }
    expect(await differences(pair)).toEqual([])
  })
})

describe('cancelled runs resume', () => {
  const pair = usePair({ resources: 12 })

  it('shows an unfinished run after each cancel, and the next run ends with no duplicates and nothing lost', async () => {
    const titles = ['Offline map A', 'Offline map B', 'Offline map C']
    for (const title of titles) await create(pair.local, 'map', { title, abstract: 'made offline', zoom: 3 })
    const editedId = 1 // a local record created offline: its edit must survive
    // Cancel when the proxy sees the n-th request of the run (GETs only: an aborted POST is a lost
    // answer, a separate scenario).
    for (const n of [3, 9, 17, 26, 31]) {
      const controller = new AbortController()
      let seen = 0
      pair.proxy.rule = (r) => {
        if (r.method === 'GET' && ++seen === n) controller.abort()
      }
      const error = await pair.trySync({ signal: controller.signal })
      pair.proxy.rule = null
      const st = await status(pair)
      if (error) {
        expect(st.unfinished || st.phase === 'idle', `after cancel at ${n}`).toBe(true)
        expect(st.last_error).toBeTruthy()
      }
      if (st.phase !== 'idle') expect(st.unfinished).toBe(true)
    }
    await pair.sync()
    await pair.sync({ reconcile: true })
    const st = await status(pair)
    expect(st.unfinished).toBe(false)
    expect(st.pending).toEqual({ creates: 0, updates: 0, deletes: 0 })
    expect(dupes(catalogue(pair.local))).toEqual(dupes(catalogue(pair.remote)))
    for (const title of titles) {
      expect(Number(one(pair.remote, 'SELECT count(*) AS n FROM resources WHERE title = ?', title).n), title).toBe(1)
      expect(Number(one(pair.local, 'SELECT count(*) AS n FROM resources WHERE title = ?', title).n), title).toBe(1)
    }
    expect(catalogue(pair.local).length).toBe(catalogue(pair.remote).length)
    expect(new Set(catalogue(pair.local).map((r) => r.title))).toEqual(new Set(catalogue(pair.remote).map((r) => r.title)))
    expect(await differences(pair)).toEqual([])
    void editedId
  })

  it('reports a cancelled run as cancelled (not as a timeout)', async () => {
    await patch(pair.remote, 'layer', 1, { abstract: 'moved again' })
    const controller = new AbortController()
    pair.proxy.rule = (r) => {
      if (r.method === 'GET' && r.path === '/api/v2/resources/') {
        controller.abort()
        return { kind: 'delay', ms: 300 }
      }
    }
    await pair.trySync({ signal: controller.signal })
    pair.proxy.rule = null
    const st = await status(pair)
    expect(st.unfinished).toBe(true)
    expect(st.last_error).toMatch(/cancel/i)
    await pair.sync()
    expect((await status(pair)).unfinished).toBe(false)
  })
})

describe('a record this side cannot write', () => {
  const pair = usePair({ resources: 0, synced: true })

  it('is undone alone and journalled; the records around it arrive, and the next run tries it again', async () => {
    const made: { pk: number | string }[] = []
    for (const title of ['Before it', 'Refused here', 'After it']) {
      // The last one is stamped later than the pull's overlap: the cursor moves past the refused one.
      if (title === 'After it') await new Promise((resolve) => setTimeout(resolve, 1_500))
      made.push(await create(pair.remote, 'map', { title, abstract: `${title} (made there)`, keywords: ['ridge'] }))
    }
    // The refused record is the first to name a group there; the one after it names it too.
    expect((await api(pair.remote, '/api/v2/groups/', { method: 'POST', body: { title: 'Night shift', slug: 'night-shift' } })).status).toBe(201)
    for (const m of made.slice(1)) {
      const grants = (await api(pair.remote, `/api/v2/resources/${m.pk}/get_perms/`)).body
      expect((await api(pair.remote, `/api/v2/resources/${m.pk}/set_perms/`, { method: 'PUT', body: { ...grants, groups: { ...grants.groups, 'night-shift': ['view_resourcebase'] } } })).status).toBe(200)
    }
    // The local catalogue refuses one record halfway, at its keyword link, after its own row went in
    // (as a broken row or a full disk would refuse it).
    sqliteOf(pair.local).exec(
      `CREATE TRIGGER refuse_for_test BEFORE INSERT ON resource_keywords WHEN (SELECT title FROM resources WHERE id = NEW.resource_id) = 'Refused here' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`
    )
    const summary = await pair.sync()
    expect(summary).toMatchObject({ pulled: { created: 2 }, errors: 1 })
    const mine = () => catalogue(pair.local).map((r) => r.title).filter((t) => ['Before it', 'Refused here', 'After it'].includes(t)).sort()
    expect(mine()).toEqual(['After it', 'Before it'])
    const failed = journal(pair, lastRunId(pair)).filter((j) => j.outcome === 'failed')
    expect(failed).toEqual([expect.objectContaining({ direction: 'pull', action: 'apply', remote_pk: Number(made[1].pk), message: expect.stringMatching(/^Refused here: .*refused for the test/) })])
    // Nothing of it is left here: no row, no binding, no grant or link of a resource that is not there.
    expect(one(pair.local, "SELECT count(*) AS n FROM resources WHERE title = 'Refused here'").n).toBe(0)
    const boundThere = new Set(bindings(pair).map((b) => b.remote_pk))
    expect(made.map((m) => boundThere.has(Number(m.pk)))).toEqual([true, false, true])
    expect(one(pair.local, 'SELECT count(*) AS n FROM resource_keywords WHERE resource_id NOT IN (SELECT id FROM resources)').n).toBe(0)
    expect(one(pair.local, 'SELECT count(*) AS n FROM resource_user_perms WHERE resource_id NOT IN (SELECT id FROM resources)').n).toBe(0)
    // The group the refused record made went with it; the record after it made it again.
    const after = (await api(pair.local, `/api/v2/resources/${bindings(pair).find((b) => b.remote_pk === Number(made[2].pk))!.local_id}/get_perms/`)).body
    expect(after.groups['night-shift']).toEqual(['view_resourcebase'])

    // Its stamp there never moves, yet the next run (once this side can write it) brings it.
    sqliteOf(pair.local).exec('DROP TRIGGER refuse_for_test')
    const again = await pair.sync()
    expect(again).toMatchObject({ pulled: { created: 1 }, errors: 0 })
    expect(mine()).toEqual(['After it', 'Before it', 'Refused here'])
    expect(await differences(pair)).toEqual([])
    // And then it is not read again.
    const from = pair.proxy.log.length
    expect(await pair.sync()).toMatchObject({ pulled: { created: 0, updated: 0 }, errors: 0 })
    expect(pair.proxy.log.slice(from).filter((r) => r.path.includes(`/${made[1].pk}`))).toEqual([])
  })
})

describe('a slow remote while a pull writes', () => {
  const pair = usePair({ resources: 0, synced: true })

  it('does not hold the local catalogue: the question whether a grant holder exists there is asked before the batch, not inside it', async () => {
    // A user only this side has, granted rights here on a record that then changes there: the pull
    // must ask the remote whether that user exists there (and the answer is slow).
    expect((await api(pair.local, '/api/v2/users/', { method: 'POST', body: { username: 'offline.tech' } })).status).toBe(201)
    const map = await create(pair.remote, 'map', { title: 'Grants here, edit there', abstract: 'first' })
    await pair.sync()
    const id = localIdOf(pair, Number(map.pk))
    const grants = (await api(pair.local, `/api/v2/resources/${id}/get_perms/`)).body
    expect((await api(pair.local, `/api/v2/resources/${id}/set_perms/`, { method: 'PUT', body: { ...grants, users: { ...grants.users, 'offline.tech': ['view_resourcebase'] } } })).status).toBe(200)
    await patch(pair.remote, 'map', Number(map.pk), { abstract: 'changed there' })

    const asked = (r: { path: string; url: string }) => /^\/api\/v2\/users\/?$/.test(r.path) && r.url.includes('offline.tech')
    pair.proxy.rule = (r) => (asked(r) ? { kind: 'delay', ms: 2_000 } : undefined)
    try {
      const run = pair.sync()
      await expect.poll(() => pair.proxy.seen(asked).length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0)
      const started = performance.now()
      expect((await api(pair.local, '/api/v2/resources/?page_size=1')).status).toBe(200)
      expect(performance.now() - started).toBeLessThan(1_000)
      expect(await run).toMatchObject({ pulled: { updated: 1 }, errors: 0, conflicts: 0 })
    } finally {
      pair.proxy.rule = null
    }
    expect((await detail(pair.local, 'map', id)).abstract).toBe('changed there')
  })
})
