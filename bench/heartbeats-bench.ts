// npm run bench:heartbeats — a real control plane on a real etcd, 1,000
// simulated agents (bench/heartbeat-agents.ts, in their own process: real
// Joins, their own node certificates, one TLS channel each) heartbeating at the
// defaults for BENCH_SECONDS (60). Prints control-plane CPU as a fraction of a
// core and etcd writes per second (etcd's revision, from its /metrics) at
// steady state, beside the same figures for the same cluster with heartbeats
// off (the reference, measured in the same run); then stops one simulated node
// and times until its Node is NotReady.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Node } from '@skiff/api';
import { startLocalCluster, waitFor } from '@skiff/testkit';
import { call, cpuSeconds, fixed } from './bench-support.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const LEASE_MS = 1500; // the control plane's default --lease-duration-ms (at 500 ms; it scales with the interval)
const extraArgs = (process.env.BENCH_CONTROLPLANE_ARGS ?? '').split(' ').filter(Boolean);

const cluster = await startLocalCluster({
  // Defaults for heartbeats and leases; a pod network with room for a thousand node slices.
  controlPlaneArgs: ['--pod-network', '10.0.0.0/8', '--service-cluster-ip-range', '172.30.0.0/16', ...extraArgs],
});
const simulator = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'heartbeat-agents.js')], {
  env: {
    ...process.env,
    SIM_ADDRESS: cluster.grpcAddress,
    SIM_CA_FILE: join(cluster.dataDir, 'pki', 'ca.crt'),
    SIM_TOKEN_FILE: cluster.tokenFile,
    SIM_NODES: String(NODES),
  },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const waiting: ((message: Record<string, unknown>) => boolean)[] = [];
createInterface({ input: simulator.stdout }).on('line', (line) => {
  const message = JSON.parse(line) as Record<string, unknown>;
  if (message['event'] === 'heartbeat-failed') process.stdout.write(`  (simulator: ${line})\n`);
  const index = waiting.findIndex((accept) => accept(message));
  if (index >= 0) waiting.splice(index, 1);
});
const next = (event: string, command?: string): Promise<Record<string, unknown>> =>
  new Promise((resolve) => {
    waiting.push((message) => (message['event'] === event ? (resolve(message), true) : false));
    if (command) simulator.stdin.write(`${command}\n`);
  });

try {
  const api = cluster.apiClient();
  const etcdMetric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${cluster.etcd.endpoint}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  const revision = (): Promise<number> => etcdMetric('etcd_debugging_mvcc_current_revision');
  const readyCount = async (): Promise<number> => {
    const { items_json } = await call<{ items_json: string[] }>((cb) => api.List({ kind: 'nodes', namespace: '', all_namespaces: true, label_selector: '' }, cb));
    return items_json.map((json) => JSON.parse(json) as Node).filter((n) => n.metadata.name.startsWith('hb-') && n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True').length;
  };
  /** Waits until nothing writes to etcd for two seconds (the judge's transitions done). */
  const settle = async (): Promise<void> => {
    let last = await revision();
    let quietSince = performance.now();
    await waitFor(
      async () => {
        const now = await revision();
        if (now !== last) [last, quietSince] = [now, performance.now()];
        return performance.now() - quietSince >= 2000;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'etcd writes to settle' },
    );
  };
  // BENCH_CPU_PROFILE=<dir> (with NODE_OPTIONS="--import ./bench/dist/cpu-profile-preload.js"): the
  // control plane's CPU profile of the heartbeating window, in <dir>/<pid>.cpuprofile.
  const profile = (): void => void (process.env.BENCH_CPU_PROFILE && process.kill(cluster.controlPlane.pid, 'SIGUSR2'));
  const measure = async (label: string, profiled = false): Promise<{ cpu: number; etcdCpu: number; writes: number; puts: number; beats: number }> => {
    if (profiled) profile();
    const [cp0, etcd0, rev0, puts0, stats0] = [cpuSeconds(cluster.controlPlane.pid), cpuSeconds(cluster.etcd.process.pid), await revision(), await etcdMetric('etcd_mvcc_put_total'), await next('stats', 'stats')];
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const [cp1, etcd1, rev1, puts1, stats1] = [cpuSeconds(cluster.controlPlane.pid), cpuSeconds(cluster.etcd.process.pid), await revision(), await etcdMetric('etcd_mvcc_put_total'), await next('stats', 'stats')];
    const seconds = (performance.now() - t0) / 1000;
    if (profiled) profile();
    const result = {
      cpu: (cp1 - cp0) / seconds,
      etcdCpu: (etcd1 - etcd0) / seconds,
      writes: (rev1 - rev0) / seconds,
      puts: (puts1 - puts0) / seconds,
      beats: (Number(stats1['beats']) - Number(stats0['beats'])) / seconds,
    };
    process.stdout.write(
      `${label}: control plane ${fixed(result.cpu, 3)} core, etcd writes ${fixed(result.writes, 2)}/s (puts ${fixed(result.puts, 2)}/s), etcd ${fixed(result.etcdCpu, 3)} core, heartbeats answered ${fixed(result.beats, 0)}/s (${fixed(seconds, 0)} s)\n`,
    );
    return result;
  };

  const registered = await next('registered');
  process.stdout.write(`joined and registered ${String(registered['nodes'])} simulated nodes in ${String(registered['ms'])} ms (the last told to heartbeat every ${String(registered['intervalMs'])} ms; configured: 500 ms, lease ${LEASE_MS} ms)\n`);

  // Heartbeats on: every node Ready (those the judge marked while others were still joining come back), then steady state.
  await next('beat', 'beat on');
  await waitFor(async () => (await readyCount()) === NODES, { timeoutMs: 120_000, intervalMs: 500, description: `${NODES} Ready nodes` });
  await settle();
  const beating = await measure(`heartbeating (${NODES} nodes)`, true);

  // One node stops: NotReady within its lease (counted from its last answered heartbeat).
  const victim = 'hb-0007';
  const stopped = await next('stopped', `stop ${victim}`);
  const notReadyAt = await (async () => {
    let at = 0;
    await waitFor(
      async () => {
        const { object_json } = await call<{ object_json: string }>((cb) => api.Get({ ref: { kind: 'nodes', namespace: '', name: victim } }, cb));
        const ready = (JSON.parse(object_json) as Node).status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status !== 'Unknown') return false;
        at = Date.now();
        return true;
      },
      { timeoutMs: Number(stopped['leaseMs']) + 30_000, intervalMs: 20, description: `${victim} NotReady` },
    );
    return at;
  })();
  if (process.env.BENCH_DEBUG) {
    const lines = cluster.controlPlane.output().split('\n').filter((line) => line.includes(victim) || line.includes('lifecycle') || line.includes('silent'));
    process.stdout.write(`${lines.slice(-10).join('\n')}\n`);
  }
  const fromLastBeat = notReadyAt - Number(stopped['lastAnsweredAt']);
  const fromStop = notReadyAt - Number(stopped['stoppedAt']);

  // The reference: the same cluster and nodes, heartbeats off (the whole fleet silent: the judge marks nothing).
  await next('beat', 'beat off');
  // Past every node's lease and one interval: the judge's transitions (those it makes before the whole
  // fleet is silent) are over before settling, so the reference is an idle cluster.
  await new Promise((resolve) => setTimeout(resolve, Number(stopped['leaseMs']) + Number(stopped['intervalMs']) + 1000));
  await settle();
  const idle = await measure(`heartbeats off (reference, ${NODES} nodes)`);
  const agentsStats = await next('stats', 'stats');

  process.stdout.write('\n');
  process.stdout.write(
    `control plane CPU with ${NODES} nodes heartbeating: ${fixed(beating.cpu, 3)} core (goal ≤ 0.10); heartbeats off: ${fixed(idle.cpu, 3)} core; ` +
      `ratio ${fixed(beating.cpu / Math.max(idle.cpu, 0.001), 1)}×, extra ${fixed((beating.cpu - idle.cpu) * 1000, 0)} millicores for ${fixed(beating.beats, 0)} heartbeats/s\n`,
  );
  process.stdout.write(
    `etcd writes at steady state: ${fixed(beating.writes, 2)}/s heartbeating (goal ≤ 20) vs ${fixed(idle.writes, 2)}/s heartbeats off; ` +
      `etcd CPU ${fixed(beating.etcdCpu, 3)} vs ${fixed(idle.etcdCpu, 3)} core\n`,
  );
  const leaseMs = Number(stopped['leaseMs']);
  process.stdout.write(
    `a stopped node is NotReady ${fromLastBeat} ms after its last answered heartbeat (${fromStop} ms after it stopped); ` +
      `it was told to heartbeat every ${String(stopped['intervalMs'])} ms with a lease of ${leaseMs} ms: ratio ${fixed(fromLastBeat / leaseMs, 2)} of the lease\n`,
  );
  process.stdout.write(`simulated agents (their own process): ${fixed(Number(agentsStats['cpuMicros']) / 1e6, 1)} CPU seconds in all, ${String(agentsStats['failures'])} failed heartbeats\n`);
  api.close();
} finally {
  simulator.stdin.write('exit\n');
  await new Promise((resolve) => {
    if (simulator.exitCode !== null) return resolve(undefined);
    simulator.once('exit', resolve);
    setTimeout(() => simulator.kill('SIGKILL'), 5000).unref();
  });
  await cluster.stop();
}
