// The node's credentials in its state dir: the cluster CA it pinned at join,
// its private key and its certificate (identity system:node:<name>).
//
//   <state-dir>/pki/          0700
//   <state-dir>/pki/ca.crt    the cluster CA
//   <state-dir>/pki/node.key  PKCS#8 PEM, 0600
//   <state-dir>/pki/node.crt  the node certificate
//
// Each file is replaced atomically. A renewal changes key and certificate
// together, which no single rename can do: both are staged as *.next first and
// then renamed key first, so a crash leaves either the old pair, or the new key
// beside a staged certificate that loading finishes renaming.
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidError } from '@skiff/api/core';
import { certificateFacts, certificateMatchesKey, isIssuedBy } from '@skiff/api/x509/facts';
import { writeFileAtomic } from '@skiff/api/atomic-file';

export interface NodeCredentials {
  /** The cluster CA (PEM), pinned by the join token's hash. */
  readonly caPem: string;
  /** The node's private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** The node certificate (PEM), signed by the CA. */
  readonly certPem: string;
}

const FILES = { ca: 'ca.crt', key: 'node.key', cert: 'node.crt' } as const;
const STAGED = '.next';

/** The node certificate's user name for `nodeName`. */
export function nodeIdentity(nodeName: string): string {
  return `system:node:${nodeName}`;
}

export function pkiDir(stateDir: string): string {
  return join(stateDir, 'pki');
}

/** Writes the credentials (dir 0700, key 0600). */
export async function saveNodeCredentials(stateDir: string, credentials: NodeCredentials): Promise<void> {
  const dir = pkiDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = (name: string): string => join(dir, name);
  const ca = await readFile(path(FILES.ca), 'utf8').catch(() => undefined);
  if (ca !== credentials.caPem) await writeFileAtomic(path(FILES.ca), credentials.caPem, { mode: 0o644 });
  await writeFileAtomic(path(FILES.key + STAGED), credentials.keyPem, { mode: 0o600 });
  await writeFileAtomic(path(FILES.cert + STAGED), credentials.certPem, { mode: 0o644 });
  await rename(path(FILES.key + STAGED), path(FILES.key));
  await rename(path(FILES.cert + STAGED), path(FILES.cert));
}

/**
 * The credentials saved in `stateDir`, checked to belong together and to
 * `nodeName`; undefined when the node has not joined yet.
 */
export async function loadNodeCredentials(stateDir: string, nodeName: string): Promise<NodeCredentials | undefined> {
  const dir = pkiDir(stateDir);
  const read = (name: string): Promise<string | undefined> =>
    readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  const [caPem, keyPem, current, staged] = await Promise.all([read(FILES.ca), read(FILES.key), read(FILES.cert), read(FILES.cert + STAGED)]);
  let certPem = current;
  if (keyPem !== undefined && staged !== undefined && keyMatches(keyPem, staged) && (current === undefined || !keyMatches(keyPem, current))) {
    // A save stopped between its two renames: finish it.
    await rename(join(dir, FILES.cert + STAGED), join(dir, FILES.cert));
    certPem = staged;
  }
  if (keyPem === undefined && certPem === undefined) return undefined;
  const remedy = `remove ${dir} (skiff-agent --reset does) and join again with --token`;
  const missing = Object.entries({ [FILES.ca]: caPem, [FILES.key]: keyPem, [FILES.cert]: certPem })
    .filter(([, text]) => text === undefined)
    .map(([name]) => name);
  if (caPem === undefined || keyPem === undefined || certPem === undefined) {
    throw new FailedPreconditionError(`${dir} holds only part of this node's credentials (${missing.join(' and ')} missing): ${remedy}`);
  }
  const credentials = { caPem, keyPem, certPem };
  try {
    checkNodeCredentials(credentials, nodeName);
  } catch (error) {
    throw new FailedPreconditionError(`the credentials in ${dir} cannot be used: ${(error as Error).message}; ${remedy}`);
  }
  return credentials;
}

/** Removes the credentials (skiff-agent --reset); the node must join again. */
export async function removeNodeCredentials(stateDir: string): Promise<void> {
  await rm(pkiDir(stateDir), { recursive: true, force: true });
}

/**
 * Throws InvalidError unless the certificate is signed by the CA, belongs to
 * the key, and names node `nodeName`.
 */
export function checkNodeCredentials(credentials: NodeCredentials, nodeName: string): void {
  const { commonName } = certificateFacts(credentials.certPem);
  if (!isIssuedBy(credentials.certPem, credentials.caPem)) {
    throw new InvalidError(`the node certificate was not issued by the cluster CA "${certificateFacts(credentials.caPem).commonName}"`);
  }
  if (!keyMatches(credentials.keyPem, credentials.certPem)) throw new InvalidError('the node key does not belong to the node certificate');
  if (commonName !== nodeIdentity(nodeName)) {
    throw new InvalidError(`the node certificate is for "${commonName}", not "${nodeIdentity(nodeName)}" (is --name right?)`);
  }
}

function keyMatches(keyPem: string, certPem: string): boolean {
  try {
    return certificateMatchesKey(certPem, keyPem);
  } catch {
    return false;
  }
}
