import type { ConfigMap, Container, Pod, Secret } from '@skiff/api/core';
import { describe, expect, it } from 'vitest';
import { ContainerConfigError } from '../container-config-error.js';
import { buildContainerSpec } from '../container-spec-builder.js';
import type { ConfigSources } from './config-sources.js';
import { resolveContainerEnv, type ContainerEnvContext } from './container-env.js';
import { formatMap, goQuote, resourceFieldValue } from './downward-values.js';

const configMaps: Record<string, ConfigMap> = {
  app: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'shop' }, data: { MODE: 'fast', 'bad key': 'x', '1st': 'y', level: '3' } },
};
const secrets: Record<string, Secret> = {
  db: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'db', namespace: 'shop' }, data: { password: Buffer.from('s3cr\0et').toString('base64') } },
};
const sources: ConfigSources = {
  configMap: (_ns, name) => Promise.resolve(configMaps[name]),
  secret: (_ns, name) => Promise.resolve(secrets[name]),
};
const context: ContainerEnvContext = { sources, serviceEnv: { WEB_SERVICE_HOST: '10.96.0.9', MODE: 'service' }, allocatable: { cpuMillis: 2000, memoryBytes: 4 * 2 ** 30 }, podIP: '10.244.1.5', hostIP: '192.168.1.2' };

function pod(container: Partial<Container>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { note: 'a "b"' } },
    spec: {
      containers: [{ name: 'main', image: 'busybox', resources: { limits: { cpu: '250m', memory: '64Mi' } }, ...container }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeName: 'node-1',
    },
  } as Pod;
}

async function envOf(container: Partial<Container>): Promise<Record<string, string>> {
  const p = pod(container);
  const c = p.spec.containers[0];
  if (!c) throw new Error('no container');
  return { ...(await resolveContainerEnv(p, c, context)).env };
}

describe('a container environment as kubelet makes it', () => {
  it('takes envFrom with a prefix, skips invalid names and tells them, then env over it, then the service variables', async () => {
    const p = pod({ envFrom: [{ configMapRef: { name: 'app' } }, { secretRef: { name: 'db' }, prefix: 'DB_' }], env: [{ name: 'level', value: 'override' }] });
    const resolved = await resolveContainerEnv(p, p.spec.containers[0] as Container, context);
    expect(resolved.env).toEqual({ MODE: 'fast', level: 'override', DB_password: 's3cr\0et', WEB_SERVICE_HOST: '10.96.0.9' });
    expect(resolved.invalidNames).toEqual([
      'Keys [1st, bad key] from the EnvFrom configMap shop/app were skipped since they are considered invalid environment variable names.',
    ]);
  });

  it('reads valueFrom: keys (NUL bytes dropped from a Secret), pod fields and resources rounded up', async () => {
    expect(
      await envOf({
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'NONE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['absent']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
          { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
      }),
    ).toMatchObject({
      MODE: 'fast',
      PASSWORD: 's3cret',
      NAME: 'web-1',
      NS: 'shop',
      UID: 'u-1',
      APP: 'web',
      NONE: '',
      IP: '10.244.1.5',
      HOST: '192.168.1.2',
      NODE: 'node-1',
      SA: 'default',
      CPU: '1',
      CPU_M: '250',
      MEM_MI: '64',
    });
  });

  it('fills unset limits with the node allocatable and rounds as Kubernetes does', () => {
    const p = pod({ resources: { requests: { memory: '1000' } } });
    const ref = (resource: string, divisor?: string) => resourceFieldValue(p, 'main', { resource, ...(divisor ? { divisor } : {}) }, context.allocatable);
    expect(ref('limits.cpu')).toBe('2');
    expect(ref('limits.memory', '1Gi')).toBe('4');
    expect(ref('requests.memory', '1Ki')).toBe('1');
    expect(ref('requests.cpu', '1m')).toBe('0');
  });

  it('expands $(VAR) in env over earlier variables and the service ones, and leaves unknown ones', async () => {
    expect(
      await envOf({
        env: [
          { name: 'A', value: 'a' },
          { name: 'B', value: '$(A)-$(WEB_SERVICE_HOST)-$(LATER)-$$(A)' },
          { name: 'LATER', value: 'late' },
        ],
      }),
    ).toMatchObject({ A: 'a', B: 'a-10.96.0.9-$(LATER)-$(A)', LATER: 'late' });
  });

  it('expands command and args over the container environment, not the image', async () => {
    const p = pod({ command: ['sh', '-c', 'echo $(GREETING) $(IMAGE_ONLY)'], args: ['$(NAME)'], env: [{ name: 'GREETING', value: 'hi' }, { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] });
    const c = p.spec.containers[0] as Container;
    const resolved = await resolveContainerEnv(p, c, context);
    const image = { config: { env: ['IMAGE_ONLY=img', 'PATH=/bin'] }, layers: [] };
    const spec = buildContainerSpec(p, c, 0, image as never, undefined, [], {}, resolved);
    expect(spec.argv).toEqual(['sh', '-c', 'echo hi $(IMAGE_ONLY)', 'web-1']);
    expect(spec.env).toMatchObject({ IMAGE_ONLY: 'img', GREETING: 'hi', NAME: 'web-1', WEB_SERVICE_HOST: '10.96.0.9' });
  });

  it('names what is missing, as kubelet, unless it is optional', async () => {
    const refusal = (container: Partial<Container>) => envOf(container).then(() => 'no error', (error: unknown) => (error instanceof ContainerConfigError ? error.message : `other: ${String(error)}`));
    expect(await refusal({ envFrom: [{ configMapRef: { name: 'x' } }] })).toBe('configmap "x" not found');
    expect(await refusal({ envFrom: [{ secretRef: { name: 'x' } }] })).toBe('secret "x" not found');
    expect(await refusal({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }] })).toBe("couldn't find key k in ConfigMap shop/app");
    expect(await refusal({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }] })).toBe("couldn't find key k in Secret shop/db");
    expect(
      await envOf({
        envFrom: [{ configMapRef: { name: 'x', optional: true } }],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'k', optional: true } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
        ],
      }),
    ).toEqual({ WEB_SERVICE_HOST: '10.96.0.9', MODE: 'service' });
  });
});

describe('downward API maps', () => {
  it('writes labels and annotations as sorted key="value" lines, quoted as Go does', () => {
    expect(formatMap({ b: 'two', a: 'one "1"' })).toBe('a="one \\"1\\""\nb="two"');
    expect(goQuote('\x01\x7f\n\té')).toBe('"\\x01\\x7f\\n\\té"');
  });
});
