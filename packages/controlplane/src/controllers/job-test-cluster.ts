// Test support for the Job and CronJob controller tests: the in-memory store
// (same contract as etcd), the shared informers, a controlled clock, and
// helpers that play the API's and the agent's part (pods Running, Succeeded, Failed,
// restarted in place). The tests call sync(key) themselves, after the
// informers have caught up with the store, so each step is deterministic.
// Lives beside the code (not in a test file) so the three suites share it;
// the tests hand it @skiff/testkit's waitFor (nothing shipped imports testkit).
import { randomUUID } from 'node:crypto';
import { formatIssue, kindInfo, toTimestamp, validateManifest, withGeneratedSelector, type CronJob, type Job, type Pod, type PodPhase, type ResourceObject } from '@skiff/api';
import { InformerFactory } from '../cache/index.js';
import type { Informer } from '../cache/informer.js';
import { ObjectStore } from '../objects/object-store.js';
import { MemoryStore } from '../store/index.js';

const POD = kindInfo('Pod');
const JOB = kindInfo('Job');
const CRONJOB = kindInfo('CronJob');

export class Clock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

/** @skiff/testkit's waitFor, as the tests pass it. */
export type WaitFor = <T>(probe: () => Promise<T | undefined>, options: { timeoutMs: number; intervalMs: number; description: string }) => Promise<T>;

export class JobTestCluster {
  readonly store = new MemoryStore();
  readonly objects = new ObjectStore(this.store);
  readonly informers = new InformerFactory({ objects: this.objects });
  readonly pods: Informer<Pod>;
  readonly jobs: Informer<Job>;
  readonly cronJobs: Informer<CronJob>;

  constructor(
    readonly clock: Clock,
    private readonly waitFor: WaitFor,
  ) {
    this.pods = this.informers.informerFor<Pod>('Pod');
    this.jobs = this.informers.informerFor<Job>('Job');
    this.cronJobs = this.informers.informerFor<CronJob>('CronJob');
  }

  async start(): Promise<void> {
    this.informers.start();
    await this.informers.waitForSync();
  }

  async stop(): Promise<void> {
    await this.informers.stop();
    await this.store.close();
  }

  /** Waits until the informers hold exactly what the store holds (the controllers decide from them). */
  async settle(): Promise<void> {
    const pairs: [typeof POD, Informer<ResourceObject>][] = [
      [POD, this.pods as unknown as Informer<ResourceObject>],
      [JOB, this.jobs as unknown as Informer<ResourceObject>],
      [CRONJOB, this.cronJobs as unknown as Informer<ResourceObject>],
    ];
    await this.waitFor(
      async () => {
        for (const [info, informer] of pairs) {
          const { items } = await this.objects.list(info, undefined);
          const cached = new Map(informer.list().map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.resourceVersion]));
          if (cached.size !== items.length) return undefined;
          for (const item of items) if (cached.get(`${item.metadata.namespace}/${item.metadata.name}`) !== item.metadata.resourceVersion) return undefined;
        }
        return true;
      },
      { timeoutMs: 5_000, intervalMs: 5, description: 'informers to catch up with the store' },
    );
  }

  /** Validates, defaults and creates the object as the API's create does (a Job gets its generated selector). */
  async create<T extends ResourceObject>(manifest: Record<string, unknown>): Promise<T> {
    const result = validateManifest(manifest);
    if (!result.object || !result.kind || result.errors.length > 0) throw new Error(result.errors.map(formatIssue).join('; '));
    const uid = randomUUID();
    let object: ResourceObject = { ...result.object, metadata: { ...result.object.metadata, namespace: 'default', uid, generation: 1, creationTimestamp: toTimestamp(new Date(this.clock.ms)) } };
    if (object.kind === 'Job') object = withGeneratedSelector(object as Job, uid);
    return this.objects.create(result.kind, object as T);
  }

  async job(name: string): Promise<Job> {
    return this.objects.mustGet<Job>(JOB, 'default', name);
  }

  async maybeJob(name: string): Promise<Job | undefined> {
    return this.objects.get<Job>(JOB, 'default', name);
  }

  async cronJob(name: string): Promise<CronJob> {
    return this.objects.mustGet<CronJob>(CRONJOB, 'default', name);
  }

  async jobsOf(cronJob: string): Promise<Job[]> {
    const { items } = await this.objects.list<Job>(JOB, 'default');
    return items.filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === cronJob)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** The Job's pods in the store, oldest first (then by name). */
  async podsOf(job: string): Promise<Pod[]> {
    const { items } = await this.objects.list<Pod>(POD, 'default');
    return items
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'Job' && r.name === job))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  async activePods(job: string): Promise<Pod[]> {
    return (await this.podsOf(job)).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp);
  }

  /** What the agent reports: a phase (finished ones with exit codes and a finish time on the clock). */
  async setPhase(pod: Pod, phase: PodPhase, options: { readonly ready?: boolean; readonly restarts?: number } = {}): Promise<Pod> {
    const fresh = await this.objects.mustGet<Pod>(POD, 'default', pod.metadata.name);
    const at = toTimestamp(new Date(this.clock.ms));
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const status: Pod['status'] = {
      phase,
      startTime: fresh.status?.startTime ?? at,
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False' }],
      containerStatuses: fresh.spec.containers.map((c) => ({
        name: c.name,
        ready: options.ready === true,
        restartCount: options.restarts ?? 0,
        state: finished ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, startedAt: at, finishedAt: at } } : { running: { startedAt: at } },
      })),
    };
    return this.objects.update(POD, { ...fresh, spec: { ...fresh.spec, nodeName: fresh.spec.nodeName ?? 'node-1' }, status }, Number(fresh.metadata.resourceVersion));
  }

  /** Removes a pod marked for graceful deletion, as its agent would once its containers stopped. */
  async removeTerminating(): Promise<void> {
    const { items } = await this.objects.list<Pod>(POD, 'default');
    for (const pod of items) if (pod.metadata.deletionTimestamp) await this.objects.delete(POD, 'default', pod.metadata.name, Number(pod.metadata.resourceVersion));
  }
}

export function jobManifest(name: string, spec: Record<string, unknown> = {}, restartPolicy = 'Never'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      ...spec,
      template: { spec: { restartPolicy, containers: [{ name: 'main', image: 'busybox:1', command: ['true'] }] } },
    },
  };
}
