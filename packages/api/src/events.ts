// Kubernetes Events as every recorder writes them: what one is about (an
// ObjectReference with kubelet's fieldPath), and its body. The control plane's
// EventRecorder and the node agent's event sink both build Events here, so an
// Event reads the same whoever recorded it.
import type { Event, InvolvedObject, ResourceObject } from './types.js';

/** Kubernetes keeps Event messages short; longer ones (a registry's whole error page) are cut here. */
export const EVENT_MESSAGE_MAX_CHARS = 1024;

/** The reference an Event carries to `object` (and, for kubelet's container events, `spec.containers{web}`). */
export function involvedObjectOf(object: ResourceObject, fieldPath?: string): InvolvedObject {
  return {
    ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}),
    kind: object.kind,
    ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
    ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
    ...(fieldPath ? { fieldPath } : {}),
  };
}

/** The namespace an Event about `involved` lives in: the object's own, or "default" for a cluster-scoped one (a Node), as Kubernetes does. */
export function eventNamespaceOf(involved: InvolvedObject): string {
  return involved.namespace || 'default';
}

export interface EventBody {
  readonly involved: InvolvedObject;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly source: { readonly component: string; readonly host?: string };
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
}

/** An Event with `metadata` (the recorder's name; the writer adds what the server owns) and the body. */
export function eventObject(metadata: Event['metadata'], body: EventBody): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata,
    involvedObject: { ...body.involved },
    reason: body.reason,
    message: truncateEventMessage(body.message),
    type: body.type,
    count: body.count,
    firstTimestamp: body.firstTimestamp,
    lastTimestamp: body.lastTimestamp,
    source: { ...body.source },
  };
}

export function truncateEventMessage(message: string): string {
  return message.length > EVENT_MESSAGE_MAX_CHARS ? `${message.slice(0, EVENT_MESSAGE_MAX_CHARS - 1)}…` : message;
}
