// Periodic compaction of the store's history, as the Kubernetes API server's
// compactor does for etcd: every interval, compact to the revision that was
// current one interval ago, so at least one interval of history stays for
// watches that fall behind (an informer older than that relists: it gets
// onCompacted and starts over from a fresh list). Without it etcd keeps every
// revision until its quota stops all writes.
//
// Several control planes may run it: compaction is idempotent, and compacting
// to a revision that is already compacted is not an error.
import { PeriodicRound, type PeriodicTimers } from './periodic-round.js';
import type { Store } from './store.js';

export interface CompactorOptions extends PeriodicTimers {
  readonly store: Pick<Store, 'compact' | 'currentRevision'>;
  /** Default 5 minutes (kube-apiserver's --etcd-compaction-interval). */
  readonly intervalMs?: number;
  readonly log?: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;

export class Compactor {
  /** The revision that was current at the previous tick: compacted to at the next. */
  private previous: number | undefined;
  private readonly loop: PeriodicRound;

  constructor(private readonly options: CompactorOptions) {
    this.loop = new PeriodicRound({
      intervalMs: options.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS,
      setInterval: options.setInterval,
      clearInterval: options.clearInterval,
      round: () => this.round(),
    });
  }

  /** Remembers where history stands now; the first compaction comes one interval later. */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: compact to the revision remembered last round, remember the current one. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  private async round(): Promise<void> {
    try {
      const current = await this.options.store.currentRevision();
      if (this.previous !== undefined) {
        await this.options.store.compact(this.previous);
        this.options.log?.info({ revision: this.previous, current }, 'compacted the store history');
      }
      this.previous = current;
    } catch (error) {
      // The store is away: try again next interval, from what it says then.
      this.options.log?.warn({ err: error }, 'store compaction failed');
    }
  }
}
