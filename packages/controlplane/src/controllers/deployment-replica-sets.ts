// Which of a Deployment's ReplicaSets is the new one, what a new one looks
// like, and the annotations a Deployment keeps on its ReplicaSets — pure
// functions after Kubernetes' getNewReplicaSet, FindNewReplicaSet and
// SetNewReplicaSetAnnotations.
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  toTimestamp,
  type Deployment,
  type LabelSelector,
  type PodTemplateSpec,
  type ReplicaSet,
} from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import { equalIgnoringHash } from './pod-template-hash.js';
import { controllerReferenceTo } from './replica-set-pods.js';
import { byCreation, maxSurge } from './rollout-arithmetic.js';

type RS = Immutable<ReplicaSet>;
type D = Immutable<Deployment>;

/** Annotations of the Deployment that are not copied onto its ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
]);

/** The oldest ReplicaSet whose template is the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(deployment: D, replicaSets: readonly RS[]): RS | undefined {
  return byCreation(replicaSets).find((rs) => equalIgnoringHash(rs.spec.template, deployment.spec.template));
}

export function maxRevision(replicaSets: readonly RS[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** The selector with pod-template-hash added, so ReplicaSets of one Deployment never select each other's pods. */
function selectorWithHash(selector: Immutable<LabelSelector>, hash: string): LabelSelector {
  const copy = thaw<LabelSelector>(selector);
  return { ...copy, matchLabels: { ...copy.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash } };
}

/** Kubernetes' SetReplicasAnnotations; true when something changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  for (const [key, value] of [
    [DESIRED_REPLICAS_ANNOTATION, String(desired)],
    [MAX_REPLICAS_ANNOTATION, String(max)],
  ] as const) {
    if (annotations[key] !== value) {
      annotations[key] = value;
      changed = true;
    }
  }
  return changed;
}

/**
 * Kubernetes' SetNewReplicaSetAnnotations, on `annotations` in place: the
 * Deployment's own annotations copied, the revision raised to `newRevision`
 * if lower (the previous number kept in revision-history: a rollback reuses
 * the ReplicaSet), and for a ReplicaSet about to be created, its sizes.
 */
export function setNewReplicaSetAnnotations(deployment: D, annotations: Record<string, string>, newRevision: number, exists: boolean): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const had = annotations[REVISION_ANNOTATION];
  const oldRevision = revisionOf({ metadata: { annotations } });
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (had !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION];
      annotations[REVISION_HISTORY_ANNOTATION] = history ? `${history},${had}` : had;
    }
  }
  if (!exists && setReplicasAnnotations(annotations, deployment.spec.replicas, deployment.spec.replicas + maxSurge(deployment))) changed = true;
  return changed;
}

/** A new ReplicaSet for the Deployment's template: `<deployment>-<hash>`, selector and labels with the hash. */
export function buildReplicaSet(deployment: D, hash: string, replicas: number, revision: number, uid: string, now: Date): ReplicaSet {
  const template = thaw<PodTemplateSpec>(deployment.spec.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const annotations: Record<string, string> = {};
  setNewReplicaSetAnnotations(deployment, annotations, revision, false);
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace ?? 'default',
      uid,
      generation: 1,
      creationTimestamp: toTimestamp(now),
      labels: { ...template.metadata.labels },
      annotations,
      ownerReferences: [controllerReferenceTo(deployment)],
    },
    spec: { replicas, selector: selectorWithHash(deployment.spec.selector, hash), template },
  };
  if (deployment.spec.minReadySeconds !== undefined) rs.spec.minReadySeconds = deployment.spec.minReadySeconds;
  return rs;
}
