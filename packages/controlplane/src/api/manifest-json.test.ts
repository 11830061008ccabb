import { MAX_NESTING_DEPTH } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { parseManifestJson } from './manifest-json.js';

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseManifestJson', () => {
  it('parses an ordinary manifest', () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { x: 'é' } }, data: { k: '[{' } });
    expect(parseManifestJson(text)).toEqual(JSON.parse(text));
  });

  it('accepts nesting up to the limit and refuses one level more, however many brackets the text holds', () => {
    expect(parseManifestJson(nested(MAX_NESTING_DEPTH))).toBeInstanceOf(Array);
    expect(() => parseManifestJson(nested(MAX_NESTING_DEPTH + 1))).toThrow(/^manifest_json: nested more than \d+ levels deep/);
    // Many brackets, shallow: inside strings, or side by side.
    const manyInStrings = JSON.stringify({ s: '{['.repeat(500) });
    expect(parseManifestJson(manyInStrings)).toEqual({ s: '{['.repeat(500) });
    const wide = JSON.stringify(Array.from({ length: 300 }, () => ({ a: [1] })));
    expect(parseManifestJson(wide)).toHaveLength(300);
    // Deep nesting behind many shallow brackets is still found.
    expect(() => parseManifestJson(`[${'{},'.repeat(200)}${nested(MAX_NESTING_DEPTH)}]`)).toThrow(/nested more than/);
  });

  it('accepts paired surrogates, raw or escaped, and refuses unpaired ones', () => {
    expect(parseManifestJson('{"s":"\u{1F600}"}')).toEqual({ s: '\u{1F600}' });
    expect(parseManifestJson('{"s":"\\ud83d\\ude00"}')).toEqual({ s: '\u{1F600}' });
    for (const text of ['{"s":"\\ud800"}', '{"s":"\\uDC00"}', '{"s":"\ud800"}', '{"s":"x\udfff"}', '{"s":"\\ud800\\u0041"}']) {
      expect(() => parseManifestJson(text), text).toThrow(/unpaired UTF-16 surrogate/);
    }
    // An escaped backslash before "ud800" is text, not an escape.
    expect(parseManifestJson('{"s":"\\\\ud800"}')).toEqual({ s: '\\ud800' });
  });

  it('says where text that is not JSON goes wrong, without quoting it', () => {
    expect(() => parseManifestJson('{"secret": "hunter2",}')).toThrow(/^manifest_json: not valid JSON( at offset \d+)?; send the object as JSON text$/);
  });
});
