import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidError, NotFoundError } from './errors.js';
import {
  adminKubeconfig,
  clusterServers,
  emptyKubeconfig,
  SERVERS_EXTENSION,
  parseKubeconfig,
  parseServerUrl,
  selectContext,
  serializeKubeconfig,
  withCurrentContext,
  type Kubeconfig,
} from './kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHkey\n-----END PRIVATE KEY-----\n';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

const TWO_CONTEXTS = `
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://10.0.0.5:7400
    certificate-authority: pki/ca.crt
    tls-server-name: cp.lab
    insecure-skip-tls-verify: false
users:
- name: admin
  user:
    client-certificate-data: ${b64(CERT)}
    client-key-data: ${b64(KEY)}
- name: bot
  user:
    token: eyJhbGciOiJFUzI1NiJ9.e30.sig
contexts:
- name: lab-admin
  context: {cluster: lab, user: admin}
- name: lab-bot
  context: {cluster: lab, user: bot, namespace: shop}
current-context: lab-admin
preferences: {}
`;

function invalid(text: string): InvalidError {
  try {
    parseKubeconfig(text, '~/.skiff/config');
  } catch (error) {
    if (error instanceof InvalidError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('parseKubeconfig', () => {
  it('reads clusters, users and contexts, dropping fields Skiff does not use', () => {
    const config = parseKubeconfig(TWO_CONTEXTS, 'lab.yaml');
    expect(config.clusters).toEqual([
      { name: 'lab', cluster: { server: 'https://10.0.0.5:7400', 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'cp.lab' } },
    ]);
    expect(config.users).toEqual([
      { name: 'admin', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } },
      { name: 'bot', user: { token: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' } },
    ]);
    expect(config.contexts).toEqual([
      { name: 'lab-admin', context: { cluster: 'lab', user: 'admin' } },
      { name: 'lab-bot', context: { cluster: 'lab', user: 'bot', namespace: 'shop' } },
    ]);
    expect(config['current-context']).toBe('lab-admin');
  });

  it('takes an empty file, or one with only apiVersion and kind, as an empty Config', () => {
    expect(parseKubeconfig('', 'f')).toEqual(emptyKubeconfig());
    expect(parseKubeconfig('apiVersion: v1\nkind: Config\nclusters: null\n', 'f')).toEqual(emptyKubeconfig());
  });

  it('names the file and the field of every problem, one per line', () => {
    const error = invalid(`
apiVersion: v2
kind: Config
clusters:
- name: a
  cluster: {certificate-authority-data: "!!"}
- name: a
  cluster: {server: 7}
users:
- name: me
  user: {client-key-data: "not base64", token: [1]}
- user: {}
contexts: {}
current-context: 3
`);
    expect(error.message.split('\n')).toEqual([
      '~/.skiff/config: apiVersion: must be v1, not "v2"',
      '~/.skiff/config: clusters[0].cluster.server: is required',
      '~/.skiff/config: clusters[0].cluster.certificate-authority-data: not base64',
      '~/.skiff/config: clusters[1].name: "a" is already the name of clusters[0]',
      '~/.skiff/config: clusters[1].cluster.server: must be a string, not a number',
      '~/.skiff/config: users[0].user.client-key-data: not base64',
      '~/.skiff/config: users[0].user.token: must be a string, not a list',
      '~/.skiff/config: users[1].name: is required',
      '~/.skiff/config: contexts: must be a list of {name, context}',
      '~/.skiff/config: current-context: must be a string, not a number',
    ]);
    expect(error.details).toHaveLength(10);
  });

  it('never repeats the value of a field in an error: it may be a secret', () => {
    const error = invalid('users:\n- name: me\n  user: {token: 8675309, client-key-data: {k: s3cr3t}}\n');
    expect(error.message).toBe('~/.skiff/config: users[0].user.client-key-data: must be a string, not a mapping\n~/.skiff/config: users[0].user.token: must be a string, not a number');
  });

  it('refuses YAML that does not parse, or is not a mapping', () => {
    expect(invalid('users:\n- name: a\n  user:\n    token: s3cr3t\n   bad: 1\n').message).toBe(
      '~/.skiff/config: not valid YAML (line 5, column 1): All mapping items must start at the same column',
    );
    expect(invalid('- a\n- b\n').message).toBe('~/.skiff/config: must be a kubeconfig (a mapping with apiVersion: v1 and kind: Config)');
  });

  it('accepts base64 folded over lines, as Go decodes it', () => {
    const folded = b64(KEY).replace(/(.{20})/g, '$1\n');
    const config = parseKubeconfig(`users:\n- name: a\n  user:\n    client-key-data: |\n${folded.split('\n').map((l) => `      ${l}`).join('\n')}\n`, 'f');
    expect(Buffer.from(config.users[0]?.user['client-key-data'] ?? '', 'base64').toString()).toBe(KEY);
  });
});

describe('serializeKubeconfig and adminKubeconfig', () => {
  it('builds one cluster, user and context named skiff, with the PEMs as base64', () => {
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: CA, certPem: CERT, keyPem: KEY });
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'skiff', cluster: { server: 'https://10.0.0.5:7400', 'certificate-authority-data': b64(CA) } }],
      users: [{ name: 'skiff', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
      contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'skiff' } }],
      'current-context': 'skiff',
      preferences: {},
    });
    expect(adminKubeconfig({ server: 'https://[::1]:7400', caPem: CA, certPem: CERT, keyPem: KEY, name: 'home' })['current-context']).toBe('home');
  });

  it('refuses a server that is not https://HOST:PORT', () => {
    expect(() => adminKubeconfig({ server: '10.0.0.5:7400', caPem: CA, certPem: CERT, keyPem: KEY })).toThrow(InvalidError);
  });

  it('writes YAML that parses back to the same Config, keys sorted as kubectl writes them', () => {
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: CA, certPem: CERT, keyPem: KEY });
    const text = serializeKubeconfig(config);
    expect(parseKubeconfig(text, 'f')).toEqual(config);
    expect(text.split('\n').filter((line) => /^[a-z]/.test(line))).toEqual([
      'apiVersion: v1',
      'clusters:',
      'contexts:',
      'current-context: skiff',
      'kind: Config',
      'preferences: {}',
      'users:',
    ]);
  });
});

