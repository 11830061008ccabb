// Needs root (network namespaces, veth pairs, routes). Traffic only goes
// between namespaces of the LAN under test: every client runs inside a host.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createLan, LAN_NETWORK, type Lan } from './lan.js';
import { skipUnlessRoot } from './root-suite.js';
import { runCommand } from './run-command.js';

const lans: Lan[] = [];

afterAll(async () => {
  await Promise.all(lans.map((lan) => lan.destroy()));
});

async function newLan(subnet?: string): Promise<Lan> {
  const lan = await createLan(subnet === undefined ? {} : { subnet });
  lans.push(lan);
  return lan;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function rootRoutes(address: string): boolean {
  try {
    ip(['route', 'get', address]);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skipUnlessRoot({ commands: ['nsenter', 'busybox'] }))('createLan', () => {
  it('puts hosts on a bridge in a namespace of its own, with nothing of the LAN in the root namespace', async () => {
    const lan = await newLan();
    const a = await lan.addHost('a');
    const b = await lan.addHost('b');
    const [, third] = /^10\.77\.(\d+)\.0\/24$/.exec(lan.subnet) ?? [];
    expect(third).toBeDefined();
    expect([a.lanAddress, b.lanAddress]).toEqual([`10.77.${third}.2`, `10.77.${third}.3`]);
    expect(ip(['netns', 'list'])).toContain(lan.namespace);
    expect(a.netns).toBe(`${lan.namespace}-a`);
    // The root namespace: no LAN address, no route to one (the blackholes refuse the lookup), no LAN link.
    expect(ip(['-4', '-o', 'addr', 'show', 'to', LAN_NETWORK])).toBe('');
    expect(rootRoutes(a.lanAddress)).toBe(false);
    expect(ip(['route', 'show', 'exact', lan.subnet, 'type', 'blackhole'])).toMatch(/metric 4000/);
    expect(ip(['route', 'show', 'exact', LAN_NETWORK, 'type', 'blackhole'])).toMatch(/metric 4000/);
    expect(ip(['-n', lan.namespace, '-o', 'link', 'show', 'master', 'br0'])).toMatch(/port0@.*port1@/s);
    // Host to host over the bridge; the host's only IPv4 route is the LAN's.
    const ping = await runCommand('busybox', ['ping', '-c', '1', '-W', '5', b.lanAddress], { netns: a.netns });
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    const routes = await runCommand('ip', ['-4', 'route', 'show'], { netns: a.netns });
    expect(routes.stdout.trim()).toBe(`${lan.subnet} dev eth0 proto kernel scope link src ${a.lanAddress}`);
  });

  it('gives a second LAN another subnet, and refuses a subnet another LAN has', async () => {
    const first = await newLan();
    const second = await newLan();
    expect(second.subnet).not.toBe(first.subnet);
    await expect(createLan({ subnet: first.subnet })).rejects.toThrow(/in use by another LAN/);
    await expect(createLan({ subnet: '10.78.0.0/24' })).rejects.toThrow(/inside 10\.77\.0\.0\/16/);
    await expect(createLan({ subnet: '10.77.0.0/23' })).rejects.toThrow(/must be a \/24/);
    await expect(first.addHost('Not A Name')).rejects.toThrow(/lowercase/);
  });

  it('destroy() removes the namespaces and the subnet\'s blackhole', async () => {
    const lan = await newLan();
    const host = await lan.addHost('gone');
    await lan.destroy();
    await lan.destroy(); // idempotent
    const namespaces = ip(['netns', 'list']);
    expect(namespaces).not.toContain(lan.namespace);
    expect(namespaces).not.toContain(host.netns);
    expect(ip(['route', 'show', 'exact', lan.subnet, 'type', 'blackhole'])).toBe('');
  });
});
