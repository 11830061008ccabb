// What the multi-host suites share: a loopback registry holding the busybox
// test image, a cluster of hosts in network namespaces that pulls it over the
// LAN relay, and ctl as the admin that fails loudly. stop() removes all of it,
// whatever state a test left.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import { buildBusyboxImage, skipUnlessRoot, startMultiHostCluster, startRegistry, waitFor, type MultiHostCluster, type MultiHostClusterOptions, type RunningRegistry } from '@skiff/testkit';
import { afterAll, beforeAll } from 'vitest';

export interface BusyboxHosts {
  readonly cluster: MultiHostCluster;
  /** REGISTRY-ON-THE-LAN/skiff/busybox:latest */
  readonly image: string;
  /** A scratch directory of the suite's, removed by stop(). */
  readonly workDir: string;
  stop(): Promise<void>;
}

export async function startBusyboxHosts(name: string, options: Omit<MultiHostClusterOptions, 'registry'>): Promise<BusyboxHosts> {
  const workDir = await mkdtemp(join(tmpdir(), `skiff-${name}-`));
  let registry: RunningRegistry | undefined;
  let cluster: MultiHostCluster | undefined;
  const stop = async (): Promise<void> => {
    try {
      await cluster?.stop();
    } finally {
      await registry?.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  };
  try {
    registry = await startRegistry();
    await buildBusyboxImage(join(workDir, 'image'), registry.address);
    cluster = await startMultiHostCluster({ ...options, registry: registry.address });
    return { cluster, image: `${cluster.registry ?? ''}/skiff/busybox:latest`, workDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** ctl as the admin inside the control-plane host; its stdout, or an error with its stderr. */
export async function ctlOrThrow(cluster: MultiHostCluster, args: readonly string[], stdin?: string, timeoutMs?: number): Promise<string> {
  const result = await cluster.ctl(args, { ...(stdin === undefined ? {} : { stdin }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  if (result.code !== 0) throw new Error(`ctl ${args.join(' ')} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout;
}

/** What a suite on busybox hosts uses: whether it must skip (never under CI), its cluster, its image, its scratch directory, ctl. */
export interface BusyboxSuite {
  readonly skip: boolean;
  cluster(): MultiHostCluster;
  /** REGISTRY-ON-THE-LAN/skiff/busybox:latest */
  image(): string;
  /** The suite's scratch directory, removed after the suite. */
  workDir(): string;
  /** ctlOrThrow on the suite's cluster. */
  ctl(args: readonly string[], stdin?: string, timeoutMs?: number): Promise<string>;
}

export interface BusyboxSuiteOptions {
  /** Commands the suite needs besides those of the hosts (runc, conmon, etcd, nsenter, nft, docker-registry, skopeo); it skips without them. */
  readonly requires?: readonly string[];
  /** Stops what the suite started beside the hosts, after its tests; the hosts are removed after it, even when it throws. */
  readonly beforeStop?: () => Promise<void>;
}

/**
 * Starts busybox hosts before the suite's tests and removes them after (root
 * only: skipUnlessRoot). The suite's own beforeAll hooks, registered after
 * this call, run once the hosts are up.
 */
export function useBusyboxHosts(name: string, options: Omit<MultiHostClusterOptions, 'registry'>, suite: BusyboxSuiteOptions = {}): BusyboxSuite {
  const skip = skipUnlessRoot({ commands: ['runc', 'conmon', 'etcd', 'nsenter', 'nft', 'docker-registry', 'skopeo', ...(suite.requires ?? [])], files: ['/bin/busybox'] });
  let hosts: BusyboxHosts | undefined;
  beforeAll(async () => {
    if (skip) return;
    hosts = await startBusyboxHosts(name, options);
  }, 180_000);
  afterAll(async () => {
    try {
      await suite.beforeStop?.();
    } finally {
      await hosts?.stop();
    }
  }, 180_000);
  const started = (): BusyboxHosts => {
    if (!hosts) throw new Error('the cluster did not start');
    return hosts;
  };
  return {
    skip,
    cluster: () => started().cluster,
    image: () => started().image,
    workDir: () => started().workDir,
    ctl: (args, stdin, timeoutMs) => ctlOrThrow(started().cluster, args, stdin, timeoutMs),
  };
}

/** Waits for pod `namespace/name` to run with an IP, read through ctl. */
export async function runningPod(cluster: MultiHostCluster, name: string, namespace = 'default'): Promise<Pod> {
  return waitFor(
    async () => {
      const pod = JSON.parse(await ctlOrThrow(cluster, ['get', 'pod', name, '-n', namespace, '-o', 'json'])) as Pod;
      return pod.status?.phase === 'Running' && pod.status.podIP ? pod : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 300, description: `pod ${namespace}/${name} running with an IP` },
  );
}

/** The pod's network namespace, as its agent's IPAM file (network/<ip>) names it; throws if that file is another pod's. */
export function podNetns(cluster: MultiHostCluster, pod: Pod): string {
  const host = cluster.host(pod.spec.nodeName ?? '');
  const allocation = JSON.parse(readFileSync(join(host.agent.stateDir, 'network', pod.status?.podIP ?? ''), 'utf8')) as { podUid: string; netnsName: string };
  if (allocation.podUid !== pod.metadata.uid) throw new Error(`the IPAM file of ${pod.status?.podIP ?? ''} names pod ${allocation.podUid}, not ${pod.metadata.uid ?? ''}`);
  return allocation.netnsName;
}
