import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LAYER_DATA, STEPS } from '../fixtures/schemas/dataset'
import { killAllServersNow } from '../reliability/common'
import { runMigrationKills } from '../reliability/migration-kill'

// Smoke version of check e of `npm run reliability` (test/reliability/migration-kill.ts): a few
// kill -9s inside the migration of the oldest schema fixture and of one with layer data.

const work = mkdtempSync(join(tmpdir(), 'mapshelf-migration-kill-'))

afterAll(() => {
  killAllServersNow()
  rmSync(work, { recursive: true, force: true })
})

describe('kill -9 during schema migrations (smoke)', () => {
  it('leaves the file sound at one schema or the other, and a restart finishes the migration without loss', { timeout: 120_000 }, async () => {
    const result = await runMigrationKills({ workDir: work, kills: 4, steps: [STEPS[0]!, LAYER_DATA], log: () => {} })
    expect(result.problems).toEqual([])
    expect(result.integrityFailures).toBe(0)
    expect(result.outcomes.between).toBe(0)
    expect(result.kills).toBe(4)
    expect(result.roundsHeld).toBe(result.rounds)
  })
})
