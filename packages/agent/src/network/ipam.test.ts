// Unit tests for the parts of pod networking that need no privileges: CIDR
// arithmetic, the file-backed IPAM, naming and configuration checks.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgePodNetwork } from './bridge-pod-network.js';
import { checkPodNetworkPrivileges } from './pod-network-error.js';
import { hostVethName, netnsBaseName, netnsCandidateName, podMacAddress } from './pod-network-names.js';
import { containsCidr, containsIp, formatIpv4, lastAddress, parseCidr, parseIpv4 } from '@skiff/api';
import { FileIpam, IpamExhaustedError } from './ipam.js';

describe('cidr', () => {
  it('parses and formats addresses and networks', () => {
    expect(formatIpv4(parseIpv4('10.244.1.5'))).toBe('10.244.1.5');
    expect(formatIpv4(parseIpv4('255.255.255.255'))).toBe('255.255.255.255');
    const slice = parseCidr('10.244.1.0/24', 'podCidr');
    expect(formatIpv4(slice.network)).toBe('10.244.1.0');
    expect(formatIpv4(lastAddress(slice))).toBe('10.244.1.255');
    expect(containsIp(slice, parseIpv4('10.244.1.77'))).toBe(true);
    expect(containsIp(slice, parseIpv4('10.244.2.1'))).toBe(false);
    expect(containsCidr(parseCidr('10.244.0.0/16', 'c'), slice)).toBe(true);
    expect(containsCidr(slice, parseCidr('10.244.0.0/16', 'c'))).toBe(false);
    expect(formatIpv4(lastAddress(parseCidr('0.0.0.0/0', 'all')))).toBe('255.255.255.255');
  });

  it('rejects malformed input with the setting name and a suggestion', () => {
    expect(() => parseIpv4('10.244.1')).toThrow(/not an IPv4 address/);
    expect(() => parseIpv4('10.244.1.256')).toThrow(/"256"/);
    expect(() => parseIpv4('10.244.01.1')).toThrow(/not an IPv4 address/);
    expect(() => parseCidr('10.244.1.0', 'podCidr')).toThrow(/podCidr "10.244.1.0" is not a CIDR/);
    expect(() => parseCidr('10.244.1.0/33', 'podCidr')).toThrow(/invalid prefix length/);
    expect(() => parseCidr('10.244.1.7/24', 'podCidr')).toThrow(/did you mean 10.244.1.0\/24/);
  });
});

describe('FileIpam', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-ipam-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ipamFor = (cidr: string): FileIpam =>
    new FileIpam({ dir: join(dir, 'state'), cidr: parseCidr(cidr, 'podCidr'), reserved: [formatIpv4(parseCidr(cidr, 'podCidr').network + 1)] });

  it('hands out addresses after the network and gateway, one file each, and reads them back', async () => {
    const ipam = ipamFor('10.244.7.0/24');
    const a = await ipam.allocate('pod-a', 'skiff-a');
    const b = await ipam.allocate('pod-b', 'skiff-b');
    expect([a.ip, b.ip]).toEqual(['10.244.7.2', '10.244.7.3']);
    expect((await readdir(join(dir, 'state'))).filter((name) => !name.startsWith('.')).sort()).toEqual(['10.244.7.2', '10.244.7.3']);
    expect(JSON.parse(await readFile(join(dir, 'state', '10.244.7.2'), 'utf8'))).toMatchObject({
      version: 1,
      podUid: 'pod-a',
      netnsName: 'skiff-a',
    });
    expect(await ipam.findByPod('pod-b')).toEqual(b);
    expect(await ipam.list()).toEqual([a, b]);
  });

  it('never hands out the broadcast address and says how to fix exhaustion', async () => {
    const ipam = ipamFor('10.244.7.0/29'); // .0 network, .1 gateway, .2-.6 pods, .7 broadcast
    expect(ipam.capacity).toBe(5);
    const ips = [];
    for (let i = 0; i < 5; i += 1) ips.push((await ipam.allocate(`pod-${i}`, `ns-${i}`)).ip);
    expect(ips).toEqual(['10.244.7.2', '10.244.7.3', '10.244.7.4', '10.244.7.5', '10.244.7.6']);
    const exhausted = ipam.allocate('one-too-many', 'ns-x');
    await expect(exhausted).rejects.toBeInstanceOf(IpamExhaustedError);
    await expect(exhausted).rejects.toThrow(/no free pod IP left in 10.244.7.0\/29: all 5 addresses .*larger podCidr/);
  });

  it('gives concurrent allocations distinct addresses', async () => {
    const ipam = ipamFor('10.244.7.0/24');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ipam.allocate(`pod-${i}`, `ns-${i}`)));
    expect(new Set(results.map((r) => r.ip)).size).toBe(40);
    expect((await readdir(join(dir, 'state'))).filter((name) => !name.startsWith('.'))).toHaveLength(40);
    // No temporary files are left behind (they are written in a subdirectory, so the list stays cached meanwhile).
    expect((await readdir(join(dir, 'state'))).filter((name) => name.startsWith('.'))).toEqual(['.partial']);
    expect(await readdir(join(dir, 'state', '.partial'))).toEqual([]);
    expect((await ipam.list()).map((a) => a.podUid).sort()).toEqual(results.map((r) => r.podUid).sort());
  });

  it('skips addresses whose file exists even if it is unreadable, and ignores foreign files', async () => {
    const ipam = ipamFor('10.244.7.0/24');
    await ipam.allocate('first', 'ns-first'); // creates the directory
    await writeFile(join(dir, 'state', '10.244.7.3'), 'garbage');
    await writeFile(join(dir, 'state', '10.244.9.9'), 'another range');
    await writeFile(join(dir, 'state', 'README'), 'not an address');
    expect((await ipam.allocate('second', 'ns-second')).ip).toBe('10.244.7.4');
    expect((await ipam.list()).map((a) => a.podUid)).toEqual(['first', 'second']);
  });

  it('releases only the owner\'s address, idempotently, and reuses the lowest free one', async () => {
    const ipam = ipamFor('10.244.7.0/24');
    const a = await ipam.allocate('pod-a', 'ns-a');
    await ipam.allocate('pod-b', 'ns-b');
    expect(await ipam.release(a.ip, 'pod-b')).toBe(false);
    expect(await ipam.release(a.ip, 'pod-a')).toBe(true);
    expect(await ipam.release(a.ip, 'pod-a')).toBe(false);
    expect((await ipam.allocate('pod-c', 'ns-c')).ip).toBe(a.ip);
  });

  it('updates a record in place but refuses to update another pod\'s', async () => {
    const ipam = ipamFor('10.244.7.0/24');
    const a = await ipam.allocate('pod-a', 'ns-a');
    await ipam.update({ ...a, netnsName: 'ns-a-1' });
    expect(await ipam.read(a.ip)).toEqual({ ...a, netnsName: 'ns-a-1' });
    await expect(ipam.update({ ip: a.ip, podUid: 'pod-z', netnsName: 'x' })).rejects.toThrow(
      /not allocated to pod pod-z .*names pod-a/,
    );
  });

  it('keeps allocations for a new instance on the same directory', async () => {
    const first = ipamFor('10.244.7.0/24');
    const a = await first.allocate('pod-a', 'ns-a');
    const second = ipamFor('10.244.7.0/24');
    expect(await second.findByPod('pod-a')).toEqual(a);
    expect((await second.allocate('pod-b', 'ns-b')).ip).toBe('10.244.7.3');
  });

  it('lists from memory, yet sees what another instance on the directory changed', async () => {
    const first = ipamFor('10.244.7.0/24');
    const a = await first.allocate('pod-a', 'ns-a');
    expect(await first.list()).toEqual([a]);
    const second = ipamFor('10.244.7.0/24');
    const b = await second.allocate('pod-b', 'ns-b');
    expect(await first.list()).toEqual([a, b]);
    expect(await second.release(a.ip, 'pod-a')).toBe(true);
    expect(await first.list()).toEqual([b]);
    expect(await first.findByPod('pod-a')).toBeUndefined();
  });
});

