import type Sqlite from 'better-sqlite3'
import type { Response } from 'express'
import type { Geometry } from 'geojson'
import { dropWhenStalled } from '../../streaming'
import type { OwsLayer } from '../../services/ows-layers.service'
import type { RequestCrs } from '../crs'
import { type FeatureRow, featureRowsByIds } from '../features'
import type { WfsVersion } from './common'
import { fromStored } from './geometry'

/** One query's answer: its layer, what matched, the page's row ids and which properties to write. */
export interface QueryPage {
  layer: OwsLayer
  matched: number
  ids: number[]
  /** Attribute names to write, in the layer's order (the geometry included when asked); null = all. */
  properties: string[] | null
  /** The CRS features are written in. */
  crs: RequestCrs
}

export interface FeatureAnswer {
  version: WfsVersion
  pages: QueryPage[]
  /** This endpoint's public address (schema locations). */
  url: string
}

/** A feature as encoders see it: the WFS id, the geometry in the answer's CRS and axis order, the properties. */
export interface OutFeature {
  id: string
  geometry: Geometry | null
  properties: Record<string, unknown>
}

/** The attributes a page writes, in the layer's order. */
export function attributesOf(page: Pick<QueryPage, 'layer' | 'properties'>): OwsLayer['attributes'] {
  const { layer, properties } = page
  return properties ? layer.attributes.filter((a) => properties.includes(a.name)) : layer.attributes
}

export function decode(row: FeatureRow, page: QueryPage, axisOrder: boolean): OutFeature {
  const stored = JSON.parse(row.text) as { geometry: Geometry | null; properties: Record<string, unknown> | null }
  return {
    id: `${page.layer.name}.${row.fid}`,
    geometry: stored.geometry ? fromStored(stored.geometry, page.crs, axisOrder) : null,
    properties: stored.properties ?? {}
  }
}

/** A page's features, a chunk at a time (each chunk read whole: nothing stays open on the connection). */
export function* chunksOf(sqlite: Sqlite.Database, page: QueryPage, axisOrder: boolean): Generator<OutFeature[]> {
  for (const rows of featureRowsByIds(sqlite, page.ids)) yield rows.map((r) => decode(r, page, axisOrder))
}

/** The client went away: the answer stops. */
export class ClientGone extends Error {}

/** Writes an answer with backpressure: each write waits for the socket to drain when its buffer is full. */
export class Sink {
  private gone = false

  constructor(readonly res: Response) {
    dropWhenStalled(res)
    res.once('close', () => {
      this.gone = true
    })
  }

  async write(data: string | Buffer): Promise<void> {
    if (this.gone) throw new ClientGone()
    if (!this.res.write(data)) await this.drained()
  }

  drained(): Promise<void> {
    if (this.gone || !this.res.writableNeedDrain) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done)
        this.res.off('close', done)
        resolve()
      }
      this.res.once('drain', done)
      this.res.once('close', done)
    })
  }

  end(data?: string | Buffer): void {
    if (!this.gone) this.res.end(data)
  }
}

/** Runs a streaming body; a client that went away ends it quietly. */
export function streamed(write: (sink: Sink) => Promise<void>): (res: Response) => Promise<void> {
  return async (res) => {
    const sink = new Sink(res)
    try {
      await write(sink)
    } catch (error) {
      if (error instanceof ClientGone) return
      throw error
    }
  }
}

export const timeStamp = () => new Date().toISOString()
