// The patch table derived from the schemas' annotations matches the merge keys
// and strategies Kubernetes' Go types declare for the same fields.
import { describe, expect, it } from 'vitest';
import { patchStrategyTable, propertySchema } from './patch-meta.js';

const row = (path: string, mergeKey?: string, strategy = 'merge'): unknown => ({
  path,
  merge: strategy.includes('merge'),
  retainKeys: strategy.includes('retainKeys'),
  ...(mergeKey ? { mergeKey } : {}),
});

describe('patchStrategyTable', () => {
  it("gives Pod Kubernetes' merge keys (and tolerations none, as in Kubernetes)", () => {
    expect(patchStrategyTable('Pod')).toEqual([
      row('metadata.ownerReferences', 'uid'),
      row('spec.containers', 'name'),
      row('spec.containers[].env', 'name'),
      row('spec.containers[].volumeMounts', 'mountPath'),
      row('spec.containers[].ports', 'containerPort'),
      row('spec.initContainers', 'name'),
      row('spec.initContainers[].env', 'name'),
      row('spec.initContainers[].volumeMounts', 'mountPath'),
      row('spec.initContainers[].ports', 'containerPort'),
      row('spec.imagePullSecrets', 'name'),
      row('spec.volumes', 'name', 'merge,retainKeys'),
    ]);
  });

  it('marks Deployment.spec.strategy retainKeys, Service ports by port, ServiceAccount secrets by name', () => {
    expect(patchStrategyTable('Deployment')).toContainEqual(row('spec.strategy', undefined, 'retainKeys'));
    expect(patchStrategyTable('DaemonSet')).not.toContainEqual(expect.objectContaining({ path: 'spec.updateStrategy' }));
    expect(patchStrategyTable('Service')).toContainEqual(row('spec.ports', 'port'));
    expect(patchStrategyTable('ServiceAccount')).toContainEqual(row('secrets', 'name'));
    expect(patchStrategyTable('Node')).toEqual([]);
  });
});

describe('propertySchema', () => {
  it('follows properties, then patternProperties, then additionalProperties', () => {
    const schema = {
      properties: { a: { type: 'string' as const } },
      patternProperties: { '^x-': { type: 'integer' as const } },
      additionalProperties: { type: 'boolean' as const },
    };
    expect(propertySchema(schema, 'a')).toEqual({ type: 'string' });
    expect(propertySchema(schema, 'x-1')).toEqual({ type: 'integer' });
    expect(propertySchema(schema, 'z')).toEqual({ type: 'boolean' });
    expect(propertySchema({ additionalProperties: false }, 'z')).toBeUndefined();
    expect(propertySchema(undefined, 'z')).toBeUndefined();
  });
});
