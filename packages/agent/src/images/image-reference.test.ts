import { describe, expect, it } from 'vitest';
import { ImagePullError } from './errors.js';
import { canonicalReference, manifestReference, parseImageReference, registryHost } from './image-reference.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  it.each([
    ['busybox', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'latest', undefined],
    ['busybox:1.36', 'docker.io', 'registry-1.docker.io', 'library/busybox', '1.36', undefined],
    ['library/busybox', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'latest', undefined],
    ['bitnami/redis:7', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', '7', undefined],
    ['docker.io/busybox', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'latest', undefined],
    ['index.docker.io/library/busybox:x', 'docker.io', 'registry-1.docker.io', 'library/busybox', 'x', undefined],
    ['127.0.0.1:5000/skiff/busybox:latest', '127.0.0.1:5000', '127.0.0.1:5000', 'skiff/busybox', 'latest', undefined],
    [`localhost:5000/a/b@${DIGEST}`, 'localhost:5000', 'localhost:5000', 'a/b', undefined, DIGEST],
    [`localhost/a:v1@${DIGEST}`, 'localhost', 'localhost', 'a', 'v1', DIGEST],
    ['registry.example.com/x:1', 'registry.example.com', 'registry.example.com', 'x', '1', undefined],
    ['[::1]:5000/team/app:v2.0-rc_1', '[::1]:5000', '[::1]:5000', 'team/app', 'v2.0-rc_1', undefined],
    ['ghcr.io/a/b/c/d', 'ghcr.io', 'ghcr.io', 'a/b/c/d', 'latest', undefined],
    ['my-registry:5000/app', 'my-registry:5000', 'my-registry:5000', 'app', 'latest', undefined],
    ['a__b/c.d-e:TAG', 'docker.io', 'registry-1.docker.io', 'a__b/c.d-e', 'TAG', undefined],
  ])('%s', (text, domain, registry, repository, tag, digest) => {
    const ref = parseImageReference(text);
    expect(ref).toEqual({ original: text, domain, registry, repository, tag, digest });
  });

  it('gives the canonical spelling and what to ask the registry for', () => {
    expect(canonicalReference(parseImageReference('busybox'))).toBe('docker.io/library/busybox:latest');
    const pinned = parseImageReference(`localhost:5000/a/b:v1@${DIGEST}`);
    expect(canonicalReference(pinned)).toBe(`localhost:5000/a/b:v1@${DIGEST}`);
    expect(manifestReference(pinned)).toBe(DIGEST);
    expect(manifestReference(parseImageReference('busybox:1'))).toBe('1');
  });

  it('splits the host out of a registry', () => {
    expect(registryHost('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(registryHost('[::1]:5000')).toBe('::1');
    expect(registryHost('example.com')).toBe('example.com');
  });

  it.each([
    ['', /empty/],
    [' busybox', /white space/],
    ['Busybox', /lower case/],
    ['busybox:', /malformed tag ""/],
    ['busybox:-x', /malformed tag/],
    [`busybox:${'x'.repeat(129)}`, /malformed tag/],
    ['busybox@sha256:abc', /malformed digest/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['busybox@', /malformed digest/],
    ['a//b', /empty path component/],
    ['example.com/', /repository name is empty/],
    ['localhost:99999/a', /malformed registry port/],
    ['local_host.com/a', /malformed registry host/],
    ['[::1/a', /unterminated IPv6/],
    ['a/b_-c', /malformed repository name component/],
    ['a/.b', /malformed repository name component/],
    [`example.com/${'a'.repeat(250)}`, /longer than 255/],
    [':tag', /repository name is empty/],
  ])('rejects %j', (text, message) => {
    let caught: unknown;
    try {
      parseImageReference(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ImagePullError);
    const error = caught as ImagePullError;
    expect(error.reason).toBe('invalid-reference');
    expect(error.image).toBe(text);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`"${text}"`);
  });
});
