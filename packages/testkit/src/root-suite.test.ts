import { describe, expect, it } from 'vitest';
import { skipUnlessRoot } from './root-suite.js';

describe('skipUnlessRoot', () => {
  it('throws under CI when a requirement is missing', () => {
    expect(() => skipUnlessRoot({ commands: ['skiff-no-such-binary'] }, { CI: 'true' })).toThrow(/cannot run \(.*\) and CI=true forbids skipping/);
  });

  it('skips outside CI when a requirement is missing', () => {
    expect(skipUnlessRoot({ files: ['/no/such/file'] }, {})).toBe(true);
  });

  it('runs when every requirement is met', () => {
    if (process.getuid?.() !== 0) return;
    expect(skipUnlessRoot({ commands: ['sh'], files: ['/'] }, { CI: 'true' })).toBe(false);
  });
});
