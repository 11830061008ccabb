// The agent's ServiceCatalog against a real control plane and etcd: Services
// applied with the admin's credentials appear, change and disappear; a catalog
// that was away resumes from its last resourceVersion, and one whose version
// was compacted away lists again and says `resync`.
// (It dials with the admin's identity here; the agent dials with the node's,
// which the node authorizer allows to list and watch Services and EndpointSlices.)
import { WatchedServiceCatalog, type ServiceKey } from '@skiff/agent';
import type { ApiClient } from '@skiff/api';
import { EtcdStore } from '@skiff/controlplane';
import { waitFor } from '@skiff/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();

function serviceManifest(name: string, port: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port, targetPort: port }] } };
}

describe('WatchedServiceCatalog', () => {
  let client: ApiClient;
  let catalog: WatchedServiceCatalog;
  const changes: { services: ReadonlySet<ServiceKey>; resync: boolean }[] = [];

  beforeAll(() => {
    client = fixture().cluster.apiClient();
    catalog = new WatchedServiceCatalog({ client: () => client, log: pino({ level: 'error' }), backoff: { initialMs: 50, maxMs: 200 } });
    catalog.subscribe((change) => changes.push(change));
  });

  afterAll(() => {
    catalog.stop();
    client.close();
  });

  it('lists, then follows a Service through apply, change and delete', async () => {
    const { api } = fixture();
    await api.apply(serviceManifest('before', 80) as never, { strict: false, dryRun: false });
    catalog.start();
    await waitFor(() => catalog.synced, { timeoutMs: 10_000, description: 'the first list' });
    expect(catalog.service('default', 'before')?.spec.ports[0]?.port).toBe(80);
    expect(changes.at(-1)?.resync).toBe(true);

    await api.apply(serviceManifest('web', 80) as never, { strict: false, dryRun: false });
    await waitFor(() => catalog.service('default', 'web'), { timeoutMs: 10_000, description: 'web in the catalog' });
    expect(changes.some((c) => !c.resync && c.services.has('default/web'))).toBe(true);
    await api.apply(serviceManifest('web', 8080) as never, { strict: false, dryRun: false });
    await waitFor(() => catalog.service('default', 'web')?.spec.ports[0]?.port === 8080, { timeoutMs: 10_000, description: 'the new port' });
    await api.delete({ kind: 'Service', namespace: 'default', name: 'web' });
    await waitFor(() => catalog.service('default', 'web') === undefined, { timeoutMs: 10_000, description: 'web gone from the catalog' });
    // The EndpointSlice controller removes the deleted Service's slices too; the catalog follows.
    await waitFor(() => catalog.endpointSlices('default', 'web').length === 0, { timeoutMs: 10_000, description: "web's slices gone from the catalog" });
  });

  it('resumes from its last resourceVersion after being away', async () => {
    const { api } = fixture();
    catalog.stop();
    await api.apply(serviceManifest('while-away', 81) as never, { strict: false, dryRun: false });
    const resyncsBefore = changes.filter((c) => c.resync).length;
    catalog.start();
    await waitFor(() => catalog.service('default', 'while-away'), { timeoutMs: 10_000, description: 'the Service applied while away' });
    // Resumed, not re-listed: the change came as an event.
    expect(changes.filter((c) => c.resync).length).toBe(resyncsBefore);
    expect(changes.at(-1)).toEqual({ services: new Set(['default/while-away']), resync: false });
  });

  it('carries on through a control plane restart (the broken watch resumes after a back-off)', async () => {
    const { api, cluster } = fixture();
    await cluster.controlPlane.stop();
    await cluster.restartControlPlane();
    await waitFor(async () => (await api.apply(serviceManifest('after-restart', 83) as never, { strict: false, dryRun: false }).then(() => true).catch(() => false)), {
      timeoutMs: 20_000,
      description: 'the restarted control plane to take an apply',
    });
    await waitFor(() => catalog.service('default', 'after-restart'), { timeoutMs: 20_000, description: 'the Service applied after the restart' });
  });

  it('lists again (resync) when its resourceVersion was compacted away', async () => {
    const { api, cluster } = fixture();
    catalog.stop();
    await api.delete({ kind: 'Service', namespace: 'default', name: 'before' });
    await api.apply(serviceManifest('after', 82) as never, { strict: false, dryRun: false });
    const store = new EtcdStore({ endpoints: [cluster.etcd.endpoint] });
    try {
      await store.compact(await store.currentRevision());
    } finally {
      await store.close();
    }
    // Watches are served from the control plane's watch cache, whose window a
    // compaction behind its back does not shorten; a restarted control plane's
    // cache begins at the current revision, so the catalog's is gone everywhere.
    await cluster.controlPlane.stop();
    await cluster.restartControlPlane();
    const resyncsBefore = changes.filter((c) => c.resync).length;
    catalog.start();
    await waitFor(() => changes.filter((c) => c.resync).length > resyncsBefore && catalog.service('default', 'after'), {
      timeoutMs: 30_000,
      description: 'a re-list after the compaction',
    });
    expect(catalog.service('default', 'before')).toBeUndefined();
    expect(catalog.services().map((s) => s.metadata.name).sort()).toEqual(expect.arrayContaining(['after', 'while-away']));
  });
});
