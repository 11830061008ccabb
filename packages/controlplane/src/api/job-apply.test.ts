import { describe, expect, it } from 'vitest';
import { InvalidError, validateManifest, type Job, type ResourceObject } from '@skiff/api';
import { planApply, type ApplyContext } from './apply-plan.js';

const context: ApplyContext = { now: new Date('2026-12-02T03:00:00Z'), newUid: () => 'job-uid' };

function manifest(spec: Record<string, unknown> = {}): ResourceObject {
  const result = validateManifest({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { ...spec, template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'busybox:1' }] } } },
  });
  if (!result.object) throw new Error(JSON.stringify(result.errors));
  return result.object;
}

function stored(object: ResourceObject): ResourceObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: '7' }, status: { active: 1 } } as ResourceObject;
}

describe('applying a Job', () => {
  it('generates the controller-uid selector and template labels from the new uid, as Kubernetes does', () => {
    const job = planApply(manifest(), undefined, context).object as Job;
    expect(job.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } });
    expect(job.spec.template.metadata?.labels).toEqual({
      app: 'pi',
      'batch.kubernetes.io/controller-uid': 'job-uid',
      'controller-uid': 'job-uid',
      'batch.kubernetes.io/job-name': 'pi',
      'job-name': 'pi',
    });
  });

  it('re-applying the same manifest is unchanged (the generated selector survives); a changed parallelism is configured', () => {
    const existing = stored(planApply(manifest(), undefined, context).object);
    expect(planApply(manifest(), existing, context).outcome).toBe('unchanged');
    const scaled = planApply(manifest({ completions: 1, parallelism: 3 }), existing, context);
    expect(scaled.outcome).toBe('configured');
    expect((scaled.object as Job).spec.selector).toEqual((existing as Job).spec.selector);
  });

  it('refuses to change the template or completions of an existing Job', () => {
    const existing = stored(planApply(manifest(), undefined, context).object);
    const changed = manifest();
    (changed as Job).spec.template.spec.containers[0]!.image = 'busybox:2';
    expect(() => planApply(changed, existing, context)).toThrow(InvalidError);
    expect(() => planApply(changed, existing, context)).toThrow('spec.template: field is immutable');
    expect(() => planApply(manifest({ completions: 5 }), existing, context)).toThrow('spec.completions: field is immutable');
  });

  it('keeps a manual selector as given', () => {
    const job = planApply(manifest({ manualSelector: true, selector: { matchLabels: { app: 'pi' } } }), undefined, context).object as Job;
    expect(job.spec.selector).toEqual({ matchLabels: { app: 'pi' } });
    expect(job.spec.template.metadata?.labels).toEqual({ app: 'pi' });
  });
});
