// The HorizontalPodAutoscaler controller with the deployment and ReplicaSet
// controllers (startControllers) over the in-memory store, a controlled
// clock, and a stand-in for the metrics pipeline: a workload's CPU load,
// spread evenly over its running pods, served as metrics.k8s.io samples. A
// small stand-in for the agents marks pods Running and Ready and removes
// deleted ones. The real pipeline and runc are the end-to-end suite's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatCpu,
  kindInfo,
  METRICS_API_VERSION,
  selectorFromLabelSelector,
  type Deployment,
  type Event,
  type HorizontalPodAutoscaler,
  type LabelSelector,
  type Pod,
  type PodMetrics,
} from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { InformerFactory } from '../cache/index.js';
import { ObjectStore } from '../objects/object-store.js';
import { deletePod } from '../objects/pod-deletion.js';
import { MemoryStore } from '../store/index.js';
import { startControllers, type PodMetricsSource, type RunningControllers } from './index.js';

const POD = kindInfo('Pod');
const DEPLOYMENT = kindInfo('Deployment');
const HPA = kindInfo('HorizontalPodAutoscaler');
const EVENT = kindInfo('Event');
const SOON = { timeoutMs: 10_000, intervalMs: 10 };
const MINUTE = 60_000;

let clockMs = Date.parse('2026-12-02T03:00:00Z');
let store: MemoryStore;
let objects: ObjectStore;
let api: ApiService;
let informers: InformerFactory;
let controllers: RunningControllers;
let load: Load;

/** Total CPU demand per app (millicores), shared evenly by its running pods; counts the controller's reads. */
class Load implements PodMetricsSource {
  readonly millis = new Map<string, number>();
  reads = 0;
  constructor(private readonly pods: () => readonly Pod[]) {}

  listPodMetrics(namespace: string, selector: LabelSelector): PodMetrics[] {
    this.reads++;
    const matching = selectorFromLabelSelector(selector);
    const running = this.pods().filter(
      (pod) => pod.metadata.namespace === namespace && pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp && matching.matches(pod.metadata.labels ?? {}),
    );
    return running.map((pod) => ({
      apiVersion: METRICS_API_VERSION,
      kind: 'PodMetrics',
      metadata: { name: pod.metadata.name, namespace },
      timestamp: new Date(clockMs).toISOString(),
      window: '10s',
      containers: [{ name: 'main', usage: { cpu: formatCpu(Math.floor((this.millis.get(pod.metadata.labels?.['app'] ?? '') ?? 0) / running.length)), memory: '10Mi' } }],
    }));
  }

  /** Resolves once the controller has read samples `times` more times (syncs ran at the clock's current time). */
  async syncs(times: number): Promise<void> {
    const target = this.reads + times;
    await waitFor(() => this.reads >= target, { ...SOON, description: `${times} more HPA syncs` });
  }
}

async function start(withMetrics = true): Promise<void> {
  store = new MemoryStore();
  objects = new ObjectStore(store);
  api = new ApiService(objects);
  await api.ensureBuiltinNamespaces();
  informers = new InformerFactory({ objects });
  const pods = informers.informerFor<Pod>('Pod');
  load = new Load(() => pods.list() as unknown as readonly Pod[]);
  // The agents' part: a new pod runs (started long enough ago that its CPU samples count at once), a deleted one goes.
  pods.addHandlers({
    onAdd: (pod) => void markRunning(pod.metadata.name).catch(() => {}),
    onUpdate: (_previous, pod) => {
      if (pod.metadata.deletionTimestamp) void deletePod(objects, 'default', pod.metadata.name, { gracePeriodSeconds: 0 }).catch(() => {});
    },
  });
  controllers = startControllers({ objects, informers, ...(withMetrics ? { podMetrics: load } : {}), hpa: { resyncMs: 10, now: () => clockMs } });
  informers.start();
  await informers.waitForSync();
}

async function markRunning(name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pod = await objects.get<Pod>(POD, 'default', name);
    if (!pod || pod.status?.phase === 'Running') return;
    const started = new Date(clockMs - 10 * MINUTE).toISOString();
    const ready = new Date(clockMs - 9 * MINUTE).toISOString();
    try {
      await objects.update(POD, { ...pod, spec: { ...pod.spec, nodeName: 'node-1' }, status: { phase: 'Running', startTime: started, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ready }] } }, Number(pod.metadata.resourceVersion));
      return;
    } catch {
      // The ReplicaSet controller wrote it meanwhile: read again.
    }
  }
}

