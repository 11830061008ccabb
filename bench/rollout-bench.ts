// npm run bench:rollout — one runc agent, a Deployment of 50 busybox httpd
// replicas (maxSurge 25 %, maxUnavailable 25 %), rolled to a new template (an
// env change): the time from the apply to `rollout status` saying "successfully
// rolled out". Beside it, in the same run, the reference: one bare pod's start
// (apply → Running, image already pulled; the median of 5), times 50 — what
// replacing 50 pods would cost one at a time. Printed as a ratio.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rolloutStatus, type Deployment, type Pod } from '@skiff/api';
import { buildBusyboxImage, startLocalCluster, startRegistry, waitFor } from '@skiff/testkit';
import { call, fixed } from './bench-support.js';

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 50);
const SINGLE_SAMPLES = 5;

const say = (text: string): void => void process.stderr.write(`rollout-bench: ${text}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const workDir = await mkdtemp(join(tmpdir(), 'skiff-rollout-bench-'));
const registry = await startRegistry();
const cluster = await startLocalCluster();
try {
  const image = (await buildBusyboxImage(join(workDir, 'image'), registry.address)).reference ?? '';
  await cluster.addAgent({ name: 'bench-node', cpu: '64', memory: '64Gi', pods: String(2 * REPLICAS + 10), insecureRegistries: [registry.address] });
  const api = cluster.apiClient();
  const apply = (manifest: object): Promise<unknown> =>
    call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));
  const remove = (kind: string, name: string): Promise<unknown> => call((cb) => api.Delete({ ref: { kind, namespace: 'default', name } }, cb));
  const container = (version: string) => ({
    name: 'web',
    image,
    env: [{ name: 'VERSION', value: version }],
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  });
  const deployment = (version: string): object => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'rollout-bench' },
    spec: {
      replicas: REPLICAS,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      selector: { matchLabels: { app: 'rollout-bench' } },
      template: { metadata: { labels: { app: 'rollout-bench' } }, spec: { terminationGracePeriodSeconds: 1, containers: [container(version)] } },
    },
  });

  // What happens, from watches (listing 50 pods every few ms would cost the control plane what it measures).
  const phases = new Map<string, string>();
  const pods = api.Watch({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: '' });
  pods.on('data', (event: { type: string; object_json: string }) => {
    const pod = JSON.parse(event.object_json) as Pod;
    if (event.type === 'DELETED') phases.delete(pod.metadata.name);
    else phases.set(pod.metadata.name, pod.status?.phase ?? 'Pending');
  });
  pods.on('error', () => undefined);
  let latest: Deployment | undefined;
  const deployments = api.Watch({ kind: 'deployments', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: '' });
  deployments.on('data', (event: { type: string; object_json: string }) => {
    latest = event.type === 'DELETED' ? undefined : (JSON.parse(event.object_json) as Deployment);
  });
  deployments.on('error', () => undefined);
  const rolledOut = (generation: number): boolean =>
    latest !== undefined && (latest.metadata.generation ?? 0) >= generation && rolloutStatus(latest).done;

  // The reference: one bare pod, apply → Running, a few times (the first also pulls the image, and is not counted).
  const singleStart = async (name: string): Promise<number> => {
    const started = performance.now();
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers: [container('single')] } });
    await waitFor(() => phases.get(name) === 'Running', { timeoutMs: 120_000, intervalMs: 10, description: `pod ${name} Running` });
    const seconds = (performance.now() - started) / 1000;
    await remove('pods', name);
    await waitFor(() => !phases.has(name), { timeoutMs: 60_000, intervalMs: 20, description: `pod ${name} gone` });
    return seconds;
  };
  say('pulling the image with one pod');
  await singleStart('rollout-bench-pull');
  const singles: number[] = [];
  for (let i = 0; i < SINGLE_SAMPLES; i++) singles.push(await singleStart(`rollout-bench-single-${i}`));

  say(`starting ${REPLICAS} replicas of v1`);
  await apply(deployment('v1'));
  await waitFor(() => rolledOut(1), { timeoutMs: 600_000, intervalMs: 50, description: `${REPLICAS} replicas of v1 available` });

  say('rolling to v2');
  const loadBefore = load();
  const started = performance.now();
  await apply(deployment('v2'));
  await waitFor(() => rolledOut(2), { timeoutMs: 900_000, intervalMs: 20, description: `the rollout to v2 to finish` });
  const rolloutSeconds = (performance.now() - started) / 1000;
  const loadAfter = load();

  say('one more single pod, after');
  singles.push(await singleStart('rollout-bench-single-after'));
  const single = median(singles);
  const reference = single * REPLICAS;

  console.log(`rollout benchmark: one runc agent, busybox httpd, ${REPLICAS} replicas, RollingUpdate maxSurge 25 % / maxUnavailable 25 %, a template env change`);
  console.log(`  apply → successfully rolled out     ${fixed(rolloutSeconds, 2)} s (${REPLICAS} pods replaced)`);
  console.log(`  one pod's start (apply → Running)   ${fixed(single, 3)} s (median of ${singles.length}: ${singles.map((s) => fixed(s, 2)).join(', ')})`);
  console.log(`  ${REPLICAS} × one pod's start              ${fixed(reference, 2)} s`);
  console.log(`  ratio rollout ÷ (${REPLICAS} × one start)       ${fixed(rolloutSeconds / reference, 2)}`);
  console.log(`  load average (1, 5, 15 min)         ${loadBefore} before, ${loadAfter} after (2 cores, shared)`);
  pods.cancel();
  deployments.cancel();
} finally {
  await cluster.stop();
  await registry.stop();
  await rm(workDir, { recursive: true, force: true });
}
