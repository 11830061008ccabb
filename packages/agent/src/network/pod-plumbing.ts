// One pod's piece of the pod network: its namespace, the veth pair from it to
// the bridge, its address and default route — made, checked and removed. The
// IPAM decides which namespace name and IP a pod gets; this only wires them.

import { stat } from 'node:fs/promises';
import { isRecord, messageOf } from '@skiff/api/core';
import type { HostNetwork } from './host-safety.js';
import { ignoreNotFound, IpBatchError, isAlreadyExists, isNotFound, runIp, runIpBatch, runIpJson, type IpBatchInNetns, type IpBatchLine } from './ip-command.js';
import { hasFlag, hasIpv4, linkNamed } from './ip-output.js';
import type { IpAllocation } from './ipam.js';
import { hostVethName, netnsPath, podMacAddress } from './pod-network-names.js';
import { PodNetworkError, step } from './pod-network-error.js';

/** What a pod is wired to: the bridge its veth joins, its default gateway, and its on-link prefix. */
export type PodWiring = Pick<HostNetwork, 'bridgeName' | 'gateway' | 'clusterCidr'> & {
  readonly mtu?: number | undefined;
  /** A directory of the agent's own where a fresh pod's in-namespace `ip` script is written for a moment. */
  readonly scriptDir: string;
};

export async function netnsExists(name: string): Promise<boolean> {
  try {
    await stat(netnsPath(name));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return false;
    throw new PodNetworkError(`cannot check ${netnsPath(name)}: ${messageOf(error)}`, { cause: error });
  }
}

