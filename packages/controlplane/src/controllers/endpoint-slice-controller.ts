// Service + Pods → EndpointSlices (discovery.k8s.io/v1), client-go style:
// handlers only queue Service keys; sync(key) re-reads the caches, plans the
// slices (endpoint-slices.ts) and writes only what changed, each write a
// compare-and-swap. A Service without a selector is left alone (its slices are
// someone else's); an ExternalName Service has none; a deleted Service's
// slices are deleted here (they are also owned by it, for any collector).
//
// The cache lags our own writes. Like Kubernetes' endpointSliceTracker, the
// controller remembers the revision of each slice it wrote and does not plan
// again for a Service until the informer shows those revisions (or a short
// timeout passes), so it never creates a duplicate slice from a stale view.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AlreadyExistsError,
  kindInfo,
  NotFoundError,
  selectorFromLabels,
  toTimestamp,
  type EndpointSlice,
  type Pod,
  type Service,
} from '@skiff/api';
import { keyOf, runController, splitKey, WorkQueue, type ControllerLogger, type Immutable, type Informer, type RunningController } from '../cache/index.js';
import type { EventRecorder } from '../objects/event-recorder.js';
import type { ObjectStore } from '../objects/object-store.js';
import { desiredGroups, isManagedSliceOf, planSlices } from './endpoint-slices.js';

const SLICE = kindInfo('EndpointSlice');
const BY_SERVICE = 'endpointslices:service';
const PODS_BY_NAMESPACE = 'pods:namespace';
const SERVICES_BY_NAMESPACE = 'services:namespace';
/** How long a written revision is waited for before the cache is trusted anyway. */
const TRACK_TIMEOUT_MS = 10_000;

export interface EndpointSliceControllerOptions {
  readonly objects: ObjectStore;
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly slices: Informer<EndpointSlice>;
  readonly events: EventRecorder;
  readonly log: ControllerLogger;
  readonly workers?: number;
  readonly clock?: () => number;
}

export class EndpointSliceController {
  readonly queue = new WorkQueue();
  private running?: RunningController;
  /** Service key → slice name → revision we wrote ('gone' for our deletes), and when. */
  private readonly written = new Map<string, Map<string, { revision: number | 'gone'; at: number }>>();
  /** Service key → whether it had a ready endpoint at its last sync (for the NoReadyEndpoints event). */
  private readonly hadReady = new Map<string, boolean>();
  private readonly clock: () => number;

  constructor(private readonly options: EndpointSliceControllerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    const { services, pods, slices } = this.options;
    if (!slices.hasIndex(BY_SERVICE)) {
      slices.addIndex(BY_SERVICE, (slice) => {
        const name = slice.metadata.labels?.['kubernetes.io/service-name'];
        return name ? [`${slice.metadata.namespace ?? 'default'}/${name}`] : [];
      });
    }
    if (!services.hasIndex(SERVICES_BY_NAMESPACE)) services.addIndex(SERVICES_BY_NAMESPACE, (svc) => [svc.metadata.namespace ?? 'default']);
    if (!pods.hasIndex(PODS_BY_NAMESPACE)) pods.addIndex(PODS_BY_NAMESPACE, (pod) => [pod.metadata.namespace ?? 'default']);
    services.addHandlers({
      onAdd: (service) => this.queue.add(keyOf(service)),
      onUpdate: (_previous, current) => this.queue.add(keyOf(current)),
      onDelete: (service) => this.queue.add(keyOf(service)),
    });
    const podChanged = (pod: Immutable<Pod>): void => {
      for (const key of this.servicesSelecting(pod)) this.queue.add(key);
    };
    pods.addHandlers({
      onAdd: podChanged,
      onUpdate: (previous, current) => {
        podChanged(previous);
        podChanged(current);
      },
      onDelete: podChanged,
    });
    slices.addHandlers({
      // Someone else's edit (or delete) of a managed slice is undone.
      onUpdate: (_previous, current) => this.queueOwnerOf(current),
      onDelete: (slice) => this.queueOwnerOf(slice),
    });
    this.running = runController({
      name: 'endpointslice',
      queue: this.queue,
      sync: (key) => this.sync(key),
      workers: this.options.workers ?? 2,
      log: this.options.log,
      ready: Promise.all([services.waitForSync(), pods.waitForSync(), slices.waitForSync()]).then(() => undefined),
    });
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.running?.stop();
  }

