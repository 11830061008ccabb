import { describe, expect, it } from 'vitest';
import { formatIssue, validateManifest } from './validate.js';
import type { Pod } from './types.js';

function pod(spec: Record<string, unknown>): unknown {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec } };
}

function errors(manifest: unknown): string[] {
  return validateManifest(manifest, { strict: true }).errors.map(formatIssue);
}

describe('volumes and mounts', () => {
  it('accepts every supported source, mounts and env sources, and types them', () => {
    const result = validateManifest(
      pod({
        containers: [
          {
            name: 'main',
            image: 'busybox',
            envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 's', optional: true } }],
            env: [
              { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
              { name: 'N', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'M', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            ],
            volumeMounts: [
              { name: 'cache', mountPath: '/cache' },
              { name: 'cfg', mountPath: '/etc/cfg', readOnly: true },
              { name: 'cfg', mountPath: '/etc/one.conf', subPath: 'one.conf' },
            ],
          },
        ],
        volumes: [
          { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'one.conf', path: 'one.conf', mode: 0o600 }], defaultMode: 0o644 } },
          { name: 'sec', secret: { secretName: 's', optional: true } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }, { serviceAccountToken: { path: 'token' } }] } },
          { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
        ],
      }),
      { strict: true },
    );
    expect(result.errors.map(formatIssue)).toEqual([]);
    expect(result.warnings).toEqual([]);
    const typed = result.object as Pod;
    expect(typed.spec.volumes?.[4]?.projected?.sources[1]?.serviceAccountToken?.expirationSeconds).toBe(3600);
  });

  it('names volumes once, one source each, and mounts only volumes the pod has', () => {
    expect(
      errors(
        pod({
          containers: [{ name: 'main', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/x' }, { name: 'a', mountPath: 'rel' }, { name: 'a', mountPath: '/x/' }] }],
          volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {}, hostPath: { path: '/tmp' } }, { name: 'b' }],
        }),
      ),
    ).toEqual([
      'spec.volumes[1].name: duplicate volume name "a"',
      'spec.volumes[1].hostPath: may not specify more than 1 volume type (also has emptyDir)',
      'spec.volumes[2]: must specify a volume type: one of emptyDir, configMap, secret, projected, downwardAPI, hostPath',
      'spec.containers[0].volumeMounts[0].name: not found: no volume "nope" in spec.volumes',
      'spec.containers[0].volumeMounts[1].mountPath: must be an absolute path',
      'spec.containers[0].volumeMounts[2].mountPath: must be unique: "/x/" is mounted twice',
    ]);
  });

  it('refuses paths that leave the volume, in items and subPath', () => {
    expect(
      errors(
        pod({
          containers: [{ name: 'main', image: 'busybox', volumeMounts: [{ name: 'c', mountPath: '/a', subPath: '../etc' }, { name: 'c', mountPath: '/b', subPath: '/etc' }] }],
          volumes: [{ name: 'c', configMap: { name: 'c', items: [{ key: 'k', path: '../k' }, { key: 'j', path: '/j' }, { key: 'l', path: '..l' }, { key: 'm', path: 'm' }, { key: 'n', path: 'm' }] } }],
        }),
      ),
    ).toEqual([
      "spec.volumes[0].configMap.items[0].path: must not contain '..'",
      'spec.volumes[0].configMap.items[1].path: must be a relative path',
      "spec.volumes[0].configMap.items[2].path: must not start with '..'",
      'spec.volumes[0].configMap.items[4].path: conflicting path "m": another file of this volume is written there',
      "spec.containers[0].volumeMounts[0].subPath: must not contain '..'",
      'spec.containers[0].volumeMounts[1].subPath: must be a relative path',
    ]);
  });

  it('checks env sources: one each, known fieldPaths, divisors, envFrom prefixes', () => {
    expect(
      errors(
        pod({
          containers: [
            {
              name: 'main',
              image: 'busybox',
              envFrom: [{ prefix: '1X', configMapRef: { name: 'a' } }, { configMapRef: { name: 'a' }, secretRef: { name: 'b' } }],
              env: [
                { name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } },
                { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } } },
                { name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', containerName: 'other' } } },
                { name: 'D', valueFrom: {} },
              ],
            },
          ],
          volumes: [{ name: 'd', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }, { path: 'mem', resourceFieldRef: { resource: 'limits.memory' } }] } }],
        }),
      ),
    ).toEqual([
      'spec.containers[0].env[3].valueFrom: must specify exactly one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef',
      expect.stringContaining('spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: unsupported fieldPath "status.podIP" in a volume'),
      'spec.volumes[0].downwardAPI.items[1].resourceFieldRef.containerName: is required in a volume',
      'spec.containers[0].envFrom[0].prefix: must be an environment variable name (A-Z, a-z, 0-9, "_", "-" and ".", not starting with a digit)',
      'spec.containers[0].envFrom[1]: must specify exactly one of configMapRef or secretRef',
      expect.stringContaining('spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: unsupported fieldPath "spec.hostname"'),
      'spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: must be one of 1m, 1 for limits.cpu',
      'spec.containers[0].env[2].valueFrom.resourceFieldRef.containerName: no container "other" in this pod',
    ]);
  });

  it('checks modes and the hostPath type', () => {
    expect(errors(pod({ volumes: [{ name: 'a', secret: { secretName: 's', defaultMode: 0o1777 } }, { name: 'h', hostPath: { path: 'relative', type: 'Dir' } }] }))).toEqual([
      'spec.volumes[0].secret.defaultMode: must be a file mode between 0 and 0777 (octal, e.g. 0644; 420 in decimal)',
      expect.stringMatching(/^spec\.volumes\[1\]\.hostPath\.type: /),
      'spec.volumes[1].hostPath.path: must be an absolute path',
    ]);
  });
});
