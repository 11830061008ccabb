import { kindInfo, PermissionDeniedError, type ResourceObject } from '@skiff/api';
import { describe, expect, it } from 'vitest';
import { hostPathAdmission } from './host-path-admission.js';

const withHostPath = (namespace: string) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'logs', namespace },
    spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'varlog', hostPath: { path: '/var/log' } }] },
  }) as unknown as ResourceObject;

describe('hostPath admission', () => {
  const admit = hostPathAdmission(new Set(['monitoring']));

  it('refuses hostPath volumes outside the allowed namespaces, naming the namespace and the volume', () => {
    expect(() => admit(kindInfo('Pod'), withHostPath('default'))).toThrow(PermissionDeniedError);
    expect(() => admit(kindInfo('Pod'), withHostPath('default'))).toThrow(
      'pods "logs" is forbidden: hostPath volumes are not allowed in namespace "default" (volume "varlog"); an administrator allows them with skiff-controlplane --allow-host-path-namespaces default',
    );
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'agent', namespace: 'default' }, spec: { template: { spec: (withHostPath('x') as unknown as { spec: unknown }).spec } } } as unknown as ResourceObject;
    expect(() => admit(kindInfo('Deployment'), deployment)).toThrow('deployments "agent" is forbidden: hostPath volumes are not allowed in namespace "default"');
  });

  it('admits them where allowed, and pods without them anywhere', () => {
    expect(() => admit(kindInfo('Pod'), withHostPath('monitoring'))).not.toThrow();
    expect(() => admit(kindInfo('Pod'), { ...withHostPath('default'), spec: { containers: [] } } as unknown as ResourceObject)).not.toThrow();
    expect(() => admit(kindInfo('ConfigMap'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as ResourceObject)).not.toThrow();
  });
});
