// Adapts ApiService to the generated gRPC handler types: decoding requests,
// saying what each one does for the authorizer, encoding objects as JSON;
// authentication, metrics, audit and error mapping live in unary-handler.ts.
import type { ServerWritableStream } from '@grpc/grpc-js';
import {
  InvalidError,
  kindInfo,
  resolveKind,
  type ApiHandlers,
  type CanIRequestMessage,
  type Event,
  type InvolvedObject,
  type KindInfo,
  type ResourceObject,
  type Selector,
  type WatchEventMessage,
  type WatchRequestMessage,
} from '@skiff/api';
import { VERBS, type Query } from '../auth/index.js';
import type { TokenRequests } from '../api/token-requests.js';
import type { Caller, RequestGuard } from './request-guard.js';
import { apiGroupOf, attributesOf } from './request-attributes.js';
import type { Logger } from 'pino';
import type { ApiMetrics } from './api-metrics.js';
import { parseResourceVersion } from '../objects/object-codec.js';
import { parsePropagationPolicy } from '../objects/object-deletion.js';
import type { NodeRegistrar } from '../nodes/node-registrar.js';
import type { AgentProxy } from './agent-proxy.js';
import type { ObjectStore } from '../objects/object-store.js';
import { selectorOf, type ApiService } from '../api/api-service.js';
import { effectiveNamespace, requireKind } from '../api/kind-resolution.js';
import { metricsAttributes, metricsKindOf, type ResourceMetricsApi } from '../api/resource-metrics-api.js';
import { unaryHandler } from './unary-handler.js';
import { serveWatchStream, type OpenStreams } from './watch-stream.js';
import { watchStart } from '../api/watch-session.js';

export interface GrpcServiceDeps {
  readonly api: ApiService;
  readonly nodes: NodeRegistrar;
  /** Relays ctl logs and ctl exec to agents. */
  readonly agents: AgentProxy;
  readonly tokens: TokenRequests;
  readonly streams: OpenStreams;
  readonly objects: ObjectStore;
  readonly metrics: ApiMetrics;
  readonly log: Logger;
  readonly guard: RequestGuard;
  /** PodMetrics and NodeMetrics (metrics.k8s.io); without it those kinds are unknown. */
  readonly resourceMetrics?: ResourceMetricsApi;
}

const json = (object: ResourceObject): string => JSON.stringify(object);
const NODE = kindInfo('Node');
const DEPLOYMENT = kindInfo('Deployment');
const SERVICE_ACCOUNT = kindInfo('ServiceAccount');

const matchesSelector =
  (selector: Selector) =>
  (object: ResourceObject): boolean =>
    selector.matches(object.metadata.labels);

/** The object a request names: its kind, and the namespace it really means. */
function target(ref: { kind: string; namespace: string; name: string } | null | undefined) {
  const { kind, namespace, name } = ref ?? { kind: '', namespace: '', name: '' };
  const info = requireKind(kind);
  return { info, namespace: effectiveNamespace(info, namespace), name };
}

