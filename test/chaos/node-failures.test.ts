// Chaos: agents die, restart, and crash-looping containers back off. Each test
// states its invariant and fails loudly, with the cluster's view, when it breaks.
import type { Node, Pod } from '@skiff/api';
import { waitFor, type LocalAgent, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { useRuncCluster } from '../harness/runc-cluster.js';

// A 4 s lease: "an agent back within the lease keeps its node Ready" must not
// depend on how fast a loaded CI machine restarts a process (failover timing is
// the benchmark's business, with the default 1.5 s lease).
const fixture = useRuncCluster(
  ['node-a', 'node-b', 'node-c'].map((name) => ({ name, cpu: '4', memory: '2Gi', pods: '30' })),
  ['--lease-duration-ms', '4000', '--heartbeat-interval-ms', '500'],
);
let cluster: LocalCluster;
let image: string;

beforeAll(() => {
  ({ cluster, image } = fixture());
});

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: ${image}
          command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
          resources: { requests: { cpu: 250m, memory: 16Mi } }
`;

async function pods(selector: string): Promise<Pod[]> {
  const result = await cluster.ctl(['get', 'pods', '-l', selector, '-o', 'json']);
  return (JSON.parse(result.stdout) as { items: Pod[] }).items;
}

async function node(name: string): Promise<Node> {
  return JSON.parse((await cluster.ctl(['get', 'node', name, '-o', 'json'])).stdout) as Node;
}

const running = (pod: Pod): boolean => pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state.running !== undefined;

function agentNamed(name: string): LocalAgent {
  const agent = cluster.agents.find((a) => a.name === name);
  if (!agent) throw new Error(`no agent ${name}`);
  return agent;
}

describe('node failures', () => {
  test('invariant: a kill -9 agent\'s pods are replaced on other nodes, and its node goes NotReady', async () => {
    expect((await cluster.ctl(['apply', '-f', '-'], { stdin: deployment('failover', 6) })).code).toBe(0);
    await waitFor(async () => (await pods('app=failover')).filter(running).length === 6, { timeoutMs: 60_000, description: '6 running replicas' });
    const victims = (await pods('app=failover')).filter((p) => p.spec.nodeName === 'node-a');
    expect(victims.length, 'bin-packing put replicas on node-a').toBeGreaterThan(0);

    const killedAt = Date.now();
    await agentNamed('node-a').process.kill9();
    const replaced = await waitFor(
      async () => {
        const now = await pods('app=failover');
        const healthy = now.filter((p) => running(p) && p.spec.nodeName !== 'node-a');
        return healthy.length === 6 ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'all 6 replicas running on the surviving nodes' },
    );
    const failoverMs = Date.now() - killedAt;
    console.log(`failover: ${failoverMs} ms from kill -9 to all pods running elsewhere`);
    expect(replaced.every((p) => p.spec.nodeName !== 'node-a')).toBe(true);
    const ready = (await node('node-a')).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });

    // The dead node comes back: Ready again, and it stops the containers of pods that are no longer its own.
    await agentNamed('node-a').restart();
    await waitFor(async () => (await node('node-a')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', {
      timeoutMs: 20_000,
      description: 'node-a Ready again',
    });
    const wide = await cluster.ctl(['get', 'pods', '-l', 'app=failover', '-o', 'wide']);
    expect(wide.stdout).not.toContain('node-a');
    expect((await cluster.ctl(['delete', 'deployment', 'failover'])).code).toBe(0);
  }, 180_000);

  test('invariant: a restarted agent adopts its running containers (same container, no restart) and its node stays Ready', async () => {
    expect((await cluster.ctl(['apply', '-f', '-'], { stdin: deployment('adopt', 3) })).code).toBe(0);
    const before = await waitFor(
      async () => {
        const now = await pods('app=adopt');
        return now.length === 3 && now.every(running) ? now : undefined;
      },
      { timeoutMs: 60_000, description: '3 running replicas' },
    );
    const nodeName = before[0]?.spec.nodeName ?? '';
    const agent = agentNamed(nodeName);
    const readyBefore = (await node(nodeName)).status?.conditions?.find((c) => c.type === 'Ready');
    await agent.process.kill9();
    await agent.restart();
    await waitFor(async () => (await node(nodeName)).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', {
      timeoutMs: 10_000,
      description: `${nodeName} Ready after the agent restart`,
    });
    // Give the restarted agent a full reconcile: it reports status, and nothing may have restarted.
    const after = await waitFor(
      async () => {
        const now = await pods('app=adopt');
        return now.length === 3 && now.every(running) ? now : undefined;
      },
      { timeoutMs: 30_000, description: '3 running replicas after the restart' },
    );
    for (const pod of before) {
      const same = after.find((p) => p.metadata.uid === pod.metadata.uid);
      expect(same, `pod ${pod.metadata.name} survived`).toBeDefined();
      expect(same?.status?.containerStatuses?.[0]?.containerID).toBe(pod.status?.containerStatuses?.[0]?.containerID);
      expect(same?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(same?.status?.containerStatuses?.[0]?.state.running?.startedAt).toBe(pod.status?.containerStatuses?.[0]?.state.running?.startedAt);
    }
    // Never NotReady in between: the Ready condition has not transitioned since before the kill.
    const readyAfter = (await node(nodeName)).status?.conditions?.find((c) => c.type === 'Ready');
    expect(readyAfter).toMatchObject({ status: 'True', lastTransitionTime: readyBefore?.lastTransitionTime });
    expect((await cluster.ctl(['delete', 'deployment', 'adopt'])).code).toBe(0);
  }, 180_000);

  test('invariant: a crash-looping container backs off exponentially and shows CrashLoopBackOff with its exit code', async () => {
    const crash = `apiVersion: v1
kind: Pod
metadata: { name: crasher, labels: { app: crasher } }
spec:
  restartPolicy: Always
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sh", "-c", "echo crashing; exit 7"]
`;
    expect((await cluster.ctl(['apply', '-f', '-'], { stdin: crash })).code).toBe(0);
    const restarts: { count: number; at: number }[] = [];
    await waitFor(
      async () => {
        const [pod] = await pods('app=crasher');
        const status = pod?.status?.containerStatuses?.[0];
        const count = status?.restartCount ?? 0;
        if (count > (restarts.at(-1)?.count ?? 0)) restarts.push({ count, at: Date.now() });
        return count >= 4;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'four restarts of the crashing container' },
    );
    // Back-off doubles (1 s, 2 s, 4 s…): the gap before the 4th restart is longer than before the 2nd.
    const gaps = restarts.slice(1).map((r, i) => r.at - (restarts[i]?.at ?? 0));
    expect(gaps.at(-1) ?? 0).toBeGreaterThan(gaps[0] ?? Number.POSITIVE_INFINITY);
    const listed = await waitFor(
      async () => {
        const out = (await cluster.ctl(['get', 'pods', '-l', 'app=crasher'])).stdout;
        return /crasher\s+0\/1\s+CrashLoopBackOff\s+\d+/.test(out) ? out : undefined;
      },
      { timeoutMs: 20_000, description: 'CrashLoopBackOff in ctl get pods' },
    );
    expect(listed).toMatch(/CrashLoopBackOff/);
    const [pod] = await pods('app=crasher');
    expect(pod?.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(7);
    expect((await cluster.ctl(['delete', 'pod', 'crasher'])).code).toBe(0);
  }, 120_000);
});
