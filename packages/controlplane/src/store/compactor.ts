// Periodic compaction of the store's history, as the Kubernetes API server's
// compactor does for etcd: every interval, compact to the revision that was
// current one interval ago, so at least one interval of history stays for
// watches that fall behind (an informer older than that relists: it gets
// onCompacted and starts over from a fresh list). Without it etcd keeps every
// revision until its quota stops all writes.
//
// Several control planes may run it: compaction is idempotent, and compacting
// to a revision that is already compacted is not an error.
import type { Store } from './store.js';

export interface CompactorOptions {
  readonly store: Pick<Store, 'compact' | 'currentRevision'>;
  /** Default 5 minutes (kube-apiserver's --etcd-compaction-interval). */
  readonly intervalMs?: number;
  readonly log?: { warn(details: object, message: string): void; info(details: object, message: string): void };
  /** Injected timers, for tests. */
  readonly setInterval?: (run: () => void, ms: number) => { unref?(): void };
  readonly clearInterval?: (handle: unknown) => void;
}

export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;

export class Compactor {
  /** The revision that was current at the previous tick: compacted to at the next. */
  private previous: number | undefined;
  private handle: unknown;
  private running: Promise<void> | undefined;

  constructor(private readonly options: CompactorOptions) {}

  start(): void {
    const every = this.options.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    const schedule = this.options.setInterval ?? ((run, ms) => setInterval(run, ms));
    const handle = schedule(() => void this.tick(), every);
    handle.unref?.();
    this.handle = handle;
    // Remember where history stands now; the first compaction comes one interval later.
    void this.tick();
  }

  async stop(): Promise<void> {
    (this.options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(this.handle);
    await this.running;
  }

  /** One round: compact to the revision remembered last round, remember the current one. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.round().finally(() => (this.running = undefined));
    return this.running;
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
