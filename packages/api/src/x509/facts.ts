// What a running agent reads from its own certificates, with Node's
// X509Certificate (OpenSSL) alone: lifetime, serial, common name, whether it
// names a host, the CA pin, key and issuer checks. @peculiar/x509 (with
// tsyringe and reflect-metadata) costs a resident agent about 5 MB it would
// carry for its whole life only to read these (bench:runtime measures agent
// RSS); it is loaded only to make keys and CSRs (joining, renewing).
// certificateInfo (inspect.ts) stays the reader for identities the control
// plane authorizes: it reads names as ASN.1 values, never as DN text.
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidError } from '../errors.js';
import { parsePrivateKey } from './keys.js';

export interface CertificateFacts {
  /** Lowercase hex without a sign byte, as certificateInfo's serialHex. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /**
   * The subject's one CN as OpenSSL prints it: exact for plain values (node
   * identities are `system:node:` and a DNS-1123 name); a value with DN
   * syntax characters reads escaped, so it never equals a plain identity.
   * Empty when there is no CN or more than one.
   */
  commonName: string;
}

/** Lifetime, serial and CN of a certificate: PEM (the first certificate of a chain) or DER. */
export function certificateFacts(certificate: string | Uint8Array): CertificateFacts {
  const parsed = nodeCertificate(certificate);
  const commonNames = parsed.subject.split('\n').filter((line) => line.startsWith('CN='));
  return {
    serialHex: parsed.serialNumber.toLowerCase(),
    notBefore: certificateDate(parsed.validFrom),
    notAfter: certificateDate(parsed.validTo),
    commonName: commonNames.length === 1 ? commonNames[0]!.slice('CN='.length) : '',
  };
}

/** Whether the certificate's subject alternative names hold `host`: an IP address, or a DNS name (no wildcards, never the CN). */
export function certificateNamesHost(certificate: string | Uint8Array, host: string): boolean {
  const parsed = nodeCertificate(certificate);
  if (isIP(host)) return parsed.checkIP(host) !== undefined;
  return parsed.checkHost(host, { subject: 'never', wildcards: false }) !== undefined;
}

/** The join token's CA pin: lowercase hex SHA-256 of the CA certificate's DER. */
export function caCertificateHash(caPem: string): string {
  return createHash('sha256').update(nodeCertificate(caPem, 'CA certificate').raw).digest('hex');
}

/** Whether `keyPem` is the private key of the certificate's public key. */
export function certificateMatchesKey(certPem: string, keyPem: string): boolean {
  return nodeCertificate(certPem).checkPrivateKey(parsePrivateKey(keyPem));
}

/** Whether `caPem` issued the certificate: issuer name matches and the CA's key verifies its signature. */
export function isIssuedBy(certPem: string, caPem: string): boolean {
  const leaf = nodeCertificate(certPem);
  const ca = nodeCertificate(caPem, 'CA certificate');
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}

export function nodeCertificate(certificate: string | Uint8Array, what = 'certificate'): NodeCertificate {
  try {
    return new NodeCertificate(certificate);
  } catch {
    throw new InvalidError(typeof certificate === 'string' ? `${what}: not a PEM X.509 certificate` : `${what}: not an X.509 certificate`);
  }
}

/** OpenSSL's `Mon DD HH:MM:SS YYYY GMT`, which Date reads. */
function certificateDate(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InvalidError(`certificate: unreadable validity date "${text}"`);
  return date;
}
