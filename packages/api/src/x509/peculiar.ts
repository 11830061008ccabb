// The one door to @peculiar/x509. The library resolves its algorithms through
// tsyringe, which needs the Reflect metadata polyfill loaded before it, and it
// signs with whatever WebCrypto it is given: Node's own. Every other file of
// this folder takes the library from here, so the order always holds.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export { ECDSA_P256, ECDSA_SHA256 } from './algorithms.js';

/** The library's PEM output without a final newline would run into whatever is appended (a chain). */
export function pemOf(data: { toString(format: 'pem'): string }): string {
  const pem = data.toString('pem');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
