import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CgroupHierarchy } from '../runtime/cgroup-fs.js';
import { resourceMetricsRegistry } from './prometheus-metrics.js';
import { resourceMetricsMessage } from './resource-metrics-service.js';
import { ResourceSampler } from './resource-sampler.js';

const UID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', uid: UID, labels: { app: 'web' } },
  spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }] },
};

/** A fixture cgroupfs: one cpuacct and one memory hierarchy in a temp dir, the pod's containers below the agent's parent. */
class FixtureCgroups {
  constructor(readonly root: string) {}
  hierarchies(): CgroupHierarchy[] {
    return [
      { mountPoint: join(this.root, 'cpuacct'), version: 1, controllers: ['cpuacct'], root: '/' },
      { mountPoint: join(this.root, 'memory'), version: 1, controllers: ['memory'], root: '/' },
    ];
  }
  async set(cgroup: string, cpuNanos: bigint, usageBytes: number, inactiveFile: number, procs = '1234\n'): Promise<void> {
    const cpu = join(this.root, 'cpuacct', cgroup);
    const memory = join(this.root, 'memory', cgroup);
    await mkdir(cpu, { recursive: true });
    await mkdir(memory, { recursive: true });
    await writeFile(join(cpu, 'cpuacct.usage'), `${cpuNanos}\n`);
    await writeFile(join(memory, 'memory.usage_in_bytes'), `${usageBytes}\n`);
    await writeFile(join(memory, 'memory.stat'), `total_cache 0\ntotal_inactive_file ${inactiveFile}\n`);
    await writeFile(join(memory, 'cgroup.procs'), procs);
  }
}

const podDir = `skiff/n1/kubepods/besteffort/pod${UID}`;

describe('ResourceSampler', () => {
  let dir: string;
  let cgroups: FixtureCgroups;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-sampler-'));
    cgroups = new FixtureCgroups(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes rates from two readings, takes each container’s newest attempt, skips stopped ones', async () => {
    let now = 10_000;
    const sampler = new ResourceSampler({ instanceName: 'n1', pods: () => [POD], now: () => now, hierarchies: async () => cgroups.hierarchies() });
    await cgroups.set('', 100_000_000_000n, 2_000_000_000, 500_000_000, '');
    await cgroups.set(`${podDir}/${UID}-app-0`, 5_000_000_000n, 1, 0, ''); // the restarted container's old cgroup
    await cgroups.set(`${podDir}/${UID}-app-1`, 1_000_000_000n, 30_000_000, 10_000_000);
    await cgroups.set(`${podDir}/${UID}-side-0`, 50_000_000n, 8_000_000, 0, '');
    await sampler.sample();
    expect(sampler.node).toBeUndefined();
    expect(sampler.pods).toEqual([]);

    now += 5_000;
    await cgroups.set('', 105_000_000_000n, 2_100_000_000, 500_000_000, '');
    await cgroups.set(`${podDir}/${UID}-app-1`, 2_000_000_000n, 40_000_000, 10_000_000);
    await sampler.sample();
    expect(sampler.node).toEqual({ atMs: 15_000, windowMs: 5_000, cpuNanoCores: 1_000_000_000, workingSetBytes: 1_600_000_000, cpuSecondsTotal: 105 });
    expect(sampler.pods).toEqual([
      {
        namespace: 'shop',
        name: 'web',
        uid: UID,
        labels: { app: 'web' },
        atMs: 15_000,
        windowMs: 5_000,
        // side has no processes (exited): not reported, as metrics-server reports running containers only.
        containers: [{ name: 'app', restartCount: 1, atMs: 15_000, windowMs: 5_000, cpuNanoCores: 200_000_000, workingSetBytes: 30_000_000, cpuSecondsTotal: 2 }],
      },
    ]);

    const message = resourceMetricsMessage(sampler);
    expect(message.node).toEqual({ timestamp: new Date(15_000).toISOString(), window_ms: 5_000, cpu_nano_cores: '1000000000', memory_working_set_bytes: '1600000000' });
    expect(message.pods?.[0]?.containers?.[0]).toEqual({
      name: 'app',
      usage: { timestamp: new Date(15_000).toISOString(), window_ms: 5_000, cpu_nano_cores: '200000000', memory_working_set_bytes: '30000000' },
    });

    const text = await resourceMetricsRegistry(sampler).metrics();
    expect(text).toContain('container_cpu_usage_seconds_total{namespace="shop",pod="web",container="app"} 2');
    expect(text).toContain('container_memory_working_set_bytes{namespace="shop",pod="web",container="app"} 30000000');
    expect(text).toContain('kube_pod_container_status_restarts_total{namespace="shop",pod="web",container="app"} 1');
    expect(text).toContain('pod_memory_working_set_bytes{namespace="shop",pod="web"} 30000000');
    expect(text).toContain('node_cpu_usage_seconds_total 105');
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter');
  });

  it('restarts the window of a cgroup whose counter went backwards (a new cgroup of the same name)', async () => {
    let now = 0;
    const sampler = new ResourceSampler({ instanceName: 'n1', pods: () => [POD], now: () => now, hierarchies: async () => cgroups.hierarchies() });
    await cgroups.set(`${podDir}/${UID}-app-1`, 9_000_000_000n, 1_000, 0);
    await sampler.sample();
    now += 5_000;
    await cgroups.set(`${podDir}/${UID}-app-1`, 1_000_000n, 1_000, 0);
    await sampler.sample();
    expect(sampler.pods).toEqual([]);
    now += 1_000;
    await cgroups.set(`${podDir}/${UID}-app-1`, 101_000_000n, 1_000, 0);
    await sampler.sample();
    expect(sampler.pods[0]?.containers[0]?.cpuNanoCores).toBe(100_000_000);
  });
});
