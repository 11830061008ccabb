// The Logs service over real runc + conmon containers (CRI-format logs): needs
// root, runc, conmon and a static busybox (skipped otherwise, failing under CI).
// The gRPC call is a minimal stand-in stream; everything below it is real.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { LogChunkMessage, LogsRequestMessage } from '@skiff/api';
import { skipUnlessRoot, waitFor } from '@skiff/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from './container-labels.js';
import { createLogsHandlers } from './logs-service.js';
import { parseCriRecord } from './runtime/cri-log.js';
import { RuncRuntime } from './runtime/runc-runtime.js';
import type { ContainerSpec, ContainerState } from './runtime/runtime.js';
import { forceCleanup, instanceCgroupDirs, removeAll } from './runtime/test-cleanup.js';
import { makeBusyboxLayer } from './runtime/test-rootfs.js';

describe.skipIf(skipUnlessRoot({ commands: ['runc', 'conmon'], files: ['/bin/busybox'] }))('Logs over conmon CRI logs (real runc)', () => {
  const instance = `test-logs-${randomBytes(3).toString('hex')}`;
  const pod = `p-${randomBytes(3).toString('hex')}`;
  let base: string;
  let layer: string;
  let runtime: RuncRuntime;
  /** Every runtime a test made, for the cleanup. */
  const runtimes: RuncRuntime[] = [];

  const spec = (argv: string[], attempt = 0, container = 'main'): ContainerSpec => ({
    id: `${pod}-${container}-${attempt}`,
    labels: { [LABEL.podNamespace]: 'default', [LABEL.podName]: pod, [LABEL.container]: container, [LABEL.attempt]: String(attempt) },
    layers: [layer],
    argv,
    env: {},
    limits: {},
  });

  const exited = (id: string): Promise<ContainerState> =>
    waitFor(
      async () => {
        const state = await runtime.state(id);
        return state?.status === 'exited' ? state : undefined;
      },
      { timeoutMs: 15_000, description: `container ${id} to exit` },
    );

  /** What `ctl logs` would print for this request. */
  const logs = async (request: Partial<LogsRequestMessage>, now: () => number = Date.now): Promise<string> => {
    const full: LogsRequestMessage = {
      namespace: 'default',
      pod,
      container: 'main',
      follow: false,
      tail_lines: 0,
      timestamps: false,
      since_seconds: 0,
      previous: false,
      ...request,
    };
    const chunks: Buffer[] = [];
    const call = Object.assign(new EventEmitter(), {
      request: full,
      write: (chunk: LogChunkMessage) => chunks.push(Buffer.from(chunk.data ?? '')),
      end: () => call.emit('test-end'),
    });
    const done = new Promise<void>((resolve, reject) => {
      call.once('test-end', resolve);
      call.once('error', reject);
    });
    const handler = createLogsHandlers(runtime, now)['Logs'] as (c: ServerWritableStream<LogsRequestMessage, LogChunkMessage>) => void;
    handler(call as unknown as ServerWritableStream<LogsRequestMessage, LogChunkMessage>);
    await done;
    return Buffer.concat(chunks).toString('utf8');
  };

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-logs-'));
    layer = await makeBusyboxLayer(join(base, 'layer'));
    runtime = new RuncRuntime({ stateDir: join(base, 'state'), instanceName: instance });
    runtimes.push(runtime);
  });

  afterEach(async () => {
    for (const r of runtimes) await removeAll(r);
  });

  afterAll(async () => {
    const leftovers: string[] = [];
    for (const r of runtimes) {
      await removeAll(r);
      await forceCleanup(r, base);
      leftovers.push(...(await instanceCgroupDirs(r.instanceName)));
    }
    if (base !== undefined) await rm(base, { recursive: true, force: true });
    expect(leftovers).toEqual([]);
  });

  it('conmon writes CRI lines for stdout and stderr; logs prints the text, --timestamps the time first', async () => {
    const s = spec(['sh', '-c', 'echo out; echo err >&2; printf "no newline"']);
    await runtime.start(s);
    const done = await exited(s.id);
    const records = (await readFile(done.logPath, 'utf8')).split('\n').filter(Boolean).map(parseCriRecord);
    expect(records.map((r) => r && [r.stream, r.partial, r.text])).toEqual(
      expect.arrayContaining([
        ['stdout', false, 'out'],
        ['stderr', false, 'err'],
        ['stdout', true, 'no newline'],
      ]),
    );
    for (const r of records) expect(r?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d$/);

    expect((await logs({})).split('\n').sort()).toEqual(['', 'err', 'out']);
    const stamped = (await logs({ timestamps: true })).trim().split('\n');
    expect(stamped).toHaveLength(2);
    for (const line of stamped) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (out|err)$/);
    expect(await logs({ tail_lines: 1 })).toMatch(/^(out|err)\n$/);
  });

  it('joins partial (P) records into one line', async () => {
    // More than conmon's 8 KiB read buffer in one line: it arrives as P records, then an F.
    const s = spec(['sh', '-c', 'head -c 20000 /dev/zero | tr "\\0" x; echo']);
    await runtime.start(s);
    const done = await exited(s.id);
    const text = await readFile(done.logPath, 'utf8');
    expect(text.replace(/x{20,}/g, (m) => `<${m.length} x>`)).toMatch(/ stdout P <\d+ x>\n/);
    expect(await logs({})).toBe(`${'x'.repeat(20000)}\n`);
  });

  it('--since keeps only the lines of the last N seconds (by the injected clock)', async () => {
    const s = spec(['sh', '-c', 'echo early; sleep 2; echo late']);
    await runtime.start(s);
    await exited(s.id);
    expect(await logs({})).toBe('early\nlate\n');
    // One second after the end: "late" is within the last second, "early" (2 s before it) is not.
    const now = Date.now();
    expect(await logs({ since_seconds: 1 }, () => now)).toBe('late\n');
    expect(await logs({ since_seconds: 3600 }, () => now)).toBe('early\nlate\n');
  });

  it('--previous reads the last terminated container of that name', async () => {
    const first = spec(['sh', '-c', 'echo first run; exit 3'], 0);
    await runtime.start(first);
    expect((await exited(first.id)).exitCode).toBe(3);
    await expect(logs({ previous: true })).rejects.toThrow(/previous terminated container main .* not found/);
    const second = spec(['sh', '-c', 'echo second run; sleep 300'], 1);
    await runtime.start(second);
    await waitFor(async () => ((await logs({})) === 'second run\n' ? true : undefined), { timeoutMs: 5_000, description: 'the second run to log' });
    expect(await logs({ previous: true })).toBe('first run\n');
  });

  it('rotates a log at its maximum size, keeping at most logMaxFiles files', async () => {
    // Small files, so rotations come quickly (and conmon's own cap, twice the size, is never what acts).
    runtime = new RuncRuntime({ stateDir: join(base, 'rotating'), instanceName: `${instance}r`, logMaxBytes: 4096, logMaxFiles: 3 });
    runtimes.push(runtime);
    const s = spec(['sh', '-c', 'i=0; while true; do echo "line $i ................................................"; i=$((i+1)); sleep 0.002; done']);
    await runtime.start(s);
    const dir = join(base, 'rotating', 'containers', s.id);
    const logFiles = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('container.log')).sort();
    // Every list() rotates what is over 4 KiB; after several rotations .1 and .2 exist and never a .3.
    await waitFor(
      async () => {
        await runtime.list();
        const files = await logFiles();
        expect(files.length).toBeLessThanOrEqual(3);
        return files.includes('container.log.2') ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: 'two rotations' },
    );
    for (let i = 0; i < 5; i++) {
      await waitFor(async () => ((await runtime.rotateLog(s.id)) ? true : undefined), { timeoutMs: 10_000, intervalMs: 20, description: 'a rotation' });
      // conmon reopens container.log once it has read the request.
      await waitFor(async () => ((await logFiles()).includes('container.log') ? true : undefined), {
        timeoutMs: 5_000,
        description: 'conmon to reopen container.log',
      });
      expect(await logFiles()).toEqual(['container.log', 'container.log.1', 'container.log.2']);
    }
    // conmon reopened: the current file gets new lines, and logs reads it.
    await waitFor(async () => (/^line \d+/m.test(await logs({ tail_lines: 1 })) ? true : undefined), {
      timeoutMs: 5_000,
      description: 'new lines in the reopened log',
    });
    expect(existsSync(join(dir, 'container.log.3'))).toBe(false);
  });
});
