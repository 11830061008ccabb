// SkiffClient over real TLS: a grpc-js server in the test, with a cluster CA,
// a serving certificate and client identities from @skiff/api's x509 helpers,
// reached through the same kubeconfig → context → connection path ctl uses.
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Kubeconfig } from '@skiff/api';
import type { CertificateAuthority } from '@skiff/api/x509';
import { rejectionOf } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionFlags } from './connection/connection.js';
import { createContext } from './context.js';
import { ServerError } from './errors.js';
import { createTestCa, startTestApiServer, TEST_SERVER_NAME, type TestApiServer } from './test-api-server.js';

const LIST = { kind: 'pods', namespace: 'default', allNamespaces: false, labelSelector: '' };

interface Seen {
  commonName?: string;
  authorization?: string;
}

describe('SkiffClient over TLS', () => {
  const seen: Seen[] = [];
  let otherCa: CertificateAuthority;
  let running: TestApiServer;
  let failure: { code: status; details: string } | undefined;

  const kubeconfig = (name: string, config: Kubeconfig): string => running.kubeconfigFile(name, config);
  const adminConfig = (server?: string, caPem?: string): Kubeconfig => running.adminConfig(server, caPem);

  function client(flags: ConnectionFlags) {
    return createContext(flags, { stdout: process.stdout, stderr: process.stderr, readStdin: async () => '' }, { env: {}, home: running.dir }).client();
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
    otherCa = await createTestCa('elsewhere-ca');
    // List answers with `failure` when set, and records who called.
    running = await startTestApiServer({
      List(call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
        const peer = call.getAuthContext().sslPeerCertificate;
        const authorization = call.metadata.get('authorization')[0];
        seen.push({ commonName: peer ? String(peer.subject.CN) : undefined, authorization: typeof authorization === 'string' ? authorization : undefined });
        if (failure) callback(Object.assign(new Error(failure.details), { ...failure, metadata: new Metadata() }));
        else callback(null, { items_json: [], resource_version: '7' });
      },
    });
  });

  afterAll(() => running.close());

  it('verifies the server against the cluster CA and presents the user certificate', async () => {
    expect(await list({ kubeconfig: kubeconfig('admin', adminConfig()) })).toEqual({ items: [], resourceVersion: '7' });
    expect(seen.at(-1)).toEqual({ commonName: 'admin', authorization: undefined });
  });

  it('sends a token user\'s token as authorization: Bearer, with no client certificate', async () => {
    const base = adminConfig();
    const config: Kubeconfig = { ...base, users: [{ name: 'skiff', user: { token: 'header.payload.signature' } }] };
    await list({ kubeconfig: kubeconfig('token', config) });
    expect(seen.at(-1)).toEqual({ commonName: undefined, authorization: 'Bearer header.payload.signature' });
  });

  it('checks the certificate against tls-server-name when the server is dialled by another name', async () => {
    const base = adminConfig(`https://localhost:${running.port}`);
    const named: Kubeconfig = { ...base, clusters: [{ name: 'skiff', cluster: { ...base.clusters[0]!.cluster, 'tls-server-name': TEST_SERVER_NAME } }] };
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
});
