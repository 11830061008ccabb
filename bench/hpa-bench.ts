// npm run bench:hpa — how fast a HorizontalPodAutoscaler reacts to a step of
// load, at Skiff's defaults (agents sample cgroups every 5 s, the control plane
// scrapes them every 5 s, each HPA is evaluated every 15 s; BENCH_FAST=1 sets
// all three to 1 s). One runc agent; a Deployment of one busybox pod that
// requests 50m and may use 100m of CPU, idle until told; an HPA holding 50 %
// CPU, 1 to 4 replicas. The step: `ctl exec` writes "busy" into the pod, which
// starts a shell loop (~200 % of its request). Measured from the exec's return:
//   → the HPA's first scale-up decision (the Deployment's spec.replicas rises),
//   → the new pods Ready.
// Beside it, in the same run, the reference: a twin Deployment scaled by hand
// from 1 to the replicas the HPA chose, → the new pods Ready (the part of the
// chain the HPA's observation adds nothing to). Printed with the ratios.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, Pod } from '@skiff/api';
import { buildBusyboxImage, startLocalCluster, startRegistry, waitFor } from '@skiff/testkit';
import { call, fixed } from './bench-support.js';

const FAST = process.env.BENCH_FAST === '1';
const RESOLUTION = FAST ? '1s' : '5s';
const SYNC = FAST ? '1s' : '15s';
const MAX = 4;

