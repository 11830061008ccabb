import { describe, expect, it } from 'vitest';
import { discoveryDocument, type ApiResourceList } from './discovery.js';

const list = (path: string): ApiResourceList => discoveryDocument(path, '127.0.0.1:6443') as ApiResourceList;

describe('discovery documents from the kind table', () => {
  it('lists the core resources with kubectl spellings, verbs, categories and subresources', () => {
    const core = list('/api/v1');
    expect(core.groupVersion).toBe('v1');
    const pods = core.resources.find((r) => r.name === 'pods');
    expect(pods).toEqual({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(core.resources.find((r) => r.name === 'pods/status')).toMatchObject({ verbs: ['get'], kind: 'Pod' });
    expect(core.resources.find((r) => r.name === 'pods/log')).toMatchObject({ verbs: ['get'], kind: 'Pod' });
    expect(core.resources.find((r) => r.name === 'pods/exec')).toMatchObject({ verbs: ['create', 'get'], kind: 'PodExecOptions' });
    // Written by Skiff itself: read and delete only.
    expect(core.resources.find((r) => r.name === 'nodes')?.verbs).toEqual(['delete', 'deletecollection', 'get', 'list', 'watch']);
    // Namespaces are deleted one by one, as in Kubernetes.
    expect(core.resources.find((r) => r.name === 'namespaces')?.verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    expect(core.resources.find((r) => r.name === 'configmaps')?.categories).toBeUndefined();
  });

  it('serves scale as autoscaling/v1 Scale, and each group with its versions', () => {
    expect(list('/apis/apps/v1').resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const groups = discoveryDocument('/apis', '') as { groups: { name: string; preferredVersion: { groupVersion: string } }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'rbac.authorization.k8s.io', 'authorization.k8s.io']));
    expect(groups.groups.find((g) => g.name === 'apps')?.preferredVersion.groupVersion).toBe('apps/v1');
    expect(list('/apis/authorization.k8s.io/v1').resources.map((r) => r.name)).toEqual(['selfsubjectaccessreviews']);
  });

  it('answers undefined for what is not a discovery path', () => {
    expect(discoveryDocument('/apis/apps/v9', '')).toBeUndefined();
    expect(discoveryDocument('/apis/nope', '')).toBeUndefined();
    expect(discoveryDocument('/api/v1/pods', '')).toBeUndefined();
    expect(discoveryDocument('/version', '')).toMatchObject({ major: '1', minor: '32' });
  });
});
