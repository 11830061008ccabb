// The DaemonSet controller over an in-memory store, with a controlled clock
// and a stand-in for the agents (`kubelet` below) that marks bound pods
// Running and Ready and removes pods marked for graceful deletion. The real
// agents are in test/e2e/daemonsets.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  DAEMON_POD_TOLERATIONS,
  kindInfo,
  toTimestamp,
  type DaemonSet,
  type Event,
  type Node,
  type Pod,
} from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { ApiService } from '../api/api-service.js';
import { InformerFactory } from '../cache/index.js';
import { EventRecorder } from '../objects/event-recorder.js';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { DaemonSetController } from './daemon-set-controller.js';

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
const DAEMON_SET = kindInfo('DaemonSet');
const EVENT = kindInfo('Event');
const SOON = { timeoutMs: 10_000, intervalMs: 5 };

let store: MemoryStore;
let objects: ObjectStore;
let api: ApiService;
let informers: InformerFactory;
let controller: DaemonSetController;
let clockMs: number;
let kubelet: { stop(): void } | undefined;

type Taint = NonNullable<Node['spec']['taints']>[number];
const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = [], allocatable?: Record<string, string>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: taints.length > 0 ? { taints } : {},
  status: { conditions: [{ type: 'Ready', status: 'True' }], ...(allocatable ? { allocatable } : {}) },
});

function manifest(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}, image = 'busybox:1'): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }], ...podSpec } },
      ...spec,
    },
  });
}

beforeEach(async () => {
  clockMs = Date.parse('2026-12-02T03:00:00Z');
  store = new MemoryStore();
  objects = new ObjectStore(store);
  api = new ApiService(objects);
  await api.ensureBuiltinNamespaces();
  informers = new InformerFactory({ objects });
  const now = () => clockMs;
  controller = new DaemonSetController({
    objects,
    daemonSets: informers.informerFor<DaemonSet>('DaemonSet'),
    pods: informers.informerFor<Pod>('Pod'),
    nodes: informers.informerFor<Node>('Node'),
    events: new EventRecorder(objects, () => new Date(clockMs)),
    now,
  });
  controller.start();
  informers.start();
  await informers.waitForSync();
});

afterEach(async () => {
  kubelet?.stop();
  kubelet = undefined;
  await controller.stop();
  await informers.stop();
  await store.close();
});

async function daemonPods(name: string): Promise<Pod[]> {
  const { items } = await objects.list<Pod>(POD, 'default');
  return items.filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.kind === 'DaemonSet' && ref.name === name));
}

async function podNodes(name: string): Promise<string[]> {
  return (await daemonPods(name)).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.nodeName ?? '').sort();
}

async function waitForNodes(name: string, expected: string[]): Promise<void> {
  await waitFor(async () => JSON.stringify(await podNodes(name)) === JSON.stringify(expected), { ...SOON, description: `${name} pods on ${expected.join(',')}` });
}

async function status(name: string): Promise<DaemonSet['status']> {
  return (await objects.get<DaemonSet>(DAEMON_SET, 'default', name))?.status;
}

/** Marks bound pods Running and Ready (stamped with the controlled clock) and removes terminating ones, every few ms. */
function startKubelet(): void {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const { items } = await objects.list<Pod>(POD, 'default');
      for (const pod of items) {
        try {
          if (pod.metadata.deletionTimestamp) {
            await objects.delete(POD, 'default', pod.metadata.name, Number(pod.metadata.resourceVersion));
          } else if (pod.spec.nodeName && pod.status?.phase !== 'Running') {
            const at = toTimestamp(new Date(clockMs));
            await objects.update(POD, { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] } }, Number(pod.metadata.resourceVersion));
          }
        } catch {
          // changed meanwhile: the next round looks again
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  void loop();
  kubelet = { stop: () => (stopped = true) };
}

async function updateNode(name: string, change: (node: Node) => Node): Promise<void> {
  const current = await objects.get<Node>(NODE, undefined, name);
  if (!current) throw new Error(`no node ${name}`);
  await objects.update(NODE, change(current), Number(current.metadata.resourceVersion));
}

