// The API's behaviour, independent of gRPC: validation, defaulting, apply with
// compare-and-swap, reads, deletes (api-deletes.ts) and scaling.
// grpc/api-handlers.ts adapts it.
import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  FailedPreconditionError,
  formatIssue,
  InvalidError,
  kindInfo,
  NotFoundError,
  parseSelector,
  SelectorSyntaxError,
  validateManifest,
  type Deployment,
  type KindInfo,
  type Namespace,
  type ResourceObject,
  type Selector,
  type Service,
} from '@skiff/api';
import { parseResourceVersion } from '../objects/object-codec.js';
import { describeObject, type ObjectStore, type ObjectWrite } from '../objects/object-store.js';
import type { ServiceAllocator } from './service-allocations.js';
import { planApply, type ApplyOutcome } from './apply-plan.js';
import { readListPage, type ListPage } from './list-pages.js';
import { parseManifestJson } from './manifest-json.js';
import { effectiveNamespace, requireKind, requireName, type ObjectRefInput } from './kind-resolution.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { hostPathAdmission, type PodAdmission } from './host-path-admission.js';
import { completesDeletion } from '../objects/object-deletion.js';
import { ApiDeletes, type DeleteOptions } from './api-deletes.js';

export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  readonly object: ResourceObject;
  readonly warnings: readonly string[];
}

export interface ApplyOptions {
  readonly strict?: boolean;
  readonly dryRun?: boolean;
  /** `written` is the object as applied and `existing` as stored: the node authorizer reads what an Event is about from both. */
  readonly authorize?: (
    verb: 'create' | 'update',
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    objects: { readonly written: ResourceObject; readonly existing: ResourceObject | undefined },
  ) => void;
}

export interface ListInput {
  readonly kind: string;
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
  readonly labelSelector?: string;
  /** Kubernetes' list resourceVersion: "" (consistent), "0" (any: from the watch cache), "N" (at least N). */
  readonly resourceVersion?: string;
  /** At most this many objects (a positive integer), and a continue token when more may follow. */
  readonly limit?: number;
  /** The continue token of the previous page: the next page, at that page's revision. */
  readonly continue?: string;
  /** A further filter besides the label selector (the REST door's fieldSelector), applied page by page. */
  readonly matches?: (object: ResourceObject) => boolean;
}

const NAMESPACE = kindInfo('Namespace');

