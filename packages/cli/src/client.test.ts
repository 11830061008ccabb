// SkiffClient over real TLS: a grpc-js server in the test, with a cluster CA,
// a serving certificate and client identities from @skiff/api's x509 helpers,
// reached through the same kubeconfig → context → connection path ctl uses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimental, Metadata, Server, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { adminKubeconfig, apiServiceDefinition, serializeKubeconfig, type Kubeconfig } from '@skiff/api';
import { createSelfSignedCa, generateKeyPair, issueCertificate, type CertificateAuthority } from '@skiff/api/x509';
import { freePort, rejectionOf } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionFlags } from './connection/connection.js';
import { createContext } from './context.js';
import { ServerError } from './errors.js';

const YEAR = 365 * 24 * 3600 * 1000;
const LIST = { kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' };

interface Seen {
  commonName?: string;
  authorization?: string;
}

async function leaf(ca: CertificateAuthority, commonName: string, usage: 'client' | 'server', names: { dnsNames?: string[]; ipAddresses?: string[] } = {}) {
  const keys = await generateKeyPair();
  const { certPem } = await issueCertificate({
    ca,
    subject: { commonName, organizations: usage === 'client' ? ['system:masters'] : [] },
    publicKeyPem: keys.publicKeyPem,
    usages: [usage],
    notAfter: new Date(Date.now() + YEAR),
    ...names,
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

/** Fixed certificates; grpc-js's server must hear of them after it starts watching, so never synchronously. */
function staticCertificates(caPem: string, identity: { certPem: string; keyPem: string }): experimental.CertificateProvider {
  return {
    addCaCertificateListener: (listener) => setImmediate(() => listener({ caCertificate: Buffer.from(caPem) })),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (listener) =>
      setImmediate(() => listener({ certificate: Buffer.from(identity.certPem), privateKey: Buffer.from(identity.keyPem) })),
    removeIdentityCertificateListener: () => {},
  };
}

/** A TLS Api server whose List answers with `answer` and records who called. */
async function startServer(ca: CertificateAuthority, serving: { certPem: string; keyPem: string }, answer: () => { code: status; details: string } | undefined) {
  const seen: Seen[] = [];
  const server = new Server();
  server.addService(apiServiceDefinition(), {
    List(call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
      const peer = call.getAuthContext().sslPeerCertificate;
      const authorization = call.metadata.get('authorization')[0];
      seen.push({ commonName: peer ? String(peer.subject.CN) : undefined, authorization: typeof authorization === 'string' ? authorization : undefined });
      const failure = answer();
      if (failure) callback(Object.assign(new Error(failure.details), { ...failure, metadata: new Metadata() }));
      else callback(null, { items_json: [], resource_version: '7' });
    },
  });
  // Client certificates optional at TLS level (a token user has none), verified against the CA when given.
  const credentials = experimental.createCertificateProviderServerCredentials(
    staticCertificates(ca.certPem, serving),
    staticCertificates(ca.certPem, serving),
    false,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  await new Promise((resolve) => setImmediate(resolve)); // the certificates reach the server
  return { server, port, seen };
}

describe('SkiffClient over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ctl-tls-'));
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let admin: { certPem: string; keyPem: string };
  let running: Awaited<ReturnType<typeof startServer>>;
  let failure: { code: status; details: string } | undefined;

  function kubeconfig(name: string, config: Kubeconfig): string {
    const path = join(dir, name);
    writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
    return path;
  }

  function adminConfig(server = `https://127.0.0.1:${running.port}`, caPem = ca.certPem): Kubeconfig {
    return adminKubeconfig({ server, caPem, certPem: admin.certPem, keyPem: admin.keyPem });
  }

  function client(flags: ConnectionFlags) {
    return createContext(flags, { stdout: process.stdout, stderr: process.stderr, readStdin: async () => '' }, { env: {}, home: dir }).client();
  }

  async function list(flags: ConnectionFlags) {
    const c = client(flags);
    try {
      return await c.list(LIST);
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    ca = await createSelfSignedCa({ subject: { commonName: 'skiff-ca' }, notAfter: new Date(Date.now() + YEAR) });
    otherCa = await createSelfSignedCa({ subject: { commonName: 'elsewhere-ca' }, notAfter: new Date(Date.now() + YEAR) });
    admin = await leaf(ca, 'admin', 'client');
    const serving = await leaf(ca, 'skiff-controlplane', 'server', { dnsNames: ['cp.skiff.test'], ipAddresses: ['127.0.0.1'] });
    running = await startServer(ca, serving, () => failure);
  });

  afterAll(() => running.server.forceShutdown());

  it('verifies the server against the cluster CA and presents the user certificate', async () => {
    expect(await list({ kubeconfig: kubeconfig('admin', adminConfig()) })).toEqual({ items: [], resourceVersion: '7' });
    expect(running.seen.at(-1)).toEqual({ commonName: 'admin', authorization: undefined });
  });

  it('sends a token user\'s token as authorization: Bearer, with no client certificate', async () => {
    const base = adminConfig();
    const config: Kubeconfig = { ...base, users: [{ name: 'skiff', user: { token: 'header.payload.signature' } }] };
    await list({ kubeconfig: kubeconfig('token', config) });
    expect(running.seen.at(-1)).toEqual({ commonName: undefined, authorization: 'Bearer header.payload.signature' });
  });

  it('checks the certificate against tls-server-name when the server is dialled by another name', async () => {
    const base = adminConfig(`https://localhost:${running.port}`);
    const named: Kubeconfig = { ...base, clusters: [{ name: 'skiff', cluster: { ...base.clusters[0]!.cluster, 'tls-server-name': 'cp.skiff.test' } }] };
    await list({ kubeconfig: kubeconfig('named', named) });
    const wrongName: Kubeconfig = { ...base, clusters: [{ name: 'skiff', cluster: { ...base.clusters[0]!.cluster, 'tls-server-name': 'other.skiff.test' } }] };
    const error = await rejectionOf(list({ kubeconfig: kubeconfig('wrong-name', wrongName) }), ServerError);
    expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('refuses a server whose certificate another CA signed, saying what to check', async () => {
    const error = await rejectionOf(list({ kubeconfig: kubeconfig('other-ca', adminConfig(undefined, otherCa.certPem)) }), ServerError);
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.message).toMatch(
      new RegExp(
        `^cannot reach the Skiff control plane at 127\\.0\\.0\\.1:${running.port} \\(context "skiff" of ~/other-ca\\): .+; ` +
          "is it running, and is its certificate signed by the cluster's CA\\? Point ctl elsewhere with --context NAME, --kubeconfig FILE or --server https://HOST:PORT$",
      ),
    );
  });

  it('lets --server override the context\'s server', async () => {
    const path = kubeconfig('stale', adminConfig('https://127.0.0.1:1'));
    await list({ kubeconfig: path, server: `127.0.0.1:${running.port}` });
    const refused = await rejectionOf(list({ kubeconfig: path }), ServerError);
    expect(refused.message).toContain('cannot reach the Skiff control plane at 127.0.0.1:1 (context "skiff" of ~/stale)');
  });

  it('words UNAUTHENTICATED and PERMISSION_DENIED as kubectl does', async () => {
    const path = kubeconfig('refused', adminConfig());
    failure = { code: status.UNAUTHENTICATED, details: 'the client certificate has expired; ask for a new one' };
    const unauthenticated = await rejectionOf(list({ kubeconfig: path }), ServerError);
    expect(unauthenticated.message).toBe('error: You must be logged in to the server (Unauthorized): the client certificate has expired; ask for a new one');
    failure = { code: status.PERMISSION_DENIED, details: 'user "admin" cannot list pods in namespace "default"' };
    const denied = await rejectionOf(list({ kubeconfig: path }), ServerError);
    expect(denied.message).toBe('Error from server (Forbidden): user "admin" cannot list pods in namespace "default"');
    failure = undefined;
  });

  it('reaches a plaintext server only with --insecure-dev-plaintext, and then names it so', async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const error = await rejectionOf(list({ insecureDevPlaintext: true, server }), ServerError);
    expect(error.message).toMatch(new RegExp(`^cannot reach the Skiff control plane at ${server.replaceAll('.', '\\.')} \\(plaintext\\): .+; is it running \\(with --insecure-dev-plaintext\\)\\?`));
  });
});
