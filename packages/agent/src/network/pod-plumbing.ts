// One pod's piece of the pod network: its namespace, the veth pair from it to
// the bridge, its address and default route — made, checked and removed. The
// IPAM decides which namespace name and IP a pod gets; this only wires them.

import { stat } from 'node:fs/promises';
import { isRecord, messageOf } from '@skiff/api';
import type { HostNetwork } from './host-safety.js';
import { ignoreNotFound, isAlreadyExists, isNotFound, runIp, runIpJson } from './ip-command.js';
import { hasFlag, hasIpv4, linkNamed } from './ip-output.js';
import type { IpAllocation } from './ipam.js';
import { hostVethName, netnsPath, podMacAddress } from './pod-network-names.js';
import { PodNetworkError, step } from './pod-network-error.js';

/** What a pod is wired to: the bridge its veth joins, its default gateway, and its on-link prefix. */
export type PodWiring = Pick<HostNetwork, 'bridgeName' | 'gateway' | 'clusterCidr'> & { readonly mtu?: number | undefined };

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
  const { netnsName: ns, ip } = allocation;
  const veth = hostVethName(ns);
  const inPod = (args: readonly string[]): Promise<string> => runIp(['-netns', ns, ...args]);
  // Fresh namespaces are empty, but a same-named host veth can survive from a crashed attempt.
  await ignoreNotFound(runIp(['link', 'delete', 'dev', veth]));
  if (mode === 'repair') await ignoreNotFound(inPod(['link', 'delete', 'dev', 'eth0']));
  const mtu = wiring.mtu === undefined ? [] : ['mtu', String(wiring.mtu)];
  await step(`creating veth pair ${veth} <-> ${ns}:eth0`, () =>
    runIp(['link', 'add', 'name', veth, ...mtu, 'type', 'veth', 'peer', 'name', 'eth0', ...mtu, 'address', podMacAddress(ip), 'netns', ns]),
  );
  await step(`attaching ${veth} to bridge ${wiring.bridgeName}`, () =>
    runIp(['link', 'set', 'dev', veth, 'master', wiring.bridgeName, 'up']),
  );
  // Hairpin: a pod that reaches its own Service is DNATed back to itself by the service proxy,
  // and that frame must leave by the bridge port it came in on (kubelet's hairpin-veth mode).
  await step(`turning on hairpin mode on ${veth}`, () => runIp(['link', 'set', 'dev', veth, 'type', 'bridge_slave', 'hairpin', 'on']));
  await step(`bringing up loopback in ${ns}`, () => inPod(['link', 'set', 'dev', 'lo', 'up']));
  // The pod's prefix is the whole cluster CIDR, not the node's slice: pods of other agents sharing
  // this bridge are then on-link (plain layer 2), which matters because the host never forwards.
  const podAddress = `${ip}/${wiring.clusterCidr.prefix}`;
  await step(`adding ${podAddress} to eth0 in ${ns}`, () => inPod(['address', 'add', podAddress, 'dev', 'eth0']));
  await step(`bringing up eth0 in ${ns}`, () => inPod(['link', 'set', 'dev', 'eth0', 'up']));
  await step(`adding the default route via ${wiring.gateway} in ${ns}`, () =>
    inPod(['route', 'replace', 'default', 'via', wiring.gateway, 'dev', 'eth0']),
  );
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
