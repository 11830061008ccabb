import { describe, expect, it } from 'vitest';
import { startProcess } from './managed-process.js';
import { waitFor } from './wait-for.js';

const node = process.execPath;

describe('startProcess', () => {
  it('escalates stop() to SIGKILL when the child ignores SIGTERM', async () => {
    const child = startProcess({
      name: 'stubborn',
      command: node,
      args: ['-e', "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000)"],
    });
    // The handler must be installed before we signal, or SIGTERM would simply kill it.
    await child.waitForLine(/^ready$/, 10_000);
    const started = Date.now();
    const exit = await child.stop(300);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(child.running).toBe(false);
    // It saw (and ignored) the SIGTERM first.
    await expect(child.waitForLine(/ignoring SIGTERM/, 1000)).resolves.toBeTruthy();
    // stop() is idempotent and keeps answering with the same exit.
    await expect(child.stop()).resolves.toEqual(exit);
  });

  it('stops a well-behaved child with SIGTERM alone', async () => {
    const child = startProcess({ name: 'polite', command: node, args: ['-e', "console.log('up'); setInterval(() => {}, 1000)"] });
    await child.waitForLine(/up/, 10_000);
    await expect(child.stop(10_000)).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('keeps recent output and fails waitForLine when the process exits first', async () => {
    const child = startProcess({
      name: 'chatty',
      command: node,
      args: ['-e', "for (let i = 0; i < 300; i++) console.log('line ' + i); console.error('bye'); process.exitCode = 3"], // exitCode, not exit(): exit() may drop output still in flight
    });
    await expect(child.waitForLine(/never printed/, 10_000)).rejects.toThrow(/chatty: exited \(code 3\)/);
    await expect(child.exited).resolves.toEqual({ code: 3, signal: null });
    const lines = child.output().split('\n');
    expect(lines.length).toBeLessThanOrEqual(200);
    expect(lines).toContain('line 299');
    expect(lines).toContain('bye');
    expect(lines).not.toContain('line 0');
  });

  it('throws at once for a command that does not exist', () => {
    expect(() => startProcess({ name: 'ghost', command: '/nonexistent/skiff-binary', args: [] })).toThrow(/ghost/);
  });
});

describe('waitFor', () => {
  it('returns the first truthy probe value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), {
      timeoutMs: 5000,
      intervalMs: 1,
      description: 'the third call',
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('times out naming the description and the last probe error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 100, intervalMs: 10, description: 'the moon to turn blue' },
      ),
    ).rejects.toThrow(/waiting for the moon to turn blue.*last probe error: connection refused/);
  });

  it('times out naming the last falsy value and does not hang on a stuck probe', async () => {
    await expect(waitFor(() => false, { timeoutMs: 50, description: 'a false thing' })).rejects.toThrow(
      /a false thing.*last probe value: false/,
    );
    await expect(
      waitFor(() => new Promise<boolean>(() => undefined), { timeoutMs: 50, description: 'a stuck probe' }),
    ).rejects.toThrow(/a stuck probe: the probe was still running/);
  });
});
