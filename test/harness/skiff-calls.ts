// Skiff's API and NodeApi methods as one-line promises over any client, with
// optional metadata, for suites that call them with credentials of their own.
import type { Metadata } from '@grpc/grpc-js';
import type { ApiClient, NodeApiClient, ResourceObject } from '@skiff/api';
import { firstMessage, unary } from './grpc-calls.js';

export const applyWith = (api: ApiClient, object: ResourceObject, metadata?: Metadata) =>
  unary<{ outcome: string; object_json: string }>((m, o, cb) => api.Apply({ manifest_json: JSON.stringify(object) }, m, o, cb), metadata);

export const getWith = (api: ApiClient, kind: string, namespace: string, name: string, metadata?: Metadata) =>
  unary<{ object_json: string }>((m, o, cb) => api.Get({ ref: { kind, namespace, name } }, m, o, cb), metadata);

export const listWith = (api: ApiClient, kind: string, namespace: string, metadata?: Metadata) =>
  unary<{ items_json: string[] }>((m, o, cb) => api.List({ kind, namespace, all_namespaces: false, label_selector: '' }, m, o, cb), metadata);

export const deleteWith = (api: ApiClient, kind: string, namespace: string, name: string, metadata?: Metadata) =>
  unary((m, o, cb) => api.Delete({ ref: { kind, namespace, name }, resource_version: '' }, m, o, cb), metadata);

/** The first event of a watch from revision 0 (every current object as ADDED), or how it was refused. */
export const watchWith = (api: ApiClient, kind: string, namespace: string, metadata?: Metadata) =>
  firstMessage((m, o) => api.Watch({ kind, namespace, all_namespaces: false, label_selector: '', resource_version: '0' }, m, o), metadata);

export const cordonWith = (api: ApiClient, nodeName: string) =>
  unary((m, o, cb) => api.Cordon({ node_name: nodeName, unschedulable: true }, m, o, cb));

/** What an agent reports when it registers `name`, with these labels. */
export function reportedNode(name: string, labels: Record<string, string> = {}): ResourceObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: {},
    status: { capacity: { cpu: '1', memory: '1Gi', pods: '10' } },
  } as ResourceObject;
}

export const registerNode = (nodeApi: NodeApiClient, node: ResourceObject) =>
  unary((m, o, cb) => nodeApi.RegisterNode({ node_json: JSON.stringify(node) }, m, o, cb));

export const heartbeat = (nodeApi: NodeApiClient, nodeName: string) =>
  unary((m, o, cb) => nodeApi.Heartbeat({ node_name: nodeName }, m, o, cb));

/** The first assignment event of `nodeName`'s watch (ADDED or SYNCED), or how it was refused. */
export const watchAssignments = (nodeApi: NodeApiClient, nodeName: string) =>
  firstMessage<{ type: string; pod_json: string }>((m, o) => nodeApi.WatchAssignments({ node_name: nodeName, resource_version: '' }, m, o));

export const updatePodStatus = (nodeApi: NodeApiClient, request: { nodeName: string; namespace: string; name: string; uid: string; status: object }) =>
  unary((m, o, cb) =>
    nodeApi.UpdatePodStatus(
      { node_name: request.nodeName, namespace: request.namespace, name: request.name, uid: request.uid, status_json: JSON.stringify(request.status) },
      m,
      o,
      cb,
    ),
  );
