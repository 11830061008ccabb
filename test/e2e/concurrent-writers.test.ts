// Invariant: concurrent writers never lose an update. 20 ctl processes apply
// different values to one object at once; every apply is answered, and the
// object's history (as a watch sees it) holds each value exactly once.
import { waitFor } from '@skiff/testkit';
import { describe, expect, test } from 'vitest';
import { storeRevision, useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();
const WRITERS = 20;

describe('concurrent applies', () => {
  test(`${WRITERS} concurrent applies to one object lose nothing`, async () => {
    const { cluster, api, file } = fixture();
    const start = await storeRevision(api);
    const seen: string[] = [];
    let sentinelSeen = false;
    const stream = api.watch({ kind: 'configmaps', namespace: 'default', allNamespaces: false, labelSelector: '' }, String(start));
    stream.on('data', (event: { type: string; object_json: string }) => {
      const object = JSON.parse(event.object_json) as { metadata: { name: string }; data: { writer: string } };
      if (object.metadata.name === 'contended') seen.push(`${event.type}:${object.data.writer}`);
      if (object.metadata.name === 'sentinel') sentinelSeen = true;
    });
    stream.on('error', () => undefined); // cancelled below

    try {
      const manifests = Array.from({ length: WRITERS }, (_, i) =>
        file(`w${i}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: contended }\ndata: { writer: "w${i}" }\n`),
      );
      const results = await Promise.all(manifests.map((path) => cluster.ctl(['apply', '-f', path])));
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      const outcomes = results.map((r) => r.stdout.trim().split(' ').pop());
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'configured')).toHaveLength(WRITERS - 1);

      // Watch events arrive in revision order: once a later write shows up,
      // every event of the contended object has been delivered.
      await cluster.ctl(['apply', '-f', file('s.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: sentinel }\n')]);
      await waitFor(() => sentinelSeen, { timeoutMs: 10_000, description: 'the sentinel write in the watch' });
      expect(seen).toHaveLength(WRITERS);
      expect(seen[0]).toMatch(/^ADDED:/);
      const values = seen.map((entry) => entry.split(':')[1]);
      expect(new Set(values).size).toBe(WRITERS); // every writer's value was stored once: none overwritten unseen

      const final = JSON.parse((await cluster.ctl(['get', 'cm', 'contended', '-o', 'json'])).stdout);
      expect(final.data.writer).toBe(values[values.length - 1]);
      expect(final.metadata.generation).toBe(WRITERS);
    } finally {
      stream.cancel();
    }
  });

  test(`${WRITERS} concurrent scales each land, and the last one wins`, async () => {
    const { cluster, file } = fixture();
    await cluster.ctl([
      'apply', '-f',
      file('d.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: { name: scaled }
spec:
  replicas: 0
  selector: { matchLabels: { app: s } }
  template:
    metadata: { labels: { app: s } }
    spec: { containers: [{ name: c, image: busybox }] }
`),
    ]);
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => cluster.ctl(['scale', 'deployment/scaled', '--replicas', String(i + 1)])),
    );
    for (const result of results) expect(result).toMatchObject({ code: 0, stdout: 'deployment.apps/scaled scaled\n' });
    const final = JSON.parse((await cluster.ctl(['get', 'deploy', 'scaled', '-o', 'json'])).stdout);
    // Each scale changed replicas to a distinct value, so each bumped generation exactly once.
    expect(final.metadata.generation).toBe(1 + WRITERS);
  });
});
