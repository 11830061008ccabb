import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Pod, Secret } from '@skiff/api/core';
import pino from 'pino';
import { skipUnlessRoot } from '@skiff/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PodVolumes } from './pod-volumes.js';
import { unmountBelow } from './tmpfs.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-pod-volumes-'));
});
afterEach(async () => {
  await unmountBelow(dir);
  await rm(dir, { recursive: true, force: true });
});

const objects: { configMaps: Record<string, ConfigMap>; secrets: Record<string, Secret> } = { configMaps: {}, secrets: {} };

function volumes(): PodVolumes {
  return new PodVolumes({
    rootDir: dir,
    context: {
      sources: { configMap: (_ns, name) => Promise.resolve(objects.configMaps[name]), secret: (_ns, name) => Promise.resolve(objects.secrets[name]) },
      allocatable: { cpuMillis: 1000, memoryBytes: 2 ** 30 },
      hostIP: '192.168.1.2',
    },
    log: pino({ level: 'silent' }),
  });
}

function pod(labels: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', labels },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'main',
          image: 'busybox',
          resources: { limits: { memory: '32Mi' } },
          volumeMounts: [
            { name: 'cache', mountPath: '/cache' },
            { name: 'cfg', mountPath: '/etc/app' },
            { name: 'cfg', mountPath: '/etc/one.conf', subPath: 'one.conf' },
            { name: 'info', mountPath: '/info', readOnly: false },
          ],
        },
      ],
      volumes: [
        { name: 'cache', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'app', items: [{ key: 'one', path: 'one.conf', mode: 0o600 }, { key: 'bin', path: 'sub/bin' }] } },
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } }] },
        },
      ],
    },
  } as Pod;
}

// Root: subPath mounts are bind mounts (sub-path.ts).
describe.skipIf(skipUnlessRoot({ commands: ['mount', 'umount'] }))("a pod's volumes on disk", () => {
  it('lays them out as kubelet, follows updates, mounts them (config ones read-only) and tears them down', async () => {
    objects.configMaps['app'] = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', resourceVersion: '1' }, data: { one: 'first' }, binaryData: { bin: Buffer.from([0, 1, 2]).toString('base64') } };
    const pv = volumes();
    const first = pod({ app: 'web' });
    const state = await pv.setUp(first, '10.244.0.5');
    expect(state.failures.size).toBe(0);
    const cfg = join(dir, 'uid-1', 'volumes', 'kubernetes.io~configmap', 'cfg');
    expect(state.dirs.get('cfg')).toBe(cfg);
    expect(await readFile(join(cfg, 'one.conf'), 'utf8')).toBe('first');
    expect((await stat(join(cfg, 'one.conf'))).mode & 0o777).toBe(0o600);
    expect([...(await readFile(join(cfg, 'sub', 'bin')))]).toEqual([0, 1, 2]);
    const info = join(dir, 'uid-1', 'volumes', 'kubernetes.io~downward-api', 'info');
    expect(await readFile(join(info, 'labels'), 'utf8')).toBe('app="web"');
    expect(await readFile(join(info, 'mem'), 'utf8')).toBe('32');
    const cache = join(dir, 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'cache');
    expect((await stat(cache)).mode & 0o777).toBe(0o777);
    await writeFile(join(cache, 'kept'), 'x');

    const mounts = await pv.mountsFor(first, first.spec.containers[0] as Pod['spec']['containers'][0], state);
    expect(mounts).toEqual([
      { source: cache, destination: '/cache', readOnly: false, exec: true },
      { source: cfg, destination: '/etc/app', readOnly: true, exec: true },
      { source: join(dir, 'uid-1', 'volumes', '.subpaths', 'main', '2'), destination: '/etc/one.conf', readOnly: true, exec: true },
      { source: info, destination: '/info', readOnly: true, exec: true },
    ]);

    objects.configMaps['app'] = { ...objects.configMaps['app'], metadata: { name: 'app', resourceVersion: '2' }, data: { one: 'second' }, binaryData: {} };
    const before = await readlink(join(cfg, '..data'));
    const updated = await pv.setUp(pod({ app: 'web', tier: 'front' }), '10.244.0.5');
    expect(updated.failures).toEqual(new Map([['cfg', 'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: bin']]));
    expect(await readlink(join(cfg, '..data'))).toBe(before);
    objects.configMaps['app'] = { ...objects.configMaps['app'], binaryData: { bin: 'AA==' } };
    expect((await pv.setUp(pod({ app: 'web', tier: 'front' }), undefined)).failures.size).toBe(0);
    expect(await readFile(join(cfg, 'one.conf'), 'utf8')).toBe('second');
    // A subPath keeps what it was bound to, as in Kubernetes.
    expect(await readFile(join(dir, 'uid-1', 'volumes', '.subpaths', 'main', '2'), 'utf8')).toBe('first');
    expect(await readFile(join(info, 'labels'), 'utf8')).toBe('app="web"\ntier="front"');
    expect(await readFile(join(cache, 'kept'), 'utf8')).toBe('x');

    expect(await pv.existing()).toEqual(['uid-1']);
    await pv.tearDown('uid-1');
    expect(await pv.existing()).toEqual([]);
  });

  it('keeps the containers waiting while a volume cannot be set up, naming it', async () => {
    delete objects.configMaps['app'];
    const pv = volumes();
    const p = pod({});
    const state = await pv.setUp(p, undefined);
    expect(state.failures.get('cfg')).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "app" not found');
    await expect(pv.mountsFor(p, p.spec.containers[0] as Pod['spec']['containers'][0], state)).rejects.toThrow('configmap "app" not found');
  });
});
