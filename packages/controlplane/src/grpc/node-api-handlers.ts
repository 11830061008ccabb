// The NodeApi service agents talk to. Every call but Join is made with a node
// certificate, and the node authorizer lets a node touch only itself, its
// lease and the pods bound to it; Join proves a join token instead.
import { type ServerWritableStream } from '@grpc/grpc-js';
import {
  InvalidError,
  kindInfo,
  NODE_LEASE_NAMESPACE,
  PermissionDeniedError,
  UnauthenticatedError,
  type AssignmentEventMessage,
  type Node,
  type NodeApiHandlers,
  type Pod,
  type ResourceObject,
  type WatchAssignmentsRequestMessage,
} from '@skiff/api';
import { nodeNameOf } from '../auth/index.js';
import type { NodeCredentials } from '../nodes/node-credentials.js';
import { type NodeRegistrar } from '../nodes/node-registrar.js';
import { writePodStatus } from '../nodes/pod-status-writer.js';
import { parseResourceVersion } from '../objects/object-codec.js';
import { watchStart } from '../api/watch-session.js';
import { bearerOf, type Caller } from './request-guard.js';
import { attributesOf } from './request-attributes.js';
import { anonymousUnaryHandler, unaryHandler } from './unary-handler.js';
import { serveWatchStream, type WatchStreamContext } from './watch-stream.js';

export interface NodeServiceDeps extends WatchStreamContext {
  readonly nodes: NodeRegistrar;
  readonly credentials: NodeCredentials;
  readonly podNetwork: string;
}

const POD = kindInfo('Pod');
const NODE = kindInfo('Node');
const LEASE = kindInfo('Lease');

export function createNodeHandlers(deps: NodeServiceDeps): NodeApiHandlers {
  const unary = <Req, Res>(method: string, handle: (request: Req, caller: Caller) => Promise<Res>) =>
    unaryHandler<Req, Res>(deps, method, handle);
  return {
    Join: anonymousUnaryHandler(deps, 'Join', async (request, call) => {
      const token = bearerOf(call.metadata);
      if (!token) throw new UnauthenticatedError('Join needs a join token (metadata "authorization: Bearer <id>.<secret>"); start the agent with --token');
      const issued = await deps.credentials.join(token, { nodeName: request.node_name, csrPem: request.csr_pem, addresses: request.addresses });
      return { certificate_pem: issued.certificatePem, ca_pem: issued.caPem };
    }),
    RenewCertificate: unary('RenewCertificate', async (request, caller) => {
      const nodeName = nodeNameOf(caller.user);
      if (!nodeName) throw new PermissionDeniedError(`user ${JSON.stringify(caller.user.name)} is not a node; only a node renews its certificate`);
      const issued = await deps.credentials.renew(nodeName, { csrPem: request.csr_pem, addresses: request.addresses });
      return { certificate_pem: issued.certificatePem };
    }),
    RegisterNode: unary('RegisterNode', async (request, caller) => {
      const reported = parseNode(request.node_json);
      caller.authorize(attributesOf(NODE, 'update', { name: reported.metadata?.name }));
      const node = await deps.nodes.register(reported);
      const terms = deps.nodes.terms();
      return {
        node_json: JSON.stringify(node),
        heartbeat_interval_ms: terms.heartbeatIntervalMs,
        lease_duration_ms: terms.leaseDurationMs,
        pod_network: deps.podNetwork,
      };
    }),
    Heartbeat: unary('Heartbeat', async (request, caller) => {
      // Authorized as an update of the node's own lease (the node restriction), though no Lease is written.
      caller.authorize(attributesOf(LEASE, 'update', { namespace: NODE_LEASE_NAMESPACE, name: request.node_name }));
      const terms = await deps.nodes.heartbeat(request.node_name);
      return { heartbeat_interval_ms: terms.heartbeatIntervalMs, lease_duration_ms: terms.leaseDurationMs };
    }),
    UpdatePodStatus: unary('UpdatePodStatus', async (request, caller) => {
      caller.authorize(attributesOf(POD, 'update', { namespace: request.namespace, name: request.name, subresource: 'status' }));
      if (request.remove_terminated) caller.authorize(attributesOf(POD, 'delete', { namespace: request.namespace, name: request.name }));
      const pod = await writePodStatus(deps.objects, {
        nodeName: request.node_name,
        namespace: request.namespace,
        name: request.name,
        uid: request.uid,
        statusJson: request.status_json,
        removeTerminated: request.remove_terminated,
      });
      return { pod_json: JSON.stringify(pod) };
    }),
    WatchAssignments: (call) => serveAssignments(deps, call),
  };
}

function serveAssignments(
  deps: NodeServiceDeps,
  call: ServerWritableStream<WatchAssignmentsRequestMessage, AssignmentEventMessage>,
): void {
  serveWatchStream(
    deps,
    'WatchAssignments',
    call,
    (request, caller) => {
      const nodeName = request.node_name;
      if (!nodeName) throw new InvalidError('node_name: is required');
      caller.authorize({ ...attributesOf(POD, 'watch'), nodeName });
      return {
        info: POD,
        namespace: undefined,
        matches: (object: ResourceObject) => (object as Pod).spec.nodeName === nodeName,
        ...watchStart(parseResourceVersion(request.resource_version)),
      };
    },
    (output) => (type, object, revision) => output.write({ type, pod_json: JSON.stringify(object), resource_version: String(revision) }),
    (output) => (revision) => output.write({ type: 'SYNCED', pod_json: '', resource_version: String(revision) }),
  );
}

function parseNode(json: string): Node {
  try {
    return JSON.parse(json) as Node;
  } catch {
    throw new InvalidError('node_json: not valid JSON');
  }
}
