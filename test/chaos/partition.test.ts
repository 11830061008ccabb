// Chaos: a network partition between one node and the control plane. The node
// (node-p) is an agent in its own network namespace, joined to this machine by
// a veth that the test cuts and restores; the control plane listens on
// loopback and on the veth's host-side address. Unlike a kill -9, the agent and
// its containers keep running through the partition and cannot tell it is
// cut off: once the link is back, it must notice that its pods were deleted
// and stop their processes itself (fencing), so a replaced pod never runs twice
// for longer than the partition.
//
// Needs root (network namespaces). Network safety: see network-namespace-host.ts;
// the only traffic to 10.250.1.x is the control plane answering the agent over
// the veth, and the route over the veth is checked before the agent starts.
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Node, Pod } from '@skiff/api';
import { createNamespaceHost, startLocalCluster, waitFor, type LocalCluster, type NamespaceHost } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// Not (yet) exported from the package index: the source module, compiled by vitest.

const HEARTBEAT_MS = 500;
const LEASE_MS = 2000;
const EVICTION_MS = 1000;
/** From the cut to Ready=Unknown: the lease must lapse; allow a few heartbeats of slack for the controller's pass. */
const NOT_READY_BUDGET_MS = LEASE_MS + 4 * HEARTBEAT_MS + 2000;
/** From NotReady to replacements running elsewhere: eviction, then scheduling and starting three processes. */
const REPLACE_BUDGET_MS = EVICTION_MS + 20_000;

// A sleep no other test runs, so the pods' processes can be told apart from
// everything else on the machine (the process runtime runs them as plain host processes).
const MARKER = String(360_000 + Math.floor(Math.random() * 100_000));
const APP = 'partition';

let host: NamespaceHost | undefined;
let cluster: LocalCluster | undefined;

beforeAll(async () => {
  host = await createNamespaceHost({ name: 'nodep', subnet: '10.250.1.0/30' });
  cluster = await startLocalCluster({
    // Loopback stays the primary address (ctl, node-a, node-b); node-p dials the veth address.
    extraGrpcAddresses: [`${host.hostAddress}:0`],
    controlPlaneArgs: [
      '--heartbeat-interval-ms', String(HEARTBEAT_MS),
      '--lease-duration-ms', String(LEASE_MS),
      '--pod-eviction-timeout-ms', String(EVICTION_MS),
    ],
  });
  const viaVeth = cluster.extraGrpcAddresses[0];
  if (viaVeth === undefined) throw new Error('the control plane did not report its veth address');
  // Every agent runs pods as plain processes: this suite is about the control-plane link and fencing, not isolation.
  for (const name of ['node-a', 'node-b']) await cluster.addAgent({ name, runtime: 'process', cpu: '2', memory: '2Gi' });
  // The control plane's answers to node-p go to 10.250.1.2: over the veth, never the default route.
  await host.verifyRoute();
  await cluster.addAgent({ name: 'node-p', runtime: 'process', cpu: '2', memory: '2Gi', netns: host.namespace, server: viaVeth });
}, 120_000);

afterAll(async () => {
  try {
    // Stops every agent (wiping their pods' processes with --reset), the control plane and etcd.
    await cluster?.stop();
  } finally {
    await host?.destroy();
  }
  // Whatever a failure left running of this run's pods (the marker is unique to it): ours, ended by pid.
  for (const pid of (await markerProcesses()).keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}, 120_000);

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${APP} }
spec:
  replicas: 3
  selector: { matchLabels: { app: ${APP} } }
  template:
    metadata: { labels: { app: ${APP} } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: none
          command: ["/bin/busybox", "sleep", "${MARKER}"]
          resources: { requests: { cpu: 100m, memory: 16Mi } }
`;

function theCluster(): LocalCluster {
  if (!cluster) throw new Error('the cluster did not start');
  return cluster;
}

async function ctl(args: string[], stdin?: string): Promise<string> {
  const result = await theCluster().ctl(args, stdin === undefined ? {} : { stdin });
  if (result.code !== 0) throw new Error(`ctl ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout;
}

async function pods(): Promise<Pod[]> {
  return (JSON.parse(await ctl(['get', 'pods', '-l', `app=${APP}`, '-o', 'json'])) as { items: Pod[] }).items;
}

