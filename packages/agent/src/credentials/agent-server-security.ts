// The agent's own gRPC server (logs, later exec) answers the control plane
// only. TLS serves the node certificate and requires a client certificate
// signed by the cluster CA (anything else fails the handshake); each handler
// then requires that certificate's CN to be the control plane's identity.
// The serving certificate is swapped in place when the node's is renewed.
import type { ServerCredentials, UntypedServiceImplementation } from '@grpc/grpc-js';
import { CONTROL_PLANE_USER, PermissionDeniedError, UnauthenticatedError, type RotatingCertificateProvider, type SkiffError } from '@skiff/api/core';

/** The user name in the control plane's client certificate, as it dials agents. */
export const CONTROL_PLANE_IDENTITY = CONTROL_PLANE_USER;

/** The agent server's TLS: only callers with a client certificate the cluster CA signed get through (unless told otherwise). */
export function agentServerCredentials(provider: RotatingCertificateProvider, options: { requireClientCertificate?: boolean } = {}): ServerCredentials {
  return provider.serverCredentials(options);
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
