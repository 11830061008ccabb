// Builds the runc config.json (OCI runtime spec 1.0.2) for a container. Pure:
// the caller decides where the rootfs is mounted and which cgroup it gets, so
// the whole policy (namespaces, mounts, capabilities, limits) is testable
// without root. Defaults are containerd's runtime/default in spirit: the
// default capability set, no_new_privs, masked and read-only kernel paths, a
// private /dev and a default-deny seccomp filter (seccomp-profile.ts); the
// container's securityContext (ContainerSecurity) loosens or tightens them.

import { capabilitySet, hostCapabilities } from './capabilities.js';
import type { BindMount, ContainerLimits, ContainerSpec } from './runtime.js';
import { defaultSeccompProfile, type OciSeccomp } from './seccomp-profile.js';

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface OciRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciNamespace {
  type: 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'user' | 'cgroup';
  path?: string;
}

export interface OciDeviceRule {
  allow: boolean;
  access: string;
  type?: string;
  major?: number;
  minor?: number;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

export interface OciLinux {
  namespaces: OciNamespace[];
  resources: OciResources;
  cgroupsPath: string;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: OciSeccomp;
  sysctl?: Record<string, string>;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: OciLinux;
}

export interface OciSpecOptions {
  /** Absolute path of the root filesystem (root.path): the image's tree, or the directory rootfsMount is mounted on. */
  readonly rootfsPath: string;
  /** Mounted first, on root.path itself (destination "/"): the overlay of the image's layers (overlay-rootfs.ts). */
  readonly rootfsMount?: OciMount;
  /** Absolute cgroup path, e.g. /skiff/<instance>/<id> (see cgroupsPathFor). */
  readonly cgroupsPath: string;
  /** What "every capability" means (privileged, add ALL); default: this process's bounding set. */
  readonly allCapabilities?: readonly string[];
}

export const OCI_VERSION = '1.0.2';

/** The CFS period the CPU limit is expressed over (100 ms, as in Kubernetes). */
export const CPU_PERIOD_US = 100_000;

/** PATH for images that do not set one: without it runc cannot even resolve argv[0]. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Kernel interfaces that leak host information or allow host changes: hidden (runc's defaults plus powercap). */
export const MASKED_PATHS: readonly string[] = [
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
];

/** Kernel knobs a container may read but not turn. */
export const READONLY_PATHS: readonly string[] = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Hostnames are at most 64 bytes (HOST_NAME_MAX); a longer one makes runc fail to start. */
export const MAX_HOSTNAME_LENGTH = 63;

export function buildOciSpec(spec: ContainerSpec, options: OciSpecOptions): OciSpec {
  if (spec.argv.length === 0) throw new Error(`container ${spec.id}: argv is empty`);
  const security = spec.security ?? {};
  const privileged = security.privileged === true;
  const all = options.allCapabilities ?? hostCapabilities();
  const caps = privileged ? [...all] : capabilitySet(security.capabilitiesAdd, security.capabilitiesDrop, all);
  const additionalGids = [...new Set(security.additionalGids ?? [])];
  const linux: OciLinux = {
    namespaces: [
      { type: 'pid' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'mount' },
      // Joining the pod's namespace shares its IP between the pod's containers;
      // without one the container gets a fresh namespace with only loopback
      // (isolated rather than silently on the host network).
      spec.netnsPath !== undefined ? { type: 'network', path: spec.netnsPath } : { type: 'network' },
    ],
    resources: buildResources(spec.limits),
    cgroupsPath: options.cgroupsPath,
    maskedPaths: privileged ? [] : [...MASKED_PATHS],
    readonlyPaths: privileged ? [] : [...READONLY_PATHS],
    // Without NET_RAW, ping needs ICMP datagram sockets, which this opens to
    // every group (as Docker and containerd do); safe in a network namespace of the pod's own.
    sysctl: { 'net.ipv4.ping_group_range': '0 2147483647' },
  };
  if (!privileged && security.seccomp !== 'Unconfined') linux.seccomp = defaultSeccompProfile();
  return {
    ociVersion: OCI_VERSION,
    process: {
      // No terminal: output goes to the log file, and a tty would need a console socket.
      terminal: false,
      user: { uid: security.uid ?? 0, gid: security.gid ?? 0, ...(additionalGids.length > 0 ? { additionalGids } : {}) },
      args: [...spec.argv],
      env: buildEnv(spec.env),
      cwd: spec.workingDir && spec.workingDir.startsWith('/') ? spec.workingDir : '/',
      // Nothing inheritable or ambient: a non-root process keeps no capability across execve.
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps], inheritable: [], ambient: [] },
      // None set: the container inherits the agent's limits (as with Docker's
      // defaults). runc applies rlimits after dropping capabilities, so a fixed
      // value above the agent's hard limit would make every start fail.
      rlimits: [],
      noNewPrivileges: !privileged && security.allowPrivilegeEscalation !== true,
    },
    // Writable unless asked otherwise: writes land in the overlay's upper directory, which is per container.
    root: { path: options.rootfsPath, readonly: security.readOnlyRootFilesystem === true },
    hostname: (spec.hostname ?? spec.id).slice(0, MAX_HOSTNAME_LENGTH),
    mounts: [...(options.rootfsMount ? [options.rootfsMount] : []), ...defaultMounts(privileged), ...(spec.mounts ?? []).map(bindMount)],
    linux,
  };
}

