import type Sqlite from 'better-sqlite3'
import type { Response } from 'express'
import type { Services } from '../composition'
import type { Logger } from '../errors'
import type { DataFolder } from '../ingest/data-folder'
import type { Caller } from '../services/caller'
import type { OwsServiceName, OwsRequest } from './request'

/** What the OGC services are built on: the same services and data as the API. */
export interface OwsDeps {
  services: Services
  /** The raw connection, for the statements that read features in bulk. */
  sqlite: Sqlite.Database
  folder: DataFolder
  log: Logger
}

/** One request's context: who asks, and everything a handler may read or change. */
export interface OwsContext extends OwsDeps {
  caller: Caller
}

/** A handler's answer. A function body streams itself (large GetFeature and GetRecords answers). */
export interface OwsAnswer {
  status?: number
  type: string
  body: string | Buffer | ((res: Response) => Promise<void>)
  headers?: Record<string, string>
}

export type OwsHandler = (ctx: OwsContext, req: OwsRequest) => Promise<OwsAnswer>

/** A service: its versions (highest first) and its operations by lower-case name. */
export interface OwsService {
  name: OwsServiceName
  versions: readonly string[]
  /** The version a request without VERSION is read as (and its exceptions written in). */
  defaultVersion: string
  operations: Readonly<Record<string, OwsHandler>>
}