export class ApiService {
  private readonly deletes: ApiDeletes;

  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: () => Date = () => new Date(),
    /** Cluster IPs and node ports of Services; without it, Services cannot be written. */
    private readonly services?: ServiceAllocator,
    /** Refuses pods (and pod templates) with hostPath volumes outside these namespaces (default: everywhere). */
    private readonly admitPod: PodAdmission = hostPathAdmission(new Set()),
  ) {
    this.deletes = new ApiDeletes(objects, clock, services);
  }

  /**
   * `authorize` is asked, once the stored object was read, whether the caller
   * may create it (absent) or update it (present); it throws to refuse.
   */
  async apply(manifestJson: string, options: ApplyOptions = {}): Promise<ApplyResult> {
    const manifest = parseManifestJson(manifestJson);
    // Events come from node agents too (componentWritable); who may write one is the authorizer's call.
    const validation = validateManifest(manifest, { strict: options.strict ?? false, components: true });
    if (!validation.object || !validation.kind || validation.errors.length > 0) {
      throw invalidObject(manifest, validation.errors.map(formatIssue));
    }
    const info = validation.kind;
    const object = validation.object;
    if (info.namespaced) object.metadata.namespace = effectiveNamespace(info, object.metadata.namespace);
    const { namespace, name } = object.metadata;
    const expected = parseResourceVersion(object.metadata.resourceVersion, 'metadata.resourceVersion');

    // The first attempt reads the stored object from the watch cache, as
    // Kubernetes' GuaranteedUpdate starts from its cached object: a stale copy
    // only costs a failed attempt, after which the retry reads etcd. A no-op against the cached copy is confirmed against
    // etcd before it is answered "unchanged". A named resourceVersion and dry
    // runs read etcd from the start.
    let fromCache = expected === undefined && !options.dryRun;
    const attempt = async (): Promise<ApplyResult> => {
      const cached = fromCache;
      fromCache = false;
      try {
        const result = await attemptWith(cached);
        return result ?? (await attemptWith(false))!;
      } catch (error) {
        // Only a write is proof (its compare-and-swap held); any refusal
        // judged on the cached copy (a lost race, NotFound, an authorization
        // by the wrong verb) is judged again on what etcd holds.
        if (cached) return (await attemptWith(false))!;
        throw error;
      }
    };
    /** undefined: the cached copy said "unchanged", which etcd must confirm. */
    const attemptWith = async (cached: boolean): Promise<ApplyResult | undefined> => {
      const existing = await this.objects.get(info, namespace, name, cached ? { minRevision: 0 } : undefined);
      // Authorization first, as Kubernetes does: a caller who may not write here learns nothing about the namespace.
      options.authorize?.(existing ? 'update' : 'create', info, namespace, name, { written: object, existing });
      if (namespace !== undefined) await this.requireActiveNamespace(namespace);
      this.admitPod(info, object);
      if (expected !== undefined) checkPrecondition(info, object, existing, expected);
      const plan = planApply(object, existing, { now: this.clock(), newUid: randomUUID });
      const warnings = validation.warnings.map(formatIssue);
      if (plan.outcome === 'unchanged') return cached ? undefined : { outcome: plan.outcome, object: plan.object, warnings };
      if (existing && completesDeletion(plan.object)) {
        // The update took the last finalizer off an object marked for deletion: it goes now (object-deletion.ts).
        if (!options.dryRun) await this.deletes.deleteStored(info, existing, Number(existing.metadata.resourceVersion));
        return { outcome: plan.outcome, object: plan.object, warnings };
      }
      if (info.kind === 'Service') {
        // The allocation records commit in the Service's own transaction (service-allocations.ts).
        const allocated = await this.allocator().plan(plan.object as Service, existing as Service | undefined);
        if (options.dryRun) return { outcome: plan.outcome, object: allocated.service, warnings };
        const write: ObjectWrite<Service> =
          plan.outcome === 'created'
            ? { op: 'create', object: allocated.service }
            : { op: 'update', object: allocated.service, expectedRevision: Number(existing?.metadata.resourceVersion) };
        const { object: written } = await this.objects.writeWith(info, write, allocated.ops);
        return { outcome: plan.outcome, object: written ?? allocated.service, warnings };
      }
      if (options.dryRun) return { outcome: plan.outcome, object: plan.object, warnings };
      const written =
        plan.outcome === 'created'
          ? await this.objects.create(info, plan.object)
          : await this.objects.update(info, plan.object, Number(existing?.metadata.resourceVersion));
      return { outcome: plan.outcome, object: written, warnings };
    };
    // A manifest that names a resourceVersion asked for exactly that version:
    // losing the race is the caller's conflict, not ours to paper over.
    return expected === undefined ? retryOnConflict(attempt) : attempt();
  }

  async get(ref: ObjectRefInput): Promise<ResourceObject> {
    const info = requireKind(ref.kind);
    requireName(ref.name);
    return this.objects.mustGet(info, effectiveNamespace(info, ref.namespace), ref.name);
  }

  /** A whole list, or with `limit` or `continue` one page of it (list-pages.ts). */
  async list(input: ListInput): Promise<ListPage> {
    const info = requireKind(input.kind);
    const selector = selectorOf(input.labelSelector);
    const namespace = input.allNamespaces ? undefined : effectiveNamespace(info, input.namespace);
    const minRevision = parseResourceVersion(input.resourceVersion);
    const also = input.matches;
    const matches = (item: ResourceObject): boolean => selector.matches(item.metadata.labels) && (also === undefined || also(item));
    if (input.limit === undefined && !input.continue) {
      const { items, revision } = await this.objects.list(info, namespace, minRevision === undefined ? undefined : { minRevision });
      return { items: items.filter(matches), revision };
    }
    return readListPage(this.objects, info, namespace, {
      limit: input.limit,
      continue: input.continue || undefined,
      minRevision,
      matches,
      filtered: !selector.isEmpty() || also !== undefined,
    });
  }

  /** Deletes an object, as ApiDeletes.delete (api-deletes.ts) says. */
  async delete(ref: ObjectRefInput, resourceVersion?: string, options: DeleteOptions = {}): Promise<ResourceObject> {
    return this.deletes.delete(ref, resourceVersion, options);
  }

  /** Kubernetes' deletecollection of the list `input` names, as ApiDeletes.deleteCollection (api-deletes.ts) says. */
  async deleteCollection(input: ListInput, options: DeleteOptions = {}, matches: (object: ResourceObject) => boolean = () => true): Promise<ResourceObject[]> {
    return this.deletes.deleteCollection(input.kind, () => this.list(input), options, matches);
  }

  async scale(ref: ObjectRefInput, replicas: number): Promise<Deployment> {
    const info = requireKind(ref.kind);
    if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') {
      throw new InvalidError(`${info.plural} cannot be scaled; only deployments and replica sets have replicas`);
    }
    requireName(ref.name);
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 2_147_483_647) {
      throw new InvalidError(`spec.replicas: must be a whole number from 0 to 2147483647, not ${replicas}`);
    }
    const namespace = effectiveNamespace(info, ref.namespace);
    return retryOnConflict(async () => {
      // A ReplicaSet has the same spec.replicas; the result is typed as the Deployment the RPC names.
      const existing = await this.objects.mustGet<Deployment>(info, namespace, ref.name);
      if (existing.spec.replicas === replicas) return existing;
      const scaled: Deployment = {
        ...existing,
        metadata: { ...existing.metadata, generation: (existing.metadata.generation ?? 1) + 1 },
        spec: { ...existing.spec, replicas },
      };
      return this.objects.update(info, scaled, Number(existing.metadata.resourceVersion));
    });
  }

  /** Creates the namespaces every cluster has; safe to call on every start. */
  async ensureBuiltinNamespaces(): Promise<void> {
    for (const name of ['default', 'skiff-system']) {
      await this.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    }
  }

  private allocator(): ServiceAllocator {
    if (!this.services) throw new FailedPreconditionError('this API server was started without a service network; Services cannot be written');
    return this.services;
  }

  /**
   * As Kubernetes' NamespaceLifecycle admission: the namespace comes from the
   * watch cache (no etcd read per write), and only when the cache does not
   * have it (just created, and the cache is a moment behind) from a
   * consistent read, so a namespace applied just before its objects is found.
   */
  private async requireActiveNamespace(name: string): Promise<void> {
    const namespace =
      (await this.objects.get<Namespace>(NAMESPACE, undefined, name, { minRevision: 0 })) ??
      (await this.objects.get<Namespace>(NAMESPACE, undefined, name));
    if (!namespace) {
      throw new NotFoundError(
        `namespace "${name}" not found; create it first (apply a Namespace manifest with metadata.name: ${name})`,
      );
    }
    if (namespace.status?.phase === 'Terminating') {
      throw new FailedPreconditionError(`namespace "${name}" is being deleted; nothing new can be created in it`);
    }
  }

}

