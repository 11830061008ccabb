// Deployments end in real runc containers on several agents: a real registry
// serves the image, three agents pull it, and every replica answers HTTP on its
// own pod IP. Scaling and deletion leave no container, mount or cgroup behind.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from '@skiff/api';
import { BUSYBOX_INDEX_HTML, waitFor, type LocalCluster } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { useRuncCluster } from '../harness/runc-cluster.js';

const run = promisify(execFile);
const AGENTS = ['node-a', 'node-b', 'node-c'];
const POD_SUBNET = /^10\.244\.\d+\.\d+$/;

// 2 cpus each and 500m per replica: at most 4 replicas fit on a node, so
// 6 replicas need two nodes and 10 need all three.
const fixture = useRuncCluster(AGENTS.map((name) => ({ name, cpu: '2', memory: '2Gi', pods: '20' })));
let cluster: LocalCluster;
let image: string;

beforeAll(() => {
  ({ cluster, image } = fixture());
});

const web = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: httpd
          image: ${image}
          command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
          ports: [{ containerPort: 8080 }]
          resources:
            requests: { cpu: 500m, memory: 32Mi }
            limits: { cpu: 500m, memory: 64Mi }
`;

async function apply(yaml: string): Promise<void> {
  const result = await cluster.ctl(['apply', '-f', '-'], { stdin: yaml });
  expect(result.code, result.stderr).toBe(0);
}

async function pods(selector = 'app=web'): Promise<Pod[]> {
  const result = await cluster.ctl(['get', 'pods', '-l', selector, '-o', 'json']);
  return (JSON.parse(result.stdout) as { items: Pod[] }).items;
}

async function waitForRunning(count: number, selector = 'app=web'): Promise<Pod[]> {
  return waitFor(
    async () => {
      const current = await pods(selector);
      const running = current.filter((p) => p.status?.phase === 'Running' && p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return current.length === count && running.length === count ? running : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, description: `${count} ready pods matching ${selector}` },
  );
}

/** Containers runc knows on every agent, by id. */
async function runcContainers(): Promise<string[]> {
  const ids: string[] = [];
  for (const agent of cluster.agents) {
    const roots = findRuncRoots(agent.stateDir);
    for (const root of roots) {
      const listed = await run('runc', ['--root', root, 'list', '-q']).catch((error: unknown) => {
        if (!existsSync(root)) return { stdout: '' }; // removed with its container meanwhile
        throw error;
      });
      ids.push(...listed.stdout.split('\n').filter(Boolean));
    }
  }
  return ids;
}

function findRuncRoots(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    // The agent removes a container's directories while this walks them.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === 'runc') found.push(path);
    else if (!['images', 'layers', 'blobs', 'rootfs', 'bundles'].includes(entry.name)) found.push(...findRuncRoots(path));
  }
  return found;
}

/** The network-safety rule: only talk to a pod IP whose route stays on the local bridge. */
async function httpGetOnBridge(ip: string): Promise<string> {
  expect(ip).toMatch(POD_SUBNET);
  const { stdout } = await run('ip', ['route', 'get', ip]);
  expect(stdout).toMatch(/ dev skiff0 /);
  // Running means the container started, not that httpd listens yet (no readiness probe here): poll.
  return waitFor(
    async () => {
      try {
        const response = await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(5000) });
        return await response.text();
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 15_000, intervalMs: 100, description: `httpd answering on ${ip}:8080` },
  );
}

/** The QoS class cgroups a running agent keeps (see the agent's pod-cgroup-layout.ts). */
const KUBEPODS_SKELETON = new Set(['kubepods', 'kubepods/burstable', 'kubepods/besteffort']);

/** Pod and container cgroups of a node's agent, in every hierarchy. */
/** Where the agent of `node` keeps its cgroups (/skiff/<instance>: the testkit names it apart from other suites' agents). */
function cgroupInstanceOf(node: string): string {
  const agent = cluster.agents.find((a) => a.name === node);
  if (!agent) throw new Error(`no agent ${node}`);
  return agent.cgroupInstance;
}

function cgroupDirsOf(node: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, relative: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (!KUBEPODS_SKELETON.has(name)) found.push(join(dir, entry.name));
      walk(join(dir, entry.name), name);
    }
  };
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    const root = join('/sys/fs/cgroup', controller, 'skiff', cgroupInstanceOf(node));
    if (existsSync(root)) walk(root, '');
  }
  return found;
}

describe('deployments on real runc containers', () => {
  test('nodes registered with capacity and a pod CIDR each', async () => {
    const result = await cluster.ctl(['get', 'nodes', '-o', 'wide']);
    for (const name of AGENTS) expect(result.stdout).toMatch(new RegExp(`${name}\\s+Ready\\s+\\S+\\s+0\\.1\\.0\\s+2\\s+2Gi\\s+runc`));
  });

  test('6 replicas run on several agents and each answers HTTP on its own IP', async () => {
    await apply(web(6));
    const running = await waitForRunning(6);
    expect(new Set(running.map((p) => p.spec.nodeName)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(running.map((p) => p.status?.podIP)).size).toBe(6);
    for (const pod of running) {
      expect(await httpGetOnBridge(pod.status?.podIP ?? '')).toBe(BUSYBOX_INDEX_HTML);
    }
    const wide = await cluster.ctl(['get', 'pods', '-o', 'wide']);
    expect(wide.stdout).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+PORTS/);
    expect(wide.stdout).toMatch(/web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node-[abc]\s+8080\/TCP/);
    const deployment = await cluster.ctl(['get', 'deploy', 'web']);
    await waitFor(async () => /web\s+6\/6\s+6\s+6/.test((await cluster.ctl(['get', 'deploy', 'web'])).stdout), {
      timeoutMs: 20_000,
      description: `deployment status 6/6 (last: ${deployment.stdout})`,
    });
  }, 150_000);

  test('scale to 10 uses all three agents; scale to 2 removes the others\' containers', async () => {
    expect((await cluster.ctl(['scale', 'deployment/web', '--replicas', '10'])).code).toBe(0);
    const ten = await waitForRunning(10);
    expect(new Set(ten.map((p) => p.spec.nodeName)).size).toBe(3);
    for (const pod of ten) expect(await httpGetOnBridge(pod.status?.podIP ?? '')).toBe(BUSYBOX_INDEX_HTML);

    expect((await cluster.ctl(['scale', 'deployment/web', '--replicas', '2'])).code).toBe(0);
    const two = await waitForRunning(2);
    await waitFor(async () => (await runcContainers()).length === 2, { timeoutMs: 60_000, description: 'only 2 runc containers left' });
    const left = await runcContainers();
    for (const pod of two) expect(left.some((id) => id.startsWith(pod.metadata.uid ?? '-'))).toBe(true);
  }, 240_000);

  test('deleting the deployment removes its pods, containers and cgroups', async () => {
    expect((await cluster.ctl(['delete', 'deployment', 'web'])).code).toBe(0);
    await waitFor(async () => (await pods()).length === 0, { timeoutMs: 30_000, description: 'pods garbage-collected' });
    await waitFor(async () => (await runcContainers()).length === 0, { timeoutMs: 60_000, description: 'no runc containers left' });
    await waitFor(() => AGENTS.every((node) => cgroupDirsOf(node).length === 0), {
      timeoutMs: 30_000,
      description: 'no container cgroups left',
    });
  }, 120_000);

  test('ctl logs prints and follows a container\'s output', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: talker, labels: { app: talker } }
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sh", "-c", "echo hello from skiff; sleep 1; echo second line; sleep 1; echo done"]
`);
    // As with kubectl, logs exist once the container has started (before, the call is refused: not
    // scheduled yet, or not started on its node); following from then on still prints every line.
    await waitFor(
      async () => {
        const state = (await pods('app=talker'))[0]?.status?.containerStatuses?.[0]?.state;
        return state?.running !== undefined || state?.terminated !== undefined;
      },
      { timeoutMs: 60_000, description: 'talker started' },
    );
    const followed = await cluster.ctl(['logs', 'talker', '-f'], { timeoutMs: 60_000 });
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('hello from skiff\nsecond line\ndone\n');
    await waitFor(async () => (await pods('app=talker'))[0]?.status?.phase === 'Succeeded', {
      timeoutMs: 30_000,
      description: 'talker Succeeded',
    });
    const tail = await cluster.ctl(['logs', 'pod/talker', '--tail', '1']);
    expect(tail.stdout).toBe('done\n');
    expect((await cluster.ctl(['delete', 'pod', 'talker'])).code).toBe(0);
  }, 120_000);

  test('a container that allocates past its memory limit is OOM-killed and reported so', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: { name: hog, labels: { app: hog } }
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\\\0' a); echo survived"]
      resources: { limits: { memory: 16Mi } }
`);
    const hog = await waitFor(
      async () => {
        const [pod] = await pods('app=hog');
        return pod?.status?.phase === 'Failed' ? pod : undefined;
      },
      { timeoutMs: 60_000, description: 'the hog pod to fail' },
    );
    expect(hog.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    const listed = await cluster.ctl(['get', 'pods', '-l', 'app=hog']);
    expect(listed.stdout).toMatch(/hog\s+0\/1\s+OOMKilled/);
    expect((await cluster.ctl(['delete', 'pod', 'hog'])).code).toBe(0);
  }, 120_000);

  test('cordoned nodes get no new pods; impossible requests are reported per reason', async () => {
    expect((await cluster.ctl(['cordon', 'node-a'])).stdout).toBe('node/node-a cordoned\n');
    await apply(web(3));
    const placed = await waitForRunning(3);
    expect(placed.every((p) => p.spec.nodeName !== 'node-a')).toBe(true);
    expect((await cluster.ctl(['uncordon', 'node-a'])).stdout).toBe('node/node-a uncordoned\n');
    expect((await cluster.ctl(['delete', 'deployment', 'web'])).code).toBe(0);

    await apply(`apiVersion: v1
kind: Pod
metadata: { name: giant }
spec:
  containers:
    - name: main
      image: ${image}
      command: ["/bin/sleep", "3600"]
      resources: { requests: { cpu: "64" } }
`);
    await waitFor(async () => /0\/3 nodes are available: 3 Insufficient cpu\./.test((await cluster.ctl(['describe', 'pod', 'giant'])).stdout), {
      timeoutMs: 20_000,
      description: 'a FailedScheduling event on the giant pod',
    });
    expect((await cluster.ctl(['get', 'pod', 'giant'])).stdout).toMatch(/giant\s+0\/1\s+Pending/);
    expect((await cluster.ctl(['delete', 'pod', 'giant'])).code).toBe(0);
    await waitFor(async () => (await runcContainers()).length === 0, { timeoutMs: 60_000, description: 'no runc containers left' });
  }, 180_000);
});
