import { readFileSync } from 'node:fs';

// Linux capabilities as the OCI spec names them, the default set a container
// gets (containerd's runtime/default), and Kubernetes' add/drop on top of it.

/** Every capability of Linux 5.9+ (CAP_CHECKPOINT_RESTORE is 40), in kernel order. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/**
 * What a root process inside a container may do: enough for ordinary images
 * (chown files, bind low ports, switch users) and none of the host-affecting
 * ones (SYS_ADMIN, NET_ADMIN, SYS_MODULE, SYS_PTRACE …) nor NET_RAW (raw
 * sockets spoof packets on the pod network).
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export class UnknownCapabilityError extends Error {}

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN; "ALL" stays ALL. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new UnknownCapabilityError(`unknown capability ${JSON.stringify(name)}`);
  return full;
}

/**
 * The default set with `drop` removed, then `add` added (Kubernetes' order);
 * ALL in either means every capability in `all` (those the host can grant).
 */
export function capabilitySet(add: readonly string[] = [], drop: readonly string[] = [], all: readonly string[] = ALL_CAPABILITIES): string[] {
  const adds = add.map(normalizeCapability);
  const drops = drop.map(normalizeCapability);
  if (adds.includes('ALL')) return [...all];
  const set = drops.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((cap) => !drops.includes(cap));
  for (const cap of adds) if (!set.includes(cap)) set.push(cap);
  return ALL_CAPABILITIES.filter((cap) => set.includes(cap));
}

/** The bit mask /proc/<pid>/status shows (CapEff, CapBnd …) for a set. */
export function capabilityMask(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const cap of caps) {
    const bit = ALL_CAPABILITIES.indexOf(cap);
    if (bit < 0) throw new UnknownCapabilityError(`unknown capability ${cap}`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

let host: readonly string[] | undefined;

/**
 * The capabilities this process could hand on (its bounding set): what
 * "every capability" means for a privileged container, since runc fails to
 * start a process with one its parent lacks.
 */
export function hostCapabilities(): readonly string[] {
  if (host) return host;
  let bounding: bigint | undefined;
  try {
    const line = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (line?.[1]) bounding = BigInt(`0x${line[1]}`);
  } catch {
    // No procfs (not Linux): nothing to narrow by.
  }
  host = bounding === undefined ? ALL_CAPABILITIES : ALL_CAPABILITIES.filter((_cap, bit) => (bounding >> BigInt(bit)) & 1n);
  return host;
}