export function createGrpcHandlers(deps: GrpcServiceDeps): ApiHandlers {
  const { api } = deps;

  const unary = <Req, Res>(method: string, handle: (request: Req, caller: Caller) => Promise<Res>) =>
    unaryHandler<Req, Res>(deps, method, handle);

  return {
    Apply: unary('Apply', async (request, caller) => {
      const result = await api.apply(request.manifest_json, {
        strict: request.strict,
        dryRun: request.dry_run,
        authorize: (verb, info, namespace, name, { written, existing }) =>
          caller.authorize({ ...attributesOf(info, verb, { namespace, name }), ...eventSubjects(info, written, existing) }),
      });
      return { outcome: result.outcome, object_json: json(result.object), warnings: [...result.warnings] };
    }),
    Get: unary('Get', async (request, caller) => {
      const metricsKind = deps.resourceMetrics && metricsKindOf(request.ref?.kind ?? '');
      if (deps.resourceMetrics && metricsKind) {
        const namespace = metricsKind === 'PodMetrics' ? request.ref?.namespace || 'default' : undefined;
        const name = request.ref?.name ?? '';
        if (!name) throw new InvalidError(`ref.name: required (the ${metricsKind === 'PodMetrics' ? 'pod' : 'node'} whose metrics to get)`);
        caller.authorize(metricsAttributes(metricsKind, 'get', namespace, name));
        return { object_json: JSON.stringify(deps.resourceMetrics.get(metricsKind, namespace, name)) };
      }
      const { info, namespace, name } = target(request.ref);
      caller.authorize(attributesOf(info, 'get', { namespace, name }));
      return { object_json: json(await api.get(request.ref ?? { kind: '', namespace: '', name: '' })) };
    }),
    List: unary('List', async (request, caller) => {
      const metricsKind = deps.resourceMetrics && metricsKindOf(request.kind);
      if (deps.resourceMetrics && metricsKind) {
        const namespace = metricsKind === 'PodMetrics' && !request.all_namespaces ? request.namespace || 'default' : undefined;
        caller.authorize(metricsAttributes(metricsKind, 'list', namespace));
        const items = deps.resourceMetrics.list(metricsKind, namespace, request.label_selector);
        return { items_json: items.map((item) => JSON.stringify(item)), resource_version: '0' };
      }
      const info = requireKind(request.kind);
      const namespace = request.all_namespaces ? undefined : effectiveNamespace(info, request.namespace);
      caller.authorize(attributesOf(info, 'list', { namespace }));
      const page = await api.list({
        kind: request.kind,
        namespace: request.namespace,
        allNamespaces: request.all_namespaces,
        labelSelector: request.label_selector,
        resourceVersion: request.resource_version,
        // As Kubernetes' limit: 0 or less is no limit.
        ...(request.limit > 0 ? { limit: request.limit } : {}),
        ...(request.continue_token ? { continue: request.continue_token } : {}),
      });
      return { items_json: page.items.map(json), resource_version: String(page.revision), continue_token: page.continue ?? '' };
    }),
    Delete: unary('Delete', async (request, caller) => {
      const { info, namespace, name } = target(request.ref);
      caller.authorize(attributesOf(info, 'delete', { namespace, name }));
      const policy = parsePropagationPolicy(request.propagation_policy, 'propagation_policy');
      const options = {
        ...(request.grace_period_seconds !== undefined ? { gracePeriodSeconds: request.grace_period_seconds } : {}),
        ...(policy !== undefined ? { propagationPolicy: policy } : {}),
      };
      return { object_json: json(await api.delete(request.ref ?? { kind: '', namespace: '', name: '' }, request.resource_version, options)) };
    }),
    Scale: unary('Scale', async (request, caller) => {
      const { info, namespace, name } = target(request.ref);
      caller.authorize(attributesOf(info.kind === 'Deployment' ? DEPLOYMENT : info, 'update', { namespace, name, subresource: 'scale' }));
      return { object_json: json(await api.scale(request.ref ?? { kind: '', namespace: '', name: '' }, request.replicas)) };
    }),
    Watch: (call) => serveWatch(deps, call),
    Cordon: unary('Cordon', async (request, caller) => {
      caller.authorize(attributesOf(NODE, 'patch', { name: request.node_name }));
      return { node_json: json(await deps.nodes.cordon(request.node_name, request.unschedulable)) };
    }),
    Logs: (call) => deps.agents.serveLogs(call),
    Exec: (call) => deps.agents.serveExec(call),
    CanI: unary('CanI', async (request, caller) => {
      const query = canIQuery(request);
      const asUser = request.as_user ? { name: request.as_user, groups: [...request.as_groups] } : undefined;
      const decision = deps.guard.authorizer.canI(caller.user, query, asUser);
      return { allowed: decision.allowed, reason: decision.reason };
    }),
    CreateToken: unary('CreateToken', async (request, caller) => {
      const namespace = request.namespace || 'default';
      caller.authorize(attributesOf(SERVICE_ACCOUNT, 'create', { namespace, name: request.service_account, subresource: 'token' }));
      const issued = await deps.tokens.create(namespace, request.service_account, Number(request.expiration_seconds), request.audiences ?? []);
      return { token: issued.token, expiration_timestamp: issued.expirationTimestamp };
    }),
  };
}

/** For an Event: what it is about, as written and (for an update) as stored, so the node authorizer can judge both. */
function eventSubjects(info: KindInfo, written: ResourceObject, existing: ResourceObject | undefined): { involvedObjects?: InvolvedObject[] } {
  if (info.kind !== 'Event') return {};
  return { involvedObjects: [written, ...(existing ? [existing] : [])].map((event) => (event as Event).involvedObject) };
}

/** `ctl auth can-i VERB RESOURCE`: "deployments", "deployments.apps", "pods/log", "users", "*". */
function canIQuery(request: CanIRequestMessage): Query {
  const verb = request.verb as Query['verb'];
  if (verb !== '*' && !VERBS.includes(verb)) {
    throw new InvalidError(`verb: "${request.verb}" is not one of ${VERBS.join(', ')}, *`);
  }
  const [resourcePart = '', subresource] = request.resource.split('/', 2);
  if (!resourcePart) throw new InvalidError('resource: name a resource, such as pods, deployments.apps or pods/log');
  const info = resolveKind(resourcePart);
  const dot = resourcePart.indexOf('.');
  const apiGroup = info ? apiGroupOf(info) : dot < 0 ? '' : resourcePart.slice(dot + 1);
  const resource = info ? info.plural : dot < 0 ? resourcePart : resourcePart.slice(0, dot);
  const namespace = info && !info.namespaced ? undefined : request.namespace || undefined;
  return {
    verb,
    apiGroup,
    resource,
    ...(subresource ? { subresource } : {}),
    ...(namespace ? { namespace } : {}),
    ...(request.name ? { name: request.name } : {}),
  };
}

function serveWatch(deps: GrpcServiceDeps, call: ServerWritableStream<WatchRequestMessage, WatchEventMessage>): void {
  serveWatchStream(
    deps,
    'Watch',
    call,
    (request, caller) => {
      const info = requireKind(request.kind);
      const namespace = request.all_namespaces ? undefined : effectiveNamespace(info, request.namespace);
      caller.authorize(attributesOf(info, 'watch', { namespace }));
      return {
        info,
        namespace,
        matches: matchesSelector(selectorOf(request.label_selector)),
        ...watchStart(parseResourceVersion(request.resource_version)),
      };
    },
    (output) => (type, object, revision) => output.write({ type, object_json: JSON.stringify(object), resource_version: String(revision) }),
  );
}
