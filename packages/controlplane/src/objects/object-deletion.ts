// Deleting an object as Kubernetes' generic registry does (apiserver's
// registry/generic/registry/store.go, Delete and Update), for every kind but
// pods (pod-deletion.ts) and namespaces (api-service.ts):
//
// - metadata.finalizers name what must happen first. An object with
//   finalizers is not removed but marked: deletionTimestamp set (once),
//   deletionGracePeriodSeconds 0. It is removed by the update that takes the
//   last finalizer off; no finalizer may be added once it is marked.
// - The propagation policy says what happens to its dependents (the objects
//   whose ownerReferences name it): Background removes the owner now and the
//   garbage collector deletes the dependents afterwards; Foreground marks the
//   owner with the `foregroundDeletion` finalizer, and the collector deletes
//   the dependents first (those with blockOwnerDeletion keep the owner until
//   they are gone), then takes the finalizer off; Orphan marks it with
//   `orphan`, and the collector removes the owner's references from its
//   dependents, which stay, then takes the finalizer off.
//
// Only the kinds whose dependents Skiff's collector follows (OWNER_KINDS) get
// those two finalizers: any other kind has no dependents the collector would
// wait for or orphan, so every policy removes it at once (unless it carries
// finalizers of its own).
import { InvalidError, kindInfo, toTimestamp, type KindInfo, type ResourceObject } from '@skiff/api';
import type { ObjectStore } from './object-store.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';
export const PROPAGATION_POLICIES: readonly PropagationPolicy[] = ['Orphan', 'Background', 'Foreground'];

/** Kubernetes' metav1.FinalizerOrphanDependents. */
export const ORPHAN_FINALIZER = 'orphan';
/** Kubernetes' metav1.FinalizerDeleteDependents. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** The owner kinds whose dependents the garbage collector follows (controllers/garbage-collector.ts). */
export const OWNER_KINDS = ['Deployment', 'ReplicaSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

export function isOwnerKind(kind: string): kind is OwnerKind {
  return (OWNER_KINDS as readonly string[]).includes(kind);
}

/**
 * A DeleteOptions propagationPolicy (absent or "": the kind's default);
 * InvalidError names the accepted values.
 */
export function parsePropagationPolicy(text: unknown, field = 'propagationPolicy'): PropagationPolicy | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  if (typeof text === 'string' && (PROPAGATION_POLICIES as readonly string[]).includes(text)) return text as PropagationPolicy;
  throw new InvalidError(`${field}: ${JSON.stringify(text)} is not a propagation policy; use one of ${PROPAGATION_POLICIES.join(', ')}`);
}

/**
 * Kubernetes' DefaultGarbageCollectionPolicy for a delete that names no
 * policy: batch/v1 Jobs orphan their pods (kept there for compatibility;
 * kubectl and ctl ask for Background explicitly), every other kind deletes
 * its dependents in the background.
 */
export function defaultPropagationPolicy(kind: string): PropagationPolicy {
  return kind === 'Job' ? 'Orphan' : 'Background';
}

export type DeletionPlan<T extends ResourceObject> =
  | { readonly op: 'remove' }
  /** Write this version (finalizers and deletionTimestamp set) by compare-and-swap. */
  | { readonly op: 'mark'; readonly object: T }
  /** Already marked just so: nothing to write. */
  | { readonly op: 'none' };

/**
 * What deleting `object` with `policy` means at `now`. Without a policy, a
 * garbage-collector finalizer the object already carries decides (as
 * Kubernetes' shouldOrphanDependents), else `fallback` (the kind's default).
 * A second delete may change the policy: Background then takes the
 * collector's finalizer off, which may remove the object.
 */
