import { parseCidr, VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION, type Node } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { desiredEntries, isEmptyPlan, parseFdb, parseNeighbours, parseRoutes, peersOf, planOverlay, type LocalVtep } from './overlay-peers.js';

const local: LocalVtep = { nodeName: 'node-1', podCidr: parseCidr('10.244.1.0/24', 'p'), clusterCidr: parseCidr('10.244.0.0/16', 'c'), underlayIp: '10.77.0.2' };

const node = (name: string, podCIDR: string | undefined, vtep?: { ip: string; mac: string }): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, ...(vtep ? { annotations: { [VTEP_ADDRESS_ANNOTATION]: vtep.ip, [VTEP_MAC_ANNOTATION]: vtep.mac } } : {}) },
  spec: podCIDR ? { podCIDR } : {},
});

describe('peersOf', () => {
  it('takes every other node with a pod CIDR and a VTEP, its VTEP IP the network address of its slice', () => {
    const { peers, skipped } = peersOf(
      [
        node('node-3', '10.244.3.0/24', { ip: '10.77.0.4', mac: '0A:5A:00:00:00:03' }),
        node('node-1', '10.244.1.0/24', { ip: '10.77.0.2', mac: '0a:5a:00:00:00:01' }),
        node('node-2', '10.244.2.0/24', { ip: '10.77.0.3', mac: '0a:5a:00:00:00:02' }),
      ],
      local,
    );
    expect(skipped).toEqual([]);
    expect(peers).toEqual([
      { name: 'node-2', podCidr: '10.244.2.0/24', vtepIp: '10.244.2.0', underlayIp: '10.77.0.3', mac: '0a:5a:00:00:00:02' },
      { name: 'node-3', podCidr: '10.244.3.0/24', vtepIp: '10.244.3.0', underlayIp: '10.77.0.4', mac: '0a:5a:00:00:00:03' },
    ]);
  });

  it('leaves out, and says why, nodes that cannot be peers', () => {
    const { peers, skipped } = peersOf(
      [
        node('no-vtep', '10.244.4.0/24'),
        node('no-cidr', undefined, { ip: '10.77.0.5', mac: '0a:5a:00:00:00:05' }),
        node('outside', '10.99.0.0/24', { ip: '10.77.0.6', mac: '0a:5a:00:00:00:06' }),
        node('multicast-mac', '10.244.7.0/24', { ip: '10.77.0.7', mac: '01:00:5e:00:00:01' }),
        node('bad-ip', '10.244.8.0/24', { ip: 'ten', mac: '0a:5a:00:00:00:08' }),
        node('same-ip', '10.244.9.0/24', { ip: '10.77.0.2', mac: '0a:5a:00:00:00:09' }),
        node('dup-cidr', '10.244.1.0/24', { ip: '10.77.0.10', mac: '0a:5a:00:00:00:0a' }),
      ],
      local,
    );
    expect(peers).toEqual([]);
    expect(Object.fromEntries(skipped.map((s) => [s.name, s.reason]))).toEqual({
      'bad-ip': expect.stringContaining('"ten" is not an IPv4 address'),
      'dup-cidr': "spec.podCIDR 10.244.1.0/24 is node node-1's too",
      'multicast-mac': 'skiff.io/vtep-mac "01:00:5e:00:00:01" is not a unicast MAC address',
      'no-cidr': 'no spec.podCIDR yet',
      'no-vtep': 'no skiff.io/vtep-address / skiff.io/vtep-mac annotations (its agent runs no overlay)',
      outside: 'spec.podCIDR 10.99.0.0/24 is outside the pod network 10.244.0.0/16',
      'same-ip': "skiff.io/vtep-address 10.77.0.2 is this node's own address",
    });
  });
});

