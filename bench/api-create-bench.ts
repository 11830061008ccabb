// npm run bench:api-create — API create throughput through the real gRPC API
// (mTLS, authentication, validation, the namespace check, compare-and-swap
// create), with group commit on and off, beside the reference measured in the
// same run: raw single etcd puts (one create transaction each) through the
// store client at the same concurrency. Also list latency of the created
// objects, consistent ("") and from the watch cache ("0"), and the CPU each
// create cost the load generator, the control plane and etcd, with etcd
// transactions per create. With BENCH_CPU_PROFILE (bench/cpu-profile-preload.ts)
// the control plane's CPU profile covers the creates alone.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '@skiff/api';
import { EtcdStore } from '@skiff/controlplane';
import { startLocalCluster, type LocalCluster } from '@skiff/testkit';
import { call, cpuSeconds, fixed, mapConcurrent, percentile, toggleCpuProfile } from './bench-support.js';

const CREATES = Number(process.env.BENCH_CREATES ?? 5_000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const LISTS = 20;
const PADDING = 'x'.repeat(600);
const CPU_CORES = availableParallelism();

/** CPU seconds per create, by process: where the path's cost lands on a machine they share. */
interface CpuPerCreate {
  readonly client: number;
  readonly controlPlane?: number;
  readonly etcd: number;
  /** etcd transactions per create (from etcd's own grpc_server_handled_total): below 1 when group commit shares them. */
  readonly txns: number;
}

/** Transactions etcd has answered so far (its /metrics). */
async function etcdTxns(cluster: LocalCluster): Promise<number> {
  const text = await (await fetch(`${cluster.etcd.endpoint}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('grpc_server_handled_total{') && line.includes('grpc_method="Txn"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Measures `work`'s CPU in this process (the load generator), the control plane and etcd. */
async function cpuOf(cluster: LocalCluster, withControlPlane: boolean, work: () => Promise<void>): Promise<CpuPerCreate> {
  const client = process.cpuUsage();
  const controlPlane = cpuSeconds(cluster.controlPlane.pid);
  const etcd = cpuSeconds(cluster.etcd.process.pid);
  const txns = await etcdTxns(cluster);
  if (withControlPlane) toggleCpuProfile(cluster.controlPlane.pid); // a profile of exactly the creates
  await work();
  if (withControlPlane) toggleCpuProfile(cluster.controlPlane.pid); // a profile of exactly the creates
  const used = process.cpuUsage(client);
  const etcdUsed = cpuSeconds(cluster.etcd.process.pid) - etcd;
  return {
    client: (used.user + used.system) / 1e6 / CREATES,
    ...(withControlPlane ? { controlPlane: (cpuSeconds(cluster.controlPlane.pid) - controlPlane) / CREATES } : {}),
    etcd: etcdUsed / CREATES,
    txns: ((await etcdTxns(cluster)) - txns) / CREATES,
  };
}

interface Run {
  readonly cpu: CpuPerCreate;
  readonly createsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly consistentListMs: number;
  readonly cachedListMs: number;
}

async function measureApi(cluster: LocalCluster): Promise<Run> {
  const api = cluster.apiClient();
  try {
    const latencies: number[] = [];
    const names = Array.from({ length: CREATES }, (_, i) => `bench-${i}`);
    const start = performance.now();
    const cpu = await cpuOf(cluster, true, () =>
      mapConcurrent(names, IN_FLIGHT, async (name) => {
        const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { padding: PADDING } };
        const sent = performance.now();
        await call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));
        latencies.push(performance.now() - sent);
      }),
    );
    const createsPerSecond = CREATES / ((performance.now() - start) / 1000);
    latencies.sort((a, b) => a - b);
    const listMs = async (resourceVersion: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < LISTS; i++) {
        const began = performance.now();
        const listed = await call<{ items_json: string[] }>((cb) =>
          api.List({ kind: 'configmaps', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: resourceVersion }, cb),
        );
        if (listed.items_json.length < CREATES) throw new Error(`listed ${listed.items_json.length} configmaps, expected ${CREATES}`);
        times.push(performance.now() - began);
      }
      return percentile(times.sort((a, b) => a - b), 50);
    };
    return {
      cpu,
      createsPerSecond,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      consistentListMs: await listMs(''),
      cachedListMs: await listMs('0'),
    };
  } finally {
    api.close();
  }
}

/** The reference: the same number of single create transactions, at the same concurrency, straight to etcd. */
async function measureRaw(cluster: LocalCluster): Promise<{ perSecond: number; cpu: CpuPerCreate }> {
  const store = await EtcdStore.connect({ endpoints: [cluster.etcd.endpoint] });
  try {
    const keys = Array.from({ length: CREATES }, (_, i) => `/bench/raw/${i}`);
    const start = performance.now();
    const cpu = await cpuOf(cluster, false, () =>
      mapConcurrent(keys, IN_FLIGHT, async (key, i) => {
        await store.create(key, JSON.stringify({ n: i, padding: PADDING }));
      }),
    );
    return { perSecond: CREATES / ((performance.now() - start) / 1000), cpu };
  } finally {
    await store.close();
  }
}

/**
 * The transport floor, in the same run: the same applies, at the same
 * concurrency, with the cluster's certificates, to a bare grpc-js server of
 * the Api service that answers at once (grpc-floor-server.ts); CPU per call
 * of the load generator and of that server.
 */
async function measureFloor(cluster: LocalCluster): Promise<{ perSecond: number; client: number; server: number }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./grpc-floor-server.js', import.meta.url)), cluster.dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`grpc-floor-server exited (${code}) before listening`)));
      child.stdout.once('data', (chunk: Buffer) => resolve(String(chunk).trim()));
    });
    const api = createApiClient(`127.0.0.1:${port}`, {}, cluster.channelCredentials());
    try {
      const apply = (name: string): Promise<unknown> =>
        call((cb) => api.Apply({ manifest_json: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { padding: PADDING } }), strict: false, dry_run: false }, cb));
      await mapConcurrent(Array.from({ length: IN_FLIGHT * 4 }, (_, i) => `warm-${i}`), IN_FLIGHT, async (name) => void (await apply(name)));
      const client = process.cpuUsage();
      const server = cpuSeconds(child.pid!);
      const start = performance.now();
      await mapConcurrent(Array.from({ length: CREATES }, (_, i) => `floor-${i}`), IN_FLIGHT, async (name) => void (await apply(name)));
      const seconds = (performance.now() - start) / 1000;
      const used = process.cpuUsage(client);
      return { perSecond: CREATES / seconds, client: (used.user + used.system) / 1e6 / CREATES, server: (cpuSeconds(child.pid!) - server) / CREATES };
    } finally {
      api.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
}

async function withCluster<T>(args: readonly string[], work: (cluster: LocalCluster) => Promise<T>): Promise<T> {
  const cluster = await startLocalCluster({ controlPlaneArgs: [...args] });
  try {
    return await work(cluster);
  } finally {
    await cluster.stop();
  }
}

const grouped = await withCluster(['--group-commit', 'on'], measureApi);
const { ungrouped, raw, floor } = await withCluster(['--group-commit', 'off'], async (cluster) => ({
  ungrouped: await measureApi(cluster),
  raw: await measureRaw(cluster),
  floor: await measureFloor(cluster),
}));
const microseconds = (seconds: number | undefined): string => (seconds === undefined ? '—' : `${fixed(seconds * 1e6, 0)} µs`);
const cpuRow = (label: string, cpu: CpuPerCreate): string =>
  `  ${label.padEnd(30)}client ${microseconds(cpu.client)}, control plane ${microseconds(cpu.controlPlane)}, etcd ${microseconds(cpu.etcd)} (${fixed(cpu.txns, 3)} txns)`;

const row = (label: string, run: Run): string =>
  `  ${label.padEnd(30)}${fixed(run.createsPerSecond, 0)} creates/s (p50 ${fixed(run.p50, 0)} ms, p99 ${fixed(run.p99, 0)} ms), ratio to raw ${fixed(run.createsPerSecond / raw.perSecond, 2)}`;
process.stdout.write(
  [
    '',
    `API create benchmark: ${CREATES} ConfigMaps through the gRPC API, ${IN_FLIGHT} in flight`,
    row('group commit on', grouped),
    row('group commit off', ungrouped),
    `  raw single etcd puts          ${fixed(raw.perSecond, 0)} creates/s (one create txn each, same concurrency, store client)`,
    `  CPU per create (${CPU_CORES} cores)`,
    cpuRow('  group commit on', grouped.cpu),
    cpuRow('  group commit off', ungrouped.cpu),
    cpuRow('  raw single etcd puts', raw.cpu),
    `    bare grpc-js Api server     client ${microseconds(floor.client)}, server ${microseconds(floor.server)} (${fixed(floor.perSecond, 0)} calls/s: mTLS, the same applies, answered at once)`,
    `  list of ${CREATES} (p50 of ${LISTS})        consistent "" ${fixed(grouped.consistentListMs, 0)} ms, from the cache "0" ${fixed(grouped.cachedListMs, 0)} ms`,
    '',
  ].join('\n'),
);
