// The NodeApi service agents talk to.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import {
  InvalidError,
  kindInfo,
  type AssignmentEventMessage,
  type Node,
  type NodeApiHandlers,
  type Pod,
  type ResourceObject,
  type WatchAssignmentsRequestMessage,
} from '@skiff/api';
import { parseResourceVersion } from '../objects/object-codec.js';
import { unaryHandler } from './unary-handler.js';
import { serveWatchStream, type WatchStreamContext } from './watch-stream.js';
import type { NodeRegistrar } from '../nodes/node-registrar.js';
import { writePodStatus } from '../nodes/pod-status-writer.js';

export interface NodeServiceDeps extends WatchStreamContext {
  readonly nodes: NodeRegistrar;
  readonly podNetwork: string;
}

const POD = kindInfo('Pod');

export function createNodeHandlers(deps: NodeServiceDeps): NodeApiHandlers {
  const unary = <Req, Res>(method: string, handle: (request: Req) => Promise<Res>) =>
    unaryHandler<Req, Res>(deps, method, handle);
  return {
    RegisterNode: unary('RegisterNode', async (request) => {
      const node = await deps.nodes.register(parseNode(request.node_json));
      return {
        node_json: JSON.stringify(node),
        heartbeat_interval_ms: deps.nodes.timings.heartbeatIntervalMs,
        lease_duration_ms: deps.nodes.timings.leaseDurationMs,
        pod_network: deps.podNetwork,
      };
    }),
    Heartbeat: unary('Heartbeat', async (request) => {
      await deps.nodes.heartbeat(request.node_name);
      return {};
    }),
    UpdatePodStatus: unary('UpdatePodStatus', async (request) => {
      const pod = await writePodStatus(deps.objects, {
        nodeName: request.node_name,
        namespace: request.namespace,
        name: request.name,
        uid: request.uid,
        statusJson: request.status_json,
      });
      return { pod_json: JSON.stringify(pod) };
    }),
    WatchAssignments: (call) => serveAssignments(deps, call),
    // Wired with the join flow (issue 8); until then these answer UNIMPLEMENTED.
    Join: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: 'Join is not served yet' }),
    RenewCertificate: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: 'RenewCertificate is not served yet' }),
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
    (request) => {
      const nodeName = request.node_name;
      if (!nodeName) throw new InvalidError('node_name: is required');
      return {
        info: POD,
        namespace: undefined,
        matches: (object: ResourceObject) => (object as Pod).spec.nodeName === nodeName,
        afterRevision: parseResourceVersion(request.resource_version),
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
