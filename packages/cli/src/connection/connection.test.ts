import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminKubeconfig,
  serializeKubeconfig,
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigUser,
} from '@skiff/api';
import { createSelfSignedCa, generateKeyPair, issueCertificate } from '@skiff/api/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../errors.js';
import { locateKubeconfig, readKubeconfig, type KubeconfigFile } from '../kubeconfig/kubeconfig-file.js';
import { defaultNamespace, resolveConnection, type ConnectionFlags } from './connection.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'skiff-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let admin: Kubeconfig;
let pems: { ca: string; cert: string; key: string };

beforeAll(async () => {
  const notAfter = new Date(Date.now() + 24 * 3600 * 1000);
  const ca = await createSelfSignedCa({ subject: { commonName: 'skiff-ca' }, notAfter });
  const keys = await generateKeyPair();
  const { certPem } = await issueCertificate({ ca, subject: { commonName: 'admin' }, publicKeyPem: keys.publicKeyPem, usages: ['client'], notAfter });
  pems = { ca: ca.certPem, cert: certPem, key: keys.privateKeyPem };
  admin = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: ca.certPem, certPem, keyPem: keys.privateKeyPem });
});

let files = 0;
function file(config: Kubeconfig | undefined): KubeconfigFile {
  const path = join(dir, `config-${++files}`);
  if (config) writeFileSync(path, serializeKubeconfig(config));
  return readKubeconfig(locateKubeconfig(path, { env: {}, home: dir }));
}

function withCluster(cluster: Partial<KubeconfigCluster>, user: KubeconfigUser = admin.users[0]!.user): Kubeconfig {
  return {
    ...admin,
    clusters: [{ name: 'skiff', cluster: { ...admin.clusters[0]!.cluster, ...cluster } }],
    users: [{ name: 'skiff', user }],
    contexts: [...admin.contexts, { name: 'shop', context: { cluster: 'skiff', user: 'skiff', namespace: 'shop' } }],
  };
}

function failure(flags: ConnectionFlags, kubeconfig: KubeconfigFile): string {
  try {
    resolveConnection(flags, kubeconfig);
  } catch (error) {
    if (error instanceof CliError) return error.message;
    throw error;
  }
  throw new Error('connected');
}

describe('resolveConnection over TLS', () => {
  it("dials the context's server and says where it came from", () => {
    const kubeconfig = file(admin);
    const connection = resolveConnection({}, kubeconfig);
    expect(connection).toMatchObject({ target: '10.0.0.5:7400', where: `10.0.0.5:7400 (context "skiff" of ~/config-${files})`, options: {} });
    expect(connection.credentials._isSecure()).toBe(true);
  });

  it('lets --server override the server, as https://HOST:PORT or HOST:PORT, keeping the context credentials', () => {
    const kubeconfig = file(admin);
    expect(resolveConnection({ server: 'https://[::1]:7401' }, kubeconfig)).toMatchObject({ target: '[::1]:7401' });
    expect(resolveConnection({ server: 'cp.lab:7402' }, kubeconfig).where).toBe(`cp.lab:7402 (--server, context "skiff" of ~/config-${files})`);
    expect(failure({ server: 'https://cp.lab' }, kubeconfig)).toMatch(/^error: --server: "https:\/\/cp\.lab" has no port; it must be https:\/\/HOST:PORT/);
  });

  it('passes tls-server-name on as the name the certificate must carry', () => {
    expect(resolveConnection({}, file(withCluster({ 'tls-server-name': 'cp.lab' }))).options).toEqual({ 'grpc.ssl_target_name_override': 'cp.lab' });
  });

  it('reads certificate-authority, client-certificate and client-key files relative to the kubeconfig', () => {
    writeFileSync(join(dir, 'ca.crt'), pems.ca);
    writeFileSync(join(dir, 'admin.crt'), pems.cert);
    writeFileSync(join(dir, 'admin.key'), pems.key);
    const config = withCluster({ 'certificate-authority-data': undefined, 'certificate-authority': 'ca.crt' }, { 'client-certificate': 'admin.crt', 'client-key': join(dir, 'admin.key') });
    expect(resolveConnection({}, file(config)).target).toBe('10.0.0.5:7400');
  });

  it('uses --context, and names the contexts there are when it is missing', () => {
    const kubeconfig = file(withCluster({}));
    expect(resolveConnection({ context: 'shop' }, kubeconfig).where).toBe(`10.0.0.5:7400 (context "shop" of ~/config-${files})`);
    expect(failure({ context: 'prod' }, kubeconfig)).toBe(`error: ~/config-${files}: no context named "prod" (its contexts: skiff, shop)`);
  });

  type UserOf = (p: typeof pems) => KubeconfigUser;
  const certOnly: UserOf = (p) => ({ 'client-certificate-data': b64(p.cert) });
  const keyOnly: UserOf = (p) => ({ 'client-key-data': b64(p.key) });
  const badKey: UserOf = (p) => ({ 'client-certificate-data': b64(p.cert), 'client-key-data': b64('nope') });
  it.each<[string, Partial<KubeconfigCluster>, UserOf | undefined, string]>([
    ['no CA', { 'certificate-authority-data': undefined }, undefined, `cluster "skiff" has neither certificate-authority-data nor certificate-authority; ctl trusts only the cluster's CA`],
    ['a CA that is not PEM', { 'certificate-authority-data': b64('hello') }, undefined, 'cluster "skiff": certificate-authority-data does not hold a PEM certificate'],
    ['an unreadable CA file', { 'certificate-authority-data': undefined, 'certificate-authority': 'missing.crt' }, undefined, `cluster "skiff": certificate-authority: cannot read ${dir}/missing.crt (ENOENT`],
    ['a server without https', { server: '10.0.0.5:7400' }, undefined, 'cluster "skiff": server: "10.0.0.5:7400" is not a URL; it must be https://HOST:PORT'],
    ['a certificate without its key', {}, certOnly, 'user "skiff" has a client certificate but no key; give both'],
    ['a key without its certificate', {}, keyOnly, 'user "skiff" has a client key but no certificate; give both'],
    ['no credentials', {}, () => ({}), 'user "skiff" has no credentials; give it client-certificate-data and client-key-data (a certificate signed by the cluster CA) or a token (from "ctl create token SERVICEACCOUNT")'],
    ['a key that is not PEM', {}, badKey, 'user "skiff": client-key-data does not hold a PEM private key'],
  ])('refuses %s, naming the file, the context and the field', (_case, cluster, user, message) => {
    const kubeconfig = file(withCluster(cluster, user?.(pems)));
    const expected = `error: ${kubeconfig.display}: context "skiff": ${message}`;
    expect(failure({}, kubeconfig).slice(0, expected.length)).toBe(expected);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const other = await generateKeyPair();
    const message = failure({}, file(withCluster({}, { 'client-certificate-data': b64(pems.cert), 'client-key-data': b64(other.privateKeyPem) })));
    expect(message).toMatch(new RegExp(`^error: ~/config-${files}: context "skiff": unusable TLS credentials \\(.+\\)$`));
  });

  it('needs a kubeconfig', () => {
    expect(failure({}, file(undefined))).toMatch(/^error: no kubeconfig at ~\/config-\d+ \(from --kubeconfig\)\. /);
  });
});

describe('defaultNamespace', () => {
  it("is the chosen context's namespace, else default", () => {
    const kubeconfig = file(withCluster({}));
    expect(defaultNamespace({}, kubeconfig)).toBe('default');
    expect(defaultNamespace({ context: 'shop' }, kubeconfig)).toBe('shop');
  });
});
