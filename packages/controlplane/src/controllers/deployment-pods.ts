// The pure part of the deployment controller: which pods a Deployment owns,
// what a new pod looks like, which surplus pod goes first, and what the
// Deployment's status says. No I/O here, so it is tested without etcd.
import { createHash, randomInt } from 'node:crypto';
import {
  toTimestamp,
  type Deployment,
  type DeploymentStatus,
  type OwnerReference,
  type Pod,
  type PodPhase,
  type PodTemplateSpec,
  type ResourceObject,
} from '@skiff/api';
import { thaw, type Immutable, type Informer } from '../cache/informer.js';

/** Label on every pod a Deployment creates: which version of the template it runs. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

// Kubernetes' alphabet for generated names: lowercase alphanumerics without
// vowels (and the look-alikes 0, 1, 3), so random suffixes never spell words.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const TEMPLATE_HASH_LENGTH = 10;
const NAME_SUFFIX_LENGTH = 5;
/** Pod names stay valid DNS labels (usable as host names), as Kubernetes' generated names do. */
const MAX_POD_NAME_LENGTH = 63;

/**
 * A short hash of the whole pod template (its labels and annotations as well
 * as its spec, as in Kubernetes: changing a template label must roll the pods
 * too). Keys are sorted first, so the hash depends on the template's content,
 * not on the order its fields were written in; it is stable across processes
 * and restarts, which matters because it is stored in every pod's labels.
 */
export function templateHash(template: Immutable<PodTemplateSpec>): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let hash = '';
  for (let i = 0; i < TEMPLATE_HASH_LENGTH; i++) hash += SAFE_ALPHABET[(digest[i] ?? 0) % SAFE_ALPHABET.length];
  return hash;
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}

/** `<deployment>-<5 random characters>`, the deployment part shortened if the whole would be too long. */
export function newPodName(deploymentName: string): string {
  let base = deploymentName.slice(0, MAX_POD_NAME_LENGTH - NAME_SUFFIX_LENGTH - 1);
  // A cut may leave "-" or "." at the end, which "-suffix" would make invalid.
  base = base.replace(/[-.]+$/, '');
  let suffix = '';
  for (let i = 0; i < NAME_SUFFIX_LENGTH; i++) suffix += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return `${base}-${suffix}`;
}

/** The owner reference marked `controller: true`, if any. */
export function controllerRef(object: Immutable<ResourceObject>): Immutable<OwnerReference> | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** The owner reference naming the Deployment that controls `object`, if one does. */
export function deploymentRefOf(object: Immutable<ResourceObject>): Immutable<OwnerReference> | undefined {
  const ref = controllerRef(object);
  return ref?.kind === 'Deployment' && ref.apiVersion.startsWith('apps/') ? ref : undefined;
}

/** Pod informer index: pods by the uid of their controller, so an owner finds its pods without a scan. */
export const CONTROLLER_UID_INDEX = 'controller-uid';

/** Adds CONTROLLER_UID_INDEX unless another user of the informer already did. */
export function ensureControllerUidIndex(pods: Informer<Pod>): void {
  if (pods.hasIndex(CONTROLLER_UID_INDEX)) return;
  pods.addIndex(CONTROLLER_UID_INDEX, (pod) => {
    const uid = controllerRef(pod)?.uid;
    return uid ? [uid] : [];
  });
}

/** Pods count towards replicas while they run or may still run: not terminating, not finished. */
export function isPodActive(pod: Immutable<Pod>): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function isPodReady(pod: Immutable<Pod>): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function podTemplateHashOf(pod: Immutable<Pod>): string | undefined {
  return pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

/** A new pod for the Deployment, from a deep copy of its template. */
export function buildPod(deployment: Immutable<Deployment>, hash: string, name: string, now: Date, uid: string): Pod {
  const template = thaw<PodTemplateSpec>(deployment.spec.template);
  const ownerReference: OwnerReference = {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    name: deployment.metadata.name,
    uid: deployment.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: deployment.metadata.namespace ?? 'default',
      uid,
      generation: 1,
      creationTimestamp: toTimestamp(now),
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
      ownerReferences: [ownerReference],
    },
    spec: template.spec,
    status: { phase: 'Pending' },
  };
  const annotations = template.metadata?.annotations;
  if (annotations && Object.keys(annotations).length > 0) pod.metadata.annotations = annotations;
  return pod;
}

const PHASE_RANK: Record<PodPhase, number> = { Pending: 0, Unknown: 1, Running: 2, Succeeded: 3, Failed: 3 };

/**
 * Surplus pods in the order to delete them: the cheapest to lose first —
 * unscheduled before scheduled, then not Running before Running, not Ready
 * before Ready, then the newest (it has served least; the old ones are proven).
 * Ties fall back to the name so the choice is deterministic.
 */
export function rankForDeletion(pods: readonly Immutable<Pod>[]): Immutable<Pod>[] {
  return [...pods].sort((a, b) => {
    const scheduled = Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName));
    if (scheduled !== 0) return scheduled;
    const phase = PHASE_RANK[a.status?.phase ?? 'Pending'] - PHASE_RANK[b.status?.phase ?? 'Pending'];
    if (phase !== 0) return phase;
    const ready = Number(isPodReady(a)) - Number(isPodReady(b));
    if (ready !== 0) return ready;
    const age = createdAt(b) - createdAt(a);
    if (age !== 0) return age;
    return a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0;
  });
}

/** Milliseconds since the epoch; pods without a (parsable) timestamp count as newest. */
function createdAt(pod: Immutable<Pod>): number {
  const parsed = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(parsed) ? Number.MAX_SAFE_INTEGER : parsed;
}

/** What the Deployment's status should say, given the pods it owns. */
export function computeStatus(
  deployment: Immutable<Deployment>,
  ownedPods: readonly Immutable<Pod>[],
  hash: string,
): DeploymentStatus {
  const active = ownedPods.filter(isPodActive);
  const ready = active.filter(isPodReady).length;
  // minReadySeconds is not tracked yet, so a Ready pod counts as available at once.
  const available = ready;
  const status: DeploymentStatus = {
    replicas: active.length,
    updatedReplicas: active.filter((pod) => podTemplateHashOf(pod) === hash).length,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, deployment.spec.replicas - available),
  };
  if (deployment.metadata.generation !== undefined) status.observedGeneration = deployment.metadata.generation;
  return status;
}

