import { describe, expect, it } from 'vitest';
import { KINDS } from '../kinds.js';
import { definitionName, groupVersionPath, openApiV3 } from './openapi-v3.js';

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, Record<string, unknown>> } };

function doc(key: string): Doc {
  const document = openApiV3().documents.get(key);
  if (!document) throw new Error(`no document ${key}`);
  return document as unknown as Doc;
}

describe('openApiV3', () => {
  it('indexes one document per group-version, each URL carrying a content hash', () => {
    const { index, documents } = openApiV3();
    expect(Object.keys(index.paths).sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/autoscaling/v2',
      'apis/batch/v1',
      'apis/coordination.k8s.io/v1',
      'apis/discovery.k8s.io/v1',
      'apis/rbac.authorization.k8s.io/v1',
    ]);
    expect([...documents.keys()].sort()).toEqual(Object.keys(index.paths).sort());
    expect(index.paths['apis/apps/v1']?.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    // A different document (batch/v1 without CronJob) has a different hash, so kubectl's cache refreshes.
    const jobOnly = openApiV3(KINDS.filter((info) => info.kind === 'Job')).index.paths['apis/batch/v1']?.serverRelativeURL;
    expect(jobOnly).toMatch(/hash=/);
    expect(jobOnly).not.toBe(index.paths['apis/batch/v1']?.serverRelativeURL);
  });

  it('names components as Kubernetes does, with their group-version-kind', () => {
    const names = (key: string): string[] => Object.keys(doc(key).components.schemas);
    expect(names('api/v1')).toEqual(expect.arrayContaining(['io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.PodList', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']));
    expect(names('apis/apps/v1')).toContain('io.k8s.api.apps.v1.Deployment');
    expect(names('apis/rbac.authorization.k8s.io/v1')).toContain('io.k8s.api.rbac.v1.ClusterRoleBinding');
    expect(names('apis/autoscaling/v2')).toContain('io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler');
    expect(doc('apis/apps/v1').components.schemas['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    expect(doc('api/v1').components.schemas['io.k8s.api.core.v1.Pod']?.['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
  });

  it('describes every $ref it uses in the same document', () => {
    for (const [key, document] of openApiV3().documents) {
      const text = JSON.stringify(document);
      const schemas = (document as unknown as Doc).components.schemas;
      for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
        expect(schemas, `${key} refers to ${name ?? ''}`).toHaveProperty([name ?? '']);
      }
    }
  });

  it('gives each resource its paths, with fieldValidation on writes and the GVK on each operation', () => {
    const core = doc('api/v1').paths;
    const pod = core['/api/v1/namespaces/{namespace}/pods/{name}'];
    expect(pod?.['patch']).toMatchObject({
      operationId: 'patchCoreV1NamespacedPod',
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: '', kind: 'Pod', version: 'v1' },
    });
    const names = (op: Record<string, unknown> | undefined): unknown[] => ((op?.['parameters'] ?? []) as { name: string }[]).map((p) => p.name);
    expect(names(pod?.['patch'] as Record<string, unknown>)).toContain('fieldValidation');
    expect(names(pod?.['put'] as Record<string, unknown>)).toContain('fieldValidation');
    expect(names(core['/api/v1/namespaces/{namespace}/pods']?.['post'] as Record<string, unknown>)).toContain('fieldValidation');
    expect(core['/api/v1/namespaces/{name}']?.['get']).toMatchObject({ operationId: 'readCoreV1Namespace' });
    expect(doc('apis/rbac.authorization.k8s.io/v1').paths).toHaveProperty(['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}']);
  });

  it('describes kinds without a manifest schema (Node) by their envelope, keeping unknown fields', () => {
    expect(doc('api/v1').components.schemas['io.k8s.api.core.v1.Node']).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Node', version: 'v1' }],
    });
  });

  it('is built once for all kinds, and on demand for a subset', () => {
    expect(openApiV3()).toBe(openApiV3());
    const only = openApiV3(KINDS.filter((info) => info.kind === 'Job'));
    expect([...only.documents.keys()]).toEqual(['apis/batch/v1']);
  });
});

describe('definitionName and groupVersionPath', () => {
  it.each([
    ['Pod', 'io.k8s.api.core.v1.Pod', 'api/v1'],
    ['EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice', 'apis/discovery.k8s.io/v1'],
    ['Lease', 'io.k8s.api.coordination.v1.Lease', 'apis/coordination.k8s.io/v1'],
    ['CronJob', 'io.k8s.api.batch.v1.CronJob', 'apis/batch/v1'],
  ])('%s is %s in %s', (kind, name, path) => {
    const info = KINDS.find((k) => k.kind === kind);
    if (!info) throw new Error(kind);
    expect(definitionName(info)).toBe(name);
    expect(groupVersionPath(info.apiVersion)).toBe(path);
  });
});