beforeEach(() => {
  clockMs = Date.parse('2026-12-02T03:00:00Z');
});

afterEach(async () => {
  await controllers?.stop();
  await informers?.stop();
  await store?.close();
});

async function applyDeployment(replicas: number, requests: Record<string, string> | null = { cpu: '100m' }): Promise<void> {
  await api.apply(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1', ...(requests ? { resources: { requests } } : {}) }] } },
      },
    }),
  );
}

async function applyHpa(spec: Record<string, unknown>): Promise<void> {
  await api.apply(
    JSON.stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, ...spec },
    }),
  );
}

const cpuTarget = (percent: number): unknown[] => [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } } }];
const replicasOf = async (): Promise<number | undefined> => (await objects.get<Deployment>(DEPLOYMENT, 'default', 'web'))?.spec.replicas;
const hpaNow = async (): Promise<HorizontalPodAutoscaler> => objects.mustGet<HorizontalPodAutoscaler>(HPA, 'default', 'web');
const condition = (hpa: HorizontalPodAutoscaler, type: string): string | undefined => {
  const found = hpa.status?.conditions?.find((c) => c.type === type);
  return found && `${found.status} ${found.reason}`;
};
const eventsOf = async (reason: string): Promise<Event[]> => (await objects.list<Event>(EVENT, 'default')).items.filter((e) => e.reason === reason && e.involvedObject.kind === 'HorizontalPodAutoscaler');

async function waitForHpa(description: string, check: (hpa: HorizontalPodAutoscaler) => boolean): Promise<HorizontalPodAutoscaler> {
  return waitFor(async () => {
    const hpa = await hpaNow();
    return check(hpa) ? hpa : undefined;
  }, { ...SOON, description });
}

/** Pods of the deployment that run. */
async function runningPods(): Promise<number> {
  const { items } = await objects.list<Pod>(POD, 'default');
  return items.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length;
}

