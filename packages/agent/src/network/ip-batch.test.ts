import { describe, expect, it } from 'vitest';
import { IpBatchError, isNotFound, runIpBatch } from './ip-command.js';

// Read-only `ip` commands: no privileges needed, nothing made.
describe('runIpBatch', () => {
  it('runs every line in one ip process', async () => {
    await expect(
      runIpBatch([
        { args: ['link', 'show', 'dev', 'lo'], what: 'showing lo' },
        { args: ['address', 'show', 'dev', 'lo'], what: 'showing its addresses' },
      ]),
    ).resolves.toBeUndefined();
  });

  it('names the line that failed, what it was for, and keeps the kernel reason', async () => {
    const failure = await runIpBatch([
      { args: ['link', 'show', 'dev', 'lo'], what: 'showing lo' },
      { args: ['link', 'show', 'dev', 'skiffnope0'], what: 'showing a missing device' },
      { args: ['link', 'show', 'dev', 'lo'], what: 'never run' },
    ]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IpBatchError);
    const error = failure as IpBatchError;
    expect(error.line).toBe(1);
    expect(error.what).toBe('showing a missing device');
    expect(error.message).toMatch(/^showing a missing device: ip link show dev skiffnope0 failed: .*(does not exist|Cannot find)/);
    expect(isNotFound(error)).toBe(true);
  });

  it('refuses an argument a batch line cannot carry, before running anything', async () => {
    await expect(runIpBatch([{ args: ['link', 'show', 'dev', 'lo 2'], what: 'a bad name' }])).rejects.toThrow(/"lo 2" \(a bad name\) cannot be put on a batch line/);
  });
});