async function readyStatus(name: string): Promise<string | undefined> {
  const node = JSON.parse(await ctl(['get', 'node', name, '-o', 'json'])) as Node;
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

const running = (pod: Pod): boolean => pod.status?.phase === 'Running' && pod.status.containerStatuses?.[0]?.state.running !== undefined;

interface PodProcess {
  /** Field 22 of /proc/PID/stat: with the pid, tells a process apart from a later one that reuses the pid. */
  readonly startTicks: string;
  /** Inode of its network namespace. */
  readonly netns: number;
}

/** This run's pod processes (`/bin/busybox sleep MARKER`), by pid. */
async function markerProcesses(): Promise<Map<number, PodProcess>> {
  const found = new Map<number, PodProcess>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
      if (argv.length !== 3 || argv[0] !== '/bin/busybox' || argv[1] !== 'sleep' || argv[2] !== MARKER) continue;
      const statLine = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at field 3.
      const startTicks = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ')[19] ?? '';
      found.set(Number(entry), { startTicks, netns: (await stat(`/proc/${entry}/ns/net`)).ino });
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Which of `old` are still the same live processes. */
async function stillRunning(old: ReadonlyMap<number, PodProcess>): Promise<number[]> {
  const now = await markerProcesses();
  return [...old].filter(([pid, p]) => now.get(pid)?.startTicks === p.startTicks).map(([pid]) => pid);
}

describe('network partition', () => {
  test(
    'invariant: a partitioned node goes NotReady and its pods are replaced elsewhere while its processes keep running; ' +
      'after healing it is Ready again and stops the processes of its deleted pods (fencing), leaving exactly 3 replicas',
    async () => {
      const namespaceHost = host;
      if (!namespaceHost) throw new Error('the namespace host was not created');
      const nodePNetns = (await stat(`/run/netns/${namespaceHost.namespace}`)).ino;

      // Everything on node-p first: cordon the others, apply, then make them schedulable again for the replacements.
      await ctl(['cordon', 'node-a']);
      await ctl(['cordon', 'node-b']);
      await ctl(['apply', '-f', '-'], deployment);
      const original = await waitFor(
        async () => {
          const now = await pods();
          return now.length === 3 && now.every((p) => running(p) && p.spec.nodeName === 'node-p') ? now : undefined;
        },
        { timeoutMs: 60_000, description: '3 running replicas on node-p' },
      );
      const originalNames = new Set(original.map((p) => p.metadata.name));
      const oldProcesses = await waitFor(
        async () => {
          const now = await markerProcesses();
          return now.size === 3 ? now : undefined;
        },
        { timeoutMs: 10_000, description: "node-p's 3 pod processes" },
      );
      // They really are node-p's: inside its network namespace.
      expect([...oldProcesses.values()].every((p) => p.netns === nodePNetns)).toBe(true);
      await ctl(['uncordon', 'node-a']);
      await ctl(['uncordon', 'node-b']);

      const cutAt = Date.now();
      await namespaceHost.partition();

      // 1. Within the lease budget, node-p is NotReady (Ready=Unknown): the control plane stopped hearing from it.
      await waitFor(async () => (await readyStatus('node-p')) === 'Unknown', {
        timeoutMs: NOT_READY_BUDGET_MS,
        intervalMs: 100,
        description: 'node-p Ready=Unknown after the partition',
      });
      const notReadyMs = Date.now() - cutAt;

      // 2. Its pods are deleted and replaced: 3 running replicas, all on node-a/node-b, none of the old ones.
      const replaced = await waitFor(
        async () => {
          const now = await pods();
          const healthy = now.filter((p) => running(p) && (p.spec.nodeName === 'node-a' || p.spec.nodeName === 'node-b'));
          return healthy.length === 3 && now.length === 3 && now.every((p) => !originalNames.has(p.metadata.name)) ? now : undefined;
        },
        { timeoutMs: REPLACE_BUDGET_MS, intervalMs: 100, description: '3 replacement replicas running on node-a/node-b' },
      );
      const replacedMs = Date.now() - cutAt;
      expect(replaced.every((p) => p.spec.nodeName !== 'node-p')).toBe(true);

      // 3. Meanwhile node-p cannot know: its agent and its old processes are still running (as in Kubernetes).
      expect(theCluster().agents.find((a) => a.name === 'node-p')?.process.running).toBe(true);
      expect((await stillRunning(oldProcesses)).length).toBe(3);
      expect(await readyStatus('node-p')).toBe('Unknown');

      const healAt = Date.now();
      await namespaceHost.heal();

      // 4. node-p is Ready again once its heartbeats get through.
      await waitFor(async () => (await readyStatus('node-p')) === 'True', {
        timeoutMs: 45_000,
        intervalMs: 100,
        description: 'node-p Ready again after healing',
      });
      const readyAgainMs = Date.now() - healAt;

      // 5. Fencing: node-p learns its pods are gone and stops their processes.
      await waitFor(async () => (await stillRunning(oldProcesses)).length === 0, {
        timeoutMs: 45_000,
        intervalMs: 100,
        description: "node-p to stop its deleted pods' processes",
      });
      const fencedMs = Date.now() - healAt;
      console.log(
        `partition: NotReady after ${notReadyMs} ms, replaced after ${replacedMs} ms; ` +
          `after healing: Ready in ${readyAgainMs} ms, old processes stopped in ${fencedMs} ms`,
      );

      // 6. Exactly 3 replicas run, none of node-p's old pods came back, and only 3 pod processes exist, none in node-p.
      const final = await pods();
      expect(final.length).toBe(3);
      expect(final.every(running)).toBe(true);
      expect(final.some((p) => originalNames.has(p.metadata.name))).toBe(false);
      const processes = await markerProcesses();
      expect(processes.size).toBe(3);
      expect([...processes.values()].some((p) => p.netns === nodePNetns)).toBe(false);

      await ctl(['delete', 'deployment', APP]);
    },
    180_000,
  );
});
