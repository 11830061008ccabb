// A list+watch of one kind across all namespaces through the control plane's
// Api service, as a client-go reflector does it: List gives the objects and a
// resourceVersion; Watch from there streams every change. A broken stream is
// resumed from the last resourceVersion seen (after a back-off); when that
// version is compacted away (OUT_OF_RANGE) the reflector lists again and hands
// over the whole new picture (`replaced`). The agent's assignment stream
// (assignments.ts) follows the same rules for a NodeApi stream.
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { BACKOFF, Backoff, type ApiClient, type BackoffPolicy, type ResourceObject } from '@skiff/api/core';
import type { Logger } from 'pino';
import { detailsOf, unary } from '../grpc-call.js';

export interface ReflectorHandler<T extends ResourceObject> {
  /** A (re)list: these are all the objects there are now. */
  replaced(objects: readonly T[]): void;
  upserted(object: T): void;
  deleted(object: T): void;
}

export interface ObjectReflectorOptions<T extends ResourceObject> {
  /** The Api client of the moment (a renewed certificate or a fail-over replaces it). */
  readonly client: () => ApiClient;
  /** The kind's plural, as List and Watch take it: "services", "endpointslices". */
  readonly kind: string;
  readonly handler: ReflectorHandler<T>;
  readonly log: Logger;
  readonly backoff?: BackoffPolicy;
}

interface WatchEventMessage {
  type: string;
  object_json: string;
  resource_version: string;
}

export class ObjectReflector<T extends ResourceObject> {
  /** '' until the first list, and again after a compaction: the next connect lists. */
  private resourceVersion = '';
  private stream?: ClientReadableStream<WatchEventMessage>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Bumps on every connect, so the callbacks of a superseded attempt do nothing. */
  private generation = 0;
  private readonly backoff: Backoff;

  constructor(private readonly options: ObjectReflectorOptions<T>) {
    this.backoff = new Backoff(options.backoff ?? BACKOFF.informerRelist);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    clearTimeout(this.timer);
    this.stream?.cancel();
    this.stream = undefined;
  }

  /** Drops the current stream and resumes from the last resourceVersion on the current client. */
  restart(): void {
    if (!this.stopped) this.connect();
  }

  /** The last resourceVersion seen ('' before the first list). */
  get version(): string {
    return this.resourceVersion;
  }

  private connect(): void {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.stream?.cancel();
    this.stream = undefined;
    void this.run(generation).catch((error: unknown) => this.retryLater(generation, error));
  }

  private async run(generation: number): Promise<void> {
    const client = this.options.client();
    if (this.resourceVersion === '') {
      const response = await unary<{ items_json: string[]; resource_version: string }>((cb, callOptions) =>
        client.List({ kind: this.options.kind, namespace: '', all_namespaces: true, label_selector: '' }, callOptions, cb),
      );
      if (generation !== this.generation) return;
      this.resourceVersion = response.resource_version;
      this.options.handler.replaced(response.items_json.map((json) => JSON.parse(json) as T));
    }
    this.watch(generation, client);
  }

  private watch(generation: number, client: ApiClient): void {
    const stream = client.Watch({
      kind: this.options.kind,
      namespace: '',
      all_namespaces: true,
      label_selector: '',
      resource_version: this.resourceVersion,
    }) as ClientReadableStream<WatchEventMessage>;
    this.stream = stream;
    // grpc-js emits 'error' and 'end' for one failed stream: retry once.
    let over = false;
    const finish = (error: unknown): void => {
      if (over || generation !== this.generation) return;
      over = true;
      this.retryLater(generation, error);
    };
    stream.on('data', (event: WatchEventMessage) => {
      if (generation !== this.generation) return;
      this.backoff.reset();
      this.resourceVersion = event.resource_version;
      const object = JSON.parse(event.object_json) as T;
      if (event.type === 'DELETED') this.options.handler.deleted(object);
      else this.options.handler.upserted(object);
    });
    stream.on('error', (error: ServiceError) => finish(error));
    stream.on('end', () => finish(new Error('the watch stream ended')));
  }

  private retryLater(generation: number, error: unknown): void {
    if (this.stopped || generation !== this.generation) return;
    const code = (error as Partial<ServiceError>).code;
    if (code === status.OUT_OF_RANGE) {
      // Compacted: the history we would resume from is gone; list again (right away).
      this.options.log.info({ kind: this.options.kind, resourceVersion: this.resourceVersion }, 'watch history compacted; listing again');
      this.resourceVersion = '';
      this.connect();
      return;
    }
    const waitMs = this.backoff.next();
    this.options.log.warn({ kind: this.options.kind, code, details: detailsOf(error), waitMs }, 'service catalog list/watch failed; retrying');
    this.timer = setTimeout(() => {
      if (generation === this.generation) this.connect();
    }, waitMs);
    this.timer.unref();
  }
}
