// StoreMaintenance on etcd 3.4's Maintenance and Cluster APIs. Status and
// Defragment answer for the one member a request reaches, so each endpoint
// gets a client of its own (one member each: list every member in --etcd);
// alarms and the member list are cluster-wide and go through the first.
import { AlarmAction, AlarmType } from 'etcd3';
import { EtcdConnection, type EtcdStoreOptions } from './etcd-client.js';
import type { MemberStatus, StoreAlarm, StoreAlarmType, StoreMaintenance } from './store-maintenance.js';

/** Defragmenting rewrites the whole database: far longer than an ordinary request may take. */
const DEFRAG_TIMEOUT_MS = 10 * 60_000;

/** etcd's uint64 member IDs arrive as decimal strings; etcdctl prints them in hex. */
export function memberHex(id: string | number): string {
  return BigInt(id).toString(16);
}

export class EtcdMemberMaintenance implements StoreMaintenance {
  private readonly members: ReadonlyMap<string, EtcdConnection>;

  /** `options` as for EtcdStore (TLS included); one connection per endpoint. */
  constructor(options: EtcdStoreOptions) {
    this.members = new Map(options.endpoints.map((endpoint) => [endpoint, new EtcdConnection({ ...options, endpoints: [endpoint] })]));
  }

  async memberStatuses(): Promise<MemberStatus[]> {
    const names = await this.memberNames().catch(() => new Map<string, string>());
    const answers = await Promise.allSettled(
      [...this.members].map(async ([endpoint, connection]): Promise<MemberStatus> => {
        const status = await connection.call('status', () => connection.client.maintenance.status());
        const id = memberHex(status.header.member_id);
        return {
          id,
          name: names.get(id) || id,
          endpoint,
          dbSize: Number(status.dbSize),
          dbSizeInUse: Number(status.dbSizeInUse),
          isLeader: status.leader === status.header.member_id,
        };
      }),
    );
    const statuses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
    const failed = answers.find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    if (statuses.length === 0 && failed) throw failed.reason;
    return statuses;
  }

  async defragment(endpoint: string): Promise<void> {
    const connection = this.members.get(endpoint);
    if (!connection) throw new Error(`defragment: ${endpoint} is not one of the configured etcd endpoints (${[...this.members.keys()].join(', ')})`);
    await connection.call('defragment', () => connection.client.maintenance.defragment({ deadline: Date.now() + DEFRAG_TIMEOUT_MS }));
  }

  async alarms(): Promise<StoreAlarm[]> {
    const connection = this.first();
    const response = await connection.call('alarms', () =>
      connection.client.maintenance.alarm({ action: AlarmAction.Get, memberID: 0, alarm: AlarmType.None }),
    );
    const raised = response.alarms.filter((alarm) => alarm.alarm !== 'None');
    if (raised.length === 0) return [];
    const names = await this.memberNames().catch(() => new Map<string, string>());
    return raised.map((alarm) => {
      const memberId = memberHex(alarm.memberID);
      return { alarm: alarm.alarm.toUpperCase() as StoreAlarmType, memberId, member: names.get(memberId) || memberId };
    });
  }

  async close(): Promise<void> {
    for (const connection of this.members.values()) if (connection.markClosed()) connection.release();
  }

  /** Hex member ID → name. */
  private async memberNames(): Promise<Map<string, string>> {
    const connection = this.first();
    const response = await connection.call('memberList', () => connection.client.cluster.memberList({}));
    return new Map(response.members.map((member) => [memberHex(member.ID), member.name]));
  }

  private first(): EtcdConnection {
    const [connection] = this.members.values();
    if (!connection) throw new Error('etcd maintenance needs at least one endpoint');
    return connection;
  }
}
