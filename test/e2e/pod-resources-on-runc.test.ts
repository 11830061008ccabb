// Pods as units of resources on a real runc agent: pod cgroups under their QoS
// class (kubelet's cgroupfs layout) sized by their containers, the node's
// allocatable (capacity − --system-reserved) enforced on kubepods, and memory
// pressure evictions: the agent offers 300Mi to pods and evicts below 150Mi
// available; a pod filling memory-backed /dev/shm pushes it there, and the
// BestEffort pod goes first while a Burstable pod under its request survives.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Pod } from '@skiff/api';
import { waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { useRuncCluster } from '../harness/runc-cluster.js';

const MI = 1024 * 1024;
// Its own name: the agent's cgroups live under /skiff/<name>, apart from other suites' nodes.
const NODE = 'pod-resources-node';

const fixture = useRuncCluster([
  {
    name: NODE,
    cpu: '2',
    memory: '1Gi',
    pods: '20',
    extraArgs: [
      '--system-reserved', 'cpu=500m,memory=724Mi',
      '--eviction-hard', 'memory.available<150Mi',
      // Long enough that the condition outlives the evictions (the filler below may be
      // evicted too, ending the pressure) while the test sees the taint follow it.
      '--eviction-pressure-transition-period', '20s',
      '--eviction-monitoring-interval', '1s',
    ],
  },
  // A lease long enough for the agent's restart below: the node stays Ready and keeps its pods.
], ['--lease-duration-ms', '10000', '--heartbeat-interval-ms', '500']);
let cluster: LocalCluster;
let image: string;

beforeAll(() => {
  ({ cluster, image } = fixture());
});

async function apply(yaml: string): Promise<void> {
  const result = await cluster.ctl(['apply', '-f', '-'], { stdin: yaml });
  expect(result.code, result.stderr).toBe(0);
}

async function getJson<T>(args: string[]): Promise<T> {
  const result = await cluster.ctl([...args, '-o', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const podsOf = async (selector: string): Promise<Pod[]> => (await getJson<{ items: Pod[] }>(['get', 'pods', '-l', selector])).items;
const node = (): Promise<Node> => getJson<Node>(['get', 'node', NODE]);
/** /skiff/<instance>: where the agent keeps its cgroups (the testkit names it apart from other suites'). */
const cgroupInstance = (): string => cluster.agents.find((a) => a.name === NODE)?.cgroupInstance ?? NODE;
const memoryPressure = async (): Promise<string | undefined> => (await node()).status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status;

async function runningPod(selector: string): Promise<Pod> {
  return waitFor(
    async () => {
      const [pod] = (await podsOf(selector)).filter((p) => p.status?.phase === 'Running');
      return pod?.status?.containerStatuses?.every((c) => c.state.running) ? pod : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, description: `a running pod matching ${selector}` },
  );
}

/** On failure, what the agent said and what kubepods held: the eviction manager's decisions are in its log. */
async function explained<T>(wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const usage = (() => {
      try {
        return `kubepods memory.usage_in_bytes ${cgroupFile('memory', 'kubepods', 'memory.usage_in_bytes')}`;
      } catch {
        return 'kubepods unreadable';
      }
    })();
    throw new Error(`${(error as Error).message}\n${usage}\nagent output:\n${cluster.agents[0]?.process.output() ?? ''}`, { cause: error });
  }
}

/** A cgroup file of this agent in a v1 hierarchy. */
function cgroupFile(controller: string, relative: string, file: string): string {
  return readFileSync(join('/sys/fs/cgroup', controller, 'skiff', cgroupInstance(), relative, file), 'utf8').trim();
}

/** Whether the cgroup exists in any hierarchy. */
function cgroupExists(relative: string): boolean {
  return readdirSync('/sys/fs/cgroup').some((controller) => existsSync(join('/sys/fs/cgroup', controller, 'skiff', cgroupInstance(), relative)));
}

const steady = () => `apiVersion: v1
kind: Pod
metadata: { name: steady, labels: { app: steady } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sleep", "3600"]
      resources:
        requests: { cpu: 100m, memory: 100Mi }
        limits: { memory: 128Mi }
`;

describe('pod resources on a real runc agent', () => {
  test('the node offers capacity − --system-reserved and reports MemoryPressure=False', async () => {
    const registered = await node();
    expect(registered.status?.capacity).toMatchObject({ cpu: '2', memory: '1Gi' });
    expect(registered.status?.allocatable).toMatchObject({ cpu: '1500m', memory: '300Mi' });
    expect(registered.status?.conditions?.find((c) => c.type === 'MemoryPressure')).toMatchObject({
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
    });
    // enforce-node-allocatable=pods: kubepods is limited to the allocatable memory.
    expect(cgroupFile('memory', 'kubepods', 'memory.limit_in_bytes')).toBe(String(300 * MI));
    expect(cgroupFile('cpu', 'kubepods', 'cpu.shares')).toBe('1536');
  }, 30_000);

  test("each pod's cgroup sits under its QoS class, sized by its containers, and goes with the pod", async () => {
    await apply(steady());
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: exact, labels: { app: exact } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sleep", "3600"]
      resources: { limits: { cpu: 250m, memory: 32Mi } }
`);
    const burstable = await runningPod('app=steady');
    const guaranteed = await runningPod('app=exact');
    expect(burstable.status?.qosClass).toBe('Burstable');
    expect(guaranteed.status?.qosClass).toBe('Guaranteed');

    const burstableCgroup = `kubepods/burstable/pod${burstable.metadata.uid}`;
    expect(cgroupFile('memory', burstableCgroup, 'memory.limit_in_bytes')).toBe(String(128 * MI));
    expect(cgroupFile('cpu', burstableCgroup, 'cpu.shares')).toBe('102');
    expect(cgroupFile('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('102');
    // The container's cgroup (runc's cgroupsPath) is below its pod's, with its own limit.
    expect(cgroupFile('memory', `${burstableCgroup}/${burstable.metadata.uid}-main-0`, 'memory.limit_in_bytes')).toBe(String(128 * MI));
    const guaranteedCgroup = `kubepods/pod${guaranteed.metadata.uid}`;
    expect(cgroupFile('memory', guaranteedCgroup, 'memory.limit_in_bytes')).toBe(String(32 * MI));
    expect(cgroupFile('cpu', guaranteedCgroup, 'cpu.shares')).toBe('256');
    expect(cgroupFile('cpu', guaranteedCgroup, 'cpu.cfs_quota_us')).toBe('25000');

    // A restarted agent adopts the pods: same containers, and their cgroups stay as they were.
    const containerCgroup = `${guaranteedCgroup}/${guaranteed.metadata.uid}-main-0`;
    const processes = cgroupFile('memory', containerCgroup, 'cgroup.procs');
    expect(processes).not.toBe('');
    await cluster.agents[0]?.restart();
    await waitFor(async () => (await node()).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), {
      timeoutMs: 30_000,
      description: 'the node Ready after the agent restarted',
    });
    await explained((async () => expect(cgroupFile('memory', containerCgroup, 'cgroup.procs')).toBe(processes))());
    expect(cgroupFile('memory', guaranteedCgroup, 'memory.limit_in_bytes')).toBe(String(32 * MI));
    await explained((async () => expect(cgroupFile('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('102'))());
    const [adopted] = await podsOf('app=exact');
    expect(adopted?.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, containerID: guaranteed.status?.containerStatuses?.[0]?.containerID });

    expect((await cluster.ctl(['delete', 'pod', 'exact'])).code).toBe(0);
    await waitFor(() => !cgroupExists(guaranteedCgroup), { timeoutMs: 60_000, description: `${guaranteedCgroup} removed in every hierarchy` });
    expect(cgroupExists(burstableCgroup)).toBe(true);
  }, 180_000);

  test('memory pressure evicts the BestEffort pods first, a Deployment replaces its evicted pod, the Burstable pod under its request survives', async () => {
    const sleeper = `
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${image}
          command: ["/bin/sleep", "3600"]`;
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: idle, labels: { app: idle } }
spec:${sleeper}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: spare }
spec:
  replicas: 1
  selector: { matchLabels: { app: spare } }
  template:
    metadata: { labels: { app: spare } }
    spec:${sleeper.replace(/\n {6}/g, '\n        ')}
`);
    const idle = await runningPod('app=idle');
    const spare = await runningPod('app=spare');
    expect(idle.status?.qosClass).toBe('BestEffort');
    expect(spare.status?.qosClass).toBe('BestEffort');
    await apply(steady()); // unchanged after the test above; there for running this test alone
    const survivor = await runningPod('app=steady');
    expect(await memoryPressure()).toBe('False');

    // Three containers each fill their own 64Mi /dev/shm (tmpfs, charged to their cgroups) with 56Mi:
    // the pods' working set reaches ~170Mi of 300Mi, so less than 150Mi is available.
    // Guaranteed (64Mi each) and under its request: ranked after any pod above its request.
    const filler = (name: string) => `
    - name: ${name}
      image: ${image}
      command: ["/bin/sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=56 && sleep 3600"]
      resources: { limits: { cpu: 50m, memory: 64Mi } }`;
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: filler, labels: { app: filler } }
spec:
  terminationGracePeriodSeconds: 1
  containers:${filler('a')}${filler('b')}${filler('c')}
`);

    const evicted = await explained(
      waitFor(
        async () => {
          const [pod] = await podsOf('app=idle');
          return pod?.status?.phase === 'Failed' ? pod : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: 'the BestEffort pod to be evicted' },
      ),
    );
    expect(evicted.status?.reason).toBe('Evicted');
    expect(evicted.status?.message).toMatch(
      /^The node was low on resource: memory\. Threshold quantity: 150Mi, available: -?\d+(Ki|Mi)?\. (Container main was using \d+(Ki|Mi)?, request is 0, has larger consumption of memory\. )?$/,
    );
    expect(evicted.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137 });
    await waitFor(async () => (await memoryPressure()) === 'True', { timeoutMs: 30_000, intervalMs: 200, description: 'MemoryPressure=True' });
    // The node lifecycle controller mirrors the condition as a NoSchedule taint: new BestEffort pods stay off.
    await waitFor(
      async () => {
        const current = await node();
        const pressed = current.status?.conditions?.some((c) => c.type === 'MemoryPressure' && c.status === 'True');
        return pressed && current.spec.taints?.some((t) => t.key === 'node.kubernetes.io/memory-pressure' && t.effect === 'NoSchedule');
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'the memory-pressure taint while MemoryPressure=True' },
    );
    // The Deployment's BestEffort pod went too (the Deployment controller deletes a finished pod and makes another).
    await explained(
      waitFor(async () => !(await podsOf('app=spare')).some((p) => p.metadata.uid === spare.metadata.uid), {
        timeoutMs: 60_000,
        description: "the Deployment's evicted pod to be replaced",
      }),
    );

    // Relief: the filler goes (deleted here, unless the agent evicted it first — it ranks before the survivor).
    expect((await cluster.ctl(['delete', 'pod', 'filler'])).code).toBe(0);
    await explained(
      waitFor(async () => (await memoryPressure()) === 'False', { timeoutMs: 60_000, intervalMs: 250, description: 'MemoryPressure=False after relief' }),
    );
    await waitFor(async () => !(await node()).spec.taints?.some((t) => t.key === 'node.kubernetes.io/memory-pressure'), {
      timeoutMs: 30_000,
      description: 'the memory-pressure taint removed',
    });

    // The Deployment's replacement runs now; the Burstable pod under its request was never touched.
    const replacement = await runningPod('app=spare');
    expect(replacement.metadata.uid).not.toBe(spare.metadata.uid);
    const [steadyNow] = await podsOf('app=steady');
    expect(steadyNow?.metadata.uid).toBe(survivor.metadata.uid);
    expect(steadyNow?.status?.phase).toBe('Running');
    expect(steadyNow?.status?.reason).toBeUndefined();
    expect(steadyNow?.status?.containerStatuses?.[0]?.restartCount).toBe(0);

    expect((await cluster.ctl(['delete', 'deployment', 'spare'])).code).toBe(0);
    expect((await cluster.ctl(['delete', 'pod', 'steady', 'idle'])).code).toBe(0);
    await waitFor(async () => (await podsOf('app in (idle,steady,spare)')).length === 0, { timeoutMs: 60_000, description: 'the pods deleted' });
    await waitFor(() => !cgroupExists(`kubepods/burstable/pod${survivor.metadata.uid}`), { timeoutMs: 60_000, description: "the survivor's cgroup removed" });
    await waitFor(() => !cgroupExists(`kubepods/besteffort/pod${idle.metadata.uid}`), { timeoutMs: 60_000, description: "the evicted pod's cgroup removed" });
  }, 300_000);
});
