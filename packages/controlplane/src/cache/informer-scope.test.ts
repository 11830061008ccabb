// An informer scope reads the shared informers and, once closed, leaves no
// handler of its own behind on them.
import { kindInfo, type ConfigMap } from '@skiff/api';
import { waitFor } from '@skiff/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';
import { InformerFactory } from './informer-factory.js';
import { InformerScope } from './informer-scope.js';

const CONFIG_MAP = kindInfo('ConfigMap');
let store: MemoryStore;
let factory: InformerFactory;

afterEach(async () => {
  await factory.stop();
  await store.close();
});

function configMap(name: string): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} };
}

describe('InformerScope', () => {
  it('reads the shared cache, replays it to a late handler, and calls no handler of its own after close', async () => {
    store = new MemoryStore();
    const objects = new ObjectStore(store);
    factory = new InformerFactory({ objects });
    const shared = factory.informerFor<ConfigMap>('ConfigMap');
    factory.start();
    await objects.create(CONFIG_MAP, configMap('before'));
    await waitFor(() => shared.get('default/before') !== undefined, { timeoutMs: 5_000, description: 'the shared cache to hold the first ConfigMap' });

    const scope = new InformerScope(factory);
    const view = scope.informerFor<ConfigMap>('ConfigMap');
    expect(scope.informerFor<ConfigMap>('ConfigMap')).toBe(view);
    expect(view.hasSynced()).toBe(true);
    expect(view.revision).toBe(shared.revision);
    expect(view.list().map((c) => c.metadata.name)).toEqual(['before']);
    view.addIndex('by-name', (c) => [c.metadata.name]);
    expect(shared.hasIndex('by-name')).toBe(true);

    const seenByScope: string[] = [];
    const seenByOther: string[] = [];
    view.addHandlers({ onAdd: (c) => seenByScope.push(c.metadata.name) });
    shared.addHandlers({ onAdd: (c) => seenByOther.push(c.metadata.name) });
    expect(seenByScope).toEqual(['before']);

    await objects.create(CONFIG_MAP, configMap('during'));
    await waitFor(() => seenByScope.includes('during'), { timeoutMs: 5_000, description: 'the scope handler to see the second ConfigMap' });

    scope.close();
    await objects.create(CONFIG_MAP, configMap('after'));
    await waitFor(() => seenByOther.includes('after'), { timeoutMs: 5_000, description: 'the other handler to see the third ConfigMap' });
    expect(seenByScope).toEqual(['before', 'during']);
    expect(view.byIndex('by-name', 'after').map((c) => c.metadata.name)).toEqual(['after']);
    expect(() => view.addHandlers({})).toThrow(/closed/);
  });
});
