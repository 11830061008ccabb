import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import {
  bootstrapTokenSecretName,
  formatJoinToken,
  generateTokenId,
  generateTokenSecret,
  hashTokenSecret,
  parseJoinToken,
  tokenSecretMatches,
} from './join-token.js';

const CA_HASH = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const SHAPE = 'join token: expected SKF10<64 hex digits>::<6 characters>.<16 characters>, as printed by skiff-controlplane token create';

describe('formatJoinToken and parseJoinToken', () => {
  it('round-trip', () => {
    const token = { caHash: CA_HASH, id: 'abc123', secret: '0123456789abcdef' };
    const text = formatJoinToken(token);
    expect(text).toBe(`SKF10${CA_HASH}::abc123.0123456789abcdef`);
    expect(parseJoinToken(text)).toEqual(token);
  });

  it('ignore surrounding whitespace and the case of the hash', () => {
    expect(parseJoinToken(`  SKF10${CA_HASH.toUpperCase()}::abc123.0123456789abcdef\n`)).toEqual({ caHash: CA_HASH, id: 'abc123', secret: '0123456789abcdef' });
  });

  it('say exactly what is wrong, and never repeat the secret', () => {
    const secret = 'zzzzsecretzzzzzz';
    const cases: [string, string][] = [
      ['', 'it does not start with SKF10'],
      [`K10${CA_HASH}::abc123.${secret}`, 'it does not start with SKF10'],
      [`SKF10${CA_HASH}abc123.${secret}`, '"::" between the CA hash and the credentials is missing'],
      [`SKF10${CA_HASH}::abc123${secret}`, '"." between the token id and the secret is missing'],
      [`SKF10${CA_HASH.slice(1)}::abc123.${secret}`, 'the CA hash has 63 characters, not 64'],
      [`SKF10${CA_HASH.slice(1)}g::abc123.${secret}`, 'the CA hash has characters other than hex digits'],
      [`SKF10${CA_HASH}::ABC123.${secret}`, 'the token id must be 6 characters from a-z and 0-9'],
      [`SKF10${CA_HASH}::abc12.${secret}`, 'the token id must be 6 characters from a-z and 0-9'],
      [`SKF10${CA_HASH}::abc123.${secret}x`, 'the token secret must be 16 characters from a-z and 0-9'],
      [`SKF10${CA_HASH}::abc123.zzzzsecret-zzzzz`, 'the token secret must be 16 characters from a-z and 0-9'],
    ];
    for (const [text, problem] of cases) {
      let caught: unknown;
      try {
        parseJoinToken(text);
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(InvalidError);
      expect((caught as Error).message).toBe(`${SHAPE}; ${problem}`);
      expect((caught as Error).message).not.toContain('zzzz');
    }
  });

  it('formatJoinToken refuses parts of the wrong shape', () => {
    expect(() => formatJoinToken({ caHash: 'abc', id: 'abc123', secret: '0123456789abcdef' })).toThrow(`${SHAPE}; the CA hash has 3 characters, not 64`);
    expect(() => formatJoinToken({ caHash: CA_HASH, id: 'abc123', secret: 'short' })).toThrow(InvalidError);
  });
});

describe('generated ids and secrets', () => {
  it('have the bootstrap-token shape and do not repeat', () => {
    const ids = Array.from({ length: 200 }, generateTokenId);
    const secrets = Array.from({ length: 200 }, generateTokenSecret);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]{6}$/);
    for (const secret of secrets) expect(secret).toMatch(/^[a-z0-9]{16}$/);
    expect(new Set(secrets).size).toBe(200);
    expect(new Set(ids).size).toBeGreaterThan(195);
    // Every character of the alphabet turns up: the draw is not stuck on a subset.
    expect(new Set(secrets.join('')).size).toBe(36);
    expect(parseJoinToken(formatJoinToken({ caHash: CA_HASH, id: ids[0] ?? '', secret: secrets[0] ?? '' })).secret).toBe(secrets[0]);
  });
});

describe('stored token secrets', () => {
  it('are the hex SHA-256 of the secret, compared in constant time', () => {
    expect(hashTokenSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashTokenSecret('0123456789abcdef')).toBe(createHash('sha256').update('0123456789abcdef').digest('hex'));
    expect(tokenSecretMatches('0123456789abcdef', hashTokenSecret('0123456789abcdef'))).toBe(true);
    expect(tokenSecretMatches('0123456789abcdef', hashTokenSecret('0123456789abcdef').toUpperCase())).toBe(true);
    expect(tokenSecretMatches('0123456789abcdeg', hashTokenSecret('0123456789abcdef'))).toBe(false);
    expect(tokenSecretMatches('0123456789abcdef', 'short')).toBe(false);
  });

  it('live in Secrets named after the token id', () => {
    expect(bootstrapTokenSecretName('abc123')).toBe('bootstrap-token-abc123');
  });
});
