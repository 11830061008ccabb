// What a Service's EndpointSlices should hold, as pure functions (Kubernetes'
// endpointslice reconciler, simplified): the endpoints of the pods its
// selector picks, grouped by how their ports resolve, packed into slices of
// at most 100 with as few writes as possible — an unchanged slice is not
// rewritten, a changed endpoint is updated where it is, new endpoints fill
// slices being written anyway before untouched ones, and only then new slices.
import { isDeepStrictEqual } from 'node:util';
import {
  ENDPOINT_SLICE_MANAGED_BY_LABEL,
  ENDPOINT_SLICE_SERVICE_LABEL,
  isTerminalPod,
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
  type Pod,
  type Service,
} from '@skiff/api';
import type { Immutable } from '../cache/informer.js';
import { isPodReady } from './replica-set-pods.js';

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const ENDPOINT_SLICE_CONTROLLER_NAME = 'endpointslice-controller.skiff.io';

/** The endpoints that share one resolution of the Service's ports. */
export interface EndpointGroup {
  readonly ports: EndpointPort[];
  readonly endpoints: Endpoint[];
}

export interface SlicePlan {
  readonly create: EndpointSlice[];
  /** Full new versions of existing slices (their resourceVersion kept for the compare-and-swap). */
  readonly update: EndpointSlice[];
  readonly delete: Immutable<EndpointSlice>[];
}

/** The pods behind a Service: have an IP, are not finished. Terminating pods stay, marked terminating. */
export function desiredGroups(service: Immutable<Service>, pods: readonly Immutable<Pod>[]): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  const sorted = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of sorted) {
    if (!pod.status?.podIP || isTerminalPod(pod)) continue;
    const ports = resolvePorts(service, pod);
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) {
      group = { ports, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push(endpointOf(service, pod));
  }
  return [...groups.values()];
}

/** Each Service port with its targetPort resolved against the pod; a name the pod lacks drops that port, as in Kubernetes. */
export function resolvePorts(service: Immutable<Service>, pod: Immutable<Pod>): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const port of service.spec.ports) {
    let number: number | undefined;
    if (typeof port.targetPort === 'number') number = port.targetPort;
    else {
      for (const container of pod.spec.containers) {
        const match = container.ports?.find((p) => p.name === port.targetPort && (p.protocol ?? 'TCP') === port.protocol);
        if (match) {
          number = match.containerPort;
          break;
        }
      }
    }
    if (number === undefined) continue;
    out.push({ ...(port.name ? { name: port.name } : {}), protocol: port.protocol, port: number });
  }
  return out;
}

export function endpointOf(service: Immutable<Service>, pod: Immutable<Pod>): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const namespace = pod.metadata.namespace ?? 'default';
  const endpoint: Endpoint = {
    addresses: [pod.status?.podIP ?? ''],
    conditions: { ready: service.spec.publishNotReadyAddresses === true || (serving && !terminating), serving, terminating },
    targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
  };
  if (pod.spec.hostname && pod.spec.subdomain === service.metadata.name) endpoint.hostname = pod.spec.hostname;
  if (pod.spec.nodeName) endpoint.nodeName = pod.spec.nodeName;
  return endpoint;
}

/**
 * Turns the existing slices into the desired groups. `newName` names a
 * slice to create. With no endpoints at all, one empty slice stays (or is
 * made), as Kubernetes' placeholder, so a Service always shows its slice.
 */
