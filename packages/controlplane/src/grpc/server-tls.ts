// The gRPC server's TLS: the serving certificate (renewed while the server
// runs, without a restart) and the cluster CA that client certificates must
// chain to. Client certificates are requested but not required at the TLS
// layer, because an agent's first call (Join) has none; grpc-js hands a
// handler the peer certificate only when it verified against the CA, and the
// authenticator refuses every other call that lacks one.
import { experimental, type ServerCredentials } from '@grpc/grpc-js';

type CaListener = Parameters<experimental.CertificateProvider['addCaCertificateListener']>[0];
type IdentityListener = Parameters<experimental.CertificateProvider['addIdentityCertificateListener']>[0];

/** A certificate provider whose certificates the control plane replaces when it renews them. */
export class ServingIdentity implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private current: { readonly caPem: string; readonly chainPem: string; readonly keyPem: string }) {}

  /** New certificates for connections made from now on. */
  update(next: { readonly caPem: string; readonly chainPem: string; readonly keyPem: string }): void {
    this.current = next;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    listener(this.caUpdate());
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    listener(this.identityUpdate());
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  credentials(): ServerCredentials {
    return experimental.createCertificateProviderServerCredentials(this, this, false);
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.current.caPem) };
  }

  private identityUpdate() {
    return { certificate: Buffer.from(this.current.chainPem), privateKey: Buffer.from(this.current.keyPem) };
  }
}
