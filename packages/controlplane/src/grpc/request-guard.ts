// The front door's security for every call: who is calling (a verified client
// certificate, or a bearer token), whether they may do what the call asks
// (node restriction, then RBAC), and one audit line per mutating request.
// Handlers describe what a request does as RequestAttributes; they never
// decide who may do it.
import type { PeerCertificate } from 'node:tls';
import { status, type Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@skiff/api';
import type { Authenticator, Authorizer, RequestAttributes, UserInfo } from '../auth/index.js';
import { AUDITED_VERBS, type AuditLog, type GrpcStatusName } from '../audit/audit-log.js';

/** What of a grpc-js server call the guard reads (grpc-js does not export ServerSurfaceCall). */
export interface GuardedCall {
  readonly metadata: Metadata;
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate };
}

export interface RequestGuardOptions {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly audit: AuditLog;
}


/** One authenticated request: authorizes what it does, remembers it for the audit log. */
export class Caller {
  private attributes: RequestAttributes | undefined;

  constructor(
    readonly user: UserInfo,
    private readonly authorizer: Authorizer,
  ) {}

  /** Throws PermissionDeniedError (`user "X" cannot delete deployments in namespace "shop"`). */
  authorize(attributes: RequestAttributes): void {
    this.attributes = attributes;
    this.authorizer.require(this.user, attributes);
  }

  /** What the request was last authorized as (for the audit line). */
  get described(): RequestAttributes | undefined {
    return this.attributes;
  }
}

export class RequestGuard {
  constructor(private readonly options: RequestGuardOptions) {}

  get authorizer(): Authorizer {
    return this.options.authorizer;
  }

  /**
   * The verified client certificate of each connection (HTTP/2 session),
   * read once: grpc-js's getAuthContext() turns the peer certificate into a
   * JavaScript object (subject, three fingerprints, the key) on every call,
   * a fifth of a heartbeat's CPU. A connection's peer certificate is fixed at
   * its handshake (TLS 1.3 has no renegotiation; Node refuses it for servers),
   * so the connection is a safe key; the WeakMap lets it go with the session.
   * Only the certificate is kept: every call is still authenticated (expiry,
   * revocation) and authorized.
   */
  private readonly peerCertificates = new WeakMap<object, PeerCertificate>();

  async open(call: GuardedCall): Promise<Caller> {
    const certificate = this.peerCertificateOf(call);
    const bearerToken = bearerOf(call.metadata);
    const user = await this.options.authenticator.authenticate({
      ...(certificate && Object.keys(certificate).length > 0 ? { certificate } : {}),
      ...(bearerToken === undefined ? {} : { bearerToken }),
    });
    return new Caller(user, this.options.authorizer);
  }

  private peerCertificateOf(call: GuardedCall): PeerCertificate | undefined {
    const session = sessionOf(call);
    const known = session && this.peerCertificates.get(session);
    if (known) return known;
    const certificate = call.getAuthContext().sslPeerCertificate;
    if (session && certificate && Object.keys(certificate).length > 0) this.peerCertificates.set(session, certificate);
    return certificate;
  }

  /**
   * Writes the audit line of a finished request, if it changed (or tried to
   * change) something. A node's own heartbeat is left out when it succeeds,
   * as Kubernetes' audit policies leave out node leases: two lines a second
   * per node would bury everything else.
   */
  audit(method: string, caller: Caller | undefined, code: status, latencyMs: number): void {
    const attributes = caller?.described;
    if (!attributes || !AUDITED_VERBS.has(attributes.verb)) return;
    if (method === 'Heartbeat' && code === status.OK) return;
    this.options.audit.record({
      method,
      user: caller.user.name,
      groups: [...caller.user.groups],
      verb: attributes.verb,
      resource: attributes.resource,
      ...(attributes.subresource ? { subresource: attributes.subresource } : {}),
      ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
      ...(attributes.name ? { name: attributes.name } : {}),
      code: (status[code] ?? 'UNKNOWN') as GrpcStatusName,
      latencyMs,
    });
  }
}

/**
 * The HTTP/2 session (one per connection) a grpc-js server call came on, or
 * undefined. grpc-js does not expose it: this reads its call's private
 * `call.stream.session` and gives up (undefined: nothing is cached, every call
 * reads its certificate) if a grpc-js version changes that shape.
 * request-guard.test.ts checks it against the grpc-js in use.
 */
export function sessionOf(call: object): object | undefined {
  const session = (call as { call?: { stream?: { session?: unknown } } }).call?.stream?.session;
  return typeof session === 'object' && session !== null ? session : undefined;
}

/**
 * `authorization: Bearer <token>`, if the call carries one. Node's HTTP/2
 * server keeps only the first authorization field of a request (as Go's does
 * for kube-apiserver), so the metadata holds one value at most.
 */
export function bearerOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('authorization');
  if (value === undefined) return undefined;
  const match = /^Bearer (\S+)$/.exec(String(value));
  if (!match?.[1]) throw new UnauthenticatedError('authorization: expected "Bearer <token>"');
  return match[1];
}
