// The ConfigMaps and Secrets the node's pods reference, read through the
// control plane's Api as this node (the node authorizer lets a node get only
// what its pods reference) and kept fresh by polling each one every
// `pollMs`: a change (a new resourceVersion, or the object appearing or
// going) calls onChange, and the reconciler's next pass rewrites the volumes
// and starts containers that were waiting for it. Objects no pod has asked
// for in a while are forgotten. Polling single objects with get, rather than
// kubelet's per-object watch, keeps the node authorizer as it is; the cost is
// one small call per referenced object per period. Values are never logged.
import { status } from '@grpc/grpc-js';
import { grpcCodeOf, type ApiClient, type ConfigMap, type ResourceObject, type Secret } from '@skiff/api/core';
import type { Logger } from 'pino';
import type { ConfigSources } from '../env/config-sources.js';
import { unary } from '../grpc-call.js';

type Kind = 'ConfigMap' | 'Secret';

interface Entry {
  readonly kind: Kind;
  readonly namespace: string;
  readonly name: string;
  object: ResourceObject | undefined;
  fetchedAt: number;
  usedAt: number;
  inFlight?: Promise<ResourceObject | undefined>;
}

export interface ReferencedObjectsOptions {
  /** The Api client of the moment, with the node's credentials. */
  readonly client: () => ApiClient;
  readonly onChange: () => void;
  /** How often each object is read again (default 2 s): how soon a mounted file follows an update. */
  readonly pollMs?: number;
  /** Forget an object no pod has asked for in this long (default 60 s). */
  readonly forgetMs?: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export class ReferencedObjects implements ConfigSources {
  private readonly entries = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;
  private readonly pollMs: number;
  private readonly forgetMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReferencedObjectsOptions) {
    this.pollMs = options.pollMs ?? 2000;
    this.forgetMs = options.forgetMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.read('ConfigMap', namespace, name) as Promise<ConfigMap | undefined>;
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read('Secret', namespace, name) as Promise<Secret | undefined>;
  }

  /** The cached object while fresh; else read now (a failed read falls back to what was known, if anything). */
  private async read(kind: Kind, namespace: string, name: string): Promise<ResourceObject | undefined> {
    const key = `${kind}/${namespace}/${name}`;
    const now = this.now();
    let entry = this.entries.get(key);
    if (entry && now - entry.fetchedAt < this.pollMs) {
      entry.usedAt = now;
      return entry.object;
    }
    if (!entry) {
      entry = { kind, namespace, name, object: undefined, fetchedAt: -Infinity, usedAt: now };
      this.entries.set(key, entry);
    }
    entry.usedAt = now;
    const known = entry.fetchedAt !== -Infinity;
    try {
      return await this.fetch(entry);
    } catch (error) {
      if (known) return entry.object;
      this.entries.delete(key);
      throw error;
    }
  }

  private fetch(entry: Entry): Promise<ResourceObject | undefined> {
    entry.inFlight ??= this.get(entry)
      .then((object) => {
        entry.object = object;
        entry.fetchedAt = this.now();
        return object;
      })
      .finally(() => {
        entry.inFlight = undefined;
      });
    return entry.inFlight;
  }

  /** Reads every object still in use again; tells onChange once if any changed. */
  async refresh(): Promise<void> {
    const now = this.now();
    let changed = false;
    await Promise.all(
      [...this.entries].map(async ([key, entry]) => {
        if (now - entry.usedAt > this.forgetMs) {
          this.entries.delete(key);
          return;
        }
        const before = entry.object?.metadata.resourceVersion;
        const had = entry.object !== undefined;
        try {
          const after = await this.fetch(entry);
          if ((after !== undefined) !== had || after?.metadata.resourceVersion !== before) changed = true;
        } catch (error) {
          this.options.log.debug({ err: error, object: key }, 'could not read a referenced object; keeping what was known');
        }
      }),
    );
    if (changed) this.options.onChange();
  }

  private async get(entry: Entry): Promise<ResourceObject | undefined> {
    const client = this.options.client();
    try {
      const response = await unary<{ object_json: string }>((cb, options) =>
        client.Get({ ref: { kind: entry.kind, namespace: entry.namespace, name: entry.name } }, options, cb),
      );
      return JSON.parse(response.object_json) as ResourceObject;
    } catch (error) {
      if (grpcCodeOf(error) === status.NOT_FOUND) return undefined;
      throw error;
    }
  }
}
