import type { Pod, Secret } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { dockerConfigCredentials, pullCredentialsOf, registryKey } from './pull-secrets.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function secret(name: string, auths: Record<string, unknown>, type = 'kubernetes.io/dockerconfigjson'): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, type, data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } };
}

describe('imagePullSecrets', () => {
  it('reads auth (base64 user:password) and username/password entries, with registries as API hosts', () => {
    const credentials = dockerConfigCredentials(
      secret('regcred', {
        'https://index.docker.io/v1/': { auth: b64('hub-user:pa:ss') },
        'http://127.0.0.1:5000/v2/': { username: 'local', password: 'pw' },
      }),
    );
    expect(credentials.get('registry-1.docker.io')).toEqual({ username: 'hub-user', password: 'pa:ss' });
    expect(credentials.get('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pw' });
    expect(registryKey('Registry.Example.com:443')).toBe('registry.example.com:443');
  });

  it('refuses other Secret types and entries without credentials, naming the Secret but no value', () => {
    expect(() => dockerConfigCredentials(secret('opaque', {}, 'Opaque'))).toThrow(/imagePullSecret shop\/opaque: its type is "Opaque"/);
    let message = '';
    try {
      dockerConfigCredentials(secret('empty', { 'r.test': { auth: b64('nocolon-s3cret-value'), password: 's3cret-value' } }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/auths\["r.test"\] has neither/);
    expect(message).not.toMatch(/s3cret/);
  });

  it('fetches every Secret the pod names from its namespace; the first naming a registry wins', async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, imagePullSecrets: [{ name: 'first' }, { name: 'second' }], containers: [{ name: 'a', image: 'r.test/app:1' }] },
    };
    const asked: string[] = [];
    const secrets = new Map([
      ['first', secret('first', { 'r.test': { username: 'one', password: '1' } })],
      ['second', secret('second', { 'r.test': { username: 'two', password: '2' }, 'other.test': { username: 'o', password: '3' } })],
    ]);
    const lookup = await pullCredentialsOf(pod, (namespace, name) => {
      asked.push(`${namespace}/${name}`);
      const found = secrets.get(name);
      return found ? Promise.resolve(found) : Promise.reject(new Error('no such secret'));
    });
    expect(asked).toEqual(['shop/first', 'shop/second']);
    expect(lookup?.('r.test')).toEqual({ username: 'one', password: '1' });
    expect(lookup?.('other.test')).toEqual({ username: 'o', password: '3' });
    expect(lookup?.('elsewhere.test')).toBeUndefined();
    expect(await pullCredentialsOf({ ...pod, spec: { ...pod.spec, imagePullSecrets: [] } }, () => Promise.reject(new Error('not asked')))).toBeUndefined();
  });
});
