// A throw-away cluster PKI for tests, made with @skiff/api's X.509 helpers: a
// CA, serving certificates for the control plane a test stands in for, and
// client certificates (the control plane's, a node's, anyone's), and a TLS
// gRPC server to stand a test's handlers behind. Lives beside the code (not in
// a test file) so the agent's tests share one.
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { formatJoinToken, nodeApiServiceDefinition, RotatingCertificateProvider } from '@skiff/api/core';
import {
  caCertificateHash,
  createSelfSignedCa,
  generateKeyPair,
  issueCertificate,
  type CertificateAuthority,
} from '@skiff/api/x509';
import { agentServerCredentials } from './agent-server-security.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TestKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TestPki {
  readonly ca: CertificateAuthority;
  /** caCertificateHash of the CA, as a join token pins it. */
  readonly caHash: string;
  /** A join token for this CA. */
  token(id?: string, secret?: string): string;
  /** A serving certificate for `hosts` (IP addresses or DNS names). */
  serving(hosts: readonly string[]): Promise<TestKeyPair>;
  /** A client certificate with this CN (and O values), valid from `notBefore` for `lifetimeMs`. */
  client(commonName: string, options?: { organizations?: string[]; notBefore?: Date; lifetimeMs?: number }): Promise<TestKeyPair>;
}

export async function createTestPki(name = 'skiff-test-ca'): Promise<TestPki> {
  const ca = await createSelfSignedCa({ subject: { commonName: name }, notAfter: new Date(Date.now() + 365 * DAY_MS) });
  const caHash = caCertificateHash(ca.certPem);
  const leaf = async (options: {
    commonName: string;
    organizations?: string[];
    hosts?: readonly string[];
    usages: ('client' | 'server')[];
    notBefore?: Date;
    lifetimeMs?: number;
  }): Promise<TestKeyPair> => {
    const keys = await generateKeyPair();
    const hosts = options.hosts ?? [];
    const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
    const { certPem } = await issueCertificate({
      ca,
      publicKeyPem: keys.publicKeyPem,
      subject: { commonName: options.commonName, ...(options.organizations ? { organizations: options.organizations } : {}) },
      ipAddresses: hosts.filter((host) => /^[\d.]+$|:/.test(host)),
      dnsNames: hosts.filter((host) => !/^[\d.]+$|:/.test(host)),
      usages: options.usages,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (options.lifetimeMs ?? DAY_MS)),
    });
    return { certPem, keyPem: keys.privateKeyPem };
  };
  return {
    ca,
    caHash,
    token: (id = 'abc123', secret = '0123456789abcdef') => formatJoinToken({ caHash, id, secret }),
    serving: (hosts) => leaf({ commonName: 'skiff-controlplane', hosts, usages: ['server'] }),
    client: (commonName, options = {}) => leaf({ commonName, usages: ['client'], ...options }),
  };
}

export interface TestGrpcServer {
  /** 127.0.0.1:PORT */
  readonly address: string;
  stop(): void;
}

/**
 * `handlers` behind TLS on 127.0.0.1, serving a certificate of `pki` (chain:
 * leaf, CA). Client certificates are asked for and verified against the CA
 * but optional, as on the control plane: handlers read them from
 * `call.getAuthContext().sslPeerCertificate`.
 */
export async function serveTls(pki: TestPki, definition: ServiceDefinition, handlers: UntypedServiceImplementation, port = 0): Promise<TestGrpcServer> {
  const serving = await pki.serving(['127.0.0.1']);
  const provider = new RotatingCertificateProvider({ caPem: pki.ca.certPem, certPem: serving.certPem + pki.ca.certPem, keyPem: serving.keyPem });
  const server = new Server();
  server.addService(definition, handlers);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, agentServerCredentials(provider, { requireClientCertificate: false }), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return { address: `127.0.0.1:${bound}`, stop: () => server.forceShutdown() };
}

/** A TLS address on 127.0.0.1 that nothing listens on (any more). */
export async function closedAddress(pki: TestPki): Promise<string> {
  const server = await serveTls(pki, nodeApiServiceDefinition(), {});
  server.stop();
  return server.address;
}
