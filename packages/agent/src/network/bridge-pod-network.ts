// Pod networking on one host bridge, without NAT or forwarding: every pod gets
// a network namespace, a veth pair whose host end sits on the bridge, and an IP
// from this node's slice of the cluster CIDR. Pods reach each other at layer 2
// across the bridge and reach the host through the gateway address; nothing
// they send is ever routed off the machine (host-safety.ts sets that up).
//
// Several agents on one machine (a dev cluster) share the bridge, each with its
// own /24 slice and its own gateway address on it; every host-level step is
// therefore idempotent and tolerates another agent doing the same at once.
// This class holds the pieces together: the IPAM file per pod, a lock per pod,
// the host set-up once per process; pod-plumbing.ts does the per-pod `ip` work.

import { join } from 'node:path';
import { containsCidr, formatIpv4, messageOf, parseCidr, type Ipv4Cidr } from '@skiff/api/core';
import { setUpHost, type PodForwarding } from './host-safety.js';
import { ignoreNotFound, runIp } from './ip-command.js';
import { FileIpam, type IpAllocation } from './ipam.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { PodNetwork, PodNetworkAttachment } from './pod-network.js';
import { checkPodNetworkPrivileges, PodNetworkError } from './pod-network-error.js';
import {
  hostVethName,
  isInterfaceName,
  MAX_IFNAME_LENGTH,
  netnsBaseName,
  netnsCandidateName,
  netnsPath,
} from './pod-network-names.js';
import { createNetns, createNetnsAndPlumb, isPodHealthy, netnsBelongsTo, netnsExists, plumbPod, tearDownPod } from './pod-plumbing.js';

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_BRIDGE_NAME = 'skiff0';

/** How many uid-prefix collisions (skiff-<id>, skiff-<id>-1, …) we try before giving up. */
const MAX_NETNS_CANDIDATES = 64;

export interface BridgePodNetworkOptions {
  /** Directory for the IPAM files (one per allocated IP); keep it across agent restarts. */
  readonly stateDir: string;
  /** This node's slice, e.g. 10.244.1.0/24; its first address is the gateway on the bridge. */
  readonly podCidr: string;
  /** The whole pod network (all nodes' slices); default 10.244.0.0/16. */
  readonly clusterCidr?: string;
  /** Host bridge shared by all agents on this machine; default skiff0. */
  readonly bridgeName?: string;
  /** MTU of the bridge and every pod's veth (the overlay's: the LAN link's less 50); default the kernel's. */
  readonly mtu?: number;
  /** What the host forwards from its pods (host-safety.ts); default 'none', 'cluster' with the overlay. */
  readonly forwarding?: PodForwarding;
}

export class BridgePodNetwork implements PodNetwork {
  readonly bridgeName: string;
  readonly podCidr: Ipv4Cidr;
  readonly clusterCidr: Ipv4Cidr;
  /** First address of podCidr, held by the bridge; the pods' default route. */
  readonly gateway: string;
  readonly stateDir: string;
  /** Where a fresh pod's in-namespace `ip` script is written for the moment of its attach (below stateDir, a dot-name as the IPAM's own temporaries: not among its files). */
  readonly scriptDir: string;
  readonly mtu: number | undefined;
  readonly forwarding: PodForwarding;

  private readonly ipam: FileIpam;
  private readonly locks = new KeyedMutex();
  /** A host set-up in progress, shared by concurrent callers; cleared when it settles. */
  private hostSetUp: Promise<void> | undefined;
  /** Host set-up done by this process (see ensureHostOnce). */
  private hostReady: Promise<void> | undefined;
  /** Told after an attach or detach changed the bridge's ports (the overlay's fast path follows them). */
  private portsChanged: (() => Promise<void>) | undefined;