describe('withCurrentContext', () => {
  it('changes only current-context, keeping comments and fields Skiff does not read', () => {
    const text = `# written by hand\n${TWO_CONTEXTS}`;
    const changed = withCurrentContext(text, 'lab-bot', 'f');
    expect(changed).toMatch(/^# written by hand\n/);
    expect(changed).toContain('    insecure-skip-tls-verify: false\n');
    expect(changed).toContain('\ncurrent-context: lab-bot\n');
    expect(parseKubeconfig(changed, 'f')).toEqual({ ...parseKubeconfig(text, 'f'), 'current-context': 'lab-bot' });
  });

  it('adds current-context to a file that has none, and fills an empty file', () => {
    expect(withCurrentContext('apiVersion: v1\nkind: Config\n', 'x', 'f')).toBe('apiVersion: v1\nkind: Config\ncurrent-context: x\n');
    expect(parseKubeconfig(withCurrentContext('', 'x', 'f'), 'f')).toEqual({ ...emptyKubeconfig(), 'current-context': 'x' });
  });
});

describe('selectContext', () => {
  const config = parseKubeconfig(TWO_CONTEXTS, 'lab.yaml');

  it('gives the current context, or the one named, with its cluster and user', () => {
    expect(selectContext(config, 'lab.yaml')).toMatchObject({ name: 'lab-admin', cluster: { server: 'https://10.0.0.5:7400' }, user: { 'client-key-data': b64(KEY) } });
    expect(selectContext(config, 'lab.yaml', 'lab-bot')).toMatchObject({ name: 'lab-bot', context: { namespace: 'shop' }, user: { token: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' } });
  });

  it('says which contexts there are when the one asked for is missing or none is current', () => {
    expect(() => selectContext(config, 'lab.yaml', 'prod')).toThrow(new NotFoundError('lab.yaml: no context named "prod" (its contexts: lab-admin, lab-bot)'));
    const none: Kubeconfig = { ...config, 'current-context': '' };
    expect(() => selectContext(none, 'lab.yaml')).toThrow(
      'lab.yaml: current-context is not set; choose one with --context NAME or "ctl config use-context NAME" (its contexts: lab-admin, lab-bot)',
    );
    expect(() => selectContext(emptyKubeconfig(), '~/.skiff/config')).toThrow(/\(it has no contexts\)$/);
  });

  it('names a cluster or user the context refers to that is not there', () => {
    const dangling: Kubeconfig = { ...config, contexts: [{ name: 'c', context: { cluster: 'gone', user: 'admin' } }, { name: 'd', context: { cluster: 'lab', user: 'gone' } }] };
    expect(() => selectContext(dangling, 'f', 'c')).toThrow('f: context "c" names cluster "gone", which is not in clusters');
    expect(() => selectContext(dangling, 'f', 'd')).toThrow('f: context "d" names user "gone", which is not in users');
  });
});

describe('parseServerUrl', () => {
  it('splits https://HOST:PORT into what gRPC dials', () => {
    expect(parseServerUrl('https://10.0.0.5:7400', 's')).toEqual({ host: '10.0.0.5', port: 7400, target: '10.0.0.5:7400' });
    expect(parseServerUrl('https://[::1]:7400/', 's')).toEqual({ host: '[::1]', port: 7400, target: '[::1]:7400' });
    expect(parseServerUrl('https://cp.lab:443', 's')).toEqual({ host: 'cp.lab', port: 443, target: 'cp.lab:443' });
  });

  it.each([
    ['10.0.0.5:7400', '"10.0.0.5:7400" is not a URL'],
    ['http://10.0.0.5:7400', 'must use https'],
    ['https://10.0.0.5', 'has no port'],
    ['https://10.0.0.5:7400/api', 'without a path, query or user'],
    ['https://me@10.0.0.5:7400', 'without a path, query or user'],
    ['not a url', 'is not a URL'],
  ])('refuses %s, saying what a server looks like', (text, problem) => {
    expect(() => parseServerUrl(text, 'f: clusters[0].cluster.server')).toThrow(problem);
    expect(() => parseServerUrl(text, 'f: clusters[0].cluster.server')).toThrow(/^f: clusters\[0\]\.cluster\.server: .*https:\/\/HOST:PORT, e\.g\. https:\/\/10\.0\.0\.5:7400/);
  });
});

const KUBECTL = '/usr/bin/kubectl';

describe.skipIf(skipUnlessRoot({ files: [KUBECTL] }))('kubectl reads what Skiff writes, and Skiff reads what kubectl writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kubectl = (file: string, ...args: string[]): string =>
    execFileSync(KUBECTL, ['config', ...args, '--kubeconfig', file], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });

  it('kubectl config view --raw shows the admin kubeconfig unchanged', () => {
    const file = join(dir, 'admin.kubeconfig');
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: CA, certPem: CERT, keyPem: KEY });
    writeFileSync(file, serializeKubeconfig(config), { mode: 0o600 });
    expect(JSON.parse(kubectl(file, 'view', '--raw', '-o', 'json'))).toEqual(config);
    expect(kubectl(file, 'view', '--raw')).toBe(readFileSync(file, 'utf8'));
  });

  it('kubectl reads an HA admin kubeconfig (servers in the skiff.dev/servers extension) and keeps it unchanged', () => {
    const file = join(dir, 'ha.kubeconfig');
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', servers: ['https://10.0.0.6:7400', 'https://10.0.0.7:7400'], caPem: CA, certPem: CERT, keyPem: KEY });
    writeFileSync(file, serializeKubeconfig(config), { mode: 0o600 });
    expect(JSON.parse(kubectl(file, 'view', '--raw', '-o', 'json'))).toEqual(config);
    expect(kubectl(file, 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.server}')).toBe('https://10.0.0.5:7400');
  });

  it('parseKubeconfig reads a file kubectl config set-* wrote', () => {
    const file = join(dir, 'by-kubectl');
    writeFileSync(join(dir, 'ca.crt'), CA);
    writeFileSync(join(dir, 'cert.pem'), CERT);
    writeFileSync(join(dir, 'key.pem'), KEY);
    kubectl(file, 'set-cluster', 'lab', '--server', 'https://10.0.0.5:7400', '--certificate-authority', join(dir, 'ca.crt'), '--embed-certs', '--tls-server-name', 'cp.lab');
    kubectl(file, 'set-credentials', 'me', '--client-certificate', join(dir, 'cert.pem'), '--client-key', join(dir, 'key.pem'), '--embed-certs');
    kubectl(file, 'set-credentials', 'bot', '--token', 'abc.def');
    kubectl(file, 'set-context', 'lab', '--cluster', 'lab', '--user', 'me', '--namespace', 'shop');
    kubectl(file, 'use-context', 'lab');
    const config = parseKubeconfig(readFileSync(file, 'utf8'), file);
    expect(config.clusters).toEqual([{ name: 'lab', cluster: { server: 'https://10.0.0.5:7400', 'certificate-authority-data': b64(CA), 'tls-server-name': 'cp.lab' } }]);
    expect(config.users).toEqual([
      { name: 'bot', user: { token: 'abc.def' } },
      { name: 'me', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } },
    ]);
    expect(selectContext(config, file)).toMatchObject({ name: 'lab', context: { namespace: 'shop' } });
  });
});

