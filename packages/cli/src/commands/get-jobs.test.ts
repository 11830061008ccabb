// `ctl get jobs`, `get cronjobs` and `get all` inside the process: the real
// command tree and renderers against a fake client serving fixed objects.
import { status, type ServiceError } from '@grpc/grpc-js';
import type { CronJob, Job, Pod, ResourceObject } from '@skiff/api';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ListQuery, Ref, SkiffClient } from '../client.js';
import type { CliContext } from '../context.js';
import { explainServiceError, isServiceError, ServerError } from '../errors.js';
import { buildProgram } from '../program.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

const pod = (name: string, namespace: string, phase: 'Pending' | 'Running'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, creationTimestamp: ago(90) },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
  status: { phase, containerStatuses: [{ name: 'main', ready: phase === 'Running', restartCount: 0, state: phase === 'Running' ? { running: { startedAt: ago(80) } } : { waiting: { reason: 'ContainerCreating' } } }] },
});

type WatchStep = { readonly object: ResourceObject; readonly resourceVersion: string } | { readonly error: ServiceError };

/** Serves `objects` by plural; each watch call plays the next script, then ends with its last error. */
class FakeClient {
  readonly lists: ListQuery[] = [];
  readonly watches: { query: ListQuery; from: string }[] = [];

  constructor(
    private readonly objects: Record<string, ResourceObject[]>,
    private readonly scripts: WatchStep[][] = [],
  ) {}

  async list(query: ListQuery): Promise<{ items: ResourceObject[]; resourceVersion: string }> {
    this.lists.push(query);
    const items = (this.objects[query.kind] ?? []).filter((o) => query.allNamespaces || !o.metadata.namespace || o.metadata.namespace === query.namespace);
    return { items, resourceVersion: `${10 + this.lists.length}` };
  }

  async get(ref: Ref): Promise<ResourceObject> {
    const found = (this.objects[ref.kind] ?? []).find((o) => o.metadata.name === ref.name && (!o.metadata.namespace || o.metadata.namespace === ref.namespace));
    if (!found) throw new ServerError(`Error from server (NotFound): ${ref.kind} "${ref.name}" not found`, status.NOT_FOUND);
    return found;
  }

  watch(query: ListQuery, from: string): EventEmitter {
    this.watches.push({ query, from });
    const stream = new EventEmitter();
    const script = this.scripts.shift() ?? [];
    setImmediate(() => {
      for (const step of script) {
        if ('error' in step) stream.emit('error', step.error);
        else stream.emit('data', { type: 'MODIFIED', object_json: JSON.stringify(step.object), resource_version: step.resourceVersion });
      }
      if (!script.some((step) => 'error' in step)) stream.emit('end');
    });
    return stream;
  }

  explain(error: unknown): unknown {
    return isServiceError(error) ? explainServiceError(error, { where: 'fake:7400' }) : error;
  }
}

async function ctl(client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  return ctlIn('default', client, ...args);
}

/** ctl get with `namespace` as the kubeconfig context's namespace. */
async function ctlIn(namespace: string, client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const printed = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr'): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed[key] += chunk.toString();
        done();
      },
    });
  const context: CliContext = {
    stdout: sink('stdout'),
    stderr: sink('stderr'),
    readStdin: async () => '',
    now: () => NOW,
    client: () => client as unknown as SkiffClient,
    defaultNamespace: () => namespace,
    kubeconfig: () => {
      throw new Error('ctl get reads the kubeconfig only through client() and defaultNamespace()');
    },
    flags: {},
    close: () => {},
  };
  try {
    await buildProgram(context).parseAsync(['get', ...args], { from: 'user' });
    return printed;
  } catch (error) {
    return { ...printed, error };
  }
}


const job = (name: string, patch: Partial<Job['status']> & { completions?: number; parallelism?: number } = {}): Job => {
  const { completions, parallelism, ...status } = patch;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', creationTimestamp: ago(300) },
    spec: {
      parallelism: parallelism ?? 1,
      ...(completions === undefined ? {} : { completions }),
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: { spec: { containers: [{ name: 'pi', image: 'busybox:1' }], restartPolicy: 'Never', terminationGracePeriodSeconds: 30 } },
    },
    status,
  };
};

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(3600) },
  spec: {
    schedule: '*/5 * * * *',
    concurrencyPolicy: 'Allow',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: { spec: job('x').spec },
  },
  status: { lastScheduleTime: ago(120), active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'hello-1', namespace: 'default', uid: 'u' }] },
};

describe('ctl get jobs and cronjobs', () => {
  it("prints kubectl's job columns: STATUS, COMPLETIONS and DURATION", async () => {
    const client = new FakeClient({
      jobs: [
        job('done', { completions: 3, succeeded: 3, startTime: ago(200), completionTime: ago(140), conditions: [{ type: 'Complete', status: 'True' }] }),
        job('busy', { completions: 2, succeeded: 1, active: 1, startTime: ago(45) }),
        job('broke', { completions: 1, failed: 7, startTime: ago(100), conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
        job('queue', { parallelism: 3, startTime: ago(10) }),
      ],
    });
    expect((await ctl(client, 'jobs')).stdout).toBe(
      [
        'NAME    STATUS     COMPLETIONS   DURATION   AGE',
        'done    Complete   3/3           60s        5m',
        'busy    Running    1/2           45s        5m',
        'broke   Failed     0/1           100s       5m',
        'queue   Running    0/1 of 3      10s        5m',
        '',
      ].join('\n'),
    );
  });

  it("prints kubectl's cronjob columns", async () => {
    const client = new FakeClient({ cronjobs: [cronJob, { ...cronJob, metadata: { ...cronJob.metadata, name: 'berlin' }, spec: { ...cronJob.spec, timeZone: 'Europe/Berlin', suspend: true }, status: {} }] });
    expect((await ctl(client, 'cj')).stdout).toBe(
      [
        'NAME     SCHEDULE      TIMEZONE        SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
        'hello    */5 * * * *   <none>          False     1        2m              60m',
        'berlin   */5 * * * *   Europe/Berlin   True      0        <none>          60m',
        '',
      ].join('\n'),
    );
  });
});

describe('ctl get all', () => {
  it("lists kubectl's all category, kind by kind with kind/name rows, skipping empty kinds", async () => {
    const client = new FakeClient({ pods: [pod('web-1', 'default', 'Running')], cronjobs: [cronJob], jobs: [job('hello-1', { completions: 1, active: 1, startTime: ago(5) })] });
    const { stdout, stderr } = await ctl(client, 'all');
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        'NAME        READY   STATUS    RESTARTS   AGE',
        'pod/web-1   1/1     Running   0          90s',
        '',
        'NAME                  SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
        'cronjob.batch/hello   */5 * * * *   <none>     False     1        2m              60m',
        '',
        'NAME                STATUS    COMPLETIONS   DURATION   AGE',
        'job.batch/hello-1   Running   0/1           5s         5m',
        '',
      ].join('\n'),
    );
    // kubectl's order (StatefulSet is not a Skiff kind).
    expect(client.lists.map((q) => q.kind)).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'horizontalpodautoscalers', 'cronjobs', 'jobs']);
  });

  it('says "No resources found" once when every kind is empty', async () => {
    expect(await ctl(new FakeClient({}), 'all')).toEqual({ stdout: '', stderr: 'No resources found in default namespace.\n' });
  });
});
