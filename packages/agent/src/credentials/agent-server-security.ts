// The agent's own gRPC server (logs, later exec) answers the control plane
// only. TLS serves the node certificate and requires a client certificate
// signed by the cluster CA (anything else fails the handshake); each handler
// then requires that certificate's CN to be the control plane's identity.
// The serving certificate is swapped in place when the node's is renewed.
import { experimental, type ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { PermissionDeniedError, UnauthenticatedError, type SkiffError } from '@skiff/api';
import type { NodeCredentials } from './node-credentials.js';

/** The user name in the control plane's client certificate, as it dials agents. */
export const CONTROL_PLANE_IDENTITY = 'system:skiff-controlplane';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Hands grpc-js the node's credentials, and each renewal of them. */
export class NodeCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private credentials: NodeCredentials) {}

  update(credentials: NodeCredentials): void {
    this.credentials = credentials;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  // grpc-js registers its watcher only after adding these listeners: answer on
  // the next tick, as its own FileWatcherCertificateProvider does.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.credentials.caPem) };
  }

  private identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.credentials.certPem), privateKey: Buffer.from(this.credentials.keyPem) };
  }
}

/**
 * TLS with the provider's certificate; client certificates requested and
 * verified against its CA, and by default required (what
 * `ServerCredentials.createSsl(ca, pairs, true)` does, with a certificate that
 * can change under a running server). Without `requireClientCertificate` a
 * caller may come without one, and only verified ones reach
 * `call.getAuthContext().sslPeerCertificate`.
 */
export function agentServerCredentials(provider: NodeCertificateProvider, options: { requireClientCertificate?: boolean } = {}): ServerCredentials {
  // One provider serves both roles, so grpc-js's order of the two is moot.
  return experimental.createCertificateProviderServerCredentials(provider, provider, options.requireClientCertificate ?? true);
}

interface AuthenticatedCall {
  getAuthContext?(): { sslPeerCertificate?: { subject?: Record<string, string | string[]> } } | null;
  emit(event: 'error', error: Error): boolean;
}

/** Why the call is refused, or undefined when its verified peer is the control plane. */
export function refusalOf(call: AuthenticatedCall): SkiffError | undefined {
  const peer = call.getAuthContext?.()?.sslPeerCertificate;
  if (!peer) {
    return new UnauthenticatedError(`this agent answers only the control plane: the call carries no client certificate signed by the cluster CA`);
  }
  const cn = peer.subject?.CN;
  const names = Array.isArray(cn) ? cn : cn === undefined ? [] : [cn];
  if (names.length !== 1 || names[0] !== CONTROL_PLANE_IDENTITY) {
    const who = names.length === 0 ? 'a certificate without a common name' : `"${names.join('", "')}"`;
    return new PermissionDeniedError(`this agent answers only the control plane (${CONTROL_PLANE_IDENTITY}), not ${who}`);
  }
  return undefined;
}

/** `handlers`, each refusing any caller but the control plane before it runs. */
export function requireControlPlane<T extends UntypedServiceImplementation>(handlers: T): T {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const run = handler as (call: AuthenticatedCall, callback?: (error: Error) => void) => void;
    guarded[name] = ((call: AuthenticatedCall, callback?: (error: Error) => void) => {
      const refusal = refusalOf(call);
      if (!refusal) return run(call, callback);
      const error = Object.assign(new Error(refusal.message), { code: refusal.code, details: refusal.message });
      // Unary and client-streaming calls answer through the callback; streams
      // by an 'error' event (destroying a stream would never send its status).
      if (callback) callback(error);
      else call.emit('error', error);
    }) as UntypedServiceImplementation[string];
  }
  return guarded as T;
}