export function planSlices(
  service: Immutable<Service>,
  groups: readonly EndpointGroup[],
  existing: readonly Immutable<EndpointSlice>[],
  newName: () => string,
): SlicePlan {
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const remove: Immutable<EndpointSlice>[] = [];
  const used = new Set<Immutable<EndpointSlice>>();
  const sorted = [...existing].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  const leftovers: { group: EndpointGroup; pending: Endpoint[] }[] = [];
  for (const group of groups) {
    const wanted = new Map(group.endpoints.map((e) => [endpointKey(e), e]));
    const mine = sorted.filter((slice) => !used.has(slice) && isDeepStrictEqual(slice.ports, group.ports));
    // Endpoints stay in the slice that holds them (updated in place); gone ones are dropped.
    const working = mine.map((slice) => {
      used.add(slice);
      const endpoints: Endpoint[] = [];
      for (const endpoint of slice.endpoints) {
        const key = endpointKey(endpoint as Endpoint);
        const desired = wanted.get(key);
        if (desired && endpoints.length < MAX_ENDPOINTS_PER_SLICE) {
          endpoints.push(desired);
          wanted.delete(key);
        }
      }
      return { slice, endpoints, changed: !isDeepStrictEqual(endpoints, slice.endpoints) || !ownedBy(slice, service) };
    });
    // New endpoints: first into slices changing anyway, then into the fullest others.
    const pending = [...wanted.values()];
    const order = [...working.filter((w) => w.changed), ...working.filter((w) => !w.changed).sort((a, b) => b.endpoints.length - a.endpoints.length)];
    for (const w of order) {
      while (pending.length > 0 && w.endpoints.length < MAX_ENDPOINTS_PER_SLICE) {
        w.endpoints.push(pending.shift()!);
        w.changed = true;
      }
    }
    for (const w of working) {
      if (w.endpoints.length === 0) used.delete(w.slice); // free for another group, or deleted
      else if (w.changed) update.push(sliceOf(service, w.slice.metadata.name, group.ports, w.endpoints, w.slice));
    }
    if (pending.length > 0) leftovers.push({ group, pending });
  }
  // Still homeless: a slice nobody uses (other ports, or emptied) is rewritten before a new one is made.
  const spare = sorted.filter((slice) => !used.has(slice));
  for (const { group, pending } of leftovers) {
    while (pending.length > 0) {
      const chunk = pending.splice(0, MAX_ENDPOINTS_PER_SLICE);
      const reuse = spare.shift();
      if (reuse) update.push(sliceOf(service, reuse.metadata.name, group.ports, chunk, reuse));
      else create.push(sliceOf(service, newName(), group.ports, chunk));
    }
  }
  remove.push(...spare);

  // The placeholder: a Service with no endpoints keeps one empty slice.
  if (groups.every((g) => g.endpoints.length === 0)) {
    const keep = remove.shift() ?? sorted[0];
    if (keep) {
      const placeholder = sliceOf(service, keep.metadata.name, [], [], keep);
      if (!isDeepStrictEqual(placeholder.endpoints, keep.endpoints) || !isDeepStrictEqual(placeholder.ports, keep.ports) || !ownedBy(keep, service)) {
        update.push(placeholder);
      }
      return { create, update, delete: remove.filter((s) => s !== keep) };
    }
    create.push(sliceOf(service, newName(), [], []));
  }
  return { create, update, delete: remove };
}

export function sliceOf(
  service: Immutable<Service>,
  name: string,
  ports: readonly EndpointPort[],
  endpoints: readonly Endpoint[],
  base?: Immutable<EndpointSlice>,
): EndpointSlice {
  const namespace = service.metadata.namespace ?? 'default';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      ...(base ? structuredClone(base.metadata as EndpointSlice['metadata']) : {}),
      name,
      namespace,
      labels: {
        ...(base?.metadata.labels ?? {}),
        [ENDPOINT_SLICE_SERVICE_LABEL]: service.metadata.name,
        [ENDPOINT_SLICE_MANAGED_BY_LABEL]: ENDPOINT_SLICE_CONTROLLER_NAME,
      },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name: service.metadata.name, uid: service.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    addressType: 'IPv4',
    endpoints: structuredClone(endpoints as Endpoint[]),
    ports: structuredClone(ports as EndpointPort[]),
  };
}

/** The slices this controller manages for a Service (by label, whoever the owner: a re-created Service adopts them). */
export function isManagedSliceOf(slice: Immutable<EndpointSlice>, serviceName: string): boolean {
  const labels = slice.metadata.labels ?? {};
  return labels[ENDPOINT_SLICE_SERVICE_LABEL] === serviceName && labels[ENDPOINT_SLICE_MANAGED_BY_LABEL] === ENDPOINT_SLICE_CONTROLLER_NAME;
}

function ownedBy(slice: Immutable<EndpointSlice>, service: Immutable<Service>): boolean {
  return slice.metadata.ownerReferences?.some((ref) => ref.uid === service.metadata.uid) ?? false;
}

function endpointKey(endpoint: Endpoint): string {
  return endpoint.targetRef ? `${endpoint.targetRef.namespace}/${endpoint.targetRef.name}` : endpoint.addresses.join(',');
}
