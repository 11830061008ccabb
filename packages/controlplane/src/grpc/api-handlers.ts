// Adapts ApiService to the generated gRPC handler types: decoding requests,
// encoding objects as JSON, metrics, and error mapping through status.ts.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ApiHandlers, ResourceObject, Selector, WatchEventMessage, WatchRequestMessage } from '@skiff/api';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics.js';
import { parseResourceVersion } from '../objects/object-codec.js';
import type { NodeRegistrar } from '../nodes/node-registrar.js';
import type { LogsProxy } from './logs-proxy.js';
import type { ObjectStore } from '../objects/object-store.js';
import { selectorOf, type ApiService } from '../api/api-service.js';
import { effectiveNamespace, requireKind } from '../api/kind-resolution.js';
import { unaryHandler } from './unary-handler.js';
import { serveWatchStream, type OpenStreams } from './watch-stream.js';

export interface GrpcServiceDeps {
  readonly api: ApiService;
  readonly nodes: NodeRegistrar;
  readonly logs: LogsProxy;
  readonly streams: OpenStreams;
  readonly objects: ObjectStore;
  readonly metrics: ApiMetrics;
  readonly log: Logger;
}

const json = (object: ResourceObject): string => JSON.stringify(object);

const matchesSelector =
  (selector: Selector) =>
  (object: ResourceObject): boolean =>
    selector.matches(object.metadata.labels);

export function createGrpcHandlers(deps: GrpcServiceDeps): ApiHandlers {
  const { api } = deps;

  const unary = <Req, Res>(method: string, handle: (request: Req) => Promise<Res>) =>
    unaryHandler<Req, Res>(deps, method, handle);

  return {
    Apply: unary('Apply', async (request) => {
      const result = await api.apply(request.manifest_json, { strict: request.strict, dryRun: request.dry_run });
      return { outcome: result.outcome, object_json: json(result.object), warnings: [...result.warnings] };
    }),
    Get: unary('Get', async (request) => {
      const ref = request.ref ?? { kind: '', namespace: '', name: '' };
      return { object_json: json(await api.get(ref)) };
    }),
    List: unary('List', async (request) => {
      const { items, revision } = await api.list({
        kind: request.kind,
        namespace: request.namespace,
        allNamespaces: request.all_namespaces,
        labelSelector: request.label_selector,
      });
      return { items_json: items.map(json), resource_version: String(revision) };
    }),
    Delete: unary('Delete', async (request) => {
      const ref = request.ref ?? { kind: '', namespace: '', name: '' };
      return { object_json: json(await api.delete(ref, request.resource_version)) };
    }),
    Scale: unary('Scale', async (request) => {
      const ref = request.ref ?? { kind: '', namespace: '', name: '' };
      return { object_json: json(await api.scale(ref, request.replicas)) };
    }),
    Watch: (call) => serveWatch(deps, call),
    Cordon: unary('Cordon', async (request) => ({
      node_json: json(await deps.nodes.cordon(request.node_name, request.unschedulable)),
    })),
    Logs: (call) => deps.logs.serve(call),
    // Wired with authorization (issue 8); until then these answer UNIMPLEMENTED.
    CanI: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: 'CanI is not served yet' }),
    CreateToken: (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: 'CreateToken is not served yet' }),
  };
}

function serveWatch(deps: GrpcServiceDeps, call: ServerWritableStream<WatchRequestMessage, WatchEventMessage>): void {
  serveWatchStream(
    deps,
    'Watch',
    call,
    (request) => {
      const info = requireKind(request.kind);
      return {
        info,
        namespace: request.all_namespaces ? undefined : effectiveNamespace(info, request.namespace),
        matches: matchesSelector(selectorOf(request.label_selector)),
        afterRevision: parseResourceVersion(request.resource_version),
      };
    },
    (output) => (type, object, revision) => output.write({ type, object_json: JSON.stringify(object), resource_version: String(revision) }),
  );
}
