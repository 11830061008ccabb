// etcd care beyond compaction, wired for the control plane: the maintenance
// loop (store/store-maintainer.ts: defragmentation, quota warnings, alarms),
// its notices as Events about the member (kind EtcdMember, in "default"), and
// the `etcd-alarms` readiness check.
//
// Under NOSPACE etcd refuses every write, Events included: a notice that
// cannot be written is kept (the latest few) and written, in order, with the
// next one that can — the AlarmCleared after the operator's disarm at the latest.
import { memoryBytes, parseDuration, parseQuantity } from '@skiff/api';
import type { Logger } from 'pino';
import type { ReadyCheck } from './http/http-server.js';
import { EventRecorder, type EventToRecord } from './objects/event-recorder.js';
import type { ObjectStore } from './objects/object-store.js';
import { alarmAdvice, EtcdMemberMaintenance, StoreMaintainer, type EtcdStoreOptions, type MaintenanceNotice } from './store/index.js';

export interface EtcdCareConfig {
  /** How often members are checked (--etcd-maintenance-interval); 0 turns the loop off (the readiness check stays). */
  readonly intervalMs?: number;
  /** --etcd-defrag-threshold: free fraction that triggers a defragmentation (0 never). */
  readonly defragThreshold?: number;
  /** --etcd-defrag-min-size in bytes. */
  readonly defragMinBytes?: number;
  /** --etcd-quota-backend-bytes: the quota etcd was started with. */
  readonly quotaBytes?: number;
}

/** The flags as typed; throws naming the flag on a bad value. */
export function parseEtcdCareFlags(flags: { interval: string; defragThreshold: string; defragMinSize: string; quotaBackendBytes: string }): EtcdCareConfig {
  const threshold = Number(flags.defragThreshold);
  if (flags.defragThreshold.trim() === '' || !(threshold >= 0 && threshold <= 1)) {
    throw new Error(`--etcd-defrag-threshold must be a fraction from 0 (never) to 1, e.g. 0.5, not "${flags.defragThreshold}"`);
  }
  const bytes = (flag: string, text: string): number => {
    if (!parseQuantity(text)) throw new Error(`${flag} must be a size such as 16Mi, 2Gi or 8589934592, not "${text}"`);
    return memoryBytes(text);
  };
  return {
    intervalMs: flags.interval === '0' ? 0 : parseDuration(flags.interval, '--etcd-maintenance-interval'),
    defragThreshold: threshold,
    defragMinBytes: bytes('--etcd-defrag-min-size', flags.defragMinSize),
    quotaBytes: bytes('--etcd-quota-backend-bytes', flags.quotaBackendBytes),
  };
}

const KEPT_NOTICES = 20;
const ALARM_CHECK_TIMEOUT_MS = 1000;

export class EtcdCare {
  private readonly maintenance: EtcdMemberMaintenance;
  private readonly maintainer: StoreMaintainer | undefined;
  private readonly events: EventRecorder;
  private pending: EventToRecord[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    store: EtcdStoreOptions,
    objects: ObjectStore,
    private readonly log: Logger,
    config: EtcdCareConfig = {},
  ) {
    this.maintenance = new EtcdMemberMaintenance(store);
    this.events = new EventRecorder(objects);
    this.maintainer =
      config.intervalMs === 0
        ? undefined
        : new StoreMaintainer({
            maintenance: this.maintenance,
            ...(config.intervalMs === undefined ? {} : { intervalMs: config.intervalMs }),
            defrag: {
              ...(config.defragThreshold === undefined ? {} : { threshold: config.defragThreshold }),
              ...(config.defragMinBytes === undefined ? {} : { minBytes: config.defragMinBytes }),
            },
            ...(config.quotaBytes === undefined ? {} : { quotaBytes: config.quotaBytes }),
            log,
            notify: (notice) => this.record(notice),
          });
  }

  /** Starts the maintenance loop (a leader-only caller may start and stop it as leadership comes and goes). */
  start(): void {
    this.maintainer?.start();
  }

  async stop(): Promise<void> {
    await this.maintainer?.stop();
    await this.writing;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.maintenance.close();
  }

  /** /readyz's `etcd-alarms`: fails while any member has an alarm raised, saying which and what to do. */
  readonly readyCheck: ReadyCheck = {
    name: 'etcd-alarms',
    check: async () => {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`etcd did not list its alarms within ${ALARM_CHECK_TIMEOUT_MS} ms`)), ALARM_CHECK_TIMEOUT_MS);
      });
      try {
        const alarms = await Promise.race([this.maintenance.alarms(), expired]);
        if (alarms.length > 0) throw new Error(alarms.map(alarmAdvice).join('; '));
        return 'none';
      } finally {
        clearTimeout(timer);
      }
    },
  };

  private record(notice: MaintenanceNotice): void {
    const event: EventToRecord = {
      involved: { apiVersion: 'v1', kind: 'EtcdMember', metadata: { name: notice.member, uid: `etcd-member-${notice.member}` } },
      type: notice.type,
      reason: notice.reason,
      message: notice.message,
      component: 'etcd-maintainer',
    };
    this.pending = [...this.pending, event].slice(-KEPT_NOTICES);
    this.writing = this.writing.then(() => this.flush());
  }

  /** Writes the kept Events in order; stops at the first that etcd refuses, to try again with the next notice. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const [next] = this.pending;
      try {
        await this.events.record(next!);
      } catch (error) {
        this.log.warn({ err: error, reason: next!.reason, kept: this.pending.length }, 'could not write an etcd maintenance Event; keeping it for later');
        return;
      }
      this.pending = this.pending.slice(1);
    }
  }
}
