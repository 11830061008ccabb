// The registrar over the in-memory store: the agent's own conditions
// (MemoryPressure) survive registrations and heartbeats beside Ready.
import { kindInfo, type Node } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { NodeRegistrar } from './node-registrar.js';
import { PodCidrAllocator } from './pod-cidr-allocator.js';

const NODE = kindInfo('Node');
const T0 = '2026-01-01T00:00:00.000Z';

function registrar() {
  const store = new MemoryStore();
  const objects = new ObjectStore(store);
  let now = Date.parse(T0);
  const r = new NodeRegistrar(objects, new PodCidrAllocator(store, { clusterCidr: '10.244.0.0/16', nodeMaskSize: 24 }), { heartbeatIntervalMs: 1000, leaseDurationMs: 4000 }, () => new Date(now));
  return { r, objects, step: (ms: number) => (now += ms) };
}

const reported = (conditions?: NonNullable<Node['status']>['conditions']): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  spec: {},
  status: { capacity: { cpu: '2', memory: '1Gi', pods: '10' }, allocatable: { cpu: '2', memory: '300Mi', pods: '10' }, ...(conditions ? { conditions } : {}) },
});

const pressure = (status: 'True' | 'False', at: string) => ({
  type: 'MemoryPressure',
  status,
  reason: status === 'True' ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
  message: 'm',
  lastTransitionTime: at,
});

describe('NodeRegistrar: conditions the agent reports', () => {
  it('keeps MemoryPressure beside Ready through registrations and heartbeats, and the reported allocatable', async () => {
    const { r, objects, step } = registrar();
    const first = await r.register(reported([pressure('False', T0)]));
    expect(first.status?.allocatable).toEqual({ cpu: '2', memory: '300Mi', pods: '10' });
    expect(first.status?.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True'], ['MemoryPressure', 'False']]);
    step(1000);
    const later = '2026-01-01T00:00:01.000Z';
    const second = await r.register(reported([pressure('True', later)]));
    expect(second.status?.conditions?.[1]).toEqual({ ...pressure('True', later), lastHeartbeatTime: later });
    await r.heartbeat('n1');
    const stored = await objects.mustGet<Node>(NODE, undefined, 'n1');
    expect(stored.status?.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True'], ['MemoryPressure', 'True']]);
  });

  it('an agent may not report Ready for itself, and a malformed condition is refused with its field path', async () => {
    const { r } = registrar();
    const node = await r.register(reported([{ type: 'Ready', status: 'False' }]));
    expect(node.status?.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
    await expect(r.register(reported([{ type: 'MemoryPressure', status: 'Maybe' as 'True' }]))).rejects.toThrow('status.conditions[0]: must have a CamelCase type');
  });
});
