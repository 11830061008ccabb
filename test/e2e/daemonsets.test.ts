// DaemonSets on real hosts (issue 12): agent hosts on a LAN (the multi-host
// harness, runc under conmon), a DaemonSet of busybox pods. It covers every
// node; a host that joins later gets its pod; a host that joins tainted
// NoSchedule (not tolerated) gets none; a template change rolls node by node
// (maxUnavailable 1), watched after every pod event (pod-monitor.ts); and
// deleting the DaemonSet takes its pods with it (the garbage collector).
//
// Needs root. Network safety: nothing here sends to a LAN or pod address; ctl
// and the watch run inside the control-plane host.
import { isDeepStrictEqual } from 'node:util';
import type { DaemonSet, Node, Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';
import { PodMonitor } from '../harness/pod-monitor.js';

const NS = 'daemons';
const suite = useBusyboxHosts('daemonsets-e2e', {
  hosts: 2,
  // A loaded machine may delay a heartbeat past the lease: nothing here should move because of one.
  controlPlaneArgs: ['--pod-eviction-timeout-ms', '120000'],
  agent: { cpu: '2', memory: '2Gi', pods: '20' },
});
let monitor: PodMonitor | undefined;

function daemonSet(version: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: node-agent, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: node-agent } }
  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }
  template:
    metadata: { labels: { app: node-agent } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${suite.image()}
          env: [{ name: VERSION, value: "${version}" }]
          command: ["/bin/sleep", "100000"]
          resources: { requests: { cpu: 10m, memory: 8Mi } }
`;
}

async function pods(): Promise<Pod[]> {
  return (JSON.parse(await suite.ctl(['get', 'pods', '-n', NS, '-l', 'app=node-agent', '-o', 'json'])) as { items: Pod[] }).items;
}

/** Node → VERSION of its one Running, Ready, not terminating daemon pod; undefined unless every pod is such. */
function settled(list: readonly Pod[]): Record<string, string> | undefined {
  const byNode: Record<string, string> = {};
  for (const pod of list) {
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running' || !ready) return undefined;
    const node = pod.spec.nodeName ?? '';
    if (byNode[node] !== undefined) return undefined;
    byNode[node] = pod.spec.containers[0]?.env?.find((e) => e.name === 'VERSION')?.value ?? '';
  }
  return byNode;
}

/** One line per pod, for a failure message: name node phase ready terminating VERSION. */
function summary(list: readonly Pod[]): string {
  return list
    .map((pod) => {
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'ready' : 'not-ready';
      const version = pod.spec.containers[0]?.env?.find((e) => e.name === 'VERSION')?.value ?? '';
      return `${pod.metadata.name} ${pod.spec.nodeName ?? '-'} ${pod.status?.phase ?? '-'} ${ready}${pod.metadata.deletionTimestamp ? ' terminating' : ''} ${version}`;
    })
    .join('; ');
}

async function waitForPods(expected: Record<string, string>, description: string): Promise<void> {
  let last: readonly Pod[] = [];
  try {
    await waitFor(
      async () => {
        last = await pods();
        const byNode = settled(last);
        return byNode !== undefined && isDeepStrictEqual(byNode, expected) ? byNode : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description },
    );
  } catch (error) {
    throw new Error(`${String(error)}; the pods last seen: ${summary(last)}`);
  }
}

describe.skipIf(suite.skip)('DaemonSets across hosts', () => {
  beforeAll(async () => {
    await suite.ctl(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n`);
    monitor = await PodMonitor.start(suite.cluster(), NS, 'app=node-agent');
  }, 60_000);

  afterAll(async () => {
    await monitor?.stop();
  });

  test('covers every node', async () => {
    await suite.ctl(['apply', '-f', '-'], daemonSet('v1'));
    await waitForPods({ 'node-1': 'v1', 'node-2': 'v1' }, 'a Ready pod on node-1 and node-2');
    const table = await suite.ctl(['get', 'ds', '-n', NS]);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(table.split('\n')[1]).toMatch(/^node-agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\S+$/);
    // The events are written beside the pods, not before them: poll for the one describe that has them all.
    await waitFor(
      async () => {
        const described = await suite.ctl(['describe', 'ds', 'node-agent', '-n', NS]);
        return ['Desired Number of Nodes Scheduled: 2', 'Number of Nodes Scheduled with Available Pods: 2', 'SuccessfulCreate'].every((line) => described.includes(line));
      },
      { timeoutMs: 20_000, intervalMs: 300, description: 'ctl describe ds with its node counts and SuccessfulCreate events' },
    );
  }, 90_000);

  test('skips a host that joins tainted NoSchedule, and gives a host that joins later its pod', async () => {
    const cluster = suite.cluster();
    // Both join at once (a join takes seconds); node-3 registers with a taint the pods do not tolerate.
    await Promise.all([cluster.addHost('node-3', { taints: ['dedicated=db:NoSchedule'] }), cluster.addHost('node-4')]);
    await waitFor(
      async () => {
        const result = await cluster.ctl(['get', 'node', 'node-3', '-o', 'json']);
        return result.code === 0 && (JSON.parse(result.stdout) as Node).spec.taints?.some((t) => t.key === 'dedicated') === true;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'node-3 registered with its taint' },
    );
    await waitForPods({ 'node-1': 'v1', 'node-2': 'v1', 'node-4': 'v1' }, 'a pod on node-4 and none on node-3');
    const ds = JSON.parse(await suite.ctl(['get', 'ds', 'node-agent', '-n', NS, '-o', 'json'])) as DaemonSet;
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0 });
  }, 90_000);

  test('rolls a template change node by node', async () => {
    const watch = monitor;
    if (!watch) throw new Error('no pod monitor');
    watch.record();
    await suite.ctl(['apply', '-f', '-'], daemonSet('v2'));
    const status = await suite.ctl(['rollout', 'status', 'daemonset/node-agent', '-n', NS, '--timeout', '60s']);
    expect(status.trimEnd().split('\n').at(-1)).toBe('daemon set "node-agent" successfully rolled out');
    // Still none on node-3: the syncs of the whole rollout saw it, tainted.
    await waitForPods({ 'node-1': 'v2', 'node-2': 'v2', 'node-4': 'v2' }, 'v2 on every node but node-3');
    const extremes = watch.since();
    expect(extremes.maxPods, 'never two live pods on a node').toBeLessThanOrEqual(3);
    expect(extremes.minReady, 'never more than maxUnavailable (1) nodes without a Ready pod').toBe(2);
  }, 90_000);

  test('deleting the DaemonSet deletes its pods', async () => {
    await suite.ctl(['delete', 'daemonset', 'node-agent', '-n', NS]);
    await waitFor(async () => (await pods()).length === 0, { timeoutMs: 30_000, intervalMs: 300, description: 'the daemon pods gone' });
  }, 60_000);
});
