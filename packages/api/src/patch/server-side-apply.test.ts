// Server-side apply against Skiff's real Deployment schema: the field sets
// (FieldsV1, as Kubernetes writes them), the merge, and conflicts between managers.
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { MANIFEST_SCHEMAS } from '../schema/index.js';
import { ApplyConflictError, fieldPathString, fieldSetOf, fromFieldsV1, serverSideApply, toFieldsV1, type ManagedFieldsEntry } from './server-side-apply.js';

const schema = MANIFEST_SCHEMAS.Deployment;
const now = new Date('2026-12-02T15:00:00.123Z');

function deployment(spec: Record<string, unknown>, labels?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', ...(labels ? { labels } : {}) }, spec };
}
const container = (name: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image, ...extra });
const template = (...containers: Record<string, unknown>[]): Record<string, unknown> => ({ metadata: { labels: { app: 'web' } }, spec: { containers } });

function apply(current: Record<string, unknown> | undefined, applied: Record<string, unknown>, manager: string, force = false): Record<string, unknown> {
  return serverSideApply({ current, applied, manager, force, schema, now });
}
function managers(object: Record<string, unknown>): ManagedFieldsEntry[] {
  return (object['metadata'] as { managedFields: ManagedFieldsEntry[] }).managedFields;
}
function spec(object: Record<string, unknown>): Record<string, unknown> {
  return object['spec'] as Record<string, unknown>;
}

