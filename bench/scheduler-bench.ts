// npm run bench:scheduler — 1,000 simulated nodes registered through the API
// (no containers), 10,000 pods applied through the API; measures pods bound per
// second end to end and bind latency, beside the raw etcd ceiling for
// transactions of the scheduler's batch size through the same store client,
// and the bin-packing ratio of the result.
import { createNodeApiClient, cpuMillis, memoryBytes, type Pod } from '@skiff/api';
import { EtcdStore } from '@skiff/controlplane';
import { startLocalCluster } from '@skiff/testkit';
import { call, fixed, mapConcurrent, percentile } from './bench-support.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const NODE_CPU = '4';
const NODE_MEMORY = '16Gi';
const BATCH = 128;
const IN_FLIGHT = 64;
const SIZES = [
  { cpu: '100m', memory: '128Mi' },
  { cpu: '250m', memory: '256Mi' },
  { cpu: '500m', memory: '1Gi' },
  { cpu: '200m', memory: '512Mi' },
];

const cluster = await startLocalCluster({
  // Simulated nodes never heartbeat: give them leases that outlast the run.
  // and a pod network with room for a thousand node slices (all of 10/8, so Services get another range).
  controlPlaneArgs: ['--lease-duration-ms', '3600000', '--heartbeat-interval-ms', '600000', '--pod-network', '10.0.0.0/8', '--service-cluster-ip-range', '172.30.0.0/16'],
});
try {
  const nodeApi = createNodeApiClient(cluster.grpcAddress, {}, cluster.channelCredentials());
  const api = cluster.apiClient();
  const nodeNames = Array.from({ length: NODES }, (_, i) => `sim-${String(i).padStart(4, '0')}`);
  await mapConcurrent(nodeNames, IN_FLIGHT, async (name) => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: {},
      status: { capacity: { cpu: NODE_CPU, memory: NODE_MEMORY, pods: '110' }, nodeInfo: { runtime: 'simulated' } },
    };
    await call((cb) => nodeApi.RegisterNode({ node_json: JSON.stringify(node) }, cb));
  });
  process.stdout.write(`registered ${NODES} simulated nodes\n`);

  // Watch pods: the moment each is seen bound is its bind time.
  const created = new Map<string, number>();
  const answered = new Map<string, number>();
  const bound = new Map<string, number>();
  let allBound!: () => void;
  const done = new Promise<void>((resolve) => (allBound = resolve));
  const watch = api.Watch({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: '' });
  watch.on('data', (event: { object_json: string }) => {
    const pod = JSON.parse(event.object_json) as Pod;
    if (pod.spec.nodeName && !bound.has(pod.metadata.name)) {
      // The scheduler stamps the bind time into the PodScheduled condition:
      // use it, so a slow observer (this watch) does not count as slow binding.
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime;
      bound.set(pod.metadata.name, scheduled ? Date.parse(scheduled) : Date.now());
      if (bound.size === PODS) allBound();
    }
  });
  watch.on('error', () => undefined);

  const podNames = Array.from({ length: PODS }, (_, i) => `bench-${i}`);
  const start = performance.now();
  await mapConcurrent(podNames, IN_FLIGHT, async (name, i) => {
    const size = SIZES[i % SIZES.length] ?? SIZES[0]!;
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'none', resources: { requests: size } }] },
    };
    created.set(name, Date.now());
    await call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));
    answered.set(name, Date.now());
  });
  const appliedAt = performance.now();
  await done;
  const end = performance.now();
  watch.cancel();

  const latencies = podNames.map((n) => (bound.get(n) ?? Number.NaN) - (created.get(n) ?? Number.NaN)).sort((a, b) => a - b);
  const applyLatencies = podNames.map((n) => (answered.get(n) ?? Number.NaN) - (created.get(n) ?? Number.NaN)).sort((a, b) => a - b);
  const seconds = (end - start) / 1000;
  const podsPerSecond = PODS / seconds;

  // Bin-packing: nodes used ÷ the fewest nodes that could hold the requests.
  const used = new Set<string>();
  let cpu = 0;
  let memory = 0;
  const list = await call<{ items_json: string[] }>((cb) =>
    api.List({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: '' }, cb),
  );
  for (const json of list.items_json) {
    const pod = JSON.parse(json) as Pod;
    if (pod.spec.nodeName) used.add(pod.spec.nodeName);
    const requests = pod.spec.containers[0]?.resources?.requests;
    cpu += cpuMillis(requests?.cpu ?? 0);
    memory += memoryBytes(requests?.memory ?? 0);
  }
  const lowerBound = Math.max(Math.ceil(cpu / cpuMillis(NODE_CPU)), Math.ceil(memory / memoryBytes(NODE_MEMORY)));

  // The raw ceiling: the same number of writes, in transactions of the same
  // size, one at a time like the scheduler's binder, through the same store client.
  const store = new EtcdStore({ endpoints: [cluster.etcd.endpoint] });
  const rawStart = performance.now();
  for (let i = 0; i < PODS; i += BATCH) {
    const ops = Array.from({ length: Math.min(BATCH, PODS - i) }, (_, j) => ({
      op: 'create' as const,
      key: `/bench/raw/${i + j}`,
      value: JSON.stringify({ n: i + j, padding: 'x'.repeat(600) }),
    }));
    await store.commit(ops);
  }
  const rawPerSecond = PODS / ((performance.now() - rawStart) / 1000);
  await store.close();
  nodeApi.close();
  api.close();

  const lines = [
    '',
    `scheduler benchmark: ${NODES} nodes × ${PODS} pods (batches of up to ${BATCH}, ${IN_FLIGHT} applies in flight)`,
    `  applies finished after        ${fixed((appliedAt - start) / 1000, 2)} s`,
    `  all pods bound after          ${fixed(seconds, 2)} s`,
    `  pods bound per second         ${fixed(podsPerSecond, 0)} /s (end to end: apply → bound)`,
    `  apply latency p50 / p99       ${fixed(percentile(applyLatencies, 50), 0)} ms / ${fixed(percentile(applyLatencies, 99), 0)} ms`,
    `  bind latency p50 / p99        ${fixed(percentile(latencies, 50), 0)} ms / ${fixed(percentile(latencies, 99), 0)} ms (apply sent → bound, by the scheduler's PodScheduled time)`,
    `  raw etcd ceiling              ${fixed(rawPerSecond, 0)} writes/s (txns of ${BATCH}, sequential, same client)`,
    `  ratio bound/s ÷ raw writes/s  ${fixed(podsPerSecond / rawPerSecond, 3)}`,
    `  bin-packing ratio             ${fixed(used.size / lowerBound, 3)} (nodes used ${used.size}, lower bound ${lowerBound})`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  await cluster.stop();
}
