// One real cluster (etcd, the control plane over TLS, optionally agents) for a
// file of hostile requests, with the means to be anyone: certificates signed by
// the cluster CA or by a CA of our own, node identities joined with a token,
// raw clients with any credentials and metadata. Always stopped afterwards,
// even when a test fails.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  adminKubeconfig,
  createApiClient,
  createNodeApiClient,
  NODE_USER_PREFIX,
  NODES_GROUP,
  parseJoinToken,
  serializeKubeconfig,
  type ApiClient,
  type NodeApiClient,
  type ResourceObject,
} from '@skiff/api';
import {
  createCsr,
  createSelfSignedCa,
  generateKeyPair,
  issueCertificate,
  type CertificateAuthority,
} from '@skiff/api/x509';
import { CONTROLPLANE_MAIN, startLocalCluster, waitFor, type AgentOptions, type LocalCluster } from '@skiff/testkit';
import { afterAll, beforeAll } from 'vitest';
import { authorization, unary } from './grpc-calls.js';

/** A TLS client identity: a certificate (chain) and its private key. */
export interface Identity {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface JoinToken {
  readonly caHash: string;
  readonly id: string;
  readonly secret: string;
}

export interface HostileCluster {
  readonly cluster: LocalCluster;
  /** The control plane's primary gRPC address (HOST:PORT). */
  readonly address: string;
  /** The cluster CA (its key too, to issue certificates as an operator would). */
  readonly ca: CertificateAuthority;
  readonly auditLog: string;
  /** A scratch directory removed afterwards. */
  readonly dir: string;
  /** An Api client as the admin. */
  readonly admin: ApiClient;
  /** The first join token, from the control plane's token file. */
  readonly token: JoinToken;
  /** An Api client with this identity (none: TLS without a client certificate); closed afterwards. */
  api(identity?: Identity): ApiClient;
  nodeApi(identity?: Identity): NodeApiClient;
  /** Creates or updates objects as the admin. */
  apply(...objects: readonly ResourceObject[]): Promise<void>;
  /** An object as the admin reads it; undefined when it does not exist. */
  read<T extends ResourceObject = ResourceObject>(kind: string, namespace: string, name: string): Promise<T | undefined>;
  /** Waits until the control plane allows `user` this (RBAC reads bindings from caches that follow the store). */
  allowedSoon(user: string, verb: string, resource: string, namespace: string): Promise<void>;
  /** A certificate for this user, signed by the cluster CA (one hour from now unless told otherwise). */
  user(commonName: string, organizations?: readonly string[], validity?: Validity): Promise<Identity>;
  /** Joins a node through NodeApi.Join, as an agent would, and returns its node identity. */
  join(nodeName: string, token?: JoinToken): Promise<Identity>;
  /** A kubeconfig file for ctl with this identity. */
  kubeconfig(name: string, identity: Identity): string;
  /** `skiff-controlplane token …` against this cluster; resolves with what it printed. */
  tokenCommand(...args: readonly string[]): Promise<string>;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface HostileClusterOptions {
  readonly agents?: readonly AgentOptions[];
}

const HOUR_MS = 3_600_000;
const run = promisify(execFile);

export function useHostileCluster(options: HostileClusterOptions = {}): () => HostileCluster {
  let fixture: HostileCluster | undefined;
  let cluster: LocalCluster | undefined;
  const clients: { close(): void }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'skiff-hostile-'));

