import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads bearer parameters, including quoted commas, and several challenges', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' },
      },
    ]);
    expect(parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm=x, error=insufficient_scope')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope' } },
    ]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});
