// BridgePodNetwork against the real kernel: namespaces, veth pairs, a bridge
// and routes. Everything uses test-only names (bridge sktest<random>, pod uids
// starting with a random token) and a /26 inside 10.244.250.0/24 that no other
// route uses, so a real agent (skiff0, 10.244.0.0/16) is never touched.
// Traffic goes only between namespaces on the test bridge and from the host to
// pods after `ip route get` has shown that the bridge carries it.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containsIp, formatIpv4, isRecord, messageOf, parseCidr, parseIpv4 } from '@skiff/api';
import { skipUnlessRoot, waitFor } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgePodNetwork } from './bridge-pod-network.js';
import { BLACKHOLE_METRIC, BRIDGE_RULE_PRIORITY } from './host-safety.js';
import { runIp, runIpJson } from './ip-command.js';
import { hostVethName, NETNS_DIR } from './pod-network-names.js';
import type { PodNetworkAttachment } from './pod-network.js';

const BUSYBOX = '/bin/busybox';

const token = randomBytes(3).toString('hex');
const bridge = `sktest${token}`;
let seq = 0;
/** A fresh pod uid whose first 12 characters (without dashes) are unique to this test run. */
function newUid(): string {
  seq += 1;
  return `${token}${String(seq).padStart(6, '0')}-0000-4000-8000-${randomBytes(6).toString('hex')}`;
}
const netnsNameOf = (attachment: PodNetworkAttachment): string => attachment.netnsPath.slice(NETNS_DIR.length + 1);

