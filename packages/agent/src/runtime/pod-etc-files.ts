// The files every container of a pod shares as its /etc/hosts, /etc/hostname
// and /etc/resolv.conf: written once per pod into a directory of the agent's
// and bind-mounted read-only (as kubelet does), so an image's own copies never
// decide where the pod resolves names. resolv.conf follows the pod's
// dnsPolicy (dns/pod-resolv-conf.ts): the node's cluster DNS when it runs,
// else the host's resolvers.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, type Pod } from '@skiff/api/core';
import { renderPodResolvConf, type ClusterDnsSettings } from '../dns/pod-resolv-conf.js';
import { MAX_HOSTNAME_LENGTH } from './oci-spec.js';
import type { BindMount } from './runtime.js';

export interface PodEtcFilesInput {
  /** The pod's hostname (its name, cut to what the kernel accepts by the caller). */
  readonly hostname: string;
  /** The pod's IP on the pod network; without one, hosts has only the localhost lines. */
  readonly podIP?: string;
  /** The text of the host's /etc/resolv.conf, whose resolvers the pod uses. */
  readonly hostResolvConf: string;
  /** The pod and the node's cluster DNS: resolv.conf by its dnsPolicy (without a pod, the host's resolvers). */
  readonly pod?: Pod;
  readonly clusterDns?: ClusterDnsSettings;
}

export const POD_ETC_FILES = ['hosts', 'hostname', 'resolv.conf'] as const;

/** /etc/hosts: localhost for IPv4 and IPv6, then the pod's own name. */
export function renderHosts(hostname: string, podIP?: string): string {
  const lines = [
    '# Written by the Skiff agent for this pod.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) lines.push(`${podIP}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf from the host's: its nameserver, search and options lines,
 * except loopback resolvers (127.x, ::1, e.g. systemd-resolved's 127.0.0.53),
 * which in the pod's network namespace would be the pod itself.
 */
export function renderResolvConf(hostResolvConf: string): string {
  const kept: string[] = [];
  for (const raw of hostResolvConf.split('\n')) {
    const line = raw.trim();
    const [keyword, value] = line.split(/\s+/, 2);
    if (keyword === 'nameserver' && value !== undefined && !isLoopback(value)) kept.push(`nameserver ${value}`);
    else if ((keyword === 'search' || keyword === 'options') && value !== undefined) kept.push(line.replace(/\s+/g, ' '));
  }
  return `# Written by the Skiff agent for this pod: the host's resolvers.\n${kept.map((l) => `${l}\n`).join('')}`;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** Writes the three files into `dir` (created if need be); returns the read-only bind mounts for the container spec. */
export async function writePodEtcFiles(dir: string, input: PodEtcFilesInput): Promise<BindMount[]> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const content: Record<(typeof POD_ETC_FILES)[number], string> = {
    hosts: renderHosts(input.hostname, input.podIP),
    hostname: `${input.hostname}\n`,
    'resolv.conf': input.pod ? renderPodResolvConf(input.pod, input.hostResolvConf, input.clusterDns) : renderResolvConf(input.hostResolvConf),
  };
  for (const name of POD_ETC_FILES) await writeFileAtomic(join(dir, name), content[name], { durable: false });
  return POD_ETC_FILES.map((name) => ({ source: join(dir, name), destination: `/etc/${name}`, readOnly: true }));
}

/** The host's /etc/resolv.conf, or nothing if it has none. */
export async function readHostResolvConf(path = '/etc/resolv.conf'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

const SAFE_UID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The files of every pod on this node, one directory per pod uid under
 * `rootDir`: written on a pod's first start, reused by its later containers
 * and restarts (running containers keep the inode they mounted), removed with
 * the pod.
 */
export class PodEtcFiles {
  private readonly written = new Map<string, Promise<BindMount[]>>();

  constructor(
    private readonly rootDir: string,
    private readonly hostResolvConf: () => Promise<string> = readHostResolvConf,
    /** The node's cluster DNS, when it runs (pods with dnsPolicy ClusterFirst point at it). */
    private readonly clusterDns: () => ClusterDnsSettings | undefined = () => undefined,
  ) {}

  /** The pod's bind mounts, writing its files the first time. */
  mounts(uid: string, podName: string, podIP?: string, pod?: Pod): Promise<BindMount[]> {
    let mounts = this.written.get(uid);
    if (!mounts) {
      mounts = this.write(uid, podName, podIP, pod);
      this.written.set(uid, mounts);
      // A failed write is retried by the next start rather than remembered.
      mounts.catch(() => this.written.delete(uid));
    }
    return mounts;
  }

  async remove(uid: string): Promise<void> {
    this.written.delete(uid);
    await rm(this.dirOf(uid), { recursive: true, force: true });
  }

  private async write(uid: string, podName: string, podIP?: string, pod?: Pod): Promise<BindMount[]> {
    const hostname = (pod?.spec.hostname ?? podName).slice(0, MAX_HOSTNAME_LENGTH);
    const clusterDns = this.clusterDns();
    return writePodEtcFiles(this.dirOf(uid), {
      hostname,
      ...(podIP ? { podIP } : {}),
      hostResolvConf: await this.hostResolvConf(),
      ...(pod ? { pod } : {}),
      ...(clusterDns ? { clusterDns } : {}),
    });
  }

  private dirOf(uid: string): string {
    if (!SAFE_UID.test(uid)) throw new Error(`pod uid ${JSON.stringify(uid)} cannot name a directory`);
    return join(this.rootDir, uid);
  }
}
