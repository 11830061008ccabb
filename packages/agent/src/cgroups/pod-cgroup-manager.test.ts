// The pod cgroup manager against the host's real cgroupfs (v1): needs root
// (skipped otherwise, failing under CI). Everything lives below a
// /skiff/test-<random> parent, removed afterwards even on failure.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '@skiff/api';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceCgroupDirs } from '../runtime/test-cleanup.js';
import { PodCgroupManager } from './pod-cgroup-manager.js';

const MI = 1024 * 1024;

function pod(uid: string, resources?: Container['resources']): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: uid, uid },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] },
  };
}

describe.skipIf(skipUnlessRoot())('PodCgroupManager (real cgroupfs)', () => {
  const instance = `test-${randomBytes(4).toString('hex')}`;
  const manager = new PodCgroupManager({ instanceName: instance, allocatable: { memoryBytes: 300 * MI, cpuMillis: 1500 } });

  afterAll(async () => {
    await manager.removeAll().catch(() => undefined);
    const { spawnSync } = await import('node:child_process');
    for (const dir of (await instanceCgroupDirs(instance)).reverse()) spawnSync('rmdir', [dir]);
  });

  const read = async (controller: 'memory' | 'cpu', name: string, file: string): Promise<string> => {
    const dir = await manager.dir(controller, name);
    if (!dir) throw new Error(`no ${controller} hierarchy`);
    return (await readFile(join(dir, file), 'utf8')).trim();
  };

  it('kubepods is limited to the allocatable memory and weighted by its cpu; besteffort gets 2 shares', async () => {
    await manager.updateClasses([]);
    expect(await read('memory', 'kubepods', 'memory.limit_in_bytes')).toBe(String(300 * MI));
    expect(await read('cpu', 'kubepods', 'cpu.shares')).toBe('1536');
    expect(await read('cpu', 'kubepods/besteffort', 'cpu.shares')).toBe('2');
    expect(await read('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('2');
  });

  it("sizes each pod's cgroup under its class, the burstable class by its pods' requests, and removes them", async () => {
    const pods = [
      pod('g1', { limits: { cpu: '500m', memory: '64Mi' } }),
      pod('b1', { requests: { cpu: '250m', memory: '16Mi' }, limits: { memory: '32Mi' } }),
      pod('b2', { requests: { cpu: '250m' } }),
      pod('e1'),
    ];
    for (const p of pods) await manager.ensure(p);
    await manager.updateClasses([...pods, { ...pod('done', { requests: { cpu: '4' } }), status: { phase: 'Succeeded' } }]);
    expect(await read('memory', 'kubepods/podg1', 'memory.limit_in_bytes')).toBe(String(64 * MI));
    expect(await read('cpu', 'kubepods/podg1', 'cpu.shares')).toBe('512');
    expect(await read('cpu', 'kubepods/podg1', 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read('memory', 'kubepods/burstable/podb1', 'memory.limit_in_bytes')).toBe(String(32 * MI));
    expect(await read('cpu', 'kubepods/burstable/podb1', 'cpu.shares')).toBe('256');
    expect(await read('cpu', 'kubepods/burstable/podb1', 'cpu.cfs_quota_us')).toBe('-1');
    expect(await read('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('512');
    expect(await read('cpu', 'kubepods/besteffort/pode1', 'cpu.shares')).toBe('2');
    expect((await manager.existing()).sort()).toEqual(['b1', 'b2', 'e1', 'g1']);

    await manager.remove('b2');
    await manager.updateClasses(pods.filter((p) => p.metadata.uid !== 'b2'));
    expect(await read('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('256');
    expect(existsSync((await manager.dir('memory', 'kubepods/burstable/podb2')) ?? '/nonexistent')).toBe(false);

    // A restarted agent (a new manager) finds the same cgroups and rewrites the same values; the
    // burstable class keeps its shares until the whole set of pods is known.
    const again = new PodCgroupManager({ instanceName: instance, allocatable: { memoryBytes: 300 * MI, cpuMillis: 1500 } });
    await again.ensure(pod('b1', { requests: { cpu: '250m', memory: '16Mi' }, limits: { memory: '32Mi' } }));
    expect(await read('memory', 'kubepods/burstable/podb1', 'memory.limit_in_bytes')).toBe(String(32 * MI));
    expect(await read('cpu', 'kubepods/burstable', 'cpu.shares')).toBe('256');

    await manager.removeAll();
    expect(await instanceCgroupDirs(instance)).toEqual([]);
  });
});
