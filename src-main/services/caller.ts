import type { UserRow } from '../db/schema'

/** Who is asking: resolved once per request by the auth middleware. */
export interface Caller {
  userId: number
  username: string
  authenticated: boolean
  superuser: boolean
  staff: boolean
  /** Auth groups the caller belongs to, always including the `anonymous` group. */
  groupIds: number[]
  /** Auth groups the caller manages. */
  managedGroupIds: number[]
  /** Member of `registered-members`, whose view grants reach every signed-in user. */
  registeredMember: boolean
  via: 'anonymous' | 'basic' | 'bearer' | 'session' | 'internal'
  /** The bearer token or session id the request carried, when there was one. */
  credential?: string
  user: UserRow | null
}

/** Ids of the rows every catalogue has, looked up once at start. */
export interface SystemIds {
  anonymousGroupId: number
  contributorsGroupId: number
  registeredMembersGroupId: number
}

export function anonymousCaller(system: SystemIds): Caller {
  return {
    userId: -1,
    username: 'AnonymousUser',
    authenticated: false,
    superuser: false,
    staff: false,
    groupIds: [system.anonymousGroupId],
    managedGroupIds: [],
    registeredMember: false,
    via: 'anonymous',
    user: null
  }
}

/** Superusers and staff administer everything (GeoNode's IsAdminUser). */
export function isAdmin(caller: Caller): boolean {
  return caller.superuser || caller.staff
}
