// A node in miniature for the service proxy's suite and benchmark: a "host" network
// namespace with a bridge (the pods' gateway), "pod" namespaces on it each
// running `busybox httpd` that answers with the pod's name, a client pod, and
// an "outside" namespace joined to the host by a veth of its own (for
// NodePort). Everything lives in namespaces made here: nothing of 10.x is
// added to the root namespace except a blackhole route for the subnet, so a
// mistaken request from this process goes nowhere. destroy() removes it all
// (the namespaces take the proxy's nftables table with them).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { runCommand, type CommandResult } from './run-command.js';
import { waitFor } from './wait-for.js';

export const TOPOLOGY_SUBNET = '10.233.0.0/16';
const BLACKHOLE_METRIC = '4233';

export interface ProxyPod {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
}

export interface ProxyTopology {
  /** The node's namespace: the bridge, the proxy's table, the route for the service CIDR. */
  readonly hostNetns: string;
  readonly bridge: string;
  readonly gateway: string;
  /** The node's address on the outside link (NodePort is reached there). */
  readonly hostAddress: string;
  readonly podCidr: string;
  /** Pods with httpd on port 80 (index.html = their name). */
  readonly pods: readonly ProxyPod[];
  /** A pod without a server, for client requests. */
  readonly client: ProxyPod;
  /** A namespace outside the node, on a veth to hostAddress. */
  readonly outsideNetns: string;
  /** Runs in a namespace: `busybox wget` of url; the body, or undefined with the error in `error`. */
  get(netns: string, url: string): Promise<{ body?: string; error?: string }>;
  run(netns: string, command: string, args: readonly string[]): Promise<CommandResult>;
  /** A long-running process inside a namespace (stopped by destroy()). */
  spawn(netns: string, name: string, command: string, args: readonly string[]): ManagedProcess;
  destroy(): Promise<void>;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function createProxyTopology(options: { pods: number; third: number }): Promise<ProxyTopology> {
  const id = randomBytes(3).toString('hex');
  const prefix = `spx${id}`;
  const hostNetns = `${prefix}-host`;
  const outsideNetns = `${prefix}-out`;
  const bridge = 'br0';
  const base = `10.233.${options.third}`;
  const gateway = `${base}.1`;
  const hostAddress = `10.233.${options.third + 100}.1`;
  const outsideAddress = `10.233.${options.third + 100}.2`;
  const namespaces: string[] = [];
  const processes: ManagedProcess[] = [];
  const www = mkdtempSync(join(tmpdir(), 'skiff-proxy-www-'));
  let addedBlackhole = false;

  const destroy = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop(2_000)));
    for (const netns of namespaces.reverse()) {
      try {
        ip(['netns', 'delete', netns]);
      } catch {
        // Already gone.
      }
    }
    if (addedBlackhole) {
      try {
        ip(['route', 'del', 'blackhole', TOPOLOGY_SUBNET, 'metric', BLACKHOLE_METRIC]);
      } catch {
        // Removed by someone else.
      }
    }
    rmSync(www, { recursive: true, force: true });
  };

  const spawn = (netns: string, name: string, command: string, args: readonly string[]): ManagedProcess => {
    const child = startProcess({ name, command: 'nsenter', args: [`--net=/run/netns/${netns}`, '--', command, ...args] });
    processes.push(child);
    return child;
  };

  try {
    try {
      ip(['route', 'add', 'blackhole', TOPOLOGY_SUBNET, 'metric', BLACKHOLE_METRIC]);
      addedBlackhole = true;
    } catch {
      // Another suite's topology holds it.
    }
    const addNetns = (name: string): void => {
      ip(['netns', 'add', name]);
      namespaces.push(name);
      ip(['-n', name, 'link', 'set', 'lo', 'up']);
    };
    addNetns(hostNetns);
    ip(['-n', hostNetns, 'link', 'add', bridge, 'type', 'bridge']);
    ip(['-n', hostNetns, 'address', 'add', `${gateway}/24`, 'dev', bridge]);
    ip(['-n', hostNetns, 'link', 'set', bridge, 'up']);
    // A node forwards pod traffic the proxy DNATs (the overlay's job on a real node).
    execFileSync('ip', ['netns', 'exec', hostNetns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);

    const addPod = (index: number, name: string): ProxyPod => {
      const netns = `${prefix}-${name}`;
      addNetns(netns);
      const hostEnd = `v${index}${id}`;
      ip(['link', 'add', hostEnd, 'netns', hostNetns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      // Hairpin: a pod's own packets, DNATed back to it by the host, may leave by the port they came in on.
      ip(['-n', hostNetns, 'link', 'set', hostEnd, 'master', bridge, 'up']);
      ip(['-n', hostNetns, 'link', 'set', hostEnd, 'type', 'bridge_slave', 'hairpin', 'on']);
      const podIp = `${base}.${10 + index}`;
      ip(['-n', netns, 'address', 'add', `${podIp}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', netns, 'route', 'add', 'default', 'via', gateway]);
      return { name, netns, ip: podIp };
    };
    const pods: ProxyPod[] = [];
    for (let i = 1; i <= options.pods; i += 1) {
      const pod = addPod(i, `pod${i}`);
      const dir = join(www, pod.name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'index.html'), pod.name);
      spawn(pod.netns, `httpd-${pod.name}`, 'busybox', ['httpd', '-f', '-p', '80', '-h', dir]);
      pods.push(pod);
    }
    const client = addPod(options.pods + 1, 'client');

    addNetns(outsideNetns);
    const outsideEnd = `o${id}`;
    ip(['link', 'add', outsideEnd, 'netns', hostNetns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outsideNetns]);
    ip(['-n', hostNetns, 'address', 'add', `${hostAddress}/30`, 'dev', outsideEnd]);
    ip(['-n', hostNetns, 'link', 'set', outsideEnd, 'up']);
    ip(['-n', outsideNetns, 'address', 'add', `${outsideAddress}/30`, 'dev', 'eth0']);
    ip(['-n', outsideNetns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', outsideNetns, 'route', 'add', 'default', 'via', hostAddress]);

    const run = (netns: string, command: string, args: readonly string[]): Promise<CommandResult> => runCommand(command, args, { netns, timeoutMs: 15_000 });
    const get = async (netns: string, url: string): Promise<{ body?: string; error?: string }> => {
      const result = await run(netns, 'timeout', ['3', 'busybox', 'wget', '-q', '-O-', url]);
      return result.code === 0 ? { body: result.stdout.trim() } : { error: result.stderr.trim() || `exit ${result.code}` };
    };
    for (const pod of pods) {
      await waitFor(async () => (await get(client.netns, `http://${pod.ip}/`)).body === pod.name, { timeoutMs: 10_000, description: `${pod.name}'s httpd to answer` });
    }
    return { hostNetns, bridge, gateway, hostAddress, podCidr: `${base}.0/24`, pods, client, outsideNetns, get, run, spawn, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
