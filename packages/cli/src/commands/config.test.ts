// ctl config view | get-contexts | current-context | use-context on real files
// in a temporary home, through the real command tree; where kubectl is
// installed, its output for the same file is the reference.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { buildProgram } from '../program.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: skiff
  cluster:
    server: https://127.0.0.1:7400
    certificate-authority-data: ${b64('-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n')}
- name: lab
  cluster:
    server: https://10.0.0.5:7400
    certificate-authority: pki/ca.crt
    tls-server-name: cp.lab
users:
- name: skiff
  user:
    client-certificate-data: ${b64('cert')}
    client-key-data: ${b64('key')}
- name: ci
  user:
    token: header.payload.signature
contexts:
- name: skiff
  context: {cluster: skiff, user: skiff}
- name: lab-ci
  context: {cluster: lab, user: ci, namespace: shop}
current-context: skiff
`;

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

function home(config?: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-config-verbs-'));
  homes.push(dir);
  mkdirSync(join(dir, '.skiff'));
  const path = join(dir, '.skiff', 'config');
  if (config !== undefined) writeFileSync(path, config, { mode: 0o600 });
  return { dir, path };
}

async function ctl(dir: string, ...args: string[]): Promise<{ stdout: string; stderr: string; error?: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const context = createContext({}, { stdout, stderr, readStdin: async () => '' }, { env: {}, home: dir });
  let error: string | undefined;
  try {
    await buildProgram(context).parseAsync(args, { from: 'user' });
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
  } finally {
    stdout.end();
    stderr.end();
  }
  const printed = { stdout: await text(stdout), stderr: await text(stderr) };
  return error === undefined ? printed : { ...printed, error };
}

describe('ctl config view', () => {
  it('hides certificate and key data and tokens, sorting entries by name as kubectl does', async () => {
    const { dir } = home(KUBECONFIG);
    const { stdout } = await ctl(dir, 'config', 'view');
    expect(stdout).toContain('    certificate-authority-data: DATA+OMITTED\n');
    expect(stdout).toContain('    client-certificate-data: DATA+OMITTED\n    client-key-data: DATA+OMITTED\n');
    expect(stdout).toContain('    token: REDACTED\n');
    expect(stdout).not.toContain('header.payload.signature');
    expect(stdout).not.toContain(b64('key'));
    expect(stdout.indexOf('name: lab\n')).toBeLessThan(stdout.indexOf('name: skiff\n'));
  });

  it('shows everything with --raw, and only the current context with --minify', async () => {
    const { dir } = home(KUBECONFIG);
    expect((await ctl(dir, 'config', 'view', '--raw')).stdout).toContain(`client-key-data: ${b64('key')}\n`);
    const minified = JSON.parse((await ctl(dir, '--context', 'lab-ci', 'config', 'view', '--minify', '--raw', '-o', 'json')).stdout);
    expect(minified).toMatchObject({
      clusters: [{ name: 'lab', cluster: { server: 'https://10.0.0.5:7400', 'tls-server-name': 'cp.lab', 'certificate-authority': 'pki/ca.crt' } }],
      users: [{ name: 'ci', user: { token: 'header.payload.signature' } }],
      contexts: [{ name: 'lab-ci', context: { cluster: 'lab', user: 'ci', namespace: 'shop' } }],
      'current-context': 'lab-ci',
    });
  });

  it('shows an empty Config when there is no file, and refuses an unknown format', async () => {
    const { dir } = home();
    expect((await ctl(dir, 'config', 'view')).stdout).toBe(
      'apiVersion: v1\nclusters: null\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n',
    );
    expect((await ctl(dir, 'config', 'view', '-o', 'xml')).error).toBe('error: --output must be yaml or json, not "xml"');
  });
});

describe('ctl config get-contexts and current-context', () => {
  it('lists the contexts, * marking the current one', async () => {
    const { dir } = home(KUBECONFIG);
    expect((await ctl(dir, 'config', 'get-contexts')).stdout).toBe(
      ['CURRENT   NAME     CLUSTER   AUTHINFO   NAMESPACE', '          lab-ci   lab       ci         shop', '*         skiff    skiff     skiff', ''].join('\n'),
    );
    expect((await ctl(dir, 'config', 'get-contexts', '-o', 'name')).stdout).toBe('lab-ci\nskiff\n');
  });

  it('shows the contexts asked for, and fails for one that is not there', async () => {
    const { dir } = home(KUBECONFIG);
    expect(await ctl(dir, 'config', 'get-contexts', 'skiff', 'prod')).toEqual({
      stdout: 'CURRENT   NAME    CLUSTER   AUTHINFO   NAMESPACE\n*         skiff   skiff     skiff\n',
      stderr: '',
      error: 'error: context prod not found',
    });
  });

  it('prints the current context, or says none is set', async () => {
    expect((await ctl(home(KUBECONFIG).dir, 'config', 'current-context')).stdout).toBe('skiff\n');
    expect((await ctl(home('apiVersion: v1\nkind: Config\n').dir, 'config', 'current-context')).error).toBe('error: current-context is not set');
  });
});

describe('ctl config use-context', () => {
  it('switches the current context in the file, keeping it 0600 and the rest of it as it was', async () => {
    const { dir, path } = home(`# lab credentials\n${KUBECONFIG}`);
    expect((await ctl(dir, 'config', 'use-context', 'lab-ci')).stdout).toBe('Switched to context "lab-ci".\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^# lab credentials\n/);
    expect(text).toMatch(/^current-context: lab-ci$/m);
    expect((await ctl(dir, 'config', 'current-context')).stdout).toBe('lab-ci\n');
  });

  it('refuses a context that is not in the file, changing nothing', async () => {
    const { dir, path } = home(KUBECONFIG);
    expect((await ctl(dir, 'config', 'use-context', 'prod')).error).toBe('error: no context exists with the name: "prod"');
    expect(readFileSync(path, 'utf8')).toBe(KUBECONFIG);
  });
});

const KUBECTL = '/usr/bin/kubectl';

describe.skipIf(skipUnlessRoot({ files: [KUBECTL] }))('ctl config prints what kubectl config prints', () => {
  it.each([['view'], ['view', '--raw'], ['view', '-o', 'json'], ['view', '--minify'], ['get-contexts', '-o', 'name'], ['current-context']])(
    'config %s',
    async (...args) => {
      const { dir, path } = home(KUBECONFIG);
      const expected = execFileSync(KUBECTL, ['config', ...args, '--kubeconfig', path], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });
      expect((await ctl(dir, 'config', ...args)).stdout).toBe(expected);
    },
  );

  it('config get-contexts, but for the blanks kubectl leaves at the ends of lines', async () => {
    const { dir, path } = home(KUBECONFIG);
    const expected = execFileSync(KUBECTL, ['config', 'get-contexts', '--kubeconfig', path], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });
    expect((await ctl(dir, 'config', 'get-contexts')).stdout).toBe(expected.replace(/ +$/gm, ''));
  });
});
