// A cluster of runc agents with a local registry holding the busybox test
// image, for one test file; everything is stopped afterwards, even on failure.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import {
  buildBusyboxImage,
  startLocalCluster,
  startRegistry,
  waitFor,
  type AgentOptions,
  type LocalCluster,
  type RunningRegistry,
} from '@skiff/testkit';
import { afterAll, beforeAll } from 'vitest';

export interface RuncCluster {
  readonly cluster: LocalCluster;
  /** REGISTRY/skiff/busybox:latest */
  readonly image: string;
}

export function useRuncCluster(agents: readonly AgentOptions[], controlPlaneArgs: readonly string[] = []): () => RuncCluster {
  let fixture: RuncCluster | undefined;
  let cluster: LocalCluster | undefined;
  let registry: RunningRegistry | undefined;
  let workDir: string | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'skiff-runc-'));
    registry = await startRegistry();
    const image = (await buildBusyboxImage(join(workDir, 'image'), registry.address)).reference ?? '';
    cluster = await startLocalCluster({ controlPlaneArgs });
    for (const agent of agents) await cluster.addAgent(agent);
    fixture = { cluster, image };
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await registry?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 180_000);

  return () => {
    if (!fixture) throw new Error('the runc cluster is only available inside tests');
    return fixture;
  };
}

/** Waits for the pod `name` (namespace default) to be Running, as ctl reports it. */
export async function waitForRunningPod(cluster: LocalCluster, name: string, timeoutMs = 90_000): Promise<Pod> {
  return waitFor(
    async () => {
      const result = await cluster.ctl(['get', 'pod', name, '-o', 'json']);
      const pod = result.code === 0 ? (JSON.parse(result.stdout) as Pod) : undefined;
      return pod?.status?.phase === 'Running' ? pod : undefined;
    },
    { timeoutMs, intervalMs: 250, description: `pod ${name} Running` },
  );
}