describe('DaemonSetController', () => {
  it('places one pod per node the nodeSelector and taints allow, with exactly the tolerations Kubernetes adds', async () => {
    await objects.create(NODE, node('edge-1', { role: 'edge' }));
    await objects.create(NODE, node('edge-2', { role: 'edge' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
    await objects.create(NODE, node('edge-3', { role: 'edge' }, [{ key: 'gpu', effect: 'NoExecute' }]));
    await objects.create(NODE, node('core-1'));
    const tolerations = [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }];
    await api.apply(manifest('agent', {}, { nodeSelector: { role: 'edge' }, tolerations }));

    await waitForNodes('agent', ['edge-1', 'edge-3']);
    const [pod] = await daemonPods('agent');
    expect(pod?.spec.tolerations).toEqual([
      { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(DAEMON_POD_TOLERATIONS).toHaveLength(6);
    expect(pod?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', name: 'agent', controller: true })]);
    expect(pod?.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).toMatch(/^[a-z0-9]+$/);
    await waitFor(async () => (await status('agent'))?.desiredNumberScheduled === 2 && (await status('agent'))?.currentNumberScheduled === 2, { ...SOON, description: 'status: 2 desired, 2 current' });
  });

  it('lands on cordoned nodes and nodes under pressure (the daemon tolerations), not on a node whose pods would not fit', async () => {
    await objects.create(NODE, node('cordoned', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]));
    await objects.create(NODE, node('pressed', {}, [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }]));
    await objects.create(NODE, node('small', {}, [], { cpu: '100m', memory: '1Gi', pods: '110' }));
    await api.apply(manifest('big', {}, { containers: [{ name: 'main', image: 'busybox:1', resources: { requests: { cpu: '200m' } } }] }));
    await waitForNodes('big', ['cordoned', 'pressed']);
    await waitFor(async () => {
      const { items } = await objects.list<Event>(EVENT, 'default');
      return items.find((e) => e.reason === 'FailedPlacement')?.message === 'failed to place pod on "small": Insufficient cpu';
    }, { ...SOON, description: 'a FailedPlacement event' });
    await waitFor(async () => {
      const s = await status('big');
      return s?.desiredNumberScheduled === 3 && s.currentNumberScheduled === 2 && s.numberUnavailable === 3;
    }, { ...SOON, description: 'status 3 desired, 2 current' });
  });

  it('gives a node its pod once it is Ready, and keeps the pod when it stops being Ready', async () => {
    await objects.create(NODE, { ...node('late'), status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    await api.apply(manifest('waits'));
    await waitFor(async () => (await status('waits'))?.desiredNumberScheduled === 0, { ...SOON, description: 'nothing desired on a NotReady node' });
    expect(await podNodes('waits')).toEqual([]);
    await updateNode('late', (n) => ({ ...n, status: { conditions: [{ type: 'Ready', status: 'True' }] } }));
    await waitForNodes('waits', ['late']);
    await updateNode('late', (n) => ({ ...n, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }));
    await waitFor(async () => (await status('waits'))?.numberMisscheduled === 1, { ...SOON, description: 'the pod stays, misscheduled' });
    expect(await podNodes('waits')).toEqual(['late']);
  });

  it('follows the nodes: a new node gets its pod, a node that stops matching or is tainted NoExecute loses it, a deleted pod is replaced', async () => {
    startKubelet();
    await objects.create(NODE, node('n1', { pool: 'a' }));
    await objects.create(NODE, node('n2', { pool: 'a' }));
    await api.apply(manifest('logs', {}, { nodeSelector: { pool: 'a' } }));
    await waitForNodes('logs', ['n1', 'n2']);

    await objects.create(NODE, node('n3', { pool: 'a' }));
    await waitForNodes('logs', ['n1', 'n2', 'n3']);

    await updateNode('n1', (n) => ({ ...n, metadata: { ...n.metadata, labels: { pool: 'b' } } }));
    await waitForNodes('logs', ['n2', 'n3']);

    // NoSchedule alone lets the running pod stay (as Kubernetes); NoExecute evicts it.
    await updateNode('n2', (n) => ({ ...n, spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } }));
    await waitFor(async () => (await status('logs'))?.desiredNumberScheduled === 1 && (await status('logs'))?.numberMisscheduled === 1, { ...SOON, description: 'status: n2 misscheduled' });
    expect(await podNodes('logs')).toEqual(['n2', 'n3']);
    await updateNode('n2', (n) => ({ ...n, spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } }));
    await waitForNodes('logs', ['n3']);

    const [victim] = await daemonPods('logs');
    await objects.delete(POD, 'default', victim!.metadata.name, Number(victim!.metadata.resourceVersion));
    await waitFor(async () => {
      const pods = await daemonPods('logs');
      return pods.length === 1 && pods[0]!.metadata.name !== victim!.metadata.name && pods[0]!.spec.nodeName === 'n3';
    }, { ...SOON, description: 'the deleted pod replaced on n3' });
  });

  it('rolls a template change node by node, never more than maxUnavailable nodes without an available pod', async () => {
    const names = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    for (const name of names) await objects.create(NODE, node(name));
    startKubelet();
    await api.apply(manifest('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
    await waitFor(async () => (await status('roll'))?.numberAvailable === 6, { ...SOON, description: 'all six available' });
    const oldHash = (await daemonPods('roll'))[0]!.metadata.labels![CONTROLLER_REVISION_HASH_LABEL];

    // Every state of the pods, as the informer sees them in order: nodes lacking a live Ready pod.
    const pods = informers.informerFor<Pod>('Pod');
    let worst = 0;
    const observe = () => {
      const live = pods.list().filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      worst = Math.max(worst, names.filter((n) => !live.some((p) => p.spec.nodeName === n)).length);
    };
    pods.addHandlers({ onAdd: observe, onUpdate: observe, onDelete: observe });

    await api.apply(manifest('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }, {}, 'busybox:2'));
    await waitFor(async () => {
      const s = await status('roll');
      return s?.updatedNumberScheduled === 6 && s.numberAvailable === 6 && s.observedGeneration === 2;
    }, { ...SOON, description: 'rolled out' });
    const after = await daemonPods('roll');
    expect(after.map((p) => p.spec.containers[0]!.image)).toEqual(Array(6).fill('busybox:2'));
    expect(after.every((p) => p.metadata.labels![CONTROLLER_REVISION_HASH_LABEL] !== oldHash)).toBe(true);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('waits minReadySeconds (on its clock) before a new pod counts as available and the next node is replaced', async () => {
    for (const name of ['m1', 'm2']) await objects.create(NODE, node(name));
    startKubelet();
    await api.apply(manifest('slow', { minReadySeconds: 30 }));
    await waitFor(async () => (await status('slow'))?.numberReady === 2, { ...SOON, description: 'both pods Ready' });
    expect((await status('slow'))?.numberAvailable).toBe(0);
    clockMs += 30_000;
    controller.queue.add('default/slow');
    await waitFor(async () => (await status('slow'))?.numberAvailable === 2, { ...SOON, description: 'both available after minReadySeconds' });

    await api.apply(manifest('slow', { minReadySeconds: 30 }, {}, 'busybox:2'));
    await waitFor(async () => (await status('slow'))?.updatedNumberScheduled === 1 && (await status('slow'))?.numberReady === 2, { ...SOON, description: 'one node replaced' });
    // Its new pod is Ready but not yet available: the second node keeps its old pod.
    expect((await daemonPods('slow')).map((p) => p.spec.containers[0]!.image).sort()).toEqual(['busybox:1', 'busybox:2']);
    clockMs += 30_000;
    controller.queue.add('default/slow');
    await waitFor(async () => (await status('slow'))?.updatedNumberScheduled === 2, { ...SOON, description: 'the second node replaced' });
  });

  it('OnDelete: a template change replaces only the pods the user deletes', async () => {
    for (const name of ['o1', 'o2', 'o3']) await objects.create(NODE, node(name));
    startKubelet();
    const strategy = { updateStrategy: { type: 'OnDelete' } };
    await api.apply(manifest('manual', strategy));
    await waitFor(async () => (await status('manual'))?.numberAvailable === 3, { ...SOON, description: 'three available' });
    await api.apply(manifest('manual', strategy, {}, 'busybox:2'));
    await waitFor(async () => (await status('manual'))?.observedGeneration === 2, { ...SOON, description: 'the new template observed' });
    expect((await status('manual'))?.updatedNumberScheduled).toBe(0);

    const onO2 = (await daemonPods('manual')).find((p) => p.spec.nodeName === 'o2')!;
    await api.delete({ kind: 'pods', namespace: 'default', name: onO2.metadata.name });
    await waitFor(async () => (await status('manual'))?.updatedNumberScheduled === 1 && (await status('manual'))?.numberAvailable === 3, { ...SOON, description: 'o2 replaced by an updated pod' });
    const images = Object.fromEntries((await daemonPods('manual')).map((p) => [p.spec.nodeName, p.spec.containers[0]!.image]));
    expect(images).toEqual({ o1: 'busybox:1', o2: 'busybox:2', o3: 'busybox:1' });
  });

  it('replaces a failed pod only after a back-off (1 s, then 2 s) on its clock', async () => {
    await objects.create(NODE, node('f1'));
    await api.apply(manifest('flaky'));
    const fail = async (): Promise<string> => {
      const pod = await waitFor(async () => (await daemonPods('flaky')).find((p) => p.status?.phase === 'Pending'), { ...SOON, description: 'a pending daemon pod' });
      await objects.update(POD, { ...pod, status: { phase: 'Failed' } }, Number(pod.metadata.resourceVersion));
      await waitFor(async () => !(await daemonPods('flaky')).some((p) => p.metadata.name === pod.metadata.name), { ...SOON, description: 'the failed pod deleted' });
      return pod.metadata.name;
    };
    const key = 'default/flaky';
    const first = await fail();
    // Syncs now see no pod on f1, yet create none: the clock has not moved.
    await waitFor(async () => {
      const { items } = await objects.list<Event>(EVENT, 'default');
      return items.some((e) => e.reason === 'FailedDaemonPod' && e.message.includes('node f1'));
    }, { ...SOON, description: 'a FailedDaemonPod event' });
    await controller.sync(key);
    await controller.sync(key);
    expect(await daemonPods('flaky')).toEqual([]);
    clockMs += 1_000;
    await controller.sync(key);
    await waitFor(async () => (await daemonPods('flaky')).some((p) => p.metadata.name !== first), { ...SOON, description: 'the replacement after 1 s' });

    await fail();
    clockMs += 1_000;
    await controller.sync(key);
    expect(await daemonPods('flaky')).toEqual([]);
    clockMs += 1_000;
    await controller.sync(key);
    await waitFor(async () => (await daemonPods('flaky')).length === 1, { ...SOON, description: 'the replacement after 2 s' });
  });
});
