import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKubeconfig, serializeKubeconfig } from '@skiff/api';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../errors.js';
import { locateKubeconfig, readKubeconfig, requireConfig, writeCurrentContext } from './kubeconfig-file.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-home-'));
  homes.push(dir);
  mkdirSync(join(dir, '.skiff'));
  return dir;
}

describe('locateKubeconfig', () => {
  it('takes --kubeconfig, else SKIFF_CONFIG, else the first file of KUBECONFIG, else ~/.skiff/config', () => {
    const dir = home();
    const env = { SKIFF_CONFIG: '/etc/skiff/a', KUBECONFIG: ':/etc/skiff/b:/etc/skiff/c' };
    expect(locateKubeconfig('/tmp/flag', { env, home: dir })).toEqual({ path: '/tmp/flag', display: '/tmp/flag', from: '--kubeconfig' });
    expect(locateKubeconfig(undefined, { env, home: dir })).toEqual({ path: '/etc/skiff/a', display: '/etc/skiff/a', from: 'SKIFF_CONFIG' });
    expect(locateKubeconfig(undefined, { env: { KUBECONFIG: env.KUBECONFIG }, home: dir })).toEqual({ path: '/etc/skiff/b', display: '/etc/skiff/b', from: 'KUBECONFIG' });
    expect(locateKubeconfig(undefined, { env: { SKIFF_CONFIG: '', KUBECONFIG: '' }, home: dir })).toEqual({
      path: join(dir, '.skiff', 'config'),
      display: '~/.skiff/config',
      from: 'default',
    });
  });

  it('names files under the home directory with ~', () => {
    const dir = home();
    expect(locateKubeconfig(join(dir, 'lab.yaml'), { env: {}, home: dir }).display).toBe('~/lab.yaml');
    expect(locateKubeconfig(`${dir}-other/x`, { env: {}, home: dir }).display).toBe(`${dir}-other/x`);
  });
});

describe('readKubeconfig', () => {
  it('reads and parses the file, remembering its directory for relative paths', () => {
    const dir = home();
    const path = join(dir, '.skiff', 'config');
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: PEM, certPem: PEM, keyPem: PEM });
    writeFileSync(path, serializeKubeconfig(config));
    const file = readKubeconfig(locateKubeconfig(undefined, { env: {}, home: dir }));
    expect(file.config).toEqual(config);
    expect(file.dir).toBe(join(dir, '.skiff'));
  });

  it('treats an absent file as no config, and says where it looked and what to do when one is needed', () => {
    const dir = home();
    const absent = readKubeconfig(locateKubeconfig(undefined, { env: {}, home: dir }));
    expect(absent.config).toBeUndefined();
    expect(() => requireConfig(absent)).toThrow(
      new CliError(
        'error: no kubeconfig at ~/.skiff/config. Copy the admin.kubeconfig the control plane wrote in its data dir ' +
          '(default /var/lib/skiff/controlplane) to ~/.skiff/config, or name one with --kubeconfig FILE, SKIFF_CONFIG or KUBECONFIG',
      ),
    );
    const named = readKubeconfig(locateKubeconfig(undefined, { env: { KUBECONFIG: '/nowhere/config' }, home: dir }));
    expect(() => requireConfig(named)).toThrow(/^error: no kubeconfig at \/nowhere\/config \(from KUBECONFIG\)\. /);
  });

  it('fails with the field-path errors of a bad file, as a ctl error', () => {
    const dir = home();
    writeFileSync(join(dir, '.skiff', 'config'), 'users:\n- name: me\n  user: {client-key-data: "%%"}\n');
    expect(() => readKubeconfig(locateKubeconfig(undefined, { env: {}, home: dir }))).toThrow(
      new CliError('error: ~/.skiff/config: users[0].user.client-key-data: not base64'),
    );
  });
});

describe('writeCurrentContext', () => {
  it('rewrites current-context in place, keeping the file 0600', () => {
    const dir = home();
    const path = join(dir, '.skiff', 'config');
    const config = adminKubeconfig({ server: 'https://10.0.0.5:7400', caPem: PEM, certPem: PEM, keyPem: PEM });
    writeFileSync(path, serializeKubeconfig({ ...config, contexts: [...config.contexts, { name: 'other', context: { cluster: 'skiff', user: 'skiff' } }] }), { mode: 0o600 });
    writeCurrentContext(readKubeconfig(locateKubeconfig(undefined, { env: {}, home: dir })), 'other');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^current-context: other$/m);
  });
});