describe('field sets', () => {
  it('are FieldsV1 the way Kubernetes writes them: f: fields, k: items of keyed lists with ".", no identity or status', () => {
    const object = { ...deployment({ replicas: 2, template: template(container('app', 'nginx', { args: ['-g', 'x'] })) }, { tier: 'web' }), status: { replicas: 1 } };
    expect(toFieldsV1(fieldSetOf(object, schema))).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          // containers merge by name; args has no merge key, so it is one atomic leaf.
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  it('read back from FieldsV1 to the same set', () => {
    const set = fieldSetOf(deployment({ replicas: 2, template: template(container('a', 'x'), container('b', 'y')) }), schema);
    expect(fromFieldsV1(toFieldsV1(set))).toEqual(set);
  });
});

interface ConflictCase {
  readonly name: string;
  readonly first: Record<string, unknown>;
  readonly second: Record<string, unknown>;
  /** The fields the second manager's apply conflicts on; [] when it goes through. */
  readonly conflicts: readonly string[];
}

const base = deployment({ replicas: 2, template: template(container('app', 'nginx:1')) });
const CONFLICTS: readonly ConflictCase[] = [
  { name: 'a different value of an owned field', first: base, second: deployment({ replicas: 3 }), conflicts: ['.spec.replicas'] },
  { name: 'the same value of an owned field (shared ownership)', first: base, second: deployment({ replicas: 2 }), conflicts: [] },
  { name: 'a field nobody owns', first: base, second: deployment({ paused: true }), conflicts: [] },
  {
    name: 'a different value inside a keyed list item',
    first: base,
    second: deployment({ template: template(container('app', 'nginx:2')) }),
    conflicts: ['.spec.template.spec.containers[name="app"].image'],
  },
  { name: 'another item of a keyed list', first: base, second: deployment({ template: template(container('sidecar', 'envoy')) }), conflicts: [] },
  {
    name: 'several fields at once',
    first: base,
    second: deployment({ replicas: 5, template: template(container('app', 'nginx:2')) }),
    conflicts: ['.spec.replicas', '.spec.template.spec.containers[name="app"].image'],
  },
];

describe('conflicts between managers', () => {
  for (const row of CONFLICTS) {
    it(`${row.name}: ${row.conflicts.length === 0 ? 'no conflict' : row.conflicts.join(', ')}`, () => {
      const created = apply(undefined, row.first, 'kubectl');
      const attempt = (): Record<string, unknown> => apply(created, row.second, 'other');
      if (row.conflicts.length === 0) {
        expect(attempt).not.toThrow();
        return;
      }
      const error = (() => {
        try {
          attempt();
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ApplyConflictError);
      expect((error as ApplyConflictError).causes).toEqual(row.conflicts.map((field) => ({ reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field })));
      // force takes the fields over: the value is the second manager's, and the first no longer owns them.
      const forced = apply(created, row.second, 'other', true);
      const firstOwns = fromFieldsV1(managers(forced).find((entry) => entry.manager === 'kubectl')?.fieldsV1 ?? {});
      const firstFields = [...firstOwns].map(fieldPathString);
      for (const field of row.conflicts) expect(firstFields).not.toContain(field);
      expect(firstFields.length).toBeGreaterThan(0);
      expect(managers(forced).find((entry) => entry.manager === 'other')?.operation).toBe('Apply');
    });
  }

  it('words the message as Kubernetes does', () => {
    const created = apply(undefined, base, 'kubectl');
    expect(() => apply(created, deployment({ replicas: 3 }), 'other')).toThrow('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    const shared = apply(created, deployment({ replicas: 2 }), 'sharer');
    expect(() => apply(shared, deployment({ replicas: 3, template: template(container('app', 'nginx:2')) }), 'other')).toThrow(
      'Apply failed with 3 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="app"].image\nconflicts with "sharer":\n- .spec.replicas',
    );
  });

  it('force moves ownership: the first manager can no longer drop the field it lost', () => {
    const created = apply(undefined, base, 'kubectl');
    const forced = apply(created, deployment({ replicas: 3 }), 'other', true);
    expect(spec(forced)['replicas']).toBe(3);
    const reapplied = apply(forced, deployment({ template: template(container('app', 'nginx:1')) }), 'kubectl');
    expect(spec(reapplied)['replicas']).toBe(3);
  });
});

describe('the apply merge', () => {
  it('creates: the object is the applied configuration with one Apply entry', () => {
    const created = apply(undefined, base, 'kubectl');
    expect(spec(created)).toEqual(spec(base));
    expect(managers(created)).toEqual([
      { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-12-02T15:00:00Z', fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(fieldSetOf(base, schema)) },
    ]);
  });

  it('removes fields the same manager applied before and omits now, keeps other managers’ fields', () => {
    const created = apply(undefined, deployment({ replicas: 2, paused: true, template: template(container('app', 'nginx:1'), container('side', 'envoy')) }), 'kubectl');
    const withOther = apply(created, deployment({ minReadySeconds: 5 }), 'other');
    const reapplied = apply(withOther, deployment({ replicas: 4, template: template(container('app', 'nginx:1')) }), 'kubectl');
    expect(spec(reapplied)['replicas']).toBe(4);
    expect(spec(reapplied)['paused']).toBeUndefined();
    expect(spec(reapplied)['minReadySeconds']).toBe(5);
    const containers = (spec(reapplied)['template'] as { spec: { containers: unknown[] } }).spec.containers;
    expect(containers).toEqual([container('app', 'nginx:1')]);
  });

  it('keeps a field the manager drops when another manager shares it', () => {
    const created = apply(undefined, deployment({ replicas: 2 }), 'kubectl');
    const shared = apply(created, deployment({ replicas: 2 }), 'other');
    expect(spec(apply(shared, deployment({ paused: false }), 'kubectl'))['replicas']).toBe(2);
  });

  it('keeps fields written outside apply (no owner) and ignores status', () => {
    const current = { ...deployment({ replicas: 1, revisionHistoryLimit: 3 }), status: { replicas: 1 } };
    const applied = apply(current, { ...deployment({ replicas: 2 }), status: { replicas: 9 } }, 'kubectl');
    expect(spec(applied)).toEqual({ replicas: 2, revisionHistoryLimit: 3 });
    expect(applied['status']).toEqual({ replicas: 1 });
  });

  it('leaves the object as it was, time included, when the same configuration is applied again', () => {
    const created = apply(undefined, base, 'kubectl');
    expect(serverSideApply({ current: created, applied: base, manager: 'kubectl', force: false, schema, now: new Date('2026-12-03T00:00:00Z') })).toEqual(created);
    const changed = serverSideApply({ current: created, applied: deployment({ replicas: 3 }), manager: 'kubectl', force: false, schema, now: new Date('2026-12-03T00:00:00Z') });
    expect(managers(changed)[0]?.time).toBe('2026-12-03T00:00:00Z');
  });

  it('refuses an apply without a manager or one that sets managedFields', () => {
    expect(() => apply(undefined, base, '')).toThrow(InvalidError);
    expect(() => apply(undefined, { ...base, metadata: { name: 'web', managedFields: [] } }, 'kubectl')).toThrow(/managedFields must not be set/u);
  });
});
