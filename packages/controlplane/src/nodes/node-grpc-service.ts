// The NodeApi service agents talk to.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import {
  kindInfo,
  type AssignmentEventMessage,
  type Node,
  type NodeApiHandlers,
  type Pod,
  type ResourceObject,
  type WatchAssignmentsRequestMessage,
} from '@skiff/api';
import { InvalidError } from '../errors.js';
import { parseResourceVersion } from '../registry/object-codec.js';
import type { ObjectStore } from '../registry/object-store.js';
import type { WatchHandle } from '../store/store.js';
import { codeOf, toServiceError } from '../api/status.js';
import { unaryHandler, type HandlerContext } from '../api/unary-handler.js';
import { startWatchSession } from '../api/watch-session.js';
import type { NodeRegistry } from './node-registry.js';
import { writePodStatus } from './pod-status-writer.js';

export interface NodeServiceDeps extends HandlerContext {
  readonly objects: ObjectStore;
  readonly nodes: NodeRegistry;
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
  };
}

function serveAssignments(
  deps: NodeServiceDeps,
  call: ServerWritableStream<WatchAssignmentsRequestMessage, AssignmentEventMessage>,
): void {
  const done = deps.metrics.start('WatchAssignments');
  const nodeName = call.request.node_name;
  let handle: WatchHandle | undefined;
  let finished = false;
  const finish = (error?: unknown): void => {
    if (finished) return;
    finished = true;
    void handle?.close();
    if (error === undefined) return done(status.CANCELLED);
    const serviceError = toServiceError(error, deps.log, 'WatchAssignments');
    done(codeOf(serviceError));
    call.destroy(Object.assign(new Error(serviceError.details), serviceError));
  };
  call.on('cancelled', () => finish());
  call.on('error', () => finish());
  const start = async (): Promise<void> => {
    if (!nodeName) throw new InvalidError('node_name: is required');
    const session = await startWatchSession(
      deps.objects,
      {
        info: POD,
        namespace: undefined,
        matches: (object: ResourceObject) => (object as Pod).spec.nodeName === nodeName,
        afterRevision: parseResourceVersion(call.request.resource_version),
      },
      {
        send: (type, object, revision) => {
          if (!finished) call.write({ type, pod_json: JSON.stringify(object), resource_version: String(revision) });
        },
        synced: (revision) => {
          if (!finished) call.write({ type: 'SYNCED', pod_json: '', resource_version: String(revision) });
        },
        end: (error) => finish(error),
      },
    );
    if (finished) void session.close();
    else handle = session;
  };
  start().catch((error: unknown) => finish(error));
}

function parseNode(json: string): Node {
  try {
    return JSON.parse(json) as Node;
  } catch {
    throw new InvalidError('node_json: not valid JSON');
  }
}
