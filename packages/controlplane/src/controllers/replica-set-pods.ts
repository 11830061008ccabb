// The pure part of the ReplicaSet controller: which pods a ReplicaSet owns,
// what a new pod looks like, which surplus pod goes first, when a pod counts
// as available, and what the ReplicaSet's status says. No I/O here.
import { randomInt } from 'node:crypto';
import {
  selectorFromLabelSelector,
  type LabelSelector,
  toTimestamp,
  type OwnerReference,
  type Pod,
  type PodPhase,
  type PodTemplateSpec,
  type ReplicaSet,
  type ReplicaSetStatus,
  type ResourceObject,
  type Selector,
} from '@skiff/api';
import { thaw, type Immutable, type Informer } from '../cache/informer.js';
import { memoizedByFrozen } from '../cache/immutable.js';
import { SAFE_ALPHABET } from './pod-template-hash.js';

const NAME_SUFFIX_LENGTH = 5;
/** Pod names stay valid DNS labels (usable as host names), as Kubernetes' generated names do. */
const MAX_POD_NAME_LENGTH = 63;

/** `<owner>-<5 random characters>`, the owner part shortened if the whole would be too long. */
export function newPodName(ownerName: string): string {
  let base = ownerName.slice(0, MAX_POD_NAME_LENGTH - NAME_SUFFIX_LENGTH - 1);
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

/** The controller reference if it names an apps/v1 object of `kind`. */
export function appsControllerRef(object: Immutable<ResourceObject>, kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet'): Immutable<OwnerReference> | undefined {
  const ref = controllerRef(object);
  return ref?.kind === kind && ref.apiVersion.startsWith('apps/') ? ref : undefined;
}

/** The owner reference a controller puts on what it creates or adopts. */
export function controllerReferenceTo(owner: Immutable<ResourceObject>): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Informer index: objects by the uid of their controller, so an owner finds what it owns without a scan. */
export const CONTROLLER_UID_INDEX = 'controller-uid';

/** Adds CONTROLLER_UID_INDEX unless another user of the informer already did. */
export function ensureControllerUidIndex<T extends ResourceObject>(informer: Informer<T>): void {
  if (informer.hasIndex(CONTROLLER_UID_INDEX)) return;
  informer.addIndex(CONTROLLER_UID_INDEX, (object) => {
    const uid = controllerRef(object as Immutable<ResourceObject>)?.uid;
    return uid ? [uid] : [];
  });
}

/** Pods count towards replicas while they run or may still run: not terminating, not finished. */
export function isPodActive(pod: Immutable<Pod>): boolean {
  if (pod.metadata.deletionTimestamp !== undefined) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

function readyCondition(pod: Immutable<Pod>) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Immutable<Pod>): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Since when the pod has been Ready, in ms: its Ready condition's
 * lastTransitionTime, else `firstSeenReady` (when this controller first saw
 * it Ready: agents that do not stamp the transition still get minReadySeconds).
 */
export function readySinceMs(pod: Immutable<Pod>, firstSeenReady: number | undefined): number | undefined {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True') return undefined;
  const stamped = Date.parse(condition.lastTransitionTime ?? '');
  return Number.isNaN(stamped) ? firstSeenReady : stamped;
}

/** Kubernetes' IsPodAvailable: Ready for at least minReadySeconds. */
export function isPodAvailable(readySince: number | undefined, minReadySeconds: number, nowMs: number): boolean {
  if (readySince === undefined) return false;
  return minReadySeconds === 0 || readySince + minReadySeconds * 1000 <= nowMs;
}

/** A new pod for the ReplicaSet, from a deep copy of its template. */
export function buildPod(replicaSet: Immutable<ReplicaSet>, name: string, now: Date, uid: string): Pod {
  const template = thaw<PodTemplateSpec>(replicaSet.spec.template);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: replicaSet.metadata.namespace ?? 'default',
      uid,
      generation: 1,
      creationTimestamp: toTimestamp(now),
      labels: { ...template.metadata?.labels },
      ownerReferences: [controllerReferenceTo(replicaSet)],
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

/**
 * Parsed selectors by the (deep-frozen, so unchanging) selector object of a
 * cached ReplicaSet: a sync asks for every pod of the namespace, and copying
 * and parsing the selector each time cost more than the match.
 */
/** A ReplicaSet's selector, parsed once per cached ReplicaSet (not for every pod on every sync). */
const parsedSelector = memoizedByFrozen((source: Immutable<LabelSelector>): Selector => selectorFromLabelSelector(thaw<LabelSelector>(source)));

/** Does the ReplicaSet's selector select these labels? (An empty selector selects nothing here.) */
export function selects(replicaSet: Immutable<ReplicaSet>, labels: Readonly<Record<string, string>> | undefined): boolean {
  const selector = parsedSelector(replicaSet.spec.selector);
  return !selector.isEmpty() && selector.matches(labels ?? {});
}

export interface StatusInput {
  /** The active pods the ReplicaSet owns. */
  readonly pods: readonly Immutable<Pod>[];
  /** Since when each pod is Ready, by pod name (see readySinceMs). */
  readonly readySince: (pod: Immutable<Pod>) => number | undefined;
  readonly nowMs: number;
}

/**
 * Kubernetes' calculateStatus, and the time at which a pod that is Ready but
 * not yet available will become available (to look again then).
 */
export function computeReplicaSetStatus(replicaSet: Immutable<ReplicaSet>, input: StatusInput): { status: ReplicaSetStatus; recheckAtMs?: number } {
  const templateLabels = replicaSet.spec.template.metadata?.labels ?? {};
  const minReadySeconds = replicaSet.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let recheckAtMs: number | undefined;
  for (const pod of input.pods) {
    const labels = pod.metadata.labels ?? {};
    if (Object.entries(templateLabels).every(([key, value]) => labels[key] === value)) fullyLabeled++;
    const since = input.readySince(pod);
    if (since === undefined) continue;
    ready++;
    if (isPodAvailable(since, minReadySeconds, input.nowMs)) available++;
    else {
      const at = since + minReadySeconds * 1000;
      recheckAtMs = recheckAtMs === undefined ? at : Math.min(recheckAtMs, at);
    }
  }
  const status: ReplicaSetStatus = {
    replicas: input.pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (replicaSet.metadata.generation !== undefined) status.observedGeneration = replicaSet.metadata.generation;
  return recheckAtMs === undefined ? { status } : { status, recheckAtMs };
}
