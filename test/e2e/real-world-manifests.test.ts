// A microservices app in one file, written the way popular public example
// repositories publish theirs (test/fixtures/shop-app.yaml: grpc probes,
// serviceAccountName, hardened securityContexts, env from ConfigMaps, Secrets
// and the downward API, volumes, init containers, lifecycle hooks): it applies
// through ctl without errors, the supported fields are stored as written, and
// the fields Skiff does not support stay warnings naming their path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { useCluster } from '../harness/cluster-fixture.js';

const fixture = useCluster();
const APP = readFileSync(fileURLToPath(new URL('../fixtures/shop-app.yaml', import.meta.url)), 'utf8');
const OBJECTS = [
  'serviceaccount/catalog',
  'serviceaccount/storefront',
  'configmap/storefront-config',
  'secret/catalog-db',
  'deployment.apps/catalog',
  'service/catalog',
  'deployment.apps/storefront',
  'service/storefront',
  'deployment.apps/cart-cache',
  'service/cart-cache',
];

describe('real-world manifests', () => {
  test('a many-document app with grpc probes, securityContexts and volumes applies; unsupported fields are warnings by path', async () => {
    const { cluster, file } = fixture();
    const path = file('shop-app.yaml', APP);
    const applied = await cluster.ctl(['apply', '-f', path]);
    expect(applied.stderr.split('\n').filter((line) => /error/i.test(line))).toEqual([]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(OBJECTS.map((object) => `${object} created\n`).join(''));
    const warnings = applied.stderr.split('\n').filter((line) => line.includes('Warning:'));
    expect(warnings).toHaveLength(2);
    expect(warnings.find((line) => line.includes('document 5'))).toMatch(/spec\.template\.spec\.affinity: unknown field "affinity"/);
    expect(warnings.find((line) => line.includes('document 7'))).toMatch(/spec\.template\.spec\.topologySpreadConstraints: unknown field "topologySpreadConstraints"/);

    const catalog = JSON.parse((await cluster.ctl(['get', 'deployment', 'catalog', '-o', 'json'])).stdout);
    const server = catalog.spec.template.spec.containers[0];
    expect(server.readinessProbe.grpc).toEqual({ port: 3550 });
    expect(server.livenessProbe.grpc).toEqual({ port: 3550, service: 'catalog' });
    expect(server.startupProbe.tcpSocket).toEqual({ port: 'grpc' });
    expect(server.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(server.env.find((e: { name: string }) => e.name === 'DB_PASSWORD').valueFrom).toEqual({ secretKeyRef: { name: 'catalog-db', key: 'password' } });
    expect(catalog.spec.template.spec.serviceAccountName).toBe('catalog');
    expect(catalog.spec.template.spec.volumes).toEqual([{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }]);
    expect(catalog.spec.template.spec.affinity).toBeUndefined();

    const storefront = JSON.parse((await cluster.ctl(['get', 'deployment', 'storefront', '-o', 'json'])).stdout);
    const pod = storefront.spec.template.spec;
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['wait-for-catalog']);
    expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: 'storefront-config' }, prefix: 'SHOP_' }]);
    expect(pod.containers[0].lifecycle.preStop.exec.command).toEqual(['sh', '-c', 'sleep 2']);
    expect(pod.containers[0].volumeMounts[0]).toEqual({ name: 'config', mountPath: '/etc/nginx/conf.d/default.conf', subPath: 'nginx.conf', readOnly: true });
    // 0444 in YAML is octal, as kubectl reads it: 292.
    expect(pod.volumes[0].configMap.defaultMode).toBe(0o444);

    // Applied again, nothing changes.
    const again = await cluster.ctl(['apply', '-f', path]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(OBJECTS.map((object) => `${object} unchanged\n`).join(''));
  }, 120_000);
});
