// The pod network across hosts: three agent hosts on a LAN (the multi-host
// harness), each agent with its VXLAN device; a pod on node-1 reaches a pod on
// node-3 by its pod IP over TCP (busybox httpd + wget) and UDP (an echo), the
// peers' routes, neighbours and FDB entries are exactly the other nodes' (also
// after an agent restart, which removes a stale entry left behind), and a node
// removed from the cluster disappears from the others' overlay.
//
// Needs root. Network safety: nothing here sends to a LAN or pod address from
// the root namespace, and no host namespace has a route off the LAN (so even
// the one agent started with --masquerade-outside, to check its tables, has
// nowhere to send to). Clients run inside a pod's own network namespace (the
// agent's IPAM file names it) or inside a host's; `ip`, `bridge` and `nft`
// only read and write tables inside the hosts' namespaces.
import { VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION, type Node } from '@skiff/api';
import {
  AGENT_MAIN,
  BUSYBOX_INDEX_HTML,
  inNetworkNamespace,
  runCommand,
  startProcess,
  waitFor,
  type ClusterHost,
  type ManagedProcess,
} from '@skiff/testkit';
import { podNetns, runningPod, useBusyboxHosts } from '../harness/busybox-hosts.js';
import { describe, expect, test } from 'vitest';

const HOSTS = ['node-1', 'node-2', 'node-3'];
const VX = 'skiff.vx';
const UDP_PORT = 9000;

let udpEcho: ManagedProcess | undefined;
const suite = useBusyboxHosts('pod-overlay', { hosts: HOSTS.length, agent: { cpu: '2', memory: '2Gi', pods: '20' } }, {
  requires: ['bridge'],
  beforeStop: async () => {
    await udpEcho?.stop();
  },
});
const { skip, cluster: theCluster, ctl } = suite;

async function nodes(): Promise<Node[]> {
  return (JSON.parse(await ctl(['get', 'nodes', '-o', 'json'])) as { items: Node[] }).items;
}

/** `ip -json ARGS` (or `bridge -json`) inside `host`. */
async function json(host: ClusterHost, command: 'ip' | 'bridge', args: string[]): Promise<unknown[]> {
  const result = await host.run(command, ['-json', ...args]);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} on ${host.name}: ${result.stderr}`);
  return result.stdout.trim() === '' ? [] : (JSON.parse(result.stdout) as unknown[]);
}

/** What `host`'s vxlan device holds for its peers, sorted: one line per entry. */
async function overlayEntries(host: ClusterHost): Promise<{ routes: string[]; neighbours: string[]; fdb: string[] }> {
  const routes = (await json(host, 'ip', ['route', 'show', 'dev', VX])) as { dst: string; gateway?: string; flags?: string[] }[];
  const neighbours = (await json(host, 'ip', ['neigh', 'show', 'dev', VX])) as { dst: string; lladdr?: string; state?: string[] }[];
  const fdb = (await json(host, 'bridge', ['fdb', 'show', 'dev', VX])) as { mac: string; dst?: string }[];
  return {
    routes: routes.map((r) => `${r.dst} via ${r.gateway ?? '-'} ${(r.flags ?? []).join(',')}`).sort(),
    neighbours: neighbours.filter((n) => n.state?.includes('PERMANENT')).map((n) => `${n.dst} ${n.lladdr ?? '-'}`).sort(),
    fdb: fdb.filter((f) => f.dst !== undefined).map((f) => `${f.mac} ${f.dst ?? ''}`).sort(),
  };
}

/** The entries `host` should hold: one of each per other node in `peers`, from their Node objects. */
function expectedEntries(host: ClusterHost, all: Node[], peers: string[]): { routes: string[]; neighbours: string[]; fdb: string[] } {
  const others = all.filter((n) => n.metadata.name !== host.name && peers.includes(n.metadata.name));
  const vtepIp = (n: Node): string => (n.spec.podCIDR ?? '').split('/')[0] ?? '';
  const annotation = (n: Node, key: string): string => n.metadata.annotations?.[key] ?? '';
  return {
    routes: others.map((n) => `${n.spec.podCIDR ?? ''} via ${vtepIp(n)} onlink`).sort(),
    neighbours: others.map((n) => `${vtepIp(n)} ${annotation(n, VTEP_MAC_ANNOTATION)}`).sort(),
    fdb: others.map((n) => `${annotation(n, VTEP_MAC_ANNOTATION)} ${annotation(n, VTEP_ADDRESS_ANNOTATION)}`).sort(),
  };
}

async function waitForPeers(host: ClusterHost, peers: string[], description: string): Promise<void> {
  const all = await nodes();
  const expected = expectedEntries(host, all, peers);
  let last: unknown;
  await waitFor(
    async () => {
      last = await overlayEntries(host);
      return JSON.stringify(last) === JSON.stringify(expected);
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `${host.name}: ${description} (expected ${JSON.stringify(expected)}, last ${JSON.stringify(last)})` },
  );
}

/** A sysctl under /proc/sys/net/ipv4 as `host` sees it (the file is per network namespace). */
async function sysctl(host: ClusterHost, path: string): Promise<string> {
  const result = await host.run('cat', [`/proc/sys/net/ipv4/${path}`]);
  if (result.code !== 0) throw new Error(`${path} on ${host.name}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The policy routing rules for traffic from the pod bridge: "PRIORITY [to DST] lookup TABLE | unreachable". */