describe('HorizontalPodAutoscalerController', () => {
  it('scales up to hold the target, and down only once the 300 s stabilization window has passed', async () => {
    await start();
    await applyDeployment(1);
    load.millis.set('web', 150);
    await waitFor(async () => (await runningPods()) === 1, { ...SOON, description: 'one running pod' });
    await applyHpa({ minReplicas: 1, maxReplicas: 10, metrics: cpuTarget(50) });

    // 150m on one pod of 100m is 150 % against 50 %: 3 pods, then 50 % each holds.
    const held = await waitForHpa('3 replicas at 50 %', (h) => h.status?.currentReplicas === 3 && h.status.currentMetrics?.[0]?.resource.current.averageUtilization === 50);
    expect(await replicasOf()).toBe(3);
    expect(held.status).toMatchObject({ desiredReplicas: 3, lastScaleTime: '2026-12-02T03:00:00Z' });
    expect(held.status?.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '50m' } } }]);
    expect(condition(held, 'AbleToScale')).toBe('True ReadyForNewScale');
    expect(condition(held, 'ScalingActive')).toBe('True ValidMetricFound');
    expect(condition(held, 'ScalingLimited')).toBe('False DesiredWithinRange');
    const [rescaled] = await eventsOf('SuccessfulRescale');
    expect([rescaled?.type, rescaled?.message, rescaled?.source?.component]).toEqual(['Normal', 'New size: 3; reason: cpu resource utilization (percentage of request) above target', 'horizontal-pod-autoscaler']);

    // The load stops: 0 % would be 1 replica, but recommendations of 3 are in the window.
    load.millis.set('web', 0);
    clockMs += 299_000;
    await load.syncs(3);
    const stabilized = await waitForHpa('scale-down stabilized', (h) => condition(h, 'AbleToScale') === 'True ScaleDownStabilized');
    expect(await replicasOf()).toBe(3);
    expect(stabilized.status?.desiredReplicas).toBe(3);

    clockMs += 2_000;
    await waitFor(async () => (await replicasOf()) === 1, { ...SOON, description: 'scaled down to 1 after the window' });
    const down = await waitForHpa('status after scale-down', (h) => h.status?.currentReplicas === 1);
    expect(down.status?.lastScaleTime).toBe('2026-12-02T03:05:01Z');
    const events = await eventsOf('SuccessfulRescale');
    expect(events).toHaveLength(1);
    expect([events[0]?.count, events[0]?.message]).toEqual([2, 'New size: 1; reason: All metrics below target']);
  });

  it('limits a scale-up by the policies per period, and by maxReplicas (ScalingLimited)', async () => {
    await start();
    await applyDeployment(1);
    await waitFor(async () => (await runningPods()) === 1, { ...SOON, description: 'one running pod' });
    load.millis.set('web', 5000);
    await applyHpa({ maxReplicas: 8, metrics: cpuTarget(50) });
    // 5000 % wants 100 pods; +4 or +100 % per 15 s allows 5.
    await waitFor(async () => (await replicasOf()) === 5, { ...SOON, description: 'first step to 5' });
    const limited = await waitForHpa('ScaleUpLimit', (h) => condition(h, 'ScalingLimited') === 'True ScaleUpLimit' && h.status?.currentReplicas === 5);
    expect(limited.status?.desiredReplicas).toBe(5);
    await load.syncs(3);
    expect(await replicasOf()).toBe(5);
    // A period later: max(5 + 4, 2 × 5) = 10, bounded by maxReplicas 8.
    clockMs += 16_000;
    await waitFor(async () => (await replicasOf()) === 8, { ...SOON, description: 'second step to the maximum' });
    await waitForHpa('TooManyReplicas', (h) => condition(h, 'ScalingLimited') === 'True TooManyReplicas' && h.status?.currentReplicas === 8);
  });

  it('reports pods without a cpu request (ScalingActive False FailedGetResourceMetric) and scales nothing', async () => {
    await start();
    await applyDeployment(2, null);
    load.millis.set('web', 1000);
    await waitFor(async () => (await runningPods()) === 2, { ...SOON, description: 'two running pods' });
    await applyHpa({ maxReplicas: 5 });
    const failing = await waitForHpa('FailedGetResourceMetric', (h) => condition(h, 'ScalingActive') === 'False FailedGetResourceMetric');
    expect(failing.status?.conditions?.find((c) => c.type === 'ScalingActive')?.message).toMatch(
      /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container main of Pod web-/,
    );
    // The default metric is 80 % cpu; without a value the status says so (kubectl shows <unknown>/80%).
    expect(failing.spec.metrics).toEqual(cpuTarget(80));
    expect(failing.status?.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: {} } }]);
    await load.syncs(3);
    expect(await replicasOf()).toBe(2);
    const warnings = await eventsOf('FailedGetResourceMetric');
    expect(warnings.map((e) => [e.type, e.count])).toEqual([['Warning', 1]]);
  });

  it('says so when the target is missing (AbleToScale False FailedGetScale), and scales it once it exists', async () => {
    await start();
    load.millis.set('web', 0);
    await applyHpa({ minReplicas: 2, maxReplicas: 5 });
    const missing = await waitForHpa('FailedGetScale', (h) => condition(h, 'AbleToScale') === 'False FailedGetScale');
    expect(missing.status?.conditions?.[0]?.message).toBe('the HPA controller was unable to get the target\'s current scale: deployments.apps "web" not found');
    expect((await eventsOf('FailedGetScale')).map((e) => e.message)).toEqual(['deployments.apps "web" not found']);
    await applyDeployment(1);
    // Below minReplicas: brought up at once.
    await waitFor(async () => (await replicasOf()) === 2, { ...SOON, description: 'scaled to minReplicas' });
    const events = await eventsOf('SuccessfulRescale');
    expect(events.map((e) => e.message)).toEqual(['New size: 2; reason: Current number of replicas below Spec.MinReplicas']);
  });

  it('is not started without a PodMetricsSource', async () => {
    await start(false);
    await applyDeployment(1);
    await applyHpa({ minReplicas: 3, maxReplicas: 5 });
    await waitFor(async () => (await runningPods()) === 1, { ...SOON, description: 'the deployment controllers at work' });
    expect((await hpaNow()).status).toBeUndefined();
    expect(await replicasOf()).toBe(1);
  });
});