const say = (text: string): void => void process.stderr.write(`hpa-bench: ${text}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

const workDir = await mkdtemp(join(tmpdir(), 'skiff-hpa-bench-'));
const registry = await startRegistry();
const cluster = await startLocalCluster({ controlPlaneArgs: ['--metric-resolution', RESOLUTION, '--horizontal-pod-autoscaler-sync-period', SYNC] });
try {
  const image = (await buildBusyboxImage(join(workDir, 'image'), registry.address)).reference ?? '';
  await cluster.addAgent({ name: 'bench-node', cpu: '2', memory: '4Gi', pods: '20', insecureRegistries: [registry.address], extraArgs: ['--metrics-resolution', RESOLUTION] });
  const api = cluster.apiClient();
  const apply = (manifest: object): Promise<unknown> =>
    call((cb) => api.Apply({ manifest_json: JSON.stringify(manifest), strict: false, dry_run: false }, cb));

  // Busy while /tmp/mode says so: arithmetic in the shell, re-reading the file every 20,000 rounds.
  const loop = 'while :; do if [ "$(cat /tmp/mode 2>/dev/null)" = busy ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done';
  const deployment = (name: string): object => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'main', image, command: ['sh', '-c', loop], resources: { requests: { cpu: '50m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } } }],
        },
      },
    },
  });

  // Pods and Deployments from watches: listing would cost the control plane what is measured.
  const pods = new Map<string, Pod>();
  const podWatch = api.Watch({ kind: 'pods', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: '' });
  podWatch.on('data', (event: { type: string; object_json: string }) => {
    const pod = JSON.parse(event.object_json) as Pod;
    if (event.type === 'DELETED') pods.delete(pod.metadata.name);
    else pods.set(pod.metadata.name, pod);
  });
  podWatch.on('error', () => undefined);
  const deployments = new Map<string, Deployment>();
  const deploymentWatch = api.Watch({ kind: 'deployments', namespace: 'default', all_namespaces: false, label_selector: '', resource_version: '' });
  deploymentWatch.on('data', (event: { type: string; object_json: string }) => {
    const object = JSON.parse(event.object_json) as Deployment;
    if (event.type === 'DELETED') deployments.delete(object.metadata.name);
    else deployments.set(object.metadata.name, object);
  });
  deploymentWatch.on('error', () => undefined);

  const readyPods = (app: string): Pod[] =>
    [...pods.values()].filter(
      (p) => p.metadata.labels?.['app'] === app && !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  const waitReady = (app: string, count: number, timeoutMs: number) =>
    waitFor(() => readyPods(app).length >= count, { timeoutMs, intervalMs: 10, description: `${count} ready pods of ${app}` });

  // The reference's deployment first (it also pulls the image); it is scaled by hand at the end.
  say('pulling the image and starting the reference deployment');
  await apply(deployment('manual'));
  await waitReady('manual', 1, 180_000);

  say(`starting the autoscaled deployment (resolution ${RESOLUTION}, HPA sync ${SYNC})`);
  await apply(deployment('burner'));
  await waitReady('burner', 1, 180_000);
  await apply({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'burner' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burner' },
      minReplicas: 1,
      maxReplicas: MAX,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  });
  const hpaApplied = performance.now();
  // Idle samples first: the pod is Ready and measured before the step (so the HPA's start-up rule counts
  // it). Then the step lands at a random point of the HPA's sync period (it is evaluated when created, then
  // every period): the decision's wait for the next evaluation is part of what is measured, and a fixed
  // settle time would always measure the same phase.
  const syncMs = parseFloat(SYNC) * 1000;
  const settle = 2 * parseFloat(RESOLUTION) * 1000 + Math.random() * syncMs;
  await new Promise((resolve) => setTimeout(resolve, settle));
  if ((deployments.get('burner')?.spec.replicas ?? 0) !== 1) throw new Error('the idle deployment was scaled before the step');

  const [target] = readyPods('burner');
  if (!target) throw new Error('no ready burner pod');
  const loadBefore = load();
  const exec = await cluster.ctl(['exec', target.metadata.name, '--', 'sh', '-c', 'echo busy > /tmp/mode']);
  if (exec.code !== 0) throw new Error(`exec failed: ${exec.stderr}`);
  const step = performance.now();
  const phase = ((step - hpaApplied) % syncMs) / 1000;
  await waitFor(() => (deployments.get('burner')?.spec.replicas ?? 0) > 1, { timeoutMs: 180_000, intervalMs: 10, description: 'the first scale-up' });
  const decisionSeconds = (performance.now() - step) / 1000;
  const chosen = deployments.get('burner')?.spec.replicas ?? 0;
  await waitReady('burner', chosen, 180_000);
  const readySeconds = (performance.now() - step) / 1000;
  const loadAfter = load();

  // The reference: the same step by hand, 1 → the replicas the HPA chose, → Ready.
  const manualStarted = performance.now();
  await call((cb) => api.Scale({ ref: { kind: 'deployments', namespace: 'default', name: 'manual' }, replicas: chosen }, cb));
  await waitReady('manual', chosen, 180_000);
  const manualSeconds = (performance.now() - manualStarted) / 1000;

  console.log(`HPA reaction benchmark: one runc agent, busybox shell loop (request 50m, limit 100m), target 50 % CPU, 1–${MAX} replicas`);
  console.log(`  agent sampling ${RESOLUTION}, control-plane scrape ${RESOLUTION}, HPA sync ${SYNC}${FAST ? ' (BENCH_FAST=1)' : ' (the defaults)'}`);
  console.log(`  load step → first scale-up decision   ${fixed(decisionSeconds, 2)} s (1 → ${chosen} replicas; the step came ${fixed(phase, 1)} s into a ${SYNC} sync period)`);
  console.log(`  load step → new pods Ready           ${fixed(readySeconds, 2)} s`);
  console.log(`  reference: ctl scale 1 → ${chosen} → Ready   ${fixed(manualSeconds, 2)} s`);
  console.log(`  decision ÷ (sampling + scrape + sync) ${fixed(decisionSeconds / (2 * parseFloat(RESOLUTION) + parseFloat(SYNC)), 2)} (the observation chain's worst case: ${2 * parseFloat(RESOLUTION) + parseFloat(SYNC)} s)`);
  console.log(`  ratio ready ÷ (decision + manual)    ${fixed(readySeconds / (decisionSeconds + manualSeconds), 2)}`);
  console.log(`  load average (1, 5, 15 min)          ${loadBefore} before, ${loadAfter} after (2 cores, shared)`);
  podWatch.cancel();
  deploymentWatch.cancel();
} finally {
  await cluster.stop();
  await registry.stop();
  await rm(workDir, { recursive: true, force: true });
}
