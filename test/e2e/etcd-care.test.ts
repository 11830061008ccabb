// etcd care against real etcd: defragmentation gives a fragmented database's
// space back, and a member out of quota (NOSPACE) fails /readyz naming the
// alarm until the operator's runbook (compact, defrag, disarm) clears it.
import { randomBytes } from 'node:crypto';
import { EtcdMemberMaintenance, EtcdStore, StoreMaintainer, type MaintenanceNotice } from '@skiff/controlplane';
import { runCommand, startEtcd, startLocalCluster, waitFor, type EtcdServer, type LocalCluster } from '@skiff/testkit';
import { afterAll, afterEach, describe, expect, test } from 'vitest';

const MiB = 1024 * 1024;
const etcdctl = (endpoint: string, args: readonly string[]) =>
  runCommand(process.env['ETCDCTL_BIN'] ?? 'etcdctl', [`--endpoints=${endpoint}`, ...args], { env: { ETCDCTL_API: '3' } });

/** Puts `count` values of `size` bytes under `prefix`, a few per transaction (etcd takes 1.5 MiB per request). */
async function fill(store: EtcdStore, prefix: string, count: number, size: number): Promise<void> {
  const perTxn = Math.max(1, Math.floor(MiB / size));
  for (let i = 0; i < count; i += perTxn) {
    const ops = Array.from({ length: Math.min(perTxn, count - i) }, (_, j) => ({
      op: 'create' as const,
      key: `${prefix}${i + j}`,
      value: randomBytes(size / 2).toString('hex'),
    }));
    await store.commit(ops);
  }
}

async function removeAll(store: EtcdStore, prefix: string): Promise<void> {
  const { items } = await store.list(prefix);
  for (let i = 0; i < items.length; i += 100) {
    await store.commit(items.slice(i, i + 100).map((kv) => ({ op: 'delete' as const, key: kv.key, expectedRevision: kv.modRevision })));
  }
}

describe('defragmentation', () => {
  let etcd: EtcdServer | undefined;
  let store: EtcdStore | undefined;
  let maintenance: EtcdMemberMaintenance | undefined;
  afterEach(async () => {
    await maintenance?.close();
    await store?.close();
    await etcd?.stop();
  });

  test('a database emptied and compacted is defragmented back to a fraction of its size', async () => {
    etcd = await startEtcd();
    store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    maintenance = new EtcdMemberMaintenance({ endpoints: [etcd.endpoint] });
    const notices: MaintenanceNotice[] = [];
    const maintainer = new StoreMaintainer({
      maintenance,
      defrag: { threshold: 0.5, minBytes: 4 * MiB },
      notify: (notice) => notices.push(notice),
      setInterval: () => ({}),
      clearInterval: () => undefined,
    });

    await fill(store, '/filler/', 640, 32 * 1024); // 20 MiB of values
    await maintainer.tick();
    expect(notices).toEqual([]); // all of it in use: nothing to give back
    await removeAll(store, '/filler/');
    await store.compact(await store.currentRevision());
    // etcd compacts physically in the background, and reports pages freed (dbSizeInUse) as of its last
    // commit: bbolt hands pages a transaction released to later ones only. A control plane writes all the
    // time; here a small write per probe plays that part.
    let probes = 0;
    const [fragmented] = await waitFor(
      async () => {
        await store!.create(`/probe/${probes++}`, 'x');
        const statuses = await maintenance!.memberStatuses();
        return statuses[0] && statuses[0].dbSizeInUse < statuses[0].dbSize / 2 ? statuses : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'etcd to free the compacted pages' },
    );
    expect(fragmented!.dbSize).toBeGreaterThan(16 * MiB);

    await maintainer.tick();
    const [after] = await maintenance.memberStatuses();
    expect(after!.dbSize).toBeLessThan(fragmented!.dbSize / 4);
    expect(notices).toEqual([expect.objectContaining({ member: 'n1', type: 'Normal', reason: 'Defragmented' })]);
    expect(notices[0]!.message).toMatch(/defragmented etcd member n1: \d+\.\d MiB → \d+\.\d MiB/);
    await maintainer.tick();
    expect(notices).toHaveLength(1); // defragmented once, not every round
  });
});

describe('quota alarms', () => {
  let cluster: LocalCluster | undefined;
  let store: EtcdStore | undefined;
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  const readyz = async (): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://${cluster!.httpAddress}/readyz`);
    return { status: response.status, body: await response.text() };
  };

  test('NOSPACE fails /readyz naming the alarm and the member; compact, defrag and disarm bring it back, and the Events follow', async () => {
    cluster = await startLocalCluster({
      etcdArgs: ['--quota-backend-bytes', String(16 * MiB)],
      // Automatic defragmentation off: this test walks the operator's runbook by hand.
      controlPlaneArgs: ['--etcd-maintenance-interval', '1s', '--etcd-quota-backend-bytes', '16Mi', '--etcd-defrag-threshold', '0'],
    });
    const endpoint = cluster.etcd.endpoint;
    expect(await readyz()).toMatchObject({ status: 200, body: expect.stringContaining('[+]etcd-alarms none') });

    store = await EtcdStore.connect({ endpoints: [endpoint] });
    const full = await (async () => {
      try {
        await fill(store, '/filler/', 10_000, 64 * 1024);
      } catch (error) {
        return error as Error;
      }
      throw new Error('etcd took 640 MiB under a 16 MiB quota');
    })();
    expect(full.message).toMatch(/database space exceeded/);

    const failing = await waitFor(async () => ((await readyz()).status === 503 ? readyz() : undefined), {
      timeoutMs: 30_000,
      description: '/readyz to fail',
    });
    expect(failing.body).toMatch(/^not ready: /);
    expect(failing.body).toMatch(/\[-\]etcd-alarms failed: etcd member n1 \([0-9a-f]+\) raised NOSPACE: .*etcdctl compact.*etcdctl defrag.*etcdctl alarm disarm/);
    expect(failing.body).toContain('[+]etcd ok'); // etcd answers reads: it is the quota, not the connection

    // The maintenance loop (every second here) has seen it too, and logged what to do; an operator takes longer than a second.
    await waitFor(() => (/raised NOSPACE/.test(cluster!.controlPlane.output()) ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the control plane to log the alarm',
    });

    // The runbook: free space, compact, defragment, disarm.
    await removeAll(store, '/filler/');
    await store.compact(await store.currentRevision());
    expect(await etcdctl(endpoint, ['defrag'])).toMatchObject({ code: 0 });
    expect(await etcdctl(endpoint, ['alarm', 'disarm'])).toMatchObject({ code: 0 });
    await waitFor(async () => ((await readyz()).status === 200 ? true : undefined), { timeoutMs: 30_000, description: '/readyz to recover' });
    expect((await readyz()).body).toContain('[+]etcd-alarms none');

    // Events about the member: the warning before the quota, the alarm (written once etcd took writes again), its clearing.
    const reasons = await waitFor(
      async () => {
        const listed = await cluster!.ctl(['get', 'events', '-n', 'default', '-o', 'json']);
        const items = (JSON.parse(listed.stdout) as { items: { reason: string; involvedObject: { kind: string; name: string } }[] }).items;
        const about = items.filter((event) => event.involvedObject.kind === 'EtcdMember' && event.involvedObject.name === 'n1').map((event) => event.reason);
        return about.includes('AlarmCleared') && about.includes('Alarm') ? about.sort() : undefined;
      },
      { timeoutMs: 30_000, description: 'the alarm Events' },
    )
    expect(reasons).toEqual(['Alarm', 'AlarmCleared', 'DatabaseNearQuota']);
  });
});
