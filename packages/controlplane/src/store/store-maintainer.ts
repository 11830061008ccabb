// The etcd care loop beside the Compactor: every interval it reads each
// member's status and the cluster's alarms, then
//  - defragments the members whose free fraction ((dbSize − dbSizeInUse) /
//    dbSize) passed the threshold and whose file is above a floor size, one
//    member at a time and the leader last (a member serves nothing while it
//    defragments). Compaction frees pages inside the file; only
//    defragmentation gives them back, so this is what keeps dbSize — which
//    the quota counts — from ratcheting up;
//  - warns when a member's database passes 80 % of the quota (etcd raises
//    NOSPACE and refuses every write at 100 %), once per crossing;
//  - reports alarms raised (NOSPACE, CORRUPT) and cleared, once each.
// What it finds goes to the log and to `notify` (the control plane turns
// notices into Events). Start/stop-able like the Compactor, so that only a
// leader need run it.
import { PeriodicRound, type PeriodicTimers } from './periodic-round.js';
import { alarmAdvice, type MemberStatus, type StoreAlarm, type StoreMaintenance } from './store-maintenance.js';

export const DEFAULT_MAINTENANCE_INTERVAL_MS = 60_000;
export const DEFAULT_DEFRAG_THRESHOLD = 0.5;
export const DEFAULT_DEFRAG_MIN_BYTES = 16 * 1024 * 1024;
/** etcd's own default --quota-backend-bytes (2 GiB). */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
export const QUOTA_WARNING_FRACTION = 0.8;

export interface MaintenanceNotice {
  /** The member's name (or hex ID) the notice is about. */
  readonly member: string;
  readonly type: 'Normal' | 'Warning';
  /** Defragmented, DefragmentationFailed, DatabaseNearQuota, Alarm, AlarmCleared. */
  readonly reason: string;
  readonly message: string;
}

export interface DefragPolicy {
  /** Free fraction at or above which a member is defragmented; 0 turns defragmentation off. */
  readonly threshold: number;
  /** Never defragment a database smaller than this (bytes). */
  readonly minBytes: number;
}

export interface StoreMaintainerOptions extends PeriodicTimers {
  readonly maintenance: Pick<StoreMaintenance, 'memberStatuses' | 'defragment' | 'alarms'>;
  /** Default 1 minute. */
  readonly intervalMs?: number;
  readonly defrag?: Partial<DefragPolicy>;
  /** The quota etcd runs with (its --quota-backend-bytes; etcd 3.4 does not report it). Default 2 GiB. */
  readonly quotaBytes?: number;
  readonly log?: { warn(details: object, message: string): void; info(details: object, message: string): void; error(details: object, message: string): void };
  readonly notify?: (notice: MaintenanceNotice) => void;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

export function freeFraction(status: Pick<MemberStatus, 'dbSize' | 'dbSizeInUse'>): number {
  return status.dbSize <= 0 ? 0 : Math.max(0, status.dbSize - status.dbSizeInUse) / status.dbSize;
}

/** The members to defragment, in order: followers first, the leader last. */
export function defragCandidates(statuses: readonly MemberStatus[], policy: DefragPolicy): MemberStatus[] {
  if (policy.threshold <= 0) return [];
  return statuses
    .filter((status) => status.dbSize >= policy.minBytes && freeFraction(status) >= policy.threshold)
    .sort((a, b) => Number(a.isLeader) - Number(b.isLeader));
}

export class StoreMaintainer {
  private readonly loop: PeriodicRound;
  /** Alarms seen last round ("member/ALARM"), to report each raise and clear once. */
  private raised = new Map<string, StoreAlarm>();
  /** Members last seen above the quota warning line. */
  private nearQuota = new Set<string>();
  private readonly policy: DefragPolicy;
  private readonly quotaBytes: number;

