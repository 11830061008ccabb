// The leader's loops per term, on the memory store: a term's loops write
// through the fence, stop with the term, and a later term (the same instance
// leading again) gets a working set of its own.
import { kindInfo, type Deployment, type ReplicaSet } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiService } from './api/api-service.js';
import { InformerFactory, LEADER_ELECTION_KEY, NodeLiveness } from './cache/index.js';
import { LeaderLoops } from './leader-loops.js';
import { ResourceMetricsStore } from './metrics/index.js';
import { ObjectStore } from './objects/object-store.js';
import { MemoryStore } from './store/index.js';

const REPLICA_SET = kindInfo('ReplicaSet');
let store: MemoryStore | undefined;
let loops: LeaderLoops | undefined;
let informers: InformerFactory | undefined;

afterEach(async () => {
  await loops?.stop();
  await informers?.stop();
  await store?.close();
});

function deployment(name: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'none' }] } },
    },
  };
}

describe('LeaderLoops', () => {
  it('runs the loops of one term at a time, fenced at it; a later term starts a fresh set', async () => {
    store = new MemoryStore();
    const objects = new ObjectStore(store);
    const api = new ApiService(objects);
    await api.ensureBuiltinNamespaces();
    informers = new InformerFactory({ objects });
    informers.start();
    loops = new LeaderLoops({
      store,
      informers,
      objectOptions: {},
      electionKey: LEADER_ELECTION_KEY,
      liveness: new NodeLiveness({ heartbeatIntervalMs: 500, leaseDurationMs: 1500 }),
      podMetrics: new ResourceMetricsStore(),
      schedulingStrategy: 'binpack',
      leaseDurationMs: 1500,
      podEvictionTimeoutMs: 500,
      compactionIntervalMs: 0,
      log: pino({ level: 'silent' }),
    });
    const replicaSetsOf = async (name: string): Promise<ReplicaSet[]> =>
      (await objects.list<ReplicaSet>(REPLICA_SET, 'default')).items.filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.name === name));

    const first = await store.create(LEADER_ELECTION_KEY, '{"id":"a"}');
    await loops.start(first);
    await api.apply(JSON.stringify(deployment('one')));
    await waitFor(async () => (await replicaSetsOf('one')).length === 1, { timeoutMs: 10_000, description: 'term 1 to make a ReplicaSet' });

    // Another instance's term: this one's loops are stopped, and nothing more of theirs is written.
    await loops.stop(first);
    const current = await store.get(LEADER_ELECTION_KEY);
    await store.delete(LEADER_ELECTION_KEY, current!.modRevision);
    await api.apply(JSON.stringify(deployment('two')));
    const second = await store.create(LEADER_ELECTION_KEY, '{"id":"a"}');
    expect(await replicaSetsOf('two')).toEqual([]);

    // Leading again: a fresh set, fenced at the new term.
    await loops.start(second);
    await waitFor(async () => (await replicaSetsOf('two')).length === 1, { timeoutMs: 10_000, description: 'term 2 to make a ReplicaSet' });
    expect(await replicaSetsOf('one')).toHaveLength(1);
  });
});
