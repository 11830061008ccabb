// Needs root (network namespaces, veth pairs, routes). Traffic only ever goes
// from the namespace to the host-side veth address, over the veth: the server
// below listens on that address, and createNamespaceHost() has checked the
// route both ways before returning.
import { execFileSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { createNamespaceHost, type NamespaceHost } from './network-namespace-host.js';

// Subnets of their own, so this file can run next to the partition suite (10.250.1.0/30).
const SUBNET_A = '10.250.9.0/30';
const SUBNET_B = '10.250.10.0/30';
const SURROUNDING = '10.250.0.0/16';

const hosts: NamespaceHost[] = [];
const processes: ManagedProcess[] = [];
const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop(1000)));
  for (const server of servers) server.close();
  await Promise.all(hosts.map((h) => h.destroy()));
});

async function newHost(name: string, subnet: string): Promise<NamespaceHost> {
  const host = await createNamespaceHost({ name, subnet });
  hosts.push(host);
  return host;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A TCP server on the host-side address that hands each accepted socket to the test. */
async function listenOn(address: string): Promise<{ port: number; accepted: Promise<Socket> }> {
  const server = createServer();
  servers.push(server);
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('no TCP address');
  return { port: bound.port, accepted };
}

/** Runs a Node script inside the namespace. */
function nodeInside(host: NamespaceHost, name: string, script: string): ManagedProcess {
  const [command, ...args] = host.exec([process.execPath, '-e', script]);
  const child = startProcess({ name, command: command ?? 'ip', args });
  processes.push(child);
  return child;
}

/** A client inside the namespace that prints what it receives, and how its connection ends. */
function clientInside(host: NamespaceHost, port: number): ManagedProcess {
  return nodeInside(
    host,
    'client-in-namespace',
    `const socket = require('node:net').connect(${port}, '${host.hostAddress}', () => console.log('connected'));
     socket.setEncoding('utf8');
     socket.on('data', (data) => { for (const line of data.split('\\n')) if (line) console.log('got ' + line); });
     socket.on('error', (error) => console.log('error ' + error.code));
     socket.on('close', () => console.log('closed'));`,
  );
}

/** One connection attempt from inside the namespace: how it ended within 1.5 s. */
async function connectAttemptInside(host: NamespaceHost, port: number): Promise<string> {
  const probe = nodeInside(
    host,
    'probe-in-namespace',
    `const s = require('node:net').connect(${port}, '${host.hostAddress}', () => { console.log('connected'); process.exit(0); });
     s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
     setTimeout(() => { console.log('timed out'); process.exit(0); }, 1500);`,
  );
  const [line] = await probe.waitForLine(/^(connected|error .*|timed out)$/, 10_000);
  return line;
}

describe('createNamespaceHost', () => {
  it('wires a namespace to the root namespace over a veth, behind blackhole routes', async () => {
    const host = await newHost('unit', SUBNET_A);
    expect(host.namespace).toMatch(/^skt-unit-[0-9a-f]{6}$/);
    expect([host.hostAddress, host.namespaceAddress]).toEqual(['10.250.9.1', '10.250.9.2']);
    expect(ip(['netns', 'list'])).toContain(host.namespace);
    expect(ip(['route', 'get', host.namespaceAddress])).toMatch(new RegExp(`dev ${host.hostInterface}\\b`));
    expect(ip(['route', 'show', 'exact', SURROUNDING, 'type', 'blackhole'])).toMatch(/metric 4000/);
    expect(ip(['route', 'show', 'exact', SUBNET_A, 'type', 'blackhole'])).toMatch(/metric 4000/);
    // Loopback is up inside, and the namespace has no route but its own veth's.
    expect((await host.run(['ip', 'link', 'show', 'lo'])).stdout).toMatch(/[<,]UP[,>]/);
    expect((await host.run(['ip', '-4', 'route', 'show'])).stdout.trim()).toBe(`${SUBNET_A} dev ${host.namespaceInterface} proto kernel scope link src ${host.namespaceAddress}`);
  });

  it('partition() makes a live connection hang, not close, and heal() lets it carry on', async () => {
    const host = await newHost('unit-tcp', SUBNET_B);
    const { port, accepted } = await listenOn(host.hostAddress);
    const client = clientInside(host, port);
    await client.waitForLine(/^connected$/, 10_000);
    const socket = await accepted;
    let serverSawEnd = false;
    socket.on('end', () => (serverSawEnd = true)).on('close', () => (serverSawEnd = true)).on('error', () => (serverSawEnd = true));
    socket.write('one\n');
    await client.waitForLine(/^got one$/, 5000);

    await host.partition();
    expect(host.partitioned).toBe(true);
    // Root-namespace traffic for the namespace now meets the blackhole (the lookup fails) instead of any route.
    expect(() => ip(['route', 'get', host.namespaceAddress])).toThrow();
    socket.write('two\n');
    // A new connection from inside times out: nothing answers, nothing refuses.
    expect(await connectAttemptInside(host, port)).toBe('timed out');
    // Meanwhile (1.5 s into the partition) the written line has not crossed, and neither side saw the connection end.
    expect(client.output()).not.toMatch(/got two|closed|error/);
    expect(serverSawEnd).toBe(false);

    await host.heal();
    expect(host.partitioned).toBe(false);
    expect(ip(['route', 'get', host.namespaceAddress])).toMatch(new RegExp(`dev ${host.hostInterface}\\b`));
    // TCP retransmits what was written during the partition: the same connection carries on.
    await client.waitForLine(/^got two$/, 30_000);
    socket.write('three\n');
    await client.waitForLine(/^got three$/, 5000);
    expect(client.output()).not.toMatch(/closed|error/);
    socket.destroy();
  }, 60_000);

  it('destroy() removes the namespace, the veth and its blackhole; the shared /16 blackhole goes with the last address in it', async () => {
    const first = await newHost('unit-a', '10.250.11.0/30');
    const second = await newHost('unit-b', '10.250.12.0/30');
    await first.destroy();
    expect(ip(['netns', 'list'])).not.toContain(first.namespace);
    expect(ip(['link', 'show'])).not.toContain(first.hostInterface);
    expect(ip(['route', 'show', 'exact', '10.250.11.0/30', 'type', 'blackhole']).trim()).toBe('');
    // The other host still relies on the /16 net.
    expect(ip(['route', 'show', 'exact', SURROUNDING, 'type', 'blackhole'])).toMatch(/metric 4000/);
    await second.destroy();
    await second.destroy(); // idempotent
    expect(ip(['netns', 'list'])).not.toContain(second.namespace);
    expect(ip(['link', 'show'])).not.toContain(second.hostInterface);
    // Gone unless another host (this file's or a parallel suite's) still has an address in the /16.
    const stillUsed = ip(['-4', '-o', 'addr', 'show', 'to', SURROUNDING]).trim() !== '';
    expect(ip(['route', 'show', 'exact', SURROUNDING, 'type', 'blackhole', 'proto', '250']).trim() !== '').toBe(stillUsed);
  });

  it('refuses subnets outside 10/8, in the pod network, misaligned or too small, and one already in use', async () => {
    for (const subnet of ['192.168.1.0/30', '10.244.5.0/30', '10.250.1.1/30', '10.250.1.0/31', '10.250.0.0/8', 'nonsense']) {
      await expect(createNamespaceHost({ name: 'bad', subnet }), subnet).rejects.toThrow(/subnet/);
    }
    await expect(createNamespaceHost({ name: 'Bad Name', subnet: '10.250.13.0/30' })).rejects.toThrow(/name/);
    const taken = await newHost('unit-taken', '10.250.14.0/30');
    await expect(createNamespaceHost({ name: 'again', subnet: '10.250.14.0/30' })).rejects.toThrow(/already in use/);
    await taken.destroy();
  });
});