  constructor(private readonly options: StoreMaintainerOptions) {
    this.policy = {
      threshold: options.defrag?.threshold ?? DEFAULT_DEFRAG_THRESHOLD,
      minBytes: options.defrag?.minBytes ?? DEFAULT_DEFRAG_MIN_BYTES,
    };
    this.quotaBytes = options.quotaBytes ?? DEFAULT_QUOTA_BYTES;
    this.loop = new PeriodicRound({
      intervalMs: options.intervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS,
      setInterval: options.setInterval,
      clearInterval: options.clearInterval,
      round: () => this.round(),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round; a round already under way is joined, not doubled. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  private async round(): Promise<void> {
    try {
      await this.checkAlarms();
      const statuses = await this.options.maintenance.memberStatuses();
      this.checkQuota(statuses);
      await this.defragment(defragCandidates(statuses, this.policy));
    } catch (error) {
      this.options.log?.warn({ err: error }, 'etcd maintenance round failed; trying again next interval');
    }
  }

  private async checkAlarms(): Promise<void> {
    const now = new Map((await this.options.maintenance.alarms()).map((alarm) => [`${alarm.memberId}/${alarm.alarm}`, alarm]));
    for (const [key, alarm] of now) {
      if (this.raised.has(key)) continue;
      this.options.log?.error({ member: alarm.member, alarm: alarm.alarm }, alarmAdvice(alarm));
      this.notify({ member: alarm.member, type: 'Warning', reason: 'Alarm', message: alarmAdvice(alarm) });
    }
    for (const [key, alarm] of this.raised) {
      if (now.has(key)) continue;
      const message = `etcd member ${alarm.member} (${alarm.memberId}): alarm ${alarm.alarm} cleared`;
      this.options.log?.info({ member: alarm.member, alarm: alarm.alarm }, message);
      this.notify({ member: alarm.member, type: 'Normal', reason: 'AlarmCleared', message });
    }
    this.raised = now;
  }

  private checkQuota(statuses: readonly MemberStatus[]): void {
    const line = this.quotaBytes * QUOTA_WARNING_FRACTION;
    for (const status of statuses) {
      if (status.dbSize < line) {
        this.nearQuota.delete(status.id);
        continue;
      }
      const percent = Math.round((status.dbSize / this.quotaBytes) * 100);
      const message =
        `etcd member ${status.name}: database is ${mib(status.dbSize)}, ${percent} % of the ${mib(this.quotaBytes)} quota ` +
        `(${mib(status.dbSizeInUse)} in use); at 100 % etcd raises NOSPACE and refuses every write. ` +
        'Delete what is not needed, defragment (etcdctl defrag), or raise etcd --quota-backend-bytes and --etcd-quota-backend-bytes';
      this.options.log?.warn({ member: status.name, dbSize: status.dbSize, quota: this.quotaBytes }, message);
      if (this.nearQuota.has(status.id)) continue;
      this.nearQuota.add(status.id);
      this.notify({ member: status.name, type: 'Warning', reason: 'DatabaseNearQuota', message });
    }
  }

  /** One member at a time: each waits for the one before it to finish. */
  private async defragment(candidates: readonly MemberStatus[]): Promise<void> {
    for (const member of candidates) {
      const details = { member: member.name, endpoint: member.endpoint, dbSize: member.dbSize, dbSizeInUse: member.dbSizeInUse };
      const free = `${Math.round(freeFraction(member) * 100)} % free`;
      this.options.log?.info(details, `defragmenting etcd member ${member.name} (${mib(member.dbSize)}, ${free})`);
      try {
        await this.options.maintenance.defragment(member.endpoint);
      } catch (error) {
        const message = `defragmenting etcd member ${member.name} at ${member.endpoint} failed: ${error instanceof Error ? error.message : String(error)}`;
        this.options.log?.warn({ ...details, err: error }, message);
        this.notify({ member: member.name, type: 'Warning', reason: 'DefragmentationFailed', message });
        continue;
      }
      const after = (await this.options.maintenance.memberStatuses().catch(() => [])).find((status) => status.id === member.id);
      const message = `defragmented etcd member ${member.name}: ${mib(member.dbSize)} → ${after ? mib(after.dbSize) : 'unknown'} (was ${free})`;
      this.options.log?.info({ ...details, dbSizeAfter: after?.dbSize }, message);
      this.notify({ member: member.name, type: 'Normal', reason: 'Defragmented', message });
    }
  }

  private notify(notice: MaintenanceNotice): void {
    try {
      this.options.notify?.(notice);
    } catch (error) {
      this.options.log?.warn({ err: error }, 'could not report an etcd maintenance notice');
    }
  }
}
