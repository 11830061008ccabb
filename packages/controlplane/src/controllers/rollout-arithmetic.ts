// The arithmetic of a rollout, as pure functions over a Deployment and its
// ReplicaSets, written after Kubernetes' pkg/controller/deployment/util
// (ResolveFenceposts, NewRSNewReplicas, GetProportion…) so that the numbers
// match theirs case for case. No I/O, no clock: unit-tested exactly.
import {
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  revisionOf,
  type Deployment,
  type ReplicaSet,
} from '@skiff/api';
import type { Immutable } from '../cache/informer.js';

type RS = Immutable<ReplicaSet>;
type D = Immutable<Deployment>;

/**
 * An int-or-percent scaled against `total`: a number is itself, "N%" is
 * N % of total, rounded up or down. Throws on anything else (validation
 * keeps such values out of the store).
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) throw new Error(`invalid int-or-percent ${JSON.stringify(value)}`);
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * Kubernetes' ResolveFenceposts: maxSurge rounds up, maxUnavailable down;
 * should both come out 0 (25 % of 1 unavailable), maxUnavailable becomes 1,
 * or the rollout could never move.
 */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(deployment: D): boolean {
  return (deployment.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function fenceposts(deployment: D): { surge: number; unavailable: number } {
  const rolling = deployment.spec.strategy?.rollingUpdate;
  // Defaulting fills 25 %/25 %; a Deployment stored before that default still rolls the same way.
  return resolveFenceposts(rolling?.maxSurge ?? '25%', rolling?.maxUnavailable ?? '25%', deployment.spec.replicas);
}

/** Pods over spec.replicas a rolling update may run (0 for Recreate). */
export function maxSurge(deployment: D): number {
  return isRollingUpdate(deployment) ? fenceposts(deployment).surge : 0;
}

/** Pods under spec.replicas a rolling update may leave unavailable (0 for Recreate or no replicas), at most spec.replicas. */
export function maxUnavailable(deployment: D): number {
  if (!isRollingUpdate(deployment) || deployment.spec.replicas === 0) return 0;
  return Math.min(fenceposts(deployment).unavailable, deployment.spec.replicas);
}

/** Sum of spec.replicas. */
export function specReplicas(replicaSets: readonly (RS | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.spec.replicas ?? 0), 0);
}

/** Sum of status.replicas (the pods that exist). */
export function actualReplicas(replicaSets: readonly (RS | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicas(replicaSets: readonly (RS | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.readyReplicas ?? 0), 0);
}

export function availableReplicas(replicaSets: readonly (RS | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.availableReplicas ?? 0), 0);
}

/** ReplicaSets that should have pods. */
export function activeReplicaSets(replicaSets: readonly (RS | undefined)[]): RS[] {
  return replicaSets.filter((rs): rs is RS => rs !== undefined && rs.spec.replicas > 0);
}

/**
 * Per ReplicaSet the larger of spec.replicas and status.replicas: the pods it
 * wants or still has. An old ReplicaSet just scaled down keeps counting its
 * pods until its controller has marked them for deletion and says so in its
 * status.
 */
export function wantedOrExistingReplicas(replicaSets: readonly (RS | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + Math.max(rs?.spec.replicas ?? 0, rs?.status?.replicas ?? 0), 0);
}

/**
 * Kubernetes' NewRSNewReplicas: the size the new ReplicaSet may grow to now.
 * RollingUpdate: as far as replicas + maxSurge allows, never beyond
 * spec.replicas; Recreate: spec.replicas. Kubernetes counts only spec.replicas,
 * so while an old ReplicaSet's controller has not yet removed the pods it was
 * just told to, the new one may already grow and more than replicas + maxSurge
 * pods run for a moment. Counting the pods an old ReplicaSet still reports
 * (wantedOrExistingReplicas) closes that window: the surge is a bound on
 * running pods, not on the sum of intentions.
 */
export function newRSNewReplicas(deployment: D, allReplicaSets: readonly (RS | undefined)[], newRS: RS): number {
  if (!isRollingUpdate(deployment)) return deployment.spec.replicas;
  const current = wantedOrExistingReplicas(allReplicaSets);
  const maxTotal = deployment.spec.replicas + maxSurge(deployment);
  if (current >= maxTotal) return newRS.spec.replicas;
  const scaleUp = Math.min(maxTotal - current, deployment.spec.replicas - newRS.spec.replicas);
  return newRS.spec.replicas + scaleUp;
}

/** Oldest first (creation time, then name), as Kubernetes' ReplicaSetsByCreationTimestamp. */
export function byCreation(replicaSets: readonly RS[]): RS[] {
  return [...replicaSets].sort((a, b) => {
    const diff = created(a) - created(b);
    if (diff !== 0) return diff;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
}

function created(rs: RS): number {
  const time = Date.parse(rs.metadata.creationTimestamp ?? '');
  return Number.isNaN(time) ? 0 : time;
}

/** A plan: new spec.replicas by ReplicaSet name. */
export type ScalePlan = Map<string, number>;

/**
 * How many old pods the rolling update may remove now (Kubernetes'
 * reconcileOldReplicaSets): first the old pods that are not available
 * anyway (cleanupUnhealthyReplicas), then available ones down to
 * replicas − maxUnavailable (scaleDownOldReplicaSetsForRollingUpdate).
 */
export function planOldScaleDown(deployment: D, oldReplicaSets: readonly RS[], newRS: RS | undefined): ScalePlan {
  const plan: ScalePlan = new Map();
  const oldPods = specReplicas(oldReplicaSets);
  if (oldPods === 0) return plan;
  const all = [...oldReplicaSets, ...(newRS ? [newRS] : [])];
  const minAvailable = deployment.spec.replicas - maxUnavailable(deployment);
  const newUnavailable = newRS ? newRS.spec.replicas - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return plan;

  // Unhealthy first: their pods serve nothing, so removing them costs no availability.
  let cleaned = 0;
  const afterCleanup: RS[] = [];
  for (const rs of byCreation(oldReplicaSets)) {
    const available = rs.status?.availableReplicas ?? 0;
    if (cleaned >= maxScaledDown || rs.spec.replicas === 0 || rs.spec.replicas <= available) {
      afterCleanup.push(rs);
      continue;
    }
    const down = Math.min(maxScaledDown - cleaned, rs.spec.replicas - available);
    plan.set(rs.metadata.name, rs.spec.replicas - down);
    cleaned += down;
    afterCleanup.push({ ...rs, spec: { ...rs.spec, replicas: rs.spec.replicas - down } });
  }

  // Then healthy ones, as long as enough stay available. An old ReplicaSet
  // counts at most spec.replicas available: pods over that are about to go
  // (its status may not have caught up with a scale-down yet).
  const availableNow =
    afterCleanup.reduce((sum, rs) => sum + Math.min(rs.spec.replicas, rs.status?.availableReplicas ?? 0), 0) +
    (newRS?.status?.availableReplicas ?? 0);
  if (availableNow <= minAvailable) return plan;
  const toRemove = availableNow - minAvailable;
  let removed = 0;
  for (const rs of byCreation(afterCleanup)) {
    if (removed >= toRemove) break;
    if (rs.spec.replicas === 0) continue;
    const down = Math.min(rs.spec.replicas, toRemove - removed);
    plan.set(rs.metadata.name, rs.spec.replicas - down);
    removed += down;
  }
  return plan;
}

function annotatedInt(rs: RS, annotation: string): number | undefined {
  const text = rs.metadata.annotations?.[annotation];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

export function desiredReplicasAnnotation(rs: RS): number | undefined {
  return annotatedInt(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** The new ReplicaSet is at full size and all of it available. */
export function isSaturated(deployment: D, newRS: RS | undefined): boolean {
  if (!newRS) return false;
  return (
    newRS.spec.replicas === deployment.spec.replicas &&
    desiredReplicasAnnotation(newRS) === deployment.spec.replicas &&
    (newRS.status?.availableReplicas ?? 0) === deployment.spec.replicas
  );
}

/** spec.replicas was changed since the active ReplicaSets were last sized (Kubernetes' isScalingEvent). */
export function isScalingEvent(deployment: D, allReplicaSets: readonly (RS | undefined)[]): boolean {
  return activeReplicaSets(allReplicaSets).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== deployment.spec.replicas;
  });
}

/** Go's math.Round: half away from zero. */
function roundHalfAwayFromZero(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

/** Kubernetes' getReplicaSetFraction: this ReplicaSet's share of a resize. */
function replicaSetFraction(rs: RS, deployment: D): number {
  if (deployment.spec.replicas === 0) return -rs.spec.replicas;
  const deploymentReplicas = deployment.spec.replicas + maxSurge(deployment);
  const annotated = annotatedInt(rs, MAX_REPLICAS_ANNOTATION) ?? deployment.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAwayFromZero((rs.spec.replicas * deploymentReplicas) / annotated) - rs.spec.replicas;
}

/** Kubernetes' GetProportion: how many of `toAdd` (negative: to remove) this ReplicaSet takes, given `added` so far. */
export function proportion(rs: RS, deployment: D, toAdd: number, added: number): number {
  if (rs.spec.replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, deployment);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Newest first among those with a creation time; used to pick "the latest" ReplicaSet. */
function newestFirst(replicaSets: readonly RS[]): RS[] {
  return byCreation(replicaSets).reverse();
}

/**
 * Kubernetes' DeploymentController.scale, as a plan: a resize of the
 * Deployment while (or without) rolling. One active ReplicaSet (or none: the
 * newest) takes spec.replicas; a saturated new ReplicaSet lets the old ones
 * go to 0; otherwise a rolling update spreads the difference over the active
 * ReplicaSets in proportion to their size, the leftover to the largest.
 */
export function planScale(deployment: D, newRS: RS | undefined, oldReplicaSets: readonly RS[]): ScalePlan {
  const plan: ScalePlan = new Map();
  const replicas = deployment.spec.replicas;
  const olds = newestFirst(oldReplicaSets);
  const active = activeReplicaSets([...olds, newRS]);
  if (newRS !== undefined || olds.length > 0) {
    const single = active.length === 0 ? (newRS ?? olds[0]) : active.length === 1 ? active[0] : undefined;
    if (single) {
      if (single.spec.replicas !== replicas) plan.set(single.metadata.name, replicas);
      return plan;
    }
  }
  if (isSaturated(deployment, newRS)) {
    for (const rs of activeReplicaSets(olds)) plan.set(rs.metadata.name, 0);
    return plan;
  }
  if (!isRollingUpdate(deployment)) return plan;
  const allowed = replicas > 0 ? replicas + maxSurge(deployment) : 0;
  const toAdd = allowed - specReplicas(active);
  const sorted = [...active];
  if (toAdd > 0) sorted.sort((a, b) => b.spec.replicas - a.spec.replicas || created(b) - created(a)); // larger, then newer, first
  if (toAdd < 0) sorted.sort((a, b) => b.spec.replicas - a.spec.replicas || created(a) - created(b)); // larger, then older, first
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of sorted) {
    const share = toAdd === 0 ? 0 : proportion(rs, deployment, toAdd, added);
    sizes.set(rs.metadata.name, rs.spec.replicas + share);
    added += share;
  }
  sorted.forEach((rs, i) => {
    let size = sizes.get(rs.metadata.name) ?? rs.spec.replicas;
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    if (size !== rs.spec.replicas) plan.set(rs.metadata.name, size);
  });
  return plan;
}

/**
 * Old ReplicaSets past revisionHistoryLimit, oldest revision first, that may
 * be deleted: scaled to 0, no pods left, their status current, not already going.
 */
export function replicaSetsToPrune(deployment: D, oldReplicaSets: readonly RS[]): RS[] {
  const limit = deployment.spec.revisionHistoryLimit;
  if (limit === undefined) return [];
  const alive = oldReplicaSets.filter((rs) => rs.metadata.deletionTimestamp === undefined);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  return [...alive]
    .sort((a, b) => revisionOf(a) - revisionOf(b) || created(a) - created(b))
    .slice(0, excess)
    .filter(
      (rs) =>
        (rs.status?.replicas ?? 0) === 0 &&
        rs.spec.replicas === 0 &&
        (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
    );
}
