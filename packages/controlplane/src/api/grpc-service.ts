// Adapts ApiService to the generated gRPC handler types: decoding requests,
// encoding objects as JSON, metrics, and error mapping through status.ts.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ApiHandlers, ResourceObject, Selector, WatchEventMessage, WatchRequestMessage } from '@skiff/api';
import type { Logger } from 'pino';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { parseResourceVersion } from '../registry/object-codec.js';
import type { NodeRegistry } from '../nodes/node-registry.js';
import type { LogsProxy } from '../nodes/logs-proxy.js';
import type { ObjectStore } from '../registry/object-store.js';
import type { WatchHandle } from '../store/store.js';
import { selectorOf, type ApiService } from './api-service.js';
import { effectiveNamespace, requireKind } from './kind-resolution.js';
import { codeOf, toServiceError } from './status.js';
import { unaryHandler } from './unary-handler.js';
import { startWatchSession } from './watch-session.js';

export interface GrpcServiceDeps {
  readonly api: ApiService;
  readonly nodes: NodeRegistry;
  readonly logs: LogsProxy;
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
  };
}

function serveWatch(deps: GrpcServiceDeps, call: ServerWritableStream<WatchRequestMessage, WatchEventMessage>): void {
  const done = deps.metrics.start('Watch');
  let handle: WatchHandle | undefined;
  let finished = false;
  const finish = (error?: unknown): void => {
    if (finished) return;
    finished = true;
    void handle?.close();
    if (error === undefined) {
      done(status.CANCELLED);
      return;
    }
    const serviceError = toServiceError(error, deps.log, 'Watch');
    done(codeOf(serviceError));
    call.destroy(Object.assign(new Error(serviceError.details), serviceError));
  };
  call.on('cancelled', () => finish());
  call.on('error', () => finish());

  const start = async (): Promise<void> => {
    const request = call.request;
    const info = requireKind(request.kind);
    const session = await startWatchSession(
      deps.objects,
      {
        info,
        namespace: request.all_namespaces ? undefined : effectiveNamespace(info, request.namespace),
        matches: matchesSelector(selectorOf(request.label_selector)),
        afterRevision: parseResourceVersion(request.resource_version),
      },
      {
        send: (type, object, revision) => {
          if (!finished) call.write({ type, object_json: JSON.stringify(object), resource_version: String(revision) });
        },
        end: (error) => finish(error),
      },
    );
    if (finished) void session.close();
    else handle = session;
  };
  start().catch((error: unknown) => finish(error));
}