  async sync(key: string): Promise<void> {
    const { objects, services, pods, slices } = this.options;
    const service = services.get(key);
    const { namespace, name } = splitKey(key);
    const existing = slices.byIndex(BY_SERVICE, key).filter((slice) => isManagedSliceOf(slice, name));
    if (!this.cacheCaughtUp(key, existing)) {
      this.queue.addAfter(key, 50);
      return;
    }
    if (!service || service.spec.type === 'ExternalName') {
      this.hadReady.delete(key);
      await Promise.all(existing.map((slice) => this.deleteSlice(key, slice)));
      if (!service) this.written.delete(key);
      return;
    }
    if (!hasSelector(service)) return; // endpoints are the user's to manage
    const selector = selectorFromLabels(service.spec.selector);
    const selected = pods.byIndex(PODS_BY_NAMESPACE, namespace ?? 'default').filter((pod) => selector.matches(pod.metadata.labels));
    const groups = desiredGroups(service, selected);
    const plan = planSlices(service, groups, existing, () => `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`);
    for (const slice of plan.update) {
      const written = await objects.update(SLICE, slice, Number(slice.metadata.resourceVersion));
      this.track(key, slice.metadata.name, Number(written.metadata.resourceVersion));
    }
    for (const slice of plan.create) await this.createSlice(key, slice);
    for (const slice of plan.delete) await this.deleteSlice(key, slice);
    await this.reportReadiness(key, service, groups.some((g) => g.endpoints.some((e) => e.conditions.ready === true)));
  }

  private async createSlice(key: string, slice: EndpointSlice): Promise<void> {
    slice.metadata.uid = randomUUID();
    slice.metadata.generation = 1;
    slice.metadata.creationTimestamp = toTimestamp(new Date(this.clock()));
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.options.objects.create(SLICE, slice);
        this.track(key, slice.metadata.name, Number(created.metadata.resourceVersion));
        return;
      } catch (error) {
        if (!(error instanceof AlreadyExistsError) || attempt >= 3) throw error;
        slice.metadata.name = `${slice.metadata.labels?.['kubernetes.io/service-name']}-${randomBytes(3).toString('hex').slice(0, 5)}`;
      }
    }
  }

  private async deleteSlice(key: string, slice: Immutable<EndpointSlice>): Promise<void> {
    try {
      await this.options.objects.delete(SLICE, slice.metadata.namespace, slice.metadata.name, Number(slice.metadata.resourceVersion));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    this.track(key, slice.metadata.name, 'gone');
  }

  /** A Warning event when a Service with a selector goes from having ready endpoints (or being new) to none. */
  private async reportReadiness(key: string, service: Immutable<Service>, ready: boolean): Promise<void> {
    const before = this.hadReady.get(key);
    this.hadReady.set(key, ready);
    if (ready || before === false) return;
    await this.options.events.record({
      involved: service as Service,
      type: 'Warning',
      reason: 'NoReadyEndpoints',
      message: `no ready endpoints: no pod selected by ${selectorFromLabels(service.spec.selector ?? {}).toString()} is Ready`,
      component: 'endpointslice-controller',
    });
  }

  private track(key: string, slice: string, revision: number | 'gone'): void {
    let mine = this.written.get(key);
    if (!mine) {
      mine = new Map();
      this.written.set(key, mine);
    }
    mine.set(slice, { revision, at: this.clock() });
  }

  /** True when the cache shows every write this controller made for the Service (or they timed out). */
  private cacheCaughtUp(key: string, cached: readonly Immutable<EndpointSlice>[]): boolean {
    const mine = this.written.get(key);
    if (!mine) return true;
    const now = this.clock();
    for (const [name, { revision, at }] of mine) {
      const slice = cached.find((s) => s.metadata.name === name);
      const seen = revision === 'gone' ? slice === undefined : slice !== undefined && Number(slice.metadata.resourceVersion) >= revision;
      if (seen || now - at > TRACK_TIMEOUT_MS) mine.delete(name);
    }
    return mine.size === 0;
  }

  private servicesSelecting(pod: Immutable<Pod>): string[] {
    const namespace = pod.metadata.namespace ?? 'default';
    return this.options.services
      .byIndex(SERVICES_BY_NAMESPACE, namespace)
      .filter(hasSelector)
      .filter((service) => selectorFromLabels(service.spec.selector ?? {}).matches(pod.metadata.labels))
      .map(keyOf);
  }

  private queueOwnerOf(slice: Immutable<EndpointSlice>): void {
    const name = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (name && isManagedSliceOf(slice, name)) this.queue.add(`${slice.metadata.namespace ?? 'default'}/${name}`);
  }
}

/** As in Kubernetes, an empty selector is no selector: the Service's endpoints are managed by hand. */
function hasSelector(service: Immutable<Service>): boolean {
  return service.spec.selector !== undefined && Object.keys(service.spec.selector).length > 0;
}
