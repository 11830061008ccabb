// Rolling updates on real hosts (issue 11): two agent hosts on a LAN (the
// multi-host harness, runc, the VXLAN overlay), a Deployment of busybox httpd
// replicas behind a ClusterIP Service, and a client pod on one host sending a
// request every 50 ms to the ClusterIP while the Deployment is rolled (a
// template env change), rolled back (`ctl rollout undo`) and rolled to an
// image that does not exist (`ctl set image`, then `ctl rollout status` fails
// on the progress deadline). A watch on the API server (pod-monitor.ts)
// records, after every pod event, how many pods exist and how many are Ready.
//
// Needs root. Network safety: the traffic runs inside the client pod's network
// namespace; the watch runs inside the control-plane host; nothing here sends
// to a LAN, pod or service address from the root namespace.
import type { Deployment, Service } from '@skiff/api';
import { inNetworkNamespace } from '@skiff/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { podNetns, runningPod, useBusyboxHosts } from '../harness/busybox-hosts.js';
import { LineProcess } from '../harness/line-process.js';
import { PodMonitor } from '../harness/pod-monitor.js';

const NS = 'roll';
const REPLICAS = 3;
const MAX_SURGE = 1;
const MAX_UNAVAILABLE = 1;

let monitor: PodMonitor | undefined;
const suite = useBusyboxHosts(
  'rollouts-e2e',
  {
    hosts: 2,
    // Spread: replicas on both hosts, so traffic crosses the overlay. A loaded machine may delay a heartbeat
    // past the 1.5 s lease: pods move only after 120 s NotReady, so no rollout here is disturbed by one.
    controlPlaneArgs: ['--strategy', 'spread', '--pod-eviction-timeout-ms', '120000'],
    agent: { cpu: '2', memory: '2Gi', pods: '20' },
  },
  {
    beforeStop: async () => {
      await monitor?.stop();
    },
  },
);
const { skip, cluster: theCluster, ctl } = suite;

beforeAll(async () => {
  if (skip) return;
  await ctl(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n`);
  await ctl(['apply', '-f', '-'], manifests('v1'));
  await ctl(['apply', '-f', '-'], clientPod());
  await ctl(['rollout', 'status', `deployment/web`, '-n', NS, '--timeout', '120s'], undefined, 150_000);
  monitor = await PodMonitor.start(theCluster(), NS, 'app=web');
}, 240_000);

/** The Deployment; VERSION is what each replica serves, with its pod name. */
function manifests(version: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: ${String(REPLICAS)}
  progressDeadlineSeconds: 15
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: ${String(MAX_SURGE)}, maxUnavailable: ${String(MAX_UNAVAILABLE)} } }
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      # As in Kubernetes, a deleted pod leaves the Service's endpoints while its container is told to stop:
      # the preStop sleep keeps it serving until every node's proxy has dropped it (httpd exits on TERM at once).
      terminationGracePeriodSeconds: 5
      containers:
        - name: main
          image: ${suite.image()}
          lifecycle: { preStop: { sleep: { seconds: 2 } } }
          env: [{ name: VERSION, value: "${version}" }]
          command: ["/bin/sh", "-c", "echo \\"$VERSION $(hostname)\\" > /www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www"]
          ports: [{ name: http, containerPort: 8080 }]
          resources: { requests: { cpu: 50m, memory: 16Mi } }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
`;
}

function clientPod(): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeSelector: { kubernetes.io/hostname: node-1 }
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${suite.image()}
      command: ["/bin/sleep", "100000"]
`;
}



/** HTTP GETs to URL every 50 ms (a new connection each, 1 s timeout); one line per answer: "<body>" or "ERR <why>". */
const HTTP_LOOP = `const http = require('node:http');
const url = process.argv[1];
const once = () => {
  const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => console.log(res.statusCode === 200 ? body.trim() : 'ERR status ' + res.statusCode));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => console.log('ERR ' + e.message));
};
console.log('started');
setInterval(once, 50);`;

/** A steady stream of requests from the client pod to the ClusterIP, tallied by answer. */
class Traffic {
  readonly answers: string[] = [];
  private started = false;
  private readonly process: LineProcess;

  constructor(netns: string, url: string) {
    this.process = new LineProcess('http-loop', inNetworkNamespace(netns, process.execPath, ['-e', HTTP_LOOP, url]), (line) => {
      if (line === 'started') this.started = true;
      else if (this.started) this.answers.push(line);
    });
  }

  failures(): string[] {
    return this.answers.filter((a) => a.startsWith('ERR'));
  }

  versions(from = 0): Set<string> {
    return new Set(this.answers.slice(from).filter((a) => !a.startsWith('ERR')).map((a) => a.split(' ')[0] ?? ''));
  }

  /** Waits until the last `count` answers all came from `version`. */
  async settledOn(version: string, count = 20): Promise<void> {
    await this.process.waitFor(
      () => this.answers.length >= count && this.answers.slice(-count).every((a) => a.startsWith(`${version} `)),
      60_000,
      `the last ${String(count)} answers to come from ${version}`,
    );
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

async function startTraffic(): Promise<Traffic> {
  const client = await runningPod(theCluster(), 'client');
  const service = JSON.parse(await ctl(['get', 'svc', 'web', '-n', NS, '-o', 'json'])) as Service;
  const traffic = new Traffic(podNetns(theCluster(), client), `http://${service.spec.clusterIP ?? ''}/`);
  return traffic;
}

