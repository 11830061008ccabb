// The control plane's gRPC serving certificate (pki/server.crt, .key): valid
// for every host it listens on or is reached at, and always for localhost
// and 127.0.0.1; issued again when that list changes or a third of its
// lifetime is left.
import {
  certificateInfo,
  issueCertificate,
  sameAltNames,
  splitAltNames,
  type AltNames,
  type CertificateAuthority,
} from '@skiff/api/x509';
import { ensureLeafFiles } from './leaf-files.js';
import { pkiPaths } from './pki-paths.js';
import { LEAF_LIFETIME_MS, renewalDue, validityFor } from './renewal.js';

export const SERVING_COMMON_NAME = 'skiff-controlplane';
const ALWAYS = ['localhost', '127.0.0.1'];

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** The certificate then the CA's: what a TLS server presents. */
  chainPem: string;
  issued: boolean;
}

/**
 * The SANs a serving certificate for these hosts carries: each host (IP or
 * DNS name, canonical), then localhost and 127.0.0.1. Throws InvalidError
 * for a host that is neither.
 */
export function servingAltNames(sans: readonly string[]): AltNames {
  return splitAltNames([...sans, ...ALWAYS], 'serving certificate host');
}

/** Whether a serving certificate must be issued again at `now` for these hosts. */
export function needsRenewal(certPem: string, now: Date, sans: readonly string[]): boolean {
  return !sameAltNames(certificateInfo(certPem), servingAltNames(sans)) || renewalDue(certPem, now);
}

export async function ensureServingCertificate(dataDir: string, ca: CertificateAuthority, options: { sans: readonly string[]; now?: Date }): Promise<ServingCertificate> {
  const now = options.now ?? new Date();
  const altNames = servingAltNames(options.sans);
  const paths = pkiPaths(dataDir);
  const files = await ensureLeafFiles(ca, {
    certPath: paths.serverCert,
    keyPath: paths.serverKey,
    isCurrent: (certPem) => !needsRenewal(certPem, now, options.sans),
    issue: async (publicKeyPem) =>
      (
        await issueCertificate({
          ca,
          publicKeyPem,
          subject: { commonName: SERVING_COMMON_NAME },
          ...altNames,
          usages: ['server'],
          ...validityFor(now, LEAF_LIFETIME_MS),
        })
      ).certPem,
  });
  return { ...files, chainPem: files.certPem + ca.certPem };
}
