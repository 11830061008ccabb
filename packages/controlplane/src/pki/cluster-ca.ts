// The cluster CA: created on the first start in <data-dir>/pki, loaded and
// checked on every later one. It is the root of every identity in the
// cluster and the hash join tokens pin, so a damaged or half-present pair is
// refused rather than replaced: a new CA would silently cut off every node.
import { X509Certificate } from 'node:crypto';
import { FailedPreconditionError, messageOf } from '@skiff/api';
import { caCertificateHash, certificateInfo, createSelfSignedCa, parsePrivateKey } from '@skiff/api/x509';
import { ensurePrivateDir, readPublicFile, readSecretFile, writePublicFile, writeSecretFile } from './key-files.js';
import { pkiPaths } from './pki-paths.js';
import { CA_LIFETIME_MS, validityFor } from './renewal.js';

export interface ClusterCa {
  certPem: string;
  keyPem: string;
  /** Lowercase hex SHA-256 of the CA certificate's DER: what join tokens pin. */
  hash: string;
}

const START_AGAIN = 'restore both files from a backup; or, to start a new cluster identity (every node must then join again), remove both';

/** Loads `pki/ca.crt` and `pki/ca.key`, or creates them (a 10-year CA) when neither exists. */
export async function loadOrCreateClusterCa(dataDir: string, options: { now?: Date } = {}): Promise<ClusterCa> {
  const now = options.now ?? new Date();
  const paths = pkiPaths(dataDir);
  await ensurePrivateDir(paths.dir);
  const [certPem, keyPem] = [await readPublicFile(paths.caCert), await readSecretFile(paths.caKey)];
  if (certPem === undefined && keyPem === undefined) {
    const { notBefore, notAfter } = validityFor(now, CA_LIFETIME_MS);
    const created = await createSelfSignedCa({ subject: { commonName: `skiff-ca@${Math.floor(now.getTime() / 1000)}` }, notBefore, notAfter });
    // Key first: a crash in between leaves a key without a certificate, which the next start refuses loudly.
    await writeSecretFile(paths.caKey, created.keyPem);
    await writePublicFile(paths.caCert, created.certPem);
    return { ...created, hash: caCertificateHash(created.certPem) };
  }
  if (certPem === undefined || keyPem === undefined) {
    const [present, missing] = certPem === undefined ? [paths.caKey, paths.caCert] : [paths.caCert, paths.caKey];
    throw new FailedPreconditionError(`cluster CA: ${present} exists but ${missing} does not; ${START_AGAIN}`);
  }
  checkPair(certPem, keyPem, paths.caCert, paths.caKey, now);
  return { certPem, keyPem, hash: caCertificateHash(certPem) };
}

function checkPair(certPem: string, keyPem: string, certPath: string, keyPath: string, now: Date): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new FailedPreconditionError(`cluster CA: ${certPath} is not a PEM certificate; ${START_AGAIN}`);
  }
  if (!cert.ca) throw new FailedPreconditionError(`cluster CA: ${certPath} is not a CA certificate; ${START_AGAIN}`);
  let key;
  try {
    key = parsePrivateKey(keyPem, keyPath);
  } catch (error) {
    throw new FailedPreconditionError(`cluster CA: ${messageOf(error)}; ${START_AGAIN}`);
  }
  if (!cert.checkPrivateKey(key)) throw new FailedPreconditionError(`cluster CA: ${keyPath} is not the key of ${certPath}; ${START_AGAIN}`);
  const { notAfter } = certificateInfo(certPem);
  if (notAfter.getTime() <= now.getTime()) {
    throw new FailedPreconditionError(
      `cluster CA: ${certPath} expired on ${notAfter.toISOString()}, and with it every certificate it signed; remove ${certPath} and ${keyPath} to create a new CA (every node must then join again)`,
    );
  }
}
