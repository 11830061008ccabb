// npm run bench:leader-failover — three skiff-controlplane processes against
// one etcd (started with --election-timeout 500, so 1 s leases hold). 10 runs:
// kill -9 the leader, then time until writes are accepted again: a create
// through a surviving control plane succeeds AND a new leader holds the
// election key (read from etcd itself, not /readyz). The killed instance is
// started again as a standby before the next run. Figures: p50 and max
// (goal ≤ 2 s), beside the leader lease duration as the reference (ratio).
import { EtcdStore, LEADER_ELECTION_KEY } from '@skiff/controlplane';
import { adminApiClient, startLeaderCluster, waitFor } from '@skiff/testkit';
import { call, fixed, percentile } from './bench-support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const LEASE = process.env.BENCH_LEADER_LEASE ?? '1s';
const leaseMs = Number(/^(\d+)s$/.exec(LEASE)?.[1] ?? NaN) * 1000;

const cluster = await startLeaderCluster({ controlPlanes: 3, args: ['--leader-lease-duration', LEASE] });
const store = new EtcdStore({ endpoints: [cluster.etcd.endpoint] });
try {
  const heldTerm = async (): Promise<number | undefined> => (await store.get(LEADER_ELECTION_KEY))?.createRevision;
  const times: number[] = [];
  const leaderTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { instance, term } = await cluster.leader(30_000);
    // Every instance up and following before the kill.
    await waitFor(async () => (await Promise.all(cluster.instances.map((i) => cluster.leadership(i.index)))).every((l) => l.role !== 'down' && l.detail.includes(`term ${term}`)), {
      timeoutMs: 30_000,
      description: 'every instance to know the leader',
    });
    const survivors = cluster.instances.filter((i) => i !== instance).map((i) => adminApiClient(cluster.adminKubeconfig, i.grpcAddress));
    // Connected before the kill, so the time measured is the fail-over, not a TLS handshake.
    for (const client of survivors) {
      await call((cb) => client.List({ kind: 'configmaps', namespace: 'default', all_namespaces: false, label_selector: '' }, { deadline: Date.now() + 5000 }, cb));
    }
    await instance.process.kill9();
    const killedAt = performance.now();
    let leaderAt: number | undefined;
    let attempt = 0;
    await waitFor(
      async () => {
        if (leaderAt === undefined) {
          const now = await heldTerm();
          if (now !== undefined && now > term) leaderAt = performance.now();
        }
        if (leaderAt === undefined) return false;
        const name = `probe-${run}-${attempt++}`;
        const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { run: String(run) } };
        const client = survivors[attempt % survivors.length]!;
        await call((cb) => client.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, { deadline: Date.now() + 2000 }, cb));
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 10, description: 'a new leader and an accepted write' },
    );
    const elapsed = performance.now() - killedAt;
    times.push(elapsed);
    leaderTimes.push((leaderAt ?? performance.now()) - killedAt);
    for (const client of survivors) client.close();
    process.stdout.write(`run ${run + 1}: writes accepted again after ${fixed(elapsed, 0)} ms (new leader after ${fixed(leaderTimes.at(-1)!, 0)} ms)\n`);
    await cluster.restart(instance.index);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const max = sorted.at(-1) ?? Number.NaN;
  process.stdout.write(
    [
      '',
      `leader kill -9 → writes accepted again, ${RUNS} runs, 3 control planes, leader lease ${LEASE}:`,
      `  p50 ${fixed(p50, 0)} ms, max ${fixed(max, 0)} ms (goal ≤ 2000 ms); new leader p50 ${fixed(percentile([...leaderTimes].sort((a, b) => a - b), 50), 0)} ms`,
      `  reference: the lease duration ${leaseMs} ms — ratio p50 ${fixed(p50 / leaseMs, 2)}, max ${fixed(max / leaseMs, 2)}`,
      '',
    ].join('\n'),
  );
} finally {
  await store.close();
  await cluster.stop();
}
