import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuNanoCores, parseCpuacctUsage, readUsage, workingSetBytes } from './cgroup-usage.js';

// memory.stat of a v1 cgroup as the kernel writes it (trimmed): the total_* lines include the children.
const MEMORY_STAT = `cache 4096
rss 1048576
inactive_file 4096
active_file 0
total_cache 8388608
total_rss 2097152
total_inactive_file 6291456
total_active_file 2097152
`;

describe('cgroup usage arithmetic', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('parses cpuacct.usage as nanoseconds, exactly beyond 2^53', () => {
    expect(parseCpuacctUsage('45043554228374\n')).toBe(45043554228374n);
    expect(parseCpuacctUsage('18446744073709551615')).toBe(18446744073709551615n);
    expect(() => parseCpuacctUsage('max')).toThrow(/cpuacct.usage holds "max"/);
  });

  it('working set is usage minus total_inactive_file, never negative', () => {
    expect(workingSetBytes('10485760\n', MEMORY_STAT)).toBe(10485760 - 6291456);
    expect(workingSetBytes('1000', MEMORY_STAT)).toBe(0);
    expect(workingSetBytes('4096', 'rss 4096\n')).toBe(4096);
  });

  it('CPU is Δ CPU time over Δ wall time, in nanocores', () => {
    const at = (atMs: number, cpuNanos: bigint) => ({ atMs, cpuNanos, workingSetBytes: 0 });
    // 1 s of CPU in 5 s: 0.2 cores.
    expect(cpuNanoCores(at(0, 0n), at(5000, 1_000_000_000n))).toBe(200_000_000);
    // Two cores busy for 2.5 s.
    expect(cpuNanoCores(at(1000, 7n), at(3500, 7n + 5_000_000_000n))).toBe(2_000_000_000);
    expect(cpuNanoCores(at(1000, 5n), at(1000, 9n))).toBeUndefined();
    // The counter went backwards: a new cgroup of the same name.
    expect(cpuNanoCores(at(0, 900n), at(5000, 100n))).toBeUndefined();
  });

  it('reads a fixture cgroup, and says undefined for one that is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-cgroup-usage-'));
    dirs.push(dir);
    await writeFile(join(dir, 'cpuacct.usage'), '123456789\n');
    await writeFile(join(dir, 'memory.usage_in_bytes'), '16777216\n');
    await writeFile(join(dir, 'memory.stat'), MEMORY_STAT);
    expect(await readUsage({ cpuacct: dir, memory: dir }, () => 42)).toEqual({ atMs: 42, cpuNanos: 123456789n, workingSetBytes: 16777216 - 6291456 });
    expect(await readUsage({ cpuacct: join(dir, 'gone'), memory: join(dir, 'gone') })).toBeUndefined();
  });
});
