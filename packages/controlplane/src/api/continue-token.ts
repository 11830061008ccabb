// Kubernetes' continue tokens, in the apiserver's own format (storage's
// continue.go), so a token looks and behaves as kube-apiserver's does:
// unpadded base64url of {"v":"meta.k8s.io/v1","rv":REVISION,"start":KEY},
// where KEY is where the next page starts (the last key read + "\0"),
// relative to the list's key prefix, and REVISION is the store revision every
// page of the list is read at — or -1, "the latest", in the token a 410
// Expired answer offers for going on without the consistent snapshot.
import { CompactedError, InvalidError, isRecord } from '@skiff/api';

const VERSION = 'meta.k8s.io/v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface ContinueToken {
  /** The revision every page is read at; -1: whatever is latest. */
  readonly revision: number;
  /** Where the next page starts, relative to the list's key prefix. */
  readonly start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: VERSION, rv: token.revision, start: token.start })).toString('base64url');
}

/** Throws InvalidError (400 BadRequest) naming what is wrong with the token. */
export function decodeContinue(text: string): ContinueToken {
  const bad = (why: string): InvalidError =>
    new InvalidError(`continue: ${why}; pass the metadata.continue of the previous page unchanged, or start a new list without continue`);
  if (!BASE64URL.test(text)) throw bad('the token is not one this server issued (not unpadded base64url)');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('the token is not one this server issued (it does not decode to JSON)');
  }
  if (!isRecord(value)) throw bad('the token is not one this server issued (it does not decode to a JSON object)');
  if (value['v'] !== VERSION) throw bad(`the token's version ${JSON.stringify(value['v'])} is not ${VERSION}`);
  const revision = value['rv'];
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision === 0) {
    throw bad('the token names no resourceVersion to read at');
  }
  const start = value['start'];
  if (typeof start !== 'string' || start === '') throw bad('the token names no key to start at');
  // As the apiserver: the start must be a clean path, so that appended to the
  // list's prefix it cannot range over anything outside that prefix.
  const key = start.startsWith('/') ? start : `/${start}`;
  if (key !== '/' && key.slice(1).split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw bad(`the token's start key ${JSON.stringify(start)} is not a plain key`);
  }
  return { revision: revision < 0 ? -1 : revision, start: key.slice(1) };
}

/**
 * A continue token whose revision has been compacted away: 410 Expired. As
 * Kubernetes does, the answer carries a token that goes on from the same key
 * at the latest revision, for a client willing to take an inconsistent rest.
 */
export class ContinueExpiredError extends CompactedError {
  constructor(
    readonly continueToken: string,
    compactRevision: number,
  ) {
    super(
      'The continue token is too old: the store no longer holds the revision this list was being read at, so its remaining pages ' +
        'cannot be shown as one consistent snapshot. Start a new list without continue, or pass the continue token of this answer ' +
        'to read the remaining objects as they are now; objects created, changed or deleted since the first page may then appear ' +
        'in an inconsistent list.',
      compactRevision,
    );
  }
}
