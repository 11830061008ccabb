import type { ConfigMap, Pod, Secret, Volume } from '@skiff/api/core';
import { describe, expect, it } from 'vitest';
import { volumePayload, VolumeSetupError, type ProjectionContext } from './config-volumes.js';

const configMap: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from([255]).toString('base64') } };
const secret: Secret = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'sec' }, data: { key: Buffer.from('K').toString('base64') } };
const requested: string[] = [];
const context: ProjectionContext = {
  sources: { configMap: (_ns, name) => Promise.resolve(name === 'cfg' ? configMap : undefined), secret: (_ns, name) => Promise.resolve(name === 'sec' ? secret : undefined) },
  allocatable: { cpuMillis: 4000, memoryBytes: 2 ** 30 },
  podIP: '10.244.0.9',
  serviceAccountToken: (pod, seconds) => {
    requested.push(`${pod.spec.serviceAccountName ?? 'default'} ${seconds}`);
    return Promise.resolve('header.claims.signature');
  },
};
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { b: '2', a: '1' } }, spec: { serviceAccountName: 'reader', containers: [{ name: 'main', image: 'x' }] } } as unknown as Pod;

async function files(volume: Omit<Volume, 'name'>): Promise<Record<string, string>> {
  const payload = await volumePayload(pod, { name: 'v', ...volume }, context);
  return Object.fromEntries([...(payload ?? [])].map(([path, file]) => [path, `${file.mode.toString(8)} ${file.data.toString('hex')}`]));
}

const hex = (text: string): string => Buffer.from(text).toString('hex');

describe('volume payloads as kubelet makes them', () => {
  it('takes every key of a ConfigMap (binaryData too) or Secret at 0644, or just the items with their modes', async () => {
    expect(await files({ configMap: { name: 'cfg' } })).toEqual({ a: `644 ${hex('A')}`, b: `644 ${hex('B')}`, bin: '644 ff' });
    expect(await files({ configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'a', path: 'dir/a.txt' }, { key: 'b', path: 'b', mode: 0o400 }] } })).toEqual({
      'dir/a.txt': `600 ${hex('A')}`,
      b: `400 ${hex('B')}`,
    });
    expect(await files({ secret: { secretName: 'sec' } })).toEqual({ key: `644 ${hex('K')}` });
  });

  it('gives an empty volume for a missing optional object and skips its missing optional keys; refuses otherwise, in kubelet words', async () => {
    expect(await files({ configMap: { name: 'nope', optional: true } })).toEqual({});
    expect(await files({ configMap: { name: 'cfg', optional: true, items: [{ key: 'zz', path: 'zz' }, { key: 'a', path: 'a' }] } })).toEqual({ a: `644 ${hex('A')}` });
    await expect(files({ configMap: { name: 'nope' } })).rejects.toThrow(new VolumeSetupError('configmap "nope" not found'));
    await expect(files({ secret: { secretName: 'nope' } })).rejects.toThrow('secret "nope" not found');
    await expect(files({ configMap: { name: 'cfg', items: [{ key: 'zz', path: 'zz' }] } })).rejects.toThrow('configmap references non-existent config key: zz');
    await expect(files({ secret: { secretName: 'sec', items: [{ key: 'zz', path: 'zz' }] } })).rejects.toThrow('references non-existent secret key: zz');
  });

  it('writes downwardAPI fields and resources, and merges projected sources under one defaultMode', async () => {
    expect(
      await files({
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' }, mode: 0o400 },
          ],
        },
      }),
    ).toEqual({ labels: `644 ${hex('a="1"\nb="2"')}`, cpu: `400 ${hex('4000')}` });
    expect(
      await files({
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } },
            { secret: { name: 'sec' } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            { serviceAccountToken: { path: 'token', expirationSeconds: 7200 } },
          ],
        },
      }),
    ).toEqual({ a: `440 ${hex('A')}`, key: `440 ${hex('K')}`, ns: `440 ${hex('ns')}`, token: `440 ${hex('header.claims.signature')}` });
    expect(requested).toEqual(['reader 7200']);
    expect(await volumePayload(pod, { name: 'e', emptyDir: {} }, context)).toBeUndefined();
  });
});
