// A watch from a revision etcd has compacted away ends with OUT_OF_RANGE and a
// message saying to list again — and ctl get -w does exactly that by itself.
import { status, type ServiceError } from '@grpc/grpc-js';
import { EtcdStore } from '@skiff/controlplane';
import { describe, expect, test } from 'vitest';
import { storeRevision, useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();

describe('watch and compaction', () => {
  test('a watch from a compacted revision gets OUT_OF_RANGE telling it to relist', async () => {
    const { cluster, api, file } = fixture();
    const old = await storeRevision(api);
    for (let i = 0; i < 3; i++) {
      await cluster.ctl(['apply', '-f', file('c.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: churn }\ndata: { i: "${i}" }\n`)]);
    }
    const store = new EtcdStore({ endpoints: [cluster.etcd.endpoint] });
    try {
      await store.compact(await store.currentRevision());
    } finally {
      await store.close();
    }
    const error = await new Promise<ServiceError>((resolve, reject) => {
      const stream = api.watch({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' }, String(old));
      stream.on('data', () => reject(new Error('no event may arrive from a compacted revision')));
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error('the stream ended without a status')));
    });
    expect(error.code).toBe(status.OUT_OF_RANGE);
    expect(error.details).toMatch(/resourceVersion \d+ is too old .*list again/);
  });
});
