// Job → pods, after Kubernetes' job controller: sync(key) keeps
// min(parallelism, remaining) pods active, counts the pods that succeeded and
// failed (and, under restartPolicy OnFailure, container restarts toward
// backoffLimit), replaces failed pods after an exponential back-off, fails the
// Job at backoffLimit or activeDeadlineSeconds (deleting its active pods),
// completes it at completions, and deletes it ttlSecondsAfterFinished after it
// finished (its pods follow through the garbage collector). Finished pods are
// kept until the Job goes, as Kubernetes keeps them.
//
// Level-triggered: every decision is re-made from the cache. Writes are
// compare-and-swap; expectations (expectations.ts) keep a sync from acting
// before the informer has seen the previous sync's creates and deletes. Time
// comes from an injected clock, and the controller queues itself for the
// next moment something is due (back-off end, deadline, TTL) rather than polling.
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  formatIndexes,
  jobFinishedCondition,
  kindInfo,
  NotFoundError,
  toTimestamp,
  type Job,
  type JobCondition,
  type JobStatus,
  type Pod,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { EventRecorder } from '../objects/event-recorder.js';
import { deletePod } from '../objects/pod-deletion.js';
import { Expectations } from './expectations.js';
import {
  activeRestarts,
  backoffUntilMs,
  buildJobPod,
  classifyPods,
  DEFAULT_JOB_BACKOFF_BASE_MS,
  finishedAtMs,
  finishedJobAtMs,
  jobControllerRef,
  MAX_JOB_BACKOFF_MS,
  newJobPodName,
  pendingIndexes,
  succeededIndexes,
  trueCondition,
  type JobPods,
} from './job-pods.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { CONTROLLER_UID_INDEX, ensureControllerUidIndex, rankForDeletion } from './replica-set-pods.js';
import { sameGenerationAndStatus, writeStatus } from './status-writer.js';
import { ownedPodHandlers } from './owned-pod-handlers.js';

const POD = kindInfo('Pod');
const JOB = kindInfo('Job');
/** Pods created by one sync at most (Kubernetes' burst is 500 too). */
const MAX_CREATES_PER_SYNC = 500;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface JobControllerOptions extends QueueControllerOptions {
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
  /** Injected for tests: back-off, deadlines and TTLs are measured on it (ms since the epoch). */
  readonly now?: () => number;
  /** The first back-off after a pod failure (default 10 s, as Kubernetes); doubles per failure. */
  readonly backoffBaseMs?: number;
  /** The longest back-off (default 6 min). */
  readonly backoffMaxMs?: number;
  readonly expectationsTimeoutMs?: number;
  /** Kubernetes' events: SuccessfulCreate, SuccessfulDelete, Completed, BackoffLimitExceeded, DeadlineExceeded. */
  readonly events?: EventRecorder;
}

export class JobController extends QueueController {
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<Pod>;
  private readonly now: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly expectations: Expectations;
  private readonly events: EventRecorder | undefined;
  /** When this controller first saw a pod finished without container finish times, by pod uid. */
  private readonly firstSeenFinished = new Map<string, number>();
  /** The earliest time each key asked to be synced again (for tests and logs). */
  private readonly wakeups = new Map<string, number>();

  constructor(options: JobControllerOptions) {
    super('job', options, [options.jobs, options.pods]);
    this.jobs = options.jobs;
    this.pods = options.pods;
    this.now = options.now ?? Date.now;
    this.backoffBaseMs = options.backoffBaseMs ?? DEFAULT_JOB_BACKOFF_BASE_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? MAX_JOB_BACKOFF_MS;
    this.events = options.events;
    this.expectations = new Expectations({
      now: this.now,
      ...(options.expectationsTimeoutMs === undefined ? {} : { timeoutMs: options.expectationsTimeoutMs }),
    });
    ensureControllerUidIndex(this.pods);
  }

  /** When `key` asked to be synced again (ms on the injected clock), if it did since its last sync. */
  nextWakeup(key: string): number | undefined {
    return this.wakeups.get(key);
  }

  /** Registers the informer handlers without starting workers: for tests that call sync(key) themselves. */
  listen(): void {
    this.registerHandlers();
  }

