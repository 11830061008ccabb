// The front door's security for every call: who is calling (a verified client
// certificate, or a bearer token), whether they may do what the call asks
// (node restriction, then RBAC), and one audit line per mutating request.
// Handlers describe what a request does as RequestAttributes; they never
// decide who may do it.
import type { PeerCertificate } from 'node:tls';
import { status, type Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@skiff/api';
import type { Authenticator, Authorizer, RequestAttributes, UserInfo } from '../auth/index.js';
import type { AuditLog, GrpcStatusName } from './audit-log.js';

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

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

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

  async open(call: GuardedCall): Promise<Caller> {
    const certificate = call.getAuthContext().sslPeerCertificate;
    const bearerToken = bearerOf(call.metadata);
    const user = await this.options.authenticator.authenticate({
      ...(certificate && Object.keys(certificate).length > 0 ? { certificate } : {}),
      ...(bearerToken === undefined ? {} : { bearerToken }),
    });
    return new Caller(user, this.options.authorizer);
  }

  /**
   * Writes the audit line of a finished request, if it changed (or tried to
   * change) something. A node's own heartbeat is left out when it succeeds,
   * as Kubernetes' audit policies leave out node leases: two lines a second
   * per node would bury everything else.
   */
  audit(method: string, caller: Caller | undefined, code: status, latencyMs: number): void {
    const attributes = caller?.described;
    if (!attributes || !MUTATING.has(attributes.verb)) return;
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
