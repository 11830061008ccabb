// The API's delete verbs, independent of gRPC and REST: delete (a pod
// gracefully, any other object by its finalizers and propagation policy, a
// namespace with everything in it) and deletecollection. ApiService answers
// them through this; its apply uses deleteStored when an update takes the
// last finalizer off.
import {
  BatchConflictError,
  ConflictError,
  FailedPreconditionError,
  InvalidError,
  kindInfo,
  KINDS,
  NotFoundError,
  type KindInfo,
  type Namespace,
  type ResourceObject,
  type Service,
} from '@skiff/api';
import { parseResourceVersion } from '../objects/object-codec.js';
import { planDeletion, type PropagationPolicy } from '../objects/object-deletion.js';
import { describeObject, type ObjectStore } from '../objects/object-store.js';
import { deletePod } from '../objects/pod-deletion.js';
import { retryOnConflict } from '../objects/retry-on-conflict.js';
import { effectiveNamespace, requireKind, requireName, type ObjectRefInput } from './kind-resolution.js';
import type { ServiceAllocator } from './service-allocations.js';

export interface DeleteOptions {
  /** Pods: seconds between SIGTERM and SIGKILL (absent: the pod's own). */
  readonly gracePeriodSeconds?: number;
  /** What happens to the object's dependents (absent: the kind's default, objects/object-deletion.ts). Namespaces ignore it. */
  readonly propagationPolicy?: PropagationPolicy;
}

const NAMESPACE = kindInfo('Namespace');

export class ApiDeletes {
  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: () => Date,
    /** Frees a deleted Service's cluster IP and node ports; without it, a Service is deleted alone. */
    private readonly services: ServiceAllocator | undefined,
  ) {}

  /**
   * Deletes an object. A pod bound to a node is deleted gracefully
   * (objects/pod-deletion.ts): marked with a deletionTimestamp, and removed
   * once its agent has stopped it; `gracePeriodSeconds` 0 removes it at once.
   * Any other object with finalizers, or deleted with the Orphan or
   * Foreground `propagationPolicy` (absent: the kind's default), is marked and
   * stays until its finalizers are gone (objects/object-deletion.ts). Answers
   * the object as marked, or as it was last stored when it was removed.
   */
  async delete(ref: ObjectRefInput, resourceVersion?: string, options: DeleteOptions = {}): Promise<ResourceObject> {
    const info = requireKind(ref.kind);
    requireName(ref.name);
    const namespace = effectiveNamespace(info, ref.namespace);
    const expected = parseResourceVersion(resourceVersion);
    const grace = options.gracePeriodSeconds;
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
      throw new InvalidError(`gracePeriodSeconds: must be a whole number of seconds, 0 or more, not ${grace}`);
    }
    if (info.kind === 'Namespace') return this.deleteNamespace(ref.name, expected);
    if (info.kind === 'Pod') {
      const { pod } = await deletePod(this.objects, namespace ?? 'default', ref.name, {
        ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        ...(expected !== undefined ? { expectedRevision: expected } : {}),
      }, this.clock);
      return pod;
    }
    const attempt = async (): Promise<ResourceObject> => {
      const existing = await this.objects.mustGet(info, namespace, ref.name);
      const revision = expected ?? Number(existing.metadata.resourceVersion);
      const plan = planDeletion(existing, options.propagationPolicy, this.clock());
      if (plan.op === 'none') return existing;
      if (plan.op === 'mark') return this.objects.update(info, plan.object, revision);
      await this.deleteStored(info, existing, revision);
      return existing;
    };
    return expected === undefined ? retryOnConflict(attempt) : attempt();
  }

  /**
   * Kubernetes' deletecollection: every object of `kind` that `list` answers
   * (and `matches`, a field selector) is deleted as delete() would, with the
   * same options; one gone meanwhile is skipped. Answers the objects as
   * deleted (marked, or as last stored). Namespaces are deleted one at a time.
   */
  async deleteCollection(
    kind: string,
    list: () => Promise<{ readonly items: readonly ResourceObject[] }>,
    options: DeleteOptions,
    matches: (object: ResourceObject) => boolean,
  ): Promise<ResourceObject[]> {
    const info = requireKind(kind);
    if (info.kind === 'Namespace') throw new InvalidError('namespaces cannot be deleted as a collection; delete each by name');
    const { items } = await list();
    const deleted: ResourceObject[] = [];
    for (const item of items.filter(matches)) {
      try {
        deleted.push(await this.delete({ kind: info.kind, ...(item.metadata.namespace !== undefined ? { namespace: item.metadata.namespace } : {}), name: item.metadata.name }, undefined, options));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return deleted;
  }

  /** Deletes a stored object; a Service's IP and node ports are freed in the same transaction. */
  async deleteStored(info: KindInfo, object: ResourceObject, revision: number): Promise<void> {
    const { namespace, name } = object.metadata;
    if (info.kind !== 'Service' || !this.services) {
      await this.objects.delete(info, namespace, name, revision);
      return;
    }
    const release = await this.services.releaseOps(object as Service);
    try {
      await this.objects.writeWith(info, { op: 'delete', namespace, name, expectedRevision: revision }, release);
    } catch (error) {
      // The Service's own compare failed: say so as a single delete would.
      if (error instanceof BatchConflictError && error.index === 0) await this.objects.delete(info, namespace, name, revision);
      throw error;
    }
  }

  /**
   * Like Kubernetes: mark the namespace Terminating (so nothing new lands in
   * it), delete everything inside, then the namespace itself.
   */
  private async deleteNamespace(name: string, expected: number | undefined): Promise<ResourceObject> {
    if (name === 'default' || name === 'skiff-system') {
      throw new FailedPreconditionError(`namespace "${name}" is built in and cannot be deleted`);
    }
    const terminating = await retryOnConflict(async () => {
      const existing = await this.objects.mustGet<Namespace>(NAMESPACE, undefined, name);
      if (expected !== undefined && Number(existing.metadata.resourceVersion) !== expected) {
        throw new ConflictError(
          `Operation cannot be fulfilled on ${describeObject(NAMESPACE, undefined, name)}: resourceVersion ${expected} is stale`,
        );
      }
      if (existing.status?.phase === 'Terminating') return existing;
      const marked: Namespace = {
        ...existing,
        metadata: { ...existing.metadata, deletionTimestamp: new Date().toISOString() },
        status: { phase: 'Terminating' },
      };
      return this.objects.update(NAMESPACE, marked, Number(existing.metadata.resourceVersion));
    });
    for (const info of namespacedKinds()) {
      const { items } = await this.objects.list(info, name);
      for (const item of items) {
        await retryOnConflict(async () => {
          const current = await this.objects.get(info, name, item.metadata.name);
          try {
            if (current) await this.deleteStored(info, current, Number(current.metadata.resourceVersion));
          } catch (error) {
            // Gone meanwhile (its controller or the garbage collector was faster): that is what we wanted.
            if (!(error instanceof NotFoundError)) throw error;
          }
        });
      }
    }
    await retryOnConflict(async () => {
      const current = await this.objects.get(NAMESPACE, undefined, name);
      if (current) await this.objects.delete(NAMESPACE, undefined, name, Number(current.metadata.resourceVersion));
    });
    return terminating;
  }
}

function namespacedKinds(): KindInfo[] {
  return KINDS.filter((info) => info.namespaced);
}
