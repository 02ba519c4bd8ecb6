import type { SyncSummary } from '../../src-shared/api/mapshelf'
import { type SyncDeps, SyncContext } from './context'
import { pullOfflineData } from './files'
import { Pull } from './pull'
import { Push } from './push'
import { Reconcile } from './reconcile'

export type { SyncSummary }
export { DELETED, FORCE_DELETE, type RemoteConfig } from './context'
export { SyncCancelled } from './remote'

/**
 * One sync run against one remote: pull (keyset on last_updated), push (what differs from each
 * binding's base), and, when due, a full reconciliation that catches silent changes and deletes.
 * Every step is idempotent and checkpointed in SQLite, so a run stopped anywhere resumes.
 */
export class SyncEngine {
  private readonly ctx: SyncContext

  constructor(deps: SyncDeps) {
    this.ctx = new SyncContext(deps)
  }

  /** An entry in the run's journal (the service notes a run that failed so). */
  journal(...entry: Parameters<SyncContext['journal']>): Promise<void> {
    return this.ctx.journal(...entry)
  }

  private async setPhase(phase: string): Promise<void> {
    await this.ctx.db.updateTable('sync_state').set({ phase }).where('remote_id', '=', this.ctx.config.id).execute()
  }

  async run(options: { reconcile: boolean }): Promise<SyncSummary> {
    const ctx = this.ctx
    await ctx.remote.signIn()
    await ctx.assertSignedIn()
    await this.setPhase('pull')
    await new Pull(ctx).run()
    await pullOfflineData(ctx)
    await this.setPhase('push')
    await new Push(ctx).run()
    if (options.reconcile) {
      await this.setPhase('reconcile')
      await new Reconcile(ctx).run()
      ctx.summary.reconciled = true
    }
    await this.setPhase('idle')
    return ctx.summary
  }
}