describe('planOverlay over what ip -json reports', () => {
  // As `ip -json route/neigh show dev skiff.vx` and `bridge -json fdb show dev skiff.vx` print them (iproute2 6.1).
  const routes = [
    { dst: '10.244.2.0/24', gateway: '10.244.2.0', flags: ['onlink'] },
    { dst: '10.244.5.0/24', gateway: '10.244.5.0', flags: ['onlink'] },
  ];
  const neighbours = [
    { dst: '10.244.2.0', lladdr: '0a:5a:00:00:00:02', state: ['PERMANENT'] },
    { dst: '10.244.5.0', lladdr: '0a:5a:00:00:00:05', state: ['PERMANENT'] },
    { dst: '10.244.9.9', state: ['FAILED'] },
  ];
  const fdb = [
    { mac: '0a:5a:00:00:00:02', dst: '10.77.0.3', flags: ['self'], state: 'permanent' },
    { mac: '0a:5a:00:00:00:05', dst: '10.77.0.6', flags: ['self'], state: 'permanent' },
    { mac: '33:33:00:00:00:01', flags: ['self'], state: 'permanent' },
  ];
  const current = { routes: parseRoutes(routes), neighbours: parseNeighbours(neighbours), fdb: parseFdb(fdb) };

  it('reads only the entries that are the overlay’s', () => {
    expect(current.neighbours.map((n) => n.ip)).toEqual(['10.244.2.0', '10.244.5.0']);
    expect(current.fdb).toEqual([
      { mac: '0a:5a:00:00:00:02', dst: '10.77.0.3' },
      { mac: '0a:5a:00:00:00:05', dst: '10.77.0.6' },
    ]);
  });

  it('adds a new peer, removes a gone one, and leaves an unchanged one alone', () => {
    const desired = desiredEntries([
      { name: 'node-2', podCidr: '10.244.2.0/24', vtepIp: '10.244.2.0', underlayIp: '10.77.0.3', mac: '0a:5a:00:00:00:02' },
      { name: 'node-3', podCidr: '10.244.3.0/24', vtepIp: '10.244.3.0', underlayIp: '10.77.0.4', mac: '0a:5a:00:00:00:03' },
    ]);
    expect(planOverlay(current, desired)).toEqual({
      fdbToAdd: [{ mac: '0a:5a:00:00:00:03', dst: '10.77.0.4' }],
      neighboursToSet: [{ ip: '10.244.3.0', mac: '0a:5a:00:00:00:03' }],
      routesToSet: [{ dst: '10.244.3.0/24', gateway: '10.244.3.0' }],
      routesToRemove: [{ dst: '10.244.5.0/24', gateway: '10.244.5.0' }],
      neighboursToRemove: [{ ip: '10.244.5.0', mac: '0a:5a:00:00:00:05' }],
      fdbToRemove: [{ mac: '0a:5a:00:00:00:05', dst: '10.77.0.6' }],
    });
  });

  it('rewrites a peer whose MAC and address changed in place, and removes its old FDB entry', () => {
    const desired = desiredEntries([
      { name: 'node-2', podCidr: '10.244.2.0/24', vtepIp: '10.244.2.0', underlayIp: '10.77.0.9', mac: '0a:5a:00:00:00:99' },
      { name: 'node-5', podCidr: '10.244.5.0/24', vtepIp: '10.244.5.0', underlayIp: '10.77.0.6', mac: '0a:5a:00:00:00:05' },
    ]);
    const plan = planOverlay(current, desired);
    expect(plan.neighboursToSet).toEqual([{ ip: '10.244.2.0', mac: '0a:5a:00:00:00:99' }]);
    expect(plan.neighboursToRemove).toEqual([]);
    expect(plan.routesToSet).toEqual([]);
    expect(plan.routesToRemove).toEqual([]);
    expect(plan.fdbToAdd).toEqual([{ mac: '0a:5a:00:00:00:99', dst: '10.77.0.9' }]);
    expect(plan.fdbToRemove).toEqual([{ mac: '0a:5a:00:00:00:02', dst: '10.77.0.3' }]);
  });

  it('has nothing to do when the kernel already holds the desired set (a restart changes nothing)', () => {
    const desired = desiredEntries([
      { name: 'node-2', podCidr: '10.244.2.0/24', vtepIp: '10.244.2.0', underlayIp: '10.77.0.3', mac: '0a:5a:00:00:00:02' },
      { name: 'node-5', podCidr: '10.244.5.0/24', vtepIp: '10.244.5.0', underlayIp: '10.77.0.6', mac: '0a:5a:00:00:00:05' },
    ]);
    expect(isEmptyPlan(planOverlay(current, desired))).toBe(true);
  });

  it('removes everything when no peer is left', () => {
    const plan = planOverlay(current, desiredEntries([]));
    expect(plan.routesToRemove).toHaveLength(2);
    expect(plan.neighboursToRemove).toHaveLength(2);
    expect(plan.fdbToRemove).toHaveLength(2);
  });
});
