import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { FORMATS } from './formats.js';
import { MANIFEST_SCHEMAS } from './index.js';
import { ANNOTATION_KEYWORDS, type JsonSchema } from './json-schema.js';

function* objectNodes(schema: JsonSchema, at: string): Generator<[string, JsonSchema]> {
  yield [at, schema];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* objectNodes(child, `${at}.${key}`);
  for (const [key, child] of Object.entries(schema.patternProperties ?? {})) yield* objectNodes(child, `${at}[/${key}/]`);
  if (typeof schema.additionalProperties === 'object') yield* objectNodes(schema.additionalProperties, `${at}[*]`);
  if (schema.items) yield* objectNodes(schema.items, `${at}[]`);
}

const kinds = Object.entries(MANIFEST_SCHEMAS).map(([kind, schema]) => [kind, schema as JsonSchema] as const);

describe('manifest schemas', () => {
  it('cover the kinds users apply, and Event (which agents write)', () => {
    expect(kinds.map(([k]) => k).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'CronJob',
      'DaemonSet',
      'Deployment',
      'Event',
      'HorizontalPodAutoscaler',
      'Job',
      'Namespace',
      'Pod',
      'ReplicaSet',
      'Role',
      'RoleBinding',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
  });

  it.each(kinds)('%s compiles under ajv strict mode as draft-07', (_kind, schema) => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, useDefaults: true });
    for (const keyword of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword, schemaType: 'string' });
    for (const [name, def] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: def.validate });
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it.each(kinds)('%s closes every object with named fields, so unknown fields are caught', (_kind, schema) => {
    const open = [...objectNodes(schema, '')]
      .filter(([, node]) => node.properties !== undefined && node.additionalProperties !== false)
      .map(([at]) => at);
    expect(open).toEqual([]);
  });

  it.each(kinds)('%s accepts any status', (_kind, schema) => {
    expect(schema.properties?.['status']).toEqual({ type: 'object' });
  });
});

describe('formats', () => {
  it.each<[string, string, boolean]>([
    ['quantity', '250m', true],
    ['quantity', '1 Gi', false],
    ['dns1123-subdomain', 'my-app.v2', true],
    ['dns1123-subdomain', 'My-App', false],
    ['dns1123-label', 'my-app', true],
    ['dns1123-label', 'my.app', false],
    ['dns1035-label', 'web', true],
    ['dns1035-label', '1web', false],
    ['label-key', 'app.kubernetes.io/name', true],
    ['label-key', 'a/b/c', false],
    ['label-value', '', true],
    ['label-value', '-x', false],
    ['config-key', 'app.properties', true],
    ['config-key', 'conf/app', false],
    ['config-key', '..', false],
    ['base64', 'aGVsbG8=', true],
    ['base64', 'aGVs\nbG8=', true],
    ['base64', '', true],
    ['base64', 'hello!', false],
    ['base64', 'aGVsbG8', false],
    ['port-name', 'http', true],
    ['port-name', 'HTTP', false],
    ['port-name', '8080', false],
    ['port-name', 'a--b', false],
    ['port-name', 'a-very-long-port-name', false],
    ['env-name', 'MY_VAR.x-1', true],
    ['env-name', '1VAR', false],
    ['env-name', 'A=B', false],
    ['percent', '25%', true],
    ['percent', '25', false],
    ['label-key-or-empty', '', true],
    ['path-segment', 'system:controller:node', true],
    ['path-segment', 'pod-reader', true],
    ['path-segment', '..', false],
    ['path-segment', 'a/b', false],
    ['path-segment', '50%', false],
    ['path-segment', '', false],
  ])('%s %j → %s', (format, value, valid) => {
    const def = FORMATS[format];
    expect(def?.validate(value)).toBe(valid);
    expect(def?.message(value)).toMatch(/^must /);
  });
});
