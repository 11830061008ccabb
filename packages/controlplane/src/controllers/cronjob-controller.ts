// CronJob → Jobs, after Kubernetes' CronJob controller (v2): sync(key) finds
// the most recent scheduled time not yet run (in the CronJob's time zone),
// creates its Job — named `<cronjob>-<minutes since the epoch>`, so a time is
// never run twice — unless the concurrency policy says otherwise (Forbid: not
// while one runs; Replace: the running one is deleted first), skips times
// older than startingDeadlineSeconds, keeps the newest successful and failed
// Jobs up to the history limits, and writes status.active,
// lastScheduleTime and lastSuccessfulTime.
//
// Time comes from an injected clock; after each sync the controller queues
// itself for the next scheduled time instead of polling.
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  CronScheduleError,
  jobFinishedCondition,
  jobFromCronJob,
  kindInfo,
  NotFoundError,
  parseCronSchedule,
  scheduledJobName,
  toTimestamp,
  withGeneratedSelector,
  type CronJob,
  type CronJobStatus,
  type Job,
  type ResourceObject,
} from '@skiff/api';
import { keyOf, thaw, type Immutable, type Informer } from '../cache/informer.js';
import type { EventRecorder } from '../objects/event-recorder.js';
import { Expectations } from './expectations.js';
import { QueueController, type QueueControllerOptions } from './queue-controller.js';
import { controllerRef, CONTROLLER_UID_INDEX, ensureControllerUidIndex } from './replica-set-pods.js';
import { writeStatus } from './status-writer.js';

const JOB = kindInfo('Job');
const CRONJOB = kindInfo('CronJob');
/** Kubernetes: more missed start times than this and the controller warns (and still starts only the latest). */
export const MAX_MISSED_START_TIMES = 100;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CronJobControllerOptions extends QueueControllerOptions {
  readonly cronJobs: Informer<CronJob>;
  readonly jobs: Informer<Job>;
  readonly events?: EventRecorder;
  /** Injected for tests (ms since the epoch). */
  readonly now?: () => number;
}

function cronJobControllerRef(object: Immutable<ResourceObject>) {
  const ref = controllerRef(object);
  return ref?.kind === 'CronJob' && ref.apiVersion.startsWith('batch/') ? ref : undefined;
}

function startedMs(job: Immutable<Job>): number {
  const at = Date.parse(job.status?.startTime ?? job.metadata.creationTimestamp ?? '');
  return Number.isNaN(at) ? 0 : at;
}

export class CronJobController extends QueueController {
  private readonly cronJobs: Informer<CronJob>;
  private readonly jobs: Informer<Job>;
  private readonly events: EventRecorder | undefined;
  private readonly now: () => number;
  private readonly expectations: Expectations;
  private readonly wakeups = new Map<string, number>();

  constructor(options: CronJobControllerOptions) {
    super('cronjob', options, [options.cronJobs, options.jobs]);
    this.cronJobs = options.cronJobs;
    this.jobs = options.jobs;
    this.events = options.events;
    this.now = options.now ?? Date.now;
    this.expectations = new Expectations({ now: this.now });
    ensureControllerUidIndex(this.jobs);
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
    this.cronJobs.addHandlers({
      onAdd: (cj) => this.queue.add(keyOf(cj)),
      onUpdate: (_previous, current) => this.queue.add(keyOf(current)),
      onDelete: (cj) => {
        this.expectations.forget(keyOf(cj));
        this.wakeups.delete(keyOf(cj));
      },
    });
    const owner = (job: Immutable<Job>) => {
      const ref = cronJobControllerRef(job);
      return ref ? { key: `${job.metadata.namespace ?? 'default'}/${ref.name}`, uid: ref.uid } : undefined;
    };
    this.jobs.addHandlers({
      onAdd: (job) => {
        const o = owner(job);
        if (!o) return;
        this.expectations.creationObserved(o.key, o.uid, job.metadata.name);
        this.queue.add(o.key);
      },
      onUpdate: (_previous, current) => {
        const o = owner(current);
        if (o) this.queue.add(o.key);
      },
      onDelete: (job) => {
        const o = owner(job);
        if (!o) return;
        this.expectations.deletionObserved(o.key, o.uid, job.metadata.name);
        this.queue.add(o.key);
      },
    });
  }

