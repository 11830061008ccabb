// Reading certificates: who they name, for which hosts, for how long, and the
// CA hash a join token pins.
import { InvalidError } from '../errors.js';
import { canonicalIp } from './alt-names.js';
import { nodeCertificate } from './facts.js';
import { x509 } from './peculiar.js';
import { readSubject } from './subject.js';

export interface CertificateInfo {
  /** Lowercase hex without a sign byte: Node's `serialNumber` (and a TLS peer certificate's), lowercased. */
  serialHex: string;
  commonName: string;
  organizations: string[];
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  /** Canonical spelling (see canonicalIp). */
  ipAddresses: string[];
  issuerCommonName: string;
}

/** What a certificate says, from PEM (the first certificate of a chain) or DER (a TLS peer certificate's `raw`). */
export function certificateInfo(certificate: string | Uint8Array): CertificateInfo {
  const parsed = parseCertificate(certificate);
  const altNames = parsed.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  const ipAddresses = altNames.filter((name) => name.type === 'ip').map((name) => canonicalIp(name.value) ?? name.value);
  return {
    serialHex: parsed.serialNumber.toLowerCase(),
    ...readSubject(parsed.subjectName),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    dnsNames: altNames.filter((name) => name.type === 'dns').map((name) => name.value),
    ipAddresses,
    issuerCommonName: readSubject(parsed.issuerName).commonName,
  };
}

function parseCertificate(certificate: string | Uint8Array): x509.X509Certificate {
  try {
    return new x509.X509Certificate(typeof certificate === 'string' ? nodeCertificate(certificate).raw : certificate);
  } catch (error) {
    if (error instanceof InvalidError) throw error;
    throw new InvalidError('certificate: not an X.509 certificate');
  }
}

export { caCertificateHash, certificateMatchesKey, isIssuedBy } from './facts.js';
