// What an apply does to a Job beyond the generic plan: on create, the
// selector and template labels Kubernetes generates from the Job's uid; on
// re-apply of a manifest that names no selector, the generated ones survive
// (so applying the same file twice is "unchanged"); and the fields Kubernetes
// makes immutable stay so.
import { isDeepStrictEqual } from 'node:util';
import { InvalidError, withGeneratedSelector, type Job, type ResourceObject } from '@skiff/api';

export function prepareNewJob(object: ResourceObject): ResourceObject {
  if (object.kind !== 'Job') return object;
  return withGeneratedSelector(object as Job, object.metadata.uid ?? '');
}

/** The merged Job keeps the selector and labels generated for the existing one. */
export function keepGeneratedSelector(existing: ResourceObject, merged: ResourceObject): void {
  if (existing.kind !== 'Job') return;
  const before = existing as Job;
  const after = merged as Job;
  if (after.spec.manualSelector === true || after.spec.selector !== undefined) return;
  const regenerated = withGeneratedSelector(after, before.metadata.uid ?? '');
  after.spec = regenerated.spec;
}

const IMMUTABLE_JOB_FIELDS = ['selector', 'template', 'completions', 'completionMode', 'manualSelector'] as const;

export function checkImmutableJob(existing: ResourceObject, merged: ResourceObject): void {
  if (existing.kind !== 'Job') return;
  const before = (existing as Job).spec;
  const after = (merged as Job).spec;
  for (const field of IMMUTABLE_JOB_FIELDS) {
    if (!isDeepStrictEqual(before[field], after[field])) {
      throw new InvalidError(`Job "${existing.metadata.name}" is invalid: spec.${field}: field is immutable`, [`spec.${field}: field is immutable`]);
    }
  }
}
