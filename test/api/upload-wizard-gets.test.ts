import { describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, request, useSeededServer, user } from '../helpers/server'
import { groundTruth } from '../helpers/truth'
import { townsShapefile, uploadLayer } from '../helpers/uploads'

// /upload/srs and /upload/delete/<id> change state on GET, as GeoNode's do. SameSite=Strict keeps
// the session cookie off other sites' requests, but a page on another port of the same host is the
// same site, and a browser sends the cookie with its GETs (an <img> is enough). Such a request says
// so in Sec-Fetch-Site, and a session-authenticated one is refused unless it comes from this origin.

const t = useSeededServer({ resources: 10 })
const { one } = groundTruth(() => t.server)

async function session(username: string): Promise<string> {
  const res = await fetch(`${t.server.url}/account/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: DEMO_PASSWORD }).toString()
  })
  expect(res.status).toBe(200)
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
}

/** An upload of the plain user that waits for its CRS (a shapefile without .prj). */
async function waitingUpload(): Promise<number> {
  const res = await uploadLayer(t.server, user(t.fx.plainUser), townsShapefile({ prj: false }))
  expect(res.body.status, res.text).toBe('incomplete')
  return res.body.id as number
}

const stateOf = (id: number) => one('SELECT state FROM uploads WHERE id = ?', id)?.state as string | undefined
const CSRF = { detail: 'CSRF Failed: this step changes the upload and may only be asked for by this server\u2019s own pages.' }

describe('state-changing GETs of the upload wizard', () => {
  it('refuse a session cookie sent by another site\u2019s page, even on the same host', async () => {
    const cookie = await session(t.fx.plainUser)
    const id = await waitingUpload()
    for (const site of ['same-site', 'cross-site']) {
      const srs = await request(t.server, `/upload/srs?id=${id}&srs=EPSG:32633&force_ajax=true`, { headers: { cookie, 'sec-fetch-site': site } })
      expect(srs.status, site).toBe(403)
      expect(srs.body).toEqual(CSRF)
      const removed = await request(t.server, `/upload/delete/${id}`, { headers: { cookie, 'sec-fetch-site': site } })
      expect(removed.status, site).toBe(403)
      expect(removed.body).toEqual(CSRF)
    }
    expect(stateOf(id)).toBe('WAITING')
    // Without the cookie (another host name): anonymous, refused as before.
    expect((await request(t.server, `/upload/delete/${id}`, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
    expect(stateOf(id)).toBe('WAITING')
  })

  it('serve this origin\u2019s own pages and clients that are not browsers', async () => {
    const cookie = await session(t.fx.plainUser)
    const first = await waitingUpload()
    const srs = await request(t.server, `/upload/srs?id=${first}&srs=EPSG:32633&force_ajax=true`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } })
    expect(srs.status, srs.text).toBe(200)
    expect(stateOf(first)).toBe('PROCESSED')
    const second = await waitingUpload()
    expect((await request(t.server, `/upload/delete/${second}`, { headers: { cookie, 'sec-fetch-site': 'none' } })).body).toEqual({ success: true })
    const third = await waitingUpload()
    expect((await request(t.server, `/upload/delete/${third}`, { headers: { cookie } })).body).toEqual({ success: true })
    const fourth = await waitingUpload()
    const basic = await request(t.server, `/upload/delete/${fourth}`, { who: user(t.fx.plainUser), headers: { 'sec-fetch-site': 'cross-site' } })
    expect(basic.body).toEqual({ success: true })
    expect([second, third, fourth].map(stateOf)).toEqual([undefined, undefined, undefined])
  })
})
