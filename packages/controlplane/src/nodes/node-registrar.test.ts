import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kindInfo, VTEP_ADDRESS_ANNOTATION, VTEP_MAC_ANNOTATION, type Node } from '@skiff/api';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { NodeRegistrar } from './node-registrar.js';
import { PodCidrAllocator } from './pod-cidr-allocator.js';

const NODE = kindInfo('Node');

let store: MemoryStore;
let objects: ObjectStore;
let registrar: NodeRegistrar;

const reported = (annotations?: Record<string, string>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a', ...(annotations ? { annotations } : {}) },
  spec: {},
  status: { capacity: { cpu: '2', memory: '2Gi' } },
});

beforeEach(() => {
  store = new MemoryStore();
  objects = new ObjectStore(store);
  registrar = new NodeRegistrar(objects, new PodCidrAllocator(store, { clusterCidr: '10.244.0.0/16', nodeMaskSize: 24 }), {
    heartbeatIntervalMs: 1000,
    leaseDurationMs: 10_000,
  });
});

afterEach(async () => {
  await store.close();
});

describe('NodeRegistrar and the agent-owned VTEP annotations', () => {
  it('records the VTEP the agent reports, and keeps annotations others own', async () => {
    await registrar.register(reported({ [VTEP_ADDRESS_ANNOTATION]: '10.77.0.2', [VTEP_MAC_ANNOTATION]: '0a:5a:00:00:00:01', 'example.com/other': 'x' }));
    const first = await objects.mustGet<Node>(NODE, undefined, 'node-a');
    expect(first.metadata.annotations).toEqual({ [VTEP_ADDRESS_ANNOTATION]: '10.77.0.2', [VTEP_MAC_ANNOTATION]: '0a:5a:00:00:00:01' });
    // Someone else's annotation on the stored Node survives a re-registration.
    await objects.update(NODE, { ...first, metadata: { ...first.metadata, annotations: { ...first.metadata.annotations, 'example.com/owner': 'ops' } } }, Number(first.metadata.resourceVersion));
    await registrar.register(reported({ [VTEP_ADDRESS_ANNOTATION]: '10.77.0.9', [VTEP_MAC_ANNOTATION]: '0a:5a:00:00:00:01' }));
    expect((await objects.mustGet<Node>(NODE, undefined, 'node-a')).metadata.annotations).toEqual({
      [VTEP_ADDRESS_ANNOTATION]: '10.77.0.9',
      [VTEP_MAC_ANNOTATION]: '0a:5a:00:00:00:01',
      'example.com/owner': 'ops',
    });
  });

  it('removes the VTEP annotations when the agent stops reporting them (overlay turned off)', async () => {
    await registrar.register(reported({ [VTEP_ADDRESS_ANNOTATION]: '10.77.0.2', [VTEP_MAC_ANNOTATION]: '0a:5a:00:00:00:01' }));
    await registrar.register(reported());
    expect((await objects.mustGet<Node>(NODE, undefined, 'node-a')).metadata.annotations).toEqual({});
  });
});
