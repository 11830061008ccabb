// A watch from a revision etcd has compacted away ends with OUT_OF_RANGE and a
// message saying to list again — and ctl get -w does exactly that by itself.
import { status, type ServiceError } from '@grpc/grpc-js';
import { EtcdStore } from '@skiff/controlplane';
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { storeRevision, useCluster } from '../harness/cluster-fixture.js';

// The control plane compacts etcd itself every second here (5 minutes by default).
const fixture = useCluster({ controlPlaneArgs: ['--etcd-compaction-interval', '1s'] });

/** A watch of configmaps from `revision`: its first event, or the status it ends with. */
function watchFrom(api: ReturnType<typeof fixture>['api'], revision: number): Promise<'event' | ServiceError> {
  return new Promise((resolve, reject) => {
    const stream = api.watch({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' }, String(revision));
    stream.on('data', () => {
      stream.cancel();
      resolve('event');
    });
    stream.on('error', (error: ServiceError) => (error.code === status.CANCELLED ? undefined : resolve(error)));
    stream.on('end', () => reject(new Error('the stream ended without a status')));
  });
}

describe('watch and compaction', () => {
  test('the control plane compacts history older than one interval by itself', async () => {
    const { cluster, api, file } = fixture();
    const old = await storeRevision(api);
    // Writes go on (a change per probe); an interval or two later, history from before them is gone
    // and a watch from there must relist.
    let i = 0;
    const ended = await waitFor(
      async () => {
        await cluster.ctl(['apply', '-f', file('c.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: aging }\ndata: { i: "${i++}" }\n`)]);
        const outcome = await watchFrom(api, old);
        return outcome !== 'event' ? outcome : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the control plane to compact past the old revision' },
    );
    expect(ended.code).toBe(status.OUT_OF_RANGE);
  });

  test('a watch from a compacted revision gets OUT_OF_RANGE telling it to relist', async () => {
    const { cluster, api, file } = fixture();
    const old = await storeRevision(api);
    for (let i = 0; i < 3; i++) {
      await cluster.ctl(['apply', '-f', file('c.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: churn }\ndata: { i: "${i}" }\n`)]);
    }
    // Watches are served from the control plane's watch cache: a compaction
    // behind its back (etcdctl) does not shorten its window, but its own
    // compaction (every second here) does, within an interval or two.
    const store = new EtcdStore({ endpoints: [cluster.etcd.endpoint] });
    try {
      await store.compact(await store.currentRevision());
    } finally {
      await store.close();
    }
    const error = await waitFor(
      async () => {
        const outcome = await watchFrom(api, old);
        return outcome !== 'event' ? outcome : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the watch cache to drop the old revision' },
    );
    expect(error.code).toBe(status.OUT_OF_RANGE);
    expect(error.details).toMatch(/resourceVersion \d+ is too old .*list again/);
  });
});