  protected registerHandlers(): void {
    this.jobs.addHandlers({
      onAdd: (job) => this.queue.add(keyOf(job)),
      onUpdate: (previous, current) => {
        if (previous.metadata.uid !== current.metadata.uid) this.expectations.forget(keyOf(current));
        this.queue.add(keyOf(current));
      },
      onDelete: (job) => {
        this.expectations.forget(keyOf(job));
        this.wakeups.delete(keyOf(job));
        this.queue.add(keyOf(job));
      },
    });
    this.pods.addHandlers(
      ownedPodHandlers({
        expectations: this.expectations,
        ownerKey: (pod) => this.ownerKey(pod),
        enqueue: (key) => this.queue.add(key),
        gone: (pod) => {
          if (pod.metadata.uid) this.firstSeenFinished.delete(pod.metadata.uid);
        },
      }),
    );
  }

  async sync(key: string): Promise<void> {
    this.wakeups.delete(key);
    const job = this.jobs.get(key);
    if (!job) {
      this.expectations.forget(key);
      return;
    }
    const uid = job.metadata.uid;
    if (!uid || job.metadata.deletionTimestamp !== undefined) return;
    const namespace = job.metadata.namespace ?? 'default';
    const owned = this.pods
      .byIndex(CONTROLLER_UID_INDEX, uid)
      .filter((pod) => (pod.metadata.namespace ?? 'default') === namespace && jobControllerRef(pod) !== undefined);
    const pods = classifyPods(owned);
    const now = this.now();
    for (const pod of [...pods.succeeded, ...pods.failed]) {
      if (pod.metadata.uid && !this.firstSeenFinished.has(pod.metadata.uid)) this.firstSeenFinished.set(pod.metadata.uid, now);
    }

    if (jobFinishedCondition(job)) {
      // Finished: nothing may run any more, and the TTL counts from the finish.
      await this.deleteActive(key, uid, pods.active);
      await this.expireIfDue(key, job, now);
      return;
    }

    const status = this.computeStatus(job, pods, now);
    const finished = status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;
    const errors: unknown[] = [];
    if (finished) {
      // Failed (deadline, back-off limit) or complete: active pods are surplus.
      await this.deleteActive(key, uid, pods.active).catch((error: unknown) => errors.push(error));
      status.active = 0;
      status.ready = 0;
    } else if (!this.expectations.satisfied(key, uid)) {
      this.queue.addAfter(key, this.expectations.remainingMs(key, uid));
    } else {
      // As Kubernetes: active counts the pods this sync created and not those it deleted.
      const change = await this.manage(key, job, pods, now).catch((error: unknown) => {
        errors.push(error);
        return { created: 0, deleted: 0 };
      });
      status.active = pods.active.length + change.created - change.deleted;
    }
    // Once written, a finished Job's own update event brings it back here for its TTL.
    const written = await writeStatus(job, () => status, { objects: this.objects, kind: JOB, stillCurrent: sameGenerationAndStatus });
    const finish = status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (written && finish) {
      if (finish.type === 'Complete') await this.event(job, 'Normal', 'Completed', 'Job completed');
      else await this.event(job, 'Warning', finish.reason ?? 'Failed', finish.message ?? 'Job failed');
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `job ${key}: ${errors.length} pod writes failed`);
  }

