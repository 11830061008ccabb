// Probes and lifecycle hooks on a real runc agent (issue 11, items 2 and 5):
// one agent host of the multi-host harness, the busybox test image, and what a
// user sees through ctl — container statuses, the pod's conditions, the
// EndpointSlice of a Service, events, logs of the previous attempt.
//   - a failing exec liveness probe restarts only its container (the other
//     one keeps its attempt), with kubelet's Unhealthy and Killing events; the
//     preStop hook runs before the SIGTERM; postStart ran after the start;
//   - an httpGet readiness probe on a named port gates the Service's endpoint;
//   - tcpSocket startup and readiness probes: not started, not ready until the
//     port listens;
//   - a grpc readiness probe (grpc.health.v1.Health/Check) against a real
//     grpc-js health server (grpc-health-check's) listening on the pod's IP in
//     the pod's network namespace, beside the container: the busybox image has
//     no Node.js to run one inside the container.
//
// Needs root. Network safety: the probes go from the agent, which runs in its
// host's network namespace, to pod IPs on that host's own bridge; the test
// itself sends nothing to a LAN or pod address (ctl runs in the control-plane
// host, commands in pods run through ctl exec).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointSlice, Event, Pod } from '@skiff/api';
import { inNetworkNamespace, REPO_ROOT, startProcess, waitFor, type ManagedProcess } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { podNetns, useBusyboxHosts } from '../harness/busybox-hosts.js';

const processes: ManagedProcess[] = [];
const suite = useBusyboxHosts('probes-e2e', { hosts: 1, agent: { cpu: '2', memory: '2Gi', pods: '20' } }, {
  beforeStop: async () => {
    for (const p of processes) await p.stop(1000).catch(() => undefined);
  },
});
const { skip, cluster: theCluster, ctl } = suite;

/** Each test applies its own pod when it starts: a pod failing its probes from the start would spend its events (25 per object, then one per 5 minutes, as client-go's spam filter) before its test looks. */
function manifest(name: 'hooks-liveness' | 'ready-web' | 'tcp-start' | 'grpc-health'): Promise<string> {
  const docs = manifests().split('\n---\n');
  const doc = docs.filter((d) => d.includes(`name: ${name}`));
  return ctl(['apply', '-f', '-'], doc.join('\n---\n'));
}

function manifests(): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: hooks-liveness }
spec:
  terminationGracePeriodSeconds: 5
  containers:
    - name: web
      image: ${suite.image()}
      # TERM is trapped: the last lines of an attempt tell whether preStop ran before it.
      command: ["/bin/sh", "-c", "touch /tmp/alive; trap 'cat /tmp/prestop; echo got-TERM; exit 0' TERM; echo main-started; while true; do sleep 1; done"]
      livenessProbe:
        exec: { command: [/bin/cat, /tmp/alive] }
        periodSeconds: 1
        failureThreshold: 2
        # runc exec takes ~0.2 s on a quiet machine and more under load: only the missing file may fail it.
        timeoutSeconds: 10
      lifecycle:
        postStart: { exec: { command: [/bin/sh, -c, "echo poststart-ran > /tmp/poststart"] } }
        preStop: { exec: { command: [/bin/sh, -c, "echo prestop-ran > /tmp/prestop"] } }
    - name: side
      image: ${suite.image()}
      command: [/bin/sleep, "3600"]
