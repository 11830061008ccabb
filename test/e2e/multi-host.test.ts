// Three agent hosts and a control-plane host, each a network namespace on a
// LAN whose bridge lives in a namespace of its own (the multi-host harness,
// packages/testkit/src/multi-host-cluster.ts). The control plane listens only
// on its LAN address, over TLS; the agents join with the token, run a
// deployment across all three hosts, and serve their pods' logs to the control
// plane over mutual TLS. An agent with a bad token gets no Node.
//
// Needs root. Network safety: nothing in this file talks to a LAN or pod
// address from the root namespace. ctl runs inside the control-plane host,
// wget inside the pod's own host (whose route to the pod is its own bridge,
// checked first); the registry on this machine's loopback reaches the LAN
// through the harness's relay.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatJoinToken, parseJoinToken, type Node, type Pod } from '@skiff/api';
import { BUSYBOX_INDEX_HTML, LAN_NETWORK, waitFor, type ClusterHost } from '@skiff/testkit';
import { useBusyboxHosts } from '../harness/busybox-hosts.js';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const HOSTS = ['node-1', 'node-2', 'node-3'];
const REPLICAS = 6;

// 2 cpus per node and 800m per replica: two replicas fit on a node, so six need all three.
const suite = useBusyboxHosts('multi-host', { hosts: HOSTS.length, agent: { cpu: '2', memory: '2Gi', pods: '20' } });
const { skip, cluster: theCluster, ctl } = suite;

async function nodes(): Promise<Node[]> {
  return (JSON.parse(await ctl(['get', 'nodes', '-o', 'json'])) as { items: Node[] }).items;
}

