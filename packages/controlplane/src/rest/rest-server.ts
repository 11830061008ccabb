// The Kubernetes REST door: HTTPS on the same serving certificate and CA as
// the gRPC door (renewed under the running server), client certificates
// requested but not required (bearer tokens are the other way in), the same
// authenticator and authorizer, and every error answered as a Status.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { experimental, status as grpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { grpcCodeOf, NotFoundError, UnauthenticatedError, type OpenApiV3, type RotatingCertificateProvider } from '@skiff/api';
import { bearerTokenOf, type Authenticator, type Authorizer, type UserInfo, type Verb } from '../auth/index.js';
import type { ApiService } from '../api/api-service.js';
import type { ObjectStore } from '../objects/object-store.js';
import { AUDITED_VERBS, type AuditEntry } from '../audit/audit-log.js';
import { ACCESS_REVIEW_PATH, reviewAccess } from './access-review.js';
import { discoveryDocument } from './discovery.js';
import { mediaTypeOf, parseBody, readBody, readBodyBytes, sendJson, UnsupportedMediaTypeError } from './http-io.js';
import { decodeProtobufReview, PROTOBUF } from './protobuf-review.js';
import { isWatch, parseResourcePath, requestAttributes, verbOf, type ResourceCall, type ResourceRequest } from './request-info.js';
import { handleResource } from './resource-handlers.js';
import { failureStatus, toStatus, type KubernetesStatus } from './status-errors.js';
import { serveWatch } from './watch-handler.js';
import { requestLabelsOf, type RestMetrics } from './rest-metrics.js';
import { logOptionsOf, servePodLog } from './pod-log-handler.js';
import { execSockets, execStartOf, servePodExec } from './pod-exec-handler.js';
import type { PodAgentOf } from '../api/pod-log-target.js';
import type { ColumnsOf } from './tables.js';

export interface RestServerOptions {
  readonly host: string;
  readonly port: number;
  /** The gRPC door's serving certificate, key and client CA; renewals reach new connections here too. */
  readonly certificates: RotatingCertificateProvider;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly api: ApiService;
  readonly objects: ObjectStore;
  readonly log: Logger;
  /** The columns of `kubectl get` for a kind. */
  readonly columnsOf: ColumnsOf;
  /** One line per mutating request (create, update, patch, delete), as the gRPC door writes them; `method` is `REST <HTTP method>`. */
  readonly audit?: (entry: AuditEntry) => void;
  /** `/openapi/v3` (the index) and `/openapi/v3/<group-version>` (@skiff/api openApiV3); absent: 404. */
  readonly openApi?: OpenApiV3;
  /** The agent of a pod's node (grpc/agent-proxy.ts), for pods/log and pods/exec; absent: they are 404. */
  readonly agentOf?: PodAgentOf;
  /** apiserver_request_total and apiserver_request_duration_seconds (rest-metrics.ts); absent: not counted. */
  readonly metrics?: RestMetrics;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (--watch-bookmark-interval; default 1 min, as Kubernetes). */
  readonly watchBookmarkIntervalMs?: number;
}