  constructor(options: BridgePodNetworkOptions) {
    if (options.stateDir === '') throw new PodNetworkError('BridgePodNetwork needs a stateDir for its IPAM files');
    this.stateDir = options.stateDir;
    this.scriptDir = join(options.stateDir, '.ip-scripts');
    this.podCidr = parseCidr(options.podCidr, 'podCidr');
    this.clusterCidr = parseCidr(options.clusterCidr ?? DEFAULT_CLUSTER_CIDR, 'clusterCidr');
    if (!containsCidr(this.clusterCidr, this.podCidr)) {
      throw new PodNetworkError(
        `podCidr ${this.podCidr.text} is not inside clusterCidr ${this.clusterCidr.text}; ` +
          "give the node a slice of the cluster's pod network",
      );
    }
    if (this.podCidr.prefix > 30) {
      throw new PodNetworkError(
        `podCidr ${this.podCidr.text} is too small: a node needs at least a /30 ` +
          '(network, gateway, one pod, broadcast); a /24 is usual',
      );
    }
    this.bridgeName = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
    if (!isInterfaceName(this.bridgeName)) {
      throw new PodNetworkError(
        `bridgeName "${this.bridgeName}" is not a usable interface name: ` +
          `use 1 to ${MAX_IFNAME_LENGTH} letters, digits, "-" or "_"`,
      );
    }
    if (options.mtu !== undefined && !(Number.isInteger(options.mtu) && options.mtu >= 576 && options.mtu <= 65535)) {
      throw new PodNetworkError(`mtu ${String(options.mtu)} is not an MTU: use a whole number from 576 to 65535`);
    }
    this.mtu = options.mtu;
    this.forwarding = options.forwarding ?? 'none';
    this.gateway = formatIpv4(this.podCidr.network + 1);
    this.ipam = new FileIpam({ dir: this.stateDir, cidr: this.podCidr, reserved: [this.gateway] });
  }

  /**
   * Makes sure the safety routes, the bridge, its gateway address for this node
   * and its up state exist. attach() runs it once per process and again after a failed attach, so
   * a bridge deleted behind the agent's back comes back; the agent may also call
   * it at start-up to fail fast.
   */
  ensureHost(): Promise<void> {
    checkPodNetworkPrivileges();
    // Concurrent attaches join one set-up rather than racing each other's `ip` calls.
    this.hostSetUp ??= setUpHost(this).finally(() => {
      this.hostSetUp = undefined;
    });
    return this.hostSetUp;
  }

  /**
   * The host set-up once per process, not once per pod (a dozen `ip` calls
   * each time made a node taking over many pods slow); an attach that fails
   * forgets it, so the next one checks the host again and repairs it.
   */
  private ensureHostOnce(): Promise<void> {
    this.hostReady ??= this.ensureHost().catch((error: unknown) => {
      this.hostReady = undefined;
      throw error;
    });
    return this.hostReady;
  }

  /** `listener` runs (awaited; it must not reject) after every attach and detach. One listener. */
  onPortsChanged(listener: () => Promise<void>): void {
    this.portsChanged = listener;
  }

  async attach(podUid: string): Promise<PodNetworkAttachment> {
    validatePodUid(podUid);
    checkPodNetworkPrivileges();
    return this.locks.run(podUid, async () => {
      try {
        await this.ensureHostOnce();
        const held = await this.ipam.findByPod(podUid);
        const allocation = held === undefined ? await this.attachFresh(podUid) : await this.reattach(held);
        await this.portsChanged?.();
        return attachmentOf(allocation);
      } catch (error) {
        this.hostReady = undefined;
        throw new PodNetworkError(`cannot attach pod ${podUid} to the pod network: ${messageOf(error)}`, {
          cause: error,
        });
      }
    });
  }

  async detach(podUid: string): Promise<void> {
    validatePodUid(podUid);
    checkPodNetworkPrivileges();
    await this.locks.run(podUid, async () => {
      try {
        // Normally one allocation; more only if an earlier agent crashed mid-attach in an odd place.
        for (const allocation of (await this.ipam.list()).filter((a) => a.podUid === podUid)) {
          await tearDownPod(allocation);
          await this.ipam.release(allocation.ip, podUid);
        }
        await this.portsChanged?.();
      } catch (error) {
        throw new PodNetworkError(`cannot detach pod ${podUid} from the pod network: ${messageOf(error)}`, {
          cause: error,
        });
      }
    });
  }

