import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CgroupMemorySignals, parseMemAvailable, workingSetOf } from './memory-signals.js';

const MI = 1024 * 1024;

describe('memory signals from cgroup v1 files', () => {
  let root: string;
  const cgroup = async (name: string, usage: number, inactiveFile: number): Promise<void> => {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'memory.usage_in_bytes'), `${usage}\n`);
    await writeFile(join(dir, 'memory.stat'), `cache 0\ninactive_file 1\ntotal_cache 0\ntotal_inactive_file ${inactiveFile}\ntotal_active_file 0\n`);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-memsig-'));
    await cgroup('kubepods', 250 * MI, 50 * MI);
    await cgroup('kubepods/burstable/poduid-a', 120 * MI, 20 * MI);
    await cgroup('kubepods/burstable/poduid-a/uid-a-web-0', 70 * MI, 20 * MI);
    await cgroup('kubepods/burstable/poduid-a/uid-a-side-car-2', 30 * MI, 0);
    await writeFile(join(root, 'meminfo'), 'MemTotal:       24683652 kB\nMemFree:        21000000 kB\nMemAvailable:   23962864 kB\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('working set = usage − total_inactive_file; undefined for a missing cgroup', async () => {
    expect(await workingSetOf(join(root, 'kubepods'))).toBe(200 * MI);
    expect(await workingSetOf(join(root, 'nope'))).toBeUndefined();
  });

  it('MemAvailable in bytes', () => {
    expect(parseMemAvailable('MemAvailable:   1024 kB\n')).toBe(1024 * 1024);
    expect(() => parseMemAvailable('MemFree: 1 kB\n')).toThrow('no MemAvailable');
  });

  it("the node's and the pods' signals, and each pod's and container's working set", async () => {
    const signals = new CgroupMemorySignals({
      capacityBytes: 1024 * MI,
      allocatableBytes: 300 * MI,
      memoryDir: async (name) => join(root, name),
      meminfoPath: join(root, 'meminfo'),
    });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', uid: 'uid-a' },
      spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'x', resources: { requests: { memory: '1Mi' } } }] },
    };
    const ghost: Pod = { ...pod, metadata: { name: 'b', uid: 'uid-b' } };
    const observed = await signals.read([pod, ghost]);
    expect(observed.node).toEqual({ capacityBytes: 1024 * MI, availableBytes: 23962864 * 1024 });
    expect(observed.allocatable).toEqual({ capacityBytes: 300 * MI, availableBytes: 100 * MI });
    expect([...observed.pods.keys()]).toEqual(['uid-a']);
    expect(observed.pods.get('uid-a')).toEqual({ workingSetBytes: 100 * MI, containers: new Map([['web', 50 * MI], ['side-car', 30 * MI]]) });
  });
});
