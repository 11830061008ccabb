import { describe, expect, it } from 'vitest';
import { cgroupDirIn, cgroupHierarchies } from './cgroup-fs.js';
import { parseMountInfo } from './mountinfo.js';
import { parseProcessStat } from './process-probe.js';

const SAMPLE = [
  '23 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '90 23 0:50 / /tmp/with\\040space rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
  '91 23 0:51 /docker/abc /mnt/cg rw - cgroup cgroup rw,pids',
].join('\n');

describe('mountinfo', () => {
  it('parses mount points (unescaping octal), types and options', () => {
    const entries = parseMountInfo(SAMPLE);
    expect(entries).toHaveLength(8);
    expect(entries[6]).toMatchObject({ mountPoint: '/tmp/with space', fsType: 'overlay', source: 'overlay' });
    expect(entries[6]?.options).toContain('upperdir=/u');
  });

  it('finds cgroup hierarchies and maps a cgroup path into each', () => {
    const hierarchies = cgroupHierarchies(parseMountInfo(SAMPLE));
    expect(hierarchies.map((h) => [h.mountPoint, h.version, h.controllers])).toEqual([
      ['/sys/fs/cgroup/cpu', 1, ['cpu']],
      ['/sys/fs/cgroup/memory', 1, ['memory']],
      ['/sys/fs/cgroup/systemd', 1, ['name=systemd']],
      ['/sys/fs/cgroup/unified', 2, []],
      ['/mnt/cg', 1, ['pids']],
    ]);
    const [cpu] = hierarchies;
    expect(cpu && cgroupDirIn(cpu, '/skiff/n1/c1')).toBe('/sys/fs/cgroup/cpu/skiff/n1/c1');
    const nested = hierarchies[4];
    expect(nested && cgroupDirIn(nested, '/docker/abc/x')).toBe('/mnt/cg/x');
    expect(nested && cgroupDirIn(nested, '/skiff/n1/c1')).toBeUndefined();
  });
});

describe('parseProcessStat', () => {
  it('reads state, parents, session and start time even with odd command names', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const stat = parseProcessStat(`1234 (a) b (c)) ${fields.join(' ')}`);
    expect(stat).toEqual({ pid: 1234, state: 'S', ppid: 4, pgid: 5, sessionId: 6, startTicks: 22 });
  });
});
