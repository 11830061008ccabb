// Services across hosts, everything together (issue 10): three agent hosts on
// a LAN (the multi-host harness, runc, the VXLAN overlay), a Deployment of
// busybox httpd backends printing their pod name, client pods pinned one per
// host, and the pieces the issue joins: the EndpointSlice controller, every
// node's service catalog and nftables proxy, the cluster DNS on each pod
// bridge's gateway, and ctl exec.
//
// Needs root. Network safety: nothing here sends to a LAN, pod or service
// address from the root namespace. Clients run inside pods (ctl exec), inside
// a pod's network namespace (a Node script, for timing and long-lived
// connections), or inside a LAN host's namespace (NodePort from the control
// plane host). The outside name is answered by a dnsmasq this suite runs on
// node-1's own loopback; no host namespace has a route off the LAN.
import type { EndpointSlice, Pod, Service } from '@skiff/api';
import {
  inNetworkNamespace,
  startDnsmasq,
  startProcess,
  waitFor,
  type ManagedProcess,
  type RunningDnsmasq,
} from '@skiff/testkit';
import { podNetns, runningPod, useBusyboxHosts } from '../harness/busybox-hosts.js';
import { beforeAll, describe, expect, test } from 'vitest';

const HOSTS = ['node-1', 'node-2', 'node-3'];
const CLIENTS = HOSTS.map((host) => ({ name: `client-${host.slice(-1)}`, host }));
/** node-1's own loopback: where every agent's cluster DNS forwards names outside the cluster (only node-1 runs one). */
const UPSTREAM = { address: '127.0.0.53', port: 5353 };
const NODE_PORT = 30880;

let dnsmasq: RunningDnsmasq | undefined;
const processes: ManagedProcess[] = [];
const suite = useBusyboxHosts(
  'services-e2e',
  {
    hosts: HOSTS.length,
    // Spread: the backends land on every host, so traffic crosses the overlay and stays local too.
    // Pods of a NotReady node move after 15 s: long enough for an agent restart (it keeps its pods), short for the killed node.
    controlPlaneArgs: ['--strategy', 'spread', '--pod-eviction-timeout-ms', '15000'],
    agent: { cpu: '2', memory: '2Gi', pods: '20', extraArgs: ['--dns-upstream', `${UPSTREAM.address}:${String(UPSTREAM.port)}`] },
  },
  {
    requires: ['dnsmasq'],
    beforeStop: async () => {
      for (const p of processes) await p.stop(1000).catch(() => undefined);
      await dnsmasq?.stop();
    },
  },
);
const { skip, cluster: theCluster, ctl } = suite;

beforeAll(async () => {
  if (skip) return;
  dnsmasq = await startDnsmasq({ ...UPSTREAM, netns: theCluster().host('node-1').netns, hosts: ['192.0.2.10 outside.example'], name: 'dnsmasq-node-1' });
  await ctl(['apply', '-f', '-'], manifests());
  for (const client of CLIENTS) await ctl(['apply', '-f', '-'], clientPod(client.name, client.host));
  for (const client of CLIENTS) await runningPod(theCluster(), client.name);
  await readyBackends(3);
}, 240_000);

/** Runs a command in a client pod (ctl exec); its output, whatever its exit code. */
async function execIn(pod: string, command: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return theCluster().ctl(['exec', pod, '--', ...command], { timeoutMs: 60_000 });
}

function manifests(): string {
  return `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: backend, namespace: shop }
spec:
  replicas: 3
  selector: { matchLabels: { app: backend } }
  template:
    metadata: { labels: { app: backend } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${suite.image()}
          # Serves its pod name.
          command: ["/bin/sh", "-c", "hostname > /www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www"]
          ports: [{ name: http, containerPort: 8080 }]
          resources: { requests: { cpu: 50m, memory: 16Mi } }
---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: shop }
spec:
  type: NodePort
  selector: { app: backend }
  ports: [{ name: http, port: 80, targetPort: http, nodePort: ${String(NODE_PORT)} }]
---
apiVersion: v1
kind: Service
metadata: { name: backend-headless, namespace: shop }
spec:
  clusterIP: None
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: http }]
`;
}

