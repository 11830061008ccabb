// npm run bench:failover — 30 pods on 3 runc agents (10 each); kill -9 one agent
// and time until every pod is Running again on the others. 10 runs (the killed
// agent is restarted and the pods re-spread between runs): min / median / max.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { buildBusyboxImage, startLocalCluster, startRegistry, waitFor } from '@skiff/testkit';
import { call, fixed, percentile } from './bench-support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PODS = 30;

const workDir = await mkdtemp(join(tmpdir(), 'skiff-failover-bench-'));
const registry = await startRegistry();
const image = (await buildBusyboxImage(join(workDir, 'image'), registry.address)).reference ?? '';
// Spread, so the 30 pods start out 10 per agent.
// BENCH_CONTROLPLANE_ARGS tries other timings, e.g. "--lease-duration-ms 1200".
const extraArgs = (process.env.BENCH_CONTROLPLANE_ARGS ?? '').split(' ').filter(Boolean);
const cluster = await startLocalCluster({ controlPlaneArgs: ['--strategy', 'spread', ...extraArgs] });
try {
  for (const name of ['node-a', 'node-b', 'node-c']) await cluster.addAgent({ name, cpu: '8', memory: '4Gi', pods: '40' });
  const api = cluster.apiClient();
  const listPods = async (): Promise<Pod[]> => {
    const result = await call<{ items_json: string[] }>((cb) =>
      api.List({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: 'app=failover' }, cb),
    );
    return result.items_json.map((json) => JSON.parse(json) as Pod);
  };
  const running = (pod: Pod): boolean => pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state.running !== undefined;

  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'failover' },
    spec: {
      replicas: PODS,
      selector: { matchLabels: { app: 'failover' } },
      template: {
        metadata: { labels: { app: 'failover' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'main',
              image,
              command: ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'],
              resources: { requests: { cpu: '200m', memory: '16Mi' } },
            },
          ],
        },
      },
    },
  };
  await call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));
  await waitFor(async () => (await listPods()).filter(running).length === PODS, { timeoutMs: 120_000, description: `${PODS} running pods` });

  const scale = (replicas: number): Promise<unknown> =>
    call((cb) => api.Scale({ ref: { kind: 'deployments', namespace: 'default', name: 'failover' }, replicas }, cb));
  const times: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    if (run > 1) {
      // Back to 10 pods on each of the 3 agents (spread places them evenly), as in the first run.
      await scale(0);
      await waitFor(async () => (await listPods()).length === 0, { timeoutMs: 60_000, description: 'scaled to 0' });
      await scale(PODS);
      await waitFor(async () => (await listPods()).filter(running).length === PODS, { timeoutMs: 120_000, description: `${PODS} running pods` });
    }
    const pods = await listPods();
    const perNode = new Map<string, number>();
    for (const pod of pods) perNode.set(pod.spec.nodeName ?? '', (perNode.get(pod.spec.nodeName ?? '') ?? 0) + 1);
    const [victim, moved] = [...perNode.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    const agent = cluster.agents.find((a) => a.name === victim);
    if (!agent) throw new Error(`no agent for node ${victim}`);
    const killedAt = performance.now();
    await agent.process.kill9();
    await waitFor(
      async () => {
        const now = await listPods();
        return now.length === PODS && now.every((p) => running(p) && p.spec.nodeName !== victim);
      },
      { timeoutMs: 60_000, intervalMs: 20, description: `all pods running off ${victim}` },
    );
    const elapsed = performance.now() - killedAt;
    times.push(elapsed);
    if (process.env.BENCH_PHASES) {
      // Where the time went, from the objects' own timestamps (wall clock, same machine).
      const wallKilled = Date.now() - elapsed;
      const after = await listPods();
      const fresh = after.filter((p) => !pods.some((old) => old.metadata.uid === p.metadata.uid));
      const node = JSON.parse(
        (await call<{ object_json: string }>((cb) => api.Get({ ref: { kind: 'nodes', namespace: '', name: victim } }, cb))).object_json,
      ) as { status?: { conditions?: { type: string; lastTransitionTime?: string }[] } };
      const notReady = Date.parse(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
      const bound = fresh.map((p) => Date.parse(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? ''));
      const started = fresh.map((p) => Date.parse(p.status?.containerStatuses?.[0]?.state.running?.startedAt ?? ''));
      const ms = (t: number): string => `${fixed((t - wallKilled) / 1000, 2)} s`;
      process.stdout.write(`  NotReady at ${ms(notReady)}; replacements bound ${ms(Math.min(...bound))}–${ms(Math.max(...bound))}; started ${ms(Math.min(...started))}–${ms(Math.max(...started))}\n`);
    }
    process.stdout.write(`run ${run}: killed ${victim} (${moved} pods) → all ${PODS} running elsewhere after ${fixed(elapsed / 1000, 2)} s\n`);
    await agent.restart();
    await waitFor(
      async () => {
        const node = JSON.parse(
          (await call<{ object_json: string }>((cb) => api.Get({ ref: { kind: 'nodes', namespace: '', name: victim } }, cb))).object_json,
        ) as { status?: { conditions?: { type: string; status: string }[] } };
        return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      },
      { timeoutMs: 30_000, description: `${victim} Ready again` },
    );
    // The restarted agent fences its stale containers (stop, remove): let it
    // finish, so the next run does not measure this run's clean-up too.
    const containersDir = join(agent.stateDir, 'containers', 'containers');
    await waitFor(async () => (await readdir(containersDir).catch(() => [])).length === 0, {
      timeoutMs: 60_000,
      description: `${victim} to remove its stale containers`,
    });
  }
  api.close();
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(
    [
      '',
      `failover benchmark: ${PODS} pods on 3 agents, kill -9 of one agent, ${RUNS} runs`,
      `  time to all pods Running elsewhere: min ${fixed((sorted[0] ?? Number.NaN) / 1000, 2)} s / median ${fixed(percentile(sorted, 50) / 1000, 2)} s / max ${fixed((sorted.at(-1) ?? Number.NaN) / 1000, 2)} s`,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
  await registry.stop();
  await rm(workDir, { recursive: true, force: true });
}
