// A leaf certificate the control plane keeps for itself in <data-dir>/pki
// (its serving certificate, its client identity): reused while it is sound,
// current and from the cluster CA; otherwise issued again with a fresh key.
// Unlike the CA, a leaf is always derivable, so anything wrong with the files
// is repaired rather than refused.
import { certificateMatchesKey, generateKeyPair, isIssuedBy, type CertificateAuthority } from '@skiff/api/x509';
import { readPublicFile, readSecretFile, writePublicFile, writeSecretFile } from './key-files.js';

export interface LeafFiles {
  certPem: string;
  keyPem: string;
  /** True when the files were (re)written by this call. */
  issued: boolean;
}

export interface LeafPolicy {
  certPath: string;
  keyPath: string;
  /** Whether a sound certificate from the CA still fits (names, remaining lifetime). */
  isCurrent(certPem: string): boolean;
  /** A new certificate (PEM) for this public key. */
  issue(publicKeyPem: string): Promise<string>;
}

export async function ensureLeafFiles(ca: CertificateAuthority, policy: LeafPolicy): Promise<LeafFiles> {
  const [certPem, keyPem] = [await readPublicFile(policy.certPath), await readSecretFile(policy.keyPath)];
  if (certPem !== undefined && keyPem !== undefined && isSound(certPem, keyPem, ca) && policy.isCurrent(certPem)) {
    return { certPem, keyPem, issued: false };
  }
  const keys = await generateKeyPair();
  const issuedPem = await policy.issue(keys.publicKeyPem);
  // Key first: a crash in between leaves a new key beside the old certificate, a mismatch the next start repairs.
  await writeSecretFile(policy.keyPath, keys.privateKeyPem);
  await writePublicFile(policy.certPath, issuedPem);
  return { certPem: issuedPem, keyPem: keys.privateKeyPem, issued: true };
}

function isSound(certPem: string, keyPem: string, ca: CertificateAuthority): boolean {
  try {
    return certificateMatchesKey(certPem, keyPem) && isIssuedBy(certPem, ca.certPem);
  } catch {
    return false;
  }
}
