import { chmod, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidError } from '@skiff/api';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkNodeCredentials, loadNodeCredentials, removeNodeCredentials, saveNodeCredentials, type NodeCredentials } from './node-credentials.js';
import { createTestPki, type TestPki } from './test-pki.js';

let pki: TestPki;
let stateDir: string;

async function nodeCredentials(name = 'node-a', from: TestPki = pki): Promise<NodeCredentials> {
  const { certPem, keyPem } = await from.client(`system:node:${name}`, { organizations: ['system:nodes'] });
  return { caPem: from.ca.certPem, certPem, keyPem };
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

beforeAll(async () => {
  pki = await createTestPki();
});
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'skiff-node-credentials-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('saveNodeCredentials and loadNodeCredentials', () => {
  it('keep ca.crt, node.key (0600) and node.crt in pki/ (0700), and read them back', async () => {
    expect(await loadNodeCredentials(stateDir, 'node-a')).toBeUndefined();
    const credentials = await nodeCredentials();
    await saveNodeCredentials(stateDir, credentials);
    const dir = join(stateDir, 'pki');
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'node.key'))).toBe(0o600);
    expect(await mode(join(dir, 'node.crt'))).toBe(0o644);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(pki.ca.certPem);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(credentials);
  });

  it('replace the pair on renewal, and tighten a pki dir that was too open', async () => {
    await saveNodeCredentials(stateDir, await nodeCredentials());
    await chmod(join(stateDir, 'pki'), 0o755);
    const renewed = await nodeCredentials();
    await saveNodeCredentials(stateDir, renewed);
    expect(await mode(join(stateDir, 'pki'))).toBe(0o700);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(renewed);
  });

  it('finish a renewal that stopped between renaming the key and the certificate', async () => {
    await saveNodeCredentials(stateDir, await nodeCredentials());
    const renewed = await nodeCredentials();
    const dir = join(stateDir, 'pki');
    // What save leaves after its first rename: the new key, the old certificate, the new one staged.
    await writeFile(join(dir, 'node.key'), renewed.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'node.crt.next'), renewed.certPem);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(renewed);
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
  });

  it('keep the old pair when a renewal stopped before its renames', async () => {
    const old = await nodeCredentials();
    await saveNodeCredentials(stateDir, old);
    const renewed = await nodeCredentials();
    await writeFile(join(stateDir, 'pki', 'node.key.next'), renewed.keyPem, { mode: 0o600 });
    await writeFile(join(stateDir, 'pki', 'node.crt.next'), renewed.certPem);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toEqual(old);
  });

  it('refuse part of a set, a key of another certificate, another node and another CA, saying how to recover', async () => {
    const dir = join(stateDir, 'pki');
    await saveNodeCredentials(stateDir, await nodeCredentials());
    await rename(join(dir, 'node.crt'), join(dir, 'elsewhere'));
    const partial = loadNodeCredentials(stateDir, 'node-a');
    await expect(partial).rejects.toThrow(FailedPreconditionError);
    await expect(partial).rejects.toThrow(`${dir} holds only part of this node's credentials (node.crt missing): remove ${dir} (skiff-agent --reset does) and join again with --token`);

    await saveNodeCredentials(stateDir, await nodeCredentials());
    await writeFile(join(dir, 'node.key'), (await nodeCredentials()).keyPem);
    await expect(loadNodeCredentials(stateDir, 'node-a')).rejects.toThrow('the node key does not belong to the node certificate');

    await saveNodeCredentials(stateDir, await nodeCredentials());
    await expect(loadNodeCredentials(stateDir, 'node-b')).rejects.toThrow('the node certificate is for "system:node:node-a", not "system:node:node-b" (is --name right?)');

    const other = await createTestPki('other-ca');
    await saveNodeCredentials(stateDir, { ...(await nodeCredentials('node-a', other)), caPem: pki.ca.certPem });
    await expect(loadNodeCredentials(stateDir, 'node-a')).rejects.toThrow('the node certificate was not issued by the cluster CA "skiff-test-ca"');
  });

  it('are gone after removeNodeCredentials', async () => {
    await saveNodeCredentials(stateDir, await nodeCredentials());
    await removeNodeCredentials(stateDir);
    expect(await loadNodeCredentials(stateDir, 'node-a')).toBeUndefined();
    await removeNodeCredentials(stateDir);
  });
});

describe('checkNodeCredentials', () => {
  it('accepts a matching set and throws InvalidError otherwise', async () => {
    const credentials = await nodeCredentials();
    expect(() => checkNodeCredentials(credentials, 'node-a')).not.toThrow();
    expect(() => checkNodeCredentials({ ...credentials, certPem: 'junk' }, 'node-a')).toThrow(InvalidError);
  });
});