---
apiVersion: v1
kind: Pod
metadata: { name: ready-web, labels: { app: ready-web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${suite.image()}
      command: [/bin/busybox, httpd, -f, -p, "8080", -h, /www]
      ports: [{ name: http, containerPort: 8080 }]
      readinessProbe:
        httpGet: { path: /ready.html, port: http, httpHeaders: [{ name: X-Probe, value: skiff }] }
        periodSeconds: 1
        failureThreshold: 1
        timeoutSeconds: 5
---
apiVersion: v1
kind: Service
metadata: { name: ready-web }
spec:
  selector: { app: ready-web }
  ports: [{ name: http, port: 80, targetPort: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: tcp-start }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: db
      image: ${suite.image()}
      # Listens once the test says so.
      command: [/bin/sh, -c, "while [ ! -f /tmp/go ]; do sleep 1; done; exec /bin/busybox httpd -f -p 9090 -h /www"]
      ports: [{ name: db, containerPort: 9090 }]
      startupProbe: { tcpSocket: { port: db }, periodSeconds: 1, failureThreshold: 60 }
      readinessProbe: { tcpSocket: { port: 9090 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Pod
metadata: { name: grpc-health }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${suite.image()}
      command: [/bin/sleep, "3600"]
      readinessProbe: { grpc: { port: 50051 }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 5 }
`;
}

async function getPod(name: string): Promise<Pod> {
  return JSON.parse(await ctl(['get', 'pod', name, '-o', 'json'])) as Pod;
}

const containerOf = (pod: Pod, name: string) => pod.status?.containerStatuses?.find((c) => c.name === name);
const condition = (pod: Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;

/** Polls the pod until `check` returns something; that, from the same read. */
async function podWhen<T>(name: string, description: string, check: (pod: Pod) => T | undefined, timeoutMs = 90_000): Promise<T> {
  return waitFor(async () => check(await getPod(name)), { timeoutMs, intervalMs: 250, description: `${name}: ${description}` });
}

async function eventsAbout(name: string): Promise<Event[]> {
  const { items } = JSON.parse(await ctl(['get', 'events', '-o', 'json'])) as { items: Event[] };
  return items.filter((event) => event.involvedObject.kind === 'Pod' && event.involvedObject.name === name);
}

async function eventLike(name: string, reason: string, message: RegExp): Promise<Event> {
  return waitFor(async () => (await eventsAbout(name)).find((e) => e.reason === reason && message.test(e.message)), {
    timeoutMs: 60_000,
    intervalMs: 500,
    description: `a ${reason} event about ${name} matching ${String(message)}`,
  });
}

async function endpointsOf(service: string): Promise<{ ip: string; ready: boolean }[]> {
  const { items } = JSON.parse(await ctl(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json'])) as { items: EndpointSlice[] };
  return items.flatMap((slice) => slice.endpoints.map((e) => ({ ip: e.addresses[0] ?? '', ready: e.conditions.ready === true })));
}


/** A grpc-js health server (grpc-health-check's HealthImplementation) on PORT; its status for "" follows the file STATUS_FILE. */
const GRPC_HEALTH_SERVER = `const { Server, ServerCredentials } = require('@grpc/grpc-js');
const { HealthImplementation } = require('grpc-health-check');
const { readFileSync } = require('node:fs');
const [port, statusFile] = process.argv.slice(1);
const health = new HealthImplementation({ '': 'SERVING' });
const read = () => { try { return readFileSync(statusFile, 'utf8').trim(); } catch { return 'SERVING'; } };
setInterval(() => health.setStatus('', read()), 100);
const server = new Server();
health.addToServer(server);
server.bindAsync('0.0.0.0:' + port, ServerCredentials.createInsecure(), (error) => { if (error) throw error; console.log('serving'); });`;

describe.skipIf(skip)('probes and lifecycle hooks on runc', () => {
  test('a failing liveness probe restarts only its container, with kubelet events; postStart ran, preStop ran before SIGTERM', async () => {
    await manifest('hooks-liveness');
    const before = await podWhen('hooks-liveness', 'both containers running and ready', (pod) => {
      const web = containerOf(pod, 'web');
      const side = containerOf(pod, 'side');
      return web?.ready && side?.ready && condition(pod, 'Ready') === 'True' && condition(pod, 'ContainersReady') === 'True' ? { web, side } : undefined;
    });
    expect(before.web.restartCount).toBe(0);
    expect(before.web.started).toBe(true);
    expect(await ctl(['exec', 'hooks-liveness', '-c', 'web', '--', '/bin/cat', '/tmp/poststart'])).toBe('poststart-ran\n');

    await ctl(['exec', 'hooks-liveness', '-c', 'web', '--', '/bin/rm', '/tmp/alive']);
    const after = await podWhen('hooks-liveness', 'web restarted and running again', (pod) => {
      const web = containerOf(pod, 'web');
      return web && web.restartCount >= 1 && web.state.running && web.ready ? { web, side: containerOf(pod, 'side') } : undefined;
    });
    expect(after.web.containerID).not.toBe(before.web.containerID);
    expect(after.web.lastState?.terminated).toBeDefined();
    // The other container was left alone: same attempt, no restart.
    expect(after.side).toMatchObject({ restartCount: 0, containerID: before.side.containerID, ready: true });

    const unhealthy = await eventLike('hooks-liveness', 'Unhealthy', /^Liveness probe failed: /);
    expect(unhealthy).toMatchObject({ type: 'Warning', involvedObject: { fieldPath: 'spec.containers{web}' } });
    const killing = await eventLike('hooks-liveness', 'Killing', /^Container web failed liveness probe, will be restarted$/);
    expect(killing.type).toBe('Normal');

    // The attempt that was killed: its preStop wrote the file its TERM trap printed, so preStop came first.
    const previous = await ctl(['logs', 'hooks-liveness', '-c', 'web', '--previous']);
    expect(previous.split('\n').filter((line) => line !== '')).toEqual(['main-started', 'prestop-ran', 'got-TERM']);
  }, 120_000);

  test('an httpGet readiness probe on a named port gates the Service endpoint, both ways', async () => {
    await manifest('ready-web');
    const ip = await podWhen('ready-web', 'running, not ready (no /ready.html yet)', (pod) =>
      pod.status?.phase === 'Running' && containerOf(pod, 'web')?.ready === false && condition(pod, 'Ready') === 'False' && pod.status.podIP ? pod.status.podIP : undefined,
    );
    const waitEndpoint = (ready: boolean) =>
      waitFor(async () => {
        const endpoints = await endpointsOf('ready-web');
        return endpoints.length === 1 && endpoints[0]?.ip === ip && endpoints[0].ready === ready ? endpoints : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250, description: `the ready-web endpoint ${ready ? 'ready' : 'not ready'}` });
    await waitEndpoint(false);
    await eventLike('ready-web', 'Unhealthy', /^Readiness probe failed: HTTP probe failed with statuscode: 404$/);

    await ctl(['exec', 'ready-web', '--', '/bin/touch', '/www/ready.html']);
    await waitEndpoint(true);
    await podWhen('ready-web', 'Ready', (pod) => (condition(pod, 'Ready') === 'True' && containerOf(pod, 'web')?.ready ? true : undefined));

    await ctl(['exec', 'ready-web', '--', '/bin/rm', '/www/ready.html']);
    await waitEndpoint(false);
    // Readiness never restarts anything (a count only grows: any later read may say so).
    expect(containerOf(await getPod('ready-web'), 'web')?.restartCount).toBe(0);
  }, 120_000);

  test('tcpSocket startup and readiness probes: neither started nor ready until the port listens', async () => {
    await manifest('tcp-start');
    const waiting = await podWhen('tcp-start', 'running, not started yet', (pod) => {
      const db = containerOf(pod, 'db');
      return db?.state.running && db.started === false ? db : undefined;
    });
    expect(waiting.ready).toBe(false);
    await ctl(['exec', 'tcp-start', '--', '/bin/touch', '/tmp/go']);
    const started = await podWhen('tcp-start', 'started and ready', (pod) => {
      const db = containerOf(pod, 'db');
      return db?.started && db.ready && condition(pod, 'Ready') === 'True' ? db : undefined;
    });
    expect(started.restartCount).toBe(0);
    await eventLike('tcp-start', 'Unhealthy', /^Startup probe failed: dial tcp [\d.]+:9090: .*ECONNREFUSED/);
  }, 120_000);

  test('a grpc readiness probe asks grpc.health.v1.Health/Check on the pod IP and follows its answer', async () => {
    await manifest('grpc-health');
    const pod = await podWhen('grpc-health', 'running, not ready (nothing listens yet)', (p) =>
      p.status?.phase === 'Running' && containerOf(p, 'app')?.ready === false && p.status.podIP ? p : undefined,
    );
    const statusFile = join(suite.workDir(), 'grpc-status');
    writeFileSync(statusFile, 'SERVING\n');
    const server = startProcess({ name: 'grpc-health-server', cwd: REPO_ROOT, ...inNetworkNamespace(podNetns(theCluster(), pod), process.execPath, ['-e', GRPC_HEALTH_SERVER, '50051', statusFile]) });
    processes.push(server);
    await server.waitForLine(/^serving$/, 20_000);
    await podWhen('grpc-health', 'ready', (p) => (containerOf(p, 'app')?.ready && condition(p, 'Ready') === 'True' ? true : undefined));

    writeFileSync(statusFile, 'NOT_SERVING\n');
    await podWhen('grpc-health', 'not ready again', (p) => (containerOf(p, 'app')?.ready === false && condition(p, 'Ready') === 'False' ? true : undefined));
    await eventLike('grpc-health', 'Unhealthy', /^Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$/);
  }, 120_000);
});
