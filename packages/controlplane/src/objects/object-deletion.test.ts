import { describe, expect, it } from 'vitest';
import { InvalidError, type ResourceObject } from '@skiff/api';
import { checkFinalizerUpdate, completesDeletion, parsePropagationPolicy, planDeletion } from './object-deletion.js';

const NOW = new Date('2026-05-06T07:08:09Z');

function object(kind: string, metadata: Partial<ResourceObject['metadata']> = {}): ResourceObject {
  return { apiVersion: kind === 'ConfigMap' ? 'v1' : 'apps/v1', kind, metadata: { name: 'x', namespace: 'default', resourceVersion: '7', ...metadata } };
}

describe('planDeletion', () => {
  it('removes an object without finalizers in the background, and any kind nobody follows whatever the policy', () => {
    expect(planDeletion(object('Deployment'), 'Background', NOW)).toEqual({ op: 'remove' });
    expect(planDeletion(object('ConfigMap'), 'Foreground', NOW)).toEqual({ op: 'remove' });
    expect(planDeletion(object('ConfigMap'), 'Orphan', NOW)).toEqual({ op: 'remove' });
  });

  it("marks an owner kind with the policy's finalizer, keeping others, with no grace period", () => {
    const plan = planDeletion(object('ReplicaSet', { finalizers: ['example.com/x'] }), 'Foreground', NOW);
    expect(plan).toEqual({
      op: 'mark',
      object: object('ReplicaSet', { finalizers: ['example.com/x', 'foregroundDeletion'], deletionTimestamp: '2026-05-06T07:08:09Z', deletionGracePeriodSeconds: 0 }),
    });
  });

  it('keeps the first deletionTimestamp, swaps the collector finalizer on a new policy, and has nothing to do when asked again', () => {
    const marked = object('Deployment', { finalizers: ['foregroundDeletion'], deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 });
    expect(planDeletion(marked, 'Foreground', NOW)).toEqual({ op: 'none' });
    expect(planDeletion(marked, undefined, NOW)).toEqual({ op: 'none' });
    const orphan = planDeletion(marked, 'Orphan', NOW);
    expect(orphan.op === 'mark' && orphan.object.metadata).toMatchObject({ finalizers: ['orphan'], deletionTimestamp: '2026-01-01T00:00:00Z' });
    expect(planDeletion(marked, 'Background', NOW)).toEqual({ op: 'remove' });
  });

  it("falls back to the kind's default: a Job orphans its pods, a Deployment deletes them in the background", () => {
    const job = planDeletion({ ...object('Job'), apiVersion: 'batch/v1' }, undefined, NOW);
    expect(job.op === 'mark' && job.object.metadata.finalizers).toEqual(['orphan']);
    expect(planDeletion(object('Deployment'), undefined, NOW)).toEqual({ op: 'remove' });
    expect(planDeletion({ ...object('Job'), apiVersion: 'batch/v1' }, undefined, NOW, 'Background')).toEqual({ op: 'remove' });
  });
});

describe('finalizer rules', () => {
  it('an update that takes the last finalizer off a marked object completes its deletion; a pod still in its grace period does not', () => {
    expect(completesDeletion(object('ConfigMap', { deletionTimestamp: 't', deletionGracePeriodSeconds: 0 }))).toBe(true);
    expect(completesDeletion(object('ConfigMap', { deletionTimestamp: 't', deletionGracePeriodSeconds: 0, finalizers: ['a'] }))).toBe(false);
    expect(completesDeletion(object('Pod', { deletionTimestamp: 't', deletionGracePeriodSeconds: 30 }))).toBe(false);
    expect(completesDeletion(object('ConfigMap'))).toBe(false);
  });

  it('refuses new finalizers on a marked object but lets them be removed', () => {
    const marked = object('ConfigMap', { deletionTimestamp: 't', deletionGracePeriodSeconds: 0, finalizers: ['a', 'b'] });
    expect(() => checkFinalizerUpdate(marked, object('ConfigMap', { finalizers: ['a', 'c'] }))).toThrow(/found new finalizers \["c"\]/);
    expect(() => checkFinalizerUpdate(marked, object('ConfigMap', { finalizers: ['b'] }))).not.toThrow();
    expect(() => checkFinalizerUpdate(undefined, object('ConfigMap', { finalizers: ['a', 'c'] }))).not.toThrow();
  });

  it('parses a policy or explains the accepted ones', () => {
    expect(parsePropagationPolicy('Foreground')).toBe('Foreground');
    expect(parsePropagationPolicy('')).toBeUndefined();
    expect(() => parsePropagationPolicy('foreground')).toThrow(InvalidError);
    expect(() => parsePropagationPolicy('foreground')).toThrow('propagationPolicy: "foreground" is not a propagation policy; use one of Orphan, Background, Foreground');
  });
});
