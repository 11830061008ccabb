// npm run bench:network — the service proxy on real nftables, in a node in
// miniature made of network namespaces (no traffic leaves them). Needs root
// and Debian's wrk (apt-get install wrk). Prints:
//  1. HTTP through a ClusterIP vs straight to the pod IP, same pod, same run,
//     alternating rounds: requests/s (ratio; goal ≥ 0.95) and p99 latency,
//     against a keep-alive Node.js server (wrk's 16 connections persist, so
//     this is the steady-state per-packet cost: conntrack and the NAT binding),
//     and, with busybox httpd, which closes every connection, connections per
//     second (every request pays the proxy's per-connection path: filter
//     check, vmap, numgen, DNAT). Reused client ports collide with the
//     server's TIME_WAIT sockets and stall connections for a retransmission
//     second, more through the NAT than without it; so the client gets the whole
//     port range, rounds are short (BENCH_CLOSE_SECONDS, 2 s) and conntrack is
//     flushed before each round, to measure the proxy rather than port reuse.
//  2. Endpoint change → programmed, with BENCH_SERVICES (1,000) Services ×
//     BENCH_ENDPOINTS (10) endpoints: the time from the catalog change to the
//     nft transaction that carries it having been applied, p50 and p99 (goal
//     p99 ≤ 1 s), under a stream of changes; beside it, the reference: one full
//     resync of the same table (what a proxy that rewrites everything would pay
//     per change). Then the table is read back and checked.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HostCommands, ServiceProxy, TestCatalog, testService, testSlice, type ProxySync } from '@skiff/agent';
import { createProxyTopology, waitFor, type ProxyTopology } from '@skiff/testkit';
import { pino } from 'pino';
import { fixed, percentile } from './bench-support.js';

const run = promisify(execFile);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 10);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 300);
const CHANGE_INTERVAL_MS = Number(process.env.BENCH_CHANGE_INTERVAL_MS ?? 50);
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CLOSE_SECONDS = Number(process.env.BENCH_CLOSE_SECONDS ?? 2);
const log = pino({ level: 'warn' });

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1_000 : unit === 's' ? n * 1_000 : unit === 'm' ? n * 60_000 : n;
}