describe('several servers (HA)', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
  it('writes every server into the skiff.dev/servers extension, reads them back server first, and keeps other extensions', () => {
    const config = adminKubeconfig({ server: 'https://127.0.0.11:7400', servers: ['https://127.0.0.11:7400', 'https://127.0.0.12:7400'], caPem: pem, certPem: pem, keyPem: pem });
    const text = serializeKubeconfig(config);
    const parsed = parseKubeconfig(text, 'admin.kubeconfig');
    expect(clusterServers(parsed.clusters[0]!.cluster)).toEqual(['https://127.0.0.11:7400', 'https://127.0.0.12:7400']);
    const cluster = config.clusters[0]!;
    const withOther: Kubeconfig = { ...config, clusters: [{ ...cluster, cluster: { ...cluster.cluster, extensions: [{ name: 'other', extension: { a: 1 } }, ...(cluster.cluster.extensions ?? [])] } }] };
    const other = parseKubeconfig(serializeKubeconfig(withOther), 'x');
    expect(other.clusters[0]!.cluster.extensions?.map((e) => e.name)).toEqual(['other', SERVERS_EXTENSION]);
    const single = adminKubeconfig({ server: 'https://127.0.0.11:7400', caPem: pem, certPem: pem, keyPem: pem });
    expect(single.clusters[0]!.cluster.extensions).toBeUndefined();
    expect(clusterServers(single.clusters[0]!.cluster)).toEqual(['https://127.0.0.11:7400']);
  });

  it('with the REST API, server is its address (kubectl) and the gRPC servers are in the extension (ctl)', () => {
    const config = adminKubeconfig({ server: 'https://127.0.0.11:7400', restServer: 'https://127.0.0.11:6443', caPem: pem, certPem: pem, keyPem: pem });
    const cluster = parseKubeconfig(serializeKubeconfig(config), 'admin.kubeconfig').clusters[0]!.cluster;
    expect(cluster.server).toBe('https://127.0.0.11:6443');
    expect(clusterServers(cluster)).toEqual(['https://127.0.0.11:7400']);
    expect(() => adminKubeconfig({ server: 'https://127.0.0.11:7400', restServer: '127.0.0.11:6443', caPem: pem, certPem: pem, keyPem: pem })).toThrow(/REST server/);
  });

  it('refuses a malformed servers extension, naming where', () => {
    const bad = 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://a:1\n    extensions:\n    - name: skiff.dev/servers\n      extension: {servers: 3}\n';
    expect(() => parseKubeconfig(bad, 'f')).toThrow('f: clusters[0].cluster.extensions: skiff.dev/servers must be {servers: [https://HOST:PORT, …]}');
  });
});
