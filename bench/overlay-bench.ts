// npm run bench:overlay — TCP throughput from a pod on one host to a pod on
// another over the VXLAN overlay, beside the reference measured in the same
// run: host to host over the same LAN (the veths and the LAN bridge the
// tunnel runs on). Two agent hosts of the multi-host harness (network
// namespaces on this machine, runc agents); iperf3 runs inside the pods'
// network namespaces (and the hosts' for the reference), never in the root
// namespace. Rounds alternate reference and overlay; medians are reported.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { buildBusyboxImage, inNetworkNamespace, runCommand, startMultiHostCluster, startProcess, startRegistry, waitFor, type MultiHostCluster } from '@skiff/testkit';
import { fixed } from './bench-support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PORT = 5201;

interface Endpoint {
  /** Network namespace to run iperf3 in. */
  readonly netns: string;
  readonly address: string;
}

/** One iperf3 run from `client` to `server`: received bits per second. */
async function iperf(client: Endpoint, server: Endpoint): Promise<number> {
  const listener = startProcess({ name: 'iperf3-server', ...inNetworkNamespace(server.netns, 'iperf3', ['-s', '-1', '--forceflush', '-B', server.address, '-p', String(PORT)]) });
  try {
    await listener.waitForLine(/Server listening/, 10_000);
    const result = await runCommand('iperf3', ['-c', server.address, '-p', String(PORT), '-t', String(SECONDS), '-J'], { netns: client.netns, timeoutMs: (SECONDS + 20) * 1000 });
    if (result.code !== 0) throw new Error(`iperf3 -c ${server.address} failed: ${result.stdout.slice(0, 400)} ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second;
  } finally {
    await listener.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const pinned = (name: string, node: string, image: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeSelector: { kubernetes.io/hostname: ${node} }
  terminationGracePeriodSeconds: 1
  containers: [{ name: main, image: "${image}", command: ["/bin/sh", "-c", "exec sleep 100000"] }]
`;

async function podEndpoint(cluster: MultiHostCluster, name: string): Promise<Endpoint> {
  const pod = await waitFor(
    async () => {
      const result = await cluster.ctl(['get', 'pod', name, '-o', 'json']);
      const parsed = result.code === 0 ? (JSON.parse(result.stdout) as Pod) : undefined;
      return parsed?.status?.phase === 'Running' && parsed.status.podIP ? parsed : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, description: `pod ${name} running` },
  );
  const ip = pod.status?.podIP ?? '';
  const host = cluster.host(pod.spec.nodeName ?? '');
  const allocation = JSON.parse(await readFile(join(host.agent.stateDir, 'network', ip), 'utf8')) as { netnsName: string };
  return { netns: allocation.netnsName, address: ip };
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'skiff-overlay-bench-'));
  const registry = await startRegistry();
  let cluster: MultiHostCluster | undefined;
  try {
    await buildBusyboxImage(join(workDir, 'image'), registry.address);
    cluster = await startMultiHostCluster({ hosts: 2, registry: registry.address, agent: { cpu: '2', memory: '2Gi' } });
    const image = `${cluster.registry ?? ''}/skiff/busybox:latest`;
    for (const [name, node] of [['bench-a', 'node-1'], ['bench-b', 'node-2']] as const) {
      const applied = await cluster.ctl(['apply', '-f', '-'], { stdin: pinned(name, node, image) });
      if (applied.code !== 0) throw new Error(applied.stderr);
    }
    const podA = await podEndpoint(cluster, 'bench-a');
    const podB = await podEndpoint(cluster, 'bench-b');
    const [host1, host2] = [cluster.host('node-1'), cluster.host('node-2')];
    const hostA = { netns: host1.netns, address: host1.lanAddress };
    const hostB = { netns: host2.netns, address: host2.lanAddress };
    // `ip`, not /sys: nsenter switches only the network namespace, and /sys stays the root namespace's.
    const [link] = JSON.parse((await runCommand('ip', ['-json', 'link', 'show', 'dev', 'eth0'], { netns: podA.netns })).stdout) as { mtu: number }[];
    const mtu = String(link?.mtu ?? '?');

    const reference: number[] = [];
    const overlay: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      reference.push(await iperf(hostA, hostB));
      overlay.push(await iperf(podA, podB));
    }
    // What node-1's send-side fast path carried (packages/agent/src/network/overlay-fast-path.ts): the pod rounds' bytes, or none.
    const carried = await runCommand('nft', ['list', 'chain', 'netdev', 'skiff-overlay-fast', 'to-peers'], { netns: host1.netns });
    const fastBytes = Number(/counter packets \d+ bytes (\d+)/.exec(carried.stdout)?.[1] ?? 0);
    const gbit = (bps: number): string => `${fixed(bps / 1e9, 2)} Gbit/s`;
    const ratio = median(overlay) / median(reference);
    process.stdout.write(
      [
        `overlay benchmark: iperf3 TCP, ${SECONDS} s × ${ROUNDS} rounds each, two hosts on one LAN (network namespaces, veths, a bridge)`,
        `  pod → pod across hosts (VXLAN)   ${gbit(median(overlay))}  (rounds: ${overlay.map(gbit).join(', ')}; pod MTU ${mtu})`,
        `  host → host, same LAN (ref.)     ${gbit(median(reference))}  (rounds: ${reference.map(gbit).join(', ')})`,
        `  ratio overlay ÷ reference        ${fixed(ratio, 2)}  (goal ≥ 0.8); median of the rounds' own ratios ${fixed(median(overlay.map((o, i) => o / (reference[i] ?? Number.NaN))), 2)}`,
        `  node-1 fast path carried         ${fixed(fastBytes / 1e9, 2)} GB; load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} (2 cores)`,
        '',
      ].join('\n'),
    );
  } finally {
    await cluster?.stop();
    await registry.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
