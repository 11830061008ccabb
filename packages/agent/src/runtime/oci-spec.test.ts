import { describe, expect, it } from 'vitest';
import { buildOciSpec, buildResources, cpuShares, DEFAULT_PATH, CPU_PERIOD_US } from './oci-spec.js';
import type { ContainerSpec } from './runtime.js';

const base: ContainerSpec = {
  id: 'pod1-web',
  labels: { 'skiff.pod': 'default/web' },
  layers: ['/layers/a', '/layers/b'],
  argv: ['httpd', '-f', '-p', '8080'],
  env: { FOO: 'bar' },
  limits: {},
};
const options = { rootfsPath: '/state/containers/pod1-web/rootfs', cgroupsPath: '/skiff/node-1/pod1-web' };

describe('buildOciSpec', () => {
  it('describes the process: args, env with a default PATH, cwd, no terminal, no new privileges', () => {
    const spec = buildOciSpec({ ...base, workingDir: '/www' }, options);
    expect(spec.ociVersion).toBe('1.0.2');
    expect(spec.process.args).toEqual(['httpd', '-f', '-p', '8080']);
    expect(spec.process.env).toEqual([`PATH=${DEFAULT_PATH}`, 'FOO=bar']);
    expect(spec.process.cwd).toBe('/www');
    expect(spec.process.terminal).toBe(false);
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
  });

  it("keeps the image's own PATH and defaults cwd to /", () => {
    const spec = buildOciSpec({ ...base, env: { PATH: '/opt/bin', A: '1' } }, options);
    expect(spec.process.env).toEqual(['PATH=/opt/bin', 'A=1']);
    expect(spec.process.cwd).toBe('/');
  });

  it('refuses an empty argv', () => {
    expect(() => buildOciSpec({ ...base, argv: [] }, options)).toThrow(/argv is empty/);
  });

  it('uses the overlay mount as a writable root and the given cgroup path', () => {
    const spec = buildOciSpec(base, options);
    expect(spec.root).toEqual({ path: options.rootfsPath, readonly: false });
    expect(spec.linux.cgroupsPath).toBe('/skiff/node-1/pod1-web');
  });

  it('mounts proc, /dev, devpts, shm, mqueue, a read-only sysfs and a read-only cgroupfs', () => {
    const mounts = buildOciSpec(base, options).mounts;
    expect(mounts.map((m) => `${m.destination}:${m.type}`)).toEqual([
      '/proc:proc',
      '/dev:tmpfs',
      '/dev/pts:devpts',
      '/dev/shm:tmpfs',
      '/dev/mqueue:mqueue',
      '/sys:sysfs',
      '/sys/fs/cgroup:cgroup',
    ]);
    expect(mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options).toContain('ro');
  });

  it('creates pid/ipc/uts/mount namespaces and a new, empty network namespace by default', () => {
    const namespaces = buildOciSpec(base, options).linux.namespaces;
    expect(namespaces).toEqual([{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }]);
  });

  it("joins the pod's network namespace when one is given", () => {
    const namespaces = buildOciSpec({ ...base, netnsPath: '/var/run/netns/pod1' }, options).linux.namespaces;
    expect(namespaces).toContainEqual({ type: 'network', path: '/var/run/netns/pod1' });
    expect(namespaces.filter((n) => n.type === 'network')).toHaveLength(1);
  });

  it('sets the hostname (the id by default, cut to what the kernel accepts)', () => {
    expect(buildOciSpec({ ...base, hostname: 'web-0' }, options).hostname).toBe('web-0');
    expect(buildOciSpec(base, options).hostname).toBe('pod1-web');
    expect(buildOciSpec({ ...base, id: 'x'.repeat(100) }, options).hostname).toHaveLength(63);
  });

  it('masks host information, makes kernel knobs read-only, and grants a conservative capability set', () => {
    const spec = buildOciSpec(base, options);
    expect(spec.linux.maskedPaths).toEqual(expect.arrayContaining(['/proc/kcore', '/proc/keys', '/sys/firmware']));
    expect(spec.linux.readonlyPaths).toEqual(expect.arrayContaining(['/proc/sys', '/proc/sysrq-trigger']));
    const caps = spec.process.capabilities;
    expect(caps.bounding).toEqual(expect.arrayContaining(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_KILL']));
    expect(caps.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(caps.bounding).not.toContain('CAP_NET_ADMIN');
    expect(caps.effective).toEqual(caps.bounding);
    expect(caps.ambient).toEqual([]);
  });

  it('denies devices and sets no limits when none are given', () => {
    expect(buildOciSpec(base, options).linux.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
  });
});

describe('buildResources', () => {
  it('maps limits to memory (swap = limit), CFS quota over 100 ms, shares and pids', () => {
    const resources = buildResources({
      memoryBytes: 16 * 1024 * 1024,
      cpuMillis: 500,
      cpuRequestMillis: 250,
      pids: 64,
    });
    expect(resources.memory).toEqual({ limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 });
    expect(resources.cpu).toEqual({ quota: 50_000, period: CPU_PERIOD_US, shares: 256 });
    expect(resources.pids).toEqual({ limit: 64 });
  });

  it('keeps tiny CPU limits at the kernel minimum quota and shares', () => {
    expect(buildResources({ cpuMillis: 1 }).cpu).toEqual({ quota: 1000, period: CPU_PERIOD_US });
    expect(cpuShares(1)).toBe(2);
    expect(cpuShares(1000)).toBe(1024);
    expect(cpuShares(2500)).toBe(2560);
  });

  it('rejects nonsense limits', () => {
    expect(() => buildResources({ memoryBytes: 0 })).toThrow(/memoryBytes/);
    expect(() => buildResources({ cpuMillis: -5 })).toThrow(/cpuMillis/);
    expect(() => buildResources({ pids: Number.NaN })).toThrow(/pids/);
  });
});