  async existing(): Promise<Map<string, PodNetworkAttachment>> {
    checkPodNetworkPrivileges();
    const attachments = new Map<string, PodNetworkAttachment>();
    for (const listed of await this.ipam.list()) {
      await this.locks.run(listed.podUid, async () => {
        // Re-read under the pod's lock: a concurrent detach or attach may have changed the file.
        const allocation = await this.ipam.read(listed.ip);
        if (allocation === undefined || allocation.podUid !== listed.podUid) return;
        const { netnsName } = allocation;
        if ((await netnsExists(netnsName)) && (await netnsBelongsTo(netnsName, allocation.ip))) {
          if (!attachments.has(allocation.podUid)) attachments.set(allocation.podUid, attachmentOf(allocation));
          return;
        }
        // The namespace is gone (host rebooted, or removed by hand) or its name now belongs to
        // someone else: the entry is stale. Free the IP; the agent re-attaches pods it still runs.
        if (!(await netnsExists(netnsName))) {
          // A process may still hold the nameless namespace; its eth0 would carry this IP and MAC onto the bridge.
          await ignoreNotFound(runIp(['link', 'delete', 'dev', hostVethName(netnsName)]));
        }
        await this.ipam.release(allocation.ip, allocation.podUid);
      });
    }
    return attachments;
  }

  /** First attach of a pod: claim an IP and a namespace name, then plumb; undo everything on failure. */
  private async attachFresh(podUid: string): Promise<IpAllocation> {
    const taken = new Set((await this.ipam.list()).map((a) => a.netnsName));
    let allocation = await this.ipam.allocate(podUid, await this.freeNetnsName(podUid, taken));
    const progress = { claimed: false };
    try {
      // `ip netns add` is the atomic claim of a name; losing means another pod (here or in another
      // agent) with the same 12-character uid prefix got there first.
      while (!(await createNetnsAndPlumb(this, allocation, progress))) {
        taken.add(allocation.netnsName);
        allocation = { ...allocation, netnsName: await this.freeNetnsName(podUid, taken) };
        await this.ipam.update(allocation);
      }
      return allocation;
    } catch (error) {
      if (progress.claimed) await tearDownPod(allocation).catch(() => undefined);
      await this.ipam.release(allocation.ip, podUid).catch(() => undefined);
      throw error;
    }
  }

  /** The pod already holds an IP: keep it, and make sure its namespace and veth are (still) in place. */
  private async reattach(held: IpAllocation): Promise<IpAllocation> {
    const taken = new Set((await this.ipam.list()).filter((a) => a.podUid !== held.podUid).map((a) => a.netnsName));
    let allocation = held;
    for (;;) {
      if (await createNetns(allocation.netnsName)) {
        // The namespace was gone (e.g. after a reboot): rebuild it with the same IP.
        await plumbPod(this, allocation, 'fresh');
        return allocation;
      }
      if (await netnsBelongsTo(allocation.netnsName, allocation.ip)) {
        if (!(await isPodHealthy(this, allocation))) await plumbPod(this, allocation, 'repair');
        return allocation;
      }
      // Our namespace vanished and another agent's pod took the name meanwhile: move to another name.
      taken.add(allocation.netnsName);
      allocation = { ...allocation, netnsName: await this.freeNetnsName(held.podUid, taken) };
      await this.ipam.update(allocation);
    }
  }

  private async freeNetnsName(podUid: string, taken: ReadonlySet<string>): Promise<string> {
    for (let attempt = 0; attempt < MAX_NETNS_CANDIDATES; attempt += 1) {
      const name = netnsCandidateName(podUid, attempt);
      if (!taken.has(name) && !(await netnsExists(name))) return name;
    }
    throw new PodNetworkError(
      `all ${MAX_NETNS_CANDIDATES} namespace names for pod ${podUid} (${netnsBaseName(podUid)}, ` +
        `${netnsBaseName(podUid)}-1, …) are taken; remove stale namespaces (ip netns list; ip netns delete NAME)`,
    );
  }
}

function attachmentOf(allocation: IpAllocation): PodNetworkAttachment {
  return { netnsPath: netnsPath(allocation.netnsName), ip: allocation.ip };
}

function validatePodUid(podUid: string): void {
  if (typeof podUid !== 'string' || podUid.trim() === '') {
    throw new PodNetworkError('pod uid must be a non-empty string');
  }
}