function invalidObject(manifest: unknown, details: string[]): InvalidError {
  const record = typeof manifest === 'object' && manifest !== null ? (manifest as Record<string, unknown>) : {};
  const short = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text);
  const kind = typeof record.kind === 'string' ? short(record.kind) : 'object';
  const metadata = record.metadata as Record<string, unknown> | undefined;
  const name = typeof metadata?.name === 'string' ? ` "${short(metadata.name)}"` : '';
  return new InvalidError(`${kind}${name} is invalid:\n  ${details.join('\n  ')}`, details);
}

function checkPrecondition(info: KindInfo, object: ResourceObject, existing: ResourceObject | undefined, expected: number): void {
  const what = describeObject(info, object.metadata.namespace, object.metadata.name);
  if (!existing) {
    throw new ConflictError(`Operation cannot be fulfilled on ${what}: it no longer exists (resourceVersion ${expected} is stale)`);
  }
  const current = Number(existing.metadata.resourceVersion);
  if (current !== expected) {
    throw new ConflictError(
      `Operation cannot be fulfilled on ${what}: the object has been modified (resourceVersion ${expected} is stale; current is ${current}); get it again, re-apply your change, or drop metadata.resourceVersion to apply unconditionally`,
      current,
    );
  }
}

export function selectorOf(text: string | undefined): Selector {
  try {
    return parseSelector(text ?? '');
  } catch (error) {
    if (error instanceof SelectorSyntaxError) throw new InvalidError(error.message);
    throw error;
  }
}
