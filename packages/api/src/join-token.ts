// Join tokens, k3s style: `SKF10<sha256 hex of the CA certificate's DER>::<id>.<secret>`.
// The hash pins the cluster CA, so an agent trusts the server it dials without
// trusting it on first use; id and secret have kubeadm's bootstrap-token shape
// (the id is public and names the stored token, the secret proves it). The
// control plane keeps only a hash of the secret (see hashTokenSecret).
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { InvalidError } from './errors.js';

export interface JoinToken {
  /** Lowercase hex SHA-256 of the CA certificate's DER (see caCertificateHash). */
  caHash: string;
  /** `[a-z0-9]{6}`. */
  id: string;
  /** `[a-z0-9]{16}`. */
  secret: string;
}

const PREFIX = 'SKF10';
const SHAPE = `join token: expected ${PREFIX}<64 hex digits>::<6 characters>.<16 characters>, as printed by skiff-controlplane token create`;
const CA_HASH = /^[0-9a-f]{64}$/;
const TOKEN_ID = /^[a-z0-9]{6}$/;
const TOKEN_SECRET = /^[a-z0-9]{16}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_ID_LENGTH = 6;
const TOKEN_SECRET_LENGTH = 16;

/** The Secret type and name a stored bootstrap token has (in namespace skiff-system). */
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export function bootstrapTokenSecretName(id: string): string {
  return `bootstrap-token-${id}`;
}

export function formatJoinToken(token: JoinToken): string {
  const problem = tokenProblem({ ...token, caHash: token.caHash.toLowerCase() });
  if (problem !== undefined) throw new InvalidError(`${SHAPE}; ${problem}`);
  return `${PREFIX}${token.caHash.toLowerCase()}::${token.id}.${token.secret}`;
}

/**
 * Reads a token (surrounding whitespace ignored, the hash in either case).
 * Errors say what is wrong and never repeat the token.
 */
export function parseJoinToken(text: string): JoinToken {
  const token = text.trim();
  if (!token.startsWith(PREFIX)) throw new InvalidError(`${SHAPE}; it does not start with ${PREFIX}`);
  const separator = token.indexOf('::');
  if (separator < 0) throw new InvalidError(`${SHAPE}; "::" between the CA hash and the credentials is missing`);
  const credentials = token.slice(separator + 2);
  const dot = credentials.indexOf('.');
  if (dot < 0) throw new InvalidError(`${SHAPE}; "." between the token id and the secret is missing`);
  const parsed = { caHash: token.slice(PREFIX.length, separator).toLowerCase(), id: credentials.slice(0, dot), secret: credentials.slice(dot + 1) };
  const problem = tokenProblem(parsed);
  if (problem !== undefined) throw new InvalidError(`${SHAPE}; ${problem}`);
  return parsed;
}

export function generateTokenId(): string {
  return randomText(TOKEN_ID_LENGTH);
}

export function generateTokenSecret(): string {
  return randomText(TOKEN_SECRET_LENGTH);
}

/** What a stored token keeps (`token-secret-sha256`): lowercase hex SHA-256 of the secret. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `secretSha256`, compared in constant time. */
export function tokenSecretMatches(secret: string, secretSha256: string): boolean {
  const expected = Buffer.from(secretSha256.toLowerCase(), 'utf8');
  const actual = Buffer.from(hashTokenSecret(secret), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function tokenProblem(token: JoinToken): string | undefined {
  if (token.caHash.length !== 64) return `the CA hash has ${token.caHash.length} characters, not 64`;
  if (!CA_HASH.test(token.caHash)) return 'the CA hash has characters other than hex digits';
  if (!TOKEN_ID.test(token.id)) return `the token id must be ${TOKEN_ID_LENGTH} characters from a-z and 0-9`;
  if (!TOKEN_SECRET.test(token.secret)) return `the token secret must be ${TOKEN_SECRET_LENGTH} characters from a-z and 0-9`;
  return undefined;
}

function randomText(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
