// Certificates signed by a CA: the self-signed CA itself, and leaves for a
// public key (given, or taken from a verified CSR) with exactly the identity,
// names, usages and lifetime the caller decides.
import { X509Certificate as NodeCertificate, randomBytes } from 'node:crypto';
import { InvalidError } from '../errors.js';
import { canonicalDnsName, canonicalIp } from './alt-names.js';
import { verifyCsr } from './csr.js';
import { generateKeyPair, importKeyPair, importSigningKey, parsePrivateKey, parsePublicKey, spkiDer } from './keys.js';
import { ECDSA_SHA256, pemOf, x509 } from './peculiar.js';
import { toName, type CertificateSubject } from './subject.js';

/** A CA as PEM text: its certificate and its PKCS#8 private key. */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

/** What a leaf may be used for: TLS client authentication, TLS server authentication. */
export type CertificateUsage = 'client' | 'server';

export interface IssuedCertificate {
  certPem: string;
  /** Lowercase hex, as Node's `X509Certificate.serialNumber` spells it (lowercased). */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

interface IssueOptionsBase {
  ca: CertificateAuthority;
  subject: CertificateSubject;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usages: readonly CertificateUsage[];
  /** Default: now. */
  notBefore?: Date;
  /** Clamped to the CA's own notAfter: a leaf cannot outlive the CA that vouches for it. */
  notAfter: Date;
  /** Hex; default `randomSerialHex()`. */
  serialNumber?: string;
}

/** Issue for a public key (SPKI PEM), or for the key of a CSR whose signature is verified first. */
export type IssueCertificateOptions = IssueOptionsBase & ({ publicKeyPem: string; csrPem?: never } | { csrPem: string; publicKeyPem?: never });

const SERIAL_BYTES = 16;
/** RFC 5280 §4.1.2.2: at most 20 octets. */
const SERIAL_MAX_HEX_DIGITS = 40;
const EKU: Record<CertificateUsage, string> = {
  client: x509.ExtendedKeyUsage.clientAuth,
  server: x509.ExtendedKeyUsage.serverAuth,
};

/** A random positive 128-bit serial number, as lowercase hex without leading zero bytes. */
export function randomSerialHex(): string {
  for (;;) {
    const hex = randomBytes(SERIAL_BYTES).toString('hex').replace(/^(00)+/, '');
    if (hex !== '') return hex;
  }
}

/** A new self-signed CA (key generated here) that may sign leaves but no further CAs. */
export async function createSelfSignedCa(options: {
  subject: CertificateSubject;
  notBefore?: Date;
  notAfter: Date;
  serialNumber?: string;
}): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const pair = await importKeyPair(keys);
  const notBefore = options.notBefore ?? new Date();
  requireValidity(notBefore, options.notAfter);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialOf(options.serialNumber),
    name: toName(options.subject, 'CA subject'),
    notBefore,
    notAfter: options.notAfter,
    keys: pair,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(pair.publicKey),
    ],
  });
  return { certPem: pemOf(certificate), keyPem: keys.privateKeyPem };
}

/** A leaf certificate signed by `ca`. Throws InvalidError for a bad CA, key, CSR, name or lifetime. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const publicKeyPem = options.csrPem !== undefined ? (await verifyCsr(options.csrPem)).publicKeyPem : options.publicKeyPem;
  const publicKey = parsePublicKey(publicKeyPem, 'certificate public key');
  const { caCertificate, signingKey } = await openCa(options.ca);
  if (options.usages.length === 0) throw new InvalidError('certificate usages: give at least one of client, server');
  const notBefore = options.notBefore ?? new Date();
  const notAfter = new Date(Math.min(options.notAfter.getTime(), caCertificate.notAfter.getTime()));
  requireValidity(notBefore, notAfter);
  const dnsNames = (options.dnsNames ?? []).map((name) => canonicalDnsName(name) ?? refuse('DNS name', name));
  const ipAddresses = (options.ipAddresses ?? []).map((ip) => canonicalIp(ip) ?? refuse('IP address', ip));
  const altNames = [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ipAddresses.map((value) => ({ type: 'ip' as const, value }))];
  const spki = spkiDer(publicKey);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialOf(options.serialNumber),
    subject: toName(options.subject),
    issuer: caCertificate.subjectName,
    notBefore,
    notAfter,
    publicKey: spki,
    signingKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([...new Set(options.usages)].map((usage) => EKU[usage])),
      ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : []),
      await x509.SubjectKeyIdentifierExtension.create(spki),
      await authorityKeyIdentifier(caCertificate),
    ],
  });
  return { certPem: pemOf(certificate), serialHex: certificate.serialNumber.toLowerCase(), notBefore: certificate.notBefore, notAfter: certificate.notAfter };
}

async function openCa(ca: CertificateAuthority): Promise<{ caCertificate: x509.X509Certificate; signingKey: Awaited<ReturnType<typeof importSigningKey>> }> {
  let node: NodeCertificate;
  try {
    node = new NodeCertificate(ca.certPem);
  } catch {
    throw new InvalidError('CA certificate: not a PEM X.509 certificate');
  }
  if (!node.ca) throw new InvalidError(`CA certificate "${node.subject}": not a CA (basicConstraints CA:FALSE)`);
  const key = parsePrivateKey(ca.keyPem, 'CA private key');
  if (!node.checkPrivateKey(key)) throw new InvalidError('CA private key: does not belong to the CA certificate');
  return { caCertificate: new x509.X509Certificate(node.raw), signingKey: await importSigningKey(key) };
}

/** The AKI names the CA's own SKI when it has one, so that chain builders match them exactly. */
async function authorityKeyIdentifier(caCertificate: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = caCertificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey);
}

function serialOf(serialNumber: string | undefined): string {
  if (serialNumber === undefined) return randomSerialHex();
  const digits = serialNumber.toLowerCase().replace(/^0+/, '');
  if (!/^[0-9a-f]+$/i.test(serialNumber) || digits === '' || digits.length > SERIAL_MAX_HEX_DIGITS) {
    throw new InvalidError(`serial number: expected 1 to ${SERIAL_MAX_HEX_DIGITS} hex digits, not all zero`);
  }
  return digits.length % 2 === 0 ? digits : `0${digits}`;
}

function requireValidity(notBefore: Date, notAfter: Date): void {
  if (!(notAfter.getTime() > notBefore.getTime())) {
    throw new InvalidError(`certificate lifetime: notAfter ${notAfter.toISOString()} is not after notBefore ${notBefore.toISOString()}`);
  }
}

function refuse(what: string, value: string): never {
  throw new InvalidError(`certificate ${what} ${JSON.stringify(value.slice(0, 80))}: not valid`);
}