async function deployment(): Promise<Deployment> {
  return JSON.parse(await ctl(['get', 'deployment', 'web', '-n', NS, '-o', 'json'])) as Deployment;
}

function theMonitor(): PodMonitor {
  if (!monitor) throw new Error('no pod monitor');
  return monitor;
}

describe.skipIf(skip)('rolling updates of a Deployment behind a Service, on real hosts', () => {
  test('a template change rolls pod by pod within maxSurge/maxUnavailable while a client keeps being answered; rollout status follows it', async () => {
    const traffic = await startTraffic();
    try {
      await traffic.settledOn('v1');
      theMonitor().record();
      const before = traffic.answers.length;
      await ctl(['apply', '-f', '-'], manifests('v2'));
      const status = await ctl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout', '120s'], undefined, 150_000);
      expect(status.trimEnd().split('\n').at(-1)).toBe('deployment "web" successfully rolled out');
      for (const line of status.trimEnd().split('\n').slice(0, -1)) {
        expect(line).toMatch(/^Waiting for deployment (spec update to be observed\.\.\.|"web" rollout to finish: (\d+ out of \d+ new replicas have been updated|\d+ old replicas are pending termination|\d+ of \d+ updated replicas are available)\.\.\.)$/);
      }
      await traffic.settledOn('v2');

      const extremes = theMonitor().since();
      expect(extremes.maxPods, 'never more than replicas + maxSurge pods').toBeLessThanOrEqual(REPLICAS + MAX_SURGE);
      expect(extremes.minReady, 'never fewer than replicas − maxUnavailable ready').toBeGreaterThanOrEqual(REPLICAS - MAX_UNAVAILABLE);
      expect(traffic.versions(before)).toEqual(new Set(['v1', 'v2']));
      const failures = traffic.failures();
      console.log(`rollout v1 → v2: ${String(traffic.answers.length - before)} requests during and after, ${String(failures.length)} failed${failures.length > 0 ? `: ${[...new Set(failures)].join('; ')}` : ''}`);
      expect(failures.length, 'requests that failed while rolling').toBe(0);

      const rolled = await deployment();
      expect(rolled.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      expect(rolled.status).toMatchObject({ replicas: REPLICAS, updatedReplicas: REPLICAS, readyReplicas: REPLICAS, availableReplicas: REPLICAS, unavailableReplicas: 0 });
      const described = await ctl(['describe', 'deployment', 'web', '-n', NS]);
      expect(described).toContain(`Replicas:               ${String(REPLICAS)} desired | ${String(REPLICAS)} updated | ${String(REPLICAS)} total | ${String(REPLICAS)} available | 0 unavailable`);
      expect(described).toMatch(/NewReplicaSet: {2}web-\w+ \(3\/3 replicas created\)/);
      const rs = await ctl(['get', 'rs', '-n', NS]);
      expect(rs.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
      expect(rs.trim().split('\n')).toHaveLength(3);
    } finally {
      await traffic.stop();
    }
  }, 240_000);

  test('rollout undo returns to the previous template (its ReplicaSet, renumbered)', async () => {
    const traffic = await startTraffic();
    try {
      await traffic.settledOn('v2');
      theMonitor().record();
      expect(await ctl(['rollout', 'undo', 'deployment/web', '-n', NS])).toBe('deployment.apps/web rolled back\n');
      await ctl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout', '120s'], undefined, 150_000);
      await traffic.settledOn('v1');
      const extremes = theMonitor().since();
      expect(extremes.maxPods).toBeLessThanOrEqual(REPLICAS + MAX_SURGE);
      expect(extremes.minReady).toBeGreaterThanOrEqual(REPLICAS - MAX_UNAVAILABLE);
      expect(traffic.failures()).toEqual([]);
      const history = await ctl(['rollout', 'history', 'deployment/web', '-n', NS]);
      expect(history).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
      const back = await deployment();
      expect(back.spec.template.spec.containers[0]?.env).toEqual([{ name: 'VERSION', value: 'v1' }]);
      expect(back.spec.template.metadata?.labels).toEqual({ app: 'web' });
    } finally {
      await traffic.stop();
    }
  }, 240_000);

  test('an image that does not exist: rollout status exits non-zero once the progress deadline passes, and the old replicas keep serving', async () => {
    const traffic = await startTraffic();
    try {
      await traffic.settledOn('v1');
      expect(await ctl(['set', 'image', 'deployment/web', '-n', NS, `main=${suite.image().replace(/busybox:latest$/, 'does-not-exist:1')}`])).toBe('deployment.apps/web image updated\n');
      const result = await theCluster().ctl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout', '90s'], { timeoutMs: 120_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error: deployment "web" exceeded its progress deadline');
      const stuck = await deployment();
      const progressing = stuck.status?.conditions?.find((c) => c.type === 'Progressing');
      expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
      // One old replica may go (maxUnavailable 1); the others still answer.
      expect(stuck.status?.availableReplicas).toBeGreaterThanOrEqual(REPLICAS - MAX_UNAVAILABLE);
      await traffic.settledOn('v1');
      expect(traffic.failures()).toEqual([]);

      // And back: undo returns to the working template.
      await ctl(['rollout', 'undo', 'deployment/web', '-n', NS]);
      await ctl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout', '120s'], undefined, 150_000);
      expect((await deployment()).status?.availableReplicas).toBe(REPLICAS);
    } finally {
      await traffic.stop();
    }
  }, 240_000);
});
