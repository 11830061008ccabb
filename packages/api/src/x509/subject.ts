// Certificate subjects: CN is the user name, each O one group (one RDN each),
// written as UTF8String so that no character is ever parsed as DN syntax.
import { InvalidError } from '../errors.js';
import { x509 } from './peculiar.js';

export interface CertificateSubject {
  commonName: string;
  organizations?: readonly string[];
}

/**
 * X.520 bounds CN at 64 characters, but identities in Kubernetes' shape are
 * longer (`system:node:` and a 253-character node name); TLS stacks do not
 * enforce the bound on certificates they read, so this one only stops nonsense.
 */
const NAME_VALUE_MAX_LENGTH = 320;

export function toName(subject: CertificateSubject, what = 'subject'): x509.Name {
  const organizations = subject.organizations ?? [];
  requireValue(subject.commonName, `${what}: common name`);
  organizations.forEach((organization, index) => requireValue(organization, `${what}: organizations[${index}]`));
  return new x509.Name([
    ...organizations.map((organization) => ({ O: [{ utf8String: organization }] })),
    { CN: [{ utf8String: subject.commonName }] },
  ]);
}

export function readSubject(name: x509.Name): { commonName: string; organizations: string[] } {
  return { commonName: name.getField('CN')[0] ?? '', organizations: name.getField('O') };
}

function requireValue(value: string, what: string): void {
  if (value.length === 0 || value.length > NAME_VALUE_MAX_LENGTH) {
    throw new InvalidError(`${what}: must be 1 to ${NAME_VALUE_MAX_LENGTH} characters, got ${value.length}`);
  }
}
