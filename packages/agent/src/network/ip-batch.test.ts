import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpBatchError, isNotFound, runIp, runIpBatch } from './ip-command.js';

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

// Lines inside a namespace: a test-only namespace, removed afterwards.
describe.skipIf(skipUnlessRoot({ commands: ['ip'] }))('runIpBatch with lines inside a network namespace (root)', () => {
  const ns = `sktestbatch${randomBytes(3).toString('hex')}`;
  let scriptDir = '';
  beforeAll(async () => {
    scriptDir = join(await mkdtemp(join(tmpdir(), 'skiff-ip-batch-')), 'scripts');
  });
  afterAll(async () => {
    await runIp(['netns', 'delete', ns]).catch(() => undefined);
    if (scriptDir !== '') await rm(join(scriptDir, '..'), { recursive: true, force: true });
  });

  it('runs them in one ip forked into the namespace, and leaves no script behind', async () => {
    await runIpBatch([{ args: ['netns', 'add', ns], what: 'making the namespace' }], {
      inNetns: {
        netns: ns,
        scriptDir,
        lines: [
          { args: ['link', 'set', 'dev', 'lo', 'up'], what: 'bringing up lo' },
          { args: ['address', 'add', '10.251.7.1/32', 'dev', 'lo'], what: 'adding an address' },
        ],
      },
    });
    expect(await runIp(['-netns', ns, '-brief', 'address', 'show', 'dev', 'lo'])).toMatch(/UNKNOWN\s+127\.0\.0\.1\/8 10\.251\.7\.1\/32/);
    expect(await runIp(['-brief', 'address', 'show', 'dev', 'lo'])).not.toMatch(/10\.251\.7\.1/);
    expect(await readdir(scriptDir)).toEqual([]);
  });

  it('names the line inside the namespace that failed, counted on from the outer lines', async () => {
    const failure = await runIpBatch([{ args: ['link', 'show', 'dev', 'lo'], what: 'showing lo' }], {
      inNetns: {
        netns: ns,
        scriptDir,
        lines: [
          { args: ['link', 'show', 'dev', 'lo'], what: 'showing lo inside' },
          { args: ['link', 'set', 'dev', 'skiffnope0', 'up'], what: 'bringing up a missing device' },
          { args: ['link', 'show', 'dev', 'lo'], what: 'never run' },
        ],
      },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IpBatchError);
    const error = failure as IpBatchError;
    expect(error.line).toBe(2);
    expect(error.what).toBe('bringing up a missing device');
    expect(error.message).toMatch(new RegExp(`^bringing up a missing device: ip -netns ${ns} link set dev skiffnope0 up failed: .*(does not exist|Cannot find)`));
    expect(error.message).not.toMatch(/Command failed/);
    expect(isNotFound(error)).toBe(true);
    expect(await readdir(scriptDir)).toEqual([]);
  });
});
