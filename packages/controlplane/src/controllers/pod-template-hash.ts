// The pod-template-hash of a Deployment's template, computed the way
// Kubernetes' controller.ComputeHash does: a 32-bit FNV-1a over the template
// (Kubernetes feeds it a Go deep printer's dump; Skiff feeds canonical JSON
// — keys sorted at every level — so the hash depends on content, not on the
// order fields were written in), then the collision count as 4 little-endian
// bytes, and the decimal digits of the sum mapped onto Kubernetes' "safe"
// alphabet (rand.SafeEncodeString). Stable across processes and restarts,
// which matters because it names ReplicaSets and labels every pod.
import { isDeepStrictEqual } from 'node:util';
import { templateWithoutHash, type PodTemplateSpec } from '@skiff/api';
import { thaw, type Immutable } from '../cache/informer.js';
import { memoizedByFrozen } from '../cache/immutable.js';

// Kubernetes' alphabet for generated names: lowercase alphanumerics without
// vowels (and the look-alikes 0, 1, 3), so random suffixes never spell words.
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a, 32 bits. Hand-written: it is four lines, and npm's FNV packages
 * either pull in bigint machinery for 32 bits or hash strings as UTF-16.
 */
export function fnv1a32(bytes: Uint8Array, seed = FNV_OFFSET_BASIS): number {
  let hash = seed >>> 0;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/** rand.SafeEncodeString: each character of `text` onto SAFE_ALPHABET by its code. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}

/** The pod-template-hash label value of `template` (with `collisionCount` from the Deployment's status). */
export function computeTemplateHash(template: Immutable<PodTemplateSpec>, collisionCount?: number): string {
  let hash = fnv1a32(Buffer.from(canonicalJson(template), 'utf8'));
  if (collisionCount !== undefined) {
    const count = Buffer.alloc(4);
    count.writeUInt32LE(collisionCount >>> 0);
    hash = fnv1a32(count, hash);
  }
  return safeEncode(String(hash));
}

/**
 * Templates without their hash label, by the (deep-frozen, so unchanging)
 * template of a cached object: a Deployment's sync compares its template with
 * every ReplicaSet's, and each comparison copied both templates twice.
 */
const templateWithoutHashOf = memoizedByFrozen((template: Immutable<PodTemplateSpec>): PodTemplateSpec => templateWithoutHash(thaw<PodTemplateSpec>(template)));

/** Kubernetes' EqualIgnoreHash: the same template, whatever pod-template-hash label either carries. */
export function equalIgnoringHash(a: Immutable<PodTemplateSpec>, b: Immutable<PodTemplateSpec>): boolean {
  return isDeepStrictEqual(templateWithoutHashOf(a), templateWithoutHashOf(b));
}
