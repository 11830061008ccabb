// A throw-away cluster for ctl's tests: a CA, an admin identity and a serving
// certificate made with @skiff/api's X.509 helpers, a TLS Api server on
// 127.0.0.1 standing the test's handlers, and kubeconfig files to reach it
// through the same kubeconfig → context → connection path ctl uses. Lives
// beside the code (not in a test file) so ctl's tests share one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { experimental, Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { adminKubeconfig, apiServiceDefinition, serializeKubeconfig, type Kubeconfig } from '@skiff/api';
import { createSelfSignedCa, generateKeyPair, issueCertificate, type CertificateAuthority } from '@skiff/api/x509';
import { createContext, type CliTerminal } from './context.js';
import { buildProgram } from './program.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface TestIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The name, besides 127.0.0.1, that the test server's certificate carries. */
export const TEST_SERVER_NAME = 'cp.skiff.test';

/** A CA-signed leaf: a client (in system:masters) or a server certificate. */
export async function issueTestIdentity(
  ca: CertificateAuthority,
  commonName: string,
  usage: 'client' | 'server',
  names: { dnsNames?: string[]; ipAddresses?: string[] } = {},
): Promise<TestIdentity> {
  const keys = await generateKeyPair();
  const { certPem } = await issueCertificate({
    ca,
    subject: { commonName, organizations: usage === 'client' ? ['system:masters'] : [] },
    publicKeyPem: keys.publicKeyPem,
    usages: [usage],
    notAfter: new Date(Date.now() + YEAR_MS),
    ...names,
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

export function createTestCa(commonName = 'skiff-ca'): Promise<CertificateAuthority> {
  return createSelfSignedCa({ subject: { commonName }, notAfter: new Date(Date.now() + YEAR_MS) });
}

export interface TestApiServer {
  readonly ca: CertificateAuthority;
  readonly admin: TestIdentity;
  readonly port: number;
  /** Where kubeconfigFile() writes (a test may use it as the home directory: ctl then names files ~/NAME). */
  readonly dir: string;
  /** The admin's kubeconfig for `server` (default this server), trusting `caPem` (default the CA). */
  adminConfig(server?: string, caPem?: string): Kubeconfig;
  /** Writes `config` (default adminConfig()) to a file of its own (0600) and returns its path. */
  kubeconfigFile(name: string, config?: Kubeconfig): string;
  close(): void;
}

/** A TLS Api server on 127.0.0.1 serving `handlers` (several servers of one cluster share `options.ca` and `options.admin`); client certificates optional at TLS level (a token user has none), verified against the CA when given. */
export async function startTestApiServer(
  handlers: UntypedServiceImplementation,
  options: { ca?: CertificateAuthority; admin?: TestIdentity } = {},
): Promise<TestApiServer> {
  const ca = options.ca ?? (await createTestCa());
  const admin = options.admin ?? (await issueTestIdentity(ca, 'admin', 'client'));
  const serving = await issueTestIdentity(ca, 'skiff-controlplane', 'server', { dnsNames: [TEST_SERVER_NAME], ipAddresses: ['127.0.0.1'] });
  const server = new Server();
  server.addService(apiServiceDefinition(), handlers);
  const credentials = experimental.createCertificateProviderServerCredentials(
    staticCertificates(ca.certPem, serving),
    staticCertificates(ca.certPem, serving),
    false,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  await new Promise((resolve) => setImmediate(resolve)); // the certificates reach the server
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ctl-tls-'));
  const adminConfig = (address = `https://127.0.0.1:${port}`, caPem = ca.certPem): Kubeconfig =>
    adminKubeconfig({ server: address, caPem, certPem: admin.certPem, keyPem: admin.keyPem });
  return {
    ca,
    admin,
    port,
    dir,
    adminConfig,
    kubeconfigFile(name, config = adminConfig()) {
      const path = join(dir, name);
      writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
      return path;
    },
    close: () => {
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fixed certificates; grpc-js's server must hear of them after it starts watching, so never synchronously. */
function staticCertificates(caPem: string, identity: TestIdentity): experimental.CertificateProvider {
  return {
    addCaCertificateListener: (listener) => setImmediate(() => listener({ caCertificate: Buffer.from(caPem) })),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (listener) =>
      setImmediate(() => listener({ certificate: Buffer.from(identity.certPem), privateKey: Buffer.from(identity.keyPem) })),
    removeIdentityCertificateListener: () => {},
  };
}

export interface CtlRun {
  readonly stdout: string;
  readonly stderr: string;
  /** What the command threw, if anything (ctl's main prints it and exits non-zero). */
  readonly error?: unknown;
}

/** Runs ctl's command tree in-process with `argv` (no HOME, no environment; stdin and a terminal if given), collecting what it printed. */
export async function runCtlInProcess(argv: readonly string[], io: { readonly terminal?: CliTerminal } = {}): Promise<CtlRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const context = createContext({}, { stdout, stderr, readStdin: async () => '', ...io }, { env: {}, home: '/nonexistent' });
  let error: unknown;
  try {
    await buildProgram(context).parseAsync([...argv], { from: 'user' });
  } catch (thrown) {
    error = thrown;
  } finally {
    context.close();
    stdout.end();
    stderr.end();
  }
  return { stdout: await text(stdout), stderr: await text(stderr), ...(error === undefined ? {} : { error }) };
}
