import { describe, expect, it } from 'vitest';
import { prepareManifests } from './prepare-manifests.js';

const configMap = (namespace?: string) => ({
  where: 'app.yaml#1',
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', ...(namespace ? { namespace } : {}) }, data: { a: 'b' } },
});

describe('prepareManifests namespaces', () => {
  it("fills in the kubeconfig context's namespace only where the object names none", () => {
    const [unnamed, named] = prepareManifests([configMap(), configMap('prod')], { defaultNamespace: 'shop', strict: false });
    expect(unnamed?.manifest.metadata.namespace).toBe('shop');
    expect(named?.manifest.metadata.namespace).toBe('prod');
  });

  it('makes -n win over the context, and refuses an object that names another namespace', () => {
    const [unnamed] = prepareManifests([configMap()], { namespace: 'ci', defaultNamespace: 'shop', strict: false });
    expect(unnamed?.manifest.metadata.namespace).toBe('ci');
    expect(() => prepareManifests([configMap('prod')], { namespace: 'ci', defaultNamespace: 'shop', strict: false })).toThrow(
      'the namespace from the provided object "prod" does not match the namespace "ci" given with -n',
    );
  });

  it('leaves cluster-scoped objects alone', () => {
    const [namespace] = prepareManifests([{ where: 'ns.yaml#1', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } }], {
      namespace: 'ci',
      defaultNamespace: 'shop',
      strict: false,
    });
    expect(namespace?.manifest.metadata.namespace).toBeUndefined();
  });
});
