import { describe, expect, it } from 'vitest';
import { buildOciSpec, buildResources, cpuShares, DEFAULT_PATH, CPU_PERIOD_US } from './oci-spec.js';
import { ALL_CAPABILITIES, capabilityMask } from './capabilities.js';
import type { ContainerSpec } from './runtime.js';
import { CLONE_NAMESPACE_FLAGS } from './seccomp-profile.js';

const base: ContainerSpec = {
  id: 'pod1-web',
  labels: { 'skiff.pod': 'default/web' },
  layers: ['/layers/a', '/layers/b'],
  argv: ['httpd', '-f', '-p', '8080'],
  env: { FOO: 'bar' },
  limits: {},
};
const options = { rootfsPath: '/state/containers/pod1-web/rootfs', cgroupsPath: '/skiff/node-1/pod1-web', allCapabilities: ALL_CAPABILITIES };

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

describe('buildOciSpec hardening', () => {
  const defaults = [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_FSETID',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_SYS_CHROOT',
    'CAP_MKNOD',
    'CAP_AUDIT_WRITE',
    'CAP_SETFCAP',
  ];

  it('grants exactly the default capability set, nothing inheritable or ambient', () => {
    const caps = buildOciSpec(base, options).process.capabilities;
    expect(caps.bounding).toEqual(defaults);
    expect(caps.effective).toEqual(defaults);
    expect(caps.permitted).toEqual(defaults);
    expect(caps.inheritable).toEqual([]);
    expect(caps.ambient).toEqual([]);
    expect(capabilityMask(caps.bounding)).toBe(0xa80405fbn);
  });

  it('drops before it adds, with or without CAP_, and ALL on either side', () => {
    const caps = (add: string[], drop: string[]): string[] =>
      buildOciSpec({ ...base, security: { capabilitiesAdd: add, capabilitiesDrop: drop } }, options).process.capabilities.effective;
    expect(caps(['NET_ADMIN', 'cap_sys_ptrace'], ['CHOWN', 'CAP_KILL'])).toEqual([
      'CAP_DAC_OVERRIDE',
      'CAP_FOWNER',
      'CAP_FSETID',
      'CAP_SETGID',
      'CAP_SETUID',
      'CAP_SETPCAP',
      'CAP_NET_BIND_SERVICE',
      'CAP_NET_ADMIN',
      'CAP_SYS_CHROOT',
      'CAP_SYS_PTRACE',
      'CAP_MKNOD',
      'CAP_AUDIT_WRITE',
      'CAP_SETFCAP',
    ]);
    expect(caps(['NET_BIND_SERVICE'], ['ALL'])).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(caps([], ['ALL'])).toEqual([]);
    expect(caps(['ALL'], [])).toEqual(ALL_CAPABILITIES);
    expect(() => caps(['NET_WIZARD'], [])).toThrow(/unknown capability "NET_WIZARD"/);
  });

  it('masks /proc and /sys host information and makes kernel knobs read-only', () => {
    const linux = buildOciSpec(base, options).linux;
    expect(linux.maskedPaths).toEqual([
      '/proc/acpi',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/proc/scsi',
      '/sys/firmware',
      '/sys/devices/virtual/powercap',
    ]);
    expect(linux.readonlyPaths).toEqual(['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('filters system calls by default: deny with EPERM, x86 architectures, clone without namespace flags', () => {
    const seccomp = buildOciSpec(base, options).linux.seccomp;
    expect(seccomp).toMatchObject({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    });
    const allowed = seccomp?.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names) ?? [];
    expect(allowed).toEqual(expect.arrayContaining(['read', 'openat', 'execve', 'futex', 'socket', 'epoll_wait']));
    for (const denied of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'kexec_load', 'bpf', 'ptrace', 'open_by_handle_at', 'init_module', 'reboot']) {
      expect(allowed).not.toContain(denied);
    }
    expect(new Set(allowed).size).toBe(allowed.length);
    expect(seccomp?.syscalls).toContainEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(seccomp?.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const personalities = seccomp?.syscalls.filter((s) => s.names.includes('personality')) ?? [];
    expect(personalities.map((s) => s.args)).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff].map((value) => [{ index: 0, value, op: 'SCMP_CMP_EQ' }]));
  });

  it('lets ping work without NET_RAW through ICMP datagram sockets', () => {
    expect(buildOciSpec(base, options).linux.sysctl).toEqual({ 'net.ipv4.ping_group_range': '0 2147483647' });
  });

  it('leaves seccomp off for Unconfined', () => {
    expect(buildOciSpec({ ...base, security: { seccomp: 'Unconfined' } }, options).linux.seccomp).toBeUndefined();
    expect(buildOciSpec({ ...base, security: { seccomp: 'RuntimeDefault' } }, options).linux.seccomp).toBeDefined();
  });

  it('privileged: every capability, no seccomp, no masked or read-only paths, writable sysfs', () => {
    const spec = buildOciSpec({ ...base, security: { privileged: true } }, options);
    expect(spec.process.capabilities.bounding).toEqual(ALL_CAPABILITIES);
    expect(spec.process.capabilities.effective).toContain('CAP_SYS_ADMIN');
    expect(spec.linux.seccomp).toBeUndefined();
    expect(spec.linux.maskedPaths).toEqual([]);
    expect(spec.linux.readonlyPaths).toEqual([]);
    expect(spec.process.noNewPrivileges).toBe(false);
    expect(spec.mounts.find((m) => m.destination === '/sys')?.options).not.toContain('ro');
  });

  it('sets no_new_privs unless privilege escalation is allowed', () => {
    expect(buildOciSpec({ ...base, security: {} }, options).process.noNewPrivileges).toBe(true);
    expect(buildOciSpec({ ...base, security: { allowPrivilegeEscalation: false } }, options).process.noNewPrivileges).toBe(true);
    expect(buildOciSpec({ ...base, security: { allowPrivilegeEscalation: true } }, options).process.noNewPrivileges).toBe(false);
  });

  it('maps user, group and supplementary groups, and a read-only root', () => {
    const spec = buildOciSpec({ ...base, security: { uid: 1000, gid: 2000, additionalGids: [3000, 4000, 3000], readOnlyRootFilesystem: true } }, options);
    expect(spec.process.user).toEqual({ uid: 1000, gid: 2000, additionalGids: [3000, 4000] });
    expect(spec.root.readonly).toBe(true);
  });

  it('bind-mounts the given files after the defaults, read-only where asked', () => {
    const mounts = buildOciSpec({ ...base, mounts: [{ source: '/pods/p1/hosts', destination: '/etc/hosts', readOnly: true }] }, options).mounts;
    expect(mounts.at(-1)).toEqual({
      destination: '/etc/hosts',
      type: 'bind',
      source: '/pods/p1/hosts',
      options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec', 'ro'],
    });
    expect(() => buildOciSpec({ ...base, mounts: [{ source: '/x', destination: 'etc/x', readOnly: true }] }, options)).toThrow(/not absolute/);
  });
});
