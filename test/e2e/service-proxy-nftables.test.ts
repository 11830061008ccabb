// The service proxy against real nftables: a node in miniature (a host
// namespace with a bridge, pods running busybox httpd, a client pod, an
// outside namespace), the proxy fed by a hand-filled catalog, traffic only
// between namespaces. Needs root.
import { HostCommands, ServiceProxy, TestCatalog, testService, testSlice, type ProxySync } from '@skiff/agent';
import type { Service } from '@skiff/api';
import { createProxyTopology, skipUnlessRoot, waitFor, type ProxyTopology } from '@skiff/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVICE_CIDR = '10.96.0.0/16';
const log = pino({ level: 'warn' });

describe.skipIf(skipUnlessRoot({ commands: ['nft', 'nsenter', 'busybox', 'conntrack'] }))('service proxy on nftables', () => {
  let topology: ProxyTopology;
  let host: HostCommands;
  const catalog = new TestCatalog();
  let proxy: ServiceProxy | undefined;
  const syncs: ProxySync[] = [];

  const startProxy = (): ServiceProxy => {
    const started = new ServiceProxy({
      catalog,
      host,
      log,
      clusterCidr: topology.podCidr,
      serviceCidr: SERVICE_CIDR,
      routeDevice: topology.bridge,
      minSyncMs: 50,
      onSynced: (sync) => syncs.push(sync),
    });
    started.start();
    return started;
  };

  /** Applies catalog changes and waits until the proxy has programmed them. */
  const programmed = async (change: () => void): Promise<void> => {
    const before = syncs.length;
    change();
    await waitFor(() => syncs.length > before, { timeoutMs: 10_000, description: 'the proxy to program the change' });
  };

  /** Who answers `count` requests to url from netns. */
  const answers = async (netns: string, url: string, count: number): Promise<string[]> => {
    const bodies: string[] = [];
    for (let i = 0; i < count; i += 1) bodies.push((await topology.get(netns, url)).body ?? 'error');
    return bodies;
  };

  beforeAll(async () => {
    topology = await createProxyTopology({ pods: 3, third: 41 });
    host = new HostCommands({ netns: topology.hostNetns });
    const [p1, p2, p3] = topology.pods;
    catalog.putService(testService('shop', 'web', '10.96.0.10'));
    catalog.putSlice(testSlice('shop', 'web', [p1!.ip, p2!.ip, p3!.ip]));
    proxy = startProxy();
    await waitFor(() => syncs.some((s) => s.full), { timeoutMs: 10_000, description: 'the first full sync' });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await topology?.destroy();
  });

  it('spreads requests to the VIP over every ready endpoint, from a pod and from the host', async () => {
    const bodies = await answers(topology.client.netns, 'http://10.96.0.10/', 30);
    expect(new Set(bodies)).toEqual(new Set(['pod1', 'pod2', 'pod3']));
    // The host's own processes: the output hook, and the route for the service CIDR.
    expect((await topology.get(topology.hostNetns, 'http://10.96.0.10/')).body).toMatch(/^pod[123]$/);
    const table = await host.nftCommand(['list', 'map', 'ip', 'skiff-proxy', 'service-ips']);
    expect(table).toContain('10.96.0.10 . tcp . 80 : goto svc-shop/web/tcp/80');
  });

  it('an unready endpoint gets no traffic, and a removed one no new connections', async () => {
    const [p1, p2, p3] = topology.pods;
    await programmed(() => catalog.putSlice(testSlice('shop', 'web', [p1!.ip, p2!.ip, p3!.ip], { unready: [p3!.ip] })));
    const bodies = await answers(topology.client.netns, 'http://10.96.0.10/', 20);
    expect(bodies).not.toContain('pod3');
    expect(new Set(bodies)).toEqual(new Set(['pod1', 'pod2']));
    await programmed(() => catalog.putSlice(testSlice('shop', 'web', [p1!.ip])));
    expect(new Set(await answers(topology.client.netns, 'http://10.96.0.10/', 10))).toEqual(new Set(['pod1']));
    const chains = await host.nftCommand(['list', 'table', 'ip', 'skiff-proxy']);
    expect(chains).toContain(`ep-shop/web/tcp/80__${p1!.ip}/80`);
    expect(chains).not.toContain(`ep-shop/web/tcp/80__${p2!.ip}/80`);
    await programmed(() => catalog.putSlice(testSlice('shop', 'web', [p1!.ip, p2!.ip, p3!.ip])));
  });

  it('ClientIP affinity keeps a client on one endpoint', async () => {
    const [p1, p2, p3] = topology.pods;
    await programmed(() => {
      catalog.putService(testService('shop', 'sticky', '10.96.0.11', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } }));
      catalog.putSlice(testSlice('shop', 'sticky', [p1!.ip, p2!.ip, p3!.ip]));
    });
    const fromClient = await answers(topology.client.netns, 'http://10.96.0.11/', 12);
    expect(new Set(fromClient).size).toBe(1);
    const set = await host.nftCommand(['list', 'ruleset']);
    expect(set).toContain(topology.client.ip);
  });

  it('NodePort answers on the node address from outside, and LoadBalancer is served the same way', async () => {
    const [p1, p2] = topology.pods;
    const spec = (nodePort: number, type: Service['spec']['type']): Partial<Service['spec']> => ({ type, ports: [{ protocol: 'TCP', port: 80, targetPort: 80, nodePort }] });
    await programmed(() => {
      catalog.putService(testService('shop', 'np', '10.96.0.12', spec(30080, 'NodePort')));
      catalog.putSlice(testSlice('shop', 'np', [p1!.ip, p2!.ip]));
      catalog.putService(testService('shop', 'lb', '10.96.0.13', spec(30081, 'LoadBalancer')));
      catalog.putSlice(testSlice('shop', 'lb', [p2!.ip]));
    });
    const bodies = await answers(topology.outsideNetns, `http://${topology.hostAddress}:30080/`, 16);
    expect(new Set(bodies)).toEqual(new Set(['pod1', 'pod2']));
    expect((await topology.get(topology.outsideNetns, `http://${topology.hostAddress}:30081/`)).body).toBe('pod2');
    // Also on the node's other address (the gateway), from a pod.
    expect((await topology.get(topology.client.netns, `http://${topology.gateway}:30081/`)).body).toBe('pod2');
  });

  it('hairpin: a pod reaches itself through its own Service', async () => {
    const [p1] = topology.pods;
    await programmed(() => {
      catalog.putService(testService('shop', 'self', '10.96.0.14'));
      catalog.putSlice(testSlice('shop', 'self', [p1!.ip]));
    });
    expect((await topology.get(p1!.netns, 'http://10.96.0.14/')).body).toBe('pod1');
  });

  it('a Service without endpoints rejects at once; ExternalName and headless Services get no rules', async () => {
    await programmed(() => {
      catalog.putService(testService('shop', 'empty', '10.96.0.15'));
      catalog.putService(testService('shop', 'ext', '', { type: 'ExternalName', externalName: 'db.example.test', ports: [] }));
      catalog.putService(testService('shop', 'headless', 'None'));
    });
    const answer = await topology.get(topology.client.netns, 'http://10.96.0.15/');
    expect(answer.error).toMatch(/refused/i);
    const ruleset = await host.nftCommand(['list', 'table', 'ip', 'skiff-proxy']);
    expect(ruleset).toContain('10.96.0.15 . tcp . 80 : goto reject-chain');
    expect(ruleset).not.toContain('shop/ext/');
    expect(ruleset).not.toContain('shop/headless/');
  });

  it('an established TCP connection through a VIP survives a proxy restart (full resync)', async () => {
    const [, p2] = topology.pods;
    await programmed(() => {
      catalog.putService(testService('shop', 'echo', '10.96.0.16', { ports: [{ protocol: 'TCP', port: 9000, targetPort: 9000 }] }));
      catalog.putSlice(testSlice('shop', 'echo', [p2!.ip], { port: 9000 }));
    });
    topology.spawn(p2!.netns, 'echo-server', process.execPath, ['-e', "require('net').createServer((c) => c.pipe(c)).listen(9000)"]);
    await waitFor(async () => (await topology.run(p2!.netns, 'sh', ['-c', 'busybox netstat -ltn | grep -q :9000'])).code === 0, { timeoutMs: 10_000, description: 'the echo server to listen' });
    // One connection for the whole test: a ping every 100 ms, every echo printed.
    const client = topology.spawn(topology.client.netns, 'echo-client', process.execPath, [
      '-e',
      "const s = require('net').connect(9000, '10.96.0.16'); let n = 0; s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => { console.log('ERROR ' + e.message); process.exit(1); }); setInterval(() => s.write('ping ' + (n++) + '\\n'), 100);",
    ]);
    await client.waitForLine(/ping 3$/, 10_000);
    await proxy?.stop();
    const fullBefore = syncs.filter((s) => s.full).length;
    proxy = startProxy();
    await waitFor(() => syncs.filter((s) => s.full).length > fullBefore, { timeoutMs: 10_000, description: 'the restarted proxy to resync the table' });
    const lastSeen = Number(/ping (\d+)\s*$/.exec(client.output())?.[1] ?? 0);
    await client.waitForLine(new RegExp(`ping ${lastSeen + 10}$`), 10_000);
    expect(client.output()).not.toContain('ERROR');
    expect(client.running).toBe(true);
    // The flow's DNAT lives in conntrack: the entry is still there, still to the pod.
    const entries = await topology.run(topology.hostNetns, 'conntrack', ['-L', '-p', 'tcp', '--orig-dst', '10.96.0.16']);
    expect(entries.stdout).toMatch(new RegExp(`ESTABLISHED src=${topology.client.ip} dst=10\\.96\\.0\\.16 .* src=${p2!.ip.replace(/\./g, '\\.')}`));
  });

  it('a UDP flow moves off a removed endpoint at once (its conntrack entries are deleted)', async () => {
    const [p1, p2] = topology.pods;
    const udpEcho = (name: string): string =>
      `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('${name}', r.port, r.address)); s.bind(5300, () => console.log('bound'));`;
    for (const pod of [p1!, p2!]) await topology.spawn(pod.netns, `udp-${pod.name}`, process.execPath, ['-e', udpEcho(pod.name)]).waitForLine(/bound/, 10_000);
    const dns = testService('shop', 'udp', '10.96.0.17', { ports: [{ protocol: 'UDP', port: 53, targetPort: 5300 }] });
    await programmed(() => {
      catalog.putService(dns);
      catalog.putSlice(testSlice('shop', 'udp', [p1!.ip], { port: 5300, protocol: 'UDP' }));
    });
    // One flow: the same source port all along, a datagram every 100 ms, every answer printed.
    const client = topology.spawn(topology.client.netns, 'udp-client', process.execPath, [
      '-e',
      "const s = require('dgram').createSocket('udp4'); s.on('message', (m) => console.log('from ' + m)); s.bind(40053, () => setInterval(() => s.send('q', 53, '10.96.0.17'), 100));",
    ]);
    await client.waitForLine(/from pod1/, 10_000);
    await programmed(() => catalog.putSlice(testSlice('shop', 'udp', [p2!.ip], { port: 5300, protocol: 'UDP' })));
    // Without the deletion the flow's conntrack entry would keep it on pod1 until it idles out (30 s and more).
    await client.waitForLine(/from pod2/, 5_000);
    await client.stop();
  });

  it('deleting a Service removes its map element and chains', async () => {
    await programmed(() => {
      catalog.deleteService('shop', 'self');
    });
    const ruleset = await host.nftCommand(['list', 'table', 'ip', 'skiff-proxy']);
    expect(ruleset).not.toContain('10.96.0.14');
    expect(ruleset).not.toContain('shop/self/');
  });
});
