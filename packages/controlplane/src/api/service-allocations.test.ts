// Cluster IPs and node ports through ApiService: over the in-memory store for
// the rules, over a real etcd for concurrent creates from several API servers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidError, kindInfo, type Service } from '@skiff/api';
import { rejectionOf, startEtcd, type EtcdServer } from '@skiff/testkit';
import { ObjectStore } from '../objects/object-store.js';
import { EtcdStore, MemoryStore, type Store } from '../store/index.js';
import { ApiService } from './api-service.js';
import { IP_ALLOCATIONS, NODE_PORT_ALLOCATIONS, parsePortRange, parseServiceNetwork, ServiceAllocator } from './service-allocations.js';

const SERVICE = kindInfo('Service');

function service(name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
  });
}

async function keys(store: Store, prefix: string): Promise<string[]> {
  return (await store.list(prefix)).items.map((kv) => kv.key.slice(prefix.length)).sort();
}

function setup(store: Store, config = { clusterIpRange: '10.96.0.0/16', nodePortRange: '30000-32767' }): ApiService {
  const objects = new ObjectStore(store);
  return new ApiService(objects, undefined, new ServiceAllocator(store, objects, config));
}

describe('ServiceAllocator (in memory)', () => {
  let store: MemoryStore;
  let api: ApiService;
  beforeEach(async () => {
    store = new MemoryStore();
    api = setup(store);
    await api.ensureBuiltinNamespaces();
  });
  afterEach(async () => store.close());

  it('allocates a cluster IP inside the range and records it; re-applying keeps it', async () => {
    const created = (await api.apply(service('web'))).object as Service;
    const ip = created.spec.clusterIP!;
    expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(created.spec.clusterIPs).toEqual([ip]);
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([ip]);
    const again = await api.apply(service('web'));
    expect(again.outcome).toBe('unchanged');
    expect((again.object as Service).spec.clusterIP).toBe(ip);
  });

  it('honours a requested IP; refuses one outside the range or taken, writing nothing', async () => {
    const created = (await api.apply(service('a', { clusterIP: '10.96.5.5' }))).object as Service;
    expect(created.spec.clusterIP).toBe('10.96.5.5');
    const revision = await store.currentRevision();
    const taken = await rejectionOf(api.apply(service('b', { clusterIP: '10.96.5.5' })), InvalidError);
    expect(taken).toBeInstanceOf(InvalidError);
    expect((taken as InvalidError).message).toContain('spec.clusterIP: Invalid value: "10.96.5.5": provided IP is already allocated');
    const outside = await rejectionOf(api.apply(service('b', { clusterIP: '10.97.0.1' })), InvalidError);
    expect((outside as InvalidError).message).toContain(
      'spec.clusterIP: Invalid value: "10.97.0.1": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16',
    );
    const broadcast = await rejectionOf(api.apply(service('b', { clusterIP: '10.96.255.255' })), InvalidError);
    expect((broadcast as InvalidError).message).toContain('not in the valid range');
    expect(await store.currentRevision()).toBe(revision);
  });

  it('keeps the IP immutable, frees it on delete, and headless takes none', async () => {
    await api.apply(service('web', { clusterIP: '10.96.1.1' }));
    const changed = await rejectionOf(api.apply(service('web', { clusterIP: '10.96.1.2' })), InvalidError);
    expect((changed as InvalidError).message).toContain('spec.clusterIP: Invalid value: "10.96.1.2": field is immutable');
    await api.delete({ kind: 'Service', namespace: 'default', name: 'web' });
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
    const reused = (await api.apply(service('other', { clusterIP: '10.96.1.1' }))).object as Service;
    expect(reused.spec.clusterIP).toBe('10.96.1.1');

    const headless = (await api.apply(service('headless', { clusterIP: 'None' }))).object as Service;
    expect(headless.spec.clusterIPs).toEqual(['None']);
    expect(await keys(store, IP_ALLOCATIONS)).toEqual(['10.96.1.1']);
  });

  it('allocates node ports for NodePort and LoadBalancer, honours requested ones, refuses taken or out of range', async () => {
    const node = (await api.apply(service('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30080 }] })))
      .object as Service;
    const [first, second] = node.spec.ports;
    expect(first!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(first!.nodePort).toBeLessThanOrEqual(32767);
    expect(second!.nodePort).toBe(30080);
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual([String(first!.nodePort), '30080'].sort());
    expect((await api.apply(service('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30080 }] }))).outcome).toBe(
      'unchanged',
    );

    const revision = await store.currentRevision();
    const taken = await rejectionOf(api.apply(service('lb', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] })), InvalidError);
    expect((taken as InvalidError).message).toContain('spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const outside = await rejectionOf(api.apply(service('lb', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] })), InvalidError);
    expect((outside as InvalidError).message).toContain(
      'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    expect(await store.currentRevision()).toBe(revision);
  });

  it('releases node ports on a change to ClusterIP and on delete', async () => {
    await api.apply(service('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    const clusterIP = (await api.apply(service('np', { type: 'ClusterIP', ports: [{ port: 80 }] }))).object as Service;
    expect(clusterIP.spec.ports[0]!.nodePort).toBeUndefined();
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual([]);
    await api.apply(service('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30002 }] }));
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual(['30002']);
    await api.delete({ kind: 'Service', namespace: 'default', name: 'np' });
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual([]);
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
  });

  it('ExternalName has no IP; changing to it frees the IP, and back allocates one', async () => {
    const external = (await api.apply(service('db', { type: 'ExternalName', externalName: 'db.example.com', ports: [] }))).object as Service;
    expect(external.spec.clusterIP).toBeUndefined();
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
    const back = (await api.apply(service('db'))).object as Service;
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([back.spec.clusterIP]);
    await api.apply(service('db', { type: 'ExternalName', externalName: 'db.example.com', ports: [] }));
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
  });

  it('a stale record (its Service gone without releasing) does not block a requested IP', async () => {
    await store.create(`${IP_ALLOCATIONS}10.96.9.9`, 'default/ghost');
    const created = (await api.apply(service('web', { clusterIP: '10.96.9.9' }))).object as Service;
    expect(created.spec.clusterIP).toBe('10.96.9.9');
    expect((await store.get(`${IP_ALLOCATIONS}10.96.9.9`))?.value).toBe('default/web');
  });

  it('deleting a namespace frees the IPs and node ports of its Services', async () => {
    await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }));
    const inShop = JSON.parse(service('cart', { type: 'NodePort' })) as Service;
    inShop.metadata.namespace = 'shop';
    const created = (await api.apply(JSON.stringify(inShop))).object as Service;
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([created.spec.clusterIP]);
    await api.delete({ kind: 'Namespace', name: 'shop' });
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual([]);
  });

  it('says when the range is exhausted', async () => {
    const small = setup(store, { clusterIpRange: '10.96.0.0/30', nodePortRange: '30000-30001' });
    await small.apply(service('a'));
    await small.apply(service('b'));
    const full = await rejectionOf(small.apply(service('c')), InvalidError);
    expect((full as InvalidError).message).toContain('no IP left in the service network 10.96.0.0/30');
    expect(() => parsePortRange('32767-30000')).toThrow('--service-node-port-range');
    expect(() => parseServiceNetwork({ clusterIpRange: '10.244.0.0/20', nodePortRange: '30000-32767' }, '10.244.0.0/16')).toThrow(
      '--service-cluster-ip-range 10.244.0.0/20 overlaps --pod-network 10.244.0.0/16',
    );
    expect(parseServiceNetwork({ clusterIpRange: '10.96.0.0/16', nodePortRange: '30000-32767' }, '10.244.0.0/16').ports.text).toBe('30000-32767');
    expect(() => new ServiceAllocator(store, new ObjectStore(store), { clusterIpRange: '10.96.0.1/16', nodePortRange: '30000-32767' })).toThrow(
      'host bits set',
    );
  });
});

describe('ServiceAllocator on a real etcd, several API servers at once', () => {
  let etcd: EtcdServer;
  const stores: EtcdStore[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await etcd?.stop();
  });

  it('60 parallel creates through 3 servers over a /26 never share an IP or a node port', async () => {
    for (let i = 0; i < 3; i++) stores.push(new EtcdStore({ endpoints: [etcd.endpoint] }));
    // A small range makes collisions likely: 62 usable IPs for 60 Services, 70 node ports for 60.
    const servers = stores.map((store) => setup(store, { clusterIpRange: '10.96.0.0/26', nodePortRange: '30000-30069' }));
    await servers[0]!.ensureBuiltinNamespaces();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => servers[i % 3]!.apply(service(`svc-${i}`, { type: 'NodePort' }))),
    );
    const ips = results.map((r) => (r.object as Service).spec.clusterIP);
    const ports = results.map((r) => (r.object as Service).spec.ports[0]!.nodePort);
    expect(new Set(ips).size).toBe(60);
    expect(new Set(ports).size).toBe(60);
    const store = stores[0]!;
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([...ips].sort());
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual(ports.map(String).sort());
    const stored = (await new ObjectStore(store).list<Service>(SERVICE, 'default')).items;
    expect(new Set(stored.map((s) => s.spec.clusterIP)).size).toBe(60);

    await Promise.all(results.map((_, i) => servers[(i + 1) % 3]!.delete({ kind: 'Service', namespace: 'default', name: `svc-${i}` })));
    expect(await keys(store, IP_ALLOCATIONS)).toEqual([]);
    expect(await keys(store, NODE_PORT_ALLOCATIONS)).toEqual([]);
  }, 60_000);
});
