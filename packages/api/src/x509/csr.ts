// PKCS#10 certificate signing requests: a key holder proves it holds the key
// by signing the request with it. Issuance takes only the public key from a
// request; who the certificate names is the issuer's decision.
import { createPublicKey } from 'node:crypto';
import { InvalidError } from '../errors.js';
import { importKeyPair, parsePublicKey, type KeyPairPem } from './keys.js';
import { ECDSA_SHA256, pemOf, x509 } from './peculiar.js';
import { readSubject, toName, type CertificateSubject } from './subject.js';

/** No honest P-256 request comes near this; bigger input is refused before parsing. */
const CSR_MAX_LENGTH = 16 * 1024;
const CSR_PEM_BEGIN = '-----BEGIN CERTIFICATE REQUEST-----';

/** A CSR (PEM) for the pair's public key, signed with its private key. */
export async function createCsr(keys: KeyPairPem, subject: CertificateSubject): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: toName(subject),
    keys: await importKeyPair(keys),
    signingAlgorithm: ECDSA_SHA256,
  });
  return pemOf(csr);
}

export interface VerifiedCsr {
  /** SPKI PEM of the ECDSA P-256 key the request was signed with. */
  publicKeyPem: string;
  /** What the requester asked to be called; issuance ignores it. */
  requestedSubject: { commonName: string; organizations: string[] };
}

/**
 * Parses a CSR and checks its signature against the key it carries. Throws
 * InvalidError for anything that is not a well-signed ECDSA P-256 request.
 */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  const text = csrPem.trim();
  if (text.length > CSR_MAX_LENGTH) throw new InvalidError(`CSR: ${text.length} bytes is more than the ${CSR_MAX_LENGTH} a request may have`);
  if (!text.startsWith(CSR_PEM_BEGIN)) throw new InvalidError(`CSR: expected PEM starting with ${CSR_PEM_BEGIN}`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(text);
  } catch {
    throw new InvalidError('CSR: the PEM does not hold a valid PKCS#10 request');
  }
  const publicKeyPem = spkiToPem(csr.publicKey.rawData);
  parsePublicKey(publicKeyPem, 'CSR: public key');
  // The library's types name WebCrypto's Algorithm, which Node's lib does not declare.
  const algorithm = csr.signatureAlgorithm as unknown as { name?: string; hash?: { name?: string } };
  if (algorithm.name !== ECDSA_SHA256.name || algorithm.hash?.name !== ECDSA_SHA256.hash) {
    throw new InvalidError(`CSR: signed with ${algorithm.name ?? '?'}/${algorithm.hash?.name ?? '?'}; Skiff accepts only ECDSA with SHA-256`);
  }
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new InvalidError('CSR: the signature does not match the public key in the request; create the request again with the key it names');
  return { publicKeyPem, requestedSubject: readSubject(csr.subjectName) };
}

function spkiToPem(spki: ArrayBuffer): string {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new InvalidError('CSR: the public key in the request cannot be read');
  }
}
