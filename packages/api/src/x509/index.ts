// X.509 for Skiff: ECDSA P-256 keys, CSRs, CA and leaf issuance, reading
// certificates. The only code that touches @peculiar/x509 (see peculiar.ts).
export { generateKeyPair, parsePrivateKey, parsePublicKey, publicKeyPemOf, type KeyPairPem } from './keys.js';
export { canonicalDnsName, canonicalIp, sameAltNames, splitAltNames, type AltNames } from './alt-names.js';
export type { CertificateSubject } from './subject.js';
export { createCsr, verifyCsr, type VerifiedCsr } from './csr.js';
export {
  createSelfSignedCa,
  issueCertificate,
  randomSerialHex,
  type CertificateAuthority,
  type CertificateUsage,
  type IssueCertificateOptions,
  type IssuedCertificate,
} from './issue.js';
export { caCertificateHash, certificateInfo, certificateMatchesKey, isIssuedBy, type CertificateInfo } from './inspect.js';
export { certificateFacts, certificateNamesHost, type CertificateFacts } from './facts.js';
