// The narrow face of etcd's per-member upkeep (Maintenance API): each member's
// database size, defragmentation of one member, and the cluster's alarms.
// Kept apart from Store (store.ts), which every room sees: only the control
// plane's etcd care loop (store-maintainer.ts) and the snapshot command use it.

export interface MemberStatus {
  /** etcd's member ID in hex, as etcdctl prints it. */
  readonly id: string;
  /** The member's name (etcd --name), or its ID when etcd does not say. */
  readonly name: string;
  /** The client URL this status was read from (defragment takes it). */
  readonly endpoint: string;
  /** Bytes of the database file (bbolt allocates and never gives back by itself). */
  readonly dbSize: number;
  /** Bytes of it that hold live data; the rest is free pages a defragmentation returns. */
  readonly dbSizeInUse: number;
  readonly isLeader: boolean;
}

export type StoreAlarmType = 'NOSPACE' | 'CORRUPT';

export interface StoreAlarm {
  readonly alarm: StoreAlarmType;
  /** The member that raised it (hex ID). */
  readonly memberId: string;
  /** Its name when the member list knows it, the ID otherwise. */
  readonly member: string;
}

export interface StoreMaintenance {
  /** One status per configured endpoint that answered; throws when none did. */
  memberStatuses(): Promise<MemberStatus[]>;
  /** Defragments the member behind `endpoint`; it serves nothing while this runs. */
  defragment(endpoint: string): Promise<void>;
  /** The alarms raised anywhere in the cluster. */
  alarms(): Promise<StoreAlarm[]>;
  close(): Promise<void>;
}

/** What an operator does about an alarm: the readiness reason and the Event say it. */
export function alarmAdvice(alarm: StoreAlarm): string {
  if (alarm.alarm === 'NOSPACE') {
    return (
      `etcd member ${alarm.member} (${alarm.memberId}) raised NOSPACE: its database reached --quota-backend-bytes and etcd refuses every write. ` +
      'Free space, then clear the alarm: delete what is not needed, compact (etcdctl compact REV), defragment every member (etcdctl defrag), ' +
      'then etcdctl alarm disarm (or raise etcd --quota-backend-bytes and restart it)'
    );
  }
  return (
    `etcd member ${alarm.member} (${alarm.memberId}) raised CORRUPT: its data disagrees with the other members'. ` +
    'Stop it, restore it from a snapshot (skiff-controlplane snapshot save/restore) or remove and re-add it, then etcdctl alarm disarm'
  );
}
