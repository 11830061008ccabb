import { describe, expect, it } from 'vitest';
import { intOrPercent, quantity } from '../schema/fields.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import { resourceListSchema } from '../schema/pod-spec.js';
import { OBJECT_META_REF, toOpenApiSchema } from './openapi-schema.js';

describe('toOpenApiSchema', () => {
  it('turns an integer-or-string union into x-kubernetes-int-or-string, with the x-message as description', () => {
    expect(toOpenApiSchema(intOrPercent)).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
      description: 'The value must be a non-negative integer or a percentage like 25%.',
    });
  });

  it('turns other unions into anyOf, leaving out rules that belong to one branch', () => {
    const converted = toOpenApiSchema(quantity);
    expect(converted['anyOf']).toEqual([{ type: 'string' }, { type: 'number' }]);
    expect(converted).not.toHaveProperty('minimum');
    expect(converted).not.toHaveProperty('format');
    expect(converted).not.toHaveProperty('x-kubernetes-int-or-string');
  });

  it('replaces patternProperties, which OpenAPI 3.0 lacks, by additionalProperties', () => {
    const converted = toOpenApiSchema(resourceListSchema);
    expect(Object.keys(converted['properties'] as object)).toEqual(['cpu', 'memory', 'ephemeral-storage']);
    expect(converted['additionalProperties']).toEqual(toOpenApiSchema(quantity));
    expect(converted).not.toHaveProperty('patternProperties');
  });

  it('keeps the patch annotations and points metadata at ObjectMeta', () => {
    const pod = MANIFEST_SCHEMAS.Pod;
    if (!pod) throw new Error('no Pod schema');
    const converted = toOpenApiSchema(pod, { metadataRef: true });
    const properties = converted['properties'] as Record<string, Record<string, unknown>>;
    expect(properties['metadata']).toEqual({ allOf: [{ $ref: OBJECT_META_REF }], default: {} });
    const spec = properties['spec']?.['properties'] as Record<string, Record<string, unknown>>;
    expect(spec['containers']).toMatchObject({ type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    expect(spec['volumes']).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge,retainKeys' });
    expect(JSON.stringify(converted)).not.toMatch(/"\$schema"|"\$id"|"propertyNames"|"patternProperties"|"x-message"/);
  });

  it('marks free-form objects (status) as preserving unknown fields, and keeps additionalProperties false elsewhere', () => {
    expect(toOpenApiSchema({ type: 'object' })).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(toOpenApiSchema({ type: 'object', additionalProperties: false, properties: {} })).toEqual({
      type: 'object',
      properties: {},
      additionalProperties: false,
    });
  });
});
