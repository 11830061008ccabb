// A manifest arrives as JSON text. Before JSON.parse sees it, one linear scan
// refuses what would hurt the server rather than the request: nesting deep
// enough to build millions of arrays, and unpaired UTF-16 surrogates, which
// would reach error messages that grpc-js cannot put in a header.
import { InvalidError, MAX_NESTING_DEPTH } from '@skiff/api';

/** The parsed manifest, or InvalidError saying what is wrong with the text. */
export function parseManifestJson(text: string): unknown {
  // Before parsing: a 4 MiB request of "[[[[…" would otherwise become millions
  // of nested arrays, and a lone surrogate would end up in error messages,
  // which grpc-js cannot put in a header (its encodeURI throws, outside any handler).
  const problem = plainlySafe(text) ? undefined : scanJsonText(text);
  if (problem) throw new InvalidError(`manifest_json: ${problem}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse's own message quotes the text around the fault, which may be a
    // Secret's value: say only where it is.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? '' : ` at offset ${position}`;
    throw new InvalidError(`manifest_json: not valid JSON${where}; send the object as JSON text`);
  }
}

/** A UTF-16 surrogate, raw or as a JSON escape (\\uD800–\\uDFFF), anywhere in the text (non-unicode mode: per code unit). */
const MAY_HOLD_SURROGATE = /[\ud800-\udfff]|\\u[dD][89a-fA-F]/;

/**
 * True when the text cannot hold what scanJsonText looks for: no surrogate at
 * all, and at most MAX_NESTING_DEPTH brackets opened in all (inside strings
 * too), so no nesting can be deeper. Both are native searches; the
 * character-by-character scan runs only when one of them finds something, and
 * a manifest almost never has either.
 */
function plainlySafe(text: string): boolean {
  if (MAY_HOLD_SURROGATE.test(text)) return false;
  let opened = 0;
  for (const bracket of ['{', '[']) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) {
      if (++opened > MAX_NESTING_DEPTH) return false;
    }
  }
  return true;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * One linear pass over JSON text: too deep a nesting of mappings and lists, or
 * an unpaired UTF-16 surrogate (raw, or escaped as \\uD800) in a string. Says
 * what is wrong, or undefined. Malformed JSON is left for JSON.parse to describe.
 */
function scanJsonText(text: string): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    let unit = text.charCodeAt(i);
    let width = 1;
    if (inString && unit === BACKSLASH) {
      if (text.charCodeAt(i + 1) !== 0x75 /* u */) {
        i++; // \", \\, \n…: one escaped character
        continue;
      }
      unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
      if (Number.isNaN(unit)) continue; // JSON.parse reports the bad escape
      width = 6;
    } else if (inString && unit === QUOTE) {
      inString = false;
      continue;
    } else if (!inString) {
      if (unit === QUOTE) inString = true;
      else if (unit === 0x5b || unit === 0x7b) {
        if (++depth > MAX_NESTING_DEPTH) {
          return `nested more than ${MAX_NESTING_DEPTH} levels deep (mappings and lists, at offset ${i}); no Skiff object is anywhere near that deep`;
        }
      } else if (unit === 0x5d || unit === 0x7d) depth--;
      continue;
    }
    if (isLowSurrogate(unit)) return `a string holds an unpaired UTF-16 surrogate (at offset ${i}); text must be valid Unicode`;
    if (isHighSurrogate(unit)) {
      const after = i + width;
      const next =
        text.charCodeAt(after) === BACKSLASH && text.charCodeAt(after + 1) === 0x75
          ? Number.parseInt(text.slice(after + 2, after + 6), 16)
          : text.charCodeAt(after);
      if (!isLowSurrogate(next)) return `a string holds an unpaired UTF-16 surrogate (at offset ${i}); text must be valid Unicode`;
      // The low half is checked again (and skipped) on the next turns; step over it here.
      i = after + (text.charCodeAt(after) === BACKSLASH ? 6 : 1) - 1;
      continue;
    }
    i += width - 1;
  }
  return undefined;
}