  async sync(key: string): Promise<void> {
    this.wakeups.delete(key);
    const cronJob = this.cronJobs.get(key);
    if (!cronJob) return;
    const uid = cronJob.metadata.uid;
    if (!uid || cronJob.metadata.deletionTimestamp !== undefined) return;
    if (!this.expectations.satisfied(key, uid)) {
      this.queue.addAfter(key, this.expectations.remainingMs(key, uid));
      return;
    }
    const namespace = cronJob.metadata.namespace ?? 'default';
    const owned = this.jobs
      .byIndex(CONTROLLER_UID_INDEX, uid)
      .filter((job) => (job.metadata.namespace ?? 'default') === namespace && cronJobControllerRef(job) !== undefined);
    let active = owned.filter((job) => !jobFinishedCondition(job) && job.metadata.deletionTimestamp === undefined);
    const now = this.now();
    const status: CronJobStatus = thaw<CronJobStatus>(cronJob.status ?? {});

    const succeededAt = owned
      .filter((job) => jobFinishedCondition(job)?.type === 'Complete')
      .map((job) => Date.parse(job.status?.completionTime ?? ''))
      .filter((at) => !Number.isNaN(at));
    if (succeededAt.length > 0) {
      const latest = Math.max(...succeededAt, Date.parse(status.lastSuccessfulTime ?? '') || 0);
      status.lastSuccessfulTime = toTimestamp(new Date(latest));
    }
    await this.trimHistory(key, cronJob, owned);

    let schedule;
    try {
      schedule = parseCronSchedule(cronJob.spec.schedule, cronJob.spec.timeZone);
    } catch (error) {
      // Validation refuses these; a CronJob stored by an older Skiff is reported, not retried.
      if (!(error instanceof CronScheduleError)) throw error;
      this.log.warn({ controller: this.name, key, err: error }, 'unparseable schedule');
      await this.event(cronJob, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cronJob.spec.schedule)}: ${error.message}`);
      return;
    }

    if (!cronJob.spec.suspend) {
      const scheduled = this.mostRecentUnmet(cronJob, schedule, now);
      if (scheduled !== undefined) {
        const deadline = cronJob.spec.startingDeadlineSeconds;
        if (deadline !== undefined && scheduled + deadline * 1000 < now) {
          this.log.info({ controller: this.name, key, scheduled: new Date(scheduled).toISOString() }, 'missed starting window');
          await this.event(cronJob, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(scheduled).toISOString()}`);
        } else if (cronJob.spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
          // As Kubernetes: the time stays unmet, and starts when the running Job finishes (if still within the deadline).
          this.log.debug({ controller: this.name, key }, 'not starting a job: the previous one still runs and concurrencyPolicy is Forbid');
          await this.event(cronJob, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        } else {
          if (cronJob.spec.concurrencyPolicy === 'Replace') {
            for (const job of active) await this.deleteJob(key, job, 'SuccessfulDelete');
            active = [];
          }
          const created = await this.createJob(key, cronJob, scheduled);
          if (created && !active.some((job) => job.metadata.uid === created.metadata.uid)) active = [...active, created];
          status.lastScheduleTime = toTimestamp(new Date(scheduled));
        }
      }
      this.requeueAt(key, schedule.next(now));
    }

    status.active = active.map((job) => ({ apiVersion: JOB.apiVersion, kind: 'Job' as const, name: job.metadata.name, namespace, uid: job.metadata.uid ?? '' }));
    if (status.active.length === 0) delete status.active;
    // Decided from the previous status (active Jobs, last schedule): a status someone else wrote meanwhile is decided again.
    await writeStatus(cronJob, () => status, { objects: this.objects, kind: CRONJOB, stillCurrent: (fresh, cached) => isDeepStrictEqual(fresh.status ?? {}, cached.status ?? {}) });
  }

  /**
   * Kubernetes' mostRecentScheduleTime: the latest scheduled time after the
   * last one run (or the CronJob's creation, or now − startingDeadlineSeconds
   * if later) and not after now; warns when more than 100 were missed.
   */
  private mostRecentUnmet(cronJob: Immutable<CronJob>, schedule: { next(ms: number): number; prev(ms: number): number }, now: number): number | undefined {
    let earliest = Date.parse(cronJob.status?.lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? '');
    if (Number.isNaN(earliest)) earliest = now;
    const deadline = cronJob.spec.startingDeadlineSeconds;
    if (deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
    const latest = schedule.prev(now + 1);
    if (!(latest > earliest)) return undefined;
    let missed = 0;
    for (let t = schedule.next(earliest); t <= now && missed <= MAX_MISSED_START_TIMES; t = schedule.next(t)) missed++;
    if (missed > MAX_MISSED_START_TIMES) {
      const message = `too many missed start times (> ${MAX_MISSED_START_TIMES}). Set or decrease .spec.startingDeadlineSeconds or check clock skew`;
      this.log.warn({ controller: this.name, key: keyOf(cronJob) }, message);
      void this.event(cronJob, 'Warning', 'TooManyMissedTimes', message);
    }
    return latest;
  }

  private async createJob(key: string, cronJob: Immutable<CronJob>, scheduledMs: number): Promise<Job | undefined> {
    const uid = cronJob.metadata.uid ?? '';
    const name = scheduledJobName(cronJob.metadata.name, scheduledMs);
    const jobUid = randomUUID();
    const job = withGeneratedSelector(jobFromCronJob(thaw<CronJob>(cronJob), { name, scheduledMs }), jobUid);
    job.metadata = { ...job.metadata, uid: jobUid, generation: 1, creationTimestamp: toTimestamp(new Date(this.now())) };
    this.expectations.expectCreations(key, uid, [name]);
    try {
      const created = await this.objects.create(JOB, job);
      this.log.info({ controller: this.name, key, job: name }, 'created job');
      await this.event(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return created;
    } catch (error) {
      this.expectations.creationObserved(key, uid, name);
      // That time's Job exists already (a sync that lost its status write): it was run.
      if (error instanceof AlreadyExistsError) return undefined;
      throw error;
    }
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit (their pods follow via the collector). */
  private async trimHistory(key: string, cronJob: Immutable<CronJob>, owned: readonly Immutable<Job>[]): Promise<void> {
    const byStart = (a: Immutable<Job>, b: Immutable<Job>) => startedMs(a) - startedMs(b);
    const succeeded = owned.filter((job) => jobFinishedCondition(job)?.type === 'Complete').sort(byStart);
    const failed = owned.filter((job) => jobFinishedCondition(job)?.type === 'Failed').sort(byStart);
    const doomed = [
      ...succeeded.slice(0, Math.max(0, succeeded.length - cronJob.spec.successfulJobsHistoryLimit)),
      ...failed.slice(0, Math.max(0, failed.length - cronJob.spec.failedJobsHistoryLimit)),
    ];
    for (const job of doomed) await this.deleteJob(key, job, 'SawCompletedJob');
  }

  private async deleteJob(key: string, job: Immutable<Job>, reason: string): Promise<void> {
    try {
      await this.objects.delete(JOB, job.metadata.namespace, job.metadata.name, Number(job.metadata.resourceVersion));
      this.log.info({ controller: this.name, key, job: job.metadata.name, reason }, 'deleted job');
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  private async event(cronJob: Immutable<CronJob>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.events?.record({ involved: thaw<CronJob>(cronJob), type, reason, message, component: 'cronjob-controller' });
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
}
