// The pure part of the Job controller, after Kubernetes' job controller: which
// pods a Job owns and in what state they are, what a new pod looks like (with
// its completion index in Indexed mode), the back-off before a failed pod is
// replaced, and whether the Job has finished. No I/O here.
import { randomInt } from 'node:crypto';
import {
  BATCH_API_VERSION,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_COMPLETION_INDEX_ENV,
  parseIndexes,
  toTimestamp,
  type Container,
  type Job,
  type JobCondition,
  type Pod,
  type PodTemplateSpec,
  type ResourceObject,
} from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import { controllerRef, controllerReferenceTo, isPodActive, isPodReady } from './replica-set-pods.js';
import { SAFE_ALPHABET } from './pod-template-hash.js';

/** Kubernetes' pod failure back-off: 10 s, doubled per failure since the last success, at most 6 minutes. */
export const DEFAULT_JOB_BACKOFF_BASE_MS = 10_000;
export const MAX_JOB_BACKOFF_MS = 6 * 60_000;

/** The controller reference if it names a batch/v1 Job. */
export function jobControllerRef(object: Immutable<ResourceObject>) {
  const ref = controllerRef(object);
  return ref?.kind === 'Job' && ref.apiVersion.startsWith('batch/') ? ref : undefined;
}

/** `<job>-<5 random characters>`, or `<job>-<index>-<5 random characters>` in Indexed mode, as Kubernetes names them. */
export function newJobPodName(job: Immutable<Job>, index: number | undefined): string {
  const prefix = index === undefined ? job.metadata.name : `${job.metadata.name}-${index}`;
  let base = prefix.slice(0, 63 - 6).replace(/[-.]+$/, '');
  base += '-';
  for (let i = 0; i < 5; i++) base += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return base;
}

/** An Indexed Job pod's completion index; undefined when absent or not a whole number. */
export function completionIndexOf(pod: Immutable<Pod>): number | undefined {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The env var kubelet gives an Indexed Job's containers: a downward-API fieldRef on the index annotation, as Kubernetes adds it. */
function withIndexEnv(container: Container): Container {
  const env = (container.env ?? []).filter((e) => e.name !== JOB_COMPLETION_INDEX_ENV);
  env.push({ name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } });
  return { ...container, env };
}

/** A new pod for the Job, from a deep copy of its template. */
export function buildJobPod(job: Immutable<Job>, name: string, index: number | undefined, now: Date, uid: string): Pod {
  const template = thaw<PodTemplateSpec>(job.spec.template);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: job.metadata.namespace ?? 'default',
      uid,
      generation: 1,
      creationTimestamp: toTimestamp(now),
      labels: { ...template.metadata?.labels },
      ownerReferences: [{ ...controllerReferenceTo(job), apiVersion: BATCH_API_VERSION }],
    },
    spec: template.spec,
    status: { phase: 'Pending' },
  };
  const annotations: Record<string, string> = { ...template.metadata?.annotations };
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    pod.metadata.labels = { ...pod.metadata.labels, [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) };
    pod.spec = {
      ...pod.spec,
      containers: pod.spec.containers.map(withIndexEnv),
      ...(pod.spec.initContainers ? { initContainers: pod.spec.initContainers.map(withIndexEnv) } : {}),
      // Kubernetes: an Indexed Job's pods are <job>-<index> by host name (a headless Service as subdomain gives them DNS names).
      hostname: pod.spec.hostname ?? `${job.metadata.name}-${index}`,
    };
  }
  if (Object.keys(annotations).length > 0) pod.metadata.annotations = annotations;
  return pod;
}

/** When a finished pod finished: its containers' latest finishedAt, else `fallbackMs` (when the controller first saw it finished). */
export function finishedAtMs(pod: Immutable<Pod>, fallbackMs: number | undefined): number | undefined {
  let latest: number | undefined;
  for (const status of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const at = Date.parse(status.state.terminated?.finishedAt ?? '');
    if (!Number.isNaN(at)) latest = latest === undefined ? at : Math.max(latest, at);
  }
  return latest ?? fallbackMs;
}

