// The agent's read-only view of the cluster's Services and EndpointSlices,
// kept current by a list+watch through the control plane (with the node's
// identity). The service proxy and the cluster DNS both read it; neither
// mutates what it returns.
import type { EndpointSlice, Service } from '@skiff/api/core';

/** `namespace/name` of a Service (an EndpointSlice counts for the Service its kubernetes.io/service-name label names). */
export type ServiceKey = string;

export interface ServiceCatalogView {
  /** Whether the first list has arrived (before that, nothing is known: do not program an empty table). */
  readonly synced: boolean;
  services(): readonly Service[];
  service(namespace: string, name: string): Service | undefined;
  /** The slices of one Service, in no particular order. */
  endpointSlices(namespace: string, serviceName: string): readonly EndpointSlice[];
}

export interface ServiceCatalog extends ServiceCatalogView {
  /**
   * Called after every change with the Services it touched (a Service's own
   * change or one of its slices'), and once with `resync: true` after the
   * first list and after every re-list (a broken watch): then the whole view
   * may have changed. Returns the unsubscribe function.
   */
  subscribe(listener: (change: { readonly services: ReadonlySet<ServiceKey>; readonly resync: boolean }) => void): () => void;
}

export function serviceKey(namespace: string, name: string): ServiceKey {
  return `${namespace}/${name}`;
}