async function jsonArray(args: readonly string[]): Promise<Record<string, unknown>[]> {
  const value = await runIpJson(args);
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * Claims a /26 of 10.244.250.0/24 that no existing route overlaps, with a lock
 * file so that two test runs starting at once on this machine (several
 * engineers share it) never pick the same one.
 */
async function claimFreeSlice(): Promise<{ readonly index: number; readonly lockFile: string }> {
  const routes = await jsonArray(['route', 'show', 'root', '10.244.250.0/24']);
  const used = routes
    .map((route) => route['dst'])
    .filter((dst): dst is string => typeof dst === 'string')
    .map((dst) => parseCidr(dst.includes('/') ? dst : `${dst}/32`, 'route'));
  for (const index of [0, 1, 2, 3].sort(() => Math.random() - 0.5)) {
    const slice = parseCidr(`10.244.250.${index * 64}/26`, 'slice');
    if (used.some((r) => containsIp(slice, r.network) || containsIp(r, slice.network))) continue;
    const lockFile = join(tmpdir(), `skiff-podnet-test-slice-${index}.lock`);
    if (await takeLock(lockFile)) return { index, lockFile };
  }
  throw new Error('every /26 of 10.244.250.0/24 is in use by routes or other test runs; clean up first');
}

async function takeLock(lockFile: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
    // Held: by a live run, or left behind by a run that was killed (then take it over).
    const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
    await unlink(lockFile).catch(() => undefined);
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/** Inside a namespace, fetch a URL with busybox wget (its own -T option crashes the static build, so we time out here). */
function wgetIn(netnsName: string, url: string): Promise<string> {
  return runIp(['netns', 'exec', netnsName, BUSYBOX, 'wget', '-q', '-O', '-', url], { timeoutMs: 5_000 });
}

function httpGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

interface Httpd {
  readonly child: ChildProcess;
  readonly stderr: () => string;
}
const servers: Httpd[] = [];

/** busybox httpd in the foreground inside a pod's namespace (`ip netns exec` execs it, so the pid is httpd's). */
function startHttpd(netnsName: string, dir: string): Httpd {
  let stderr = '';
  const child = spawn('ip', ['netns', 'exec', netnsName, BUSYBOX, 'httpd', '-f', '-p', '8080', '-h', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const server = { child, stderr: () => stderr };
  servers.push(server);
  return server;
}

async function stopHttpd(server: Httpd): Promise<void> {
  const { child } = server;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (!exited()) {
    child.kill('SIGTERM');
    try {
      await waitFor(exited, { timeoutMs: 3_000, description: `httpd (pid ${child.pid}) to exit after SIGTERM` });
    } catch {
      child.kill('SIGKILL');
      await waitFor(exited, { timeoutMs: 3_000, description: `httpd (pid ${child.pid}) to exit after SIGKILL` });
    }
  }
  servers.splice(servers.indexOf(server), 1);
}

describe.skipIf(skipUnlessRoot({ commands: ['ip'], files: [BUSYBOX] }))('BridgePodNetwork on real namespaces (root)', () => {
  let clusterCidr = '';
  let podCidrA = '';
  let podCidrB = '';
  let scratch = '';
  let sliceLock = '';
  let stateA = '';
  let www = '';
  let netA: BridgePodNetwork;
  let netB: BridgePodNetwork;
  const instances: BridgePodNetwork[] = [];
  const attachedBy = new Map<string, BridgePodNetwork>();

  const attach = async (net: BridgePodNetwork, uid: string): Promise<PodNetworkAttachment> => {
    attachedBy.set(uid, net);
    return net.attach(uid);
  };

  beforeAll(async () => {
    const { index: k, lockFile } = await claimFreeSlice();
    sliceLock = lockFile;
    clusterCidr = `10.244.250.${k * 64}/26`;
    podCidrA = `10.244.250.${k * 64}/27`;
    podCidrB = `10.244.250.${k * 64 + 32}/27`;
    scratch = await mkdtemp(join(tmpdir(), 'skiff-podnet-'));
    stateA = join(scratch, 'state-a');
    www = join(scratch, 'www');
    await mkdir(www);
    await writeFile(join(www, 'index.html'), `hello from ${token}\n`);
    netA = new BridgePodNetwork({ stateDir: stateA, podCidr: podCidrA, clusterCidr, bridgeName: bridge });
    netB = new BridgePodNetwork({ stateDir: join(scratch, 'state-b'), podCidr: podCidrB, clusterCidr, bridgeName: bridge });
    instances.push(netA, netB);
  });

  afterAll(async () => {
    const problems: string[] = [];
    const attempt = async (what: string, action: () => Promise<unknown>): Promise<void> => {
      try {
        await action();
      } catch (error) {
        problems.push(`${what}: ${messageOf(error)}`);
      }
    };
    for (const server of [...servers]) await attempt('stopping httpd', () => stopHttpd(server));
    for (const [uid, net] of attachedBy) await attempt(`detaching ${uid}`, () => net.detach(uid));
    // Whatever detach missed (a failed test may have left half-made pods): namespaces and veths by name.
    const leftover = (await jsonArray(['netns', 'list'])).map((ns) => String(ns['name'])).filter((n) => n.startsWith(`skiff-${token}`));
    for (const ns of leftover) {
      await attempt(`deleting veth of ${ns}`, () => runIp(['link', 'delete', 'dev', hostVethName(ns)]).catch(() => ''));
      await attempt(`deleting netns ${ns}`, () => runIp(['netns', 'delete', ns]));
    }
    for (const port of await jsonArray(['link', 'show', 'master', bridge]).catch(() => [])) {
      await attempt(`deleting port ${String(port['ifname'])}`, () => runIp(['link', 'delete', 'dev', String(port['ifname'])]));
    }
    await runIp(['link', 'delete', 'dev', bridge]).catch(() => '');
    // Rules can exist more than once on old kernels: delete until none is left.
    for (let i = 0; i < 10; i += 1) {
      const gone = await runIp(['rule', 'delete', 'iif', bridge, 'priority', String(BRIDGE_RULE_PRIORITY), 'unreachable'])
        .then(() => false)
        .catch(() => true);
      if (gone) break;
    }
    if (clusterCidr !== '') {
      await runIp(['route', 'delete', 'blackhole', clusterCidr, 'metric', String(BLACKHOLE_METRIC)]).catch(() => '');
    }
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
    if (sliceLock !== '') await unlink(sliceLock).catch(() => undefined);

    // Prove it: nothing of ours is left in netns, links, rules or routes.
    const names = (await jsonArray(['netns', 'list'])).map((ns) => String(ns['name']));
    if (names.some((n) => n.startsWith(`skiff-${token}`))) problems.push(`namespaces left: ${names.join(', ')}`);
    const links = (await jsonArray(['link', 'show'])).map((l) => String(l['ifname']));
    if (links.includes(bridge)) problems.push(`bridge ${bridge} left`);
    const rules = await jsonArray(['rule', 'show']);
    if (rules.some((r) => r['iif'] === bridge)) problems.push(`rule for ${bridge} left`);
    if (clusterCidr !== '') {
      const routes = await jsonArray(['route', 'show', 'root', clusterCidr]);
      if (routes.length > 0) problems.push(`routes left: ${JSON.stringify(routes)}`);
    }
    if (problems.length > 0) throw new Error(`cleanup incomplete:\n${problems.join('\n')}`);
  });

  it('two agents sharing the bridge set it up concurrently: one bridge, both gateways, safety routes', async () => {
    await Promise.all([netA.ensureHost(), netB.ensureHost(), netA.ensureHost(), netB.ensureHost()]);
    await Promise.all([netA.ensureHost(), netB.ensureHost()]);

    const [details] = await jsonArray(['-details', 'address', 'show', 'dev', bridge]);
    expect(details?.['flags']).toContain('UP');
    expect(details?.['linkinfo']).toMatchObject({ info_kind: 'bridge' });
    const addresses = (Array.isArray(details?.['addr_info']) ? details['addr_info'] : [])
      .filter(isRecord)
      .filter((a) => a['family'] === 'inet')
      .map((a) => `${String(a['local'])}/${String(a['prefixlen'])}`)
      .sort();
    expect(addresses).toEqual([`${netA.gateway}/27`, `${netB.gateway}/27`].sort());

    // The kernel keeps the blackhole next to the bridge's connected routes, and the slices win over it.
    const blackholes = await jsonArray(['route', 'show', 'exact', clusterCidr]);
    expect(blackholes).toEqual([expect.objectContaining({ type: 'blackhole', dst: clusterCidr, metric: BLACKHOLE_METRIC })]);
    expect(await runIp(['route', 'get', formatIpv4(parseIpv4(netA.gateway) + 5)])).toContain(`dev ${bridge}`);
    const rules = (await jsonArray(['rule', 'show'])).filter((r) => r['iif'] === bridge);
    expect(rules).toEqual([expect.objectContaining({ priority: BRIDGE_RULE_PRIORITY })]);
    // Input route lookups only (no packet is sent): pods may reach the host, nothing beyond it.
    await expect(runIp(['route', 'get', '203.0.113.9', 'from', formatIpv4(parseIpv4(netA.gateway) + 5), 'iif', bridge])).rejects.toThrow(
      /No route to host/,
    );
    expect(await runIp(['route', 'get', netB.gateway, 'from', formatIpv4(parseIpv4(netA.gateway) + 5), 'iif', bridge])).toMatch(/^local /);
  });

  let podA: PodNetworkAttachment;
  let podB: PodNetworkAttachment;
  const uidA = newUid();
  const uidB = newUid();

  it('gives two pods distinct IPs from the slice, with namespace, veth and default route', async () => {
    podA = await attach(netA, uidA);
    podB = await attach(netA, uidB);
    expect(podA.ip).not.toBe(podB.ip);
    const slice = parseCidr(podCidrA, 'podCidr');
    for (const pod of [podA, podB]) {
      const ip = parseIpv4(pod.ip);
      expect(containsIp(slice, ip)).toBe(true);
      expect([slice.network, slice.network + 1, slice.network + 31]).not.toContain(ip);
      expect(existsSync(pod.netnsPath)).toBe(true);
      const ns = netnsNameOf(pod);
      expect(ns).toMatch(new RegExp(`^skiff-${token}0000\\d\\d$`));
      const [eth0] = await jsonArray(['-netns', ns, 'address', 'show', 'dev', 'eth0']);
      expect(eth0?.['flags']).toContain('UP');
      expect(JSON.stringify(eth0?.['addr_info'])).toContain(`"local":"${pod.ip}","prefixlen":26`);
      const [lo] = await jsonArray(['-netns', ns, 'link', 'show', 'dev', 'lo']);
      expect(lo?.['flags']).toContain('UP');
      expect(await jsonArray(['-netns', ns, 'route', 'show', 'default'])).toEqual([
        expect.objectContaining({ gateway: netA.gateway, dev: 'eth0' }),
      ]);
      const [host] = await jsonArray(['link', 'show', 'dev', hostVethName(ns)]);
      expect(host).toMatchObject({ master: bridge });
      expect(String(host?.['ifname']).length).toBeLessThanOrEqual(15);
    }
  });

  let httpdB: Httpd | undefined;

  it('pod A reaches an httpd in pod B', async () => {
    const nsA = netnsNameOf(podA);
    // On-link inside pod A (no gateway involved): the request cannot leave the bridge.
    const routeInA = await runIp(['-netns', nsA, 'route', 'get', podB.ip]);
    expect(routeInA).toContain('dev eth0');
    expect(routeInA).not.toContain(' via ');
    httpdB = startHttpd(netnsNameOf(podB), www);
    const body = await waitFor(
      async () => {
        if (httpdB?.child.exitCode !== null) throw new Error(`httpd exited: ${httpdB?.stderr() ?? ''}`);
        return wgetIn(nsA, `http://${podB.ip}:8080/`);
      },
      { timeoutMs: 15_000, description: `pod A to fetch http://${podB.ip}:8080/` },
    );
    expect(body).toBe(`hello from ${token}\n`);
  });

  it('the host reaches pod B over the bridge', async () => {
    // Only send once the kernel confirms the bridge (not the default route) carries it.
    const route = await runIp(['route', 'get', podB.ip]);
    expect(route).toMatch(new RegExp(`^${podB.ip.replaceAll('.', '\\.')} dev ${bridge} src ${netA.gateway.replaceAll('.', '\\.')} `));
    const body = await waitFor(() => httpGet(`http://${podB.ip}:8080/`, 3_000), {
      timeoutMs: 15_000,
      description: `the host to fetch http://${podB.ip}:8080/`,
    });
    expect(body).toBe(`hello from ${token}\n`);
  });

  it("a pod of the other agent on the shared bridge reaches pod B too (layer 2, cluster-wide prefix)", async () => {
    const podC = await attach(netB, newUid());
    expect(containsIp(parseCidr(podCidrB, 'podCidr'), parseIpv4(podC.ip))).toBe(true);
    const nsC = netnsNameOf(podC);
    const route = await runIp(['-netns', nsC, 'route', 'get', podB.ip]);
    expect(route).toContain('dev eth0');
    expect(route).not.toContain(' via ');
    const body = await waitFor(() => wgetIn(nsC, `http://${podB.ip}:8080/`), {
      timeoutMs: 15_000,
      description: `pod C (agent B) to fetch http://${podB.ip}:8080/`,
    });
    expect(body).toBe(`hello from ${token}\n`);
  });

  it('attach is idempotent and repairs a missing veth without changing the IP', async () => {
    expect(await netA.attach(uidA)).toEqual(podA);
    expect(await Promise.all([netA.attach(uidA), netA.attach(uidA)])).toEqual([podA, podA]);
    expect((await readdir(stateA)).filter((n) => !n.startsWith('.'))).toHaveLength(2);

    const veth = hostVethName(netnsNameOf(podA));
    await runIp(['link', 'delete', 'dev', veth]);
    expect(await netA.attach(uidA)).toEqual(podA);
    const [host] = await jsonArray(['link', 'show', 'dev', veth]);
    expect(host).toMatchObject({ master: bridge });
    expect(host?.['flags']).toContain('UP');
    // Repaired for real: pod A reaches pod B again.
    expect(
      await waitFor(() => wgetIn(netnsNameOf(podA), `http://${podB.ip}:8080/`), {
        timeoutMs: 15_000,
        description: 'pod A to reach pod B after the repair',
      }),
    ).toBe(`hello from ${token}\n`);
  });

  it('a new instance on the same stateDir reports the same attachments and drops stale ones', async () => {
    const uidS = newUid();
    const stale = await attach(netA, uidS);
    // Its namespace disappears behind the agent's back (as after a reboot).
    await runIp(['netns', 'delete', netnsNameOf(stale)]);

    const restarted = new BridgePodNetwork({ stateDir: stateA, podCidr: podCidrA, clusterCidr, bridgeName: bridge });
    const existing = await restarted.existing();
    expect(existing).toEqual(
      new Map([
        [uidA, podA],
        [uidB, podB],
      ]),
    );
    expect((await readdir(stateA)).filter((n) => !n.startsWith('.')).sort()).toEqual([podA.ip, podB.ip].sort());
    await expect(runIp(['link', 'show', 'dev', hostVethName(netnsNameOf(stale))])).rejects.toThrow(/does not exist|Cannot find/);
    // The restarted instance attaches the known pod to the same place.
    expect(await restarted.attach(uidA)).toEqual(podA);
  });

  it('detach removes the namespace and veth, is idempotent, and frees the IP for reuse', async () => {
    if (httpdB !== undefined) await stopHttpd(httpdB);
    const nsB = netnsNameOf(podB);
    await netA.detach(uidB);
    expect(existsSync(podB.netnsPath)).toBe(false);
    expect((await jsonArray(['netns', 'list'])).map((ns) => ns['name'])).not.toContain(nsB);
    await expect(runIp(['link', 'show', 'dev', hostVethName(nsB)])).rejects.toThrow(/does not exist|Cannot find/);
    expect(await readdir(stateA)).not.toContain(podB.ip);
    await netA.detach(uidB);
    await netA.detach(newUid()); // never attached

    const uidD = newUid();
    const podD = await attach(netA, uidD);
    expect(podD.ip).toBe(podB.ip);
    expect(netnsNameOf(podD)).not.toBe(nsB);
  });

  it('concurrent attach of 10 pods yields 10 distinct IPs, and concurrent detach removes them all', async () => {
    const uids = Array.from({ length: 10 }, () => newUid());
    const pods = await Promise.all(uids.map((uid) => attach(netA, uid)));
    expect(new Set(pods.map((p) => p.ip)).size).toBe(10);
    expect(new Set(pods.map((p) => p.netnsPath)).size).toBe(10);
    const taken = [podA.ip, podB.ip];
    for (const pod of pods) {
      expect(taken).not.toContain(pod.ip);
      expect(existsSync(pod.netnsPath)).toBe(true);
    }
    const ports = await jsonArray(['link', 'show', 'master', bridge]);
    for (const pod of pods) expect(ports.map((p) => p['ifname'])).toContain(hostVethName(netnsNameOf(pod)));

    await Promise.all(uids.map((uid) => netA.detach(uid)));
    for (const pod of pods) expect(existsSync(pod.netnsPath)).toBe(false);
    expect((await readdir(stateA)).filter((n) => !n.startsWith('.'))).toHaveLength(2); // pod A and pod D
  });

  it('pods whose uids share the first 12 characters get distinct namespaces', async () => {
    const prefix = `${token}999999`;
    const uidX = `${prefix}-0000-4000-8000-${randomBytes(6).toString('hex')}`;
    const uidY = `${prefix}-1111-4000-8000-${randomBytes(6).toString('hex')}`;
    const [podX, podY] = await Promise.all([attach(netA, uidX), attach(netA, uidY)]);
    expect(podX?.ip).not.toBe(podY?.ip);
    expect([netnsNameOf(podX), netnsNameOf(podY)].sort()).toEqual([`skiff-${prefix}`, `skiff-${prefix}-1`]);
    expect(await netA.attach(uidX)).toEqual(podX);
    expect(await netA.attach(uidY)).toEqual(podY);
    await netA.detach(uidX);
    expect(existsSync(podY.netnsPath)).toBe(true);
    await netA.detach(uidY);
    expect(existsSync(podY.netnsPath)).toBe(false);
  });
});