  /** Kubernetes' status arithmetic, and the Failed/Complete condition the counts call for. */
  private computeStatus(job: Immutable<Job>, pods: JobPods, now: number): JobStatus {
    const previous = thaw<JobStatus>(job.status ?? {});
    const indexed = job.spec.completionMode === 'Indexed';
    const doneIndexes = indexed ? succeededIndexes(job, pods.succeeded) : undefined;
    // Finished pods are kept, so counting them is exact; a user deleting one must not make the count go back.
    const succeeded = doneIndexes ? doneIndexes.size : Math.max(previous.succeeded ?? 0, pods.succeeded.length);
    const failed = Math.max(previous.failed ?? 0, pods.failed.length);
    const status: JobStatus = { ...previous, active: pods.active.length, ready: pods.ready, succeeded, failed };
    if (doneIndexes) status.completedIndexes = formatIndexes(doneIndexes);
    const suspended = job.spec.suspend === true;
    if (!status.startTime && !suspended) status.startTime = toTimestamp(new Date(now));
    const conditions: JobCondition[] = (previous.conditions ?? []).filter((c) => c.type !== 'Suspended');
    if (suspended) conditions.push(trueCondition(job, 'Suspended', 'JobSuspended', 'Job suspended', now));

    let finish: JobCondition | undefined;
    const backoffLimit = job.spec.backoffLimit;
    const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
    const restarts = onFailure ? activeRestarts(pods.active) : 0;
    const pastRestartLimit = onFailure && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit && restarts > 0);
    const startMs = Date.parse(status.startTime ?? '');
    const deadline = job.spec.activeDeadlineSeconds;
    if (failed > backoffLimit || pastRestartLimit) {
      finish = trueCondition(job, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (deadline !== undefined && !suspended && !Number.isNaN(startMs) && now >= startMs + deadline * 1000) {
      finish = trueCondition(job, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (this.isComplete(job, succeeded, pods)) {
      finish = trueCondition(job, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      status.completionTime = toTimestamp(new Date(now));
    } else if (deadline !== undefined && !suspended && !Number.isNaN(startMs)) {
      this.requeueAt(keyOf(job), startMs + deadline * 1000);
    }
    if (finish) conditions.push(finish);
    if (conditions.length > 0) status.conditions = conditions;
    else delete status.conditions;
    return status;
  }

  private isComplete(job: Immutable<Job>, succeeded: number, pods: JobPods): boolean {
    const completions = job.spec.completions;
    // A work-queue Job (no completions): one success, and every other pod done.
    if (completions === undefined) return succeeded > 0 && pods.active.length === 0;
    return succeeded >= completions;
  }

  /** Creates or deletes pods so that the right number are active, after the back-off. */
  private async manage(key: string, job: Immutable<Job>, pods: JobPods, now: number): Promise<{ created: number; deleted: number }> {
    const uid = job.metadata.uid ?? '';
    const { active } = pods;
    const parallelism = job.spec.suspend === true ? 0 : job.spec.parallelism;
    const completions = job.spec.completions;
    const indexed = job.spec.completionMode === 'Indexed';
    let want: number;
    if (completions === undefined) want = pods.succeeded.length > 0 ? Math.min(active.length, parallelism) : parallelism;
    else want = Math.min(parallelism, Math.max(0, completions - (indexed ? succeededIndexes(job, pods.succeeded).size : pods.succeeded.length)));

    const doomed = active.length > want ? rankForDeletion(active).slice(0, active.length - want) : [];
    let create = Math.min(MAX_CREATES_PER_SYNC, Math.max(0, want - active.length));
    if (create > 0) {
      const allowedAt = backoffUntilMs(pods, (pod) => finishedAtMs(pod, pod.metadata.uid ? this.firstSeenFinished.get(pod.metadata.uid) : undefined), this.backoffBaseMs, this.backoffMaxMs);
      if (allowedAt !== undefined && now < allowedAt) {
        this.log.debug({ controller: this.name, key, waitMs: allowedAt - now }, 'backing off before replacing failed pods');
        this.requeueAt(key, allowedAt);
        create = 0;
      }
    }
    const indexes = indexed ? pendingIndexes(completions ?? 0, succeededIndexes(job, pods.succeeded), active, create) : [];
    if (indexed) create = indexes.length;
    if (doomed.length === 0 && create === 0) return { created: 0, deleted: 0 };

    const planned: { name: string; index: number | undefined }[] = [];
    for (let i = 0; i < create; i++) {
      const index = indexed ? indexes[i] : undefined;
      planned.push({ name: newJobPodName(job, index), index });
    }
    // No await between reading the cache in sync() and recording expectations here.
    if (doomed.length > 0) this.expectations.expectDeletions(key, uid, doomed.map((pod) => pod.metadata.name));
    if (planned.length > 0) this.expectations.expectCreations(key, uid, planned.map((p) => p.name));
    this.log.debug({ controller: this.name, key, active: active.length, create: planned.length, delete: doomed.length }, 'reconciling job pods');

    const deletes = await Promise.allSettled(doomed.map((pod) => this.deleteOne(key, uid, pod)));
    const creates = await Promise.allSettled(planned.map(({ name, index }) => this.createOne(key, job, name, index)));
    const errors = [...deletes, ...creates].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `job ${key}: ${errors.length} pod writes failed`);
    const ok = (r: PromiseSettledResult<boolean>) => r.status === 'fulfilled' && r.value;
    return { created: creates.filter(ok).length, deleted: deletes.filter((r) => r.status === 'fulfilled').length };
  }

  /** True when created; false when the random name was taken (the next sync draws another). */
  private async createOne(key: string, job: Immutable<Job>, name: string, index: number | undefined): Promise<boolean> {
    const uid = job.metadata.uid ?? '';
    try {
      await this.objects.create(POD, buildJobPod(job, name, index, new Date(this.now()), randomUUID()));
      this.log.info({ controller: this.name, key, pod: name, ...(index === undefined ? {} : { index }) }, 'created pod');
      await this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
      return true;
    } catch (error) {
      this.expectations.creationObserved(key, uid, name);
      if (!(error instanceof AlreadyExistsError)) throw error;
      this.queue.add(key);
      return false;
    }
  }

  private async deleteActive(key: string, uid: string, active: readonly Immutable<Pod>[]): Promise<void> {
    if (active.length === 0) return;
    this.expectations.expectDeletions(key, uid, active.map((pod) => pod.metadata.name));
    const results = await Promise.allSettled(active.map((pod) => this.deleteOne(key, uid, pod)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private async deleteOne(key: string, uid: string, pod: Immutable<Pod>): Promise<void> {
    try {
      await deletePod(this.objects, pod.metadata.namespace ?? 'default', pod.metadata.name, {
        expectedRevision: Number(pod.metadata.resourceVersion),
        ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
      });
      this.log.info({ controller: this.name, key, pod: pod.metadata.name }, 'deleted pod');
    } catch (error) {
      this.expectations.deletionObserved(key, uid, pod.metadata.name);
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** ttlSecondsAfterFinished: deletes the Job once due (confirmed from the store), else queues itself for then. */
  private async expireIfDue(key: string, job: Immutable<Job>, now: number): Promise<void> {
    const ttl = job.spec.ttlSecondsAfterFinished;
    const finishedAt = finishedJobAtMs(job);
    if (ttl === undefined || finishedAt === undefined) return;
    const due = finishedAt + ttl * 1000;
    if (now < due) {
      this.requeueAt(key, due);
      return;
    }
    // As Kubernetes' TTL controller: re-read, and delete that version only (the TTL may have been changed meanwhile).
    const fresh = await this.objects.get<Job>(JOB, job.metadata.namespace, job.metadata.name);
    if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
    if (fresh.spec.ttlSecondsAfterFinished !== ttl) {
      this.queue.add(key);
      return;
    }
    try {
      await this.objects.delete(JOB, fresh.metadata.namespace, fresh.metadata.name, Number(fresh.metadata.resourceVersion));
      this.log.info({ controller: this.name, key, ttlSecondsAfterFinished: ttl }, 'deleted finished job (ttlSecondsAfterFinished)');
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  private async event(job: Immutable<Job>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.events?.record({ involved: thaw<Job>(job), type, reason, message, component: 'job-controller' });
    } catch (error) {
      this.log.debug({ controller: this.name, err: error }, 'could not record event');
    }
  }

  private requeueAt(key: string, atMs: number): void {
    const previous = this.wakeups.get(key);
    if (previous !== undefined && previous <= atMs) return;
    this.wakeups.set(key, atMs);
    // setTimeout cannot wait longer than 2^31−1 ms (~24.8 days; a yearly schedule): wake then and look again.
    this.queue.addAfter(key, Math.min(MAX_TIMER_MS, Math.max(1, atMs - this.now())));
  }

  private ownerKey(pod: Immutable<Pod>): { key: string; uid: string } | undefined {
    const ref = jobControllerRef(pod);
    if (!ref) return undefined;
    return { key: `${pod.metadata.namespace ?? 'default'}/${ref.name}`, uid: ref.uid };
  }
}