async function wrk(topology: ProxyTopology, url: string, seconds = WRK_SECONDS): Promise<WrkResult> {
  const { stdout } = await run('nsenter', [`--net=/run/netns/${topology.client.netns}`, '--', 'wrk', '-t2', '-c16', `-d${seconds}s`, '--latency', url], {
    maxBuffer: 1 << 20,
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(stdout);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  return {
    requestsPerSecond: rps,
    p99Ms: p99 ? toMs(p99[1] ?? '', p99[2] ?? 'ms') : Number.NaN,
    errors: non2xx + (errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

async function throughput(topology: ProxyTopology, catalog: TestCatalog, syncs: ProxySync[]): Promise<void> {
  const [pod] = topology.pods;
  if (!pod) throw new Error('no pod');
  const before = syncs.length;
  catalog.putService(testService('bench', 'web', '10.96.0.10', { ports: [{ name: 'keepalive', protocol: 'TCP', port: 80, targetPort: 8080 }, { name: 'close', protocol: 'TCP', port: 81, targetPort: 80 }] }));
  catalog.putSlice({
    ...testSlice('bench', 'web', [pod.ip]),
    ports: [
      { name: 'keepalive', protocol: 'TCP', port: 8080 },
      { name: 'close', protocol: 'TCP', port: 80 },
    ],
  });
  await waitFor(() => syncs.length > before, { timeoutMs: 30_000, description: 'the web Service to be programmed' });
  const server = topology.spawn(pod.netns, 'keepalive-server', process.execPath, [
    '-e',
    "require('http').createServer((q, s) => s.end('ok')).listen(8080, () => console.log('listening'))",
  ]);
  await server.waitForLine(/listening/, 10_000);
  await measure(topology, `http://${pod.ip}:8080/`, 'http://10.96.0.10:80/', 'keep-alive Node.js server, wrk -t2 -c16', WRK_SECONDS);
  await run('ip', ['netns', 'exec', topology.client.netns, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535']);
  await measure(topology, `http://${pod.ip}:80/`, 'http://10.96.0.10:81/', 'busybox httpd, a new connection per request, wrk -t2 -c16', CLOSE_SECONDS);
  catalog.deleteService('bench', 'web');
}

async function measure(topology: ProxyTopology, podUrl: string, vipUrl: string, what: string, seconds: number): Promise<void> {
  const flush = (): Promise<unknown> => run('ip', ['netns', 'exec', topology.hostNetns, 'conntrack', '-F']).catch(() => undefined);
  const viaVip: WrkResult[] = [];
  const direct: WrkResult[] = [];
  // Warm-up (not counted): the server's JIT, the first connections.
  await wrk(topology, podUrl, 1);
  await wrk(topology, vipUrl, 1);
  for (let round = 0; round < ROUNDS; round += 1) {
    await flush();
    direct.push(await wrk(topology, podUrl, seconds));
    await flush();
    viaVip.push(await wrk(topology, vipUrl, seconds));
  }
  const vipRps = median(viaVip.map((r) => r.requestsPerSecond));
  const podRps = median(direct.map((r) => r.requestsPerSecond));
  const vipP99 = median(viaVip.map((r) => r.p99Ms));
  const podP99 = median(direct.map((r) => r.p99Ms));
  const errors = [...viaVip, ...direct].reduce((sum, r) => sum + r.errors, 0);
  console.log(`\nHTTP (${what}; ${ROUNDS} × ${seconds} s each, alternating, medians)`);
  console.log(`  through ClusterIP ${vipUrl}: ${fixed(vipRps, 0)} req/s, p99 ${fixed(vipP99, 2)} ms`);
  console.log(`  straight to pod ${podUrl}:  ${fixed(podRps, 0)} req/s, p99 ${fixed(podP99, 2)} ms`);
  // Each VIP round runs right after a pod round: the median of those pairs' ratios resists the machine's drift.
  const pairRatio = median(viaVip.map((r, i) => r.requestsPerSecond / (direct[i]?.requestsPerSecond ?? Number.NaN)));
  console.log(`  throughput ratio ClusterIP/pod: ${fixed(pairRatio, 3)} (median of back-to-back pairs; of the medians ${fixed(vipRps / podRps, 3)}; goal ≥ 0.95); p99 ratio ${fixed(vipP99 / podP99, 2)}; socket errors ${errors}`);
  console.log(`  rounds (VIP req/s): ${viaVip.map((r) => fixed(r.requestsPerSecond, 0)).join(', ')}; (pod req/s): ${direct.map((r) => fixed(r.requestsPerSecond, 0)).join(', ')}`);
}

/** The i-th fake endpoint address of service s (the pods need not exist: only the table is measured). */
function endpointIp(service: number, index: number): string {
  const n = service * 16 + index;
  return `10.240.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

async function programming(host: HostCommands, catalog: TestCatalog, syncs: ProxySync[], proxy: ServiceProxy): Promise<void> {
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);
  const generation = new Map<string, number>();
  const fullBefore = syncs.filter((s) => s.full).length;
  const fillStarted = performance.now();
  for (const [i, name] of names.entries()) {
    catalog.putService(testService('scale', name, `10.96.${10 + Math.floor(i / 250)}.${(i % 250) + 1}`));
    catalog.putSlice(testSlice('scale', name, Array.from({ length: ENDPOINTS }, (_, e) => endpointIp(i, e))));
    generation.set(name, 0);
  }
  // The reference: a full resync of the whole table (as after a failure or at start).
  proxy.requestFullSync();
  await waitFor(() => syncs.filter((s) => s.full).length > fullBefore, { timeoutMs: 120_000, intervalMs: 20, description: 'the full resync' });
  const full = syncs.filter((s) => s.full).at(-1);
  const fillMs = performance.now() - fillStarted;

  // A stream of changes: every CHANGE_INTERVAL_MS one Service's slice swaps an endpoint.
  const latencies: number[] = [];
  const pending = new Map<string, number[]>();
  const streamStart = syncs.length;
  onSync = (sync) => {
    const at = performance.now();
    for (const key of sync.services) {
      const name = key.slice('scale/'.length);
      for (const started of pending.get(name) ?? []) latencies.push(at - started);
      pending.delete(name);
    }
  };
  for (let c = 0; c < CHANGES; c += 1) {
    const i = Math.floor(Math.random() * SERVICES);
    const name = names[i] ?? 'svc-0';
    const g = (generation.get(name) ?? 0) + 1;
    generation.set(name, g);
    const ips = Array.from({ length: ENDPOINTS }, (_, e) => endpointIp(i, e));
    ips[g % ENDPOINTS] = endpointIp(i, ENDPOINTS + (g % 5)); // one endpoint replaced by another
    const list = pending.get(name) ?? [];
    list.push(performance.now());
    pending.set(name, list);
    catalog.putSlice(testSlice('scale', name, ips));
    await new Promise((resolve) => setTimeout(resolve, CHANGE_INTERVAL_MS));
  }
  await waitFor(() => pending.size === 0, { timeoutMs: 60_000, intervalMs: 10, description: 'every change to be programmed' });
  onSync = undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  const partials = syncs.slice(streamStart).filter((s) => !s.full && s.changedPorts > 0);
  const partialMs = partials.map((s) => s.durationMs).sort((a, b) => a - b);

  // Read the table back: every VIP in the map, and the last change of a few Services in their chains.
  const map = await host.nftCommand(['list', 'map', 'ip', 'skiff-proxy', 'service-ips']);
  const vips = (map.match(/goto svc-scale\//g) ?? []).length;
  const ruleset = await host.nftCommand(['list', 'table', 'ip', 'skiff-proxy']);
  const chains = (ruleset.match(/^\tchain /gm) ?? []).length;
  let checked = 0;
  for (const rule of proxy.programmedRules().values()) {
    if (!rule.key.startsWith('scale/') || checked >= 20) continue;
    for (const endpoint of rule.endpoints) {
      if (!ruleset.includes(`dnat to ${endpoint.ip}:${endpoint.port}`)) throw new Error(`${rule.key}: ${endpoint.ip} is not in the table`);
    }
    const want = catalog.endpointSlices('scale', rule.key.split('/')[1] ?? '')[0]?.endpoints.length;
    if (want !== rule.endpoints.length) throw new Error(`${rule.key}: ${rule.endpoints.length} endpoints programmed, ${want} in the catalog`);
    checked += 1;
  }
  if (vips !== SERVICES) throw new Error(`the service-ips map holds ${vips} Services, not ${SERVICES}`);

  console.log(`\nEndpoint change → programmed, ${SERVICES} Services × ${ENDPOINTS} endpoints (${SERVICES * ENDPOINTS} endpoints, ${chains} chains in the table)`);
  console.log(`  ${latencies.length} changes, one every ${CHANGE_INTERVAL_MS} ms, min sync period 100 ms: p50 ${fixed(percentile(sorted, 50), 1)} ms, p99 ${fixed(percentile(sorted, 99), 1)} ms, max ${fixed(sorted.at(-1) ?? Number.NaN, 1)} ms (goal p99 ≤ 1000 ms)`);
  console.log(`  partial transactions: ${partials.length}, nft apply p50 ${fixed(percentile(partialMs, 50), 1)} ms, p99 ${fixed(percentile(partialMs, 99), 1)} ms`);
  console.log(`  reference, a full resync of the same table: ${fixed(full?.durationMs ?? Number.NaN, 0)} ms (${fixed((full?.bytes ?? 0) / 1e6, 2)} MB of nft text; catalog fill + resync ${fixed(fillMs, 0)} ms)`);
  console.log(`  ratio change-p99 / full-resync: ${fixed(percentile(sorted, 99) / (full?.durationMs ?? Number.NaN), 3)}`);
  console.log(`  table read back: ${vips} VIPs in service-ips, endpoints of ${checked} Services checked against the catalog`);
}

/** Told of every sync while a measurement runs. */
let onSync: ((sync: ProxySync) => void) | undefined;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:network needs root (network namespaces, nftables)');
  await run('sh', ['-c', 'command -v wrk']).catch(() => {
    throw new Error('bench:network needs wrk: apt-get install wrk');
  });
  const topology = await createProxyTopology({ pods: 1, third: 61 });
  const host = new HostCommands({ netns: topology.hostNetns });
  const catalog = new TestCatalog();
  const syncs: ProxySync[] = [];
  const proxy = new ServiceProxy({
    catalog,
    host,
    log,
    clusterCidr: topology.podCidr,
    serviceCidr: '10.96.0.0/16',
    routeDevice: topology.bridge,
    onSynced: (sync) => {
      syncs.push(sync);
      onSync?.(sync);
    },
  });
  try {
    proxy.start();
    await waitFor(() => syncs.length > 0, { timeoutMs: 30_000, description: 'the first sync' });
    await throughput(topology, catalog, syncs);
    await programming(host, catalog, syncs, proxy);
  } finally {
    await proxy.stop();
    await topology.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
