/** The people of the demo catalogue: users, groups and their members, and the resources users mark as favourites. */
import { slugify } from '../db/reference-data'
import { hashPassword } from '../services/passwords'
import type { SeedFixtures } from './seed'
import { DAY_US, type GroupInfo, type SeedState, YEAR_US, capitalize, isoMicros, pushTo } from './state'
import { CITIES, FIRST_NAMES, GROUP_SUBJECTS, GROUP_UNITS, LAST_NAMES, ORGANIZATIONS, POSITIONS, PURPOSES } from './vocabulary'

/** Users 1001 on, each a member of the contributors and registered members; all share `password`. */
export function createUsers(state: SeedState, count: number, password: string): void {
  const passwordHash = hashPassword(password)
  const taken = new Set<string>()
  for (let i = 0; i < count; i++) {
    const id = 1001 + i
    const first = state.rng.pick(FIRST_NAMES)
    const last = state.rng.pick(LAST_NAMES)
    const username = uniqueName(`${asciiName(first)}.${asciiName(last)}`, taken, '')
    const organization = state.rng.pick(ORGANIZATIONS)
    const position = state.rng.pick(POSITIONS)
    const [city, country] = state.rng.pick(state.cities.length ? state.cities : CITIES)
    const isStaff = i >= 2 && state.rng.chance(0.03)
    const joinedUs = state.startUs - YEAR_US + state.rng.next() * (state.spanUs + YEAR_US - 30 * DAY_US)
    const loginUs = state.rng.chance(0.7) ? joinedUs + state.rng.next() * (state.startUs + state.spanUs - joinedUs) : null
    state.st.user.run({
      id,
      uuid: state.rng.uuid(),
      username,
      email: `${username}@${slugify(organization)}.example.org`,
      first_name: first,
      last_name: last,
      password_hash: passwordHash,
      is_staff: isStaff ? 1 : 0,
      date_joined: isoMicros(joinedUs),
      last_login: loginUs === null ? null : isoMicros(loginUs),
      organization,
      profile: state.rng.chance(0.4) ? `${capitalize(position)} at the ${organization}, based in ${city}.` : null,
      position,
      voice: state.rng.chance(0.3) ? `+${state.rng.int(10, 99)} ${state.rng.int(100, 999)} ${state.rng.int(1000000, 9999999)}` : null,
      city,
      country,
      created: isoMicros(joinedUs),
      last_updated: isoMicros(loginUs ?? joinedUs)
    })
    state.st.member.run(state.lookups.contributorsGroupId, id, 'member')
    state.st.member.run(state.lookups.registeredGroupId, id, 'member')
    state.userIds.push(id)
    state.usernames.set(id, username)
  }
  state.summary.users = count
}

export function createGroups(state: SeedState, count: number): Pick<SeedFixtures, 'publicGroup' | 'privateGroup' | 'publicInviteGroup'> {
  const takenSlugs = new Set(
    (state.sqlite.prepare('SELECT slug AS s FROM group_profiles UNION SELECT name FROM auth_groups').all() as { s: string }[]).map((r) => r.s)
  )
  const titles = state.rng.shuffle(GROUP_SUBJECTS.flatMap((subject) => GROUP_UNITS.map((unit) => `${subject} ${unit}`)))
  const fixedAccess: GroupInfo['access'][] = ['public', 'private', 'public-invite']
  for (let i = 0; i < count; i++) {
    const base = i < titles.length ? titles[i] : `${state.rng.pick(titles)} ${state.countryList.length ? state.rng.pick(state.countryList).name : i}`
    const slug = uniqueName(slugify(base), takenSlugs, '-')
    const title = slug === slugify(base) ? base : `${base} ${slug.split('-').pop()}`
    const access = fixedAccess[i] ?? state.rng.weighted<GroupInfo['access']>([['public', 50], ['public-invite', 20], ['private', 30]])
    state.groups.push(createGroup(state, i, title, slug, access))
  }
  state.summary.groups = count
  return { publicGroup: state.groups[0].slug, privateGroup: state.groups[1].slug, publicInviteGroup: state.groups[2].slug }
}

function createGroup(state: SeedState, index: number, title: string, slug: string, access: GroupInfo['access']): GroupInfo {
  const authId = Number(state.st.authGroup.run(slug).lastInsertRowid)
  const organization = state.rng.pick(ORGANIZATIONS)
  const description = `${title} of the ${organization}. ${capitalize(state.rng.pick(PURPOSES))} and data sharing among members.`
  const email = state.rng.chance(0.7) ? `${slug}@example.org` : null
  const profileId = Number(state.st.groupProfile.run(state.rng.uuid(), authId, title, slug, description, email, access).lastInsertRowid)
  const { managers, members } = pickMembers(state, index)
  for (const userId of managers) state.st.member.run(authId, userId, 'manager')
  for (const userId of members) state.st.member.run(authId, userId, 'member')
  const group: GroupInfo = { authId, profileId, slug, access, managers, members }
  for (const userId of [...managers, ...members]) pushTo(state.groupsOfUser, userId, group)
  tagGroup(state, profileId)
  return group
}

function pickMembers(state: SeedState, index: number): { managers: number[]; members: number[] } {
  const [plain, other] = state.userIds
  const candidates = state.userIds.filter((id) => (index === 1 ? id !== plain && id !== other : index === 0 ? id !== plain : true))
  const fixed = index === 0 ? [plain] : index === 1 ? [other] : []
  const extraManagers = Math.max(0, state.rng.int(1, 2) - fixed.length)
  const drawn = state.rng.sample(candidates, extraManagers + state.rng.int(3, 30))
  return { managers: [...fixed, ...drawn.slice(0, extraManagers)], members: drawn.slice(extraManagers) }
}

function tagGroup(state: SeedState, profileId: number): void {
  if (state.rng.chance(0.6) && state.lookups.groupCategoryIds.length) {
    for (const id of state.rng.sample(state.lookups.groupCategoryIds, state.rng.int(1, 2))) state.st.groupCategory.run(profileId, id)
  }
  if (state.rng.chance(0.5)) {
    for (const id of state.rng.sample([...state.keywordIds.values()], state.rng.int(1, 3))) state.st.groupKeyword.run(profileId, id)
  }
}

export function createFavorites(state: SeedState, fixtures: Pick<SeedFixtures, 'rasterLayerId'>): void {
  let count = state.st.favorite.run(state.userIds[0], fixtures.rasterLayerId).changes
  for (const userId of state.userIds) {
    if (!state.rng.chance(0.15)) continue
    for (const resourceId of state.rng.sample(state.publicIds, state.rng.int(1, 5))) count += state.st.favorite.run(userId, resourceId).changes
  }
  state.summary.favorites = count
}

function asciiName(name: string): string {
  return slugify(name).replace(/-/g, '')
}

function uniqueName(base: string, taken: Set<string>, separator: string): string {
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}${separator}${n}`
  taken.add(name)
  return name
}