function clientPod(name: string, node: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${suite.image()}
      command: ["/bin/sleep", "100000"]
`;
}

async function getPod(name: string, namespace = 'default'): Promise<Pod> {
  return JSON.parse(await ctl(['get', 'pod', name, '-n', namespace, '-o', 'json'])) as Pod;
}


async function slices(service: string): Promise<EndpointSlice[]> {
  return (JSON.parse(await ctl(['get', 'endpointslices', '-n', 'shop', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json'])) as { items: EndpointSlice[] }).items;
}

interface Backend {
  readonly pod: string;
  readonly ip: string;
  readonly node: string;
  readonly ready: boolean;
}

async function backends(service = 'backend'): Promise<Backend[]> {
  return (await slices(service)).flatMap((slice) =>
    slice.endpoints.map((e) => ({ pod: e.targetRef?.name ?? '', ip: e.addresses[0] ?? '', node: e.nodeName ?? '', ready: e.conditions.ready === true })),
  );
}

/** Waits for exactly `count` endpoints, all ready, in the backend Service's slices. */
async function readyBackends(count: number, description = `${String(count)} ready backends`): Promise<Backend[]> {
  return waitFor(
    async () => {
      const found = await backends();
      return found.length === count && found.every((b) => b.ready) ? found : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250, description },
  );
}

/** `count` requests from a client pod (one ctl exec running a shell loop); the bodies, "ERR" for a failed one. */
async function bodiesFrom(client: string, url: string, count: number): Promise<string[]> {
  const loop = `i=0; while [ $i -lt ${String(count)} ]; do /bin/busybox timeout 3 /bin/busybox wget -q -O- ${url} || echo ERR; i=$((i+1)); done`;
  const result = await execIn(client, ['/bin/sh', '-c', loop]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** Every one of `pods` answers `url` from `client`, and nothing else does (requests until all are seen, at most 60). */
async function expectExactly(client: string, url: string, pods: readonly string[]): Promise<string[]> {
  const seen: string[] = [];
  for (let round = 0; round < 4 && !pods.every((p) => seen.includes(p)); round += 1) seen.push(...(await bodiesFrom(client, url, 15)));
  expect(new Set(seen), `${client} → ${url}: ${seen.join(',')}`).toEqual(new Set(pods));
  return seen;
}


async function clusterIp(name: string): Promise<string> {
  const service = JSON.parse(await ctl(['get', 'svc', name, '-n', 'shop', '-o', 'json'])) as Service;
  return service.spec.clusterIP ?? '';
}

/** HTTP GETs to URL every 50 ms (new connection each, 400 ms timeout); one line per answer: "<epoch ms> <body or ERR>". */
const HTTP_LOOP = `const http = require('node:http');
const url = process.argv[1];
const once = () => {
  const at = Date.now();
  const req = http.get(url, { agent: false, timeout: 400 }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => console.log(at + ' ' + body.trim()));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => console.log(at + ' ERR'));
};
console.log('started');
setInterval(once, 50);`;

/** Listens on PORT; to each connection writes "tick N" every 100 ms until it closes. */
const STREAM_SERVER = `require('node:net').createServer((s) => {
  let n = 0;
  const t = setInterval(() => s.write('tick ' + (n++) + '\\n'), 100);
  s.on('close', () => clearInterval(t));
  s.on('error', () => clearInterval(t));
}).listen(Number(process.argv[1]), () => console.log('listening'));`;
/** Connects to HOST PORT once and echoes what arrives; says "closed" if the connection ends. */
const STREAM_CLIENT = `const s = require('node:net').connect(Number(process.argv[2]), process.argv[1], () => console.log('connected'));
s.setEncoding('utf8').on('data', (d) => process.stdout.write(d));
s.on('close', () => { console.log('closed'); process.exit(1); });
s.on('error', (e) => console.log('error ' + e.message));`;

describe.skipIf(skip)('Services across hosts: overlay, EndpointSlices, proxy, DNS and exec together', () => {
  test('from a pod on each host, backend.shop and backend.shop.svc.cluster.local reach every ready replica, spread over them', async () => {
    const ready = await readyBackends(3);
    // Spread scheduling: one backend per host, so each client reaches one on its own host and two across the overlay.
    expect(new Set(ready.map((b) => b.node))).toEqual(new Set(HOSTS));
    const pods = ready.map((b) => b.pod);
    for (const client of CLIENTS) {
      await expectExactly(client.name, 'http://backend.shop/', pods);
      const bodies = await bodiesFrom(client.name, 'http://backend.shop.svc.cluster.local/', 45);
      expect(bodies.filter((b) => !pods.includes(b)), `${client.name}: answers not from a backend`).toEqual([]);
      // numgen random over 3: each replica gets a share (45 requests: a replica missing, or taking 2/3, has a chance below 1e-6).
      for (const pod of pods) {
        const share = bodies.filter((b) => b === pod).length;
        expect(share, `${client.name}: ${pod} answered ${String(share)} of 45`).toBeGreaterThan(0);
        expect(share).toBeLessThan(30);
      }
    }
  }, 120_000);

  test('the NodePort answers on every host’s LAN address, from the control-plane host (no agent, another namespace)', async () => {
    const c = theCluster();
    const pods = (await readyBackends(3)).map((b) => b.pod);
    for (const host of c.hosts) {
      const seen = new Set<string>();
      for (let i = 0; i < 60 && seen.size < pods.length; i += 1) {
        const result = await c.controlPlane.run('timeout', ['3', 'busybox', 'wget', '-q', '-O-', `http://${host.lanAddress}:${String(NODE_PORT)}/`]);
        expect(result.code, `NodePort on ${host.name}: ${result.stderr}`).toBe(0);
        seen.add(result.stdout.trim());
      }
      // Every backend answers through every host: the local one (DNAT onto the bridge) and the others (across the overlay).
      expect(seen, `NodePort on ${host.name}`).toEqual(new Set(pods));
    }
  }, 120_000);

  test('DNS: headless A records (one per ready endpoint), SRV for the named port, and an outside name forwarded to our own resolver', async () => {
    const ready = await readyBackends(3);
    const aRecords = (output: string): string[] =>
      output
        .split('\n')
        .filter((line) => /^Address( \d+)?:\s*\d+\.\d+\.\d+\.\d+$/.test(line.trim()))
        .map((line) => line.trim().split(/\s+/).pop() ?? '');
    const headless = await waitFor(
      async () => {
        const result = await execIn('client-2', ['/bin/busybox', 'nslookup', 'backend-headless.shop.svc.cluster.local']);
        const found = aRecords(result.stdout);
        return found.length === ready.length ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: 'three A records for the headless Service' },
    );
    expect(new Set(headless)).toEqual(new Set(ready.map((b) => b.ip)));

    const ip = await clusterIp('backend');
    const a = await execIn('client-3', ['/bin/busybox', 'nslookup', 'backend.shop.svc.cluster.local']);
    expect(aRecords(a.stdout), a.stdout + a.stderr).toEqual([ip]);

    const srv = await execIn('client-1', ['/bin/busybox', 'nslookup', '-type=SRV', '_http._tcp.backend.shop.svc.cluster.local']);
    expect(srv.stdout, srv.stderr).toMatch(/_http\._tcp\.backend\.shop\.svc\.cluster\.local\s+service = \d+ \d+ 80 backend\.shop\.svc\.cluster\.local/);

    const outside = await execIn('client-1', ['/bin/busybox', 'nslookup', 'outside.example']);
    expect(aRecords(outside.stdout), outside.stdout + outside.stderr).toEqual(['192.0.2.10']);
  }, 60_000);

  test('a replica that turns unready stops receiving new connections within 1 s', async () => {
    // The replica that turns unready is a bare pod behind the same selector with restartPolicy Never: its
    // container exiting leaves it unready for good (a Deployment's would be restarted and be ready again).
    await ctl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: { name: victim, namespace: shop, labels: { app: backend } }
spec:
  nodeSelector: { kubernetes.io/hostname: node-3 }
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${suite.image()}
      # Serves its pod name until /tmp/down exists; then the container exits (and with it the daemonised httpd).
      command: ["/bin/sh", "-c", "hostname > /www/index.html; /bin/busybox httpd -p 8080 -h /www; while [ ! -e /tmp/down ]; do sleep 0.1; done"]
      ports: [{ name: http, containerPort: 8080 }]
`,
    );
    const victim = (await readyBackends(4, 'the victim ready beside the three')).find((b) => b.pod === 'victim');
    if (!victim) throw new Error('no victim endpoint');
    const client = await getPod('client-2');
    const loop = startProcess({ name: 'http-loop', ...inNetworkNamespace(podNetns(theCluster(), client), process.execPath, ['-e', HTTP_LOOP, `http://${await clusterIp('backend')}/`]) });
    processes.push(loop);
    await loop.waitForLine(/started/, 10_000);
    await waitFor(() => loop.output().includes(` ${victim.pod}\n`), { timeoutMs: 10_000, description: `the loop reaching ${victim.pod}` });

    const touch = await theCluster().ctl(['exec', '-n', 'shop', victim.pod, '--', '/bin/busybox', 'touch', '/tmp/down']);
    expect(touch.code, touch.stderr).toBe(0);
    // What the 1 s covers: from the moment this test sees the victim's endpoint not ready in its
    // EndpointSlice (polled every 100 ms, so seen up to ~0.1 s + one ctl call late) until the proxies
    // of every host stop DNATing new connections to it. The container dies at once, so a request
    // routed to it fails (ERR): after the mark + 1 s every request must succeed and none may be its.
    const notReadyAt = await waitFor(
      async () => {
        const found = await backends();
        const mine = found.find((b) => b.pod === victim.pod);
        return mine === undefined || !mine.ready ? Date.now() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `${victim.pod} not ready in the EndpointSlice` },
    );
    const pod = await getPod(victim.pod, 'shop');
    expect(pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('False');
    await waitFor(() => loop.output().split('\n').some((line) => Number(line.split(' ')[0]) > notReadyAt + 2000), {
      timeoutMs: 10_000,
      description: 'the loop running 2 s past the mark',
    });
    await loop.stop(1000);
    const lines = loop
      .output()
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([at, body]) => Number.isFinite(Number(at)) && body !== undefined);
    const bad = lines.filter(([, body]) => body === 'ERR' || body === victim.pod).map(([at]) => Number(at) - notReadyAt);
    const late = lines.filter(([at, body]) => Number(at) > notReadyAt + 1000 && (body === 'ERR' || body === victim.pod));
    // The figure: the last request that met the victim (or failed), relative to the mark.
    console.log(`unready: last request routed to ${victim.pod} (or failing) at ${bad.length > 0 ? String(Math.max(...bad)) : 'none'} ms from the EndpointSlice showing it not ready; ${String(lines.length)} requests`);
    expect(late.map((l) => l.join(' '))).toEqual([]);
    await ctl(['delete', 'pod', '-n', 'shop', victim.pod]);
    await readyBackends(3, 'the three backends without the victim');
  }, 120_000);

  test('scaling the backend and deleting pods update every host: each client sees exactly the new set', async () => {
    await ctl(['scale', 'deployment', 'backend', '-n', 'shop', '--replicas', '5']);
    const five = (await readyBackends(5)).map((b) => b.pod);
    for (const client of CLIENTS) await expectExactly(client.name, 'http://backend.shop/', five);

    await ctl(['scale', 'deployment', 'backend', '-n', 'shop', '--replicas', '2']);
    const two = (await readyBackends(2)).map((b) => b.pod);
    for (const client of CLIENTS) {
      const seen = await expectExactly(client.name, 'http://backend.shop/', two);
      expect(seen.filter((b) => !two.includes(b))).toEqual([]);
    }

    const [deleted] = two;
    await ctl(['delete', 'pod', '-n', 'shop', deleted ?? '']);
    const replaced = await waitFor(
      async () => {
        const found = await backends();
        return found.length === 2 && found.every((b) => b.ready) && !found.some((b) => b.pod === deleted) ? found.map((b) => b.pod) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: `${deleted ?? ''} replaced` },
    );
    for (const client of CLIENTS) await expectExactly(client.name, 'http://backend.shop/', replaced);
    await ctl(['scale', 'deployment', 'backend', '-n', 'shop', '--replicas', '3']);
    await readyBackends(3);
  }, 180_000);

  test('an agent restart keeps an established connection through a ClusterIP', async () => {
    const c = theCluster();
    await ctl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: { name: streamer, namespace: shop, labels: { app: streamer } }
spec:
  nodeSelector: { kubernetes.io/hostname: node-2 }
  terminationGracePeriodSeconds: 1
  containers: [{ name: main, image: ${suite.image()}, command: ["/bin/sleep", "100000"] }]
---
apiVersion: v1
kind: Service
metadata: { name: streamer, namespace: shop }
spec:
  selector: { app: streamer }
  ports: [{ port: 9000, targetPort: 9000 }]
`,
    );
    const streamerPod = await runningPod(theCluster(), 'streamer', 'shop');
    const server = startProcess({ name: 'stream-server', ...inNetworkNamespace(podNetns(theCluster(), streamerPod), process.execPath, ['-e', STREAM_SERVER, '9000']) });
    processes.push(server);
    await server.waitForLine(/listening/, 10_000);
    await waitFor(async () => (await backends('streamer')).some((b) => b.ready), { timeoutMs: 30_000, intervalMs: 250, description: 'the streamer endpoint' });
    const vip = await clusterIp('streamer');
    const clientPodOn1 = await getPod('client-1');
    const client = startProcess({ name: 'stream-client', ...inNetworkNamespace(podNetns(theCluster(), clientPodOn1), process.execPath, ['-e', STREAM_CLIENT, vip, '9000']) });
    processes.push(client);
    // The proxy of node-1 may program the new Service a moment after the slice: connect until it does.
    await client.waitForLine(/tick 3/, 20_000);
    const ticks = (): number => Number([...client.output().matchAll(/tick (\d+)/g)].pop()?.[1] ?? -1);

    // The DNAT is node-1's (the client's host): stop its agent, start it again (a full resync of its table).
    const host = c.host('node-1');
    const diagnostics = async (): Promise<string> =>
      `client: ${client.output().slice(-300)}\nserver: ${server.output().slice(-300)}\nconntrack on node-1: ${(await host.run('conntrack', ['-L', '-d', vip])).stdout}`;
    await host.agent.process.stop();
    const whileDown = ticks();
    await waitFor(() => ticks() > whileDown + 5, { timeoutMs: 10_000, description: 'ticks while the agent is down' }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await diagnostics()}`);
    });
    await host.agent.restart();
    const afterRestart = ticks();
    await waitFor(() => ticks() > afterRestart + 10, { timeoutMs: 10_000, description: 'ticks after the agent restarted' });
    expect(client.output()).not.toContain('closed');
    expect(client.output()).not.toContain('error');
    expect(client.running).toBe(true);
    console.log(`agent restart: the connection through ${vip} carried ticks ${String(whileDown)} → ${String(ticks())} across the stop and start of node-1's agent`);
  }, 120_000);

  test('the endpoints of a killed node leave the slices, and every other host stops routing to them', async () => {
    const c = theCluster();
    const before = await readyBackends(3);
    const dead = before.filter((b) => b.node === 'node-3').map((b) => b.pod);
    expect(dead.length).toBeGreaterThan(0);
    // Hard: the agent dies, its containers keep running (and would still answer if anything routed to them).
    await c.host('node-3').agent.process.kill9();
    const after = await waitFor(
      async () => {
        const found = await backends();
        return found.length === 3 && found.every((b) => b.ready && b.node !== 'node-3') ? found : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'three ready backends, none on node-3' },
    );
    for (const client of CLIENTS.filter((cl) => cl.host !== 'node-3')) {
      const seen = await expectExactly(client.name, 'http://backend.shop/', after.map((b) => b.pod));
      expect(seen.filter((b) => dead.includes(b))).toEqual([]);
    }
  }, 150_000);

  test('without the overlay (--overlay none, as the loopback dev cluster), a pod reaches a ClusterIP whose backend shares its bridge', async () => {
    const c = theCluster();
    // Last: node-4 is outside the overlay (no VTEP), so nothing else may be scheduled there before.
    const host = await c.addHost('node-4', { extraArgs: ['--overlay', 'none', '--dns-upstream', `${UPSTREAM.address}:${String(UPSTREAM.port)}`] });
    expect((await host.run('ip', ['link', 'show', 'dev', 'skiff.vx'])).code).not.toBe(0);
    await ctl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: { name: solo, labels: { app: solo } }
spec:
  nodeSelector: { kubernetes.io/hostname: node-4 }
  terminationGracePeriodSeconds: 1
  containers: [{ name: main, image: ${suite.image()}, command: ["/bin/sh", "-c", "hostname > /www/index.html; exec /bin/busybox httpd -f -p 8080 -h /www"] }]
---
apiVersion: v1
kind: Service
metadata: { name: solo }
spec:
  selector: { app: solo }
  ports: [{ port: 80, targetPort: 8080 }]
`,
    );
    await ctl(['apply', '-f', '-'], clientPod('client-4', 'node-4'));
    await runningPod(theCluster(), 'solo');
    await runningPod(theCluster(), 'client-4');
    // The bridge forwards the pod network only ('bridge' in host-safety.ts): no proxy ARP, the refusal behind it.
    expect((await host.run('cat', ['/proc/sys/net/ipv4/conf/skiff0/forwarding'])).stdout.trim()).toBe('1');
    expect((await host.run('cat', ['/proc/sys/net/ipv4/conf/skiff0/proxy_arp'])).stdout.trim()).toBe('0');
    expect((await host.run('cat', ['/proc/sys/net/ipv4/conf/eth0/forwarding'])).stdout.trim()).toBe('0');
    const body = await waitFor(
      async () => {
        const result = await execIn('client-4', ['/bin/busybox', 'timeout', '3', '/bin/busybox', 'wget', '-q', '-O-', 'http://solo/']);
        return result.code === 0 ? result.stdout.trim() : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: 'client-4 → http://solo/ (ClusterIP, backend on the same bridge)' },
    );
    expect(body).toBe('solo');
  }, 120_000);
});