export function planDeletion<T extends ResourceObject>(
  object: T,
  policy: PropagationPolicy | undefined,
  now: Date,
  fallback: PropagationPolicy = defaultPropagationPolicy(object.kind),
): DeletionPlan<T> {
  const finalizers = object.metadata.finalizers ?? [];
  const chosen = policy ?? (finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : fallback);
  const collectorFinalizer = !isOwnerKind(object.kind) ? undefined : chosen === 'Orphan' ? ORPHAN_FINALIZER : chosen === 'Foreground' ? FOREGROUND_FINALIZER : undefined;
  const kept = finalizers.filter((name) => name !== ORPHAN_FINALIZER && name !== FOREGROUND_FINALIZER);
  const next = collectorFinalizer === undefined ? kept : [...kept, collectorFinalizer];
  if (next.length === 0) return { op: 'remove' };
  const marked = object.metadata.deletionTimestamp !== undefined && object.metadata.deletionGracePeriodSeconds === 0;
  if (marked && sameNames(next, finalizers)) return { op: 'none' };
  return {
    op: 'mark',
    object: {
      ...object,
      metadata: { ...object.metadata, finalizers: next, deletionTimestamp: object.metadata.deletionTimestamp ?? toTimestamp(now), deletionGracePeriodSeconds: 0 },
    },
  };
}

/**
 * Whether writing `object` completes its deletion: it is marked for deletion
 * with no grace period pending and no finalizer is left (Kubernetes'
 * shouldDeleteDuringUpdate). Such an update is a removal instead.
 */
export function completesDeletion(object: ResourceObject): boolean {
  const { deletionTimestamp, deletionGracePeriodSeconds, finalizers } = object.metadata;
  return deletionTimestamp !== undefined && deletionGracePeriodSeconds === 0 && (finalizers ?? []).length === 0;
}

/**
 * The rules an update must keep about finalizers: none may be added once the
 * object is marked for deletion, orphan and foregroundDeletion exclude each
 * other, and only the owner kinds the collector follows may carry them (on
 * another kind nothing would ever take them off).
 */
export function checkFinalizerUpdate(existing: ResourceObject | undefined, updated: ResourceObject): void {
  const next = updated.metadata.finalizers ?? [];
  if (existing?.metadata.deletionTimestamp !== undefined) {
    const before = new Set(existing.metadata.finalizers ?? []);
    const added = next.filter((name) => !before.has(name));
    if (added.length > 0) {
      throw new InvalidError(
        `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      );
    }
  }
  if (next.includes(ORPHAN_FINALIZER) && next.includes(FOREGROUND_FINALIZER)) {
    throw new InvalidError(`metadata.finalizers: Invalid value: both "${ORPHAN_FINALIZER}" and "${FOREGROUND_FINALIZER}": they exclude each other; keep one`);
  }
  const collector = next.filter((name) => name === ORPHAN_FINALIZER || name === FOREGROUND_FINALIZER);
  const had = new Set(existing?.metadata.finalizers ?? []);
  if (!isOwnerKind(updated.kind) && collector.some((name) => !had.has(name))) {
    throw new InvalidError(
      `metadata.finalizers: "${collector[0]}" is the garbage collector's and is handled only on ${OWNER_KINDS.map((kind) => kindInfo(kind).plural).join(', ')}; remove it`,
    );
  }
}

/**
 * Writes `object` (read at `expectedRevision`) by compare-and-swap, or, when
 * that write completes its deletion, removes it at that revision. Answers
 * the version written, or undefined when it was removed.
 */
export async function updateOrComplete<T extends ResourceObject>(objects: ObjectStore, info: KindInfo, object: T, expectedRevision: number): Promise<T | undefined> {
  if (!completesDeletion(object)) return objects.update(info, object, expectedRevision);
  await objects.delete(info, object.metadata.namespace, object.metadata.name, expectedRevision);
  return undefined;
}

/** `object` without `finalizer` (the field dropped when none is left). */
export function withoutFinalizer<T extends ResourceObject>(object: T, finalizer: string): T {
  const rest = (object.metadata.finalizers ?? []).filter((name) => name !== finalizer);
  const metadata = { ...object.metadata };
  if (rest.length > 0) metadata.finalizers = rest;
  else delete metadata.finalizers;
  return { ...object, metadata };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}