describe('naming', () => {
  it('names namespaces after the first 12 uid characters without dashes', () => {
    expect(netnsBaseName('3f2a9c1e-77b0-4d1c-9e2f-0123456789ab')).toBe('skiff-3f2a9c1e77b0');
    expect(netnsCandidateName('3f2a9c1e-77b0-4d1c-9e2f-0123456789ab', 0)).toBe('skiff-3f2a9c1e77b0');
    expect(netnsCandidateName('3f2a9c1e-77b0-4d1c-9e2f-0123456789ab', 2)).toBe('skiff-3f2a9c1e77b0-2');
    // Characters unsafe in a file name fall back to a hash.
    expect(netnsBaseName('../etc/passwd')).toMatch(/^skiff-[0-9a-f]{12}$/);
  });

  it('derives host veth names within the 15-character limit', () => {
    const name = hostVethName('skiff-3f2a9c1e77b0');
    expect(name).toMatch(/^sk[0-9a-f]{13}$/);
    expect(hostVethName('skiff-3f2a9c1e77b0-1')).not.toBe(name);
  });

  it('derives a locally administered unicast MAC from the pod IP', () => {
    expect(podMacAddress('10.244.1.5')).toBe('0a:58:0a:f4:01:05');
  });
});

describe('configuration and privilege checks', () => {
  it('tells a non-root agent to use the process runtime', () => {
    expect(() => checkPodNetworkPrivileges(1000)).toThrow(/needs root \(this agent runs as uid 1000\).*process runtime/);
    expect(() => checkPodNetworkPrivileges(0)).not.toThrow();
  });

  it('rejects a podCidr outside the cluster, a too small slice and a bad bridge name', () => {
    const stateDir = '/nonexistent';
    expect(() => new BridgePodNetwork({ stateDir, podCidr: '10.245.1.0/24' })).toThrow(
      /podCidr 10.245.1.0\/24 is not inside clusterCidr 10.244.0.0\/16/,
    );
    expect(() => new BridgePodNetwork({ stateDir, podCidr: '10.244.1.0/31' })).toThrow(/too small/);
    expect(() => new BridgePodNetwork({ stateDir, podCidr: '10.244.1.0/24', bridgeName: 'a-very-long-bridge-name' })).toThrow(
      /not a usable interface name/,
    );
    const network = new BridgePodNetwork({ stateDir, podCidr: '10.244.1.0/24' });
    expect(network.gateway).toBe('10.244.1.1');
    expect(network.bridgeName).toBe('skiff0');
    expect(network.clusterCidr.text).toBe('10.244.0.0/16');
  });
});