/** `ip netns add`: true if we created it, false if the name already exists. */
export async function createNetns(name: string): Promise<boolean> {
  try {
    await runIp(['netns', 'add', name]);
    return true;
  } catch (error) {
    if (isAlreadyExists(error)) return false;
    throw new PodNetworkError(`creating network namespace ${name}: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Creates the veth pair with its pod end directly inside the namespace (so no
 * half-made device is ever left in the host namespace), puts the host end on
 * the bridge and configures the pod side. 'repair' first removes whatever an
 * interrupted earlier attempt left behind.
 */
export async function plumbPod(wiring: PodWiring, allocation: IpAllocation, mode: 'fresh' | 'repair'): Promise<void> {
  const { netnsName: ns } = allocation;
  if (mode === 'repair') {
    await ignoreNotFound(runIp(['link', 'delete', 'dev', hostVethName(ns)]));
    await ignoreNotFound(runIp(['-netns', ns, 'link', 'delete', 'dev', 'eth0']));
  }
  await plumbHostSide(wiring, allocation, []);
  await plumbPodSide(wiring, allocation);
}

/**
 * A fresh pod in one `ip` process (a fork of the agent blocks its one thread
 * until the child has exec'd, which on a busy host is the slow part): `ip
 * netns add` (the atomic claim of the name), the host end of the veth, then
 * the pod side through one `netns exec NS ip -batch FILE` line, which ip forks itself.
 * False if the name was taken (by another pod here or another agent), with
 * nothing made; on any other failure the namespace may exist (tearDownPod).
 */
export async function createNetnsAndPlumb(wiring: PodWiring, allocation: IpAllocation, progress: { claimed: boolean }): Promise<boolean> {
  const ns = allocation.netnsName;
  const claim: IpBatchLine = { args: ['netns', 'add', ns], what: `creating network namespace ${ns}` };
  return plumbHostSide(wiring, allocation, [claim], progress, { netns: ns, lines: podSideLines(wiring, allocation), scriptDir: wiring.scriptDir });
}

/** The veth pair and its host end on the bridge, after `before`; false if the first line of `before` found its object existing. */
async function plumbHostSide(
  wiring: PodWiring,
  allocation: IpAllocation,
  before: readonly IpBatchLine[],
  progress: { claimed: boolean } = { claimed: false },
  inNetns?: IpBatchInNetns,
): Promise<boolean> {
  const { netnsName: ns, ip } = allocation;
  const veth = hostVethName(ns);
  const mtu = wiring.mtu === undefined ? [] : ['mtu', String(wiring.mtu)];
  const lines: IpBatchLine[] = [
    ...before,
    {
      args: ['link', 'add', 'name', veth, ...mtu, 'type', 'veth', 'peer', 'name', 'eth0', ...mtu, 'address', podMacAddress(ip), 'netns', ns],
      what: `creating veth pair ${veth} <-> ${ns}:eth0`,
    },
    { args: ['link', 'set', 'dev', veth, 'master', wiring.bridgeName, 'up'], what: `attaching ${veth} to bridge ${wiring.bridgeName}` },
    // Hairpin: a pod that reaches its own Service is DNATed back to itself by the service proxy,
    // and that frame must leave by the bridge port it came in on (kubelet's hairpin-veth mode).
    { args: ['link', 'set', 'dev', veth, 'type', 'bridge_slave', 'hairpin', 'on'], what: `turning on hairpin mode on ${veth}` },
  ];
  try {
    await runIpBatch(lines, inNetns ? { inNetns } : {});
    progress.claimed = true;
    return true;
  } catch (error) {
    if (!(error instanceof IpBatchError)) throw new PodNetworkError(`wiring ${ns}: ${messageOf(error)}`, { cause: error });
    // Lines before the failing one ran: the namespace is ours from line 1 on.
    if (error.line > 0) progress.claimed = true;
    if (error.line === 0 && before.length > 0 && isAlreadyExists(error)) return false;
    if (error.line === before.length && isAlreadyExists(error)) {
      // A same-named host veth survived a crashed attempt (fresh namespaces are empty): remove it, then go on from there.
      await ignoreNotFound(runIp(['link', 'delete', 'dev', veth]));
      await step('after removing a stale veth', () => runIpBatch(lines.slice(before.length), inNetns ? { inNetns } : {}));
      return true;
    }
    throw new PodNetworkError(error.message, { cause: error });
  }
}

/** lo and eth0 up, the pod's address and its default route, in one `ip -netns NS -batch`. */
async function plumbPodSide(wiring: PodWiring, allocation: IpAllocation): Promise<void> {
  try {
    await runIpBatch(podSideLines(wiring, allocation), { netns: allocation.netnsName });
  } catch (error) {
    throw new PodNetworkError(messageOf(error), { cause: error });
  }
}

/** The commands inside the pod's namespace. */
function podSideLines(wiring: PodWiring, allocation: IpAllocation): IpBatchLine[] {
  const { netnsName: ns, ip } = allocation;
  // The pod's prefix is the whole cluster CIDR, not the node's slice: pods of other agents sharing
  // this bridge are then on-link (plain layer 2), which matters because the host never forwards.
  const podAddress = `${ip}/${wiring.clusterCidr.prefix}`;
  return [
    { args: ['link', 'set', 'dev', 'lo', 'up'], what: `bringing up loopback in ${ns}` },
    { args: ['address', 'add', podAddress, 'dev', 'eth0'], what: `adding ${podAddress} to eth0 in ${ns}` },
    { args: ['link', 'set', 'dev', 'eth0', 'up'], what: `bringing up eth0 in ${ns}` },
    { args: ['route', 'replace', 'default', 'via', wiring.gateway, 'dev', 'eth0'], what: `adding the default route via ${wiring.gateway} in ${ns}` },
  ];
}

/** Everything plumbPod() sets up is still there: lo and eth0 up with the IP, default route, veth on the bridge. */
export async function isPodHealthy(wiring: PodWiring, allocation: IpAllocation): Promise<boolean> {
  const { netnsName: ns, ip } = allocation;
  try {
    const links = await runIpJson(['-netns', ns, 'address', 'show']);
    const routes = await runIpJson(['-netns', ns, 'route', 'show', 'default']);
    const host = await runIpJson(['link', 'show', 'dev', hostVethName(ns)]);
    if (!Array.isArray(links) || !Array.isArray(routes) || !Array.isArray(host)) return false;
    const eth0 = linkNamed(links, 'eth0');
    const hostEnd: unknown = host[0];
    return (
      hasFlag(linkNamed(links, 'lo'), 'UP') &&
      hasFlag(eth0, 'UP') &&
      hasIpv4(eth0, ip, wiring.clusterCidr.prefix) &&
      (wiring.mtu === undefined || (isRecord(eth0) && eth0['mtu'] === wiring.mtu)) &&
      routes.some((route) => isRecord(route) && route['gateway'] === wiring.gateway && route['dev'] === 'eth0') &&
      isRecord(hostEnd) &&
      hostEnd['master'] === wiring.bridgeName &&
      hasFlag(hostEnd, 'UP')
    );
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Whether an existing namespace is this pod's: it is if its eth0 holds the
 * pod's IP (unique to this node's slice), or if it has no devices besides lo
 * yet (created by an attach that was interrupted before plumbing).
 */
export async function netnsBelongsTo(netnsName: string, ip: string): Promise<boolean> {
  const links = await step(`inspecting network namespace ${netnsName}`, () =>
    runIpJson(['-netns', netnsName, 'address', 'show']),
  );
  if (!Array.isArray(links)) return false;
  const devices = links.filter((link) => !(isRecord(link) && link['ifname'] === 'lo'));
  if (devices.length === 0) return true;
  return devices.some((link) => isRecord(link) && link['ifname'] === 'eth0' && hasIpv4(link, ip));
}

/** Removes the pod's veth and namespace if they are this pod's; missing pieces are fine (idempotent). */
export async function tearDownPod(allocation: IpAllocation): Promise<void> {
  const { netnsName: ns, ip } = allocation;
  const veth = hostVethName(ns);
  if (await netnsExists(ns)) {
    // The name may have passed to another agent's pod after ours vanished: leave theirs alone.
    if (!(await netnsBelongsTo(ns, ip))) return;
    // Deleting the veth destroys both ends at once, even while a container process still holds the namespace.
    await step(`deleting veth ${veth}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', veth])));
    await step(`deleting network namespace ${ns}`, () => ignoreNotFound(runIp(['netns', 'delete', ns])));
  } else {
    await step(`deleting veth ${veth}`, () => ignoreNotFound(runIp(['link', 'delete', 'dev', veth])));
  }
}
