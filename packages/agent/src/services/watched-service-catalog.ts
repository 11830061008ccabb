// The ServiceCatalog the agent runs: two reflectors (Services, EndpointSlices)
// through the control plane's Api with the node's identity, folded into one
// view keyed by Service. Listeners hear which Services changed; after the first
// complete list of both kinds, and after any re-list, they hear `resync`.
import { ENDPOINT_SLICE_SERVICE_LABEL, type ApiClient, type BackoffPolicy, type EndpointSlice, type Service } from '@skiff/api/core';
import type { Logger } from 'pino';
import { ObjectReflector } from './object-reflector.js';
import { serviceKey, type ServiceCatalog, type ServiceKey } from './service-catalog.js';

export interface WatchedServiceCatalogOptions {
  readonly client: () => ApiClient;
  readonly log: Logger;
  readonly backoff?: BackoffPolicy;
}

type Listener = Parameters<ServiceCatalog['subscribe']>[0];

export class WatchedServiceCatalog implements ServiceCatalog {
  private readonly servicesByKey = new Map<ServiceKey, Service>();
  /** Slices by the Service they belong to, then by slice name. */
  private readonly slicesByService = new Map<ServiceKey, Map<string, EndpointSlice>>();
  /** Which Service each slice was filed under (its label may change). */
  private readonly sliceOwner = new Map<string, ServiceKey>();
  private readonly listeners = new Set<Listener>();
  private readonly listed = { services: false, slices: false };
  private readonly reflectors: readonly ObjectReflector<Service | EndpointSlice>[];

  constructor(options: WatchedServiceCatalogOptions) {
    const common = { client: options.client, log: options.log, ...(options.backoff ? { backoff: options.backoff } : {}) };
    const services = new ObjectReflector<Service>({
      ...common,
      kind: 'services',
      handler: {
        replaced: (objects) => this.replaceServices(objects),
        upserted: (service) => this.changed(this.putService(service)),
        deleted: (service) => this.changed(this.removeService(service)),
      },
    });
    const slices = new ObjectReflector<EndpointSlice>({
      ...common,
      kind: 'endpointslices',
      handler: {
        replaced: (objects) => this.replaceSlices(objects),
        upserted: (slice) => this.changed(this.putSlice(slice)),
        deleted: (slice) => this.changed(this.removeSlice(slice)),
      },
    });
    this.reflectors = [services as ObjectReflector<Service | EndpointSlice>, slices as ObjectReflector<Service | EndpointSlice>];
  }

  start(): void {
    for (const reflector of this.reflectors) reflector.start();
  }

  stop(): void {
    for (const reflector of this.reflectors) reflector.stop();
  }

  /** Resume both watches on the current client (after a fail-over or a renewed certificate). */
  restart(): void {
    for (const reflector of this.reflectors) reflector.restart();
  }

  get synced(): boolean {
    return this.listed.services && this.listed.slices;
  }

  services(): readonly Service[] {
    return [...this.servicesByKey.values()];
  }

  service(namespace: string, name: string): Service | undefined {
    return this.servicesByKey.get(serviceKey(namespace, name));
  }

  endpointSlices(namespace: string, serviceName: string): readonly EndpointSlice[] {
    return [...(this.slicesByService.get(serviceKey(namespace, serviceName))?.values() ?? [])];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private replaceServices(objects: readonly Service[]): void {
    this.servicesByKey.clear();
    for (const service of objects) this.putService(service);
    this.listed.services = true;
    this.resynced();
  }

  private replaceSlices(objects: readonly EndpointSlice[]): void {
    this.slicesByService.clear();
    this.sliceOwner.clear();
    for (const slice of objects) this.putSlice(slice);
    this.listed.slices = true;
    this.resynced();
  }

  private putService(service: Service): ServiceKey[] {
    const key = serviceKey(service.metadata.namespace ?? 'default', service.metadata.name);
    this.servicesByKey.set(key, service);
    return [key];
  }

  private removeService(service: Service): ServiceKey[] {
    const key = serviceKey(service.metadata.namespace ?? 'default', service.metadata.name);
    this.servicesByKey.delete(key);
    return [key];
  }

  private putSlice(slice: EndpointSlice): ServiceKey[] {
    const touched = this.removeSlice(slice);
    const namespace = slice.metadata.namespace ?? 'default';
    const owner = slice.metadata.labels?.[ENDPOINT_SLICE_SERVICE_LABEL];
    if (owner === undefined) return touched;
    const key = serviceKey(namespace, owner);
    let slices = this.slicesByService.get(key);
    if (!slices) this.slicesByService.set(key, (slices = new Map()));
    slices.set(slice.metadata.name, slice);
    this.sliceOwner.set(sliceId(slice), key);
    return touched.includes(key) ? touched : [...touched, key];
  }

  private removeSlice(slice: EndpointSlice): ServiceKey[] {
    const id = sliceId(slice);
    const owner = this.sliceOwner.get(id);
    if (owner === undefined) return [];
    this.sliceOwner.delete(id);
    const slices = this.slicesByService.get(owner);
    slices?.delete(slice.metadata.name);
    if (slices?.size === 0) this.slicesByService.delete(owner);
    return [owner];
  }

  private changed(keys: readonly ServiceKey[]): void {
    if (!this.synced || keys.length === 0) return;
    this.emit({ services: new Set(keys), resync: false });
  }

  private resynced(): void {
    if (this.synced) this.emit({ services: new Set(this.servicesByKey.keys()), resync: true });
  }

  private emit(change: Parameters<Listener>[0]): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}

function sliceId(slice: EndpointSlice): string {
  return `${slice.metadata.namespace ?? 'default'}/${slice.metadata.name}`;
}