async function pods(): Promise<Pod[]> {
  return (JSON.parse(await ctl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as { items: Pod[] }).items;
}

const ready = (pod: Pod): boolean =>
  pod.status?.phase === 'Running' && Boolean(pod.status.podIP) && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** `ip route get` in the root namespace: refused (the blackhole) for every LAN address. */
async function rootRoute(address: string): Promise<string> {
  return run('ip', ['route', 'get', address]).then(
    ({ stdout }) => stdout.trim(),
    () => 'refused',
  );
}

/** GET http://IP:8080/ from inside `host`, after checking that the host routes IP to its own pod bridge. */
async function httpGetInside(host: ClusterHost, podIp: string): Promise<string> {
  const route = await host.run('ip', ['route', 'get', podIp]);
  expect(route.stdout, `${host.name} routes ${podIp}`).toMatch(/ dev skiff0 /);
  const got = await host.run('timeout', ['5', 'busybox', 'wget', '-q', '-O-', `http://${podIp}:8080/`]);
  expect(got.code, got.stderr).toBe(0);
  return got.stdout;
}

/** Prints {tls: {authorized, alpn, san}, plaintextAnswerBytes} for HOST PORT CA-FILE: one TLS handshake, one cleartext HTTP/2 attempt. */
const TRANSPORT_PROBE = `const [host, port, caFile] = process.argv.slice(1);
const tlsResult = new Promise((resolve) => {
  const socket = require('node:tls').connect({ host, port: Number(port), ca: require('node:fs').readFileSync(caFile), ALPNProtocols: ['h2'] }, () => {
    resolve({ authorized: socket.authorized, alpn: socket.alpnProtocol, san: socket.getPeerCertificate().subjectaltname });
    socket.end();
  });
  socket.on('error', (error) => resolve({ error: error.message }));
});
// The client preface of cleartext HTTP/2 (what a plaintext gRPC client sends), then what comes back until the server closes.
const plaintext = new Promise((resolve) => {
  const socket = require('node:net').connect(Number(port), host, () => socket.write('PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n'));
  let answered = 0;
  socket.on('data', (data) => { answered += data.length; });
  socket.on('error', () => undefined);
  socket.on('close', () => resolve(answered));
});
Promise.all([tlsResult, plaintext]).then(([tls, plaintextAnswerBytes]) => console.log(JSON.stringify({ tls, plaintextAnswerBytes })));`;

const web = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${REPLICAS}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: httpd
          image: IMAGE
          command: ["/bin/sh", "-c", "echo serving on $(hostname); exec /bin/busybox httpd -f -p 8080 -h /www"]
          ports: [{ containerPort: 8080 }]
          resources:
            requests: { cpu: 800m, memory: 32Mi }
            limits: { cpu: 800m, memory: 64Mi }
`;

describe.skipIf(skip)('a cluster of hosts on a LAN', () => {
  test('the LAN exists only inside namespaces, and the control plane listens only on its LAN address, over TLS', async () => {
    const c = theCluster();
    expect(c.lan.subnet).toMatch(/^10\.77\.\d+\.0\/24$/);
    expect((await run('ip', ['-4', '-o', 'addr', 'show', 'to', LAN_NETWORK])).stdout).toBe('');
    for (const address of [c.controlPlane.lanAddress, ...c.hosts.map((h) => h.lanAddress)]) expect(await rootRoute(address)).toBe('refused');
    expect((await run('ip', ['route', 'show', 'exact', c.lan.subnet, 'type', 'blackhole'])).stdout).toMatch(/metric 4000/);

    expect(c.controlPlane.grpcAddress).toBe(`${c.controlPlane.lanAddress}:7400`);
    // ctl's gRPC server is listed in the skiff.dev/servers extension (`server:` is the REST API's, for kubectl).
    expect(readFileSync(c.controlPlane.adminKubeconfig, 'utf8')).toContain(`- https://${c.controlPlane.grpcAddress}`);
    const listening = await c.controlPlane.run('ss', ['-Hltn', 'sport', '=', ':7400']);
    expect(listening.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/)[3])).toEqual([c.controlPlane.grpcAddress]);
    // From another host: a TLS handshake verifies against the cluster CA for the LAN address; plaintext HTTP/2 gets not a byte back.
    const probe = await c.host('node-1').run(process.execPath, ['-e', TRANSPORT_PROBE, c.controlPlane.lanAddress, '7400', join(c.controlPlane.dataDir, 'pki', 'ca.crt')]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual({ tls: { authorized: true, alpn: 'h2', san: expect.stringContaining(`IP Address:${c.controlPlane.lanAddress}`) }, plaintextAnswerBytes: 0 });
  });

  test('three agents joined with the token: Nodes Ready, annotated with the token, addressed on the LAN', async () => {
    const c = theCluster();
    const token = parseJoinToken(readFileSync(c.controlPlane.tokenFile, 'utf8'));
    const all = await waitFor(
      async () => {
        const listed = await nodes();
        const readyNodes = listed.filter((n) => n.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'));
        return readyNodes.length === HOSTS.length ? listed : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'three Ready nodes' },
    );
    expect(all.map((n) => n.metadata.name).sort()).toEqual(HOSTS);
    const podCidrs = new Set<string>();
    for (const host of c.hosts) {
      const node = all.find((n) => n.metadata.name === host.name);
      expect(node?.metadata.annotations?.['skiff.io/join-token']).toBe(token.id);
      expect(node?.metadata.annotations?.['skiff.io/certificate-serials']).toMatch(/^[0-9a-f]+$/);
      expect(node?.status?.addresses).toEqual([{ type: 'InternalIP', address: host.lanAddress }]);
      expect(node?.status?.daemonEndpoints?.agentEndpoint?.address).toBe(`${host.lanAddress}:7410`);
      expect(node?.spec.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
      podCidrs.add(node?.spec.podCIDR ?? '');
    }
    expect(podCidrs.size).toBe(HOSTS.length);
  });

  test(`a deployment of ${REPLICAS} replicas runs on all three hosts, and each pod answers HTTP inside its host`, async () => {
    const c = theCluster();
    await ctl(['apply', '-f', '-'], web.replace('IMAGE', suite.image()));
    const running = await waitFor(
      async () => {
        const current = await pods();
        return current.length === REPLICAS && current.every(ready) ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: `${REPLICAS} ready web pods` },
    );
    for (const name of HOSTS) expect(running.filter((p) => p.spec.nodeName === name), `pods on ${name}`).toHaveLength(2);
    expect(new Set(running.map((p) => p.status?.podIP)).size).toBe(REPLICAS);
    for (const pod of running) {
      const host = c.host(pod.spec.nodeName ?? '');
      expect(await httpGetInside(host, pod.status?.podIP ?? '')).toBe(BUSYBOX_INDEX_HTML);
    }
  }, 180_000);

  test('ctl logs reaches every agent through the control plane, over mutual TLS', async () => {
    const running = await pods();
    expect(new Set(running.map((p) => p.spec.nodeName))).toEqual(new Set(HOSTS));
    for (const pod of running) {
      const name = pod.metadata.name;
      const logs = await waitFor(
        async () => {
          const result = await theCluster().ctl(['logs', name]);
          return result.code === 0 && result.stdout !== '' ? result.stdout : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250, description: `the logs of ${name} on ${pod.spec.nodeName ?? '?'}` },
      );
      expect(logs).toBe(`serving on ${name}\n`);
    }
  }, 120_000);

  test('a fourth agent with a bad token is refused, and no Node appears', async () => {
    const c = theCluster();
    const token = parseJoinToken(readFileSync(c.controlPlane.tokenFile, 'utf8'));
    const dir = suite.workDir();
    // The right CA and token id, a wrong secret: the control plane refuses it.
    const wrongSecret = join(dir, 'wrong-secret.token');
    await writeFile(wrongSecret, formatJoinToken({ ...token, secret: 'x'.repeat(16) }), { mode: 0o600 });
    await expect(c.addHost('intruder', { tokenFile: wrongSecret })).rejects.toThrow(/refused join token/);
    // A token pinning another CA: the agent refuses the control plane before it sends anything.
    const wrongCa = join(dir, 'wrong-ca.token');
    await writeFile(wrongCa, formatJoinToken({ ...token, caHash: 'a'.repeat(64) }), { mode: 0o600 });
    await expect(c.addHost('impostor', { tokenFile: wrongCa })).rejects.toThrow(/presents no CA matching the join token's hash/);

    expect((await nodes()).map((n) => n.metadata.name).sort()).toEqual(HOSTS);
    expect(c.hosts.map((h) => h.name)).toEqual(HOSTS);
    const missing = await c.ctl(['get', 'node', 'intruder']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/i);
  }, 60_000);

  test('stop() removes the containers, cgroups, namespaces and routes the cluster made', async () => {
    const c = theCluster();
    const stateDirs = c.hosts.map((h) => h.agent.stateDir);
    const cgroupInstances = c.hosts.map((h) => h.agent.cgroupInstance);
    const namespaces = [c.lan.namespace, c.controlPlane.netns, ...c.hosts.map((h) => h.netns)];
    await c.stop();
    const netnsList = (await run('ip', ['netns', 'list'])).stdout;
    for (const ns of namespaces) expect(netnsList).not.toContain(ns);
    expect((await run('ip', ['route', 'show', 'exact', c.lan.subnet, 'type', 'blackhole'])).stdout).toBe('');
    for (const dir of stateDirs) expect(existsSync(dir), dir).toBe(false);
    // No container process (conmon, runc, the pods) outlived its agent.
    const { stdout: processes } = await run('ps', ['-eo', 'args']);
    for (const dir of stateDirs) expect(processes).not.toContain(dir);
    for (const instance of cgroupInstances) {
      const left = readdirSync('/sys/fs/cgroup').filter((controller) => existsSync(join('/sys/fs/cgroup', controller, 'skiff', instance)));
      expect(left, `cgroup dirs of ${instance}`).toEqual([]);
    }
  }, 120_000);
});
