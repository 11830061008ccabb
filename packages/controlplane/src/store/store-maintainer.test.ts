import { describe, expect, it } from 'vitest';
import type { MemberStatus, StoreAlarm, StoreMaintenance } from './store-maintenance.js';
import { defragCandidates, freeFraction, StoreMaintainer, type MaintenanceNotice } from './store-maintainer.js';

const MiB = 1024 * 1024;

function member(name: string, dbSizeMiB: number, inUseMiB: number, isLeader = false): MemberStatus {
  return { id: `id-${name}`, name, endpoint: `http://${name}:2379`, dbSize: dbSizeMiB * MiB, dbSizeInUse: inUseMiB * MiB, isLeader };
}

/** A cluster whose members shrink to what they use when defragmented, and whose alarms the test sets. */
class FakeCluster implements Pick<StoreMaintenance, 'memberStatuses' | 'defragment' | 'alarms'> {
  readonly defragmented: string[] = [];
  raised: StoreAlarm[] = [];
  failDefrag = new Set<string>();
  constructor(public members: MemberStatus[]) {}
  async memberStatuses(): Promise<MemberStatus[]> {
    return this.members;
  }
  async defragment(endpoint: string): Promise<void> {
    if (this.failDefrag.has(endpoint)) throw new Error('member is busy');
    this.defragmented.push(endpoint);
    this.members = this.members.map((m) => (m.endpoint === endpoint ? { ...m, dbSize: m.dbSizeInUse } : m));
  }
  async alarms(): Promise<StoreAlarm[]> {
    return this.raised;
  }
}

function maintainer(cluster: FakeCluster, options: { threshold?: number; minBytes?: number; quotaBytes?: number } = {}) {
  const notices: MaintenanceNotice[] = [];
  const loop = new StoreMaintainer({
    maintenance: cluster,
    defrag: { threshold: options.threshold ?? 0.5, minBytes: options.minBytes ?? 16 * MiB },
    quotaBytes: options.quotaBytes ?? 1024 * MiB,
    notify: (notice) => notices.push(notice),
    setInterval: () => ({}),
    clearInterval: () => undefined,
  });
  return { loop, notices };
}

describe('defragmentation policy', () => {
  it('picks members past the free fraction and above the floor, the leader last', () => {
    const statuses = [member('leader', 100, 10, true), member('tiny', 8, 1), member('dense', 100, 90), member('follower', 64, 30)];
    expect(defragCandidates(statuses, { threshold: 0.5, minBytes: 16 * MiB }).map((m) => m.name)).toEqual(['follower', 'leader']);
  });

  it('a threshold of 0 never defragments', () => {
    expect(defragCandidates([member('a', 1000, 1)], { threshold: 0, minBytes: 0 })).toEqual([]);
  });

  it('free fraction of an empty or over-reported file is never negative', () => {
    expect(freeFraction({ dbSize: 0, dbSizeInUse: 0 })).toBe(0);
    expect(freeFraction({ dbSize: 10, dbSizeInUse: 12 })).toBe(0);
    expect(freeFraction({ dbSize: 100, dbSizeInUse: 25 })).toBe(0.75);
  });
});

describe('StoreMaintainer', () => {
  it('defragments one member at a time and reports each with its sizes', async () => {
    const cluster = new FakeCluster([member('n1', 200, 20, true), member('n2', 200, 20), member('n3', 200, 190)]);
    const { loop, notices } = maintainer(cluster);
    await loop.tick();
    expect(cluster.defragmented).toEqual(['http://n2:2379', 'http://n1:2379']);
    expect(notices.map((n) => `${n.member} ${n.reason}`)).toEqual(['n2 Defragmented', 'n1 Defragmented']);
    expect(notices[0]?.message).toMatch(/200\.0 MiB → 20\.0 MiB/);
    await loop.tick();
    expect(cluster.defragmented).toHaveLength(2); // nothing fragmented any more
  });

  it('reports a failed defragmentation as a Warning and goes on with the next member', async () => {
    const cluster = new FakeCluster([member('n1', 200, 20), member('n2', 200, 20)]);
    cluster.failDefrag.add('http://n1:2379');
    const { loop, notices } = maintainer(cluster);
    await loop.tick();
    expect(notices.map((n) => `${n.member} ${n.type} ${n.reason}`)).toEqual(['n1 Warning DefragmentationFailed', 'n2 Normal Defragmented']);
  });

  it('warns once when a database passes 80 % of the quota, and again after it went below and back', async () => {
    const cluster = new FakeCluster([member('n1', 850, 840)]);
    const { loop, notices } = maintainer(cluster, { quotaBytes: 1000 * MiB });
    await loop.tick();
    await loop.tick();
    expect(notices.map((n) => n.reason)).toEqual(['DatabaseNearQuota']);
    expect(notices[0]?.message).toMatch(/85 % of the 1000\.0 MiB quota/);
    cluster.members = [member('n1', 500, 490)];
    await loop.tick();
    cluster.members = [member('n1', 900, 890)];
    await loop.tick();
    expect(notices.map((n) => n.reason)).toEqual(['DatabaseNearQuota', 'DatabaseNearQuota']);
  });

  it('reports an alarm once when raised and once when cleared', async () => {
    const cluster = new FakeCluster([member('n1', 20, 19)]);
    const { loop, notices } = maintainer(cluster);
    cluster.raised = [{ alarm: 'NOSPACE', memberId: 'abc', member: 'n1' }];
    await loop.tick();
    await loop.tick();
    cluster.raised = [];
    await loop.tick();
    expect(notices.map((n) => `${n.type} ${n.reason}`)).toEqual(['Warning Alarm', 'Normal AlarmCleared']);
    expect(notices[0]?.message).toMatch(/n1 \(abc\) raised NOSPACE.*compact.*defrag.*alarm disarm/);
  });

  it('survives a round where etcd does not answer', async () => {
    const cluster = new FakeCluster([member('n1', 200, 20)]);
    const { loop } = maintainer(cluster);
    const statuses = cluster.memberStatuses.bind(cluster);
    cluster.memberStatuses = () => Promise.reject(new Error('unavailable'));
    await loop.tick();
    cluster.memberStatuses = statuses;
    await loop.tick();
    expect(cluster.defragmented).toEqual(['http://n1:2379']);
  });
});