  beforeAll(async () => {
    const auditLog = join(dir, 'audit', 'audit.log');
    const started = await startLocalCluster({ controlPlaneArgs: ['--audit-log', auditLog] });
    cluster = started;
    for (const agent of options.agents ?? []) await started.addAgent(agent);
    const ca: CertificateAuthority = {
      certPem: readFileSync(join(started.dataDir, 'pki', 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(started.dataDir, 'pki', 'ca.key'), 'utf8'),
    };
    const address = started.grpcAddress;
    const tracked = <T extends { close(): void }>(client: T): T => (clients.push(client), client);
    const tls = (identity?: Identity): ChannelCredentials => tlsCredentials(ca.certPem, identity);
    const admin = tracked(started.apiClient());
    let files = 0;
    fixture = {
      cluster: started,
      address,
      ca,
      auditLog,
      dir,
      admin,
      token: parseJoinToken(readFileSync(started.tokenFile, 'utf8').trim()),
      api: (identity) => tracked(createApiClient(address, {}, tls(identity))),
      nodeApi: (identity) => tracked(createNodeApiClient(address, {}, tls(identity))),
      apply: async (...objects) => {
        for (const object of objects) await unary((m, o, cb) => admin.Apply({ manifest_json: JSON.stringify(object) }, m, o, cb));
      },
      read: async <T extends ResourceObject>(kind: string, namespace: string, name: string) => {
        try {
          const { object_json } = await unary<{ object_json: string }>((m, o, cb) => admin.Get({ ref: { kind, namespace, name } }, m, o, cb));
          return JSON.parse(object_json) as T;
        } catch (error) {
          if ((error as ServiceError).code === status.NOT_FOUND) return undefined;
          throw error;
        }
      },
      allowedSoon: async (asUser, verb, resource, namespace) => {
        const ask = () => unary<{ allowed: boolean }>((m, o, cb) => admin.CanI({ verb, resource, namespace, name: '', as_user: asUser, as_groups: [] }, m, o, cb));
        await waitFor(async () => (await ask()).allowed, { timeoutMs: 10_000, description: `${asUser} to be allowed to ${verb} ${resource} in ${namespace}` });
      },
      user: (commonName, organizations = [], validity) => issueIdentity(ca, commonName, organizations, validity),
      join: async (nodeName, token = fixture!.token) => {
        const keys = await generateKeyPair();
        const csrPem = await createCsr(keys, { commonName: `${NODE_USER_PREFIX}${nodeName}`, organizations: [NODES_GROUP] });
        const client = tracked(createNodeApiClient(address, {}, tls()));
        const joined = await unary<{ certificate_pem: string }>(
          (m, o, cb) => client.Join({ node_name: nodeName, csr_pem: csrPem, addresses: ['127.0.0.1'] }, m, o, cb),
          authorization(`Bearer ${token.id}.${token.secret}`),
        );
        return { certPem: joined.certificate_pem, keyPem: keys.privateKeyPem };
      },
      kubeconfig: (name, identity) => {
        const path = join(dir, `${++files}-${name}.kubeconfig`);
        const config = adminKubeconfig({ server: `https://${address}`, caPem: ca.certPem, certPem: identity.certPem, keyPem: identity.keyPem, name });
        writeFileSync(path, serializeKubeconfig(config), { mode: 0o600 });
        return path;
      },
      tokenCommand: async (...args) => {
        const argv = [CONTROLPLANE_MAIN, 'token', ...args, '--data-dir', started.dataDir, '--etcd', started.etcd.endpoint];
        return (await run(process.execPath, argv, { timeout: 30_000 })).stdout;
      },
    };
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  return () => {
    if (!fixture) throw new Error('the hostile cluster is only available inside tests');
    return fixture;
  };
}

/** TLS that verifies the server against `caPem`, presenting `identity` if given. */
export function tlsCredentials(caPem: string, identity?: Identity): ChannelCredentials {
  const ca = Buffer.from(caPem);
  return identity ? credentials.createSsl(ca, Buffer.from(identity.keyPem), Buffer.from(identity.certPem)) : credentials.createSsl(ca);
}

/** A client certificate for `commonName` (groups: `organizations`) signed by `ca`. */
export async function issueIdentity(
  ca: CertificateAuthority,
  commonName: string,
  organizations: readonly string[] = [],
  validity: Validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + HOUR_MS) },
): Promise<Identity> {
  const keys = await generateKeyPair();
  const issued = await issueCertificate({
    ca,
    subject: { commonName, organizations },
    publicKeyPem: keys.publicKeyPem,
    usages: ['client'],
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
  });
  return { certPem: issued.certPem, keyPem: keys.privateKeyPem };
}

/** A CA of our own, which the cluster has never heard of. */
export function foreignCa(): Promise<CertificateAuthority> {
  return createSelfSignedCa({ subject: { commonName: 'not-the-cluster-ca' }, notAfter: new Date(Date.now() + 24 * HOUR_MS) });
}
