// The in-process harness of the `ctl get` tests: the real command tree and
// renderers against a fake client that serves a fixed set of objects by
// plural and plays scripted watches. (Beside the code like test-api-server.ts;
// imported only by *.test.ts.)
import { status, type ServiceError } from '@grpc/grpc-js';
import type { Pod, ResourceObject } from '@skiff/api';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { ListQuery, Ref, SkiffClient } from '../client.js';
import type { CliContext } from '../context.js';
import { explainServiceError, isServiceError, ServerError } from '../errors.js';
import { buildProgram } from '../program.js';

export const NOW = new Date('2024-05-01T12:00:00.000Z');
export const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

export const pod = (name: string, namespace: string, phase: 'Pending' | 'Running'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, creationTimestamp: ago(90) },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30 },
  status: { phase, containerStatuses: [{ name: 'main', ready: phase === 'Running', restartCount: 0, state: phase === 'Running' ? { running: { startedAt: ago(80) } } : { waiting: { reason: 'ContainerCreating' } } }] },
});

export type WatchStep = { readonly object: ResourceObject; readonly resourceVersion: string } | { readonly error: ServiceError };

/** Serves `objects` by plural; each watch call plays the next script, then ends with its last error. */
export class FakeClient {
  readonly lists: ListQuery[] = [];
  readonly watches: { query: ListQuery; from: string }[] = [];

  constructor(
    private readonly objects: Record<string, ResourceObject[]>,
    private readonly scripts: WatchStep[][] = [],
  ) {}

  /** With a limit, pages as the server does: the continue token is the index of the next object. */
  async list(query: ListQuery): Promise<{ items: ResourceObject[]; resourceVersion: string; continue?: string }> {
    this.lists.push(query);
    const all = (this.objects[query.kind] ?? []).filter((o) => query.allNamespaces || !o.metadata.namespace || o.metadata.namespace === query.namespace);
    const from = Number(query.continue ?? '0');
    const to = query.limit === undefined ? all.length : Math.min(all.length, from + query.limit);
    return { items: all.slice(from, to), resourceVersion: `${10 + this.lists.length}`, ...(to < all.length ? { continue: String(to) } : {}) };
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

export async function ctl(client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  return ctlIn('default', client, ...args);
}

/** ctl get with `namespace` as the kubeconfig context's namespace. */
export async function ctlIn(namespace: string, client: FakeClient, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
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
