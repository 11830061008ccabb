// A gRPC server's TLS whose certificate can change under the running server
// (renewal without a restart), for the control plane and the agent alike.
// grpc-js's certificate-provider credentials also request client certificates
// and hand a handler only the ones that verified against the CA
// (`call.getAuthContext().sslPeerCertificate`); whether one is required at the
// TLS layer is the caller's choice.
import { experimental, type ServerCredentials } from '@grpc/grpc-js';

export interface ServingCertificates {
  /** The CA client certificates must chain to. */
  readonly caPem: string;
  /** The serving certificate, followed by its chain. */
  readonly certPem: string;
  readonly keyPem: string;
}

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export class RotatingCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private current: ServingCertificates) {}

  /** New certificates for the connections made from now on. */
  update(next: ServingCertificates): void {
    this.current = next;
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

  /** Server credentials over this provider; client certificates verified, and required unless told otherwise. */
  serverCredentials(options: { requireClientCertificate?: boolean } = {}): ServerCredentials {
    // One provider serves both roles, so grpc-js's order of the two is moot.
    return experimental.createCertificateProviderServerCredentials(this, this, options.requireClientCertificate ?? true);
  }

  private caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.current.caPem) };
  }

  private identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.current.certPem), privateKey: Buffer.from(this.current.keyPem) };
  }
}
