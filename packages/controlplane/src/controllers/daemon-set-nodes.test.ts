import { describe, expect, it } from 'vitest';
import { CONTROLLER_REVISION_HASH_LABEL, type DaemonSet, type Node, type Pod, type PodSpec } from '@skiff/api';
import { maxUnavailableOf, nodeShouldRunDaemonPod, planDaemonPods, planRollingUpdate, podsByNode, resourceMisfit } from './daemon-set-nodes.js';

const spec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: 'c', image: 'busybox:1' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...extra });
const node = (name: string, taints: NonNullable<Node['spec']['taints']> = [], labels: Record<string, string> = {}, allocatable?: Record<string, string>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: 'True' }], ...(allocatable ? { allocatable } : {}) },
});
let serial = 0;
const pod = (nodeName: string, hash: string, extra: { deleting?: boolean; phase?: 'Running' | 'Failed' | 'Succeeded' } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `p${++serial}`,
    labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash },
    creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, serial)).toISOString(),
    ...(extra.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}),
  },
  spec: spec({ nodeName }),
  status: { phase: extra.phase ?? 'Running' },
});
const ds = (maxUnavailable?: number | string): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'd' },
  spec: { selector: {}, template: { spec: spec() }, updateStrategy: { type: 'RollingUpdate', ...(maxUnavailable === undefined ? {} : { rollingUpdate: { maxUnavailable } }) } },
});

describe('nodeShouldRunDaemonPod', () => {
  it('reads nodeSelector and the NoSchedule/NoExecute taints as Kubernetes does', () => {
    expect(nodeShouldRunDaemonPod(node('a', [], { zone: 'x' }), spec({ nodeSelector: { zone: 'y' } }))).toMatchObject({ shouldRun: false, shouldContinueRunning: false });
    expect(nodeShouldRunDaemonPod(node('a', [{ key: 'k', effect: 'NoSchedule' }]), spec())).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
      reason: 'node(s) had untolerated taint {k: }',
    });
    expect(nodeShouldRunDaemonPod(node('a', [{ key: 'k', value: 'v', effect: 'NoExecute' }]), spec())).toMatchObject({ shouldRun: false, shouldContinueRunning: false });
    expect(nodeShouldRunDaemonPod(node('a', [{ key: 'k', effect: 'PreferNoSchedule' }]), spec())).toEqual({ shouldRun: true, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node('a', [{ key: 'k', value: 'v', effect: 'NoExecute' }]), spec({ tolerations: [{ key: 'k', value: 'v' }] }))).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('keeps new pods off a node that is not Ready (as the not-ready:NoSchedule taint would), but lets one there stay', () => {
    const notReady: Node = { ...node('a'), status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    const joined: Node = { ...node('b'), status: {} };
    for (const n of [notReady, joined]) {
      expect(nodeShouldRunDaemonPod(n, spec())).toEqual({ shouldRun: false, shouldContinueRunning: true, reason: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' });
    }
  });
});

describe('resourceMisfit', () => {
  it('counts the node’s other pods against its allocatable', () => {
    const n = node('a', [], {}, { cpu: '1', memory: '1Gi', pods: '2' });
    const asking = spec({ containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '600m' } } }] });
    expect(resourceMisfit(n, asking, [])).toBeUndefined();
    expect(resourceMisfit(n, asking, [{ ...pod('a', 'h'), spec: asking }])).toBe('Insufficient cpu');
    expect(resourceMisfit(n, spec(), [pod('a', 'h'), pod('a', 'h')])).toBe('Too many pods');
  });
});

describe('planDaemonPods', () => {
  it('creates where missing, keeps one (the updated) of several, replaces finished pods, deletes where the node may not keep it', () => {
    const nodes = [node('a'), node('b'), node('c', [{ key: 'x', effect: 'NoExecute' }]), node('d')];
    const oldB = pod('b', 'old');
    const newB = pod('b', 'new');
    const onC = pod('c', 'new');
    const failedD = pod('d', 'new', { phase: 'Failed' });
    const plan = planDaemonPods(nodes, podsByNode([oldB, newB, onC, failedD]), (n) => nodeShouldRunDaemonPod(n, spec()), () => undefined, 'new');
    expect(plan.create.sort()).toEqual(['a', 'd']);
    expect(plan.delete.map((p) => p.metadata.name).sort()).toEqual([oldB, onC, failedD].map((p) => p.metadata.name).sort());
  });
});

describe('planRollingUpdate', () => {
  const available = (p: Pod | { metadata: { name: string } }) => !unavailableNames.has(p.metadata.name);
  let unavailableNames = new Set<string>();

  it('deletes at most maxUnavailable available old pods, counting nodes mid-replacement', () => {
    unavailableNames = new Set();
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n, 'old'));
    expect(planRollingUpdate(podsByNode(pods), 'new', 2, available)).toHaveLength(2);
    // a is being replaced (only a terminating pod): one slot left.
    const replacing = [pod('a', 'old', { deleting: true }), ...pods.slice(1)];
    expect(planRollingUpdate(podsByNode(replacing), 'new', 2, available)).toHaveLength(1);
    // a's new pod is not available yet, b's neither: nothing more.
    const fresh = [pod('a', 'new'), pod('b', 'new'), ...pods.slice(2)];
    unavailableNames = new Set([fresh[0]!.metadata.name, fresh[1]!.metadata.name]);
    expect(planRollingUpdate(podsByNode(fresh), 'new', 2, available)).toHaveLength(0);
  });

  it('replaces old pods that are not available at once, whatever the budget', () => {
    const pods = ['a', 'b', 'c'].map((n) => pod(n, 'old'));
    unavailableNames = new Set(pods.map((p) => p.metadata.name));
    expect(planRollingUpdate(podsByNode(pods), 'new', 1, available)).toHaveLength(3);
  });

  it('scales a percentage of the desired nodes, rounding up, never below 1', () => {
    expect(maxUnavailableOf(ds(), 10)).toBe(1);
    expect(maxUnavailableOf(ds('25%'), 10)).toBe(3);
    expect(maxUnavailableOf(ds('10%'), 0)).toBe(1);
    expect(maxUnavailableOf(ds(4), 10)).toBe(4);
  });
});
