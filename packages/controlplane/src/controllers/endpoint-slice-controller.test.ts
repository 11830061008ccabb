// The EndpointSlice and LoadBalancer-status controllers running over the
// in-memory store (same contract as etcd) and the shared informers: slices
// follow pods, are updated in place, go with their Service; the
// NoReadyEndpoints event fires on the transition only.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, type EndpointSlice, type Event, type Node, type Pod, type Service } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import type { ApiService } from '../api/api-service.js';
import type { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { startTestControllers, type TestControllers } from '../test-controllers.js';

const POD = kindInfo('Pod');
const SLICE = kindInfo('EndpointSlice');
const SERVICE = kindInfo('Service');
const EVENT = kindInfo('Event');
const NODE = kindInfo('Node');

let running: TestControllers;
let objects: ObjectStore;
let api: ApiService;

beforeEach(async () => {
  running = await startTestControllers(new MemoryStore(), { services: true });
  ({ objects, api } = running);
});

afterEach(() => running.stop());

async function applyService(spec: Record<string, unknown>, name = 'web'): Promise<Service> {
  return (await api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec }))).object as Service;
}

async function createPod(name: string, ip: string, ready: boolean): Promise<Pod> {
  return objects.create<Pod>(POD, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] } as Pod['spec']['containers'][number]],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'node-1',
    },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
}

async function setReady(name: string, ready: boolean): Promise<void> {
  const pod = await objects.mustGet<Pod>(POD, 'default', name);
  const status = { ...pod.status!, conditions: [{ type: 'Ready', status: ready ? ('True' as const) : ('False' as const) }] };
  await objects.update(POD, { ...pod, status }, Number(pod.metadata.resourceVersion));
}

async function slicesOf(service: string): Promise<EndpointSlice[]> {
  const { items } = await objects.list<EndpointSlice>(SLICE, 'default');
  return items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service);
}

async function noReadyEvents(): Promise<Event[]> {
  return (await objects.list<Event>(EVENT, 'default')).items.filter((e) => e.reason === 'NoReadyEndpoints');
}

function readyAddresses(slices: EndpointSlice[]): string[] {
  return slices.flatMap((s) => s.endpoints.filter((e) => e.conditions.ready).map((e) => e.addresses[0]!)).sort();
}

describe('EndpointSliceController', () => {
  it('publishes the selected pods, follows readiness in place, and deletes the slices with the Service', async () => {
    const service = await applyService({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    await createPod('a', '10.244.1.2', true);
    await createPod('b', '10.244.1.3', true);
    const [first] = await waitFor(async () => {
      const slices = await slicesOf('web');
      return readyAddresses(slices).length === 2 ? slices : undefined;
    }, { timeoutMs: 5000, description: 'two ready endpoints' });
    expect(first).toMatchObject({
      metadata: {
        labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.skiff.io' },
        ownerReferences: [{ kind: 'Service', name: 'web', uid: service.metadata.uid, controller: true }],
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    });
    expect(first!.metadata.name).toMatch(/^web-[0-9a-f]{5}$/);
    expect(first!.endpoints.map((e) => [e.addresses[0], e.targetRef?.name, e.nodeName])).toEqual([
      ['10.244.1.2', 'a', 'node-1'],
      ['10.244.1.3', 'b', 'node-1'],
    ]);

    await setReady('a', false);
    const [after] = await waitFor(async () => {
      const slices = await slicesOf('web');
      return readyAddresses(slices).length === 1 ? slices : undefined;
    }, { timeoutMs: 5000, description: 'pod a unready' });
    expect(after!.metadata.name).toBe(first!.metadata.name); // updated in place
    expect(after!.endpoints[0]!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(await noReadyEvents()).toEqual([]);

    await setReady('b', false);
    const [event] = await waitFor(async () => {
      const events = await noReadyEvents();
      return events.length > 0 ? events : undefined;
    }, { timeoutMs: 5000, description: 'NoReadyEndpoints event' });
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Service', name: 'web' }, count: 1 });

    await api.delete({ kind: 'Service', namespace: 'default', name: 'web' });
    await waitFor(async () => ((await slicesOf('web')).length === 0 ? true : undefined), { timeoutMs: 5000, description: 'slices gone' });
  });

  it('leaves a Service without a selector alone, and gives ExternalName none', async () => {
    await createPod('a', '10.244.1.2', true);
    await applyService({ ports: [{ port: 80 }] }, 'manual');
    await applyService({ type: 'ExternalName', externalName: 'db.example.com' }, 'external');
    // A selector Service after them: once its slice exists, the earlier ones have been synced too.
    await applyService({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }, 'web');
    await waitFor(async () => ((await slicesOf('web')).length === 1 ? true : undefined), { timeoutMs: 5000, description: 'web slice' });
    expect(await slicesOf('manual')).toEqual([]);
    expect(await slicesOf('external')).toEqual([]);
  });
});

describe('LoadBalancerStatusController', () => {
  it('sets the nodes InternalIPs as ingress of a LoadBalancer Service, and clears them on a type change', async () => {
    for (const [name, ip] of [['n2', '192.168.7.2'], ['n1', '192.168.7.1']] as const) {
      await objects.create<Node>(NODE, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, uid: name },
        spec: {},
        status: { addresses: [{ type: 'InternalIP', address: ip }] },
      });
    }
    await applyService({ type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] });
    const ingress = await waitFor(async () => (await objects.mustGet<Service>(SERVICE, 'default', 'web')).status?.loadBalancer?.ingress, {
      timeoutMs: 5000,
      description: 'ingress',
    });
    expect(ingress).toEqual([{ ip: '192.168.7.1' }, { ip: '192.168.7.2' }]);
    const status = (await objects.mustGet<Service>(SERVICE, 'default', 'web')).status;
    expect(status?.conditions).toEqual([
      expect.objectContaining({ type: 'ServedAsNodePort', status: 'True', reason: 'NoCloudLoadBalancer' }),
    ]);
    await applyService({ type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80 }] });
    await waitFor(async () => ((await objects.mustGet<Service>(SERVICE, 'default', 'web')).status?.loadBalancer === undefined ? true : undefined), {
      timeoutMs: 5000,
      description: 'ingress cleared',
    });
    expect((await objects.mustGet<Service>(SERVICE, 'default', 'web')).status?.conditions).toBeUndefined();
  });
});
