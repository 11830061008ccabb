import { describe, expect, it } from 'vitest';
import { loadManifests } from './load-manifests.js';

describe('loadManifests', () => {
  it('reads 0400 as octal, as kubectl (YAML 1.1) does for file modes, and leaves other numbers and strings alone', async () => {
    const text = 'kind: X\nmodes: { a: 0400, b: 0644, c: 420, d: "0400", e: 0, f: 0o600, g: 08 }\n';
    const [document] = await loadManifests(['-'], { recursive: false, readStdin: () => Promise.resolve(text) });
    expect(document?.object).toEqual({ kind: 'X', modes: { a: 0o400, b: 0o644, c: 420, d: '0400', e: 0, f: 0o600, g: 8 } });
  });
});