async function bridgeRules(host: ClusterHost): Promise<string[]> {
  const rules = (await json(host, 'ip', ['rule', 'show'])) as { priority: number; iif?: string; dst?: string; dstlen?: number; table?: string; action?: string }[];
  return rules
    .filter((r) => r.iif === 'skiff0')
    .map((r) => [String(r.priority), r.dst ? `to ${r.dst}/${String(r.dstlen)}` : '', r.action ?? `lookup ${r.table ?? '?'}`].filter((part) => part !== '').join(' '));
}

const pinned = (name: string, node: string, command: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${suite.image()}
      command: ["/bin/sh", "-c", "${command}"]
`;



/** Echoes every datagram back to its sender, prefixed with the address it came from. */
const UDP_ECHO = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(Buffer.from(r.address + ' ' + m), r.port, r.address));
s.bind(Number(process.argv[1]), () => console.log('listening'));`;
/** Sends one datagram to HOST PORT (again every 200 ms, UDP may drop one) and prints the first answer. */
const UDP_ASK = `const [host, port] = process.argv.slice(1);
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m) => { console.log(String(m)); process.exit(0); });
const send = () => s.send('over the overlay', Number(port), host);
send(); setInterval(send, 200); setTimeout(() => process.exit(3), 10000);`;

describe.skipIf(skip)('the pod network across hosts (VXLAN overlay)', () => {
  test('each host has one vxlan device on its LAN link, MTU 50 below it, holding its VTEP address, published on its Node', async () => {
    const all = await waitFor(
      async () => {
        const listed = await nodes();
        return listed.length === HOSTS.length && listed.every((n) => n.metadata.annotations?.[VTEP_MAC_ANNOTATION]) ? listed : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'three Nodes with VTEP annotations' },
    );
    const macs = new Set<string>();
    for (const host of theCluster().hosts) {
      const node = all.find((n) => n.metadata.name === host.name);
      expect(node?.metadata.annotations?.[VTEP_ADDRESS_ANNOTATION]).toBe(host.lanAddress);
      const [link] = (await json(host, 'ip', ['-details', 'link', 'show', 'dev', VX])) as {
        mtu: number;
        address: string;
        linkinfo: { info_kind: string; info_data: Record<string, unknown> };
      }[];
      const [lan] = (await json(host, 'ip', ['link', 'show', 'dev', 'eth0'])) as { mtu: number }[];
      expect(link?.linkinfo.info_kind).toBe('vxlan');
      expect(link?.linkinfo.info_data).toMatchObject({ id: 1, port: 8472, local: host.lanAddress, link: 'eth0', learning: false });
      expect(link?.mtu).toBe((lan?.mtu ?? 0) - 50);
      expect(link?.address).toBe(node?.metadata.annotations?.[VTEP_MAC_ANNOTATION]);
      macs.add(link?.address ?? '');
      const [addresses] = (await json(host, 'ip', ['-4', 'address', 'show', 'dev', VX])) as { addr_info: { local: string; prefixlen: number }[] }[];
      expect(addresses?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${(node?.spec.podCIDR ?? '').split('/')[0] ?? ''}/32`]);
      const table = await host.run('nft', ['list', 'table', 'inet', 'skiff-overlay']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toContain(`iifname "skiff0" oifname "${VX}" ip daddr 10.244.0.0/16 accept`);
      // Off in tests: nothing is masqueraded towards the outside, and the LAN link forwards only DNAT'd flows (NodePorts) to pods.
      expect(table.stdout).not.toContain('masquerade');
      expect(table.stdout).toContain('iifname "eth0" ct status != dnat drop');
      // The tunnel's own packets are not tracked (overlay-nft.ts); the pods' flows inside them are.
      expect(table.stdout).toContain(`oifname "eth0" ip saddr ${host.lanAddress} udp dport 8472 notrack`);
      expect(table.stdout).toContain(`iifname "eth0" ip daddr ${host.lanAddress} udp dport 8472 notrack`);
      expect(await sysctl(host, 'conf/eth0/forwarding')).toBe('1');
      // Per device only: the global switch stays off (and pods still reach each other, below).
      expect(await sysctl(host, 'ip_forward')).toBe('0');
      expect(await sysctl(host, 'conf/skiff0/forwarding')).toBe('1');
      expect(await sysctl(host, 'conf/skiff0/proxy_arp')).toBe('1');
      expect(await sysctl(host, `conf/${VX}/forwarding`)).toBe('1');
      // From the bridge the host routes the pod network only; the refusal of anything else stays behind it.
      // (998: marked replies of DNAT'd flows only, see overlay-nft.ts.)
      expect(await bridgeRules(host)).toEqual(['998 lookup main', '999 to 10.244.0.0/16 lookup main', '1000 unreachable']);
    }
    expect(macs.size).toBe(HOSTS.length);
  });

  test('every host holds exactly one route, neighbour and FDB entry per other node', async () => {
    for (const host of theCluster().hosts) await waitForPeers(host, HOSTS, 'the two other nodes');
  });

  test('a pod on node-1 reaches a pod on node-3 by pod IP over TCP and UDP, unmasqueraded, at the overlay MTU', async () => {
    const c = theCluster();
    await ctl(['apply', '-f', '-'], pinned('server', 'node-3', '/bin/busybox dd if=/dev/zero of=/www/big bs=1024 count=1024 2>/dev/null; exec /bin/busybox httpd -f -p 8080 -h /www'));
    await ctl(['apply', '-f', '-'], pinned('client', 'node-1', 'exec sleep 100000'));
    const server = await runningPod(theCluster(), 'server');
    const client = await runningPod(theCluster(), 'client');
    expect(server.spec.nodeName).toBe('node-3');
    expect(client.spec.nodeName).toBe('node-1');
    const serverIp = server.status?.podIP ?? '';
    const clientIp = client.status?.podIP ?? '';
    const clientNs = podNetns(theCluster(), client);

    // node-1 routes the server's slice through the tunnel; the pods' links carry the overlay's MTU.
    expect((await c.host('node-1').run('ip', ['route', 'get', serverIp])).stdout).toMatch(new RegExp(` dev ${VX.replace('.', '\\.')} `));
    const [eth0] = (JSON.parse((await runCommand('ip', ['-json', 'link', 'show', 'dev', 'eth0'], { netns: clientNs })).stdout) as { mtu: number }[]);
    expect(eth0?.mtu).toBe(1450);

    const got = await waitFor(
      async () => {
        const result = await runCommand('timeout', ['5', 'busybox', 'wget', '-q', '-O-', `http://${serverIp}:8080/`], { netns: clientNs });
        return result.code === 0 ? result.stdout : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: `wget from pod client (node-1) to ${serverIp}:8080 (node-3)` },
    );
    expect(got).toBe(BUSYBOX_INDEX_HTML);

    // Full-size segments: 1 MiB arrives whole (the pods' MTU fits inside the tunnel's, nothing needs fragmenting).
    const big = await runCommand('sh', ['-c', `timeout 20 busybox wget -q -O- http://${serverIp}:8080/big | wc -c`], { netns: clientNs });
    expect(big.code, big.stderr).toBe(0);
    expect(big.stdout.trim()).toBe('1048576');
    // node-3 sent that MiB by the send-side fast path (overlay-fast-path.ts): from the server's veth
    // straight into the tunnel, counted there; node-1's client veth has its chain too.
    const carried = await c.host('node-3').run('nft', ['list', 'chain', 'netdev', 'skiff-overlay-fast', 'to-peers']);
    expect(carried.code, carried.stderr).toBe(0);
    expect(Number(/counter packets \d+ bytes (\d+)/.exec(carried.stdout)?.[1] ?? 0)).toBeGreaterThanOrEqual(1_048_576);
    const clientTable = await c.host('node-1').run('nft', ['list', 'table', 'netdev', 'skiff-overlay-fast']);
    expect(clientTable.stdout).toMatch(/type filter hook ingress device "sk[0-9a-f]+" priority filter; policy accept;\n\s+jump to-peers/);

    const echo = inNetworkNamespace(podNetns(theCluster(), server), process.execPath, ['-e', UDP_ECHO, String(UDP_PORT)]);
    udpEcho = startProcess({ name: 'udp-echo', ...echo });
    await udpEcho.waitForLine(/listening/, 10_000);
    const answer = await runCommand(process.execPath, ['-e', UDP_ASK, serverIp, String(UDP_PORT)], { netns: clientNs, timeoutMs: 15_000 });
    expect(answer.code, answer.stderr).toBe(0);
    // The server saw the client's own pod IP: pod to pod is never masqueraded.
    expect(answer.stdout.trim()).toBe(`${clientIp} over the overlay`);
    await udpEcho.stop();
    udpEcho = undefined;
  }, 180_000);

  test('an agent restart leaves no duplicate and removes a stale entry left behind', async () => {
    const host = theCluster().host('node-1');
    const before = await overlayEntries(host);
    await host.agent.process.stop();
    // What a node deleted while this agent was down would have left: its route, neighbour and FDB entry.
    for (const [command, args] of [
      ['ip', ['route', 'replace', '10.244.200.0/24', 'via', '10.244.200.0', 'dev', VX, 'onlink']],
      ['ip', ['neigh', 'replace', '10.244.200.0', 'lladdr', '0a:5a:de:ad:be:ef', 'dev', VX, 'nud', 'permanent']],
      ['bridge', ['fdb', 'append', '0a:5a:de:ad:be:ef', 'dev', VX, 'dst', '10.77.255.254', 'self', 'permanent']],
    ] as const) {
      const result = await host.run(command, args);
      expect(result.code, result.stderr).toBe(0);
    }
    expect((await overlayEntries(host)).routes).toHaveLength(before.routes.length + 1);
    await host.agent.restart();
    await waitForPeers(host, HOSTS, 'after the restart, the same entries and nothing else');
    expect(await overlayEntries(host)).toEqual(before);
  }, 120_000);

  test('a node removed from the cluster leaves the others’ overlay, and its reset removes its own', async () => {
    const c = theCluster();
    const gone = c.host('node-3');
    await ctl(['delete', 'pod', 'server', 'client']).catch(() => undefined);
    await gone.agent.process.stop();
    const reset = await gone.run(process.execPath, [AGENT_MAIN, '--reset', '--name', gone.name, '--state-dir', gone.agent.stateDir, '--server', c.controlPlane.grpcAddress], { timeoutMs: 120_000 });
    expect(reset.code, reset.stderr).toBe(0);
    expect((await gone.run('ip', ['link', 'show', 'dev', VX])).code).not.toBe(0);
    expect((await gone.run('nft', ['list', 'table', 'inet', 'skiff-overlay'])).code).not.toBe(0);
    expect((await gone.run('nft', ['list', 'table', 'netdev', 'skiff-overlay-fast'])).code).not.toBe(0);
    expect(await sysctl(gone, 'conf/eth0/forwarding')).toBe('0');
    await ctl(['delete', 'node', gone.name]);
    for (const name of ['node-1', 'node-2']) await waitForPeers(c.host(name), ['node-1', 'node-2'], 'node-3 gone');
  }, 120_000);

  test('an agent with --masquerade-outside masquerades and forwards what leaves the pod network (configuration only: no traffic leaves)', async () => {
    const c = theCluster();
    const host = await c.addHost('node-4', { extraArgs: ['--masquerade-outside'] });
    await waitFor(async () => (await host.run('nft', ['list', 'table', 'inet', 'skiff-overlay'])).code === 0, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the overlay table on node-4',
    });
    const table = (await host.run('nft', ['list', 'table', 'inet', 'skiff-overlay'])).stdout;
    expect(table).toContain('ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 oifname != "skiff0" masquerade');
    expect(table).toContain('iifname "skiff0" oifname != "skiff.vx" ip daddr != 10.244.0.0/16 accept');
    await waitFor(async () => (await bridgeRules(host)).join() === '998 lookup main,999 lookup main,1000 unreachable', {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'node-4 routing everything from its bridge',
    });
    expect(await sysctl(host, 'conf/eth0/forwarding')).toBe('1');
    // The others did not change, and they and node-4 are peers.
    expect((await c.host('node-1').run('nft', ['list', 'table', 'inet', 'skiff-overlay'])).stdout).not.toContain('masquerade');
    for (const name of ['node-1', 'node-2', 'node-4']) await waitForPeers(c.host(name), ['node-1', 'node-2', 'node-4'], 'node-4 joined');
  }, 120_000);
});
