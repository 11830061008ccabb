// Graceful deletion as Kubernetes does it, on a real runc agent (one host of
// the multi-host harness): a deleted pod shows Terminating, leaves its
// Service's endpoints first (the EndpointSlice marks it ready: false,
// serving: true, terminating: true, and the node's nftables proxy stops
// choosing it) while it still runs, gets SIGTERM (a busybox sh that traps it
// writes a marker to its log) and is removed once it exits; one that ignores
// SIGTERM is SIGKILLed after its grace period; `--force --grace-period 0`
// removes at once with kubectl's warning; `--wait` (the default) returns once
// the object is gone, `--wait=false` while it is still terminating; a pod no
// node runs is deleted at once.
//
// Needs root. Network safety: nothing here sends traffic to a pod or LAN
// address; `nft` only reads the proxy table inside the agent host's namespace.
import type { EndpointSlice, Pod } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';

const suite = useBusyboxHosts('graceful-deletion', { hosts: 1, agent: { cpu: '2', memory: '2Gi', pods: '20' } });
const { skip, cluster: theCluster, ctl } = suite;
const WAIT = { timeoutMs: 60_000, intervalMs: 200 };

/** A pod of the Service `gd` whose shell runs `script` (single quotes are fine; no double quotes). */
function pod(name: string, grace: number, script: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: gd } }
spec:
  terminationGracePeriodSeconds: ${String(grace)}${extra}
  containers:
    - name: main
      image: ${suite.image()}
      command: ["/bin/sh", "-c", "${script}"]
      ports: [{ name: http, containerPort: 8080 }]
`;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: gd }
spec:
  selector: { app: gd }
  ports: [{ name: http, port: 80, targetPort: http }]
`;

/** Exits 0 fifteen seconds after SIGTERM, saying so first. */
const POLITE = "trap 'echo got-SIGTERM; sleep 15; echo bye; exit 0' TERM; echo started; while true; do sleep 0.2; done";
/** Says it got SIGTERM and carries on ticking: only SIGKILL ends it. */
const STUBBORN = "trap 'echo got-SIGTERM-and-ignored-it' TERM; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done";