function bindMount(mount: BindMount): OciMount {
  if (!mount.destination.startsWith('/')) throw new Error(`mount destination ${mount.destination} is not absolute`);
  const options = ['rbind', 'rprivate', 'nosuid', 'nodev', ...(mount.exec === true ? [] : ['noexec'])];
  if (mount.readOnly) options.push('ro');
  return { destination: mount.destination, type: 'bind', source: mount.source, options };
}

function buildEnv(env: Readonly<Record<string, string>>): string[] {
  const entries = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  if (!Object.hasOwn(env, 'PATH')) entries.unshift(`PATH=${DEFAULT_PATH}`);
  return entries;
}

/** Exposed for tests: limits → linux.resources. */
export function buildResources(limits: ContainerLimits): OciResources {
  // Deny every device; runc itself adds allow rules for the devices it creates
  // (/dev/null, zero, full, random, urandom, tty, ptmx, pts).
  const resources: OciResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (limits.memoryBytes !== undefined) {
    const limit = positiveInteger(limits.memoryBytes, 'memoryBytes');
    // swap = limit means memory+swap may not exceed the limit, i.e. no swap at
    // all: the container hits its limit and the OOM killer acts (as in
    // Kubernetes) instead of the container silently swapping.
    resources.memory = { limit, swap: limit };
  }
  if (limits.cpuMillis !== undefined || limits.cpuRequestMillis !== undefined) {
    resources.cpu = {};
    if (limits.cpuMillis !== undefined) {
      const millis = positiveInteger(limits.cpuMillis, 'cpuMillis');
      // 1000m = one full CPU per period; the kernel refuses quotas under 1 ms.
      resources.cpu.quota = Math.max(1000, Math.round((millis * CPU_PERIOD_US) / 1000));
      resources.cpu.period = CPU_PERIOD_US;
    }
    if (limits.cpuRequestMillis !== undefined) {
      resources.cpu.shares = cpuShares(limits.cpuRequestMillis);
    }
  }
  if (limits.pids !== undefined) resources.pids = { limit: positiveInteger(limits.pids, 'pids') };
  return resources;
}

/** 1000m = 1024 shares; the kernel's minimum is 2 (as Kubernetes maps requests). */
export function cpuShares(requestMillis: number): number {
  if (!Number.isFinite(requestMillis) || requestMillis < 0) throw new Error(`invalid cpuRequestMillis ${requestMillis}`);
  return Math.max(2, Math.round((requestMillis * 1024) / 1000));
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`invalid ${name} ${value}: must be a positive number`);
  return Math.round(value);
}

/** proc, a private tmpfs /dev (runc creates null, zero, full, random, urandom, tty and the ptmx link in it), devpts, shm, mqueue, sysfs and cgroupfs (read-only unless privileged). */
function defaultMounts(privileged: boolean): OciMount[] {
  const ro = privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', ...ro],
    },
  ];
}
