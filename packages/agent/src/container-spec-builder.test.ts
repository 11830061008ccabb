import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod, PodSecurityContext, SecurityContext } from '@skiff/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainerSpec, ContainerConfigError, resolveSecurity } from './container-spec-builder.js';
import type { ResolvedImage } from './images/image-store.js';

function podWith(podContext?: PodSecurityContext, containerContext?: SecurityContext): [Pod, Container] {
  const container: Container = { name: 'web', image: 'busybox', command: ['httpd'], ...(containerContext ? { securityContext: containerContext } : {}) };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
    spec: { containers: [container], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...(podContext ? { securityContext: podContext } : {}) },
  };
  return [pod, container];
}

describe('resolveSecurity', () => {
  let layers: string[];
  let base: string;
  const image = (user?: string): ResolvedImage => ({
    reference: 'app',
    digest: 'sha256:0',
    config: { entrypoint: ['app'], cmd: [], env: [], ...(user !== undefined ? { user } : {}) },
    layers,
  });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-security-'));
    const lower = join(base, 'lower');
    const upper = join(base, 'upper');
    await mkdir(join(lower, 'etc'), { recursive: true });
    await mkdir(join(upper, 'etc'), { recursive: true });
    // The upper layer's files win over the lower one's.
    await writeFile(join(lower, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nold:x:500:500::/:/bin/sh\n');
    await writeFile(join(upper, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n# comment\napp:x:1000:1001::/app:/bin/sh\n');
    await writeFile(join(upper, 'etc', 'group'), 'root:x:0:\nstaff:x:50:app\nwheel:x:10:admin,app\n');
    layers = [lower, upper];
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('runs as root with the runtime default filter when nothing is set', () => {
    const [pod, container] = podWith();
    expect(resolveSecurity(pod, container, image())).toEqual({ uid: 0, gid: 0, seccomp: 'RuntimeDefault' });
  });

  it("takes the image's user: numbers as they are, names and primary groups from its passwd and group files", () => {
    const [pod, container] = podWith();
    expect(resolveSecurity(pod, container, image('1234:5678'))).toMatchObject({ uid: 1234, gid: 5678 });
    expect(resolveSecurity(pod, container, image('app'))).toMatchObject({ uid: 1000, gid: 1001 });
    expect(resolveSecurity(pod, container, image('1000'))).toMatchObject({ uid: 1000, gid: 1001 });
    expect(resolveSecurity(pod, container, image('app:staff'))).toMatchObject({ uid: 1000, gid: 50 });
    expect(() => resolveSecurity(pod, container, image('old'))).toThrow(/unable to find user old/);
    expect(() => resolveSecurity(pod, container, image('app:nogroup'))).toThrow(ContainerConfigError);
  });

  it("lets the container's context override the pod's, and both override the image", () => {
    const [pod, container] = podWith({ runAsUser: 2000, runAsGroup: 3000, seccompProfile: { type: 'Unconfined' } }, { runAsUser: 1000 });
    expect(resolveSecurity(pod, container, image('app'))).toMatchObject({ uid: 1000, gid: 3000, seccomp: 'Unconfined' });
    const [pod2, container2] = podWith({ runAsUser: 2000, seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'RuntimeDefault' } });
    expect(resolveSecurity(pod2, container2, image('app'))).toMatchObject({ uid: 2000, gid: 0, seccomp: 'RuntimeDefault' });
  });

  it("adds the user's groups from the image, then supplementalGroups and fsGroup, as additional groups", () => {
    const [pod, container] = podWith({ supplementalGroups: [20, 21], fsGroup: 30 });
    expect(resolveSecurity(pod, container, image()).additionalGids).toEqual([20, 21, 30]);
    expect(resolveSecurity(pod, container, image('app')).additionalGids).toEqual([50, 10, 20, 21, 30]);
  });

  it('passes privileged, read-only root, privilege escalation and normalised capabilities on', () => {
    const [pod, container] = podWith(undefined, {
      privileged: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['net_admin', 'CAP_SYS_TIME'], drop: ['all'] },
    });
    expect(resolveSecurity(pod, container, image())).toEqual({
      uid: 0,
      gid: 0,
      privileged: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: true,
      capabilitiesAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'],
      capabilitiesDrop: ['ALL'],
      seccomp: 'RuntimeDefault',
    });
  });

  it.each<[string, PodSecurityContext | undefined, SecurityContext | undefined, string | undefined, RegExp]>([
    ['an image without a user', { runAsNonRoot: true }, undefined, undefined, /runAsNonRoot and image will run as root \(pod: "web_shop\(u1\)", container: web\)/],
    ['an image whose user is root by name', undefined, { runAsNonRoot: true }, 'root', /runAsNonRoot and image will run as root/],
    ['an image whose user is 0:0', { runAsNonRoot: true }, undefined, '0:0', /runAsNonRoot and image will run as root/],
    ['runAsUser 0', { runAsNonRoot: true }, { runAsUser: 0 }, 'app', /runAsUser breaks non-root policy/],
    ['a Localhost seccomp profile', undefined, { seccompProfile: { type: 'Localhost' as 'Unconfined' } }, undefined, /seccompProfile Localhost is not supported/],
    ['an unknown capability', undefined, { capabilities: { add: ['NET_WIZARD'] } }, undefined, /unknown capability "NET_WIZARD"/],
    ['privileged without escalation', undefined, { privileged: true, allowPrivilegeEscalation: false }, undefined, /allowPrivilegeEscalation to false and privileged/],
  ])('refuses %s as a CreateContainerConfigError', (_name, podContext, containerContext, user, message) => {
    const [pod, container] = podWith(podContext, containerContext);
    expect(() => resolveSecurity(pod, container, image(user))).toThrow(ContainerConfigError);
    expect(() => resolveSecurity(pod, container, image(user))).toThrow(message);
  });

  it('accepts runAsNonRoot for a non-root image user, and a container that overrides the pod to root when it does not ask', () => {
    const [pod, container] = podWith({ runAsNonRoot: true }, undefined);
    expect(resolveSecurity(pod, container, image('app')).uid).toBe(1000);
    const [pod2, container2] = podWith({ runAsNonRoot: true }, { runAsNonRoot: false });
    expect(resolveSecurity(pod2, container2, image()).uid).toBe(0);
  });

  it('puts the security settings and the pod files into the container spec', () => {
    const [pod, container] = podWith({ runAsUser: 1000 });
    const mounts = [{ source: '/pods/u1/hosts', destination: '/etc/hosts', readOnly: true }];
    const spec = buildContainerSpec(pod, container, 0, image(), undefined, mounts);
    expect(spec.security).toMatchObject({ uid: 1000, seccomp: 'RuntimeDefault' });
    expect(spec.mounts).toEqual(mounts);
    expect(buildContainerSpec(pod, container, 0, image(), undefined).mounts).toBeUndefined();
  });
});

describe('buildContainerSpec: service environment variables', () => {
  it("puts them over the image's env and under the container's own", () => {
    const [pod, base] = podWith();
    const container: Container = { ...base, env: [{ name: 'WEB_SERVICE_PORT', value: 'mine' }] };
    const image: ResolvedImage = { reference: 'app', digest: 'sha256:0', config: { entrypoint: ['app'], cmd: [], env: ['PATH=/bin', 'DB_SERVICE_HOST=image'] }, layers: [] };
    const spec = buildContainerSpec(pod, container, 0, image, undefined, [], { DB_SERVICE_HOST: '10.96.0.7', WEB_SERVICE_PORT: '80' });
    expect(spec.env).toMatchObject({ PATH: '/bin', DB_SERVICE_HOST: '10.96.0.7', WEB_SERVICE_PORT: 'mine' });
  });
});