/** Container restarts of the active pods (Kubernetes' pastBackoffLimitOnFailure counts them toward backoffLimit under OnFailure). */
export function activeRestarts(active: readonly Immutable<Pod>[]): number {
  let total = 0;
  for (const pod of active) {
    for (const status of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) total += status.restartCount;
  }
  return total;
}

export interface JobPods {
  readonly active: Immutable<Pod>[];
  readonly succeeded: Immutable<Pod>[];
  readonly failed: Immutable<Pod>[];
  /** Active pods whose Ready condition is True. */
  readonly ready: number;
}

/** Sorts the Job's pods by state; terminating pods count as none (they are on their way out). */
export function classifyPods(pods: readonly Immutable<Pod>[]): JobPods {
  const active: Immutable<Pod>[] = [];
  const succeeded: Immutable<Pod>[] = [];
  const failed: Immutable<Pod>[] = [];
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') succeeded.push(pod);
    else if (phase === 'Failed') failed.push(pod);
    else if (isPodActive(pod)) active.push(pod);
  }
  return { active, succeeded, failed, ready: active.filter(isPodReady).length };
}

/**
 * Kubernetes' pod-failure back-off: how long after the latest failure a new
 * pod may be created — base × 2^(n−1) for the n failures since the latest
 * success, capped at MAX_JOB_BACKOFF_MS. Returns the time at which creating
 * is allowed again (undefined: no failure to wait for).
 */
export function backoffUntilMs(
  pods: JobPods,
  finished: (pod: Immutable<Pod>) => number | undefined,
  baseMs: number,
  maxMs: number = MAX_JOB_BACKOFF_MS,
): number | undefined {
  let lastSuccess = -Infinity;
  for (const pod of pods.succeeded) lastSuccess = Math.max(lastSuccess, finished(pod) ?? -Infinity);
  let failures = 0;
  let lastFailure: number | undefined;
  for (const pod of pods.failed) {
    const at = finished(pod);
    if (at === undefined || at <= lastSuccess) continue;
    failures++;
    lastFailure = lastFailure === undefined ? at : Math.max(lastFailure, at);
  }
  if (failures === 0 || lastFailure === undefined) return undefined;
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return lastFailure + delay;
}

/** The indexes of an Indexed Job that succeeded: recorded ones plus succeeded pods' (within [0, completions)). */
export function succeededIndexes(job: Immutable<Job>, succeeded: readonly Immutable<Pod>[]): Set<number> {
  const completions = job.spec.completions ?? 0;
  const indexes = new Set([...parseIndexes(job.status?.completedIndexes)].filter((i) => i < completions));
  for (const pod of succeeded) {
    const index = completionIndexOf(pod);
    if (index !== undefined && index < completions) indexes.add(index);
  }
  return indexes;
}

/** The lowest indexes neither succeeded nor held by an active pod, at most `count` of them. */
export function pendingIndexes(completions: number, done: ReadonlySet<number>, active: readonly Immutable<Pod>[], count: number): number[] {
  const held = new Set(active.map(completionIndexOf).filter((i): i is number => i !== undefined));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!done.has(i) && !held.has(i)) out.push(i);
  return out;
}

/** A True condition of `type`, keeping the transition time of one already True. */
export function trueCondition(job: Immutable<Job>, type: JobCondition['type'], reason: string, message: string, nowMs: number): JobCondition {
  const previous = job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const at = previous?.lastTransitionTime ?? toTimestamp(new Date(nowMs));
  return { type, status: 'True', reason, message, lastProbeTime: previous?.lastProbeTime ?? at, lastTransitionTime: at };
}

/** When the Job finished (its Complete or Failed condition's transition), in ms. */
export function finishedJobAtMs(job: Immutable<Job>): number | undefined {
  const condition = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!condition) return undefined;
  const at = Date.parse(job.status?.completionTime ?? condition.lastTransitionTime ?? '');
  return Number.isNaN(at) ? undefined : at;
}