async function getPod(name: string): Promise<Pod | undefined> {
  const result = await theCluster().ctl(['get', 'pod', name, '-o', 'json']);
  if (result.code !== 0) {
    if (/not found/.test(result.stderr)) return undefined;
    throw new Error(`ctl get pod ${name}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as Pod;
}

async function runningPod(name: string): Promise<Pod> {
  return waitFor(
    async () => {
      const found = await getPod(name);
      return found?.status?.phase === 'Running' && found.status.podIP ? found : undefined;
    },
    { ...WAIT, timeoutMs: 120_000, description: `pod ${name} running with an IP` },
  );
}

async function endpointsOf(service: string): Promise<EndpointSlice['endpoints']> {
  const { items } = JSON.parse(await ctl(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json'])) as { items: EndpointSlice[] };
  return items.flatMap((slice) => slice.endpoints);
}

/** The node's nftables service proxy table, as text. */
async function proxyTable(): Promise<string> {
  const host = theCluster().hosts[0];
  if (!host) throw new Error('no agent host');
  const result = await host.run('nft', ['list', 'table', 'ip', 'skiff-proxy']);
  if (result.code !== 0) throw new Error(`nft list table: ${result.stderr}`);
  return result.stdout;
}

/** The STATUS column of `ctl get pods` for `name`. */
async function statusColumn(name: string): Promise<string | undefined> {
  const lines = (await ctl(['get', 'pods'])).split('\n');
  const header = lines[0] ?? '';
  const row = lines.find((line) => line.split(/\s+/)[0] === name);
  return row?.slice(header.indexOf('STATUS')).split(/\s+/)[0];
}

describe.skipIf(skip)('graceful deletion on a runc agent', () => {
  test('a deleted pod shows Terminating, leaves its endpoints while it still runs, gets SIGTERM, and is removed once it exits', async () => {
    await ctl(['apply', '-f', '-'], `${SERVICE}---\n${pod('polite', 60, POLITE)}---\n${pod('keeper', 1, 'exec sleep 100000')}`);
    const polite = await runningPod('polite');
    const keeper = await runningPod('keeper');
    const politeIP = polite.status?.podIP ?? '';
    const keeperIP = keeper.status?.podIP ?? '';
    await waitFor(async () => (await endpointsOf('gd')).filter((e) => e.conditions?.ready === true).length === 2, { ...WAIT, description: 'both pods ready in the EndpointSlice' });
    await waitFor(async () => { const table = await proxyTable(); return table.includes(politeIP) && table.includes(keeperIP); }, { ...WAIT, description: 'both pods in the proxy table' });

    expect(await ctl(['delete', 'pod', 'polite', '--wait=false'])).toBe('pod "polite" deleted\n');

    const marked = await getPod('polite');
    expect(marked?.metadata.deletionGracePeriodSeconds).toBe(60);
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    expect(await statusColumn('polite')).toBe('Terminating');
    // The endpoint stays, marked; the read that shows it also shows the pod has not been removed (slices drop removed pods).
    const endpoint = await waitFor(
      async () => (await endpointsOf('gd')).find((e) => e.targetRef?.name === 'polite' && e.conditions?.terminating === true),
      { ...WAIT, description: 'the endpoint of polite marked terminating' },
    );
    expect(endpoint.conditions).toEqual({ ready: false, serving: true, terminating: true });
    // The proxy sends new connections only to the ready pod left.
    await waitFor(async () => { const table = await proxyTable(); return !table.includes(politeIP) && table.includes(keeperIP); }, { ...WAIT, description: 'polite out of the proxy table, keeper in' });
    // SIGTERM reached the trap: its marker is in the log of the pod, which still exists (it sleeps 15 s before exiting).
    const log = await waitFor(async () => { const text = await ctl(['logs', 'polite']); return text.includes('got-SIGTERM') ? text : undefined; }, { ...WAIT, description: 'the SIGTERM marker in the log' });
    expect(log.split('\n').slice(0, 2)).toEqual(['started', 'got-SIGTERM']);
    expect((await getPod('polite'))?.metadata.uid).toBe(polite.metadata.uid);

    // Gone once it exited on SIGTERM and its agent removed it, long before its 60 s grace period.
    await waitFor(async () => (await getPod('polite')) === undefined, { ...WAIT, timeoutMs: 40_000, description: 'polite removed after its SIGTERM exit' });
    await waitFor(async () => !(await endpointsOf('gd')).some((e) => e.targetRef?.name === 'polite'), { ...WAIT, description: 'polite gone from the EndpointSlice' });
  }, 180_000);

  test('a pod that ignores SIGTERM keeps running through its grace period and is then killed; ctl delete waits until it is gone', async () => {
    await ctl(['apply', '-f', '-'], pod('stubborn', 10, STUBBORN));
    const stubborn = await runningPod('stubborn');
    // `--wait` is the default: ctl returns only once SIGKILL ended it and the object is gone.
    const deleting = ctl(['delete', 'pod', 'stubborn', '--timeout', '60s']);
    // Meanwhile, on one read: the marker, and ticks after it — the shell lived on after SIGTERM.
    await waitFor(
      async () => {
        const found = await getPod('stubborn');
        const lines = (await ctl(['logs', 'stubborn'])).trim().split('\n');
        const marker = lines.indexOf('got-SIGTERM-and-ignored-it');
        return found?.metadata.uid === stubborn.metadata.uid && marker >= 0 && lines.slice(marker + 1).some((line) => line.startsWith('tick')) ? true : undefined;
      },
      { ...WAIT, description: 'ticks after the SIGTERM marker, the pod still there' },
    );
    expect(await deleting).toBe('pod "stubborn" deleted\n');
    expect(await getPod('stubborn')).toBeUndefined();
  }, 180_000);

  test('--force --grace-period 0 removes the object at once, with kubectl’s warning', async () => {
    await ctl(['apply', '-f', '-'], pod('forced', 60, STUBBORN));
    await runningPod('forced');
    const result = await theCluster().ctl(['delete', 'pod', 'forced', '--force', '--grace-period', '0']);
    expect(result).toMatchObject({ code: 0, stdout: 'pod "forced" force deleted\n' });
    expect(result.stderr).toContain(
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.',
    );
    expect(await getPod('forced')).toBeUndefined();
  }, 180_000);

  test('a pod no node runs is deleted at once, even without waiting', async () => {
    await ctl(['apply', '-f', '-'], pod('nowhere', 30, 'exec sleep 100000', '\n  nodeSelector: { kubernetes.io/hostname: no-such-node }'));
    await waitFor(
      async () => {
        const { items } = JSON.parse(await ctl(['get', 'events', '-o', 'json'])) as { items: { reason?: string; involvedObject?: { name?: string } }[] };
        return items.some((e) => e.reason === 'FailedScheduling' && e.involvedObject?.name === 'nowhere');
      },
      { ...WAIT, description: 'the scheduler to tell nowhere fits no node' },
    );
    expect((await getPod('nowhere'))?.spec.nodeName).toBeUndefined();
    expect(await ctl(['delete', 'pod', 'nowhere', '--wait=false'])).toBe('pod "nowhere" deleted\n');
    expect(await getPod('nowhere')).toBeUndefined();
  }, 60_000);
});