export interface RunningRestServer {
  /** host:port actually bound. */
  readonly address: string;
  /** Stops taking connections, ends open watches, and cuts what is left after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

interface Tls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The certificates the provider holds now, and every later renewal handed to `update`. */
async function followCertificates(provider: RotatingCertificateProvider, update: (tls: Required<Tls>) => void): Promise<Required<Tls>> {
  const tls: Tls = {};
  return new Promise((resolve) => {
    let first = true;
    const changed = (): void => {
      if (!tls.ca || !tls.cert || !tls.key) return;
      const complete = { ca: tls.ca, cert: tls.cert, key: tls.key };
      if (first) resolve(complete);
      else update(complete);
      first = false;
    };
    provider.addCaCertificateListener((next: experimental.CaCertificateUpdate | null) => {
      if (next) tls.ca = next.caCertificate;
      changed();
    });
    provider.addIdentityCertificateListener((next: experimental.IdentityCertificateUpdate | null) => {
      if (next) [tls.cert, tls.key] = [next.certificate, next.privateKey];
      changed();
    });
  });
}

export async function startRestServer(options: RestServerOptions): Promise<RunningRestServer> {
  const { log } = options;
  const watches = new Set<() => void>();
  let server: Server | undefined;
  const tls = await followCertificates(options.certificates, (next) => server?.setSecureContext({ ...next }));
  // rejectUnauthorized false: a client without a certificate may still bring a token; only verified certificates name a user (authenticate).
  server = createServer({ ...tls, requestCert: true, rejectUnauthorized: false }, (request, response) => {
    if (options.metrics) {
      const done = options.metrics.start(requestLabelsOf(request.method ?? 'GET', new URL(request.url ?? '/', 'https://skiff.invalid'), request.headers['content-type']));
      response.once('close', () => done(response.statusCode));
    }
    serve(request, response).catch((error: unknown) => answerError(response, toStatus(error, log)));
  });
  const sockets = execSockets();
  /** Streams (watches, logs, exec sessions) the server ends when it stops. */
  const track = (end: () => void): (() => void) => (watches.add(end), () => watches.delete(end));
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(request, socket, head).catch((error: unknown) => refuseUpgrade(socket, toStatus(error, log)));
  });
  const answerError = (response: ServerResponse, status: KubernetesStatus): void => {
    if (response.headersSent) response.end();
    else sendJson(response, status.code, status);
  };

  const authenticate = async (request: IncomingMessage): Promise<UserInfo> => {
    const socket = request.socket as TLSSocket;
    const certificate = socket.authorized ? socket.getPeerCertificate() : undefined;
    const header = request.headers.authorization;
    const bearerToken = bearerTokenOf(header);
    if (header !== undefined && bearerToken === undefined) throw new UnauthenticatedError('authorization: expected "Bearer <token>"');
    return options.authenticator.authenticate({
      ...(certificate && Object.keys(certificate).length > 0 ? { certificate } : {}),
      ...(bearerToken === undefined ? {} : { bearerToken }),
    });
  };

  /** kubectl exec's WebSocket (pod-exec-handler.ts): authenticated and authorized as every request is. */
  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://skiff.invalid');
    const user = await authenticate(request);
    const parsed = parseResourcePath(url.pathname);
    const target = parsed.type === 'resource' ? parsed.request : undefined;
    if (!target || target.info.kind !== 'Pod' || target.subresource !== 'exec' || !target.name || !target.namespace || !options.agentOf) {
      throw new NotFoundError(`${url.pathname}: only pods/exec is served over WebSocket`);
    }
    const attributes = requestAttributes('create', target);
    const started = performance.now();
    const audit = (code: grpcStatus): void => auditEntry(request.method ?? 'GET', user, 'create', target, code, started);
    try {
      options.authorizer.require(user, attributes);
      const start = execStartOf(target.namespace, target.name, url.searchParams);
      const context = { objects: options.objects, agentOf: options.agentOf, log, track, done: audit };
      await servePodExec(context, sockets, start, request, socket, head);
    } catch (error) {
      audit(grpcCodeOf(error) ?? grpcStatus.UNKNOWN);
      throw error;
    }
  };

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://skiff.invalid');
    const method = request.method ?? 'GET';
    const user = await authenticate(request);
    const path = url.pathname;
    if (method === 'GET') {
      const discovery = discoveryDocument(path, `${options.host}:${address.port}`);
      if (discovery) return sendJson(response, 200, discovery);
      if (path.startsWith('/openapi/')) {
        const document = path === '/openapi/v3' ? options.openApi?.index : options.openApi?.documents.get(path.slice('/openapi/v3/'.length));
        if (document) return sendJson(response, 200, document);
        return sendJson(response, 404, failureStatus(404, 'NotFound', `${path}: no OpenAPI document is served here yet`));
      }
    }
    if (method === 'POST' && path === ACCESS_REVIEW_PATH) {
      const bytes = await readBodyBytes(request);
      const review = mediaTypeOf(request.headers['content-type']) === PROTOBUF ? decodeProtobufReview(bytes) : parseBody(bytes.toString('utf8'), request.headers['content-type']);
      return sendJson(response, 201, reviewAccess(options.authorizer, user, review));
    }
    const parsed = parseResourcePath(path);
    if (parsed.type !== 'resource') {
      const what = parsed.type === 'unknown-resource' ? `the server could not find the requested resource ${parsed.resource}` : `the server could not find the requested resource (${path})`;
      return sendJson(response, 404, failureStatus(404, 'NotFound', what));
    }
    const watch = isWatch(url.searchParams);
    const verb = verbOf(method, parsed.request, watch);
    const unservedCollectionDelete = verb === 'deletecollection' && (parsed.request.info.kind === 'Namespace' || parsed.request.subresource !== undefined);
    if (!verb || unservedCollectionDelete) {
      return sendJson(response, 405, failureStatus(405, 'MethodNotAllowed', `${method} is not supported on ${path}`));
    }
    const target = parsed.request;
    if (method === 'GET' && target.info.kind === 'Pod' && target.subresource === 'log' && target.name && target.namespace && options.agentOf) {
      options.authorizer.require(user, requestAttributes('get', target));
      return servePodLog({ objects: options.objects, agentOf: options.agentOf, track }, logOptionsOf(target.namespace, target.name, url.searchParams), response);
    }
    const call = callOf(parsed.request, verb, url.searchParams, request, await readBody(request), (attributes) => options.authorizer.require(user, attributes));
    const started = performance.now();
    const audit = (error?: unknown): void => {
      if (!AUDITED_VERBS.has(verb)) return;
      auditEntry(method, user, verb, parsed.request, error === undefined ? grpcStatus.OK : (grpcCodeOf(error) ?? grpcStatus.UNKNOWN), started);
    };
    try {
      if (watch) {
        const bookmarks = options.watchBookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.watchBookmarkIntervalMs };
        return await serveWatch({ objects: options.objects, log, columnsOf: options.columnsOf, track, ...bookmarks }, call, request, response);
      }
      const answer = await handleResource({ api: options.api, columnsOf: options.columnsOf }, call);
      audit();
      sendJson(response, answer.code, answer.body);
    } catch (error) {
      audit(error);
      answerError(response, toStatus(error, log, { group: parsed.request.group, resource: parsed.request.info.plural, ...(parsed.request.name ? { name: parsed.request.name } : {}) }));
    }
  };

  const auditEntry = (method: string, user: UserInfo, verb: Verb, target: ResourceRequest, code: grpcStatus, started: number): void => {
    if (!options.audit) return;
    const attributes = requestAttributes(verb, target);
    options.audit({
      method: `REST ${method}`,
      user: user.name,
      groups: [...user.groups],
      verb,
      resource: attributes.resource,
      ...(attributes.subresource ? { subresource: attributes.subresource } : {}),
      ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
      ...(attributes.name ? { name: attributes.name } : {}),
      code: (grpcStatus[code] ?? 'UNKNOWN') as keyof typeof grpcStatus,
      latencyMs: Math.round(performance.now() - started),
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address: `${host}:${address.port}`,
    stop: async (graceMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const end of [...watches]) end();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** An upgrade refused before it happened: the Status as a plain HTTP answer on the raw socket. */
function refuseUpgrade(socket: Duplex, status: KubernetesStatus): void {
  const body = JSON.stringify(status);
  socket.end(`HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function callOf(
  request: ResourceRequest,
  verb: ResourceCall['verb'],
  query: URLSearchParams,
  incoming: IncomingMessage,
  bodyText: string,
  authorize: ResourceCall['authorize'],
): ResourceCall {
  const contentType = mediaTypeOf(incoming.headers['content-type']);
  // Only the access review is read from protobuf (protobuf-review.ts); other objects come as JSON.
  if (contentType === PROTOBUF && bodyText !== '') {
    throw new UnsupportedMediaTypeError(`${PROTOBUF} request bodies are not supported by this server (except for SelfSubjectAccessReview); send application/json`);
  }
  const body = parseBody(bodyText, incoming.headers['content-type']);
  return { request, verb, query, accept: incoming.headers.accept, contentType, body, authorize };
}
