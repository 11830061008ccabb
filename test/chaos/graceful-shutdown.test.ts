// SIGTERM is a clean exit for every Skiff process: in-flight requests finish
// (or are refused cleanly, never half-done), open streams are ended so the
// process does not wait out its grace period, and it exits 0 with no child left.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, ServerError, type SkiffClient } from '@skiff/cli';
import { startLocalCluster, waitFor, type LocalCluster } from '@skiff/testkit';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let cluster: LocalCluster;
let api: SkiffClient;

beforeAll(async () => {
  // The agent test stops an agent and starts it again; on a loaded machine that can outlast the
  // default failover (a 1.5 s lease + 0.5 s), which would evict the pod this test means to see
  // adopted. Adoption, not failover, is the subject here (chaos/node-failures covers failover).
  cluster = await startLocalCluster({ controlPlaneArgs: ['--pod-eviction-timeout-ms', '120000'] });
  await cluster.addAgent({ name: 'node-a', runtime: 'process', cpu: '4', memory: '2Gi' });
  api = connect({ kubeconfig: cluster.adminKubeconfig });
}, 120_000);

afterAll(async () => {
  api?.close();
  await cluster?.stop();
}, 120_000);

/** Processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

describe('graceful shutdown', () => {
  test('invariant: SIGTERM to the control plane mid-burst — answered applies are stored, the rest refused cleanly, exit 0 quickly', async () => {
    // Open long-lived streams: a ctl-style watch (the agent's assignment stream is open too).
    const watch = api.watch({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' }, '');
    watch.on('data', () => undefined);
    const watchEnded = new Promise<void>((resolve) => watch.on('error', () => resolve()).on('end', () => resolve()));
    expect(childrenOf(cluster.controlPlane.pid)).toEqual([]);

    const outcomes = Array.from({ length: 40 }, (_, i) =>
      api.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `term-${i}` }, data: { i: String(i) } } as never, { strict: false, dryRun: false }).then(
        () => ({ name: `term-${i}`, ok: true as const }),
        (error: unknown) => ({ name: `term-${i}`, ok: false as const, error }),
      ),
    );
    const stoppedAt = Date.now();
    const exit = await cluster.controlPlane.stop(10_000);
    const took = Date.now() - stoppedAt;
    expect(exit).toEqual({ code: 0, signal: null });
    // Streams were ended, not waited out: well inside the 5 s grace.
    expect(took).toBeLessThan(4_000);
    await watchEnded;

    const results = await Promise.all(outcomes);
    for (const result of results) {
      if (!result.ok) expect((result.error as ServerError).code, `${result.name}: ${String(result.error)}`).toBe(status.UNAVAILABLE);
    }
    await cluster.restartControlPlane();
    await waitFor(() => api.list({ kind: 'namespaces', namespace: '', allNamespaces: true, labelSelector: '' }).then(() => true, () => false), {
      timeoutMs: 20_000,
      description: 'the control plane back',
    });
    const stored = new Set((await api.list({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' })).items.map((c) => c.metadata.name));
    for (const result of results) if (result.ok) expect(stored.has(result.name), `${result.name} was answered`).toBe(true);
  }, 120_000);

  test('invariant: SIGTERM to an agent exits 0 promptly and leaves its containers to be adopted', async () => {
    await api.apply(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'keeps-running' },
        spec: { containers: [{ name: 'main', image: 'none', command: ['/bin/sleep', '3600'] }] },
      } as never,
      { strict: false, dryRun: false },
    );
    const containerOf = async (): Promise<string | undefined> => {
      const pod = (await api.get({ kind: 'pods', namespace: 'default', name: 'keeps-running' })) as { status?: { containerStatuses?: { containerID?: string; state: { running?: unknown } }[] } };
      const container = pod.status?.containerStatuses?.[0];
      return container?.state.running ? container.containerID : undefined;
    };
    const before = await waitFor(containerOf, { timeoutMs: 30_000, description: 'the pod running' });
    const agent = cluster.agents[0];
    if (!agent) throw new Error('no agent');
    const stoppedAt = Date.now();
    const exit = await agent.process.stop(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(4_000);
    await agent.restart();
    await waitFor(async () => (await containerOf()) === before, { timeoutMs: 20_000, description: 'the same container, adopted' });
    await api.delete({ kind: 'pods', namespace: 'default', name: 'keeps-running' });
  }, 120_000);
});
